package sentry

import (
	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

// Calls about a task's filesystem context: cwd, root, umask.

func init() {
	register(unix.SYS_CHDIR, sysChdir, 0)
	register(unix.SYS_FCHDIR, sysFchdir)
	register(unix.SYS_GETCWD, sysGetcwd)
	register(unix.SYS_CHROOT, sysChroot, 0)
	register(unix.SYS_UMASK, sysUmask)
}

// capSysChroot is CAP_SYS_CHROOT.
const capSysChroot = 18

// dirSearchable checks that vd is a directory the task may enter.
func (c *Call) dirSearchable(vd vfs.VirtualDentry) error {
	v := c.Task.Kernel().VFS
	a, _, err := v.Stat(vd)
	if err != nil {
		return err
	}
	if !a.IsDir() {
		return unix.ENOTDIR
	}
	return v.Access(c.ctx(), vd, unix.X_OK)
}

func sysChdir(c *Call) Result {
	vd, err := c.walk(unix.AT_FDCWD, 0, vfs.FollowFinal)
	if err != nil {
		return Errno(err)
	}
	if err := c.dirSearchable(vd); err != nil {
		return Errno(err)
	}
	c.Task.FS().SetCwd(vd)
	return Value(0)
}

func sysFchdir(c *Call) Result {
	fd := int(c.fd(0))
	vd, ok, err := c.fdVD(fd)
	if err != nil {
		return Errno(err)
	}
	if !ok {
		return Errno(c.notVFS(fd))
	}
	if err := c.dirSearchable(vd); err != nil {
		return Errno(err)
	}
	c.Task.FS().SetCwd(vd)
	return Value(0)
}

func sysGetcwd(c *Call) Result {
	root, cwd, _ := c.Task.FS().Get()
	p, ok := c.Task.Kernel().VFS.PathOf(root, cwd)
	if !ok {
		p = "(unreachable)" + p
	}
	if cwd.Dentry.Deleted() {
		return Errno(unix.ENOENT)
	}
	b := append([]byte(p), 0)
	if uint64(len(b)) > c.Args[1] {
		return Errno(unix.ERANGE)
	}
	return ResultOf(int64(len(b)), c.Mem.CopyOut(c.Args[0], b))
}

func sysChroot(c *Call) Result {
	vd, err := c.walk(unix.AT_FDCWD, 0, vfs.FollowFinal)
	if err != nil {
		return Errno(err)
	}
	if err := c.dirSearchable(vd); err != nil {
		return Errno(err)
	}
	if !c.Task.Creds.VFS().HasCap(capSysChroot) {
		return Errno(unix.EPERM)
	}
	c.Task.FS().SetRoot(vd)
	return Value(0)
}

func sysUmask(c *Call) Result {
	return Value(int64(c.Task.FS().SwapUmask(uint32(c.Args[0]))))
}
