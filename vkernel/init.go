package vkernel

import (
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"

	"vkernel/rootfs"
)

// forwardedSignals are passed from vkernel to the guest's main process.
var forwardedSignals = []os.Signal{unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGWINCH,
	unix.SIGQUIT, unix.SIGUSR1, unix.SIGUSR2, unix.SIGCONT}

// RunInit is the hidden subcommand that is pid 1 of the guest's pid
// namespace in `vkernel run`, as docker's --init: it starts the stub (which
// becomes the guest program), forwards signals to it, reaps orphans, and
// exits with the program's status. args: HOSTNAME ARGV...
func RunInit(args []string) int {
	Mark("init: main")
	args, ok := setUpNamespaces(args)
	if !ok || len(args) < 1 {
		fmt.Fprintln(os.Stderr, "vkernel: init: usage: --hostname NAME [--loopback] -- PROGRAM [ARGS...]")
		return 125
	}
	ctl := os.NewFile(controlFD, "control")
	// The program leads a process group of its own, inside the guest's
	// pid namespace: a kill(0, ...) or a setpriority of its group must
	// reach the guest's processes only, never the host's group vkernel was
	// started in. On a terminal it gets the foreground, so the keyboard's
	// signals reach it and not vkernel.
	_, err := unix.IoctlGetTermios(0, unix.TCGETS)
	plan, err := newStubPlan(args, os.Environ(), err == nil)
	var pid int
	if err == nil {
		pid, err = forkStub(plan)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "vkernel: init: starting the program: %v\n", err)
		return 125
	}
	Mark("init: stub started")
	// The signals are set up while the stub starts; the sentry lets the
	// stub go on (and so the program run) only once the init says so.
	// The forked stub puts every disposition back to the default itself.
	main := pid
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, forwardedSignals...)
	absorbSignals()
	if _, err := unix.Write(controlFD, []byte(msgReady)); err != nil {
		fmt.Fprintf(os.Stderr, "vkernel: init: %v\n", err)
		return 125
	}
	Mark("init: ready")
	ctl.Close()
	go func() {
		for s := range sigs {
			unix.Kill(main, s.(syscall.Signal))
		}
	}()
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, 0, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 125
		}
		if pid == main {
			return ExitCode(ws)
		}
	}
}

// ExitCode turns a wait status into a shell's exit code: the status, or
// 128+N for a death by signal N.
func ExitCode(ws unix.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// Hidden subcommands of the vkernel binary.
const (
	initCommand = "__init"
	stubCommand = "__stub"
)

// Hidden runs a hidden subcommand if args name one; ok is false otherwise.
func Hidden(args []string) (code int, ok bool) {
	if len(args) < 2 {
		return 0, false
	}
	switch args[1] {
	case initCommand:
		return RunInit(args[2:]), true
	case stubCommand:
		return RunStub(args[2:]), true
	case rootfs.TmpfsCommand:
		return rootfs.RunTmpfsHelper(args[2:]), true
	}
	return 0, false
}

// setUpNamespaces reads the options vkernel gives the first process of the
// guest's namespaces (--hostname NAME [--nofile-max N] [--loopback] --),
// sets the UTS namespace's host name, gives back vkernel's descriptor
// limit (nofile.go) and brings the new network namespace's loopback up,
// and returns the rest of args. ok is false for malformed options.
func setUpNamespaces(args []string) (rest []string, ok bool) {
	if len(args) == 0 || args[0] != "--hostname" {
		return args, true
	}
	if len(args) < 2 {
		return nil, false
	}
	if h := args[1]; h != "" {
		unix.Sethostname([]byte(h))
	}
	args = args[2:]
	if len(args) > 1 && args[0] == "--nofile-max" {
		max, err := strconv.ParseUint(args[1], 10, 64)
		if err != nil {
			return nil, false
		}
		restoreNofile(max)
		args = args[2:]
	}
	if len(args) > 0 && args[0] == "--loopback" {
		if err := loopbackUp(); err != nil {
			fmt.Fprintf(os.Stderr, "vkernel: warning: loopback: %v\n", err)
		}
		args = args[1:]
	}
	if len(args) == 0 || args[0] != "--" {
		return nil, false
	}
	return args[1:], true
}

// loopbackUp brings lo up, as a new network namespace has it down.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	ifr.SetUint16(unix.IFF_UP | unix.IFF_LOOPBACK | unix.IFF_RUNNING)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}

// absorbSignals makes the init take every other signal a guest process
// may send it (a guest root may signal it, as Linux's pid 1 of a pid
// namespace takes the signals it has a handler for) and do nothing: the Go
// runtime would otherwise end it, with a stack dump, on SIGSEGV, SIGBUS,
// SIGABRT and the rest, and with it the whole guest. A signal the kernel
// raises for a fault, or SIGIO, is not the guest's to send: the sentry
// refuses vkernel's processes as a descriptor's owner (sentry/sys_fown.go).
//
// Most are ignored (SIG_IGN: one rt_sigaction each). Catching them with
// signal.Notify would cost a round trip with the runtime's signal-mask
// thread per signal, 1.5–4 ms for the 50 of them on a loaded machine. The
// forked stub puts every disposition back to the default (stubfork.go),
// so the program starts with the dispositions it would have otherwise.
// Caught instead (signal.Notify, with no round trip for these) are the
// runtime's synchronous signals (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP,
// SIGSTKFLT, SIGSYS), whose handler signal.Ignore would not replace, and
// the real-time signals it reserves (32–34). SIGURG (goroutine
// preemption) and SIGPROF are left to the runtime, whose handler does
// nothing else with one a process sent.
func absorbSignals() {
	forwarded := map[os.Signal]bool{}
	for _, s := range forwardedSignals {
		forwarded[s] = true
	}
	var ignored, caught []os.Signal
	for n := 1; n <= 64; n++ {
		s := syscall.Signal(n)
		switch {
		case s == unix.SIGKILL || s == unix.SIGSTOP || s == unix.SIGCHLD || forwarded[s]:
		case s == unix.SIGURG || s == unix.SIGPROF:
		case runtimeSignal(s):
			caught = append(caught, s)
		default:
			ignored = append(ignored, s)
		}
	}
	signal.Ignore(ignored...)
	c := make(chan os.Signal, 64)
	signal.Notify(c, caught...)
	go func() {
		for range c {
		}
	}()
}

// runtimeSignal reports whether the Go runtime keeps a handler of its own
// for s that signal.Ignore would not replace: s is caught rather than
// ignored.
func runtimeSignal(s syscall.Signal) bool {
	switch s {
	case unix.SIGSEGV, unix.SIGBUS, unix.SIGFPE, unix.SIGILL, unix.SIGTRAP, unix.SIGSTKFLT, unix.SIGSYS:
		return true
	}
	return s >= 32 && s <= 34
}
