package sentry

import (
	"bytes"
	"os"
	"strconv"
	"time"

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

// taskRef is a process or thread a call names; task is nil for vkernel's
// init (any of its threads), which is root's.
type taskRef struct {
	task    *Task
	hostTID int
}

// continued lets the host run the call as the guest made it.
var continued = Result{Continue: true}

// mayKill reports whether the caller may send sig to t
// (check_kill_permission): it shares a real or saved user id with the
// caller's real or effective one, or the caller has CAP_KILL, or sig is
// SIGCONT within the caller's session.
func (c *Call) mayKill(t taskRef, sig int) bool {
	if t.task != nil && t.task.TG == c.Task.TG {
		return true
	}
	if c.privileged() {
		return true
	}
	me, them := c.Task.ids(), t.task.ids() // vkernel's init (nil) is root's
	if me.euid == them.suid || me.euid == them.ruid || me.ruid == them.suid || me.ruid == them.ruid {
		return true
	}
	return sig == int(unix.SIGCONT) && nsStatus(c.Task.TID(), "NSsid") == nsStatus(t.hostTID, "NSsid")
}

// privileged reports whether the caller may signal anyone (CAP_KILL): its
// calls need no target looked up.
func (c *Call) privileged() bool { return c.Task.hasCap(unix.CAP_KILL) }

// task returns the task whose guest id is id, a process's or any
// thread's (kill accepts a thread id for its process, as Linux's
// kill_pid_info): a known task, or one of the threads of vkernel's init
// (pid 1 under run: the Go runtime's threads have guest ids too), which
// is root's. False: no live task has that id (the host answers ESRCH, or
// signals a zombie, to no effect).
func (c *Call) task(id int) (taskRef, bool) {
	for _, t := range c.Task.TG.Threads() {
		if t.GuestTID() == id {
			// The caller's own process: the common case (raise, a
			// runtime's preemption signals), found without a scan.
			return taskRef{t, t.TID()}, true
		}
	}
	k := c.Task.Kernel()
	if t := k.threadByGuestTID(id); t != nil {
		return taskRef{t, t.TID()}, true
	}
	if host := k.initThread(id); host != 0 {
		return taskRef{nil, host}, true
	}
	// A task the tracer has not registered yet (a child between its clone
	// and the fork event): wait for it; failing that, it is root's (the
	// check fails closed). A zombie, or an id nobody has, is the host's to
	// answer (no effect, ESRCH).
	host, zombie := unregistered(c.Task.TID(), id)
	if host == 0 || zombie {
		return taskRef{}, false
	}
	for i := 0; i < 100; i++ {
		time.Sleep(2 * time.Millisecond)
		if t := k.threadByGuestTID(id); t != nil {
			return taskRef{t, t.TID()}, true
		}
	}
	return taskRef{nil, host}, true
}

// liveTask reports whether host task tid exists and is not a zombie.
func liveTask(tid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(tid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] != 'Z'
}

// unregistered looks among the host's tasks in the pid namespace of host
// task self for the one whose id there is id: its host id, and whether it
// is a zombie; 0 if there is none.
func unregistered(self, id int) (host int, zombie bool) {
	ns, err := os.Readlink("/proc/" + strconv.Itoa(self) + "/ns/pid")
	if err != nil {
		return 0, false
	}
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return 0, false
	}
	for _, p := range procs {
		if _, err := strconv.Atoi(p.Name()); err != nil {
			continue
		}
		if l, err := os.Readlink("/proc/" + p.Name() + "/ns/pid"); err != nil || l != ns {
			continue
		}
		tasks, _ := os.ReadDir("/proc/" + p.Name() + "/task")
		for _, t := range tasks {
			tid, err := strconv.Atoi(t.Name())
			if err != nil || nsStatus(tid, "NSpid") != id {
				continue
			}
			stat, _ := os.ReadFile("/proc/" + t.Name() + "/stat")
			i := bytes.LastIndexByte(stat, ')')
			return tid, i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z'
		}
	}
	return 0, false
}

