package vfs

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestOpen(t *testing.T) {
	e := newEnv(t)
	e.fs.mkdir("d")
	e.fs.file("f")
	e.fs.symlink("dangling", "d/target")
	e.fs.symlink("lf", "f")
	for _, tc := range []struct {
		path  string
		flags int
		err   error
	}{
		{"f", unix.O_RDONLY, nil},
		{"f", unix.O_CREAT | unix.O_EXCL | unix.O_WRONLY, unix.EEXIST},
		{"dangling", unix.O_CREAT | unix.O_EXCL | unix.O_WRONLY, unix.EEXIST},
		{"new/", unix.O_CREAT | unix.O_WRONLY, unix.EISDIR},
		{"f/", unix.O_CREAT | unix.O_WRONLY, unix.EISDIR},
		{"d", unix.O_CREAT | unix.O_RDONLY, unix.EISDIR},
		{".", unix.O_CREAT | unix.O_RDONLY, unix.EISDIR},
		{"f", unix.O_DIRECTORY, unix.ENOTDIR},
		{"f/", unix.O_RDONLY, unix.ENOTDIR},
		{"d", unix.O_WRONLY, unix.EISDIR},
		{"d", unix.O_RDONLY | unix.O_TRUNC, unix.EISDIR},
		{"d", unix.O_RDONLY | unix.O_DIRECTORY, nil},
		{"lf", unix.O_RDONLY | unix.O_NOFOLLOW, unix.ELOOP},
		{"lf", unix.O_CREAT | unix.O_RDONLY | unix.O_NOFOLLOW, unix.ELOOP},
		{"lf", unix.O_PATH | unix.O_NOFOLLOW, nil},
		{"lf", unix.O_PATH | unix.O_NOFOLLOW | unix.O_DIRECTORY, unix.ENOTDIR},
		{"lf", unix.O_RDWR, nil},
		{"x", unix.O_CREAT | unix.O_DIRECTORY, unix.EINVAL},
		{"missing", unix.O_RDONLY, unix.ENOENT},
		{"d", unix.O_TMPFILE | unix.O_RDWR, nil},
		{"d", unix.O_TMPFILE | unix.O_RDONLY, unix.EINVAL},
	} {
		f, err := e.v.Open(e.ctx, VirtualDentry{}, tc.path, tc.flags, 0644)
		check(t, "Open("+tc.path+", "+flagStr(tc.flags)+")", err, tc.err)
		if err == nil {
			if f.HostFD() < 0 {
				t.Errorf("Open(%q) has no host fd", tc.path)
			}
			f.DecRef()
		}
	}

	// O_PATH|O_NOFOLLOW opens the link itself.
	f, err := e.v.Open(e.ctx, VirtualDentry{}, "lf", unix.O_PATH|unix.O_NOFOLLOW, 0)
	if err != nil || !f.VD.Dentry.IsSymlink() {
		t.Errorf("Open(link, O_PATH|O_NOFOLLOW) = %v, want the link", err)
	} else {
		f.DecRef()
	}

	// O_CREAT through a dangling symlink creates the target, umask applied.
	f, err = e.v.Open(e.ctx, VirtualDentry{}, "dangling", unix.O_CREAT|unix.O_WRONLY, 0666)
	if err != nil {
		t.Fatalf("Open(dangling, O_CREAT) = %v", err)
	}
	if got := e.path(f.VD); got != "/d/target" {
		t.Errorf("Open(dangling, O_CREAT) created %q, want /d/target", got)
	}
	attr, _, _ := e.v.Stat(f.VD)
	if attr.Mode != unix.S_IFREG|0644 {
		t.Errorf("created mode = %o, want %o (umask 022)", attr.Mode, unix.S_IFREG|0644)
	}
	unix.Write(f.HostFD(), []byte("hello"))
	f.DecRef()

	// O_TRUNC empties a regular file opened for writing.
	f, err = e.v.Open(e.ctx, VirtualDentry{}, "d/target", unix.O_WRONLY|unix.O_TRUNC, 0)
	if err != nil {
		t.Fatalf("Open(O_TRUNC) = %v", err)
	}
	attr, _, _ = e.v.Stat(f.VD)
	if attr.Size != 0 {
		t.Errorf("size after O_TRUNC = %d, want 0", attr.Size)
	}
	f.DecRef()

	// OpenAt opens a resolved position; EmptyPath walks give the start.
	vd := e.mustWalk("/d", 0)
	if got, err := e.v.Walk(e.ctx, vd, "", EmptyPath); err != nil || got != vd {
		t.Errorf("Walk(EmptyPath) = %v, want the start", err)
	}
	f, err = e.v.OpenAt(e.ctx, e.mustWalk("/f", 0), unix.O_RDWR)
	if err != nil {
		t.Errorf("OpenAt = %v", err)
	} else {
		f.DecRef()
	}
}

