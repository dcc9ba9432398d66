package vkernel

// Exec, as the machine carries it out. The host kernel would resolve the
// program, its #! interpreter and its PT_INTERP against the host's root, so
// the sentry resolves them through the guest's VFS (sentry.PrepareExec) and
// the host is made to execute exactly the file the sentry chose, by
// descriptor. Installing that descriptor in the guest needs a seccomp
// notification, and changing the call needs ptrace; the dance is:
//
//  1. execve/execveat hits the filter's RET_TRACE: a ptrace stop (execStop).
//     The sentry plans the exec. The call is renamed sysExecMarker and the
//     thread resumed with PTRACE_SYSCALL.
//  2. The kernel re-runs the filter on the renamed call, which notifies
//     the sentry (execMarker): it installs the program's descriptor in
//     the guest with SECCOMP_IOCTL_NOTIF_ADDFD and answers with its number.
//  3. The syscall-exit stop (syscallExitStop): the call is rewound into
//     an mmap of the exec scratch area (execargs.go), and at its exit
//     stop the registers become execveat(fd, "", argv, envp,
//     AT_EMPTY_PATH), the instruction pointer moved back onto the syscall
//     instruction; once the thread's siblings are stopped, the new argv
//     and envp are written in the scratch area and the thread resumed.
//  4. The execveat hits RET_TRACE again; the sentry lets it run.
//  5. PTRACE_EVENT_EXEC: the sentry records the new image (execEvent). If
//     instead the call fails, the descriptor is closed by the same
//     rewind trick and the guest sees execveat's errno.

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"vkernel/interp"
	"vkernel/sentry"
)

// Stages of an exec in flight.
const (
	stageMarker  = iota // renamed to the marker; waiting for its exit stop
	stageScratch        // mapping the scratch area; waiting for the mmap's exit
	stageFinal          // execveat set up; waiting for its RET_TRACE stop
	stageRunning        // execveat running; a syscall-exit stop means failure
	stageClosing        // closing the program's descriptor after a failure
)

// execState is an exec in flight for one thread.
type execState struct {
	plan  *sentry.ExecPlan
	stage int
	// fd is the program's descriptor number in the guest.
	fd int
	// errno is the failed execveat's error, returned after the close.
	errno unix.Errno
	// slot is the scratch slot the arrays are written in; -1 for none.
	slot int
	// progFD is the guest descriptor of the program a secure exec's loader
	// is given (plan.Prog), -1 for none.
	progFD int
	// claim is the exec's hold on the spot where its interpreter is
	// placed (interp), nil in command mode; placeErr why the placement
	// failed once the program was installed.
	claim    *interp.Claim
	placeErr error
	// handoff orders the state's uses by the tracer and by the server of
	// the marker notification. They never overlap: the server answers the
	// marker before the thread can stop again, and the tracer resumes the
	// thread before it can make the marker call; but that order runs
	// through the host kernel, where Go's memory model cannot see it.
	// Every lookup (execTable.get) acquires it, and the server releases it
	// before it answers (execMarker).
	handoff atomic.Uint64
}

// execTable holds the execs in flight, by host thread id. It is shared by
// the tracer thread and the notification servers.
type execTable struct {
	mu sync.Mutex
	// m, slots and slotWaiters are protected by mu.
	m map[int]*execState
	// interps places the interpreters of dynamic programs.
	interps interp.Placer
	// slots has bit i set while scratch slot i is taken (execargs.go).
	slots uint64
	// slotWaiters are threads stopped at their marker's exit waiting for
	// a free slot, in arrival order.
	slotWaiters []int
}

func (e *execTable) get(tid int) *execState {
	e.mu.Lock()
	s := e.m[tid]
	e.mu.Unlock()
	if s != nil {
		s.handoff.Load()
	}
	return s
}

// put records tid's exec, dropping one it had (a thread that vanished
// mid-exec and whose id came back).
func (e *execTable) put(tid int, s *execState) {
	e.forget(tid)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.m == nil {
		e.m = map[int]*execState{}
	}
	e.m[tid] = s
}

// forget drops tid's exec, its slot and the plan's file.
func (e *execTable) forget(tid int) {
	e.mu.Lock()
	s := e.dropLocked(tid)
	e.mu.Unlock()
	if s != nil {
		s.handoff.Load()
		s.plan.Release()
	}
}

// dropLocked removes tid's exec and frees its slot; the caller releases
// the plan.
//
// Preconditions: e.mu is held.
func (e *execTable) dropLocked(tid int) *execState {
	s := e.m[tid]
	delete(e.m, tid)
	if s != nil {
		e.freeSlotLocked(s)
		e.interps.Release(s.claim)
		s.claim = nil
	}
	e.slotWaiters = slices.DeleteFunc(e.slotWaiters, func(w int) bool { return w == tid })
	return s
}

