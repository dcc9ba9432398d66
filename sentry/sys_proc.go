package sentry

import (
	"golang.org/x/sys/unix"
)

// Process calls the filter sends to the sentry.

func init() {
	register(unix.SYS_CLONE, sysCloneNamespace)
	register(unix.SYS_CLONE3, sysClone3)
	register(unix.SYS_UNSHARE, sysUnshare)
}

// sysCloneNamespace answers a clone that asks for new namespaces (the
// filter lets every other clone run natively): the guest's namespaces are
// vkernel's to give, and it gives none yet.
func sysCloneNamespace(c *Call) Result { return Errno(unix.EPERM) }

// sysClone3 answers ENOSYS: clone3 passes its flags in memory, where the
// filter cannot check them, and libc falls back to clone.
func sysClone3(c *Call) Result { return Errno(unix.ENOSYS) }

func sysUnshare(c *Call) Result {
	flags := c.Args[0]
	const ok = unix.CLONE_FILES | unix.CLONE_FS | unix.CLONE_SYSVSEM
	if flags&cloneNamespaces != 0 {
		return Errno(unix.EPERM)
	}
	if flags&^ok != 0 {
		return Errno(unix.EINVAL)
	}
	if flags&unix.CLONE_FILES != 0 {
		c.Task.unshareFDs()
	}
	if flags&unix.CLONE_FS != 0 {
		c.Task.unshareFS()
	}
	return Value(0)
}

const cloneNamespaces = unix.CLONE_NEWNS | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC |
	unix.CLONE_NEWUSER | unix.CLONE_NEWPID | unix.CLONE_NEWNET | unix.CLONE_NEWCGROUP |
	unix.CLONE_NEWTIME