// thread returns the thread whose guest tid is tid, in process tgid when
// tgid is not 0.
func (c *Call) thread(tgid, tid int) (taskRef, bool) {
	t, ok := c.task(tid)
	if !ok {
		return t, false
	}
	pid := 1 // vkernel's init
	if t.task != nil {
		pid = t.task.PID()
	}
	return t, tgid == 0 || tgid == pid
}

// oneTarget answers a call that names one process or thread.
func (c *Call) oneTarget(t taskRef, found bool, sig int) Result {
	if !found || sig < 0 || sig > maxSig || c.mayKill(t, sig) {
		// The host answers ESRCH or EINVAL itself, or sends.
		return continued
	}
	return Errno(unix.EPERM)
}

func sysKill(c *Call) Result {
	pid, sig := int(int32(c.Args[0])), int(int32(c.Args[1]))
	if sig < 0 || sig > maxSig || pid == int(-1<<31) {
		return continued // EINVAL, ESRCH
	}
	switch {
	case pid > 0:
		if c.privileged() {
			return continued
		}
		// Any thread's id names its process (Linux's kill_pid_info); the
		// permission is checked against that thread.
		t, ok := c.task(pid)
		return c.oneTarget(t, ok, sig)
	case pid == -1:
		if c.privileged() {
			// The host's kill(-1) reaches the guest's pid namespace only,
			// its init excepted.
			return continued
		}
		// Every process but init and the caller's own.
		var targets []taskRef
		for _, t := range c.Task.Kernel().Tasks() {
			if t.PID() > 1 && t.TG != c.Task.TG {
				targets = append(targets, taskRef{t, t.TID()})
			}
		}
		return c.killMany(targets, sig, true, false)
	}
	pgrp := -pid
	if pid == 0 {
		pgrp = nsStatus(c.Task.TID(), "NSpgid")
		if pgrp == 0 {
			// The caller's process group is outside the guest's pid
			// namespace (a booted guest before its init's setsid): the
			// host's kill(0) would reach host processes too.
			return c.killMany(c.group(0), sig, false, true)
		}
	}
	if c.privileged() {
		return continued
	}
	return c.killMany(c.group(pgrp), sig, false, false)
}

// group returns the processes of guest process group pgrp.
func (c *Call) group(pgrp int) []taskRef {
	var out []taskRef
	for _, t := range c.Task.Kernel().Tasks() {
		if nsStatus(t.TID(), "NSpgid") == pgrp {
			out = append(out, taskRef{t, t.TID()})
		}
	}
	return out
}

// killMany answers a kill of several processes: the host sends when every
// one is permitted (and bySentry is false); EPERM when none is (0 for
// kill(-1, ...), which never answers EPERM), ESRCH when there is none;
// otherwise the sentry sends to those permitted.
func (c *Call) killMany(targets []taskRef, sig int, all, bySentry bool) Result {
	var permitted []taskRef
	for _, t := range targets {
		if c.mayKill(t, sig) {
			permitted = append(permitted, t)
		}
	}
	switch {
	case len(targets) == 0 && bySentry:
		return Errno(unix.ESRCH)
	case len(permitted) == len(targets) && !bySentry:
		return continued
	case len(permitted) == 0 && all:
		return Value(0)
	case len(permitted) == 0:
		return Errno(unix.EPERM)
	}
	for _, t := range permitted {
		if t.task != nil && t.task.PID() == 1 && !catches(t.hostTID, sig) {
			// The guest's init takes from its own namespace only the
			// signals it handles (SIGNAL_UNKILLABLE); the sentry's come
			// from outside it, where the kernel would deliver them all.
			continue
		}
		sendFromSentry(t.hostTID, sig)
	}
	return Value(0)
}

