package vkernel

import (
	"bytes"
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// Where the rewritten execveat's argv and envp live. The host kernel reads
// them from the exec'ing thread's memory, so the sentry must write them
// there, somewhere nothing of the guest's lives. Below the stack pointer is
// not such a place: a vfork child (posix_spawn, Go's os/exec) runs on its
// parent's stack in its parent's address space, a thread may have a stack
// of a few KiB, and the arrays can take 2 MiB.
//
// So each address space gets a scratch area of its own, mapped by the
// thread itself: at the marker's exit stop the call is rewound into
// mmap(scratchBase, scratchLen, PROT_READ|PROT_WRITE, MAP_PRIVATE|
// MAP_ANONYMOUS|MAP_NORESERVE|MAP_FIXED_NOREPLACE, -1, 0). A successful
// exec drops it with the old image; after a vfork the area stays in the
// parent, found again (EEXIST, and scratchMagic in its first page) by the
// next exec from that address space. The area holds execSlots slots of
// maxExecArgs bytes; an exec in flight holds one slot for the whole
// vkernel, so that two vfork children of one process, exec'ing at once,
// never share one. Only the pages written are ever backed.
//
// While every slot is taken an exec waits, stopped, for one. If the area
// cannot be had (the address is taken by the guest, the mmap fails under
// RLIMIT_AS), the arrays go below the stack pointer as before.
const (
	scratchBase  = 0x6f5e_0000_0000
	execSlots    = 32
	scratchLen   = 4096 + execSlots*maxExecArgs
	scratchMagic = "vkernel exec scratch\x00"
)

// maxExecArgs bounds argv and envp together, as Linux does with a
// quarter of the default 8 MiB stack limit.
const maxExecArgs = 2 << 20

// redZone is the area below the stack pointer that the x86-64 ABI lets a
// function use without moving the pointer.
const redZone = 128

// slotAddr is the address of scratch slot i.
func slotAddr(i int) uint64 { return scratchBase + 4096 + uint64(i)*maxExecArgs }

// takeSlot gives s, thread tid's exec, a free scratch slot; when none is
// free it queues tid (serveSlotWaiters) and reports false.
func (e *execTable) takeSlot(s *execState, tid int) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.takeSlotLocked(s) {
		return true
	}
	e.slotWaiters = append(e.slotWaiters, tid)
	return false
}

// takeSlotLocked gives s a free scratch slot, if any, once s holds its
// interpreter's spot (interp.Placer.Acquire, taken first: an exec
// holding a slot never waits for a spot). A placement that failed is
// s.placeErr, with a slot given: the exec fails.
//
// Preconditions: e.mu is held.
func (e *execTable) takeSlotLocked(s *execState) bool {
	if s.claim != nil && s.placeErr == nil {
		ok, err := e.interps.Acquire(s.claim)
		if err != nil {
			s.placeErr = err
		} else if !ok {
			return false
		}
	}
	for i := 0; i < execSlots; i++ {
		if e.slots&(1<<i) == 0 {
			e.slots |= 1 << i
			s.slot = i
			return true
		}
	}
	return false
}

// nextWaiter gives the first thread waiting for a slot one, if one is
// free, and returns it; 0 when there is none to serve.
func (e *execTable) nextWaiter() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	for len(e.slotWaiters) > 0 {
		tid := e.slotWaiters[0]
		s := e.m[tid]
		if s == nil || s.stage != stageMarker {
			e.slotWaiters = e.slotWaiters[1:]
			continue
		}
		if !e.takeSlotLocked(s) {
			return 0
		}
		e.slotWaiters = e.slotWaiters[1:]
		return tid
	}
	return 0
}

// serveSlotWaiters lets the threads waiting for a scratch slot go on while
// slots are free. Tracer thread only.
func (m *Machine) serveSlotWaiters() {
	for tid := m.execs.nextWaiter(); tid != 0; tid = m.execs.nextWaiter() {
		var regs unix.PtraceRegs
		if unix.PtraceGetRegs(tid, &regs) != nil {
			m.execs.forget(tid)
			continue
		}
		s := m.execs.get(tid)
		if s != nil && s.placeErr != nil {
			debugf("exec %d: placing the interpreter: %v", tid, s.placeErr)
			m.closeAfterFailure(tid, &regs, s, unix.ENOEXEC)
			continue
		}
		injectScratchMmap(tid, &regs)
		if s != nil {
			s.stage = stageScratch
		}
		unix.PtraceSyscall(tid, 0)
	}
}

// freeSlotLocked returns s's slot.
//
// Preconditions: e.mu is held.
func (e *execTable) freeSlotLocked(s *execState) {
	if s.slot >= 0 {
		e.slots &^= 1 << s.slot
		s.slot = -1
	}
}

// injectScratchMmap makes the thread, stopped at a syscall exit, map the
// scratch area when resumed.
func injectScratchMmap(tid int, regs *unix.PtraceRegs) {
	regs.Rsi = scratchLen
	regs.Rdx = unix.PROT_READ | unix.PROT_WRITE
	regs.R10 = unix.MAP_PRIVATE | unix.MAP_ANONYMOUS | unix.MAP_NORESERVE | unix.MAP_FIXED_NOREPLACE
	regs.R8 = ^uint64(0)
	regs.R9 = 0
	rewind(tid, regs, unix.SYS_MMAP, scratchBase)
}

// scratchReady reports whether the mmap's result ret leaves a scratch area
// at scratchBase: a new one (marked now) or one an earlier exec left.
func scratchReady(mem *guestMemory, ret int64) bool {
	switch {
	case ret == scratchBase:
		return mem.CopyOut(scratchBase, []byte(scratchMagic)) == nil
	case ret == -int64(unix.EEXIST):
		got := make([]byte, len(scratchMagic))
		return mem.CopyIn(scratchBase, got) == nil && bytes.Equal(got, []byte(scratchMagic))
	}
	return false
}

// execArgs is the memory image of an execveat's path ("") and arrays.
type execArgs struct {
	base             uint64 // where buf goes in the guest
	buf              []byte
	empty, argv, env uint64 // the addresses execveat takes
}

// layExecArgs lays out an empty string and the argv and envp arrays: at
// base, or (base 0) below the stack pointer sp.
func layExecArgs(base, sp uint64, argv, envp []string) (*execArgs, error) {
	ptrs := 8 * (len(argv) + 1 + len(envp) + 1)
	strs := 1
	for _, s := range argv {
		strs += len(s) + 1
	}
	for _, s := range envp {
		strs += len(s) + 1
	}
	if ptrs+strs > maxExecArgs {
		return nil, unix.E2BIG
	}
	if base == 0 {
		base = (sp - redZone - uint64(ptrs+strs)) &^ 15
	}
	a := &execArgs{base: base, buf: make([]byte, ptrs+strs)}
	strAt := ptrs
	a.empty = base + uint64(strAt)
	strAt++
	put := func(slot int, s string) {
		binary.LittleEndian.PutUint64(a.buf[8*slot:], base+uint64(strAt))
		copy(a.buf[strAt:], s)
		strAt += len(s) + 1
	}
	for i, s := range argv {
		put(i, s)
	}
	for i, s := range envp {
		put(len(argv)+1+i, s)
	}
	a.argv, a.env = base, base+uint64(8*(len(argv)+1))
	return a, nil
}
