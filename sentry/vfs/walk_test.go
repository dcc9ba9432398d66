package vfs

import (
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// walkTree builds the tree the walk tests use.
func walkTree(t *testing.T) *env {
	e := newEnv(t)
	fs := e.fs
	fs.mkdir("a")
	fs.mkdir("a/b")
	fs.file("a/b/c")
	fs.file("a/f")
	fs.symlink("l_abs", "/a/b")
	fs.symlink("l_rel", "a/b")
	fs.symlink("l_dangling", "nowhere")
	fs.symlink("l_file", "a/f")
	fs.symlink("loop1", "loop2")
	fs.symlink("loop2", "loop1")
	fs.symlink("a/b/up", "../../..")
	fs.symlink("empty", "")
	for i := 0; i < 41; i++ {
		fs.symlink("chain"+itoa(i), "chain"+itoa(i+1))
	}
	fs.symlink("chain41", "a")
	fs.add("magic", unix.S_IFLNK|0777, 0, 0).magic = func(*Context) (VirtualDentry, error) {
		return e.v.Walk(e.ctx, VirtualDentry{}, "/a/b", 0) // a reference the walk takes over
	}
	fs.add("nt", unix.S_IFLNK|0777, 0, 0).magic = func(*Context) (VirtualDentry, error) {
		return VirtualDentry{}, ErrNoTarget
	}
	fs.add("ctxlink", unix.S_IFLNK|0777, 0, 0).target = "never-used"
	return e
}

func TestWalk(t *testing.T) {
	e := walkTree(t)
	long := strings.Repeat("x", 256)
	for _, tc := range []struct {
		path  string
		flags int
		want  string // path reached
		err   error
	}{
		{"/", 0, "/", nil},
		{"//a///b/", 0, "/a/b", nil},
		{"a/./b/../b", 0, "/a/b", nil},
		{"/..", 0, "/", nil},
		{"../../a", 0, "/a", nil},
		{"/a/b/c", 0, "/a/b/c", nil},
		{"/a/f/", 0, "", unix.ENOTDIR},
		{"/a/f/x", 0, "", unix.ENOTDIR},
		{"/a/f/.", 0, "", unix.ENOTDIR},
		{"/a/f/..", 0, "", unix.ENOTDIR},
		{"/nope", 0, "", unix.ENOENT},
		{"/nope/x", 0, "", unix.ENOENT},
		{"", 0, "", unix.ENOENT},
		{"", EmptyPath, "/", nil},
		{"/l_abs", FollowFinal, "/a/b", nil},
		{"/l_abs", 0, "/l_abs", nil},
		{"/l_abs/", 0, "/a/b", nil},
		{"/l_rel/c", 0, "/a/b/c", nil},
		{"/l_file", FollowFinal, "/a/f", nil},
		{"/l_file/", 0, "", unix.ENOTDIR},
		{"/l_dangling", FollowFinal, "", unix.ENOENT},
		{"/l_dangling", 0, "/l_dangling", nil},
		{"/empty", FollowFinal, "", unix.ENOENT},
		{"/loop1", FollowFinal, "", unix.ELOOP},
		{"/loop1", 0, "/loop1", nil},
		{"/loop1/x", 0, "", unix.ELOOP},
		{"/chain0", FollowFinal, "", unix.ELOOP},
		{"/chain1/b", 0, "", unix.ELOOP},
		{"/chain2", FollowFinal, "/a", nil},
		{"/chain2/b", 0, "/a/b", nil},
		{"/a/b/up", FollowFinal, "/", nil},
		{"/a/b/up/a/b/up/l_rel", FollowFinal, "/a/b", nil},
		{"/" + long, 0, "", unix.ENAMETOOLONG},
		{"/" + long[:255], 0, "", unix.ENOENT},
		{"/" + strings.Repeat("a/", 2048), 0, "", unix.ENAMETOOLONG},
		{"/" + strings.Repeat("./", 2046) + "a", 0, "/a", nil},
		{"/a/f", MustBeDir, "", unix.ENOTDIR},
		{"/a", MustBeDir, "/a", nil},
		{"/magic", FollowFinal, "/a/b", nil},
		{"/magic/c", 0, "/a/b/c", nil},
		{"/magic", 0, "/magic", nil},
		{"/nt", FollowFinal, "/nt", nil},
		{"/nt/x", 0, "", unix.ENOTDIR},
		{"/l_abs", FollowFinal | NoSymlinks, "", unix.ELOOP},
		{"/l_abs", NoSymlinks, "/l_abs", nil},
		{"/a/b/c", NoSymlinks, "/a/b/c", nil},
		{"/magic/c", NoMagicLinks, "", unix.ELOOP},
		{"/l_rel/c", NoMagicLinks, "/a/b/c", nil},
	} {
		vd, err := e.walk(tc.path, tc.flags)
		name := tc.path
		if len(name) > 40 {
			name = name[:40] + "..."
		}
		if err != tc.err {
			t.Errorf("Walk(%q, %#x) = %s, want %s", name, tc.flags, errno(err), errno(tc.err))
			continue
		}
		if err == nil {
			if got := e.path(vd); got != tc.want {
				t.Errorf("Walk(%q, %#x) reached %q, want %q", name, tc.flags, got, tc.want)
			}
		}
	}
}

func TestWalkScoped(t *testing.T) {
	e := walkTree(t)
	a := e.mustWalk("/a", 0)
	for _, tc := range []struct {
		path  string
		flags int
		want  string
		err   error
	}{
		{"b/c", Beneath, "/a/b/c", nil},
		{"b/..", Beneath, "/a", nil},
		{"..", Beneath, "", unix.EXDEV},
		{"b/../..", Beneath, "", unix.EXDEV},
		{"/a", Beneath, "", unix.EXDEV},
		{"b/up", Beneath | FollowFinal, "", unix.EXDEV},
		{"/b/c", InRoot, "/a/b/c", nil},
		{"../../b", InRoot, "/a/b", nil},
		{"b/up", InRoot | FollowFinal, "/a", nil},
		{"b/up/b/c", InRoot, "/a/b/c", nil},
		{"../magic", InRoot, "", unix.ENOENT},
	} {
		vd, err := e.v.Walk(e.ctx, a, tc.path, tc.flags)
		if err != tc.err {
			t.Errorf("Walk(/a, %q, %#x) = %s, want %s", tc.path, tc.flags, errno(err), errno(tc.err))
			continue
		}
		if err == nil {
			if got := e.path(vd); got != tc.want {
				t.Errorf("Walk(/a, %q, %#x) reached %q, want %q", tc.path, tc.flags, got, tc.want)
			}
		}
	}
	// Magic links are refused by scoped walks.
	e.fs.add("a/m", unix.S_IFLNK|0777, 0, 0).magic = func(*Context) (VirtualDentry, error) { a.IncRef(); return a, nil }
	_, err := e.v.Walk(e.ctx, a, "m", Beneath|FollowFinal)
	check(t, "Walk(Beneath, magic link)", err, unix.EXDEV)
}

// TestChrootContainment checks that nothing walks above ctx.Root: not
// "..", not relative symlinks climbing out, not absolute targets.
func TestChrootContainment(t *testing.T) {
	e := newEnv(t)
	fs := e.fs
	fs.mkdir("secret")
	fs.file("secret/key")
	fs.mkdir("jail")
	fs.mkdir("jail/sub")
	fs.mkdir("jail/secret")
	fs.symlink("jail/up", "../../../..")
	fs.symlink("jail/sub/up", "../../../../secret")
	fs.symlink("jail/abs", "/")
	fs.symlink("jail/abs2", "/../../secret")
	fs.symlink("jail/sub/mix", "../up/../sub/up/../../abs/..")
	jail := e.mustWalk("/jail", 0)
	ctx := &Context{Root: jail, Cwd: e.mustWalk("/jail/sub", 0), Cred: RootCred()}
	for _, p := range []string{"/..", "../../..", "/../../..", "up", "up/..", "sub/up", "abs", "abs2", "abs/..",
		"sub/mix", "sub/mix/..", "/sub/../../../.."} {
		for _, flags := range []int{0, FollowFinal} {
			vd, err := e.v.Walk(ctx, VirtualDentry{}, p, flags)
			if err != nil {
				continue
			}
			if got := e.path(vd); !strings.HasPrefix(got, "/jail") {
				t.Errorf("Walk(chroot /jail, %q) reached %q, outside the root", p, got)
			}
			if got, ok := e.v.PathOf(jail, vd); !ok {
				t.Errorf("PathOf(jail, Walk(%q)) = %q unreachable", p, got)
			}
		}
	}
	if _, err := e.v.Walk(ctx, VirtualDentry{}, "/secret/key", 0); err != unix.ENOENT {
		t.Errorf("Walk(chroot, /secret/key) = %s, want ENOENT", errno(err))
	}
	// A cwd outside the root is reported unreachable.
	if p, ok := e.v.PathOf(jail, e.mustWalk("/secret", 0)); ok {
		t.Errorf("PathOf(jail, /secret) = %q, true; want unreachable", p)
	}
}

func TestWalkParent(t *testing.T) {
	e := walkTree(t)
	for _, tc := range []struct {
		path, dir, name string
		slash           bool
		err             error
	}{
		{"/a/b/c", "/a/b", "c", false, nil},
		{"a/new/", "/a", "new", true, nil},
		{"/", "/", "/", false, nil},
		{"/a/.", "/a", ".", false, nil},
		{"/a/..", "/a", "..", false, nil},
		{"l_abs/x", "/a/b", "x", false, nil},
		{"l_abs", "/", "l_abs", false, nil},
		{"a/f/x", "", "", false, unix.ENOTDIR},
		{"", "", "", false, unix.ENOENT},
	} {
		dir, name, slash, err := e.v.WalkParent(e.ctx, VirtualDentry{}, tc.path, 0)
		if err != tc.err {
			t.Errorf("WalkParent(%q) = %s, want %s", tc.path, errno(err), errno(tc.err))
			continue
		}
		if err != nil {
			continue
		}
		if got := e.path(dir); got != tc.dir || name != tc.name || slash != tc.slash {
			t.Errorf("WalkParent(%q) = %q, %q, %v; want %q, %q, %v", tc.path, got, name, slash, tc.dir, tc.name, tc.slash)
		}
	}
}

// ctxLink is a symlink whose text depends on the caller.
type ctxLink struct{ *memVnode }

func (l ctxLink) ReadlinkFor(ctx *Context) (string, error) { return ctx.Caller.(string), nil }

func TestContextReadlinker(t *testing.T) {
	e := walkTree(t)
	dir := e.mustWalk("/", 0)
	n := e.fs.add("self", unix.S_IFLNK|0777, 0, 0)
	n.target = "wrong"
	// Cache a ctxLink dentry for "self" by hand.
	d, err := newDentry(e.fs, dir.Dentry, "self", ctxLink{&memVnode{n: n}})
	if err != nil {
		t.Fatal(err)
	}
	dir.Dentry.mu.Lock()
	e.v.insertChildLocked(dir.Dentry, d)
	dir.Dentry.mu.Unlock()
	ctx := *e.ctx
	ctx.Caller = "a/b"
	vd, err := e.v.Walk(&ctx, VirtualDentry{}, "/self/c", 0)
	if err != nil || e.path(vd) != "/a/b/c" {
		t.Errorf("Walk(/self/c) = %q, %s; want /a/b/c", e.path(vd), errno(err))
	}
	link := e.mustWalk("/self", 0)
	if got, err := e.v.Readlink(&ctx, link); got != "a/b" || err != nil {
		t.Errorf("Readlink(self) = %q, %s; want a/b", got, errno(err))
	}
	if _, err := e.v.Readlink(&ctx, e.mustWalk("/a", 0)); err != unix.EINVAL {
		t.Errorf("Readlink(dir) = %s, want EINVAL", errno(err))
	}
}
