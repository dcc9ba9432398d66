package dirfs

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

// newTestFS exports a fresh host temp dir holding a small tree.
func newTestFS(t *testing.T, opts Options) (*FS, string) {
	t.Helper()
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "file"), []byte("hello"), 0o644))
	must(t, os.Mkdir(filepath.Join(dir, "sub"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "sub", "inner"), []byte("x"), 0o600))
	must(t, os.Symlink("/etc", filepath.Join(dir, "etc")))
	must(t, os.Symlink("../../../../../../etc/passwd", filepath.Join(dir, "sub", "up")))
	fs, err := New(dir, opts)
	if err != nil {
		t.Fatalf("New(%q) = %v", dir, err)
	}
	t.Cleanup(fs.root.Release)
	return fs, dir
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func lookup(t *testing.T, dir vfs.Vnode, name string) *node {
	t.Helper()
	v, err := dir.Lookup(name)
	if err != nil {
		t.Fatalf("Lookup(%q) = %v", name, err)
	}
	t.Cleanup(v.Release)
	return v.(*node)
}

func attr(t *testing.T, v vfs.Vnode) vfs.Attr {
	t.Helper()
	a, err := v.Getattr()
	if err != nil {
		t.Fatalf("Getattr = %v", err)
	}
	return a
}

func readAll(t *testing.T, f vfs.FileImpl) string {
	t.Helper()
	buf := make([]byte, 4096)
	n, err := unix.Pread(f.HostFD(), buf, 0)
	if err != nil {
		t.Fatalf("pread = %v", err)
	}
	return string(buf[:n])
}

