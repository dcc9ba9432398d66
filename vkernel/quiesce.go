package vkernel

import (
	"bytes"
	"os"
	"strconv"

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
	// held are stopped siblings and the signal to deliver when they go on
	// (heldSyscallStop: a syscall stop, replayed through syscallExitStop).
	held map[int]int
	// asleep are siblings that were asleep in the kernel when interrupted:
	// they cannot run guest code without first passing through the stop,
	// so the exec does not wait for them (one may be waiting on the very
	// thread that execs).
	asleep map[int]bool
	// ready runs once every sibling is held, before the exec'ing thread
	// goes on; false means it has resumed the thread itself.
	ready func() bool
}

// heldSyscallStop marks a held sibling stopped at a syscall stop.
const heldSyscallStop = -1

// quiesce interrupts tid's sibling threads and, once they are all stopped,
// runs ready and resumes tid.
func (t *tracer) quiesce(tid int, ready func() bool) {
	task := t.k.Task(tid)
	q := &quiescence{waiting: map[int]bool{}, held: map[int]int{}, asleep: map[int]bool{}, ready: ready}
	if task != nil {
		for _, th := range task.TG.Threads() {
			if th.TID() == tid || unix.PtraceInterrupt(th.TID()) != nil {
				continue
			}
			t.heldBy[th.TID()] = tid
			if asleepInKernel(th.TID()) {
				q.asleep[th.TID()] = true
			} else {
				q.waiting[th.TID()] = true
			}
		}
	}
	t.quiesced[tid] = q
	if len(q.waiting) == 0 {
		t.goOn(tid, q)
	}
}

// goOn lets the exec'ing thread tid go on once its siblings are held.
func (t *tracer) goOn(tid int, q *quiescence) {
	if ready := q.ready; ready != nil {
		q.ready = nil
		if !ready() {
			return
		}
	}
	t.resume(tid, 0)
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
	case event == unix.PTRACE_EVENT_STOP:
		q.held[tid] = 0
	case sig == unix.SIGTRAP|0x80:
		// A syscall stop of the sibling's own exec dance, or of a call
		// restarted after a signal: it is handled when the sibling goes
		// on, as it would have been.
		q.held[tid] = heldSyscallStop
	case event == 0:
		q.held[tid] = t.signalStop(tid, sig)
	default:
		return false
	}
	delete(q.asleep, tid)
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
		t.goOn(execTID, q)
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
		if sig == heldSyscallStop {
			t.m.syscallExitStop(t, sib)
			continue
		}
		t.resume(sib, sig)
	}
	for sib := range q.waiting {
		delete(t.heldBy, sib)
	}
	for sib := range q.asleep {
		delete(t.heldBy, sib)
	}
}

// asleepInKernel reports whether thread tid sleeps in the kernel (state S
// or D in /proc/<tid>/stat), or is already stopped.
func asleepInKernel(tid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(tid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the command name, which is in parentheses.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return false
	}
	switch b[i+2] {
	case 'S', 'D', 't', 'T':
		return true
	}
	return false
}
