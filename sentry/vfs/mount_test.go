package vfs

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestMountCrossing(t *testing.T) {
	e := newEnv(t)
	e.fs.mkdir("mnt")
	e.fs.file("mnt/hidden")
	fs2 := newMemFS(t, "second")
	fs2.mkdir("x")
	fs2.file("x/y")
	m, err := e.v.MountAt(e.mustWalk("/mnt", 0), fs2, 0)
	if err != nil {
		t.Fatalf("MountAt = %v", err)
	}
	for _, tc := range []struct {
		path  string
		flags int
		want  string
		mount *Mount
		err   error
	}{
		{"/mnt", 0, "/mnt", m, nil},
		{"/mnt/x/y", 0, "/mnt/x/y", m, nil},
		{"/mnt/hidden", 0, "", nil, unix.ENOENT},
		{"/mnt/..", 0, "/", e.root, nil},
		{"/mnt/x/../../mnt/x", 0, "/mnt/x", m, nil},
		{"/mnt/x", NoXdev, "", nil, unix.EXDEV},
	} {
		vd, err := e.walk(tc.path, tc.flags)
		if err != tc.err {
			t.Errorf("Walk(%q) = %s, want %s", tc.path, errno(err), errno(tc.err))
			continue
		}
		if err == nil && (e.path(vd) != tc.want || vd.Mount != tc.mount) {
			t.Errorf("Walk(%q) = %q in mount %d, want %q in mount %d", tc.path, e.path(vd), vd.Mount.ID, tc.want, tc.mount.ID)
		}
	}
	mvd := e.mustWalk("/mnt", 0)
	if _, err := e.v.Walk(e.ctx, mvd, "..", NoXdev); err != unix.EXDEV {
		t.Errorf("Walk(/mnt, .., NoXdev) = %s, want EXDEV", errno(err))
	}
	_, rdev, _ := e.v.Stat(e.mustWalk("/", 0))
	_, mdev, _ := e.v.Stat(mvd)
	if rdev == mdev || mdev != m.Dev {
		t.Errorf("st_dev of / and /mnt = %#x, %#x; want distinct, /mnt = %#x", rdev, mdev, m.Dev)
	}
	check(t, "Rmdir(mount point)", e.v.Rmdir(e.ctx, VirtualDentry{}, "/mnt"), unix.EBUSY)
	check(t, "Rename(mount point)", e.v.Rename(e.ctx, VirtualDentry{}, "/mnt", VirtualDentry{}, "/mnt2", 0), unix.EBUSY)

	// Busy while a file is open, then not.
	f, err := e.v.Open(e.ctx, VirtualDentry{}, "/mnt/x/y", unix.O_RDONLY, 0)
	if err != nil {
		t.Fatalf("Open = %v", err)
	}
	check(t, "Unmount(open file)", e.v.Unmount(m, false), unix.EBUSY)
	f.DecRef()
	check(t, "Unmount(root)", e.v.Unmount(e.root, false), unix.EBUSY)
	check(t, "Unmount", e.v.Unmount(m, false), nil)
	check(t, "Unmount again", e.v.Unmount(m, false), unix.EINVAL)
	if _, err := e.walk("/mnt/hidden", 0); err != nil {
		t.Errorf("Walk(/mnt/hidden) after unmount = %s, want ok", errno(err))
	}
	if got := len(e.v.Mounts()); got != 1 {
		t.Errorf("len(Mounts()) = %d after unmount, want 1", got)
	}
}

