package vkernel

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"vkernel/sentry"
)

// ptraceOptions are set on every guest thread: children are traced from
// birth, exec and the filter's RET_TRACE stop the thread, and every guest
// process dies if vkernel does.
const ptraceOptions = unix.PTRACE_O_TRACECLONE | unix.PTRACE_O_TRACEFORK |
	unix.PTRACE_O_TRACEVFORK | unix.PTRACE_O_TRACEEXEC | unix.PTRACE_O_TRACESECCOMP |
	unix.PTRACE_O_EXITKILL | unix.PTRACE_O_TRACESYSGOOD

// tracer owns every ptrace request. It runs on one locked OS thread (ptrace
// requests must come from the thread that attached) and serves the guest's
// lifecycle: fork, clone and vfork events register new tasks with the
// sentry, exec is rewritten (exec.go), exits are reaped.
type tracer struct {
	m *Machine
	k *sentry.Kernel

	// All fields below are used by the tracer's thread only.

	// started holds threads whose first stop has been seen.
	started map[int]bool
	// orphans holds new threads whose first stop came before their
	// parent's fork event; they are resumed once the task exists.
	orphans map[int]bool
	// mainPID is the host pid of the guest's first process; mainStatus
	// its wait status once it exits.
	mainPID    int
	mainStatus unix.WaitStatus
	mainDone   bool
	initPID    int
	// quiesced holds, by exec'ing thread, the siblings stopped for its
	// exec; heldBy maps each such sibling to that thread (quiesce.go).
	quiesced map[int]*quiescence
	heldBy   map[int]int
}

func newTracer(m *Machine) *tracer {
	return &tracer{m: m, k: m.kernel, started: map[int]bool{}, orphans: map[int]bool{},
		quiesced: map[int]*quiescence{}, heldBy: map[int]int{}}
}

// loop waits for guest events until the guest's init has exited, which
// happens only after every other guest process has been reaped.
func (t *tracer) loop() {
	for {
		var ws unix.WaitStatus
		tid, err := unix.Wait4(-1, &ws, unix.WALL, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			if err != unix.ECHILD {
				fmt.Fprintf(os.Stderr, "vkernel: wait: %v\n", err)
			}
			return
		}
		if tid == t.initPID && (ws.Exited() || ws.Signaled()) {
			Mark("init reaped")
			if tid == t.mainPID {
				t.exited(tid, ws)
			}
			return
		}
		switch {
		case ws.Exited() || ws.Signaled():
			t.exited(tid, ws)
		case ws.Stopped():
			t.stopped(tid, ws)
		}
		// An exec that ended freed its scratch slot for one waiting.
		t.m.serveSlotWaiters()
	}
}

func (t *tracer) exited(tid int, ws unix.WaitStatus) {
	debugf("exited %d: %#x", tid, uint32(ws))
	stopExitedThread.Inc()
	t.m.execs.forget(tid)
	t.siblingGone(tid)
	delete(t.heldBy, tid)
	t.m.interrupted.Delete(tid)
	t.m.threadGone(tid)
	t.release(tid)
	delete(t.started, tid)
	t.k.Exit(tid)
	if tid == t.mainPID && !t.mainDone {
		Mark("program exited")
		t.mainDone = true
		t.mainStatus = ws
		t.m.mainExited(ws)
	}
}

// resume lets a stopped thread go on, delivering sig. A thread in the
// middle of an exec dance keeps its syscall-exit stops.
func (t *tracer) resume(tid, sig int) {
	if s := t.m.execs.get(tid); s != nil && s.stage != stageFinal {
		unix.PtraceSyscall(tid, sig)
		return
	}
	unix.PtraceCont(tid, sig)
}

