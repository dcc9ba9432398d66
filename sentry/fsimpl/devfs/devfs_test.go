package devfs

import (
	"testing"

	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

func TestFilesystem(t *testing.T) {
	fs := New(nil)
	for _, c := range []struct{ got, want string }{
		{fs.Type(), "devfs"},
		{fs.Source(), "devfs"},
		{fs.Options(), "mode=755"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	if sf, err := fs.Root().Statfs(); err != nil || sf.Type != unix.TMPFS_MAGIC {
		t.Errorf("Statfs = %x, %v; want TMPFS_MAGIC", sf.Type, err)
	}
}

func lookup(t *testing.T, d vfs.Vnode, name string) vfs.Vnode {
	t.Helper()
	v, err := d.Lookup(name)
	if err != nil {
		t.Fatalf("Lookup(%q) = %v", name, err)
	}
	t.Cleanup(v.Release)
	return v
}

func TestDevices(t *testing.T) {
	root := New(nil).Root()
	for _, c := range []struct {
		name  string
		rdev  uint64
		write bool // a write succeeds
	}{
		{"null", unix.Mkdev(1, 3), true},
		{"zero", unix.Mkdev(1, 5), true},
		{"full", unix.Mkdev(1, 7), false},
		{"urandom", unix.Mkdev(1, 9), true},
	} {
		v := lookup(t, root, c.name)
		a, err := v.Getattr()
		var st unix.Stat_t
		if unix.Stat("/dev/"+c.name, &st) != nil {
			t.Fatalf("host /dev/%s missing", c.name)
		}
		if err != nil || a.Rdev != c.rdev || a.Mode != st.Mode || a.UID != st.Uid || a.Mtime != st.Mtim {
			t.Errorf("%s attr rdev %x mode %o uid %d mtime %v, %v; want rdev %x mode %o uid %d mtime %v",
				c.name, a.Rdev, a.Mode, a.UID, a.Mtime, err, c.rdev, st.Mode, st.Uid, st.Mtim)
		}
		f, err := v.Open(unix.O_RDWR)
		if err != nil {
			t.Errorf("Open(%s) = %v", c.name, err)
			continue
		}
		_, werr := unix.Write(f.HostFD(), []byte("x"))
		if got := werr == nil; got != c.write {
			t.Errorf("write %s = %v, want success %v", c.name, werr, c.write)
		}
		var fst unix.Stat_t
		unix.Fstat(f.HostFD(), &fst)
		if fst.Rdev != c.rdev {
			t.Errorf("%s opened rdev %x, want %x", c.name, fst.Rdev, c.rdev)
		}
		f.Close()
	}
}

func TestTree(t *testing.T) {
	root := New(nil).Root()
	for _, c := range []struct{ name, target string }{
		{"stdin", "/proc/self/fd/0"},
		{"stdout", "/proc/self/fd/1"},
		{"stderr", "/proc/self/fd/2"},
		{"fd", "/proc/self/fd"},
	} {
		if got, err := lookup(t, root, c.name).Readlink(); got != c.target || err != nil {
			t.Errorf("Readlink(%s) = %q, %v; want %q", c.name, got, err, c.target)
		}
	}
	for _, c := range []struct {
		name string
		mode uint32
	}{{"shm", unix.S_IFDIR | 0o1777}, {"pts", unix.S_IFDIR | 0o755}} {
		v := lookup(t, root, c.name)
		if a, _ := v.Getattr(); a.Mode != c.mode {
			t.Errorf("%s mode %o, want %o", c.name, a.Mode, c.mode)
		}
		if ents, _ := v.Readdir(); len(ents) != 2 {
			t.Errorf("%s has %d entries, want . and ..", c.name, len(ents))
		}
	}
	if a, _ := root.Getattr(); a.Mode != unix.S_IFDIR|0o755 {
		t.Errorf("root mode %o, want %o", a.Mode, unix.S_IFDIR|0o755)
	}
	// Changing a device node's mode never touches the host's.
	var before unix.Stat_t
	unix.Stat("/dev/null", &before)
	null := lookup(t, root, "null")
	if err := null.Setattr(&vfs.SetAttr{Mask: vfs.SetMode, Mode: 0o600}); err != nil {
		t.Fatal(err)
	}
	var after unix.Stat_t
	unix.Stat("/dev/null", &after)
	if a, _ := null.Getattr(); a.Mode != unix.S_IFCHR|0o600 || after.Mode != before.Mode {
		t.Errorf("chmod devfs null: mode %o, host %o (was %o)", a.Mode, after.Mode, before.Mode)
	}
}
