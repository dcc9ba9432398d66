package sentry

import (
	"os"
	"runtime"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

// What a Unix socket records of its maker. Linux records the credentials
// of the task that connects a socket, listens on it or makes a pair
// (SO_PEERCRED's uid and gid are their effective ids, SO_PEERGROUPS their
// groups). A guest process is root on the host, and a connect the sentry
// serves is the sentry's own: the peer would read uid 0 for every guest
// user, and a root daemon in the guest would take any user for root (a
// user's ssh-agent, which checks its clients' uid, would refuse them
// all). So for a caller that is not the guest's root, the sentry connects,
// listens and makes pairs on a thread of its own whose effective ids and
// groups are the caller's. The pid recorded stays the sentry's for a
// connect (the peer reads 0, a pid outside its namespace).

// asCaller runs f as the caller, for a socket to record: on a new OS thread
// with the caller's effective user and group ids and groups, its
// filesystem ids and capabilities still vkernel's (the sentry has checked
// the access), and, for newSockets (f makes sockets), in the caller's
// network namespace. The caller's root runs f as it is, and so does a
// vkernel that is not host root (it cannot take another identity: its
// guest users' sockets record its own). EACCES: the identity could not be
// taken, and f did not run (never as root for a user).
func (c *Call) asCaller(newSockets bool, f func()) error {
	cr := c.Task.Creds
	cr.mu.Lock()
	euid, egid, groups := cr.EUID, cr.EGID, append([]uint32(nil), cr.Groups...)
	cr.mu.Unlock()
	if euid == 0 && egid == 0 || os.Geteuid() != 0 {
		f()
		return nil
	}
	tid := c.Task.TID()
	errc := make(chan error, 1)
	go func() {
		// Never unlocked: the thread, whatever identity and namespace it
		// has, ends with the goroutine.
		runtime.LockOSThread()
		if newSockets && !enterNetns(tid) || !takeIdentity(euid, egid, groups) {
			errc <- unix.EACCES
			return
		}
		f()
		errc <- nil
	}()
	return <-errc
}

// enterNetns moves the calling thread into host thread tid's network
// namespace.
func enterNetns(tid int) bool {
	fd, err := unix.Open("/proc/"+strconv.Itoa(tid)+"/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	return unix.Setns(fd, unix.CLONE_NEWNET) == nil
}

// takeIdentity gives the calling thread (alone: raw system calls) the
// effective ids euid and egid and groups, keeping root's filesystem ids
// and capabilities (SECBIT_NO_SETUID_FIXUP).
func takeIdentity(euid, egid uint32, groups []uint32) bool {
	const secbitNoSetuidFixup = 1 << 2
	if _, _, e := unix.RawSyscall6(unix.SYS_PRCTL, unix.PR_SET_SECUREBITS, secbitNoSetuidFixup, 0, 0, 0, 0); e != 0 {
		return false
	}
	var gp unsafe.Pointer
	if len(groups) > 0 {
		gp = unsafe.Pointer(&groups[0])
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETGROUPS, uintptr(len(groups)), uintptr(gp), 0); e != 0 {
		return false
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESGID, ^uintptr(0), uintptr(egid), ^uintptr(0)); e != 0 {
		return false
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, ^uintptr(0), uintptr(euid), ^uintptr(0)); e != 0 {
		return false
	}
	unix.RawSyscall(unix.SYS_SETFSUID, 0, 0, 0)
	unix.RawSyscall(unix.SYS_SETFSGID, 0, 0, 0)
	// setfs[ug]id answer the former id, never an error: read them back.
	fsuid, _, _ := unix.RawSyscall(unix.SYS_SETFSUID, ^uintptr(0), 0, 0)
	fsgid, _, _ := unix.RawSyscall(unix.SYS_SETFSGID, ^uintptr(0), 0, 0)
	return fsuid == 0 && fsgid == 0
}

// isRoot reports whether t's effective ids are root's: a socket records
// the host's, which are the same.
func (t *Task) isRoot() bool {
	id := t.ids()
	return id.euid == 0 && id.egid == 0
}
