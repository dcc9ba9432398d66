package vkernel

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"os"
	"strconv"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"vkernel/sentry"
	"vkernel/sentry/vfs"
)

// A served call the sentry blocks in (opening a fifo with no peer,
// connecting) leaves the guest thread in the notification's killable wait,
// which no signal but SIGKILL ends; on Linux the same wait is
// interruptible. So while such a call is served, a watcher looks at the
// thread every blockedPoll:
//
//   - A signal that will end the process (not blocked, caught or ignored;
//     default action terminate or core) answers the call EINTR at once; the
//     signal ends the process on its way out, as on Linux.
//   - A caught signal, or one that stops the process, interrupts an open
//     while the sentry waits in a fifo's rendezvous (the only wait it can
//     give up, vfs.Interrupt; a slow open of a regular file has done its
//     work and is not interrupted) as Linux's -ERESTARTSYS does. The
//     sentry cannot see the handler's SA_RESTART, so it leaves that choice
//     to the kernel: it queues the thread a mark, a real-time signal the
//     thread does not block carrying a secret cookie, which makes the
//     thread signal-pending without waking its killable wait; it gives the
//     wait up, and once that is undone the server answers -ERESTARTSYS. On
//     its way out the thread is then sure to pass through the kernel's
//     signal code, which delivers the signal and returns EINTR or restarts
//     the call as the handler's flags say (the tracer leaves that answer
//     alone at the signal-delivery stops: Machine.interrupted), or, when a
//     sibling took a process-wide signal first, restarts the call. The
//     tracer drops the mark at its signal-delivery stop; the guest never
//     sees it. A thread that blocks every real-time signal is not
//     interrupted.
//   - A thread that died in the call has its wait given up.
//
// An answer the sentry would have given after the watcher's is dropped: a
// descriptor it was about to install is not (the watcher and the install
// exclude each other, blockedCall.commit). A caught signal does not
// interrupt a connect or a send: those cannot be taken back once the host
// has them, and a restarted send would send twice.

// blockedPoll is how often a blocked call's thread is looked at.
const blockedPoll = 50 * time.Millisecond

// defaultFatal are the signals whose default action ends the process.
var defaultFatal = func() uint64 {
	var m uint64
	for _, s := range []unix.Signal{unix.SIGHUP, unix.SIGINT, unix.SIGQUIT, unix.SIGILL, unix.SIGTRAP,
		unix.SIGABRT, unix.SIGBUS, unix.SIGFPE, unix.SIGUSR1, unix.SIGSEGV, unix.SIGUSR2, unix.SIGPIPE,
		unix.SIGALRM, unix.SIGTERM, unix.SIGSTKFLT, unix.SIGXCPU, unix.SIGXFSZ, unix.SIGVTALRM,
		unix.SIGPROF, unix.SIGIO, unix.SIGPWR, unix.SIGSYS} {
		m |= sigBit(s)
	}
	for s := 32; s <= 64; s++ { // real-time signals terminate too
		m |= sigBit(unix.Signal(s))
	}
	return m
}()

// defaultStop are the signals whose default action stops the process.
var defaultStop = sigBit(unix.SIGSTOP) | sigBit(unix.SIGTSTP) | sigBit(unix.SIGTTIN) | sigBit(unix.SIGTTOU)

func sigBit(s unix.Signal) uint64 { return 1 << (s - 1) }

// threadSignals are a thread's signal masks, from /proc/TID/status.
type threadSignals struct {
	tgid                                      int
	pending, shared, blocked, ignored, caught uint64
}

func readThreadSignals(tid int) (threadSignals, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(tid) + "/status")
	if err != nil {
		return threadSignals{}, false
	}
	field := func(name string, base int) uint64 {
		i := bytes.Index(b, []byte("\n"+name+":\t"))
		if i < 0 {
			return 0
		}
		rest := b[i+len(name)+3:]
		if j := bytes.IndexByte(rest, '\n'); j >= 0 {
			rest = rest[:j]
		}
		v, _ := strconv.ParseUint(string(rest), base, 64)
		return v
	}
	return threadSignals{
		tgid:    int(field("Tgid", 10)),
		pending: field("SigPnd", 16), shared: field("ShdPnd", 16),
		blocked: field("SigBlk", 16), ignored: field("SigIgn", 16), caught: field("SigCgt", 16),
	}, true
}

