package hostcred

import (
	"os"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Identity is what a host thread takes for a guest's call.
type Identity struct {
	UID, EUID, FSUID uint32
	GID, EGID, FSGID uint32
	Groups           []uint32
	// Caps are the effective capabilities (bit N: capability N).
	Caps uint64
}

// Run calls f on a thread with identity id and returns f's error, or
// EACCES if the identity could not be taken (f did not run: never as root
// for a guest that is not).
func Run(id Identity, f func() error) error {
	if os.Geteuid() != 0 {
		return f()
	}
	errc := make(chan error, 1)
	go func() {
		// Never unlocked: the thread ends with the goroutine.
		runtime.LockOSThread()
		if !take(id) {
			errc <- unix.EACCES
			return
		}
		errc <- f()
	}()
	return <-errc
}

const secbitNoSetuidFixup = 1 << 2

// take gives the calling thread id.
func take(id Identity) bool {
	if _, _, e := unix.RawSyscall6(unix.SYS_PRCTL, unix.PR_SET_SECUREBITS, secbitNoSetuidFixup, 0, 0, 0, 0); e != 0 {
		return false
	}
	var gp unsafe.Pointer
	if len(id.Groups) > 0 {
		gp = unsafe.Pointer(&id.Groups[0])
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETGROUPS, uintptr(len(id.Groups)), uintptr(gp), 0); e != 0 {
		return false
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESGID, uintptr(id.GID), uintptr(id.EGID), ^uintptr(0)); e != 0 {
		return false
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, uintptr(id.UID), uintptr(id.EUID), ^uintptr(0)); e != 0 {
		return false
	}
	unix.RawSyscall(unix.SYS_SETFSGID, uintptr(id.FSGID), 0, 0)
	unix.RawSyscall(unix.SYS_SETFSUID, uintptr(id.FSUID), 0, 0)
	// setfs[ug]id answer the former id, never an error: read them back.
	fsgid, _, _ := unix.RawSyscall(unix.SYS_SETFSGID, ^uintptr(0), 0, 0)
	fsuid, _, _ := unix.RawSyscall(unix.SYS_SETFSUID, ^uintptr(0), 0, 0)
	if uint32(fsgid) != id.FSGID || uint32(fsuid) != id.FSUID {
		return false
	}
	return setEffective(id.Caps)
}

// setEffective makes caps (within the permitted set) the calling thread's
// effective capabilities, and empties its inheritable set.
func setEffective(caps uint64) bool {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if _, _, e := unix.RawSyscall(unix.SYS_CAPGET, uintptr(unsafe.Pointer(&hdr)), uintptr(unsafe.Pointer(&data[0])), 0); e != 0 {
		return false
	}
	permitted := uint64(data[0].Permitted) | uint64(data[1].Permitted)<<32
	caps &= permitted
	data[0].Effective, data[1].Effective = uint32(caps), uint32(caps>>32)
	data[0].Inheritable, data[1].Inheritable = 0, 0
	hdr = unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	_, _, e := unix.RawSyscall(unix.SYS_CAPSET, uintptr(unsafe.Pointer(&hdr)), uintptr(unsafe.Pointer(&data[0])), 0)
	return e == 0
}
