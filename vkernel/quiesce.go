package vkernel

import (
	"golang.org/x/sys/unix"
)

// Before a rewritten execveat runs, every other thread of the process is
// stopped: the call reads its path ("") and arrays from guest memory, and a
// sibling thread could otherwise turn "" into a host path between the
// sentry's check and the kernel's read. The siblings stay stopped until the
// exec has happened (the kernel then kills them) or failed.

// quiescence is one exec's stopped siblings. Tracer thread only.
type quiescence struct {
	// waiting are siblings interrupted but not yet seen stopped.
	waiting map[int]bool
	// held are stopped siblings and the signal to deliver when they go on.
	held map[int]int
}

// quiesce interrupts tid's sibling threads and resumes tid once they are
// all stopped.
func (t *tracer) quiesce(tid int) {
	task := t.k.Task(tid)
	q := &quiescence{waiting: map[int]bool{}, held: map[int]int{}}
	if task != nil {
		for _, th := range task.TG.Threads() {
			if th.TID != tid && unix.PtraceInterrupt(th.TID) == nil {
				q.waiting[th.TID] = true
				t.heldBy[th.TID] = tid
			}
		}
	}
	t.quiesced[tid] = q
	if len(q.waiting) == 0 {
		t.resume(tid, 0)
	}
}

// siblingStopped handles a stop of a thread being quiesced; it reports
// false when the stop is not one to hold (an event the tracer must serve).
func (t *tracer) siblingStopped(tid int, ws unix.WaitStatus) bool {
	execTID, ok := t.heldBy[tid]
	if !ok {
		return false
	}
	q := t.quiesced[execTID]
	if q == nil {
		delete(t.heldBy, tid)
		return false
	}
	sig := ws.StopSignal()
	event := int(ws>>16) & 0xff
	switch {
	case event == unix.PTRACE_EVENT_STOP, sig == unix.SIGTRAP|0x80:
		q.held[tid] = 0
	case event == 0:
		q.held[tid] = int(sig)
	default:
		return false
	}
	t.siblingGone(tid)
	return true
}

// siblingGone takes tid off its exec's waiting list (it stopped or died)
// and lets the exec go on when none is left.
func (t *tracer) siblingGone(tid int) {
	execTID, ok := t.heldBy[tid]
	if !ok {
		return
	}
	q := t.quiesced[execTID]
	if q == nil || !q.waiting[tid] {
		return
	}
	delete(q.waiting, tid)
	if len(q.waiting) == 0 {
		t.resume(execTID, 0)
	}
}

// release lets the siblings held for tid's exec go on.
func (t *tracer) release(tid int) {
	q := t.quiesced[tid]
	if q == nil {
		return
	}
	delete(t.quiesced, tid)
	for sib, sig := range q.held {
		delete(t.heldBy, sib)
		t.resume(sib, sig)
	}
	for sib := range q.waiting {
		delete(t.heldBy, sib)
	}
}