// rename moves the exec of thread from to id to: a non-leader that
// executed takes over the leader's id. An exec the leader had in flight
// is dropped (the leader is gone; the kernel reports no exit for it).
func (e *execTable) rename(from, to int) {
	e.mu.Lock()
	var dropped *execState
	if s, ok := e.m[from]; ok {
		dropped = e.dropLocked(to)
		delete(e.m, from)
		e.m[to] = s
	}
	e.mu.Unlock()
	if dropped != nil {
		dropped.plan.Release()
	}
}

// execStop handles the filter's RET_TRACE stop (steps 1 and 4).
func (m *Machine) execStop(t *tracer, tid int) {
	if s := m.execs.get(tid); s != nil && s.stage == stageFinal {
		s.stage = stageRunning
		unix.PtraceSyscall(tid, 0)
		return
	}
	var regs unix.PtraceRegs
	if err := unix.PtraceGetRegs(tid, &regs); err != nil {
		t.resume(tid, 0)
		return
	}
	// The decision rests on the call, not on the stop's message: a filter
	// the guest stacked on ours may return RET_TRACE with data of its own
	// (the newest filter's data wins), and an exec must never run natively.
	if regs.Orig_rax != unix.SYS_EXECVE && regs.Orig_rax != unix.SYS_EXECVEAT {
		// A guest filter's RET_TRACE for another call: with no tracer of
		// the guest's own, Linux fails the call with ENOSYS.
		skipSyscall(tid, &regs, unix.ENOSYS)
		return
	}
	task := m.kernel.Task(tid)
	if task == nil {
		skipSyscall(tid, &regs, unix.ESRCH)
		return
	}
	args := [6]uint64{regs.Rdi, regs.Rsi, regs.Rdx, regs.R10, regs.R8, regs.R9}
	fetch := (&notifFDs{tid: tid}).Fetch
	plan, err := m.kernel.PrepareExec(task, &guestMemory{tid: tid}, uintptr(regs.Orig_rax), args, fetch)
	if err != nil {
		m.kernel.TraceExec(task, uintptr(regs.Orig_rax), args, plan, err)
		skipSyscall(tid, &regs, errnoOf(err))
		return
	}
	s := &execState{plan: plan, stage: stageMarker, slot: -1, progFD: -1}
	if plan.Interp != nil {
		// The host executes the program and loads the interpreter placed
		// at its PT_INTERP path; where it cannot be placed, the loader
		// runs in command mode.
		if s.claim = m.execs.interps.Prepare(tid, plan.InterpPath, plan.Interp.HostFD()); s.claim == nil {
			plan.CommandMode()
		}
	}
	if plan.UnreadableExposed(task) {
		m.execs.interps.Release(s.claim)
		plan.Release()
		m.kernel.TraceExec(task, uintptr(regs.Orig_rax), args, nil, unix.EACCES)
		skipSyscall(tid, &regs, unix.EACCES)
		return
	}
	m.execs.put(tid, s)
	regs.Orig_rax = sysExecMarker
	if err := unix.PtraceSetRegs(tid, &regs); err != nil {
		m.execs.forget(tid)
		t.resume(tid, 0)
		return
	}
	unix.PtraceSyscall(tid, 0)
}

// execMarker serves the marker notification (step 2).
func (m *Machine) execMarker(tid int, id uint64) {
	s := m.execs.get(tid)
	debugf("execMarker %d %v", tid, s)
	if s == nil || s.stage != stageMarker {
		m.l.send(id, 0, unix.ENOSYS, false)
		return
	}
	fd, err := m.installProgram(s, id)
	s.handoff.Add(1)
	if err != nil {
		m.l.send(id, 0, errnoOf(err), false)
		return
	}
	m.l.send(id, int64(fd), 0, false)
}

// installProgram installs the descriptors of s's exec in the caller of
// notification id: the loader's of a secure exec, then the program's,
// whose number it returns.
func (m *Machine) installProgram(s *execState, id uint64) (int, error) {
	if s.plan.Prog != nil && (s.plan.Secure || s.plan.ProgByFD) {
		// The loader of a privileged exec opens the program by this
		// descriptor, the file the sentry checked, not by its name; so
		// does the loader of a program whose descriptor closes at exec.
		pfd, err := m.l.addfd(id, s.plan.Prog.HostFD(), -1, false)
		if err != nil {
			return 0, err
		}
		s.progFD = pfd
	}
	return m.l.addfd(id, s.plan.File.HostFD(), -1, true)
}

