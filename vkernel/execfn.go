package vkernel

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// atExecfn is AT_EXECFN, the auxiliary vector entry that points at the
// executed file's name.
const atExecfn = 31

// fixExecfn makes AT_EXECFN name the program by its guest path. The host
// executed a descriptor, so the kernel wrote "/dev/fd/N" there. At the
// exec stop the initial stack (argc, argv, envp, auxv) is copied lower,
// with the guest path after it, and the stack pointer moved to the copy:
// the strings the old block points at stay where they are.
func fixExecfn(tid int, exe string) {
	if exe == "" {
		return
	}
	var regs unix.PtraceRegs
	if unix.PtraceGetRegs(tid, &regs) != nil {
		return
	}
	mem := &guestMemory{tid: tid}
	const window = 64 << 10
	buf := make([]byte, window)
	n, _ := mem.rw(regs.Rsp, buf, false)
	if n < 8 {
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
			return
		}
		i++
		if v == 0 {
			break // end of envp
		}
	}
	execfnSlot := -1
	for {
		typ, ok1 := word(i)
		_, ok2 := word(i + 1)
		if !ok1 || !ok2 {
			return
		}
		if typ == atExecfn {
			execfnSlot = i + 1
		}
		i += 2
		if typ == 0 {
			break
		}
	}
	if execfnSlot < 0 {
		return
	}
	block := append([]byte(nil), buf[:8*i]...)
	str := append([]byte(exe), 0)
	newSP := (regs.Rsp - uint64(len(block)+len(str)) - 16) &^ 15
	binary.LittleEndian.PutUint64(block[8*execfnSlot:], newSP+uint64(len(block)))
	if mem.CopyOut(newSP, append(block, str...)) != nil {
		return
	}
	regs.Rsp = newSP
	unix.PtraceSetRegs(tid, &regs)
}