func flagStr(f int) string { return "0x" + itoaHex(f) }

func itoaHex(i int) string {
	const digits = "0123456789abcdef"
	if i == 0 {
		return "0"
	}
	s := ""
	for ; i > 0; i >>= 4 {
		s = string(digits[i&15]) + s
	}
	return s
}

func TestNamei(t *testing.T) {
	e := newEnv(t)
	e.fs.mkdir("d")
	e.fs.mkdir("full")
	e.fs.file("full/x")
	e.fs.file("f")
	e.fs.symlink("ld", "d")
	none := VirtualDentry{}
	for _, tc := range []struct {
		what string
		err  error
		want error
	}{
		{"mkdir existing", e.v.Mkdir(e.ctx, none, "d", 0755), unix.EEXIST},
		{"mkdir .", e.v.Mkdir(e.ctx, none, "d/.", 0755), unix.EEXIST},
		{"mkdir /", e.v.Mkdir(e.ctx, none, "/", 0755), unix.EEXIST},
		{"mkdir trailing slash", e.v.Mkdir(e.ctx, none, "d/new/", 0777), nil},
		{"mkdir in missing", e.v.Mkdir(e.ctx, none, "nope/new", 0777), unix.ENOENT},
		{"mkdir under file", e.v.Mkdir(e.ctx, none, "f/new", 0777), unix.ENOTDIR},
		{"mknod fifo", e.v.Mknod(e.ctx, none, "fifo", unix.S_IFIFO|0666, 0), nil},
		{"mknod regular", e.v.Mknod(e.ctx, none, "reg", 0666, 0), nil},
		{"mknod dir", e.v.Mknod(e.ctx, none, "dir", unix.S_IFDIR|0666, 0), unix.EPERM},
		{"mknod trailing slash", e.v.Mknod(e.ctx, none, "fifo2/", unix.S_IFIFO|0666, 0), unix.ENOENT},
		{"mknod chr by user", e.v.Mknod(e.as(user(1000)), none, "d/new/chr", unix.S_IFCHR|0666, 0), unix.EACCES},
		{"symlink", e.v.Symlink(e.ctx, "target", none, "sl"), nil},
		{"symlink empty", e.v.Symlink(e.ctx, "", none, "sl2"), unix.ENOENT},
		{"symlink existing", e.v.Symlink(e.ctx, "x", none, "f"), unix.EEXIST},
		{"link", e.v.Link(e.ctx, none, "f", 0, none, "f2"), nil},
		{"link dir", e.v.Link(e.ctx, none, "d", 0, none, "d2"), unix.EPERM},
		{"link existing", e.v.Link(e.ctx, none, "f", 0, none, "f2"), unix.EEXIST},
		{"link symlink itself", e.v.Link(e.ctx, none, "ld", 0, none, "ld2"), nil},
		{"link followed symlink", e.v.Link(e.ctx, none, "ld", FollowFinal, none, "ld3"), unix.EPERM},
		{"link empty path", e.v.Link(e.ctx, e.mustWalk("f", 0), "", EmptyPath, none, "f3"), nil},
		{"unlink dir", e.v.Unlink(e.ctx, none, "d"), unix.EISDIR},
		{"unlink .", e.v.Unlink(e.ctx, none, "d/."), unix.EISDIR},
		{"unlink file/", e.v.Unlink(e.ctx, none, "f/"), unix.ENOTDIR},
		{"unlink missing", e.v.Unlink(e.ctx, none, "missing"), unix.ENOENT},
		{"unlink symlink to dir", e.v.Unlink(e.ctx, none, "ld2"), nil},
		{"unlink", e.v.Unlink(e.ctx, none, "f2"), nil},
		{"rmdir .", e.v.Rmdir(e.ctx, none, "d/."), unix.EINVAL},
		{"rmdir ..", e.v.Rmdir(e.ctx, none, "d/.."), unix.ENOTEMPTY},
		{"rmdir /", e.v.Rmdir(e.ctx, none, "/"), unix.EBUSY},
		{"rmdir non-empty", e.v.Rmdir(e.ctx, none, "full"), unix.ENOTEMPTY},
		{"rmdir file", e.v.Rmdir(e.ctx, none, "f"), unix.ENOTDIR},
		{"rmdir symlink/", e.v.Rmdir(e.ctx, none, "ld/"), unix.ENOTDIR},
		{"rmdir", e.v.Rmdir(e.ctx, none, "d/new/"), nil},
	} {
		check(t, tc.what, tc.err, tc.want)
	}
	for _, tc := range []struct {
		path string
		mode uint32
	}{{"fifo", unix.S_IFIFO | 0644}, {"reg", unix.S_IFREG | 0644}, {"sl", unix.S_IFLNK | 0777}} {
		attr, _, err := e.v.Stat(e.mustWalk(tc.path, 0))
		if err != nil || attr.Mode != tc.mode {
			t.Errorf("mode of %s = %o, %v; want %o", tc.path, attr.Mode, err, tc.mode)
		}
	}
	e.mkdir("m", 0777)
	if attr, _, _ := e.v.Stat(e.mustWalk("m", 0)); attr.Mode != unix.S_IFDIR|0755 {
		t.Errorf("mkdir mode = %o, want %o", attr.Mode, unix.S_IFDIR|0755)
	}
}

