package vkernel

import (
	"sync"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/bpf"
	"gvisor.dev/gvisor/pkg/seccomp"
)

// A served call waits for the sentry in two phases: until a server has
// received the notification the wait is interruptible, after it only
// killable. A signal in the first phase makes the call return
// -ERESTARTSYS, which the kernel turns into EINTR when the handler lacks
// SA_RESTART: close, stat, open of a regular file would then fail with an
// errno Linux never gives them (close leaving the descriptor open, which
// hangs a pipeline). At the signal-delivery stop the tracer sees it first,
// and turns it into -ERESTARTNOINTR: the call is made again after the
// handler, whatever its flags, as if the signal had come just before it.
// Calls the host runs natively keep their own restart semantics, and so
// do the served calls the sentry lets the host continue that may block
// there (flock, sendmsg, sendmmsg): their -ERESTARTSYS may be the host's
// own, which must become EINTR as Linux gives it, and the one from the
// wait before the sentry took them is a signal Linux could have
// interrupted them with too. A blocked call the sentry itself answered
// -ERESTARTSYS for a signal (blocked.go) is not touched either.

// Linux's restart codes (include/linux/errno.h).
const (
	errRestartSys    = 512
	errRestartNoIntr = 513
)

var (
	filterOnce sync.Once
	filterProg bpf.Program
	filterErr  error
)

// served reports whether the guest's filter sends call nr with args to
// the sentry.
func served(regs *unix.PtraceRegs) bool {
	filterOnce.Do(func() { filterProg, filterErr = bpf.Compile(precompiledFilter, false) })
	if filterErr != nil {
		return false
	}
	d := linux.SeccompData{
		Nr: int32(regs.Orig_rax), Arch: linux.AUDIT_ARCH_X86_64, InstructionPointer: regs.Rip,
		Args: [6]uint64{regs.Rdi, regs.Rsi, regs.Rdx, regs.R10, regs.R8, regs.R9},
	}
	action, err := bpf.Exec[bpf.NativeEndian](filterProg, seccomp.DataAsBPFInput(&d, make([]byte, d.SizeBytes())))
	return err == nil && action&linux.SECCOMP_RET_ACTION_FULL == uint32(linux.SECCOMP_RET_USER_NOTIF)
}

// restartServed makes a served call that a signal interrupted before the
// sentry took it restart after the signal, rather than fail with EINTR.
func restartServed(tid int) {
	var regs unix.PtraceRegs
	if unix.PtraceGetRegs(tid, &regs) != nil {
		return
	}
	if int64(regs.Rax) != -errRestartSys || int64(regs.Orig_rax) < 0 || !served(&regs) {
		return
	}
	switch regs.Orig_rax {
	case unix.SYS_FLOCK, unix.SYS_SENDMSG, unix.SYS_SENDMMSG:
		return
	}
	noIntr := -int64(errRestartNoIntr)
	regs.Rax = uint64(noIntr)
	unix.PtraceSetRegs(tid, &regs)
}