func (t *tracer) stopped(tid int, ws unix.WaitStatus) {
	if t.siblingStopped(tid, ws) {
		stopHeld.Inc()
		return
	}
	sig := ws.StopSignal()
	if sig == unix.SIGTRAP|0x80 {
		stopSyscallExit.Inc()
		t.m.syscallExitStop(t, tid)
		return
	}
	event := int(ws>>16) & 0xff
	switch event {
	case unix.PTRACE_EVENT_STOP:
		if !t.started[tid] {
			// A new thread's first stop.
			stopNewThread.Inc()
			if t.k.Task(tid) == nil {
				t.orphans[tid] = true
				return
			}
			t.started[tid] = true
			t.resume(tid, 0)
			return
		}
		switch sig {
		case unix.SIGSTOP, unix.SIGTSTP, unix.SIGTTIN, unix.SIGTTOU:
			// Group stop: stay stopped until SIGCONT, as job control wants;
			// the main program's stops vkernel too (jobctl.go).
			stopGroup.Inc()
			unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_LISTEN, uintptr(tid), 0, 0, 0, 0)
			if tid == t.mainPID && !t.mainDone {
				if pgid, err := unix.Getpgid(tid); err == nil && pgid == tid {
					t.m.jobStopped(pgid, sig)
				}
			}
		default:
			stopOther.Inc()
			t.resume(tid, 0)
		}
	case unix.PTRACE_EVENT_FORK, unix.PTRACE_EVENT_VFORK, unix.PTRACE_EVENT_CLONE:
		countForkEvent(event)
		t.forked(tid, event)
	case unix.PTRACE_EVENT_EXEC:
		stopExec.Inc()
		Mark("exec event")
		t.m.execEvent(t, tid)
	case unix.PTRACE_EVENT_SECCOMP:
		stopSeccomp.Inc()
		t.m.execStop(t, tid)
	case 0:
		// Signal-delivery stop.
		stopSignal.Inc()
		t.resume(tid, t.signalStop(tid, sig))
	default:
		stopOther.Inc()
		t.resume(tid, 0)
	}
}

// signalStop prepares thread tid's signal-delivery stop for sig and
// returns the signal to deliver: a served call the signal interrupted is
// restarted (restart.go), unless the sentry interrupted the call for a
// signal (blocked.go): its -ERESTARTSYS is the kernel's to resolve, as the
// handler's flags say, at whichever stop delivers a signal (an ignored
// one's stop comes and goes first). The sentry's own mark is not
// delivered.
func (t *tracer) signalStop(tid int, sig unix.Signal) int {
	if t.m.isMark(tid, sig) {
		return 0
	}
	if _, ok := t.m.interrupted.Load(tid); ok {
		var regs unix.PtraceRegs
		if unix.PtraceGetRegs(tid, &regs) == nil && int64(regs.Rax) == -errRestartSys {
			return int(sig)
		}
		// The kernel has resolved it: the call failed or restarts.
		t.m.interrupted.Delete(tid)
	}
	restartServed(tid)
	return int(sig)
}

// forked registers the thread a fork, vfork or clone event announces.
func (t *tracer) forked(tid, event int) {
	defer t.resume(tid, 0)
	msg, err := unix.PtraceGetEventMsg(tid)
	if err != nil {
		return
	}
	child := int(msg)
	parent := t.k.Task(tid)
	if parent == nil {
		return
	}
	var flags uint64
	switch event {
	case unix.PTRACE_EVENT_VFORK:
		flags = unix.CLONE_VM | unix.CLONE_VFORK
	case unix.PTRACE_EVENT_CLONE, unix.PTRACE_EVENT_FORK:
		// A clone with SIGCHLD for exit signal is reported as a fork:
		// its flags (CLONE_FS, CLONE_FILES) are the call's all the same.
		var regs unix.PtraceRegs
		if err := unix.PtraceGetRegs(tid, &regs); err == nil && regs.Orig_rax == unix.SYS_CLONE {
			flags = regs.Rdi
		}
	}
	if t.k.Task(child) == nil {
		t.k.Fork(parent, child, flags)
	}
	if t.orphans[child] {
		delete(t.orphans, child)
		t.started[child] = true
		t.resume(child, 0)
	}
}