// catches reports whether host task tid has a handler for sig.
func catches(tid, sig int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(tid) + "/status")
	if err != nil || sig <= 0 {
		return false
	}
	i := bytes.Index(b, []byte("\nSigCgt:\t"))
	if i < 0 {
		return false
	}
	rest := b[i+9:]
	if j := bytes.IndexByte(rest, '\n'); j >= 0 {
		rest = rest[:j]
	}
	caught, _ := strconv.ParseUint(string(rest), 16, 64)
	return caught&(1<<(sig-1)) != 0
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
	return c.signalThread(0, tid, sig)
}

func sysTgkill(c *Call) Result { return c.threadSignal(c.Args[0], c.Args[1], c.Args[2]) }

func sysRtSigqueueinfo(c *Call) Result {
	pid, sig := int(int32(c.Args[0])), int(int32(c.Args[1]))
	if pid <= 0 || c.privileged() {
		return continued // ESRCH, or sent
	}
	t, ok := c.task(pid)
	return c.oneTarget(t, ok, sig)
}

func sysRtTgsigqueueinfo(c *Call) Result { return c.threadSignal(c.Args[0], c.Args[1], c.Args[2]) }

// threadSignal answers tgkill and rt_tgsigqueueinfo: signal sig to thread
// tid of process tgid.
func (c *Call) threadSignal(tgidArg, tidArg, sigArg uint64) Result {
	tgid, tid, sig := int(int32(tgidArg)), int(int32(tidArg)), int(int32(sigArg))
	if tgid <= 0 || tid <= 0 {
		return continued // EINVAL
	}
	return c.signalThread(tgid, tid, sig)
}

// signalThread answers a signal to thread tid (of process tgid, unless 0).
func (c *Call) signalThread(tgid, tid, sig int) Result {
	if c.privileged() {
		return continued
	}
	t, ok := c.thread(tgid, tid)
	return c.oneTarget(t, ok, sig)
}

// pidfd_send_signal's flags (linux/pidfd.h).
const (
	pidfdSignalThread       = 1 << 0
	pidfdSignalThreadGroup  = 1 << 1
	pidfdSignalProcessGroup = 1 << 2
)

func sysPidfdSendSignal(c *Call) Result {
	sig, flags := int(int32(c.Args[1])), uint32(c.Args[3])
	if sig < 0 || sig > maxSig || flags&(flags-1) != 0 ||
		flags&^(pidfdSignalThread|pidfdSignalThreadGroup|pidfdSignalProcessGroup) != 0 {
		// The host answers EINVAL for bad flags (at most one scope).
		return continued
	}
	fd, err := c.FDs.Fetch(int(int32(c.Args[0])))
	if err != nil {
		return continued // EBADF
	}
	hostTID := pidfdPID(fd)
	unix.Close(fd)
	k := c.Task.Kernel()
	t := k.Task(hostTID)
	for i := 0; t == nil && hostTID > 0 && i < 100 && !k.isInitThread(hostTID) && liveTask(hostTID); i++ {
		// Not registered yet (between its clone and the fork event).
		time.Sleep(2 * time.Millisecond)
		t = k.Task(hostTID)
	}
	if t == nil {
		if k.isInitThread(hostTID) || hostTID > 0 && liveTask(hostTID) {
			// vkernel's init, or a task still unknown: root's.
			return c.oneTarget(taskRef{nil, hostTID}, true, sig)
		}
		return continued // not a pidfd, or the process is gone
	}
	if flags&pidfdSignalProcessGroup != 0 {
		pgrp := nsStatus(t.TID(), "NSpgid")
		if pgrp != 0 && c.privileged() {
			return continued
		}
		// A group outside the guest's pid namespace holds host
		// processes: the sentry sends to the guest's members only.
		return c.killMany(c.group(pgrp), sig, false, pgrp == 0)
	}
	if c.privileged() {
		return continued
	}
	// The permission is checked against the task the pidfd names (a
	// process's: its leader; a PIDFD_THREAD one's: that thread), whatever
	// the scope, as Linux's kill_pid_info_type.
	return c.oneTarget(taskRef{t, t.TID()}, true, sig)
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