// syscallExitStop handles the syscall-exit stops of the dance (steps 3, 5).
func (m *Machine) syscallExitStop(t *tracer, tid int) {
	if syscallStopOp(tid) == ptraceSyscallInfoEntry {
		// The entry of a call restarted after a signal: wait for its exit.
		t.resume(tid, 0)
		return
	}
	s := m.execs.get(tid)
	var regs unix.PtraceRegs
	if s == nil || unix.PtraceGetRegs(tid, &regs) != nil {
		t.resume(tid, 0)
		return
	}
	ret := int64(regs.Rax)
	debugf("exit stop %d stage %d ret %d", tid, s.stage, ret)
	if want := expectedCall(s.stage); regs.Orig_rax != want || s.stage == stageScratch && regs.Rdi != scratchBase {
		// A call of the guest's signal handler, not the one we wait for.
		t.resume(tid, 0)
		return
	}
	if ret <= -512 && ret >= -516 {
		// ERESTART*: a signal interrupted the call before the sentry
		// took it; the kernel restarts it after the handler.
		unix.PtraceSyscall(tid, 0)
		return
	}
	switch s.stage {
	case stageMarker:
		if ret < 0 {
			// The descriptor could not be installed; the guest sees why,
			// once the loader's descriptor, if it was, is closed.
			if s.progFD >= 0 {
				s.errno = unix.Errno(-ret)
				fd := s.progFD
				s.progFD = -1
				rewind(tid, &regs, unix.SYS_CLOSE, uint64(fd))
				s.stage = stageClosing
				unix.PtraceSyscall(tid, 0)
				return
			}
			m.execs.forget(tid)
			t.resume(tid, 0)
			return
		}
		s.fd = int(ret)
		if !m.execs.takeSlot(s, tid) {
			// Every slot is in use, or the interpreter's spot holds
			// another file for another exec: the thread waits, stopped
			// here, until an exec ends (serveSlotWaiters). Writing below
			// the stack pointer instead could overwrite a vfork parent.
			return
		}
		if s.placeErr != nil {
			debugf("exec %d: placing the interpreter: %v", tid, s.placeErr)
			m.closeAfterFailure(tid, &regs, s, unix.ENOEXEC)
			return
		}
		injectScratchMmap(tid, &regs)
		s.stage = stageScratch
		unix.PtraceSyscall(tid, 0)
	case stageScratch:
		base := uint64(0)
		if scratchReady(&guestMemory{tid: tid}, ret) {
			base = slotAddr(s.slot)
		}
		m.setUpExecveat(t, tid, &regs, s, base)
	case stageRunning:
		s.errno = unix.Errno(-ret)
		if ret >= 0 {
			s.errno = unix.EIO
		}
		m.closeAfterFailure(tid, &regs, s, s.errno)
	case stageClosing:
		if s.progFD >= 0 {
			// Then the loader's descriptor of the program.
			fd := s.progFD
			s.progFD = -1
			rewind(tid, &regs, unix.SYS_CLOSE, uint64(fd))
			unix.PtraceSyscall(tid, 0)
			return
		}
		regs.Rax = uint64(-int64(s.errno))
		unix.PtraceSetRegs(tid, &regs)
		m.kernel.TraceExec(m.kernel.Task(tid), unix.SYS_EXECVE, [6]uint64{}, s.plan, s.errno)
		m.execs.forget(tid)
		t.release(tid)
		t.resume(tid, 0)
	default:
		t.resume(tid, 0)
	}
}

// setUpExecveat turns the thread, stopped at a syscall exit, into
// execveat(fd, "", argv, envp, AT_EMPTY_PATH) of the planned program, its
// arrays at base (below the stack pointer when 0), and resumes it once its
// siblings are stopped and the arrays written.
func (m *Machine) setUpExecveat(t *tracer, tid int, regs *unix.PtraceRegs, s *execState, base uint64) {
	argv := s.plan.Argv
	if s.progFD >= 0 {
		argv = append([]string(nil), argv...)
		argv[s.plan.ProgArg] = "/proc/self/fd/" + strconv.Itoa(s.progFD)
	}
	a, err := layExecArgs(base, regs.Rsp, argv, s.plan.Envp)
	if err != nil {
		m.closeAfterFailure(tid, regs, s, unix.E2BIG)
		return
	}
	saved := *regs
	regs.Rdi, regs.Rsi, regs.Rdx, regs.R10, regs.R8 = uint64(s.fd), a.empty, a.argv, a.env, unix.AT_EMPTY_PATH
	rewind(tid, regs, unix.SYS_EXECVEAT, regs.Rdi)
	s.stage = stageFinal
	t.quiesce(tid, func() bool {
		// Written only now: no thread of the process can change them
		// before the kernel reads them.
		if err := (&guestMemory{tid: tid}).CopyOut(a.base, a.buf); err != nil {
			t.release(tid)
			m.closeAfterFailure(tid, &saved, s, unix.EFAULT)
			return false
		}
		return true
	})
}

