package procfs

import (
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"vkernel/sentry/fsimpl/tmpfs"
	"vkernel/sentry/vfs"
)

// mountTree adds to e's tree: a read-only tmpfs at /mnt, a bind of /tmp/sub
// at "/mnt/with space\tx", and a tmpfs at /tmp/sub.
func mountTree(t *testing.T, e *env) {
	t.Helper()
	_, err := e.v.MountAt(e.walk(t, "/mnt"), tmpfs.New(tmpfs.Options{SizeLimit: 1 << 20, Mode: 0o755}), unix.MS_NOEXEC)
	must(t, err)
	must(t, e.v.Mkdir(e.ctx, vfs.VirtualDentry{}, "/mnt/with space\tx", 0o755))
	_, err = e.v.BindAt(e.walk(t, "/mnt/with space\tx"), e.walk(t, "/tmp/sub"), unix.MS_NOSUID, false)
	must(t, err)
	_, err = e.v.MountAt(e.walk(t, "/tmp/sub"), tmpfs.New(tmpfs.Options{UID: 7}), unix.MS_RDONLY|unix.MS_NODEV|unix.MS_NOATIME)
	must(t, err)
}

func TestMountinfo(t *testing.T) {
	e := newEnv(t)
	mountTree(t, e)
	for _, c := range []struct {
		name   string
		caller *fakeProc
		path   string
		want   string
	}{
		{"mountinfo", e.p1, "/proc/1/mountinfo", "" +
			"1 1 0:1 / / rw - tmpfs tmpfs rw,mode=755\n" +
			"2 1 0:2 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw\n" +
			"3 1 0:3 / /mnt rw,noexec - tmpfs tmpfs rw,size=1024k,mode=755\n" +
			"4 3 0:4 /tmp/sub /mnt/with\\040space\\011x rw,nosuid - tmpfs tmpfs rw,mode=755\n" +
			"5 1 0:5 / /tmp/sub ro,nodev,noatime - tmpfs tmpfs ro,uid=7\n"},
		{"mounts", e.p1, "/proc/mounts", "" +
			"tmpfs / tmpfs rw,mode=755 0 0\n" +
			"proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n" +
			"tmpfs /mnt tmpfs rw,noexec,size=1024k,mode=755 0 0\n" +
			"tmpfs /mnt/with\\040space\\011x tmpfs rw,nosuid,mode=755 0 0\n" +
			"tmpfs /tmp/sub tmpfs ro,nodev,noatime,uid=7 0 0\n"},
		// Process 2's root is /tmp: it sees only what is below, from there.
		{"chroot mountinfo", e.p1, "/proc/2/mountinfo",
			"5 1 0:5 / /sub ro,nodev,noatime - tmpfs tmpfs ro,uid=7\n"},
		{"chroot mounts via self", e.p2, "/proc/mounts",
			"tmpfs /sub tmpfs ro,nodev,noatime,uid=7 0 0\n"},
	} {
		e.ctx.Caller = c.caller
		got, err := e.read(t, c.path)
		if err != nil || got != c.want {
			t.Errorf("%s: %s =\n%s(%v)\nwant\n%s", c.name, c.path, got, err, c.want)
		}
	}
}

// TestMountinfoSuperblock: the source given, a filesystem read-only as a
// whole (its super options say ro; /proc/mounts says ro for every mount
// of it; a bind's own flags stay rw), a bind's root within its
// filesystem, and a nullfs shown as a filesystem of its own.
func TestMountinfoSuperblock(t *testing.T) {
	e := newEnv(t)
	m, err := e.v.MountSourceAt(e.walk(t, "/mnt"), tmpfs.New(tmpfs.Options{SizeLimit: 1 << 20}), unix.MS_RELATIME, "mytmp")
	must(t, err)
	must(t, e.v.Mkdir(e.ctx, vfs.VirtualDentry{}, "/mnt/d", 0o755))
	_, err = e.v.BindAt(e.walk(t, "/tmp/sub"), e.walk(t, "/mnt/d"), m.Flags(), false)
	must(t, err)
	_, err = e.v.NullfsAt(e.walk(t, "/usr/bin"), e.walk(t, "/tmp"), unix.MS_RELATIME, false, "/tmp")
	must(t, err)
	m.SetSuperReadOnly(true)
	m.SetFlags(m.Flags() | unix.MS_RDONLY)
	for _, c := range []struct{ path, want string }{
		{"/proc/1/mountinfo", "" +
			"1 1 0:1 / / rw - tmpfs tmpfs rw,mode=755\n" +
			"2 1 0:2 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw\n" +
			"3 1 0:3 / /mnt ro,relatime - tmpfs mytmp ro,size=1024k\n" +
			"4 1 0:4 /d /tmp/sub rw,relatime - tmpfs mytmp ro,size=1024k\n" +
			"5 1 0:5 / /usr/bin rw,relatime - nullfs /tmp rw\n"},
		{"/proc/mounts", "" +
			"tmpfs / tmpfs rw,mode=755 0 0\n" +
			"proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n" +
			"mytmp /mnt tmpfs ro,relatime,size=1024k 0 0\n" +
			"mytmp /tmp/sub tmpfs ro,relatime,size=1024k 0 0\n" +
			"/tmp /usr/bin nullfs rw,relatime 0 0\n"},
	} {
		if got, err := e.read(t, c.path); err != nil || got != c.want {
			t.Errorf("%s =\n%s(%v)\nwant\n%s", c.path, got, err, c.want)
		}
	}
}

// TestMountinfoFields checks every line against the kernel's format, field
// by field, as a parser (libmount's) reads it.
func TestMountinfoFields(t *testing.T) {
	e := newEnv(t)
	mountTree(t, e)
	got, err := e.read(t, "/proc/self/mountinfo")
	must(t, err)
	ids := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		f := strings.Fields(line)
		sep := -1
		for i, x := range f {
			if x == "-" {
				sep = i
				break
			}
		}
		if sep != 6 || len(f) != sep+4 {
			t.Errorf("line %q: want 6 fields, '-', 3 fields", line)
			continue
		}
		if !strings.Contains(f[2], ":") || !strings.HasPrefix(f[3], "/") || !strings.HasPrefix(f[4], "/") {
			t.Errorf("line %q: bad MAJ:MIN, root or mount point", line)
		}
		ids[f[0]] = true
	}
	for _, line := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		if parent := strings.Fields(line)[1]; !ids[parent] {
			t.Errorf("line %q: parent %s is not listed", line, parent)
		}
	}
}

func TestMountOpts(t *testing.T) {
	for _, c := range []struct {
		flags uint64
		want  string
	}{
		{0, "rw"},
		{unix.MS_RDONLY, "ro"},
		{unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_RELATIME, "rw,nosuid,nodev,noexec,relatime"},
		{unix.MS_RDONLY | unix.MS_NOATIME | unix.MS_NODIRATIME | unix.MS_NOSYMFOLLOW, "ro,noatime,nodiratime,nosymfollow"},
	} {
		if got := mountOpts(c.flags); got != c.want {
			t.Errorf("mountOpts(%#x) = %q, want %q", c.flags, got, c.want)
		}
	}
}

func TestMangle(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"/plain", "/plain"},
		{"/a b", `/a\040b`},
		{"/t\tn\nb\\", `/t\011n\012b\134`},
		{"dirfs@/srv/my share", `dirfs@/srv/my\040share`},
	} {
		if got := mangle(c.in); got != c.want {
			t.Errorf("mangle(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
