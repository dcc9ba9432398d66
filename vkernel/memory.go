package vkernel

import (
	"bytes"
	"unsafe"

	"golang.org/x/sys/unix"
)

// guestMemory reads and writes a guest thread's address space with
// process_vm_readv/writev. When it serves a notification, every read is
// followed by a check that the notification is still pending, so that what
// was read belongs to the thread that made the call (its id may otherwise
// have been reused).
type guestMemory struct {
	tid int
	// l and id, when set, name the notification being served.
	l  *listener
	id uint64
}

func (m *guestMemory) checkValid() error {
	if m.l != nil && !m.l.valid(m.id) {
		return unix.ESRCH
	}
	return nil
}

func (m *guestMemory) rw(addr uint64, buf []byte, write bool) (int, error) {
	if len(buf) == 0 {
		return 0, nil
	}
	local := []unix.Iovec{{Base: &buf[0], Len: uint64(len(buf))}}
	remote := []unix.RemoteIovec{{Base: uintptr(addr), Len: len(buf)}}
	if write {
		return unix.ProcessVMWritev(m.tid, local, remote, 0)
	}
	return unix.ProcessVMReadv(m.tid, local, remote, 0)
}

// CopyIn reads len(buf) bytes at addr; EFAULT if any is unmapped.
func (m *guestMemory) CopyIn(addr uint64, buf []byte) error {
	n, err := m.rw(addr, buf, false)
	if err != nil || n != len(buf) {
		return unix.EFAULT
	}
	return m.checkValid()
}

// CopyOut writes buf at addr; EFAULT if any is unmapped or read-only.
func (m *guestMemory) CopyOut(addr uint64, buf []byte) error {
	n, err := m.rw(addr, buf, true)
	if err != nil || n != len(buf) {
		return unix.EFAULT
	}
	return nil
}

// ReadString reads a NUL-terminated string of at most max bytes (the NUL
// excluded). It reads page by page, so a string that ends just before an
// unmapped page is read whole. ENAMETOOLONG if no NUL comes within max.
func (m *guestMemory) ReadString(addr uint64, max int) (string, error) {
	if addr == 0 {
		return "", unix.EFAULT
	}
	const page = 4096
	var out []byte
	// Most strings are short: read 256 bytes first (within the page), then
	// whole pages.
	first := true
	for len(out) <= max {
		chunk := page - int(addr%page)
		if first && chunk > 256 {
			chunk = 256
		}
		first = false
		buf := make([]byte, chunk)
		n, err := m.rw(addr, buf, false)
		if n <= 0 {
			if err == nil {
				err = unix.EFAULT
			}
			return "", unix.EFAULT
		}
		if i := bytes.IndexByte(buf[:n], 0); i >= 0 {
			out = append(out, buf[:i]...)
			if len(out) > max {
				break
			}
			if err := m.checkValid(); err != nil {
				return "", err
			}
			return string(out), nil
		}
		out = append(out, buf[:n]...)
		addr += uint64(n)
	}
	return "", unix.ENAMETOOLONG
}

// readUint64 reads one machine word.
func (m *guestMemory) readUint64(addr uint64) (uint64, error) {
	var v uint64
	b := unsafe.Slice((*byte)(unsafe.Pointer(&v)), 8)
	err := m.CopyIn(addr, b)
	return v, err
}
