package main

import (
	"fmt"
	"os/exec"
	"syscall"

	"vkernel/tests/harness"
)

// A side is one way of running a program in the rootfs: natively or under
// one sandbox.
type side struct {
	name string
	// command is the host process that runs argv with the rootfs as its root
	// and harness.GuestEnv as its environment.
	command func(rootfs string, argv []string) *exec.Cmd
	// unsound: the side failed a check (checkStat); its failures are
	// reported but do not fail the bench.
	unsound bool
}

// allSides are the sides -sides may name, in the table's order.
var allSides = []string{"native", "vkernel", "proot", "bwrap", "runsc"}

// optional sides are skipped with a note, not an error, when not installed.
var optional = map[string]bool{"runsc": true}

// newSide returns the side called name, or an error when its program is
// missing. bin is the vkernel binary.
func newSide(name, bin string) (*side, error) {
	var prefix func(path, rootfs string) []string
	switch name {
	case "native":
		return &side{name: name, command: nativeCommand}, nil
	case "vkernel":
		return &side{name: name, command: func(rootfs string, argv []string) *exec.Cmd {
			return host(harness.GuestCmd(bin, rootfs, nil, argv))
		}}, nil
	case "proot":
		prefix = func(path, rootfs string) []string {
			return []string{path, "-r", rootfs, "-w", "/"}
		}
	case "bwrap":
		// The namespaces vkernel makes too (pid, IPC, UTS; the mount
		// namespace bwrap always makes), not the network.
		prefix = func(path, rootfs string) []string {
			return []string{path, "--bind", rootfs, "/", "--dev", "/dev", "--proc", "/proc",
				"--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent", "--chdir", "/"}
		}
	case "runsc":
		// runsc do: the rootfs under a tmpfs overlay, no network.
		prefix = func(path, rootfs string) []string {
			return []string{path, "--network=none", "--ignore-cgroups", "do", "-quiet", "-root", rootfs, "-cwd", "/", "--"}
		}
	default:
		return nil, fmt.Errorf("unknown side %q (want some of %v)", name, allSides)
	}
	path, err := exec.LookPath(name)
	if err != nil {
		if optional[name] {
			return nil, fmt.Errorf("%s: not on PATH", name)
		}
		return nil, fmt.Errorf("%s: not on PATH (make bench-deps installs it)", name)
	}
	return &side{name: name, command: func(rootfs string, argv []string) *exec.Cmd {
		return host(append(prefix(path, rootfs), argv...))
	}}, nil
}

// host is a host command run with the guest's environment.
func host(cmd []string) *exec.Cmd {
	c := exec.Command(cmd[0], cmd[1:]...)
	c.Env = harness.GuestEnv
	c.Dir = "/"
	return c
}

// nativeCommand runs argv chrooted into rootfs straight from this process: no
// shell or namespace in between, so the native figure is the program's own.
// It relies on the device nodes debootstrap puts in the rootfs' /dev.
func nativeCommand(rootfs string, argv []string) *exec.Cmd {
	c := exec.Command(argv[0], argv[1:]...)
	c.Path = argv[0] // resolved in the chroot by the kernel, not on the host
	c.Err = nil
	c.Env = harness.GuestEnv
	c.Dir = "/"
	c.SysProcAttr = &syscall.SysProcAttr{Chroot: rootfs}
	return c
}
