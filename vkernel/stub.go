package vkernel

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/abi/linux"
)

// controlFD is the descriptor number of the sentry's control socket in the
// init and the stub.
const controlFD = 3

// Messages on the control socket.
const (
	msgHello = "hello" // stub → sentry, with SCM_CREDENTIALS: "seize me"
	msgGo    = "go"    // sentry → stub: "you are traced"
	msgReady = "ready" // init → sentry (under run): "my signals are set up"
	// stub → sentry: "listener N": the listener's number in the stub
)

// RunStub is the hidden subcommand the guest's first process runs before it
// becomes the guest program. args are the guest's argv. It must run on the
// process's main thread (cmd/vkernel locks it there): ptrace seizes that
// thread, the filter is installed on it, and it calls execve.
func RunStub(args []string) int {
	runtime.LockOSThread()
	Mark("stub: main")
	// Under vkernel boot the stub is the guest's pid 1, first in its
	// namespaces.
	args, ok := setUpNamespaces(args)
	if !ok {
		fmt.Fprintln(os.Stderr, "vkernel: stub: bad options")
		return 126
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "vkernel: stub: no program")
		return 127
	}
	ctl := controlFD
	if _, err := unix.Write(ctl, []byte(msgHello)); err != nil {
		fmt.Fprintf(os.Stderr, "vkernel: stub: %v\n", err)
		return 126
	}
	// The empty root is made while the sentry admits the stub to the
	// pids cgroup and seizes it: nothing in the handshake depends on the
	// stub's mount tree.
	if err := emptyRoot(); err != nil {
		fmt.Fprintf(os.Stderr, "vkernel: warning: the guest keeps the host's mount tree at the host level: %v\n", err)
	}
	Mark("stub: empty root")
	buf := make([]byte, 16)
	if n, err := unix.Read(ctl, buf); err != nil || string(buf[:n]) != msgGo {
		fmt.Fprintf(os.Stderr, "vkernel: stub: the sentry did not answer (%v)\n", err)
		return 126
	}
	Mark("stub: traced")
	insns := precompiledFilter
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		fmt.Fprintf(os.Stderr, "vkernel: stub: no_new_privs: %v\n", err)
		return 126
	}
	prog := linux.SockFprog{Len: uint16(len(insns)), Filter: (*linux.BPFInstruction)(unsafe.Pointer(&insns[0]))}
	flags := uintptr(unix.SECCOMP_FILTER_FLAG_NEW_LISTENER | unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
	lfd, _, errno := unix.RawSyscall(unix.SYS_SECCOMP, linux.SECCOMP_SET_MODE_FILTER, flags, uintptr(unsafe.Pointer(&prog)))
	if errno != 0 {
		fmt.Fprintf(os.Stderr, "vkernel: stub: installing the seccomp filter: %v\n", errno)
		return 126
	}
	// From here on, every call but the native ones waits for the sentry.
	// write(2) is native: tell the sentry where the listener is; it takes
	// it with pidfd_getfd. The close that follows is the first call served.
	if _, err := unix.Write(ctl, []byte("listener "+strconv.Itoa(int(lfd)))); err != nil {
		fmt.Fprintf(os.Stderr, "vkernel: stub: %v\n", err)
		return 126
	}
	unix.Close(int(lfd))
	unix.Close(ctl)
	Mark("stub: listener served")
	path := args[0]
	if !strings.Contains(path, "/") {
		// Searched in the guest's PATH: every stat goes to the sentry now.
		if p, err := exec.LookPath(path); err == nil {
			path = p
		} else {
			fmt.Fprintf(os.Stderr, "vkernel: %s: not found in the guest's PATH\n", path)
			return 127
		}
	}
	err := syscall.Exec(path, args, os.Environ())
	// The sentry resolved the program through the guest's VFS and refused.
	code := 126
	if err == syscall.ENOENT {
		code = 127
	}
	fmt.Fprintf(os.Stderr, "vkernel: %s: %v in the guest\n", args[0], err)
	return code
}

// emptyRoot gives the guest's processes, at the host level, a mount
// namespace whose root is an empty read-only tmpfs, before the filter is
// installed. Every path a guest names is served by the sentry in vkernel's
// own namespace, so the guest's host-level tree is never used; if a call
// ever resolved a path natively (a race the sentry's checks missed, a call
// the filter let through), it would find nothing there.
func emptyRoot() error {
	if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
		return fmt.Errorf("unshare: %w", err)
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making mounts private: %w", err)
	}
	const dir = "/tmp"
	if err := unix.Mount("vkernel-empty", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=4k,mode=0555"); err != nil {
		return fmt.Errorf("mounting the empty root: %w", err)
	}
	if err := unix.Chdir(dir); err != nil {
		return err
	}
	// pivot_root(".", ".") stacks the old root over the new one; the lazy
	// unmount then takes it out of this namespace for good.
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root: %w", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detaching the host's tree: %w", err)
	}
	if err := unix.Mount("", "/", "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("remounting the empty root read-only: %w", err)
	}
	return unix.Chdir("/")
}