// deliverable are the pending signals the thread will take.
func (s threadSignals) deliverable() uint64 {
	return (s.pending | s.shared) &^ s.blocked &^ s.ignored
}

// fatal reports a pending signal that will end the process.
func (s threadSignals) fatal() bool {
	return s.deliverable()&^s.caught&defaultFatal != 0
}

// interrupting reports a pending signal that runs a handler or stops the
// process.
func (s threadSignals) interrupting() bool {
	d := s.deliverable()
	return d&s.caught != 0 || d&^s.caught&defaultStop != 0
}

// blockedCall is one served call that may block, and its watcher. It is
// the call's vfs.Interrupt: the sentry brackets a wait it can give up
// with Waiting, and Done is closed when it should.
type blockedCall struct {
	m   *Machine
	tid int
	id  uint64
	// interruptible says a caught or stopping signal may interrupt it.
	interruptible bool
	// cancel is closed when the sentry's work for the call should end.
	cancel chan struct{}

	// handoff, if not nil, moves the receiving of notifications to another
	// goroutine, the call being served on the receiving one (servePolled).
	// Set before the call is served; used, then cleared, by Block.
	handoff func()
	// handedOff says handoff was called: the goroutine serving the call
	// receives no more. Only the serving goroutine uses it.
	handedOff bool

	mu sync.Mutex
	// Protected by mu. t is the watcher's timer, nil until the watch has
	// begun.
	t *time.Timer
	// done: the server has the sentry's answer. answered: the watcher
	// took the answer over (EINTR sent, or restart). restart: the server
	// answers -ERESTARTSYS once the sentry's work has ended. committed:
	// the sentry has begun to give the call an effect the guest sees (a
	// descriptor installed). waiting: the sentry is in a wait it can give
	// up (Waiting).
	done, answered, restart, committed, waiting bool
}

var _ vfs.Interrupt = (*blockedCall)(nil)

// watchBlocked starts watching thread tid while notification id is
// served.
func (m *Machine) watchBlocked(tid int, id uint64, interruptible bool) *blockedCall {
	w := m.lazyBlocked(tid, id, interruptible, nil)
	w.Block()
	return w
}

// lazyBlocked returns the blockedCall of notification id from thread tid,
// not yet watched: the watch begins when the sentry says the call may
// block (Block), which an open of a regular file or a directory never
// does. Until then the call costs no timer and no goroutine.
func (m *Machine) lazyBlocked(tid int, id uint64, interruptible bool, handoff func()) *blockedCall {
	return &blockedCall{m: m, tid: tid, id: id, interruptible: interruptible, cancel: make(chan struct{}),
		handoff: handoff}
}

// Block implements vfs.Interrupt: the call may now wait on another
// process. The receiving of notifications moves to another goroutine (the
// call keeps this one to itself), and the watcher starts.
//
// Preconditions: called by the goroutine serving the call.
func (w *blockedCall) Block() {
	w.mu.Lock()
	if w.t != nil {
		w.mu.Unlock()
		return
	}
	w.t = time.AfterFunc(blockedPoll, w.check)
	w.mu.Unlock()
	w.m.blocked.Store(w.tid, w)
	if w.handoff != nil {
		w.handoff()
		w.handoff = nil
		w.handedOff = true
	}
}

// threadGone ends the wait of a call thread tid was blocked in, if any: the
// tracer saw the thread exit (killed), sooner than a watcher's next look.
func (m *Machine) threadGone(tid int) {
	if w, ok := m.blocked.Load(tid); ok {
		w.(*blockedCall).abandon()
	}
}

// abandon ends the sentry's wait without an answer: nobody waits for one.
func (w *blockedCall) abandon() {
	w.mu.Lock()
	claimed := w.claimLocked()
	w.mu.Unlock()
	if claimed {
		close(w.cancel)
	}
}

// Done implements vfs.Interrupt.
func (w *blockedCall) Done() <-chan struct{} { return w.cancel }

// Waiting implements vfs.Interrupt.
func (w *blockedCall) Waiting(on bool) {
	w.mu.Lock()
	w.waiting = on
	w.mu.Unlock()
}

