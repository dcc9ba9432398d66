package vkernel

import (
	"testing"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/bpf"
	"gvisor.dev/gvisor/pkg/seccomp"
)

func TestFilterActions(t *testing.T) {
	insns, err := BuildFilter()
	if err != nil {
		t.Fatal(err)
	}
	prog, err := bpf.Compile(insns, false)
	if err != nil {
		t.Fatal(err)
	}
	const (
		allow  = linux.SECCOMP_RET_ALLOW
		notify = linux.SECCOMP_RET_USER_NOTIF
	)
	errno := func(e unix.Errno) uint32 { return uint32(linux.SECCOMP_RET_ERRNO) | uint32(e) }
	for _, tc := range []struct {
		name string
		nr   uintptr
		args [6]uint64
		want uint32
	}{
		{"read is native", unix.SYS_READ, [6]uint64{}, uint32(allow)},
		{"openat is served", unix.SYS_OPENAT, [6]uint64{}, uint32(notify)},
		{"execve is traced", unix.SYS_EXECVE, [6]uint64{}, uint32(linux.SECCOMP_RET_TRACE) | traceExec},
		{"exec marker is served", sysExecMarker, [6]uint64{}, uint32(notify)},
		{"close is served", unix.SYS_CLOSE, [6]uint64{}, uint32(notify)},
		{"fcntl F_GETFL is served", unix.SYS_FCNTL, [6]uint64{3, unix.F_GETFL}, uint32(notify)},
		{"fcntl F_SETFL is native", unix.SYS_FCNTL, [6]uint64{3, unix.F_SETFL}, uint32(allow)},
		{"fcntl F_DUPFD is served", unix.SYS_FCNTL, [6]uint64{3, unix.F_DUPFD}, uint32(notify)},
		{"fcntl F_SETFD is native", unix.SYS_FCNTL, [6]uint64{3, unix.F_SETFD}, uint32(allow)},
		{"fcntl F_DUPFD high bits", unix.SYS_FCNTL, [6]uint64{3, 1<<32 | unix.F_DUPFD}, uint32(notify)},
		{"fcntl F_SETOWN is served", unix.SYS_FCNTL, [6]uint64{3, unix.F_SETOWN}, uint32(notify)},
		{"FIOCLEX native", unix.SYS_IOCTL, [6]uint64{3, 0x5451}, uint32(allow)},
		{"FS_IOC_SETFLAGS served", unix.SYS_IOCTL, [6]uint64{3, 0x40086602}, uint32(notify)},
		{"unknown ioctl served", unix.SYS_IOCTL, [6]uint64{3, 0x6609}, uint32(notify)},
		{"socket ioctl native", unix.SYS_IOCTL, [6]uint64{3, unix.SIOCGIFINDEX}, uint32(allow)},
		{"FIOSETOWN served", unix.SYS_IOCTL, [6]uint64{3, 0x8901}, uint32(notify)},
		{"TIOCSTI refused", unix.SYS_IOCTL, [6]uint64{0, unix.TIOCSTI}, errno(unix.EPERM)},
		{"TIOCSTI high bits refused", unix.SYS_IOCTL, [6]uint64{0, 1<<40 | unix.TIOCSTI}, errno(unix.EPERM)},
		{"TCGETS native", unix.SYS_IOCTL, [6]uint64{0, unix.TCGETS}, uint32(allow)},
		{"io_uring refused", unix.SYS_IO_URING_SETUP, [6]uint64{}, errno(unix.ENOSYS)},
		{"ptrace refused", unix.SYS_PTRACE, [6]uint64{}, errno(unix.EPERM)},
		{"clone of a thread native", unix.SYS_CLONE, [6]uint64{unix.CLONE_VM | unix.CLONE_THREAD}, uint32(allow)},
		{"clone of a namespace served", unix.SYS_CLONE, [6]uint64{unix.CLONE_NEWUSER}, uint32(notify)},
		{"send native", unix.SYS_SENDTO, [6]uint64{3, 0, 0, 0, 0, 0}, uint32(allow)},
		{"sendto an address served", unix.SYS_SENDTO, [6]uint64{3, 0, 0, 0, 0x1000, 16}, uint32(notify)},
		{"unknown served", 1000, [6]uint64{}, uint32(notify)},
		{"getuid served", unix.SYS_GETUID, [6]uint64{}, uint32(notify)},
		{"prctl capbset served", unix.SYS_PRCTL, [6]uint64{24}, uint32(notify)},
		{"prctl set name served", unix.SYS_PRCTL, [6]uint64{unix.PR_SET_NAME}, uint32(notify)},
		{"prctl set pdeathsig native", unix.SYS_PRCTL, [6]uint64{unix.PR_SET_PDEATHSIG}, uint32(allow)},
	} {
		d := linux.SeccompData{Nr: int32(tc.nr), Arch: linux.AUDIT_ARCH_X86_64, Args: tc.args}
		got, err := bpf.Exec[bpf.NativeEndian](prog, seccomp.DataAsBPFInput(&d, make([]byte, d.SizeBytes())))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got != tc.want {
			t.Errorf("%s: got %#x, want %#x", tc.name, got, tc.want)
		}
	}
}