// closeAfterFailure makes the thread, stopped at a syscall exit with regs,
// close the program's descriptor and then see errno.
func (m *Machine) closeAfterFailure(tid int, regs *unix.PtraceRegs, s *execState, errno unix.Errno) {
	s.errno = errno
	rewind(tid, regs, unix.SYS_CLOSE, uint64(s.fd))
	s.stage = stageClosing
	unix.PtraceSyscall(tid, 0)
}

// execEvent handles PTRACE_EVENT_EXEC: the new image runs.
func (m *Machine) execEvent(t *tracer, tid int) {
	if former, err := unix.PtraceGetEventMsg(tid); err == nil && int(former) != tid {
		m.kernel.Retid(int(former), tid)
		m.execs.rename(int(former), tid)
		delete(t.started, int(former))
		if q := t.quiesced[int(former)]; q != nil {
			// The leader the exec'ing thread replaced was one of its held
			// siblings.
			delete(t.quiesced, int(former))
			delete(q.held, tid)
			delete(q.waiting, tid)
			delete(t.heldBy, tid)
			t.quiesced[tid] = q
		}
	}
	if s := m.execs.get(tid); s != nil {
		if !execChecks(tid, s) {
			// Not what was checked (execcheck.go): it never runs.
			debugf("exec %d: the executed file is not the planned one; killed", tid)
			unix.Kill(tid, unix.SIGKILL)
			m.execs.forget(tid)
			t.release(tid)
			t.resume(tid, 0)
			return
		}
		secure := false
		if task := m.kernel.Task(tid); task != nil {
			secure = m.kernel.ExecDone(task, s.plan)
			if s.progFD >= 0 && !s.plan.ProgByFD {
				// The loader's descriptor of the program stays open in
				// the program: the table names it by its guest path.
				s.plan.Prog.IncRef()
				task.FDs().Install(s.progFD, s.plan.Prog)
			}
		}
		fixAuxv(tid, s.plan.ExecFn, secure)
		m.execs.forget(tid)
	}
	t.release(tid)
	t.resume(tid, 0)
}

// rewind makes the thread, stopped at a syscall exit, issue syscall nr
// with first argument a0 when resumed: the instruction pointer goes back
// over the two-byte syscall instruction.
func rewind(tid int, regs *unix.PtraceRegs, nr uint64, a0 uint64) {
	regs.Rax = nr
	regs.Orig_rax = nr
	regs.Rdi = a0
	regs.Rip -= 2
	unix.PtraceSetRegs(tid, regs)
}

// skipSyscall makes a thread at a seccomp stop skip its call and see errno.
func skipSyscall(tid int, regs *unix.PtraceRegs, errno unix.Errno) {
	regs.Orig_rax = ^uint64(0)
	regs.Rax = uint64(-int64(errno))
	unix.PtraceSetRegs(tid, regs)
	unix.PtraceCont(tid, 0)
}

func errnoOf(err error) unix.Errno {
	if e, ok := err.(unix.Errno); ok {
		return e
	}
	return unix.EIO
}

func debugf(format string, args ...any) {
	if debugOn {
		fmt.Fprintf(os.Stderr, "vkernel: debug: "+format+"\n", args...)
	}
}

// PTRACE_GET_SYSCALL_INFO and its answer's op for an entry stop.
const (
	ptraceGetSyscallInfo   = 0x420e
	ptraceSyscallInfoEntry = 1
)

// syscallStopOp tells a syscall-entry stop from a syscall-exit stop.
func syscallStopOp(tid int) byte {
	var info [88]byte
	_, _, e := unix.Syscall6(unix.SYS_PTRACE, ptraceGetSyscallInfo, uintptr(tid), uintptr(len(info)), uintptr(unsafe.Pointer(&info[0])), 0, 0)
	if e != 0 {
		return 0
	}
	return info[0]
}

// expectedCall is the call whose exit a stage waits for.
func expectedCall(stage int) uint64 {
	switch stage {
	case stageMarker:
		return sysExecMarker
	case stageScratch:
		return unix.SYS_MMAP
	case stageRunning:
		return unix.SYS_EXECVEAT
	case stageClosing:
		return unix.SYS_CLOSE
	}
	return ^uint64(0)
}