// finish ends the watch with the sentry's answer r and answers the call,
// unless the watcher has: then nothing, or -ERESTARTSYS when it
// interrupted the call (sent only now, once the sentry's wait is undone,
// so that the restarted call cannot meet what is left of it).
func (w *blockedCall) finish(r sentry.Result) {
	w.mu.Lock()
	w.done = true
	watched := w.t != nil
	if watched {
		w.t.Stop()
	}
	answered, restart := w.answered, w.restart
	w.mu.Unlock()
	if watched {
		w.m.blocked.CompareAndDelete(w.tid, w)
	}
	switch {
	case restart:
		w.m.l.send(w.id, 0, errRestartSys, false)
	case !answered:
		w.m.l.send(w.id, r.Val, r.Errno, r.Continue)
	}
}

// commit is called before the sentry gives the call an effect the guest
// sees; false means the watcher has answered, and the effect must not be
// given.
func (w *blockedCall) commit() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.answered {
		return false
	}
	w.committed = true
	return true
}

// claimLocked takes the answer over from the server, if it can still be.
//
// Preconditions: w.mu is held.
func (w *blockedCall) claimLocked() bool {
	if w.done || w.answered || w.committed {
		return false
	}
	w.answered = true
	return true
}

func (w *blockedCall) check() {
	s, ok := readThreadSignals(w.tid)
	if !ok || !w.m.l.valid(w.id) {
		// The thread is gone (killed, or its process exited): nobody
		// waits for the answer; the sentry's work ends.
		w.abandon()
		return
	}
	switch {
	case s.fatal():
		w.mu.Lock()
		claimed := w.claimLocked()
		w.mu.Unlock()
		if claimed {
			w.m.l.send(w.id, 0, unix.EINTR, false)
			close(w.cancel)
		}
		return
	case w.interruptible && s.interrupting():
		if w.interrupt(s) {
			return
		}
	}
	w.mu.Lock()
	if !w.done && !w.answered {
		w.t.Reset(blockedPoll)
	}
	w.mu.Unlock()
}

// interrupt interrupts the call, if the sentry is in a wait it can give up:
// it queues the thread a mark (so that it passes through the kernel's
// signal code on its way out), and has the server answer -ERESTARTSYS once
// the wait is undone. False means it could not (no wait to give up, every
// real-time signal blocked) and the call goes on.
func (w *blockedCall) interrupt(s threadSignals) bool {
	w.mu.Lock()
	can := w.waiting && !w.done && !w.answered && !w.committed
	w.mu.Unlock()
	if !can || !w.m.mark(s, w.tid) {
		return false
	}
	w.mu.Lock()
	claimed := w.waiting && w.claimLocked()
	if claimed {
		w.restart = true
		w.m.interrupted.Store(w.tid, true)
	}
	w.mu.Unlock()
	if claimed {
		close(w.cancel)
	}
	// Unclaimed, the call completes; the mark is dropped all the same.
	return true
}

// Real-time signals, as the kernel numbers them (glibc keeps 32 and 33
// for itself, which is no matter here: a mark is never delivered).
const (
	sigRTMin = 32
	sigRTMax = 64
)

// siginfo is the kernel's siginfo for SI_QUEUE.
type siginfo struct {
	signo, errno, code, _ int32
	pid, uid              uint32
	value                 uint64
	_                     [96]byte
}

// siQueue is SI_QUEUE, the code of sigqueue(3)'s signals.
const siQueue = -1

func newMarkCookie() uint64 {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("vkernel: no random numbers: " + err.Error())
	}
	return binary.NativeEndian.Uint64(b[:])
}

// mark queues thread tid a real-time signal it does not block, carrying
// the machine's cookie.
func (m *Machine) mark(s threadSignals, tid int) bool {
	for sig := sigRTMax; sig >= sigRTMin; sig-- {
		if s.blocked&sigBit(unix.Signal(sig)) != 0 {
			continue
		}
		info := siginfo{signo: int32(sig), code: siQueue, value: m.markCookie}
		_, _, e := unix.Syscall6(unix.SYS_RT_TGSIGQUEUEINFO, uintptr(s.tgid), uintptr(tid), uintptr(sig),
			uintptr(unsafe.Pointer(&info)), 0, 0)
		return e == 0
	}
	return false
}

// isMark reports whether thread tid's signal-delivery stop for sig is a
// mark (mark).
func (m *Machine) isMark(tid int, sig unix.Signal) bool {
	if sig < sigRTMin {
		return false
	}
	var info siginfo
	_, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_GETSIGINFO, uintptr(tid), 0,
		uintptr(unsafe.Pointer(&info)), 0, 0)
	return e == 0 && info.code == siQueue && info.value == m.markCookie
}
