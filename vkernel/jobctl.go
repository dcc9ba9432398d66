package vkernel

import (
	"os/signal"

	"golang.org/x/sys/unix"
)

// Job control. On a terminal the guest's program leads a process group of
// its own, in the terminal's foreground (init.go), while the shell that
// started vkernel waits for vkernel, its job. When the program stops
// (Ctrl-Z's SIGTSTP, SIGTTIN or SIGTTOU of a background read or write,
// SIGSTOP) the job must stop too, or the shell never gets the terminal
// back: vkernel gives the foreground back to its own group and stops
// itself with the same signal, so the shell reports the job as Linux's
// would. When the shell continues it (fg, bg), vkernel gives the
// foreground to the program's group again if the shell gave it to
// vkernel's, and continues the program's group.

// jobStopped is told, on the tracer's thread, that the guest's main
// program, leader of process group pgid, stopped with sig. It returns once
// vkernel is continued. Off a terminal, or on a terminal of another
// session, it does nothing: there is no shell's job to stop.
func (m *Machine) jobStopped(pgid int, sig unix.Signal) {
	if !onOwnTerminal() {
		return
	}
	fg, err := unix.IoctlGetInt(0, unix.TIOCGPGRP)
	if err != nil {
		return
	}
	if fg == pgid {
		restoreTerminal()
	}
	unix.Kill(unix.Getpid(), sig) // stopped here until the shell's SIGCONT
	if fg, err := unix.IoctlGetInt(0, unix.TIOCGPGRP); err == nil && fg == unix.Getpgrp() {
		signal.Ignore(unix.SIGTTOU)
		unix.IoctlSetPointerInt(0, unix.TIOCSPGRP, pgid)
		signal.Reset(unix.SIGTTOU)
	}
	unix.Kill(-pgid, unix.SIGCONT)
}

// onOwnTerminal reports whether vkernel's stdin is a terminal of its own
// session, the one a shell's job control runs on.
func onOwnTerminal() bool {
	if _, err := unix.IoctlGetTermios(0, unix.TCGETS); err != nil {
		return false
	}
	sid, err := unix.IoctlGetInt(0, unix.TIOCGSID)
	if err != nil {
		return false
	}
	own, err := unix.Getsid(0)
	return err == nil && sid == own
}
