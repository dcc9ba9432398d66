package vkernel

import (
	"golang.org/x/sys/unix"

	"vkernel/sentry"
	"vkernel/stats"
)

// What the machine counts for --stats (package stats): the calls the
// notification servers answer, from receipt to answer, and the tracer's
// ptrace stops.

// callRows is the size of the served-call table: every x86-64 system call
// number, and a last row for the exec marker (exec.go).
const (
	callRows      = 512
	execMarkerRow = callRows - 1
)

var servedCalls = stats.NewCalls("served calls", callRows, func(nr int) string {
	if nr == execMarkerRow {
		return "(exec marker)"
	}
	return sentry.SyscallName(uintptr(nr))
})

// callRow is the row of call number nr.
func callRow(nr int32) int {
	if nr == sysExecMarker {
		return execMarkerRow
	}
	return int(nr)
}

// outcome is how r answers a call, for the served-call table.
func outcome(r sentry.Result) stats.Outcome {
	switch {
	case r.Continue:
		return stats.Continued
	case r.Errno == unix.ENOSYS:
		return stats.NotImplemented
	case r.Errno != 0:
		return stats.Failed
	}
	return stats.Answered
}

// The tracer's stops, by kind.
var (
	ptraceStops      = stats.NewGroup("ptrace stops")
	stopSeccomp      = ptraceStops.Counter("seccomp (execve, execveat)")
	stopExec         = ptraceStops.Counter("exec event")
	stopSyscallExit  = ptraceStops.Counter("syscall exit (exec rewrite)")
	stopFork         = ptraceStops.Counter("fork event")
	stopVfork        = ptraceStops.Counter("vfork event")
	stopClone        = ptraceStops.Counter("clone event")
	stopNewThread    = ptraceStops.Counter("new thread's first stop")
	stopGroup        = ptraceStops.Counter("group stop")
	stopSignal       = ptraceStops.Counter("signal delivery")
	stopHeld         = ptraceStops.Counter("held for a sibling's exec")
	stopOther        = ptraceStops.Counter("other")
	stopExitedThread = ptraceStops.Counter("exits (reaped, not a stop)")
)

// countForkEvent counts a fork, vfork or clone event stop.
func countForkEvent(event int) {
	switch event {
	case unix.PTRACE_EVENT_FORK:
		stopFork.Inc()
	case unix.PTRACE_EVENT_VFORK:
		stopVfork.Inc()
	default:
		stopClone.Inc()
	}
}
