package sentry

import (
	"golang.org/x/sys/unix"
)

// Process calls the filter sends to the sentry.

func init() {
	register(unix.SYS_CLONE, sysClone)
	register(unix.SYS_FORK, sysFork)
	register(unix.SYS_VFORK, sysFork)
	register(unix.SYS_CLONE3, sysClone3)
	register(unix.SYS_UNSHARE, sysUnshare)
}

// sysClone answers a clone that makes a process (the filter lets a new
// thread be made natively) or asks for new namespaces: the guest's
// namespaces are vkernel's to give, and it gives none yet (EPERM).
func sysClone(c *Call) Result {
	if c.Args[0]&cloneNamespaces != 0 {
		return Errno(unix.EPERM)
	}
	return sysFork(c)
}

// sysFork lets a new process be made, unless the caller's user has
// RLIMIT_NPROC tasks already. The host cannot tell: every guest process
// is root on the host, whom Linux exempts. As Linux's copy_process, the
// guest's root and a caller with CAP_SYS_RESOURCE or CAP_SYS_ADMIN are
// exempt too, and the user's tasks are counted by real uid, threads
// included. (A thread is made natively, unchecked.)
func sysFork(c *Call) Result {
	cr := c.Task.Creds
	cr.mu.Lock()
	ruid := cr.RUID
	exempt := ruid == 0 || cr.hasCapLocked(unix.CAP_SYS_RESOURCE) || cr.hasCapLocked(unix.CAP_SYS_ADMIN)
	cr.mu.Unlock()
	if exempt {
		return continued
	}
	var lim unix.Rlimit
	if err := unix.Prlimit(c.Task.TID(), unix.RLIMIT_NPROC, nil, &lim); err != nil || lim.Cur == unix.RLIM_INFINITY {
		return continued
	}
	k := c.Task.Kernel()
	k.nproc.check.Lock()
	defer k.nproc.check.Unlock()
	if uint64(k.tasksOf(ruid)) >= lim.Cur {
		return Errno(unix.EAGAIN)
	}
	k.nproc.reserve(ruid)
	return continued
}

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
