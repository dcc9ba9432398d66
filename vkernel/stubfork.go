package vkernel

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/abi/linux"
)

// The stub, forked. Under `vkernel run` the init forks the stub and the
// child does the stub's work (stub.go) itself, with raw system calls only,
// instead of executing vkernel's binary again: a Go program's start
// (the exec of a 9 MB binary, the runtime, the package initializers) is
// 2–4 ms on the machines measured, and the child has one thread where a
// Go stub has several, which the exec of the program must stop. Between
// fork and exec a Go process may neither allocate nor grow its stack
// (syscall.forkAndExecInChild has the same rule), so everything the
// child needs is made before the fork (stubPlan), and the child's code is
// one nosplit function that calls nothing but the raw system calls.
// The steps, messages and exit statuses are RunStub's.

// stubPlan is what the forked stub needs, made before the fork.
type stubPlan struct {
	foreground   bool
	hello, goMsg []byte
	// listener is "listener " followed by room for the number.
	listener [32]byte
	prog     linux.SockFprog
	// The empty root's strings (emptyRoot).
	slash, tmp, dot, tmpfs, emptySrc, emptyData *byte
	// path is the program when its name has a slash; else cands are the
	// guest's PATH joined with the name (exec.LookPath's candidates), and
	// candAbs whether each is absolute.
	path    *byte
	cands   []*byte
	candAbs []bool
	argv    []*byte
	envv    []*byte
	// errText holds unix.Errno(i).Error() for each errno i, for the
	// messages, which are written in pieces.
	errText [][]byte
	// Messages.
	name, notFound, inGuest, warnRoot, stubErr           []byte
	noAnswer, nilText, closeParen, noNewPrivs, filterErr []byte
	// emptySteps name emptyRoot's steps, as its errors do.
	emptySteps [8][]byte
	// stat is the child's buffer for the PATH search.
	stat unix.Stat_t
}

// cstrs turns ss into a nil-terminated array of C strings.
func cstrs(ss []string) []*byte {
	out := make([]*byte, len(ss)+1)
	for i, s := range ss {
		out[i], _ = unix.BytePtrFromString(s)
	}
	return out
}

func cstr(s string) *byte {
	p, _ := unix.BytePtrFromString(s)
	return p
}

// newStubPlan prepares the forked stub of args (the guest's argv) with
// environment env, the init's own.
func newStubPlan(args, env []string, foreground bool) (*stubPlan, error) {
	for _, s := range append(append([]string(nil), args...), env...) {
		if strings.IndexByte(s, 0) >= 0 {
			return nil, unix.EINVAL
		}
	}
	insns := precompiledFilter
	p := &stubPlan{
		foreground: foreground,
		hello:      []byte(msgHello), goMsg: make([]byte, 16),
		slash: cstr("/"), tmp: cstr("/tmp"), dot: cstr("."), tmpfs: cstr("tmpfs"),
		emptySrc: cstr("vkernel-empty"), emptyData: cstr("size=4k,mode=0555"),
		argv: cstrs(args), envv: cstrs(env),
		name:     []byte(args[0]),
		notFound: []byte(": not found in the guest's PATH\n"),
		inGuest:  []byte(" in the guest\n"),
		warnRoot: []byte("vkernel: warning: the guest keeps the host's mount tree at the host level: "),
		stubErr:  []byte("vkernel: stub: "),
		noAnswer: []byte("the sentry did not answer ("), nilText: []byte("<nil>"), closeParen: []byte(")\n"),
		noNewPrivs: []byte("no_new_privs: "), filterErr: []byte("installing the seccomp filter: "),
	}
	p.prog = linux.SockFprog{Len: uint16(len(insns)), Filter: (*linux.BPFInstruction)(unsafe.Pointer(&insns[0]))}
	copy(p.listener[:], "listener ")
	for i, s := range []string{"unshare: ", "making mounts private: ", "mounting the empty root: ", "",
		"pivot_root: ", "detaching the host's tree: ", "remounting the empty root read-only: ", ""} {
		p.emptySteps[i] = []byte(s)
	}
	p.errText = make([][]byte, 134)
	for i := range p.errText {
		p.errText[i] = []byte(unix.Errno(i).Error())
	}
	if strings.Contains(args[0], "/") {
		p.path = cstr(args[0])
		return p, nil
	}
	// The stub searched its own environment, which is env.
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		if dir == "" {
			dir = "."
		}
		c := filepath.Join(dir, args[0])
		p.cands = append(p.cands, cstr(c))
		p.candAbs = append(p.candAbs, filepath.IsAbs(c))
	}
	return p, nil
}

// forkStub forks the stub of plan p and returns its pid. The child never
// returns. It runs on the calling goroutine's thread, which must be locked
// to it (the init's main goroutine is).
func forkStub(p *stubPlan) (int, error) {
	syscall.ForkLock.Lock()
	defer syscall.ForkLock.Unlock()
	// Every signal is blocked across the fork: the child must not run a
	// Go handler before it has put the defaults back.
	var all, old unix.Sigset_t
	for i := range all.Val {
		all.Val[i] = ^uint64(0)
	}
	unix.PthreadSigmask(unix.SIG_SETMASK, &all, &old)
	pid := stubChild(p)
	unix.PthreadSigmask(unix.SIG_SETMASK, &old, nil)
	runtime.KeepAlive(p)
	if pid < 0 {
		return 0, unix.Errno(-pid)
	}
	return pid, nil
}

