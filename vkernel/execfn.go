package vkernel

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// The auxiliary vector entries fixAuxv sets: AT_EXECFN points at the
// executed file's name; AT_SECURE tells the loader and libc that the exec
// was a privileged one.
const (
	atExecfn = 31
	atSecure = 23
)

// fixAuxv makes AT_EXECFN name the program by its guest path exe, and sets
// AT_SECURE for a secure exec. The host executed a descriptor, so the
// kernel wrote "/dev/fd/N" there; and the set-id bits and capabilities
// are the sentry's, so the host's AT_SECURE is 0: without it the loader
// would honour LD_PRELOAD and the like in a set-user-ID program. At the
// exec stop the initial stack (argc, argv, envp, auxv) is copied lower,
// with the guest path after it, and the stack pointer moved to the copy:
// the strings the old block points at stay where they are.
func fixAuxv(tid int, exe string, secure bool) {
	if exe == "" && !secure {
		return
	}
	// A privileged image that would not know it never runs.
	fail := func() {
		if secure {
			unix.Kill(tid, unix.SIGKILL)
		}
	}
	var regs unix.PtraceRegs
	if unix.PtraceGetRegs(tid, &regs) != nil {
		fail()
		return
	}
	mem := &guestMemory{tid: tid}
	const window = 64 << 10
	buf := make([]byte, window)
	n, _ := mem.rw(regs.Rsp, buf, false)
	if n < 8 {
		fail()
		return
	}
	buf = buf[:n]
	word := func(i int) (uint64, bool) {
		if 8*i+8 > len(buf) {
			return 0, false
		}
		return binary.LittleEndian.Uint64(buf[8*i:]), true
	}
	argc, _ := word(0)
	i := 1 + int(argc) + 1 // past argv and its NULL
	for {
		v, ok := word(i)
		if !ok {
			fail()
			return
		}
		i++
		if v == 0 {
			break // end of envp
		}
	}
	execfnSlot, secureSlot := -1, -1
	for {
		typ, ok1 := word(i)
		_, ok2 := word(i + 1)
		if !ok1 || !ok2 {
			fail()
			return
		}
		switch typ {
		case atExecfn:
			execfnSlot = i + 1
		case atSecure:
			secureSlot = i + 1
		}
		i += 2
		if typ == 0 {
			break
		}
	}
	block := append([]byte(nil), buf[:8*i]...)
	str := append([]byte(exe), 0)
	newSP := (regs.Rsp - uint64(len(block)+len(str)) - 16) &^ 15
	if execfnSlot >= 0 && exe != "" {
		binary.LittleEndian.PutUint64(block[8*execfnSlot:], newSP+uint64(len(block)))
	}
	if secure {
		if secureSlot < 0 {
			fail()
			return
		}
		binary.LittleEndian.PutUint64(block[8*secureSlot:], 1)
	}
	if mem.CopyOut(newSP, append(block, str...)) != nil {
		fail()
		return
	}
	regs.Rsp = newSP
	if unix.PtraceSetRegs(tid, &regs) != nil {
		fail()
		return
	}
}