func TestMountStackAndDetach(t *testing.T) {
	e := newEnv(t)
	e.fs.mkdir("mnt")
	fs2, fs3 := newMemFS(t, "two"), newMemFS(t, "three")
	fs2.mkdir("sub")
	fs3.file("three")
	m2, _ := e.v.MountAt(e.mustWalk("/mnt", 0), fs2, 0)
	m3, err := e.v.MountAt(e.mustWalk("/mnt/sub", 0), fs3, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.path(e.mustWalk("/mnt/sub/three", 0)); got != "/mnt/sub/three" {
		t.Errorf("PathOf(/mnt/sub/three) = %q", got)
	}
	// Mounting over a mount root stacks on top.
	fs4 := newMemFS(t, "four")
	fs4.file("four")
	m4, _ := e.v.MountAt(e.mustWalk("/mnt", 0), fs4, 0)
	if _, err := e.walk("/mnt/four", 0); err != nil {
		t.Errorf("Walk(/mnt/four) over a stacked mount = %s", errno(err))
	}
	ms := e.v.Mounts()
	if len(ms) != 4 || ms[0] != e.root || ms[1] != m2 || ms[2] != m3 || ms[3] != m4 {
		t.Errorf("Mounts() not in mount order")
	}
	check(t, "Unmount(with submounts)", e.v.Unmount(m2, false), unix.EBUSY)
	cwd := e.mustWalk("/mnt/four", 0)
	cwd.IncRef()
	check(t, "Unmount(held)", e.v.Unmount(m4, false), unix.EBUSY)
	check(t, "Unmount(held, detach)", e.v.Unmount(m4, true), nil)
	if p, ok := e.v.PathOf(e.v.Root(e.root), cwd); ok {
		t.Errorf("PathOf(detached) = %q, true; want unreachable", p)
	}
	cwd.DecRef()
	check(t, "Unmount(m2, detach)", e.v.Unmount(m2, true), nil)
	if got := len(e.v.Mounts()); got != 1 {
		t.Errorf("len(Mounts()) = %d after detach of a tree, want 1", got)
	}
	if _, err := e.walk("/mnt/sub", 0); err != unix.ENOENT {
		t.Errorf("Walk(/mnt/sub) after detach = %s, want ENOENT", errno(err))
	}
}

func TestBind(t *testing.T) {
	e := newEnv(t)
	e.fs.mkdir("a")
	e.fs.mkdir("a/b")
	e.fs.file("a/b/c")
	e.fs.mkdir("a/b/m")
	e.fs.mkdir("bind")
	e.fs.mkdir("rbind")
	e.fs.file("file")
	e.fs.file("file2")
	fs2 := newMemFS(t, "sub")
	fs2.file("inner")
	if _, err := e.v.MountAt(e.mustWalk("/a/b/m", 0), fs2, 0); err != nil {
		t.Fatal(err)
	}
	b, err := e.v.BindAt(e.mustWalk("/bind", 0), e.mustWalk("/a/b", 0), unix.MS_RDONLY, false)
	if err != nil {
		t.Fatalf("BindAt = %v", err)
	}
	if b.FS != e.fs || b.Root != e.mustWalk("/a/b", 0).Dentry {
		t.Errorf("bind mount has the wrong filesystem or root")
	}
	c := e.mustWalk("/bind/c", 0)
	if c.Mount != b || c.Dentry != e.mustWalk("/a/b/c", 0).Dentry {
		t.Errorf("/bind/c is not /a/b/c seen through the bind mount")
	}
	if _, dev, _ := e.v.Stat(c); dev != b.Dev || dev == e.root.Dev {
		t.Errorf("st_dev through the bind = %#x, want its own %#x", dev, b.Dev)
	}
	if _, err := e.walk("/bind/m/inner", 0); err != unix.ENOENT {
		t.Errorf("Walk(/bind/m/inner) in a non-recursive bind = %s, want ENOENT", errno(err))
	}
	if got := e.path(e.mustWalk("/bind/..", 0)); got != "/" {
		t.Errorf("/bind/.. = %q, want /", got)
	}
	check(t, "Link across mounts", e.v.Link(e.ctx, VirtualDentry{}, "/bind/c", 0, VirtualDentry{}, "/c2"), unix.EXDEV)
	check(t, "Rename across mounts", e.v.Rename(e.ctx, VirtualDentry{}, "/bind/c", VirtualDentry{}, "/c2", 0), unix.EXDEV)
	check(t, "Unlink through a read-only bind", e.v.Unlink(e.ctx, VirtualDentry{}, "/bind/c"), unix.EROFS)

	r, err := e.v.BindAt(e.mustWalk("/rbind", 0), e.mustWalk("/a", 0), 0, true)
	if err != nil {
		t.Fatalf("BindAt(recursive) = %v", err)
	}
	in := e.mustWalk("/rbind/b/m/inner", 0)
	if in.Mount.Parent != r || e.path(in) != "/rbind/b/m/inner" {
		t.Errorf("recursive bind: /rbind/b/m/inner in mount %d at %q", in.Mount.ID, e.path(in))
	}
	// A file bound over a file.
	if _, err := e.v.BindAt(e.mustWalk("/file", 0), e.mustWalk("/file2", 0), 0, false); err != nil {
		t.Errorf("BindAt(file over file) = %v", err)
	}
	if _, err := e.v.BindAt(e.mustWalk("/a", 0), e.mustWalk("/file2", 0), 0, false); err != unix.ENOTDIR {
		t.Errorf("BindAt(file over dir) = %s, want ENOTDIR", errno(err))
	}
	if _, err := e.v.MountAt(e.mustWalk("/file2", 0), fs2, 0); err != unix.ENOTDIR {
		t.Errorf("MountAt(file) = %s, want ENOTDIR", errno(err))
	}
}

func TestReadOnlyMount(t *testing.T) {
	e := newEnv(t)
	e.fs.mkdir("ro")
	fs2 := newMemFS(t, "ro")
	fs2.mkdir("d")
	fs2.file("f")
	fs2.add("null", unix.S_IFCHR|0666, 0, 0)
	m, _ := e.v.MountAt(e.mustWalk("/ro", 0), fs2, unix.MS_RDONLY|unix.MS_NOSUID)
	if m == nil {
		t.Fatal("MountAt failed")
	}
	open := func(path string, flags int) error {
		f, err := e.v.Open(e.ctx, VirtualDentry{}, path, flags, 0644)
		if err == nil {
			f.DecRef()
		}
		return err
	}
	f := e.mustWalk("/ro/f", 0)
	for _, tc := range []struct {
		what string
		err  error
		want error
	}{
		{"open O_RDONLY", open("/ro/f", unix.O_RDONLY), nil},
		{"open O_WRONLY", open("/ro/f", unix.O_WRONLY), unix.EROFS},
		{"open O_RDONLY|O_TRUNC", open("/ro/f", unix.O_RDONLY|unix.O_TRUNC), unix.EROFS},
		{"open O_CREAT new", open("/ro/new", unix.O_CREAT|unix.O_RDONLY), unix.EROFS},
		{"open O_CREAT existing", open("/ro/f", unix.O_CREAT|unix.O_RDONLY), nil},
		{"open O_CREAT|O_EXCL existing", open("/ro/f", unix.O_CREAT|unix.O_EXCL|unix.O_RDONLY), unix.EEXIST},
		{"open device for write", open("/ro/null", unix.O_WRONLY), unix.ENXIO},
		{"mkdir", e.v.Mkdir(e.ctx, VirtualDentry{}, "/ro/nd", 0755), unix.EROFS},
		{"mkdir existing", e.v.Mkdir(e.ctx, VirtualDentry{}, "/ro/d", 0755), unix.EEXIST},
		{"mknod", e.v.Mknod(e.ctx, VirtualDentry{}, "/ro/fifo", unix.S_IFIFO|0644, 0), unix.EROFS},
		{"symlink", e.v.Symlink(e.ctx, "f", VirtualDentry{}, "/ro/l"), unix.EROFS},
		{"link", e.v.Link(e.ctx, VirtualDentry{}, "/ro/f", 0, VirtualDentry{}, "/ro/g"), unix.EROFS},
		{"unlink", e.v.Unlink(e.ctx, VirtualDentry{}, "/ro/f"), unix.EROFS},
		{"unlink missing", e.v.Unlink(e.ctx, VirtualDentry{}, "/ro/missing"), unix.EROFS},
		{"rmdir", e.v.Rmdir(e.ctx, VirtualDentry{}, "/ro/d"), unix.EROFS},
		{"rename", e.v.Rename(e.ctx, VirtualDentry{}, "/ro/f", VirtualDentry{}, "/ro/g", 0), unix.EROFS},
		{"chmod", e.v.Setattr(e.ctx, f, &SetAttr{Mask: SetMode, Mode: 0600}), unix.EROFS},
		{"truncate", e.v.Setattr(e.ctx, f, &SetAttr{Mask: SetSize}), unix.EROFS},
		{"setxattr", e.v.Setxattr(e.ctx, f, "user.x", []byte("v"), 0), unix.EROFS},
		{"removexattr", e.v.Removexattr(e.ctx, f, "user.x"), unix.EROFS},
		{"access W_OK", e.v.Access(e.ctx, f, unix.W_OK), unix.EROFS},
		{"access R_OK", e.v.Access(e.ctx, f, unix.R_OK), nil},
		{"access W_OK device", e.v.Access(e.ctx, e.mustWalk("/ro/null", 0), unix.W_OK), nil},
	} {
		check(t, tc.what+" on a read-only mount", tc.err, tc.want)
	}
	st, err := e.v.Statfs(f)
	if err != nil || st.Flags&unix.ST_RDONLY == 0 || st.Flags&unix.ST_NOSUID == 0 {
		t.Errorf("Statfs(ro) flags = %#x, %v; want ST_RDONLY|ST_NOSUID", st.Flags, err)
	}
}
