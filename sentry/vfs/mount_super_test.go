package vfs

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestSuperReadOnly: a filesystem read-only as a whole (a remount without
// MS_BIND) is read-only through every mount of it, binds included; a
// mount's own flag (MS_REMOUNT|MS_BIND) is that mount's only.
func TestSuperReadOnly(t *testing.T) {
	e := newEnv(t)
	e.fs.mkdir("a")
	e.fs.mkdir("b")
	fs2 := newMemFS(t, "two")
	fs2.mkdir("d")
	m, err := e.v.MountSourceAt(e.mustWalk("/a", 0), fs2, 0, "mine")
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.v.BindAt(e.mustWalk("/b", 0), e.mustWalk("/a/d", 0), 0, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ what, got, want string }{
		{"Source", m.Source(), "mine"},
		{"bind Source", b.Source(), "mine"},
		{"bind FSType", b.FSType(), "memfs"},
		{"RootPath", e.v.RootPath(m), "/"},
		{"bind RootPath", e.v.RootPath(b), "/d"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	mkdir := func(p string) error { return e.v.Mkdir(e.ctx, VirtualDentry{}, p, 0o755) }
	m.SetSuperReadOnly(true)
	if !b.ReadOnly() || !b.SuperReadOnly() || b.Flags()&unix.MS_RDONLY != 0 {
		t.Errorf("bind of a read-only filesystem: ReadOnly %v, SuperReadOnly %v, flags %#x", b.ReadOnly(), b.SuperReadOnly(), b.Flags())
	}
	check(t, "mkdir in a bind of a read-only filesystem", mkdir("/b/x"), unix.EROFS)
	if st, err := e.v.Statfs(e.mustWalk("/b", 0)); err != nil || st.Flags&unix.ST_RDONLY == 0 {
		t.Errorf("Statfs(/b) flags = %#x, %v; want ST_RDONLY", st.Flags, err)
	}
	m.SetSuperReadOnly(false)
	check(t, "mkdir once writable again", mkdir("/b/x"), nil)
	b.SetFlags(unix.MS_RDONLY)
	check(t, "mkdir in a read-only bind", mkdir("/b/y"), unix.EROFS)
	check(t, "mkdir in the original", mkdir("/a/y"), nil)
	if !b.StoresIn(m) || !m.StoresIn(b) || e.root.StoresIn(m) {
		t.Errorf("StoresIn: bind/original %v, original/bind %v, root/original %v", b.StoresIn(m), m.StoresIn(b), e.root.StoresIn(m))
	}

	// mount -o ro makes a new filesystem read-only as a whole.
	e.fs.mkdir("c")
	ro, _ := e.v.MountAt(e.mustWalk("/c", 0), newMemFS(t, "three"), unix.MS_RDONLY)
	if !ro.SuperReadOnly() || ro.Source() != "three" {
		t.Errorf("mount -o ro: SuperReadOnly %v, Source %q", ro.SuperReadOnly(), ro.Source())
	}
}

// TestNullfs: a nullfs is a filesystem of its own over a directory: type
// nullfs, "/" as its root, its own read-only state (following the one
// below), and no reconfiguration of what it lies over.
func TestNullfs(t *testing.T) {
	e := newEnv(t)
	e.fs.mkdir("lower")
	e.fs.mkdir("lower/sub")
	e.fs.mkdir("n")
	e.fs.mkdir("nb")
	n, err := e.v.NullfsAt(e.mustWalk("/n", 0), e.mustWalk("/lower", 0), unix.MS_RELATIME, false, "/lower")
	if err != nil {
		t.Fatal(err)
	}
	nb, err := e.v.BindAt(e.mustWalk("/nb", 0), e.mustWalk("/n/sub", 0), 0, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ what, got, want string }{
		{"FSType", n.FSType(), "nullfs"},
		{"Source", n.Source(), "/lower"},
		{"RootPath", e.v.RootPath(n), "/"},
		{"bind FSType", nb.FSType(), "nullfs"},
		{"bind RootPath", e.v.RootPath(nb), "/sub"},
		{"FSOptions", n.FSOptions(), ""},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	if n.FS != e.fs || e.mustWalk("/n/sub", 0).Dentry != e.mustWalk("/lower/sub", 0).Dentry {
		t.Errorf("a nullfs does not share the dentries of what it shows")
	}
	n.SetSuperReadOnly(true)
	if !nb.ReadOnly() || e.root.ReadOnly() {
		t.Errorf("nullfs read-only: its bind %v, the filesystem below %v; want true, false", nb.ReadOnly(), e.root.ReadOnly())
	}
	n.SetSuperReadOnly(false)
	e.root.SetSuperReadOnly(true)
	if !n.ReadOnly() || !n.StoresIn(e.root) || e.root.StoresIn(n) {
		t.Errorf("below read-only: nullfs ReadOnly %v, StoresIn below %v, below StoresIn nullfs %v", n.ReadOnly(), n.StoresIn(e.root), e.root.StoresIn(n))
	}
	e.root.SetSuperReadOnly(false)
	if err := n.Reconfigure("anything"); err != nil {
		t.Errorf("nullfs Reconfigure = %v, want ignored", err)
	}
}

// TestUnmountExpire follows Linux's do_umount for MNT_EXPIRE.
func TestUnmountExpire(t *testing.T) {
	e := newEnv(t)
	e.fs.mkdir("a")
	fs2 := newMemFS(t, "two")
	fs2.mkdir("sub")
	fs2.file("f")
	m, _ := e.v.MountAt(e.mustWalk("/a", 0), fs2, 0)
	umount := func(flags int) error {
		vd, err := e.v.Walk(e.ctx, VirtualDentry{}, "/a", FollowFinal)
		if err != nil {
			return err
		}
		return e.v.UnmountAt(e.ctx, vd, flags)
	}
	check(t, "MNT_EXPIRE|MNT_DETACH", umount(unix.MNT_EXPIRE|unix.MNT_DETACH), unix.EINVAL)
	check(t, "MNT_EXPIRE|MNT_FORCE", umount(unix.MNT_EXPIRE|unix.MNT_FORCE), unix.EINVAL)
	check(t, "first MNT_EXPIRE", umount(unix.MNT_EXPIRE), unix.EAGAIN)
	// A use between the two clears the mark.
	e.mustWalk("/a/f", 0)
	check(t, "MNT_EXPIRE after a use", umount(unix.MNT_EXPIRE), unix.EAGAIN)
	f, err := e.v.Open(e.ctx, VirtualDentry{}, "/a/f", unix.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	check(t, "MNT_EXPIRE while busy", umount(unix.MNT_EXPIRE), unix.EBUSY)
	f.DecRef()
	check(t, "MNT_EXPIRE after the close", umount(unix.MNT_EXPIRE), unix.EAGAIN)
	// Submounts make it busy.
	m2, _ := e.v.MountAt(e.mustWalk("/a/sub", 0), newMemFS(t, "three"), 0)
	check(t, "MNT_EXPIRE with a submount", umount(unix.MNT_EXPIRE), unix.EBUSY)
	check(t, "Unmount submount", e.v.Unmount(m2, false), nil)
	check(t, "MNT_EXPIRE marks", umount(unix.MNT_EXPIRE), unix.EAGAIN)
	check(t, "second MNT_EXPIRE", umount(unix.MNT_EXPIRE), nil)
	if len(e.v.Mounts()) != 1 || !m.detached {
		t.Errorf("the expired mount is still attached")
	}
	// The caller's root mount.
	e.fs.mkdir("r")
	r, _ := e.v.MountAt(e.mustWalk("/r", 0), newMemFS(t, "four"), 0)
	ctx := *e.ctx
	ctx.Root = e.v.Root(r)
	vd, _ := e.v.Walk(e.ctx, VirtualDentry{}, "/r", FollowFinal)
	check(t, "MNT_EXPIRE of the caller's root", e.v.UnmountAt(&ctx, vd, unix.MNT_EXPIRE), unix.EINVAL)
	vd, _ = e.v.Walk(e.ctx, VirtualDentry{}, "/a", FollowFinal)
	check(t, "umount of a non-root", e.v.UnmountAt(e.ctx, vd, 0), unix.EINVAL)
}

// TestReopenedFile: the object a magic link with no target stands for (a
// pipe reopened through /proc/self/fd/N) is not a file of the link's
// filesystem and does not keep its mount busy; the link itself (O_PATH,
// O_NOFOLLOW) does.
func TestReopenedFile(t *testing.T) {
	e := newEnv(t)
	e.fs.mkdir("proc")
	pfs := newMemFS(t, "proc")
	n := pfs.add("pipe", unix.S_IFLNK|0o777, 0, 0)
	n.magic = func(*Context) (VirtualDentry, error) { return VirtualDentry{}, ErrNoTarget }
	n.open = func(flags int) (FileImpl, error) {
		var p [2]int
		if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
			return nil, err
		}
		unix.Close(p[1])
		return &memFile{p[0]}, nil
	}
	m, _ := e.v.MountAt(e.mustWalk("/proc", 0), pfs, 0)
	link, err := e.v.Open(e.ctx, VirtualDentry{}, "/proc/pipe", unix.O_PATH|unix.O_NOFOLLOW, 0)
	if err != nil {
		t.Fatal(err)
	}
	if link.Reopened() {
		t.Errorf("O_PATH|O_NOFOLLOW of the link is Reopened")
	}
	check(t, "Unmount with the link open", e.v.Unmount(m, false), unix.EBUSY)
	link.DecRef()
	f, err := e.v.Open(e.ctx, VirtualDentry{}, "/proc/pipe", unix.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !f.Reopened() || f.VD.Mount != m {
		t.Errorf("reopened pipe: Reopened %v, mount %v", f.Reopened(), f.VD.Mount == m)
	}
	check(t, "Unmount with a reopened pipe open", e.v.Unmount(m, false), nil)
	f.DecRef()
}
