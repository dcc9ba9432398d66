package tmpfs

import (
	"slices"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

var cred = &vfs.Cred{UID: 1000, GID: 1000}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
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

func attr(t *testing.T, v vfs.Vnode) vfs.Attr {
	t.Helper()
	a, err := v.Getattr()
	must(t, err)
	return a
}

func create(t *testing.T, d vfs.Vnode, name string, flags int) (vfs.Vnode, vfs.FileImpl) {
	t.Helper()
	v, f, err := d.Create(name, flags, 0o644, cred)
	if err != nil {
		t.Fatalf("Create(%q) = %v", name, err)
	}
	t.Cleanup(func() { f.Close(); v.Release() })
	return v, f
}

func TestFilesystem(t *testing.T) {
	fs := New(Options{SizeLimit: 1 << 20, UID: 5})
	for _, c := range []struct{ got, want string }{
		{fs.Type(), "tmpfs"},
		{fs.Source(), "tmpfs"},
		{fs.Options(), "size=1024k,uid=5"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	a := attr(t, fs.Root())
	if a.Mode != unix.S_IFDIR|0o1777 || a.UID != 5 || a.Nlink != 2 {
		t.Errorf("root attr mode %o uid %d nlink %d", a.Mode, a.UID, a.Nlink)
	}
	sf, _ := fs.Root().Statfs()
	if sf.Type != unix.TMPFS_MAGIC || sf.Blocks != 256 {
		t.Errorf("Statfs type %x blocks %d, want %x 256", sf.Type, sf.Blocks, unix.TMPFS_MAGIC)
	}
}

func TestRegularFile(t *testing.T) {
	fs := New(Options{})
	root := fs.Root()
	v, f := create(t, root, "f", unix.O_RDWR)
	if _, err := unix.Write(f.HostFD(), []byte("hello")); err != nil {
		t.Fatal(err)
	}
	a := attr(t, v)
	if a.Size != 5 || a.Mode != unix.S_IFREG|0o644 || a.UID != 1000 || a.Nlink != 1 {
		t.Errorf("attr size %d mode %o uid %d nlink %d", a.Size, a.Mode, a.UID, a.Nlink)
	}
	// O_RDONLY is honoured, and each open has its own offset.
	r, err := v.Open(unix.O_RDONLY)
	must(t, err)
	defer r.Close()
	if _, err := unix.Write(r.HostFD(), []byte("x")); err != unix.EBADF {
		t.Errorf("write on O_RDONLY = %v, want EBADF", err)
	}
	buf := make([]byte, 16)
	if n, _ := unix.Read(r.HostFD(), buf); string(buf[:n]) != "hello" {
		t.Errorf("read = %q, want hello", buf[:n])
	}
	// O_APPEND is honoured.
	ap, err := v.Open(unix.O_WRONLY | unix.O_APPEND)
	must(t, err)
	defer ap.Close()
	must(t, errOf(unix.Pwrite(f.HostFD(), []byte("J"), 0)))
	_, err = unix.Write(ap.HostFD(), []byte("!"))
	must(t, err)
	if n, _ := unix.Pread(r.HostFD(), buf, 0); string(buf[:n]) != "Jello!" {
		t.Errorf("after append = %q, want Jello!", buf[:n])
	}
	// Truncate and times.
	mt := unix.Timespec{Sec: 1000, Nsec: 7}
	must(t, v.Setattr(&vfs.SetAttr{Mask: vfs.SetSize | vfs.SetMtime | vfs.SetMode, Size: 2, Mtime: mt, Mode: 0o600}))
	if a := attr(t, v); a.Size != 2 || a.Mtime != mt || a.Mode != unix.S_IFREG|0o600 {
		t.Errorf("after Setattr size %d mtime %v mode %o", a.Size, a.Mtime, a.Mode)
	}
	// A native write moves mtime forward again.
	_, err = unix.Write(f.HostFD(), []byte("z"))
	must(t, err)
	if a := attr(t, v); a.Mtime.Sec <= 1000 {
		t.Errorf("mtime after native write = %v, want now", a.Mtime)
	}
	if _, _, err := root.Create("f", unix.O_RDWR, 0o644, cred); err != unix.EEXIST {
		t.Errorf("Create existing = %v, want EEXIST", err)
	}
	if _, err := v.Open(unix.O_RDONLY | unix.O_DIRECTORY); err != unix.ENOTDIR {
		t.Errorf("Open(file, O_DIRECTORY) = %v, want ENOTDIR", err)
	}
}

func errOf(_ int, err error) error { return err }

func TestNamespace(t *testing.T) {
	fs := New(Options{})
	root := fs.Root()
	must(t, root.Mkdir("d", 0o755, cred))
	must(t, root.Symlink("l", "/target", cred))
	must(t, root.Mknod("p", unix.S_IFIFO|0o644, 0, cred))
	must(t, root.Mknod("s", unix.S_IFSOCK|0o644, 0, cred))
	must(t, root.Mknod("null", unix.S_IFCHR|0o666, unix.Mkdev(1, 3), cred))
	must(t, root.Mknod("mem", unix.S_IFCHR|0o666, unix.Mkdev(1, 1), cred))
	create(t, root, "f", unix.O_RDWR)
	d := lookup(t, root, "d")
	if got := attr(t, root).Nlink; got != 3 {
		t.Errorf("root nlink = %d, want 3", got)
	}
	if l, err := lookup(t, root, "l").Readlink(); l != "/target" || err != nil {
		t.Errorf("Readlink = %q, %v", l, err)
	}
	ents, _ := root.Readdir()
	var names []string
	inos := map[uint64]bool{}
	for _, e := range ents {
		names = append(names, e.Name)
		if e.Name != ".." && inos[e.Ino] {
			t.Errorf("duplicate ino %d", e.Ino)
		}
		inos[e.Ino] = true
	}
	if want := []string{".", "..", "d", "f", "l", "mem", "null", "p", "s"}; !slices.Equal(names, want) {
		t.Errorf("Readdir = %v, want %v", names, want)
	}
	for _, c := range []struct {
		op   string
		do   func() error
		want error
	}{
		{"mkdir existing", func() error { return root.Mkdir("d", 0o755, cred) }, unix.EEXIST},
		{"mknod dir", func() error { return root.Mknod("x", unix.S_IFDIR|0o755, 0, cred) }, unix.EPERM},
		{"unlink dir", func() error { return root.Unlink("d") }, unix.EISDIR},
		{"rmdir file", func() error { return root.Rmdir("f") }, unix.ENOTDIR},
		{"link dir", func() error { return root.Link("x", d) }, unix.EPERM},
		{"lookup in file", func() error { _, err := lookup(t, root, "f").Lookup("x"); return err }, unix.ENOTDIR},
		{"lookup missing", func() error { _, err := root.Lookup("x"); return err }, unix.ENOENT},
		{"rmdir nonempty", func() error {
			must(t, d.Mkdir("sub", 0o755, cred))
			return root.Rmdir("d")
		}, unix.ENOTEMPTY},
		{"rmdir sub", func() error { return d.Rmdir("sub") }, nil},
		{"open symlink", func() error { _, err := lookup(t, root, "l").Open(unix.O_RDONLY); return err }, unix.ELOOP},
		{"open socket", func() error { _, err := lookup(t, root, "s").Open(unix.O_RDONLY); return err }, unix.ENXIO},
		{"open /dev/mem", func() error { _, err := lookup(t, root, "mem").Open(unix.O_RDONLY); return err }, unix.ENXIO},
		{"open dir for write", func() error { _, err := d.Open(unix.O_RDWR); return err }, unix.EISDIR},
		{"rmdir", func() error { return root.Rmdir("d") }, nil},
		{"mkdir in removed dir", func() error { return d.Mkdir("x", 0o755, cred) }, unix.ENOENT},
	} {
		if err := c.do(); err != c.want {
			t.Errorf("%s = %v, want %v", c.op, err, c.want)
		}
	}
	if got := attr(t, root).Nlink; got != 2 {
		t.Errorf("root nlink after rmdir = %d, want 2", got)
	}
	nf, err := lookup(t, root, "null").Open(unix.O_WRONLY)
	if err != nil {
		t.Fatalf("open null = %v", err)
	}
	if n, err := unix.Write(nf.HostFD(), []byte("xyz")); n != 3 || err != nil {
		t.Errorf("write /dev/null = %d, %v", n, err)
	}
	nf.Close()
	df, err := root.Open(unix.O_RDONLY | unix.O_DIRECTORY)
	if err != nil {
		t.Fatalf("open dir = %v", err)
	}
	if _, err := unix.Read(df.HostFD(), make([]byte, 8)); err != unix.EISDIR {
		t.Errorf("read on a directory's fd = %v, want EISDIR", err)
	}
	df.Close()
}

func TestFifo(t *testing.T) {
	fs := New(Options{})
	root := fs.Root()
	must(t, root.Mknod("p", unix.S_IFIFO|0o644, 0, cred))
	p := lookup(t, root, "p")
	r, err := p.Open(unix.O_RDONLY | unix.O_NONBLOCK)
	must(t, err)
	defer r.Close()
	w, err := p.Open(unix.O_WRONLY | unix.O_NONBLOCK)
	must(t, err)
	defer w.Close()
	_, err = unix.Write(w.HostFD(), []byte("ping"))
	must(t, err)
	buf := make([]byte, 8)
	if n, _ := unix.Read(r.HostFD(), buf); string(buf[:n]) != "ping" {
		t.Errorf("fifo read = %q, want ping", buf[:n])
	}
	if a := attr(t, p); a.Mode != unix.S_IFIFO|0o644 {
		t.Errorf("fifo mode %o", a.Mode)
	}
}

func TestHardLinkAndUnlink(t *testing.T) {
	fs := New(Options{})
	root := fs.Root()
	v, f := create(t, root, "f", unix.O_RDWR)
	must(t, root.Mkdir("d", 0o755, cred))
	d := lookup(t, root, "d")
	must(t, d.Link("h", v))
	h := lookup(t, d, "h")
	if a, b := attr(t, v), attr(t, h); a.Ino != b.Ino || b.Nlink != 2 {
		t.Errorf("link ino %d/%d nlink %d, want same ino, 2", a.Ino, b.Ino, b.Nlink)
	}
	if err := d.Link("h", v); err != unix.EEXIST {
		t.Errorf("Link existing = %v, want EEXIST", err)
	}
	must(t, root.Unlink("f"))
	must(t, d.Unlink("h"))
	if a := attr(t, v); a.Nlink != 0 {
		t.Errorf("nlink after unlinks = %d, want 0", a.Nlink)
	}
	// The open file still works natively.
	if _, err := unix.Write(f.HostFD(), []byte("still")); err != nil {
		t.Errorf("write to unlinked file = %v", err)
	}
	if err := root.Link("again", v); err != unix.ENOENT {
		t.Errorf("Link of unlinked = %v, want ENOENT", err)
	}
}

func TestRename(t *testing.T) {
	fs := New(Options{})
	root := fs.Root()
	a, _ := create(t, root, "a", unix.O_RDWR)
	b, _ := create(t, root, "b", unix.O_RDWR)
	must(t, root.Mkdir("d", 0o755, cred))
	must(t, root.Mkdir("e", 0o755, cred))
	d := lookup(t, root, "d")
	e := lookup(t, root, "e")
	must(t, e.Mkdir("inner", 0o755, cred))
	inner := lookup(t, e, "inner")
	ino := func(dir vfs.Vnode, name string) uint64 {
		v, err := dir.Lookup(name)
		if err != nil {
			return 0
		}
		defer v.Release()
		return attr(t, v).Ino
	}
	ia, ib := attr(t, a).Ino, attr(t, b).Ino
	for _, c := range []struct {
		op   string
		do   func() error
		want error
		dir  vfs.Vnode
		name string
		ino  uint64
	}{
		{"noreplace", func() error { return root.Rename("a", root, "b", unix.RENAME_NOREPLACE) }, unix.EEXIST, root, "a", ia},
		{"exchange", func() error { return root.Rename("a", root, "b", unix.RENAME_EXCHANGE) }, nil, root, "a", ib},
		{"exchange missing", func() error { return root.Rename("a", root, "z", unix.RENAME_EXCHANGE) }, unix.ENOENT, root, "a", ib},
		{"both flags", func() error { return root.Rename("a", root, "z", 3) }, unix.EINVAL, root, "a", ib},
		{"whiteout", func() error { return root.Rename("a", root, "z", unix.RENAME_WHITEOUT) }, unix.EINVAL, root, "a", ib},
		{"move", func() error { return root.Rename("a", d, "a2", 0) }, nil, d, "a2", ib},
		{"replace", func() error { return d.Rename("a2", root, "b", 0) }, nil, root, "b", ib},
		{"file over dir", func() error { return root.Rename("b", root, "d", 0) }, unix.EISDIR, root, "b", ib},
		{"dir over file", func() error { return root.Rename("d", root, "b", 0) }, unix.ENOTDIR, root, "b", ib},
		{"dir over nonempty", func() error { return root.Rename("d", root, "e", 0) }, unix.ENOTEMPTY, root, "b", ib},
		{"dir into itself", func() error { return root.Rename("e", inner, "x", 0) }, unix.EINVAL, root, "b", ib},
		{"dir into other", func() error { return root.Rename("d", e, "d", 0) }, nil, e, "d", attr(t, d).Ino},
		{"dir over empty dir", func() error { return e.Rename("d", e, "inner", 0) }, nil, e, "inner", attr(t, d).Ino},
	} {
		if err := c.do(); err != c.want {
			t.Errorf("%s = %v, want %v", c.op, err, c.want)
		}
		if got := ino(c.dir, c.name); got != c.ino {
			t.Errorf("%s: %s is ino %d, want %d", c.op, c.name, got, c.ino)
		}
	}
	for _, c := range []struct {
		dir  vfs.Vnode
		want uint64
	}{{root, 3}, {e, 3}, {d, 2}} {
		if got := attr(t, c.dir).Nlink; got != c.want {
			t.Errorf("nlink %d, want %d", got, c.want)
		}
	}
	ents, _ := d.Readdir()
	if ents[1].Ino != attr(t, e).Ino {
		t.Errorf("moved dir's .. = %d, want %d", ents[1].Ino, attr(t, e).Ino)
	}
}

func TestXattr(t *testing.T) {
	fs := New(Options{})
	root := fs.Root()
	v, _ := create(t, root, "f", unix.O_RDWR)
	must(t, root.Symlink("l", "f", cred))
	l := lookup(t, root, "l")
	big := make([]byte, xattrSizeMax+1)
	long := "user." + string(make([]byte, 260))
	for _, c := range []struct {
		op   string
		do   func() error
		want error
	}{
		{"set", func() error { return v.Setxattr("user.a", []byte("1"), 0) }, nil},
		{"set trusted", func() error { return v.Setxattr("trusted.b", []byte("22"), 0) }, nil},
		{"create existing", func() error { return v.Setxattr("user.a", []byte("x"), unix.XATTR_CREATE) }, unix.EEXIST},
		{"replace missing", func() error { return v.Setxattr("user.z", []byte("x"), unix.XATTR_REPLACE) }, unix.ENODATA},
		{"bad flags", func() error { return v.Setxattr("user.z", nil, 4) }, unix.EINVAL},
		{"too big", func() error { return v.Setxattr("user.z", big, 0) }, unix.E2BIG},
		{"name too long", func() error { return v.Setxattr(long, nil, 0) }, unix.ERANGE},
		{"security", func() error { return v.Setxattr("security.x", nil, 0) }, unix.EOPNOTSUPP},
		{"empty suffix", func() error { return v.Setxattr("user.", nil, 0) }, unix.EINVAL},
		{"user on symlink", func() error { return l.Setxattr("user.a", nil, 0) }, unix.EPERM},
		{"get missing", func() error { _, err := v.Getxattr("user.z", nil); return err }, unix.ENODATA},
		{"get small", func() error { _, err := v.Getxattr("trusted.b", make([]byte, 1)); return err }, unix.ERANGE},
		{"list small", func() error { _, err := v.Listxattr(make([]byte, 3)); return err }, unix.ERANGE},
		{"remove missing", func() error { return v.Removexattr("user.z") }, unix.ENODATA},
	} {
		if err := c.do(); err != c.want {
			t.Errorf("%s = %v, want %v", c.op, err, c.want)
		}
	}
	buf := make([]byte, 64)
	if n, err := v.Getxattr("trusted.b", buf); string(buf[:n]) != "22" || err != nil {
		t.Errorf("Getxattr = %q, %v", buf[:n], err)
	}
	if n, err := v.Listxattr(nil); n != len("trusted.b\x00user.a\x00") || err != nil {
		t.Errorf("Listxattr size = %d, %v", n, err)
	}
	n, _ := v.Listxattr(buf)
	if got := string(buf[:n]); got != "trusted.b\x00user.a\x00" {
		t.Errorf("Listxattr = %q", got)
	}
	must(t, v.Removexattr("user.a"))
	if _, err := v.Getxattr("user.a", buf); err != unix.ENODATA {
		t.Errorf("Getxattr removed = %v, want ENODATA", err)
	}
}

func TestSizeLimitAndSgid(t *testing.T) {
	fs := New(Options{SizeLimit: 64 << 10})
	root := fs.Root()
	v, _ := create(t, root, "f", unix.O_RDWR)
	if err := v.Setattr(&vfs.SetAttr{Mask: vfs.SetSize, Size: 1 << 20}); err != unix.ENOSPC {
		t.Errorf("truncate past limit = %v, want ENOSPC", err)
	}
	must(t, root.Mkdir("g", 0o2775, &vfs.Cred{UID: 1, GID: 77}))
	g := lookup(t, root, "g")
	must(t, g.Mkdir("sub", 0o755, cred))
	if a := attr(t, lookup(t, g, "sub")); a.GID != 77 || a.Mode&unix.S_ISGID == 0 {
		t.Errorf("sgid inheritance: gid %d mode %o", a.GID, a.Mode)
	}
}

func TestConcurrent(t *testing.T) {
	fs := New(Options{})
	root := fs.Root()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := string(rune('a' + i))
			for range 50 {
				v, f, err := root.Create(name, unix.O_RDWR, 0o644, cred)
				if err != nil {
					t.Error(err)
					return
				}
				v.Getattr()
				root.Readdir()
				f.Close()
				v.Release()
				root.Rename(name, root, name+"x", 0)
				root.Unlink(name + "x")
			}
		}()
	}
	wg.Wait()
}

// TestNewFileTimes: a new file's four times are equal, and its directory's
// mtime and ctime are the same instant, as Linux stamps them.
func TestNewFileTimes(t *testing.T) {
	fs := New(Options{})
	for i := 0; i < 50; i++ {
		name := "f" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		v, _ := create(t, fs.Root(), name, unix.O_RDWR)
		a, d := attr(t, v), attr(t, fs.Root())
		if a.Atime != a.Mtime || a.Ctime != a.Mtime || a.Btime != a.Mtime {
			t.Fatalf("%s: atime %v mtime %v ctime %v btime %v, want all equal", name, a.Atime, a.Mtime, a.Ctime, a.Btime)
		}
		if d.Mtime != a.Mtime || d.Ctime != a.Mtime {
			t.Fatalf("%s: directory mtime %v ctime %v, want the file's %v", name, d.Mtime, d.Ctime, a.Mtime)
		}
	}
}

// TestBindSocket: a socket bound in a tmpfs directory is a socket node,
// connectable through an O_PATH open of it; a name in use is EADDRINUSE.
func TestBindSocket(t *testing.T) {
	fs := New(Options{})
	root := fs.Root().(*inode)
	s, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	must(t, err)
	defer unix.Close(s)
	if _, err := root.BindSocket("s", s, 0o755, cred); err != nil {
		t.Fatalf("BindSocket = %v", err)
	}
	must(t, unix.Listen(s, 1))
	v := lookup(t, root, "s")
	if a := attr(t, v); a.Mode != unix.S_IFSOCK|0o755 || a.UID != cred.UID {
		t.Errorf("mode %o uid %d, want %o %d", a.Mode, a.UID, unix.S_IFSOCK|0o755, cred.UID)
	}
	f, err := v.Open(unix.O_PATH)
	must(t, err)
	defer f.Close()
	c, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	must(t, err)
	defer unix.Close(c)
	if err := unix.Connect(c, &unix.SockaddrUnix{Name: procPath(f.HostFD())}); err != nil {
		t.Errorf("connect through the node: %v", err)
	}
	s2, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	must(t, err)
	defer unix.Close(s2)
	if _, err := root.BindSocket("s", s2, 0o755, cred); err != unix.EADDRINUSE {
		t.Errorf("BindSocket over a name = %v, want EADDRINUSE", err)
	}
}
