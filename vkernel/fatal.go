package vkernel

import (
	"bytes"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// A served call the sentry blocks in (opening a fifo with no peer,
// connecting) leaves the guest thread in the notification's killable wait,
// and a traced thread's fatal signal does not end that wait as it ends
// Linux's interruptible one: Ctrl-C, a `timeout`'s SIGTERM or an alarm
// would leave `cat fifo` hanging. So while such a call is served, a
// watcher looks at the thread every fatalPoll: when a signal is pending
// that would end the process (not blocked, caught or ignored; default
// action terminate or core), the call is answered EINTR at once and the
// signal ends the process on its way out, as on Linux. The sentry's
// blocked work is abandoned (what it completes later is dropped). A caught
// signal does not interrupt: its handler's SA_RESTART is not known here.

// fatalPoll is how often a blocked call's thread is looked at.
const fatalPoll = 50 * time.Millisecond

// defaultFatal are the signals whose default action ends the process.
var defaultFatal = func() uint64 {
	var m uint64
	for _, s := range []unix.Signal{unix.SIGHUP, unix.SIGINT, unix.SIGQUIT, unix.SIGILL, unix.SIGTRAP,
		unix.SIGABRT, unix.SIGBUS, unix.SIGFPE, unix.SIGUSR1, unix.SIGSEGV, unix.SIGUSR2, unix.SIGPIPE,
		unix.SIGALRM, unix.SIGTERM, unix.SIGSTKFLT, unix.SIGXCPU, unix.SIGXFSZ, unix.SIGVTALRM,
		unix.SIGPROF, unix.SIGIO, unix.SIGPWR, unix.SIGSYS} {
		m |= 1 << (s - 1)
	}
	for s := 32; s <= 64; s++ { // real-time signals terminate too
		m |= 1 << (s - 1)
	}
	return m
}()

// fatalPending reports whether thread tid has a signal pending that will
// end its process.
func fatalPending(tid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(tid) + "/status")
	if err != nil {
		return false
	}
	field := func(name string) uint64 {
		i := bytes.Index(b, []byte("\n"+name+":\t"))
		if i < 0 {
			return 0
		}
		rest := b[i+len(name)+3:]
		if j := bytes.IndexByte(rest, '\n'); j >= 0 {
			rest = rest[:j]
		}
		v, _ := strconv.ParseUint(string(rest), 16, 64)
		return v
	}
	pending := (field("SigPnd") | field("ShdPnd")) &^ field("SigBlk") &^ field("SigIgn") &^ field("SigCgt")
	return pending&defaultFatal != 0
}

// fatalWatch watches one served call's thread.
type fatalWatch struct {
	m   *Machine
	tid int
	id  uint64
	// answered is set by whoever answers the notification first.
	answered atomic.Bool
	mu       sync.Mutex
	// t and done are protected by mu.
	t    *time.Timer
	done bool
}

// watchFatal starts watching thread tid while notification id is served.
// The returned stop ends the watch and reports whether the watcher
// answered the notification itself (then the caller must not).
func (m *Machine) watchFatal(tid int, id uint64) (stop func() (answered bool)) {
	w := &fatalWatch{m: m, tid: tid, id: id}
	w.mu.Lock()
	w.t = time.AfterFunc(fatalPoll, w.check)
	w.mu.Unlock()
	return func() bool {
		w.mu.Lock()
		w.done = true
		w.t.Stop()
		w.mu.Unlock()
		return !w.answered.CompareAndSwap(false, true)
	}
}

func (w *fatalWatch) check() {
	if fatalPending(w.tid) {
		if w.answered.CompareAndSwap(false, true) {
			w.m.l.send(w.id, 0, unix.EINTR, false)
		}
		return
	}
	w.mu.Lock()
	if !w.done {
		w.t.Reset(fatalPoll)
	}
	w.mu.Unlock()
}