// atFDCWD is AT_FDCWD as a system call argument.
const atFDCWD = ^uintptr(99)

// sigactionT is the kernel's struct sigaction.
type sigactionT struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

// stubChild forks; in the parent it returns the child's pid (or -errno).
// The child does RunStub's work and ends in the program's execve or in
// exit_group.
//
//go:nosplit
//go:norace
//go:nocheckptr
func stubChild(p *stubPlan) int {
	r, _, e := syscall.RawSyscall6(unix.SYS_CLONE, uintptr(unix.SIGCHLD), 0, 0, 0, 0, 0)
	if e != 0 {
		return -int(e)
	}
	if r != 0 {
		return int(r)
	}
	// The child. Its own process group, in the foreground when the
	// terminal is there (with SIGTTOU still blocked, as Go's fork does).
	syscall.RawSyscall(unix.SYS_SETPGID, 0, 0, 0)
	if p.foreground {
		pgrp, _, _ := syscall.RawSyscall(unix.SYS_GETPID, 0, 0, 0)
		pg := int32(pgrp)
		syscall.RawSyscall(unix.SYS_IOCTL, 0, unix.TIOCSPGRP, uintptr(unsafe.Pointer(&pg)))
	}
	// Every signal back to the default, as the Go stub's exec left them:
	// its runtime handled all those the init handles or ignores, and an
	// exec resets a handled signal. 32 and 34, which no Go runtime
	// touches, stay as they are.
	var sa sigactionT
	for sig := uintptr(1); sig <= 64; sig++ {
		if sig == uintptr(unix.SIGKILL) || sig == uintptr(unix.SIGSTOP) || sig == 32 || sig == 34 {
			continue
		}
		syscall.RawSyscall6(unix.SYS_RT_SIGACTION, sig, uintptr(unsafe.Pointer(&sa)), 0, 8, 0, 0)
	}
	var none uint64
	syscall.RawSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, uintptr(unsafe.Pointer(&none)), 0, 8, 0, 0)
	// Only stdio and the control socket go on: the init's own
	// descriptors close on exec, but the listener should be the
	// stub's first free number, and the sentry's table knows stdio only.
	syscall.RawSyscall(unix.SYS_CLOSE_RANGE, controlFD+1, ^uintptr(0), 0)

	if _, _, e := syscall.RawSyscall(unix.SYS_WRITE, controlFD, uintptr(unsafe.Pointer(&p.hello[0])), uintptr(len(p.hello))); e != 0 {
		childFail(p, p.stubErr, nil, e, 126)
	}
	if step, e := childEmptyRoot(p); e != 0 {
		childWrite(p.warnRoot)
		childWrite(p.emptySteps[step])
		childWrite(errText(p, e))
		childWrite(p.notFound[len(p.notFound)-1:])
	}
	n, _, e := syscall.RawSyscall(unix.SYS_READ, controlFD, uintptr(unsafe.Pointer(&p.goMsg[0])), uintptr(len(p.goMsg)))
	if e != 0 || n != 2 || p.goMsg[0] != 'g' || p.goMsg[1] != 'o' {
		childWrite(p.stubErr)
		childWrite(p.noAnswer)
		if e != 0 {
			childWrite(errText(p, e))
		} else {
			childWrite(p.nilText)
		}
		childWrite(p.closeParen)
		childExit(126)
	}
	if _, _, e := syscall.RawSyscall6(unix.SYS_PRCTL, unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0); e != 0 {
		childFail(p, p.stubErr, p.noNewPrivs, e, 126)
	}
	lfd, _, e := syscall.RawSyscall(unix.SYS_SECCOMP, linux.SECCOMP_SET_MODE_FILTER,
		uintptr(unix.SECCOMP_FILTER_FLAG_NEW_LISTENER|unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV), uintptr(unsafe.Pointer(&p.prog)))
	if e != 0 {
		childFail(p, p.stubErr, p.filterErr, e, 126)
	}
	// "listener N", N in decimal.
	l := len("listener ")
	var digits [20]byte
	nd := 0
	for v := lfd; ; v /= 10 {
		digits[nd] = byte('0' + v%10)
		nd++
		if v < 10 {
			break
		}
	}
	for i := 0; i < nd; i++ {
		p.listener[l+i] = digits[nd-1-i]
	}
	if _, _, e := syscall.RawSyscall(unix.SYS_WRITE, controlFD, uintptr(unsafe.Pointer(&p.listener[0])), uintptr(l+nd)); e != 0 {
		childFail(p, p.stubErr, nil, e, 126)
	}
	syscall.RawSyscall(unix.SYS_CLOSE, lfd, 0, 0)
	syscall.RawSyscall(unix.SYS_CLOSE, controlFD, 0, 0)

	path := p.path
	if path == nil {
		// exec.LookPath: the first candidate that is no directory and
		// that faccessat2(X_OK, AT_EACCESS) allows (the mode's x bits
		// where the call is refused); a relative one is not taken.
		for i, c := range p.cands {
			if _, _, e := syscall.RawSyscall6(unix.SYS_NEWFSTATAT, atFDCWD, uintptr(unsafe.Pointer(c)), uintptr(unsafe.Pointer(&p.stat)), 0, 0, 0); e != 0 {
				continue
			}
			if p.stat.Mode&unix.S_IFMT == unix.S_IFDIR {
				continue
			}
			_, _, e := syscall.RawSyscall6(unix.SYS_FACCESSAT2, atFDCWD, uintptr(unsafe.Pointer(c)), unix.X_OK, unix.AT_EACCESS, 0, 0)
			if e == unix.ENOSYS || e == unix.EPERM {
				e = 0
				if p.stat.Mode&0o111 == 0 {
					e = unix.EACCES
				}
			}
			if e != 0 {
				continue
			}
			if p.candAbs[i] {
				path = c
			}
			break
		}
		if path == nil {
			childWrite(p.stubErr[:len("vkernel: ")])
			childWrite(p.name)
			childWrite(p.notFound)
			childExit(127)
		}
	}
	_, _, e = syscall.RawSyscall(unix.SYS_EXECVE, uintptr(unsafe.Pointer(path)),
		uintptr(unsafe.Pointer(&p.argv[0])), uintptr(unsafe.Pointer(&p.envv[0])))
	// The sentry resolved the program through the guest's VFS and refused.
	code := 126
	if e == unix.ENOENT {
		code = 127
	}
	childWrite(p.stubErr[:len("vkernel: ")])
	childWrite(p.name)
	childWrite(p.notFound[:2]) // ": "
	childWrite(errText(p, e))
	childWrite(p.inGuest)
	childExit(code)
	return 0
}

