package sentry

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"vkernel/sentry/fsimpl/tmpfs"
	"vkernel/sentry/vfs"
)

// newMountKernel is newTestKernel with tmpfs for mount(2), the sentry's
// own (its options are tmpfs.ParseOptions').
func newMountKernel(t *testing.T) (*Kernel, *Task) {
	t.Helper()
	v := vfs.New()
	root := v.Root(v.NewRootMount(tmpfs.New(tmpfs.Options{Mode: 0o755}), 0))
	k := NewKernel(Config{VFS: v, Filesystems: map[string]NewFilesystem{
		"tmpfs": func(source, data string) (vfs.Filesystem, error) {
			o, _, err := tmpfs.ParseOptions(data)
			if err != nil {
				return nil, err
			}
			return tmpfs.New(o), nil
		},
	}})
	return k, k.NewInitTask(os.Getpid(), root, root, RootCreds(), NewFDTable())
}

// mountAt returns the mount whose mount point is path.
func mountAt(t *testing.T, k *Kernel, task *Task, path string) *vfs.Mount {
	t.Helper()
	root, _, _ := task.FS().Get()
	for _, m := range k.VFS.Mounts() {
		if p, ok := k.VFS.PathOf(root, k.VFS.Root(m)); ok && p == path {
			return m
		}
	}
	t.Fatalf("no mount at %s", path)
	return nil
}

func TestMountRemount(t *testing.T) {
	k, task := newMountKernel(t)
	mem := newFakeMemory()
	fdcwd := int64(unix.AT_FDCWD)
	at := uint64(fdcwd)
	str := mem.str
	mount := func(src, target, fstype string, flags uint64, data string) uint64 {
		d := uint64(0)
		if data != "" {
			d = str(data)
		}
		return uint64(call(k, task, mem, unix.SYS_MOUNT, str(src), str(target), str(fstype), flags, d).Errno)
	}
	for _, d := range []string{"/a", "/b", "/n"} {
		call(k, task, mem, unix.SYS_MKDIR, str(d), 0o755)
	}
	const ro, remount, bind = unix.MS_RDONLY, unix.MS_REMOUNT, unix.MS_BIND
	steps := []struct {
		name string
		got  func() uint64
		want unix.Errno
	}{
		{"mount tmpfs", func() uint64 { return mount("mytmp", "/a", "tmpfs", 0, "size=1m") }, 0},
		{"mkdir", func() uint64 { return uint64(call(k, task, mem, unix.SYS_MKDIR, str("/a/d"), 0o755).Errno) }, 0},
		{"bind", func() uint64 { return mount("/a/d", "/b", "", bind, "") }, 0},
		{"nullfs", func() uint64 { return mount("/a", "/n", "nullfs", 0, "") }, 0},
	}
	for _, s := range steps {
		if got := unix.Errno(s.got()); got != s.want {
			t.Fatalf("%s = %v, want %v", s.name, got, s.want)
		}
	}
	a, b, n := mountAt(t, k, task, "/a"), mountAt(t, k, task, "/b"), mountAt(t, k, task, "/n")
	for _, c := range []struct{ what, got, want string }{
		{"tmpfs source", a.Source(), "mytmp"},
		{"bind source", b.Source(), "mytmp"},
		{"bind root", k.VFS.RootPath(b), "/d"},
		{"nullfs source", n.Source(), "/a"},
		{"nullfs type", n.FSType(), "nullfs"},
		{"options", a.FSOptions(), "size=1024k"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}

	// A writer through the bind makes a filesystem remount busy, not a
	// remount of the other mount's flags.
	w := call(k, task, mem, unix.SYS_OPENAT, at, str("/b/f"), unix.O_CREAT|unix.O_WRONLY, 0o644)
	if w.Errno != 0 {
		t.Fatal(w.Errno)
	}
	check := func(what string, got uint64, want unix.Errno) {
		t.Helper()
		if unix.Errno(got) != want {
			t.Errorf("%s = %v, want %v", what, unix.Errno(got), want)
		}
	}
	check("remount ro with a writer on a bind", mount("", "/a", "", remount|ro, ""), unix.EBUSY)
	check("remount,bind ro of the other mount", mount("", "/a", "", remount|bind|ro, ""), 0)
	check("remount,bind ro of the writer's", mount("", "/b", "", remount|bind|ro, ""), unix.EBUSY)
	call(k, task, mem, unix.SYS_CLOSE, uint64(w.Val))
	check("remount,bind rw", mount("", "/a", "", remount|bind, ""), 0)
	check("remount ro", mount("", "/a", "", remount|ro, ""), 0)
	if !b.ReadOnly() || b.Flags()&unix.MS_RDONLY != 0 || !a.SuperReadOnly() {
		t.Errorf("after remount ro: bind ReadOnly %v flags %#x, SuperReadOnly %v", b.ReadOnly(), b.Flags(), a.SuperReadOnly())
	}
	check("mkdir through the bind", uint64(call(k, task, mem, unix.SYS_MKDIR, str("/b/x"), 0o755).Errno), unix.EROFS)
	check("remount rw", mount("", "/a", "", remount, ""), 0)
	check("mkdir through the bind again", uint64(call(k, task, mem, unix.SYS_MKDIR, str("/b/x"), 0o755).Errno), 0)

	// tmpfs options.
	check("remount size=4m", mount("", "/a", "", remount, "size=4m,mode=700"), 0)
	check("remount bogus", mount("", "/a", "", remount, "bogus"), unix.EINVAL)
	check("remount nr_inodes below use", mount("", "/a", "", remount, "nr_inodes=2"), unix.EINVAL)
	if got := a.FSOptions(); got != "size=4096k" {
		t.Errorf("options after remount = %q, want size=4096k", got)
	}
	// A nullfs remount leaves what it lies over alone.
	check("remount nullfs ro", mount("", "/n", "", remount|ro, "size=1k"), 0)
	if a.ReadOnly() || !n.ReadOnly() || a.FSOptions() != "size=4096k" {
		t.Errorf("nullfs remount ro: below ReadOnly %v, nullfs ReadOnly %v, below options %q", a.ReadOnly(), n.ReadOnly(), a.FSOptions())
	}
	// The atime rule stays unless a new one is named.
	check("remount,bind noatime", mount("", "/b", "", remount|bind|unix.MS_NOATIME, ""), 0)
	check("remount,bind nosuid", mount("", "/b", "", remount|bind|unix.MS_NOSUID, ""), 0)
	if got := b.Flags(); got != unix.MS_NOATIME|unix.MS_NOSUID {
		t.Errorf("flags after remount nosuid = %#x, want noatime|nosuid", got)
	}

	// umount2 MNT_EXPIRE.
	umount := func(path string, flags uint64) uint64 {
		return uint64(call(k, task, mem, unix.SYS_UMOUNT2, str(path), flags).Errno)
	}
	check("MNT_EXPIRE|MNT_DETACH", umount("/b", unix.MNT_EXPIRE|unix.MNT_DETACH), unix.EINVAL)
	check("MNT_EXPIRE", umount("/b", unix.MNT_EXPIRE), unix.EAGAIN)
	check("MNT_EXPIRE again", umount("/b", unix.MNT_EXPIRE), 0)
	check("MNT_EXPIRE marks /a", umount("/a", unix.MNT_EXPIRE), unix.EAGAIN)
	call(k, task, mem, unix.SYS_CHDIR, str("/a/d"))
	check("MNT_EXPIRE of the cwd's mount", umount("/a", unix.MNT_EXPIRE), unix.EBUSY)
}
