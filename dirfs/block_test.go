package dirfs

import (
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

// countBlocks is a vfs.Interrupt that counts the opens that said they may
// wait (Block).
type countBlocks struct{ blocks int }

func (*countBlocks) Done() <-chan struct{} { return nil }
func (*countBlocks) Waiting(bool)          {}
func (c *countBlocks) Block()              { c.blocks++ }

// TestOpenBlock: an open calls Interrupt.Block only when it may wait on
// another process (a fifo here), never for a regular file, a directory or
// a memory device; and a regular file opened without O_NONBLOCK does not
// keep the O_NONBLOCK of its first attempt.
func TestOpenBlock(t *testing.T) {
	fs, dir := newTestFS(t, Options{})
	must(t, unix.Mkfifo(filepath.Join(dir, "fifo"), 0o600))
	null := unix.Mknod(filepath.Join(dir, "null"), unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))) == nil
	v := vfs.New()
	top := v.Root(v.NewRootMount(fs, 0))
	for _, tc := range []struct {
		path  string
		flags int
		block int
	}{
		{"/file", unix.O_RDONLY, 0},
		{"/file", unix.O_WRONLY | unix.O_APPEND, 0},
		{"/file", unix.O_RDONLY | unix.O_NONBLOCK, 0},
		{"/sub", unix.O_RDONLY | unix.O_DIRECTORY, 0},
		{"/fifo", unix.O_RDONLY | unix.O_NONBLOCK, 1},
		{"/null", unix.O_WRONLY, 0},
	} {
		if tc.path == "/null" && !null {
			continue // no CAP_MKNOD
		}
		intr := &countBlocks{}
		ctx := &vfs.Context{Root: top, Cwd: top, Cred: vfs.RootCred(), Interrupt: intr}
		f, err := v.Open(ctx, vfs.VirtualDentry{}, tc.path, tc.flags, 0)
		if err != nil {
			t.Fatalf("Open(%s, %#x) = %v", tc.path, tc.flags, err)
		}
		if intr.blocks != tc.block {
			t.Errorf("Open(%s, %#x): Block called %d times, want %d", tc.path, tc.flags, intr.blocks, tc.block)
		}
		got, err := unix.FcntlInt(uintptr(f.HostFD()), unix.F_GETFL, 0)
		if err != nil {
			t.Fatal(err)
		}
		const status = unix.O_ACCMODE | unix.O_APPEND | unix.O_NONBLOCK
		if got&status != tc.flags&status {
			t.Errorf("Open(%s, %#x): F_GETFL = %#x, want %#x", tc.path, tc.flags, got&status, tc.flags&status)
		}
		f.DecRef()
	}
}