// childEmptyRoot is emptyRoot with raw calls; it returns the failed step
// and its errno.
//
//go:nosplit
//go:norace
//go:nocheckptr
func childEmptyRoot(p *stubPlan) (int, syscall.Errno) {
	if _, _, e := syscall.RawSyscall(unix.SYS_UNSHARE, unix.CLONE_NEWNS, 0, 0); e != 0 {
		return 0, e
	}
	if _, _, e := syscall.RawSyscall6(unix.SYS_MOUNT, 0, uintptr(unsafe.Pointer(p.slash)), 0, unix.MS_REC|unix.MS_PRIVATE, 0, 0); e != 0 {
		return 1, e
	}
	if _, _, e := syscall.RawSyscall6(unix.SYS_MOUNT, uintptr(unsafe.Pointer(p.emptySrc)), uintptr(unsafe.Pointer(p.tmp)), uintptr(unsafe.Pointer(p.tmpfs)),
		unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, uintptr(unsafe.Pointer(p.emptyData)), 0); e != 0 {
		return 2, e
	}
	if _, _, e := syscall.RawSyscall(unix.SYS_CHDIR, uintptr(unsafe.Pointer(p.tmp)), 0, 0); e != 0 {
		return 3, e
	}
	if _, _, e := syscall.RawSyscall(unix.SYS_PIVOT_ROOT, uintptr(unsafe.Pointer(p.dot)), uintptr(unsafe.Pointer(p.dot)), 0); e != 0 {
		return 4, e
	}
	if _, _, e := syscall.RawSyscall(unix.SYS_UMOUNT2, uintptr(unsafe.Pointer(p.dot)), unix.MNT_DETACH, 0); e != 0 {
		return 5, e
	}
	if _, _, e := syscall.RawSyscall6(unix.SYS_MOUNT, 0, uintptr(unsafe.Pointer(p.slash)), 0,
		unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, 0, 0); e != 0 {
		return 6, e
	}
	if _, _, e := syscall.RawSyscall(unix.SYS_CHDIR, uintptr(unsafe.Pointer(p.slash)), 0, 0); e != 0 {
		return 7, e
	}
	return 0, 0
}

//go:nosplit
//go:norace
func errText(p *stubPlan, e syscall.Errno) []byte {
	if int(e) < len(p.errText) {
		return p.errText[e]
	}
	return p.errText[0]
}

//go:nosplit
//go:norace
//go:nocheckptr
func childWrite(b []byte) {
	if len(b) > 0 {
		syscall.RawSyscall(unix.SYS_WRITE, 2, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	}
}

//go:nosplit
//go:norace
func childExit(code int) {
	for {
		syscall.RawSyscall(unix.SYS_EXIT_GROUP, uintptr(code), 0, 0)
	}
}

// childFail writes "vkernel: stub: " what (and the errno's text) and exits.
//
//go:nosplit
//go:norace
func childFail(p *stubPlan, prefix, what []byte, e syscall.Errno, code int) {
	childWrite(prefix)
	childWrite(what)
	if e != 0 {
		childWrite(errText(p, e))
	}
	childWrite(p.notFound[len(p.notFound)-1:])
	childExit(code)
}
