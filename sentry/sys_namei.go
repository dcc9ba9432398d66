package sentry

import (
	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

// Calls that make, remove and rename names.

func init() {
	register(unix.SYS_MKDIR, sysMkdir, 0)
	register(unix.SYS_MKDIRAT, sysMkdirat, 1)
	register(unix.SYS_MKNOD, sysMknod, 0)
	register(unix.SYS_MKNODAT, sysMknodat, 1)
	register(unix.SYS_RMDIR, sysRmdir, 0)
	register(unix.SYS_UNLINK, sysUnlink, 0)
	register(unix.SYS_UNLINKAT, sysUnlinkat, 1)
	register(unix.SYS_RENAME, sysRename, 0, 1)
	register(unix.SYS_RENAMEAT, sysRenameat, 1, 3)
	register(unix.SYS_RENAMEAT2, sysRenameat2, 1, 3)
	register(unix.SYS_LINK, sysLink, 0, 1)
	register(unix.SYS_LINKAT, sysLinkat, 1, 3)
	register(unix.SYS_SYMLINK, sysSymlink, 0, 1)
	register(unix.SYS_SYMLINKAT, sysSymlinkat, 0, 2)
}

// pathAt reads path argument i and the start of dirfd argument d.
func (c *Call) pathAt(d int32, i int) (string, Result, bool) {
	p, err := c.path(i)
	if err != nil {
		return "", Errno(err), false
	}
	if p == "" {
		// getname's ENOENT, before the descriptor is looked at.
		return "", Errno(unix.ENOENT), false
	}
	return p, Result{}, true
}

func (c *Call) mkdir(dirfd int32, i int, mode uint64) Result {
	p, r, ok := c.pathAt(dirfd, i)
	if !ok {
		return r
	}
	start, err := c.start(dirfd, p)
	if err != nil {
		return Errno(err)
	}
	return Errno(c.Task.Kernel().VFS.Mkdir(c.ctx(), start, p, uint32(mode)&07777))
}

func sysMkdir(c *Call) Result   { return c.mkdir(unix.AT_FDCWD, 0, c.Args[1]) }
func sysMkdirat(c *Call) Result { return c.mkdir(c.fd(0), 1, c.Args[2]) }

func (c *Call) mknod(dirfd int32, i int, mode, dev uint64) Result {
	p, r, ok := c.pathAt(dirfd, i)
	if !ok {
		return r
	}
	start, err := c.start(dirfd, p)
	if err != nil {
		return Errno(err)
	}
	m := uint32(mode)
	switch m & unix.S_IFMT {
	case 0:
		m |= unix.S_IFREG
	case unix.S_IFREG, unix.S_IFCHR, unix.S_IFBLK, unix.S_IFIFO, unix.S_IFSOCK:
	case unix.S_IFDIR:
		return Errno(unix.EPERM)
	default:
		return Errno(unix.EINVAL)
	}
	d := uint64(uint32(dev))
	d = unix.Mkdev(uint32(d>>8&0xfff), uint32(d&0xff|(d>>12)&0xfff00))
	return Errno(c.Task.Kernel().VFS.Mknod(c.ctx(), start, p, m&(unix.S_IFMT|07777), d))
}

func sysMknod(c *Call) Result   { return c.mknod(unix.AT_FDCWD, 0, c.Args[1], c.Args[2]) }
func sysMknodat(c *Call) Result { return c.mknod(c.fd(0), 1, c.Args[2], c.Args[3]) }

func (c *Call) unlink(dirfd int32, i int, at uint64) Result {
	if at&^unix.AT_REMOVEDIR != 0 {
		return Errno(unix.EINVAL)
	}
	p, r, ok := c.pathAt(dirfd, i)
	if !ok {
		return r
	}
	start, err := c.start(dirfd, p)
	if err != nil {
		return Errno(err)
	}
	v := c.Task.Kernel().VFS
	if at&unix.AT_REMOVEDIR != 0 {
		return Errno(v.Rmdir(c.ctx(), start, p))
	}
	return Errno(v.Unlink(c.ctx(), start, p))
}

func sysRmdir(c *Call) Result {
	return c.unlink(unix.AT_FDCWD, 0, unix.AT_REMOVEDIR)
}
func sysUnlink(c *Call) Result   { return c.unlink(unix.AT_FDCWD, 0, 0) }
func sysUnlinkat(c *Call) Result { return c.unlink(c.fd(0), 1, c.Args[2]) }

// twoPaths reads the old and new path arguments of rename and link, with
// where each starts.
func (c *Call) twoPaths(oldfd int32, oi int, newfd int32, ni int) (os vfs.VirtualDentry, op string, ns vfs.VirtualDentry, np string, err error) {
	if op, err = c.path(oi); err != nil {
		return
	}
	if np, err = c.path(ni); err != nil {
		return
	}
	if os, err = c.start(oldfd, op); err != nil {
		return
	}
	ns, err = c.start(newfd, np)
	return
}

func (c *Call) rename(oldfd int32, oi int, newfd int32, ni int, flags uint64) Result {
	if flags&^(unix.RENAME_NOREPLACE|unix.RENAME_EXCHANGE|unix.RENAME_WHITEOUT) != 0 ||
		flags&(unix.RENAME_NOREPLACE|unix.RENAME_EXCHANGE) == unix.RENAME_NOREPLACE|unix.RENAME_EXCHANGE {
		return Errno(unix.EINVAL)
	}
	os, op, ns, np, err := c.twoPaths(oldfd, oi, newfd, ni)
	if err != nil {
		return Errno(err)
	}
	return Errno(c.Task.Kernel().VFS.Rename(c.ctx(), os, op, ns, np, uint32(flags)))
}

func sysRename(c *Call) Result   { return c.rename(unix.AT_FDCWD, 0, unix.AT_FDCWD, 1, 0) }
func sysRenameat(c *Call) Result { return c.rename(c.fd(0), 1, c.fd(2), 3, 0) }
func sysRenameat2(c *Call) Result {
	return c.rename(c.fd(0), 1, c.fd(2), 3, c.Args[4])
}

func (c *Call) link(oldfd int32, oi int, newfd int32, ni int, at uint64) Result {
	if at&^(unix.AT_SYMLINK_FOLLOW|unix.AT_EMPTY_PATH) != 0 {
		return Errno(unix.EINVAL)
	}
	os, op, ns, np, err := c.twoPaths(oldfd, oi, newfd, ni)
	if err != nil {
		return Errno(err)
	}
	var flags int
	if at&unix.AT_SYMLINK_FOLLOW != 0 {
		flags |= vfs.FollowFinal
	}
	if at&unix.AT_EMPTY_PATH != 0 {
		flags |= vfs.EmptyPath
	}
	return Errno(c.Task.Kernel().VFS.Link(c.ctx(), os, op, flags, ns, np))
}

func sysLink(c *Call) Result   { return c.link(unix.AT_FDCWD, 0, unix.AT_FDCWD, 1, 0) }
func sysLinkat(c *Call) Result { return c.link(c.fd(0), 1, c.fd(2), 3, c.Args[4]) }

func (c *Call) symlink(ti int, newfd int32, ni int) Result {
	target, err := c.path(ti)
	if err != nil {
		return Errno(err)
	}
	if target == "" {
		return Errno(unix.ENOENT)
	}
	p, r, ok := c.pathAt(newfd, ni)
	if !ok {
		return r
	}
	start, err := c.start(newfd, p)
	if err != nil {
		return Errno(err)
	}
	return Errno(c.Task.Kernel().VFS.Symlink(c.ctx(), target, start, p))
}

func sysSymlink(c *Call) Result   { return c.symlink(0, unix.AT_FDCWD, 1) }
func sysSymlinkat(c *Call) Result { return c.symlink(0, c.fd(1), 2) }