func TestFilesystem(t *testing.T) {
	fs, dir := newTestFS(t, Options{})
	for _, c := range []struct{ got, want string }{
		{fs.Type(), "dirfs"},
		{fs.Source(), "dirfs@" + dir},
		{fs.Options(), ""},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	sf, err := fs.Root().Statfs()
	var host unix.Statfs_t
	must(t, unix.Statfs(dir, &host))
	if err != nil || sf.Type != host.Type {
		t.Errorf("Statfs = %x, %v; want type %x", sf.Type, err, host.Type)
	}
}

func TestLookup(t *testing.T) {
	fs, _ := newTestFS(t, Options{})
	root := fs.Root()
	for _, c := range []struct {
		name    string
		wantTyp uint32
		wantErr error
	}{
		{"file", unix.S_IFREG, nil},
		{"sub", unix.S_IFDIR, nil},
		{"etc", unix.S_IFLNK, nil},
		{"missing", 0, unix.ENOENT},
		{"..", 0, unix.EINVAL},
		{".", 0, unix.EINVAL},
		{"sub/inner", 0, unix.EINVAL},
		{"", 0, unix.EINVAL},
	} {
		v, err := root.Lookup(c.name)
		if err != c.wantErr {
			t.Errorf("Lookup(%q) err = %v, want %v", c.name, err, c.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if a := attr(t, v); a.Type() != c.wantTyp {
			got := a.Type()
			t.Errorf("Lookup(%q) type = %o, want %o", c.name, got, c.wantTyp)
		}
		v.Release()
	}
	if _, err := lookup(t, root, "file").Lookup("x"); err != unix.ENOTDIR {
		t.Errorf("Lookup in a file = %v, want ENOTDIR", err)
	}
}

func TestSymlinkEscape(t *testing.T) {
	fs, _ := newTestFS(t, Options{})
	root := fs.Root()
	etc := lookup(t, root, "etc")
	if got, err := etc.Readlink(); got != "/etc" || err != nil {
		t.Errorf("Readlink = %q, %v; want /etc", got, err)
	}
	if _, err := etc.Lookup("passwd"); err != unix.ENOTDIR {
		t.Errorf("Lookup through host symlink = %v, want ENOTDIR", err)
	}
	if f, err := etc.Open(unix.O_RDONLY); err != unix.ELOOP {
		t.Errorf("Open(symlink) = %v, want ELOOP", err)
		if f != nil {
			f.Close()
		}
	}
	if f, err := etc.Open(unix.O_RDONLY | unix.O_DIRECTORY); err != unix.ELOOP {
		t.Errorf("Open(symlink, O_DIRECTORY) = %v, want ELOOP", err)
		if f != nil {
			f.Close()
		}
	}
	// O_PATH gives the link itself, never /etc.
	f, err := etc.Open(unix.O_PATH)
	if err != nil {
		t.Fatalf("Open(symlink, O_PATH) = %v", err)
	}
	var st unix.Stat_t
	must(t, unix.Fstatat(f.HostFD(), "", &st, unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW))
	if st.Mode&unix.S_IFMT != unix.S_IFLNK {
		t.Errorf("O_PATH open of symlink is mode %o, want a symlink", st.Mode)
	}
	if _, ok := f.(vfs.HostDirFile); ok {
		t.Errorf("O_PATH open of symlink is a HostDirFile")
	}
	f.Close()
	// xattrs and times of a symlink vnode never reach its target.
	if _, err := etc.Getxattr("user.x", nil); err != unix.ENODATA && err != unix.EOPNOTSUPP {
		t.Errorf("Getxattr(symlink) = %v, want ENODATA", err)
	}
	if err := etc.Setattr(&vfs.SetAttr{Mask: vfs.SetMode, Mode: 0o600}); err != unix.EOPNOTSUPP {
		t.Errorf("chmod(symlink) = %v, want EOPNOTSUPP", err)
	}
	var etcSt unix.Stat_t
	must(t, unix.Stat("/etc", &etcSt))
	old := unix.Timespec{Sec: 12345}
	must(t, etc.Setattr(&vfs.SetAttr{Mask: vfs.SetMtime, Mtime: old}))
	if got := attr(t, etc).Mtime; got != old {
		t.Errorf("symlink mtime = %v, want %v", got, old)
	}
	var etcSt2 unix.Stat_t
	must(t, unix.Stat("/etc", &etcSt2))
	if etcSt2.Mtim != etcSt.Mtim {
		t.Errorf("utimes on a symlink vnode changed /etc")
	}
	// A relative symlink climbing out is only text to the VFS.
	up := lookup(t, lookup(t, root, "sub"), "up")
	if _, err := up.Open(unix.O_RDONLY); err != unix.ELOOP {
		t.Errorf("Open(sub/up) = %v, want ELOOP", err)
	}
}

func TestReadOpen(t *testing.T) {
	fs, _ := newTestFS(t, Options{})
	root := fs.Root()
	file := lookup(t, root, "file")
	f, err := file.Open(unix.O_RDONLY)
	if err != nil {
		t.Fatalf("Open = %v", err)
	}
	defer f.Close()
	if got := readAll(t, f); got != "hello" {
		t.Errorf("read = %q, want hello", got)
	}
	if _, err := unix.Write(f.HostFD(), []byte("x")); err != unix.EBADF {
		t.Errorf("write on O_RDONLY = %v, want EBADF", err)
	}
	d, err := root.Open(unix.O_RDONLY | unix.O_DIRECTORY)
	if err != nil {
		t.Fatalf("Open(root) = %v", err)
	}
	defer d.Close()
	if _, ok := d.(vfs.HostDirFile); !ok {
		t.Errorf("directory FileImpl %T is not a HostDirFile", d)
	}
	ents, err := root.Readdir()
	if err != nil {
		t.Fatalf("Readdir = %v", err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name)
	}
	slices.Sort(names)
	if want := []string{".", "..", "etc", "file", "sub"}; !slices.Equal(names, want) {
		t.Errorf("Readdir names = %v, want %v", names, want)
	}
	for _, e := range ents {
		if e.Name == "sub" && (e.Type != unix.DT_DIR || e.Ino != lookup(t, root, "sub").ino) {
			t.Errorf("Readdir sub = %+v", e)
		}
	}
}

func TestCreateAndNamespace(t *testing.T) {
	fs, dir := newTestFS(t, Options{})
	root := fs.Root()
	cred := &vfs.Cred{UID: 1234, GID: 5678}
	v, f, err := root.Create("new", unix.O_RDWR, 0o640, cred)
	if err != nil {
		t.Fatalf("Create = %v", err)
	}
	defer v.Release()
	if _, err := unix.Write(f.HostFD(), []byte("data")); err != nil {
		t.Errorf("write = %v", err)
	}
	f.Close()
	a := attr(t, v)
	wantUID, wantGID := uint32(os.Geteuid()), uint32(os.Getegid())
	if fs.hostRoot {
		wantUID, wantGID = cred.UID, cred.GID
	}
	if a.Mode != unix.S_IFREG|0o640 || a.Size != 4 || a.UID != wantUID || a.GID != wantGID {
		t.Errorf("created attr = mode %o size %d owner %d:%d; want %o 4 %d:%d",
			a.Mode, a.Size, a.UID, a.GID, unix.S_IFREG|0o640, wantUID, wantGID)
	}
	if _, _, err := root.Create("new", unix.O_RDWR, 0o640, cred); err != unix.EEXIST {
		t.Errorf("Create existing = %v, want EEXIST", err)
	}
	if _, _, err := root.Create("etc", unix.O_RDWR, 0o640, cred); err != unix.EEXIST {
		t.Errorf("Create over symlink = %v, want EEXIST", err)
	}

	for _, c := range []struct {
		op      string
		do      func() error
		name    string
		wantTyp uint32
		perm    uint32
	}{
		{"mkdir", func() error { return root.Mkdir("d", 0o2775, cred) }, "d", unix.S_IFDIR, 0o2775},
		{"fifo", func() error { return root.Mknod("p", unix.S_IFIFO|0o666, 0, cred) }, "p", unix.S_IFIFO, 0o666},
		{"sock", func() error { return root.Mknod("s", unix.S_IFSOCK|0o600, 0, cred) }, "s", unix.S_IFSOCK, 0o600},
		{"symlink", func() error { return root.Symlink("l", "file", cred) }, "l", unix.S_IFLNK, 0o777},
	} {
		if err := c.do(); err != nil {
			t.Errorf("%s = %v", c.op, err)
			continue
		}
		a := attr(t, lookup(t, root, c.name))
		if a.Mode&unix.S_IFMT != c.wantTyp || a.Mode&07777 != c.perm || a.UID != wantUID {
			t.Errorf("%s: mode %o uid %d, want %o uid %d", c.op, a.Mode, a.UID, c.wantTyp|c.perm, wantUID)
		}
	}
	if err := root.Mkdir("d", 0o755, cred); err != unix.EEXIST {
		t.Errorf("Mkdir existing = %v, want EEXIST", err)
	}

	// Unlink / Rmdir.
	must(t, root.Mkdir("full", 0o755, cred))
	must(t, lookup(t, root, "full").Mkdir("x", 0o755, cred))
	for _, c := range []struct {
		op   string
		err  error
		want error
	}{
		{"unlink dir", root.Unlink("d"), unix.EISDIR},
		{"rmdir file", root.Rmdir("new"), unix.ENOTDIR},
		{"rmdir nonempty", root.Rmdir("full"), unix.ENOTEMPTY},
		{"unlink missing", root.Unlink("nope"), unix.ENOENT},
		{"unlink ..", root.Unlink(".."), unix.EINVAL},
		{"unlink symlink", root.Unlink("l"), nil},
		{"rmdir", root.Rmdir("d"), nil},
	} {
		if c.err != c.want {
			t.Errorf("%s = %v, want %v", c.op, c.err, c.want)
		}
	}
	if _, err := os.Lstat(filepath.Join(dir, "file")); err != nil {
		t.Errorf("unlink of symlink l removed its target: %v", err)
	}
}

func TestHardLink(t *testing.T) {
	fs, _ := newTestFS(t, Options{})
	root := fs.Root()
	file := lookup(t, root, "file")
	sub := lookup(t, root, "sub")
	if err := sub.Link("hl", file); err != nil {
		t.Fatalf("Link = %v", err)
	}
	hl := lookup(t, sub, "hl")
	a, b := attr(t, file), attr(t, hl)
	if a.Ino != b.Ino || b.Nlink != 2 {
		t.Errorf("link: ino %d nlink %d, want ino %d nlink 2", b.Ino, b.Nlink, a.Ino)
	}
	if err := root.Link("x", sub); err != unix.EPERM {
		t.Errorf("Link(dir) = %v, want EPERM", err)
	}
	if err := root.Link("file", hl); err != unix.EEXIST {
		t.Errorf("Link over existing = %v, want EEXIST", err)
	}
	must(t, sub.Unlink("hl"))
	if got := attr(t, file).Nlink; got != 1 {
		t.Errorf("nlink after unlink = %d, want 1", got)
	}
}

func TestRename(t *testing.T) {
	fs, dir := newTestFS(t, Options{})
	root := fs.Root()
	sub := lookup(t, root, "sub")
	write := func(name, data string) { must(t, os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644)) }
	read := func(name string) string {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		return string(b)
	}
	write("a", "A")
	write("b", "B")
	for _, c := range []struct {
		op    string
		do    func() error
		want  error
		check map[string]string
	}{
		{"noreplace existing", func() error { return root.Rename("a", root, "b", unix.RENAME_NOREPLACE) }, unix.EEXIST,
			map[string]string{"a": "A", "b": "B"}},
		{"exchange", func() error { return root.Rename("a", root, "b", unix.RENAME_EXCHANGE) }, nil,
			map[string]string{"a": "B", "b": "A"}},
		{"exchange missing", func() error { return root.Rename("a", root, "zz", unix.RENAME_EXCHANGE) }, unix.ENOENT, nil},
		{"noreplace free", func() error { return root.Rename("a", sub, "a2", unix.RENAME_NOREPLACE) }, nil,
			map[string]string{"sub/a2": "B", "a": ""}},
		{"replace", func() error { return sub.Rename("a2", root, "b", 0) }, nil, map[string]string{"b": "B", "sub/a2": ""}},
		{"both flags", func() error { return root.Rename("b", root, "c", unix.RENAME_NOREPLACE|unix.RENAME_EXCHANGE) }, unix.EINVAL, nil},
		{"dotdot", func() error { return root.Rename("b", sub, "..", 0) }, unix.EINVAL, nil},
	} {
		if err := c.do(); err != c.want {
			t.Errorf("%s = %v, want %v", c.op, err, c.want)
		}
		for name, want := range c.check {
			if got := read(name); got != want {
				t.Errorf("%s: %s holds %q, want %q", c.op, name, got, want)
			}
		}
	}
}

func TestSetattr(t *testing.T) {
	fs, _ := newTestFS(t, Options{})
	file := lookup(t, fs.Root(), "file")
	mt := unix.Timespec{Sec: 1_000_000, Nsec: 123456789}
	at := unix.Timespec{Sec: 2_000_000, Nsec: 5}
	must(t, file.Setattr(&vfs.SetAttr{Mask: vfs.SetMode | vfs.SetSize | vfs.SetAtime | vfs.SetMtime,
		Mode: 0o4711, Size: 2, Atime: at, Mtime: mt}))
	a := attr(t, file)
	if a.Mode != unix.S_IFREG|0o4711 || a.Size != 2 || a.Mtime != mt || a.Atime != at {
		t.Errorf("after Setattr: mode %o size %d atime %v mtime %v", a.Mode, a.Size, a.Atime, a.Mtime)
	}
	if fs.hostRoot {
		must(t, file.Setattr(&vfs.SetAttr{Mask: vfs.SetUID | vfs.SetGID, UID: 42, GID: 43}))
		if a := attr(t, file); a.UID != 42 || a.GID != 43 {
			t.Errorf("chown: %d:%d, want 42:43", a.UID, a.GID)
		}
	}
	if err := fs.Root().Setattr(&vfs.SetAttr{Mask: vfs.SetSize}); err != unix.EISDIR {
		t.Errorf("truncate dir = %v, want EISDIR", err)
	}
}

func TestXattr(t *testing.T) {
	fs, _ := newTestFS(t, Options{})
	file := lookup(t, fs.Root(), "file")
	if err := file.Setxattr("user.k", []byte("v1"), 0); err == unix.EOPNOTSUPP {
		t.Skip("host filesystem has no user xattrs")
	} else if err != nil {
		t.Fatalf("Setxattr = %v", err)
	}
	buf := make([]byte, 16)
	for _, c := range []struct {
		op   string
		err  error
		want error
	}{
		{"create existing", file.Setxattr("user.k", []byte("v"), unix.XATTR_CREATE), unix.EEXIST},
		{"replace missing", file.Setxattr("user.no", []byte("v"), unix.XATTR_REPLACE), unix.ENODATA},
		{"replace", file.Setxattr("user.k", []byte("v2"), unix.XATTR_REPLACE), nil},
	} {
		if c.err != c.want {
			t.Errorf("%s = %v, want %v", c.op, c.err, c.want)
		}
	}
	if n, err := file.Getxattr("user.k", buf); err != nil || string(buf[:n]) != "v2" {
		t.Errorf("Getxattr = %q, %v; want v2", buf[:n], err)
	}
	if n, err := file.Getxattr("user.k", nil); err != nil || n != 2 {
		t.Errorf("Getxattr size = %d, %v; want 2", n, err)
	}
	if _, err := file.Getxattr("user.k", buf[:1]); err != unix.ERANGE {
		t.Errorf("Getxattr small = %v, want ERANGE", err)
	}
	n, err := file.Listxattr(buf)
	if err != nil || !bytes.Contains(buf[:n], []byte("user.k\x00")) {
		t.Errorf("Listxattr = %q, %v", buf[:n], err)
	}
	must(t, file.Removexattr("user.k"))
	if _, err := file.Getxattr("user.k", buf); err != unix.ENODATA {
		t.Errorf("Getxattr removed = %v, want ENODATA", err)
	}
}

func TestRevalidate(t *testing.T) {
	fs, dir := newTestFS(t, Options{})
	root := fs.Root()
	file := lookup(t, root, "file")
	if !fs.Revalidate(root, "file", file) {
		t.Errorf("Revalidate(unchanged) = false")
	}
	if !fs.Revalidate(root, "missing", nil) {
		t.Errorf("Revalidate(negative, still absent) = false")
	}
	// The host renames the file away and puts another in its place.
	must(t, os.Rename(filepath.Join(dir, "file"), filepath.Join(dir, "moved")))
	if fs.Revalidate(root, "file", file) {
		t.Errorf("Revalidate after host rename = true")
	}
	must(t, os.WriteFile(filepath.Join(dir, "file"), []byte("other"), 0o644))
	if fs.Revalidate(root, "file", file) {
		t.Errorf("Revalidate after host replace = true")
	}
	if fs.Revalidate(root, "file", nil) {
		t.Errorf("Revalidate(negative) after host create = true")
	}
	// The cached vnode still names the moved inode.
	f, err := file.Open(unix.O_RDONLY)
	if err != nil {
		t.Fatalf("Open moved = %v", err)
	}
	if got := readAll(t, f); got != "hello" {
		t.Errorf("moved file reads %q, want hello", got)
	}
	f.Close()
	moved := lookup(t, root, "moved")
	if !fs.Revalidate(root, "moved", moved) {
		t.Errorf("Revalidate(moved) = false")
	}
	// Same inode number, other type.
	must(t, os.Remove(filepath.Join(dir, "moved")))
	must(t, os.Mkdir(filepath.Join(dir, "moved"), 0o755))
	if fs.Revalidate(root, "moved", moved) {
		t.Errorf("Revalidate after host replaced file by dir = true")
	}
}

func TestReadOnly(t *testing.T) {
	fs, _ := newTestFS(t, Options{ReadOnly: true})
	root := fs.Root()
	file := lookup(t, root, "file")
	cred := vfs.RootCred()
	_, _, createErr := root.Create("n", unix.O_RDWR, 0o644, cred)
	_, openErr := file.Open(unix.O_WRONLY)
	_, tmpErr := root.Open(unix.O_TMPFILE | unix.O_RDWR)
	for _, c := range []struct {
		op  string
		err error
	}{
		{"create", createErr},
		{"open write", openErr},
		{"open tmpfile", tmpErr},
		{"mkdir", root.Mkdir("n", 0o755, cred)},
		{"mknod", root.Mknod("n", unix.S_IFIFO|0o644, 0, cred)},
		{"symlink", root.Symlink("n", "x", cred)},
		{"link", root.Link("n", file)},
		{"unlink", root.Unlink("file")},
		{"rmdir", root.Rmdir("sub")},
		{"rename", root.Rename("file", root, "n", 0)},
		{"setattr", file.Setattr(&vfs.SetAttr{Mask: vfs.SetMode, Mode: 0o777})},
		{"setxattr", file.Setxattr("user.x", []byte("y"), 0)},
		{"removexattr", file.Removexattr("user.x")},
	} {
		if c.err != unix.EROFS {
			t.Errorf("%s = %v, want EROFS", c.op, c.err)
		}
	}
	f, err := file.Open(unix.O_RDONLY)
	if err != nil {
		t.Fatalf("read-only Open(O_RDONLY) = %v", err)
	}
	f.Close()
	if sf, _ := root.Statfs(); sf.Flags&unix.ST_RDONLY == 0 {
		t.Errorf("Statfs flags %x lack ST_RDONLY", sf.Flags)
	}
}

func TestTmpfileAndOpenPath(t *testing.T) {
	fs, _ := newTestFS(t, Options{})
	root := fs.Root()
	f, err := root.Open(unix.O_TMPFILE | unix.O_RDWR)
	if err != nil {
		t.Skipf("O_TMPFILE: %v", err)
	}
	if _, ok := f.(vfs.HostDirFile); ok {
		t.Errorf("O_TMPFILE file is a HostDirFile")
	}
	f.Close()
	p, err := root.Open(unix.O_PATH | unix.O_DIRECTORY)
	if err != nil {
		t.Fatalf("Open(O_PATH) = %v", err)
	}
	defer p.Close()
	if _, err := unix.Getdents(p.HostFD(), make([]byte, 512)); err != unix.EBADF {
		t.Errorf("getdents on O_PATH = %v, want EBADF", err)
	}
}

func TestDevices(t *testing.T) {
	fs, dir := newTestFS(t, Options{})
	root := fs.Root()
	cred := vfs.RootCred()
	for _, c := range []struct {
		name string
		mode uint32
		dev  uint64
	}{
		{"chr", unix.S_IFCHR | 0o666, unix.Mkdev(1, 3)},
		{"mem", unix.S_IFCHR | 0o666, unix.Mkdev(1, 1)},
		{"blk", unix.S_IFBLK | 0o666, unix.Mkdev(8, 0)},
	} {
		if err := root.Mknod(c.name, c.mode, c.dev, cred); err != unix.EPERM {
			t.Errorf("Mknod(%s %d:%d) = %v, want EPERM", c.name, unix.Major(c.dev), unix.Minor(c.dev), err)
		}
		if _, err := os.Lstat(filepath.Join(dir, c.name)); !os.IsNotExist(err) {
			t.Errorf("Mknod(%s) left %v on the host", c.name, err)
		}
	}

	// Nodes the host directory already holds (made behind dirfs's back).
	host := []struct {
		name string
		mode uint32
		dev  uint64
		want error
	}{
		{"null", unix.S_IFCHR | 0o666, unix.Mkdev(1, 3), nil},
		{"zero", unix.S_IFCHR | 0o666, unix.Mkdev(1, 5), nil},
		{"full", unix.S_IFCHR | 0o666, unix.Mkdev(1, 7), nil},
		{"random", unix.S_IFCHR | 0o666, unix.Mkdev(1, 8), nil},
		{"urandom", unix.S_IFCHR | 0o666, unix.Mkdev(1, 9), nil},
		{"mem", unix.S_IFCHR | 0o600, unix.Mkdev(1, 1), unix.EACCES},
		{"kmsg", unix.S_IFCHR | 0o600, unix.Mkdev(1, 11), unix.EACCES},
		{"tty1", unix.S_IFCHR | 0o600, unix.Mkdev(4, 1), unix.EACCES},
		{"sda", unix.S_IFBLK | 0o600, unix.Mkdev(8, 0), unix.EACCES},
		{"loop0", unix.S_IFBLK | 0o600, unix.Mkdev(7, 0), unix.EACCES},
	}
	for _, c := range host {
		if err := unix.Mknod(filepath.Join(dir, c.name), c.mode, int(c.dev)); err != nil {
			t.Skipf("host mknod: %v (needs CAP_MKNOD)", err)
		}
	}
	for _, c := range host {
		n := lookup(t, root, c.name)
		for _, flags := range []int{unix.O_RDONLY, unix.O_WRONLY, unix.O_RDWR} {
			f, err := n.Open(flags)
			if err == nil {
				f.Close()
			}
			if err != c.want {
				t.Errorf("Open(%s %d:%d, %#x) = %v, want %v", c.name, unix.Major(c.dev), unix.Minor(c.dev), flags, err, c.want)
			}
		}
		// O_PATH gives no access to the device.
		f, err := n.Open(unix.O_PATH)
		if err != nil {
			t.Errorf("Open(%s, O_PATH) = %v, want nil", c.name, err)
		} else {
			f.Close()
		}
	}
}