func TestRename(t *testing.T) {
	e := newEnv(t)
	e.fs.mkdir("a")
	e.fs.mkdir("a/sub")
	e.fs.file("a/sub/deep")
	e.fs.mkdir("full")
	e.fs.file("full/x")
	e.fs.mkdir("empty")
	e.fs.file("f")
	e.fs.file("g")
	none := VirtualDentry{}
	ren := func(from, to string, flags uint32) error {
		return e.v.Rename(e.ctx, none, from, none, to, flags)
	}
	for _, tc := range []struct {
		what string
		err  error
		want error
	}{
		{"dir into own subtree", ren("a", "a/sub/x", 0), unix.EINVAL},
		{"dir onto itself below", ren("a", "a/sub/..", 0), unix.EBUSY},
		{"over non-empty dir", ren("empty", "full", 0), unix.ENOTEMPTY},
		{"over ancestor", ren("a/sub", "a", 0), unix.ENOTEMPTY},
		{"file over dir", ren("f", "empty", 0), unix.EISDIR},
		{"dir over file", ren("empty", "f", 0), unix.ENOTDIR},
		{"noreplace", ren("f", "g", unix.RENAME_NOREPLACE), unix.EEXIST},
		{"exchange missing", ren("f", "missing", unix.RENAME_EXCHANGE), unix.ENOENT},
		{"bad flags", ren("f", "g", unix.RENAME_NOREPLACE|unix.RENAME_EXCHANGE), unix.EINVAL},
		{"missing", ren("missing", "x", 0), unix.ENOENT},
		{"file/", ren("f/", "x", 0), unix.ENOTDIR},
		{"to file/", ren("f", "x/", 0), unix.ENOTDIR},
		{"to itself", ren("f", "f", 0), nil},
		{"dot", ren("a/.", "x", 0), unix.EBUSY},
	} {
		check(t, "Rename "+tc.what, tc.err, tc.want)
	}

	// Files and cwds below a moved directory follow it.
	f, err := e.v.Open(e.ctx, none, "a/sub/deep", unix.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.DecRef()
	cwd := e.mustWalk("a/sub", 0)
	check(t, "Rename a z", ren("a", "z", 0), nil)
	if got := e.path(f.VD); got != "/z/sub/deep" {
		t.Errorf("open file after rename = %q, want /z/sub/deep", got)
	}
	if got := e.path(cwd); got != "/z/sub" {
		t.Errorf("cwd after rename = %q, want /z/sub", got)
	}
	if _, err := e.walk("a/sub", 0); err != unix.ENOENT {
		t.Errorf("Walk(old name) = %s, want ENOENT", errno(err))
	}
	if got := e.path(e.mustWalk("z/sub/deep", 0)); got != "/z/sub/deep" {
		t.Errorf("Walk(new name) = %q", got)
	}

	// Replacing a file deletes the old one.
	old := e.mustWalk("g", 0)
	check(t, "Rename f g", ren("f", "g", 0), nil)
	if got := e.path(old); got != "/g (deleted)" {
		t.Errorf("replaced file = %q, want /g (deleted)", got)
	}

	// Exchange swaps the two names.
	e.fs.file("z/sub/other")
	deep, other := e.mustWalk("z/sub/deep", 0), e.mustWalk("z/sub/other", 0)
	check(t, "Rename exchange", ren("z/sub/deep", "z/sub/other", unix.RENAME_EXCHANGE), nil)
	if e.path(deep) != "/z/sub/other" || e.path(other) != "/z/sub/deep" {
		t.Errorf("after exchange: %q, %q", e.path(deep), e.path(other))
	}
	if e.mustWalk("z/sub/other", 0).Dentry != deep.Dentry {
		t.Errorf("Walk after exchange does not find the moved dentry")
	}
	check(t, "Rename dir over empty dir", ren("z", "empty", 0), nil)
	if got := e.path(f.VD); got != "/empty/sub/other" {
		t.Errorf("open file after second rename = %q", got)
	}
}
