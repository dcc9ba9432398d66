package dirfs

import (
	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

// Setattr implements vfs.Vnode.Setattr. Ownership first, since a chown
// clears the set-id bits a mode change in the same call may set.
func (n *node) Setattr(sa *vfs.SetAttr) error {
	count(opSetattr)
	if n.fs.opts.ReadOnly {
		return unix.EROFS
	}
	fd, err := n.use()
	if err != nil {
		return err
	}
	defer n.done()
	if sa.Mask&(vfs.SetUID|vfs.SetGID|vfs.SetChown) != 0 {
		// A chown to -1, -1 still moves the ctime, as Linux's.
		uid, gid := -1, -1
		if sa.Mask&vfs.SetUID != 0 {
			uid = int(sa.UID)
		}
		if sa.Mask&vfs.SetGID != 0 {
			gid = int(sa.GID)
		}
		host(opSetattr, hFchownat)
		if err := unix.Fchownat(fd, "", uid, gid, unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return errno(err)
		}
	}
	if sa.Mask&vfs.SetMode != 0 {
		if n.typ == unix.S_IFLNK {
			return unix.EOPNOTSUPP // as fchmodat(AT_SYMLINK_NOFOLLOW)
		}
		host(opSetattr, hFchmodat)
		if err := unix.Fchmodat(unix.AT_FDCWD, procPath(fd), sa.Mode&07777, 0); err != nil {
			return errno(err)
		}
	}
	if sa.Mask&vfs.SetSize != 0 {
		if err := n.truncate(fd, sa.Size); err != nil {
			return err
		}
	}
	if sa.Mask&(vfs.SetAtime|vfs.SetMtime) != 0 {
		times := []unix.Timespec{{Nsec: unix.UTIME_OMIT}, {Nsec: unix.UTIME_OMIT}}
		if sa.Mask&vfs.SetAtime != 0 {
			times[0] = sa.Atime
		}
		if sa.Mask&vfs.SetMtime != 0 {
			times[1] = sa.Mtime
		}
		if err := n.utimes(fd, times); err != nil {
			return err
		}
	}
	return nil
}

// truncate sets a regular file's size through a writable reopen of it;
// nfd is n's descriptor, in use.
func (n *node) truncate(nfd int, size int64) error {
	switch n.typ {
	case unix.S_IFREG:
	case unix.S_IFDIR:
		return unix.EISDIR
	default:
		return unix.EINVAL
	}
	if size < 0 {
		return unix.EINVAL
	}
	fd, err := reopen(nfd, unix.O_WRONLY|unix.O_NONBLOCK)
	host(opSetattr, hOpen)
	if err != nil {
		return errno(err)
	}
	defer unix.Close(fd)
	host(opSetattr, hFtruncate)
	host(opSetattr, hClose)
	return errno(unix.Ftruncate(fd, size))
}

// utimes sets the vnode's own times: utimensat(fd, "", AT_EMPTY_PATH) on
// the O_PATH descriptor fd (n's, in use), or through the magic link on
// kernels without it.
func (n *node) utimes(fd int, times []unix.Timespec) error {
	err := unix.UtimesNanoAt(fd, "", times, unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW)
	host(opSetattr, hUtimensat)
	if err == unix.EINVAL || err == unix.EBADF {
		err = unix.UtimesNanoAt(unix.AT_FDCWD, procPath(fd), times, 0)
		host(opSetattr, hUtimensat)
	}
	return errno(err)
}

// Getxattr implements vfs.Vnode.Getxattr.
func (n *node) Getxattr(name string, buf []byte) (int, error) {
	fd, err := n.use()
	if err != nil {
		return 0, err
	}
	defer n.done()
	count(opXattr)
	host(opXattr, hXattr)
	sz, err := unix.Getxattr(procPath(fd), name, buf)
	return sz, errno(err)
}

// Setxattr implements vfs.Vnode.Setxattr.
func (n *node) Setxattr(name string, value []byte, flags int) error {
	if n.fs.opts.ReadOnly {
		return unix.EROFS
	}
	fd, err := n.use()
	if err != nil {
		return err
	}
	defer n.done()
	count(opXattr)
	host(opXattr, hXattr)
	return errno(unix.Setxattr(procPath(fd), name, value, flags))
}

// Listxattr implements vfs.Vnode.Listxattr.
func (n *node) Listxattr(buf []byte) (int, error) {
	fd, err := n.use()
	if err != nil {
		return 0, err
	}
	defer n.done()
	count(opXattr)
	host(opXattr, hXattr)
	sz, err := unix.Listxattr(procPath(fd), buf)
	return sz, errno(err)
}

// Removexattr implements vfs.Vnode.Removexattr.
func (n *node) Removexattr(name string) error {
	if n.fs.opts.ReadOnly {
		return unix.EROFS
	}
	fd, err := n.use()
	if err != nil {
		return err
	}
	defer n.done()
	count(opXattr)
	host(opXattr, hXattr)
	return errno(unix.Removexattr(procPath(fd), name))
}
