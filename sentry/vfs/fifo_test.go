package vfs

import (
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// hostFifo is a vnode whose Open opens a host fifo.
type hostFifo struct {
	Vnode
	path string
}

type fdFile int

func (f fdFile) HostFD() int  { return int(f) }
func (f fdFile) Close() error { return unix.Close(int(f)) }

func (h hostFifo) Open(flags int) (FileImpl, error) {
	fd, err := unix.Open(h.path, flags|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return fdFile(fd), nil
}

// testInterrupt is a vfs.Interrupt closed after a while.
type testInterrupt struct{ done chan struct{} }

func (i testInterrupt) Done() <-chan struct{} { return i.done }
func (i testInterrupt) Waiting(bool)          {}
func (i testInterrupt) Block()                {}

// TestOpenFifoCancel: a cancelled blocking open of a fifo ends with EINTR
// and leaves no reader or writer behind; one that meets its peer opens.
func TestOpenFifoCancel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := unix.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	vn := hostFifo{path: path}
	for _, mode := range []int{unix.O_RDONLY, unix.O_WRONLY} {
		cancel := testInterrupt{make(chan struct{})}
		time.AfterFunc(50*time.Millisecond, func() { close(cancel.done) })
		if f, err := openFifo(cancel, vn, mode); err != unix.EINTR {
			t.Fatalf("open(%#x) cancelled = %v, %v; want EINTR", mode, f, err)
		}
		// No reader left: a writer's non-blocking open fails.
		if fd, err := unix.Open(path, unix.O_WRONLY|unix.O_NONBLOCK, 0); err != unix.ENXIO {
			t.Errorf("after cancelling open(%#x): a reader is left (%d, %v)", mode, fd, err)
			unix.Close(fd)
		}
		// No writer left: a non-blocking reader reads end of file.
		r, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK, 0)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := unix.Read(r, make([]byte, 1)); n != 0 || err != nil {
			t.Errorf("after cancelling open(%#x): a writer is left (read %d, %v)", mode, n, err)
		}
		unix.Close(r)
	}
	// A peer before the cancel: the open succeeds.
	cancel := testInterrupt{make(chan struct{})}
	defer close(cancel.done)
	go func() {
		time.Sleep(20 * time.Millisecond)
		if fd, err := unix.Open(path, unix.O_WRONLY, 0); err == nil {
			unix.Close(fd)
		}
	}()
	f, err := openFifo(cancel, vn, unix.O_RDONLY)
	if err != nil {
		t.Fatalf("open with a peer = %v", err)
	}
	f.Close()
}
