package sentry

import (
	"bytes"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// Sending signals. The guest's processes are all root in the guest's user
// namespace on the host, so the host would let any of them signal any
// other: the sentry checks the permission as Linux's check_kill_permission
// does, with the guest's credentials, and then lets the host send the
// signal as the guest asked (its siginfo names the real sender). A caller
// with CAP_KILL, or signalling itself, is let through at once.
//
// A process-group or all-process kill whose targets are permitted only in
// part is sent by the sentry to the permitted ones (pidfd_send_signal): the
// receivers then see the sentry, pid 0, as the sender.

func init() {
	register(unix.SYS_KILL, sysKill)
	register(unix.SYS_TKILL, sysTkill)
	register(unix.SYS_TGKILL, sysTgkill)
	register(unix.SYS_RT_SIGQUEUEINFO, sysRtSigqueueinfo)
	register(unix.SYS_RT_TGSIGQUEUEINFO, sysRtTgsigqueueinfo)
	register(unix.SYS_PIDFD_SEND_SIGNAL, sysPidfdSendSignal)
}

// maxSig is _NSIG: a larger number is EINVAL, which the host gives.
const maxSig = 64

// sigTarget is a process or thread a signal is sent to; task is nil for
// vkernel's init, which is root's.
type sigTarget struct {
	task    *Task
	hostTID int
}

// continued lets the host run the call as the guest made it.
var continued = Result{Continue: true}

// mayKill reports whether the caller may send sig to t
// (check_kill_permission): it shares a real or saved user id with the
// caller's real or effective one, or the caller has CAP_KILL, or sig is
// SIGCONT within the caller's session.
func (c *Call) mayKill(t sigTarget, sig int) bool {
	if t.task == c.Task {
		return true
	}
	cr := c.Task.Creds
	cr.mu.Lock()
	ruid, euid, kill := cr.RUID, cr.EUID, cr.hasCapLocked(unix.CAP_KILL)
	cr.mu.Unlock()
	if kill {
		return true
	}
	var truid, tsuid uint32 // vkernel's init is root's
	if t.task != nil {
		tc := t.task.Creds
		tc.mu.Lock()
		truid, tsuid = tc.RUID, tc.SUID
		tc.mu.Unlock()
	}
	if euid == tsuid || euid == truid || ruid == tsuid || ruid == truid {
		return true
	}
	return sig == int(unix.SIGCONT) && nsStatus(c.Task.TID, "NSsid") == nsStatus(t.hostTID, "NSsid")
}

// privileged reports whether the caller may signal anyone (CAP_KILL).
func (c *Call) privileged() bool {
	cr := c.Task.Creds
	cr.mu.Lock()
	defer cr.mu.Unlock()
	return cr.hasCapLocked(unix.CAP_KILL)
}

// process returns the process whose guest pid is pid (vkernel's init for
// 1 under run).
func (c *Call) process(pid int) (sigTarget, bool) {
	k := c.Task.Kernel()
	if t := k.TaskByGuestPID(pid); t != nil {
		return sigTarget{t, t.TID}, true
	}
	if init := k.initProc(); init != nil && pid == 1 {
		return sigTarget{nil, init.hostPID}, true
	}
	return sigTarget{}, false
}

// thread returns the thread whose guest tid is tid, in process tgid when
// tgid is not 0.
func (c *Call) thread(tgid, tid int) (sigTarget, bool) {
	if tid == 1 {
		// The init's first thread.
		t, ok := c.process(1)
		return t, ok && (tgid == 0 || tgid == 1)
	}
	t := c.Task.Kernel().threadByGuestTID(tid)
	if t == nil || tgid != 0 && t.PID() != tgid {
		return sigTarget{}, false
	}
	return sigTarget{t, t.TID}, true
}

// oneTarget answers a call that names one process or thread.
func (c *Call) oneTarget(t sigTarget, found bool, sig int) Result {
	if !found || sig < 0 || sig > maxSig || c.mayKill(t, sig) {
		// The host answers ESRCH or EINVAL itself, or sends.
		return continued
	}
	return Errno(unix.EPERM)
}

func sysKill(c *Call) Result {
	pid, sig := int(int32(c.Args[0])), int(int32(c.Args[1]))
	if sig < 0 || sig > maxSig || c.privileged() {
		return continued
	}
	if pid > 0 {
		t, ok := c.process(pid)
		return c.oneTarget(t, ok, sig)
	}
	if pid == int(-1<<31) {
		return continued // ESRCH
	}
	var targets []sigTarget
	switch {
	case pid == -1:
		// Every process but init and the caller's own.
		for _, t := range c.Task.Kernel().Tasks() {
			if t.PID() > 1 && t.TG != c.Task.TG {
				targets = append(targets, sigTarget{t, t.TID})
			}
		}
	default:
		pgrp := -pid
		if pid == 0 {
			pgrp = nsStatus(c.Task.TID, "NSpgid")
		}
		targets = c.group(pgrp)
	}
	return c.killMany(targets, sig, pid == -1)
}

// group returns the processes of guest process group pgrp.
func (c *Call) group(pgrp int) []sigTarget {
	var out []sigTarget
	for _, t := range c.Task.Kernel().Tasks() {
		if nsStatus(t.TID, "NSpgid") == pgrp {
			out = append(out, sigTarget{t, t.TID})
		}
	}
	return out
}

// killMany answers a kill of several processes: the host sends when every
// one is permitted; EPERM when none is (0 for kill(-1, ...), which never
// answers EPERM); otherwise the sentry sends to those permitted.
func (c *Call) killMany(targets []sigTarget, sig int, all bool) Result {
	var permitted []sigTarget
	for _, t := range targets {
		if c.mayKill(t, sig) {
			permitted = append(permitted, t)
		}
	}
	switch {
	case len(permitted) == len(targets):
		return continued
	case len(permitted) == 0 && all:
		return Value(0)
	case len(permitted) == 0:
		return Errno(unix.EPERM)
	}
	for _, t := range permitted {
		sendFromSentry(t.hostTID, sig)
	}
	return Value(0)
}

// sendFromSentry sends sig to host process pid.
func sendFromSentry(pid, sig int) {
	if sig == 0 {
		return
	}
	pfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return
	}
	defer unix.Close(pfd)
	unix.PidfdSendSignal(pfd, unix.Signal(sig), nil, 0)
}

