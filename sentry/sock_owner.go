package sentry

import (
	"strconv"

	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

// ownBoundSocket gives the socket file the sentry just bound as name in
// host directory dirfd what Linux gives one: the binder's fsuid, its fsgid
// (or the directory's group under a set-group-ID directory), and mode 0777
// less the binder's umask. The host made it as vkernel's user with
// vkernel's umask. It works on an O_PATH descriptor of the new file, so a
// name swapped on the host meanwhile is left alone.
func ownBoundSocket(dirfd int, name string, cred *vfs.Cred, umask uint32) error {
	fd, err := unix.Openat(dirfd, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	var st, dst unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFSOCK {
		return err
	}
	uid, gid := int(cred.UID), int(cred.GID)
	if unix.Fstat(dirfd, &dst) == nil && dst.Mode&unix.S_ISGID != 0 {
		gid = int(dst.Gid)
	}
	err = nil
	if st.Uid != uint32(uid) || st.Gid != uint32(gid) {
		// An unprivileged vkernel cannot give files away: the mode is
		// set all the same.
		err = unix.Fchownat(fd, "", uid, gid, unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW)
	}
	if want := 0o777 &^ umask; st.Mode&07777 != want {
		if cerr := unix.Chmod("/proc/self/fd/"+strconv.Itoa(fd), want); err == nil {
			err = cerr
		}
	}
	return err
}
