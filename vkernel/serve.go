package vkernel

import (
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/abi/linux"

	"vkernel/sentry"
	"vkernel/stats"
)

// Without the network poller (servePolled), the notification servers form
// an elastic pool: a server that takes a notification while no other is
// idle starts another, so a call that blocks in the sentry (opening a
// fifo, connecting a socket) never stalls the others; servers beyond
// maxIdle idle ones leave.
const (
	minServers = 2
	maxServers = 256
	maxIdle    = 4
)

// pool counts the notification servers.
type pool struct {
	idle  atomic.Int32
	total atomic.Int32
}

func (m *Machine) startServers() {
	for range minServers {
		m.pool.total.Add(1)
		m.pool.idle.Add(1)
		go m.serve()
	}
}

// serve receives and answers notifications until the listener goes away.
func (m *Machine) serve() {
	var n linux.SeccompNotif
	for {
		if err := m.l.recv(&n); err != nil {
			if err == unix.ENOENT || err == unix.EINTR {
				continue
			}
			m.pool.idle.Add(-1)
			m.pool.total.Add(-1)
			return
		}
		if m.pool.idle.Add(-1) == 0 && m.pool.total.Load() < maxServers {
			m.pool.total.Add(1)
			m.pool.idle.Add(1)
			go m.serve()
		}
		m.handle(&n, servedCalls.Start(), nil)
		if m.pool.idle.Load() >= maxIdle && m.pool.total.Load() > minServers {
			m.pool.total.Add(-1)
			return
		}
		m.pool.idle.Add(1)
	}
}

// handle answers one notification, received at t0 (servedCalls.Start).
// An open is served on the calling goroutine until the sentry says it may
// block (blockedCall.Block), which then calls handoff, if not nil, for
// another goroutine to receive notifications meanwhile; handle reports
// whether it did.
func (m *Machine) handle(n *linux.SeccompNotif, t0 int64, handoff func()) (handedOff bool) {
	tid := int(n.Pid)
	debugf("notif %d nr %d", tid, n.Data.Nr)
	if n.Data.Nr == sysExecMarker {
		m.execMarker(tid, n.ID)
		servedCalls.Done(execMarkerRow, t0, stats.Answered)
		return false
	}
	task := m.kernel.Task(tid)
	for i := 0; task == nil && i < 200; i++ {
		// The tracer registers a new thread before resuming it, so this
		// is a thread that died meanwhile; wait a little all the same.
		time.Sleep(time.Millisecond)
		task = m.kernel.Task(tid)
	}
	if task == nil {
		m.l.send(n.ID, 0, unix.ESRCH, false)
		servedCalls.Done(callRow(n.Data.Nr), t0, stats.Failed)
		return false
	}
	// A call interrupted for a signal that a sibling took was restarted.
	m.interrupted.Delete(tid)
	fds := &notifFDs{l: m.l, id: n.ID, tid: tid}
	c := &sentry.Call{
		Task: task,
		Nr:   uintptr(n.Data.Nr),
		Args: n.Data.Args,
		Mem:  &guestMemory{tid: tid, l: m.l, id: n.ID},
		FDs:  fds,
	}
	if !mayBlock[n.Data.Nr] {
		r := m.kernel.Handle(c)
		m.l.send(n.ID, r.Val, r.Errno, r.Continue)
		if t0 != 0 {
			servedCalls.Done(callRow(n.Data.Nr), t0, outcome(r))
		}
		return false
	}
	var w *blockedCall
	if interruptible[n.Data.Nr] {
		// The open family: watched only once the open may block.
		w = m.lazyBlocked(tid, n.ID, true, handoff)
	} else {
		w = m.watchBlocked(tid, n.ID, false)
	}
	fds.w = w
	c.Interrupt = w
	r := m.kernel.Handle(c)
	w.finish(r)
	if t0 != 0 {
		servedCalls.Done(callRow(n.Data.Nr), t0, outcome(r))
	}
	return w.handedOff
}

// notifFDs moves descriptors in and out of the caller of one notification.
type notifFDs struct {
	l   *listener
	id  uint64
	tid int
	// w watches a call that may block: a descriptor is not installed once
	// its watcher has answered the call.
	w *blockedCall
}

// Install places hostFD in the guest (SECCOMP_IOCTL_NOTIF_ADDFD).
func (f *notifFDs) Install(hostFD, at int, cloexec bool) (int, error) {
	if f.w != nil && !f.w.commit() {
		return -1, unix.EINTR
	}
	return f.l.addfd(f.id, hostFD, at, cloexec)
}

// pidfdThread is PIDFD_THREAD: a pidfd for a thread, not only a leader.
const pidfdThread = unix.O_EXCL

// Fetch duplicates the guest's descriptor guestFD into the sentry.
func (f *notifFDs) Fetch(guestFD int) (int, error) {
	pfd, err := unix.PidfdOpen(f.tid, pidfdThread)
	if err != nil {
		return -1, err
	}
	defer unix.Close(pfd)
	fd, err := unix.PidfdGetfd(pfd, guestFD, 0)
	if err != nil {
		if err == unix.EBADF {
			return -1, unix.EBADF
		}
		return -1, err
	}
	return fd, nil
}