func sysTkill(c *Call) Result {
	tid, sig := int(int32(c.Args[0])), int(int32(c.Args[1]))
	if tid <= 0 {
		return continued // EINVAL
	}
	t, ok := c.thread(0, tid)
	return c.oneTarget(t, ok, sig)
}

func sysTgkill(c *Call) Result {
	tgid, tid, sig := int(int32(c.Args[0])), int(int32(c.Args[1])), int(int32(c.Args[2]))
	if tgid <= 0 || tid <= 0 {
		return continued // EINVAL
	}
	t, ok := c.thread(tgid, tid)
	return c.oneTarget(t, ok, sig)
}

func sysRtSigqueueinfo(c *Call) Result {
	pid, sig := int(int32(c.Args[0])), int(int32(c.Args[1]))
	if pid <= 0 {
		return continued // ESRCH
	}
	t, ok := c.process(pid)
	return c.oneTarget(t, ok, sig)
}

func sysRtTgsigqueueinfo(c *Call) Result {
	tgid, tid, sig := int(int32(c.Args[0])), int(int32(c.Args[1])), int(int32(c.Args[2]))
	if tgid <= 0 || tid <= 0 {
		return continued // EINVAL
	}
	t, ok := c.thread(tgid, tid)
	return c.oneTarget(t, ok, sig)
}

// pidfd_send_signal's flags (linux/pidfd.h).
const (
	pidfdSignalThread       = 1 << 0
	pidfdSignalProcessGroup = 1 << 2
)

func sysPidfdSendSignal(c *Call) Result {
	sig, flags := int(int32(c.Args[1])), c.Args[3]
	if sig < 0 || sig > maxSig || c.privileged() {
		return continued
	}
	fd, err := c.FDs.Fetch(int(int32(c.Args[0])))
	if err != nil {
		return continued // EBADF
	}
	hostTID := pidfdPID(fd)
	unix.Close(fd)
	t := c.Task.Kernel().Task(hostTID)
	if t == nil {
		if init := c.Task.Kernel().initProc(); init != nil && hostTID == init.hostPID {
			return c.oneTarget(sigTarget{nil, hostTID}, true, sig)
		}
		return continued // not a pidfd, or the process is gone
	}
	if flags&pidfdSignalProcessGroup != 0 {
		return c.killMany(c.group(nsStatus(t.TID, "NSpgid")), sig, false)
	}
	if flags&pidfdSignalThread == 0 {
		if l := t.TG.Leader(); l != nil {
			t = l
		}
	}
	return c.oneTarget(sigTarget{t, t.TID}, true, sig)
}

// pidfdPID returns the host pid a pidfd refers to (its fdinfo's Pid line);
// 0 if fd is no pidfd or its process is gone.
func pidfdPID(fd int) int {
	b, err := os.ReadFile("/proc/self/fdinfo/" + strconv.Itoa(fd))
	if err != nil {
		return 0
	}
	i := bytes.Index(b, []byte("\nPid:\t"))
	if i < 0 {
		return 0
	}
	rest := b[i+6:]
	if j := bytes.IndexByte(rest, '\n'); j >= 0 {
		rest = rest[:j]
	}
	pid, _ := strconv.Atoi(string(rest))
	return pid
}
