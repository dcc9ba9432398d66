package vfs

import (
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// bindTreeEnv is a root with /a (filesystem A, holding s) and /a/s
// (filesystem S), and empty /mnt and /usr/share directories.
func bindTreeEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	e.fs.mkdir("a")
	e.fs.mkdir("mnt")
	e.fs.mkdir("usr")
	e.fs.mkdir("usr/share")
	fa, fsS := newMemFS(t, "A"), newMemFS(t, "S")
	fa.mkdir("s")
	if _, err := e.v.MountAt(e.mustWalk("/a", 0), fa, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := e.v.MountAt(e.mustWalk("/a/s", 0), fsS, 0); err != nil {
		t.Fatal(err)
	}
	return e
}

// mountTree lists e's mounts in mount order as /proc/self/mountinfo
// would, ids replaced by the index of the mount in the list:
// "INDEX PARENT ROOT POINT SOURCE".
func mountTree(e *env) string {
	ms := e.v.Mounts()
	index := map[*Mount]int{}
	var b strings.Builder
	for i, m := range ms {
		index[m] = i
		parent := i
		if m.Parent != nil {
			parent = index[m.Parent]
		}
		b.WriteString(strings.Join([]string{strconv.Itoa(i), strconv.Itoa(parent), e.v.RootPath(m), e.path(e.v.Root(m)), m.Source()}, " "))
		b.WriteByte('\n')
	}
	return b.String()
}

// the mounts bindTreeEnv makes
const bindTreeBase = "0 0 / / root\n1 0 / /a A\n2 1 / /a/s S\n"

// TestBindOverItself: a bind of a tree over itself or over a directory
// inside it copies the tree as it was before the bind, once, as Linux's
// copy_tree before attach_recursive_mnt; the copy goes on the topmost
// mount at the target (lock_mount), and unmounting it leaves the tree
// as it was.
func TestBindOverItself(t *testing.T) {
	for _, tc := range []struct {
		name, src, at string
		rec           bool
		want          string
	}{
		{"rbind / /", "/", "/", true, "3 0 / / root\n4 3 / /a A\n5 4 / /a/s S\n"},
		{"bind / /", "/", "/", false, "3 0 / / root\n"},
		{"rbind / /mnt", "/", "/mnt", true, "3 0 / /mnt root\n4 3 / /mnt/a A\n5 4 / /mnt/a/s S\n"},
		{"rbind /a /a", "/a", "/a", true, "3 1 / /a A\n4 3 / /a/s S\n"},
		{"rbind /a /a/s", "/a", "/a/s", true, "3 2 / /a/s A\n4 3 / /a/s/s S\n"},
		{"rbind /a/s /a/s", "/a/s", "/a/s", true, "3 2 / /a/s S\n"},
		{"rbind /usr /usr/share", "/usr", "/usr/share", true, "3 0 /usr /usr/share root\n"},
		{"bind /a /a/s", "/a", "/a/s", false, "3 2 / /a/s A\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := bindTreeEnv(t)
			m, err := e.v.BindAt(e.mustWalk(tc.at, 0), e.mustWalk(tc.src, 0), 0, tc.rec)
			if err != nil {
				t.Fatalf("BindAt = %v", err)
			}
			if got, want := mountTree(e), bindTreeBase+tc.want; got != want {
				t.Errorf("mounts after the bind:\n%swant:\n%s", got, want)
			}
			// umount2(at): the walk of "/" stops at the root, the
			// unmount takes the bind stacked on it.
			vd, err := e.v.Walk(e.ctx, VirtualDentry{}, tc.at, FollowFinal)
			if err != nil {
				t.Fatal(err)
			}
			check(t, "UnmountAt(copy, detach)", e.v.UnmountAt(e.ctx, vd, unix.MNT_DETACH), nil)
			if got := mountTree(e); got != bindTreeBase {
				t.Errorf("mounts after umount -l %s:\n%swant:\n%s", tc.at, got, bindTreeBase)
			}
			check(t, "Unmount(copy) again", e.v.Unmount(m, true), unix.EINVAL)
		})
	}
}

// TestRbindTwice: a second rbind of / over / copies the first copy too
// (it is below the source's root) and goes on top of it: three copies of
// the root stand stacked on /, the top one the copy of the first, and
// each umount -l / takes the topmost.
func TestRbindTwice(t *testing.T) {
	e := bindTreeEnv(t)
	for range 2 {
		if _, err := e.v.BindAt(e.mustWalk("/", 0), e.mustWalk("/", 0), 0, true); err != nil {
			t.Fatalf("BindAt = %v", err)
		}
	}
	want := bindTreeBase +
		"3 0 / / root\n4 3 / /a A\n5 4 / /a/s S\n" +
		"6 3 / / root\n7 6 / /a A\n8 7 / /a/s S\n9 6 / / root\n10 9 / /a A\n11 10 / /a/s S\n"
	if got := mountTree(e); got != want {
		t.Errorf("mounts after two rbinds of / over /:\n%swant:\n%s", got, want)
	}
	// Without MNT_DETACH the top copy is busy with its submounts.
	vd, _ := e.v.Walk(e.ctx, VirtualDentry{}, "/", FollowFinal)
	check(t, "UnmountAt(/)", e.v.UnmountAt(e.ctx, vd, 0), unix.EBUSY)
	for range 3 {
		vd, _ := e.v.Walk(e.ctx, VirtualDentry{}, "/", FollowFinal)
		check(t, "UnmountAt(/, detach)", e.v.UnmountAt(e.ctx, vd, unix.MNT_DETACH), nil)
	}
	if got := mountTree(e); got != bindTreeBase {
		t.Errorf("mounts after three umount -l /:\n%swant:\n%s", got, bindTreeBase)
	}
	vd, _ = e.v.Walk(e.ctx, VirtualDentry{}, "/", FollowFinal)
	check(t, "UnmountAt(root)", e.v.UnmountAt(e.ctx, vd, 0), unix.EBUSY)
}

// TestBindDoublingBounded: rbinds of the root into itself double the
// tree each time; past MountMax mounts one is ENOSPC, at once, and the
// tree detaches whole.
func TestBindDoublingBounded(t *testing.T) {
	e := newEnv(t)
	root := e.v.Root(e.root)
	var err error
	n := 0
	for n = 0; n < 40; n++ {
		_, err = e.v.BindAt(root, root, 0, true)
		if err != nil {
			break
		}
	}
	if err != unix.ENOSPC {
		t.Fatalf("after %d rbinds of / onto /: %v, want ENOSPC", n, err)
	}
	if got := len(e.v.Mounts()); got > MountMax {
		t.Errorf("%d mounts, more than %d", got, MountMax)
	}
}
