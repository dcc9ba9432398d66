package sentry

import (
	"strconv"

	"golang.org/x/sys/unix"
)

// The namespace ioctls of a pidfd (PIDFD_GET_*_NAMESPACE, Linux 6.11)
// open a namespace of the process the pidfd names. vkernel's init lives in
// some of the host's namespaces, and a guest can make a pidfd of it
// (pidfd_open(1) under run): the sentry serves these ioctls, for a guest
// process only, on its own duplicate of the pidfd, and installs the
// namespace's descriptor in the caller (close-on-exec, as Linux). Anything
// else, vkernel's own processes, is EPERM.

// pidfdNamespaceIoctls are PIDFD_GET_CGROUP_NAMESPACE (_IO(0xFF, 1))
// through PIDFD_GET_UTS_NAMESPACE (_IO(0xFF, 10)).
var pidfdNamespaceIoctls = map[uint32]bool{
	0xff01: true, 0xff02: true, 0xff03: true, 0xff04: true, 0xff05: true,
	0xff06: true, 0xff07: true, 0xff08: true, 0xff09: true, 0xff0a: true,
}

// PidfdNamespaceIoctls lists the ioctl commands the filter sends to
// pidfdNamespace.
func PidfdNamespaceIoctls() []uintptr {
	out := make([]uintptr, 0, len(pidfdNamespaceIoctls))
	for cmd := uint32(0xff01); cmd <= 0xff0a; cmd++ {
		out = append(out, uintptr(cmd))
	}
	return out
}

func (c *Call) pidfdNamespace(fd int, cmd uint32) Result {
	return c.namespaceIoctl(fd, cmd, func(h int) error {
		switch pid := fdinfoPid(h); {
		case pid == 0:
			// Not a pidfd: no other file's ioctl is run for the guest.
			return unix.ENOTTY
		case pid < 0:
			return unix.ESRCH
		case c.Task.Kernel().Task(pid) == nil:
			return unix.EPERM
		}
		return nil
	}, nil)
}

// namespaceIoctl serves an ioctl that opens a namespace from guest
// descriptor fd, one the table does not hold (a VFS file answers
// ENOTTY): on the sentry's duplicate h, once check(h) allows it, and the
// namespace opened is installed in the caller (close-on-exec, as Linux)
// if mine, when not nil, says it is the caller's to have (EPERM if not).
func (c *Call) namespaceIoctl(fd int, cmd uint32, check func(h int) error, mine func(ns int) bool) Result {
	if f, ok := c.Task.FDs().Get(fd); ok {
		f.DecRef()
		return Errno(unix.ENOTTY)
	}
	h, err := c.FDs.Fetch(fd)
	if err != nil {
		return Errno(unix.EBADF)
	}
	defer unix.Close(h)
	if err := check(h); err != nil {
		return Errno(err)
	}
	ns, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(h), uintptr(cmd), 0)
	if e != 0 {
		return Errno(e)
	}
	defer unix.Close(int(ns))
	if mine != nil && !mine(int(ns)) {
		return Errno(unix.EPERM)
	}
	n, err := c.FDs.Install(int(ns), -1, true)
	if err != nil {
		return Errno(err)
	}
	c.Task.FDs().Remove(n)
	return Value(int64(n))
}

// fdinfoPid returns the host pid of the process pidfd h names (fdinfo's
// Pid: line), 0 if h is not a pidfd, -1 if its process is gone.
func fdinfoPid(h int) int {
	v, ok := fdinfoField(h, "Pid")
	if !ok {
		return 0
	}
	n, _ := strconv.Atoi(v)
	return n
}
