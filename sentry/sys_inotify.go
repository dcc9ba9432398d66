package sentry

import (
	"strconv"

	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

// inotify: the guest's inotify instance is a real host one (made
// natively); the sentry adds its watches. The watched path is resolved
// through the guest's VFS and the watch is placed on the host object
// behind it (through /proc/self/fd of the sentry's O_PATH descriptor), so
// changes made by the guest and, on dirfs, by the host are reported.
// Objects with no host inode of their own (procfs directories, whose
// descriptors are placeholders) cannot be watched: EOPNOTSUPP rather than a
// watch that would never report anything.

func init() {
	register(unix.SYS_INOTIFY_ADD_WATCH, sysInotifyAddWatch, 1)
}

func sysInotifyAddWatch(c *Call) Result {
	mask := uint32(c.Args[2])
	ifd, err := c.FDs.Fetch(int(c.fd(0)))
	if err != nil {
		return Errno(unix.EBADF)
	}
	defer unix.Close(ifd)
	flags := vfs.FollowFinal
	if mask&unix.IN_DONT_FOLLOW != 0 {
		flags = 0
	}
	vd, err := c.walk(unix.AT_FDCWD, 1, flags)
	if err != nil {
		return Errno(err)
	}
	if mask&unix.IN_ONLYDIR != 0 {
		if err := mustBeDir(c.Task.Kernel().VFS, vd); err != nil {
			return Errno(err)
		}
	}
	if err := c.Task.Kernel().VFS.Access(c.ctx(), vd, unix.R_OK); err != nil {
		return Errno(err)
	}
	f, err := c.Task.Kernel().VFS.OpenAt(c.ctx(), vd, unix.O_PATH)
	if err != nil {
		return Errno(err)
	}
	defer f.DecRef()
	if _, isHost := f.Impl.(*vfs.Placeholder); isHost {
		return Errno(unix.EOPNOTSUPP)
	}
	wd, err := unix.InotifyAddWatch(ifd, "/proc/self/fd/"+strconv.Itoa(f.HostFD()), mask&^(unix.IN_DONT_FOLLOW|unix.IN_ONLYDIR))
	if err != nil {
		return Errno(err)
	}
	return Value(int64(wd))
}
