package procfs

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

func TestFilesystem(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct{ got, want string }{
		{e.fs.Type(), "proc"},
		{e.fs.Source(), "proc"},
		{e.fs.Options(), ""},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	sf, err := e.fs.Root().Statfs()
	if err != nil || sf.Type != unix.PROC_SUPER_MAGIC {
		t.Errorf("Statfs = type %#x, %v; want %#x", sf.Type, err, unix.PROC_SUPER_MAGIC)
	}
}

func TestRootListing(t *testing.T) {
	e := newEnv(t)
	got := e.names(t, "/proc")
	for _, want := range []string{"self", "thread-self", "mounts", "meminfo", "cpuinfo", "uptime",
		"loadavg", "version", "stat", "filesystems", "sys", "1", "2"} {
		if !slices.Contains(got, want) {
			t.Errorf("/proc lists %q, missing %q", got, want)
		}
	}
	if i, j := slices.Index(got, "1"), slices.Index(got, "2"); i > j {
		t.Errorf("pids out of order: %q", got)
	}
	gotPid := e.names(t, "/proc/1")
	for _, want := range []string{"cmdline", "comm", "cwd", "environ", "exe", "fd", "fdinfo",
		"mountinfo", "mounts", "root", "stat", "statm", "status", "task"} {
		if !slices.Contains(gotPid, want) {
			t.Errorf("/proc/1 lists %q, missing %q", gotPid, want)
		}
	}
	if got := e.names(t, "/proc/1/task"); !slices.Equal(got, []string{"1"}) {
		t.Errorf("/proc/1/task = %q, want [1]", got)
	}
	if got := e.names(t, "/proc/1/task/1"); slices.Contains(got, "task") || !slices.Contains(got, "status") {
		t.Errorf("/proc/1/task/1 = %q, want the pid entries without task", got)
	}
	for _, bad := range []string{"/proc/3", "/proc/01", "/proc/-1", "/proc/nope", "/proc/1/nope"} {
		if _, err := e.v.Walk(e.ctx, vfs.VirtualDentry{}, bad, vfs.FollowFinal); err != unix.ENOENT {
			t.Errorf("Walk(%q) = %v, want ENOENT", bad, err)
		}
	}
}

func TestSelf(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		caller any
		path   string
		want   string
		err    error
	}{
		{e.p1, "/proc/self", "1", nil},
		{e.p2, "/proc/self", "2", nil},
		{e.p1, "/proc/thread-self", "1/task/1", nil},
		{"stranger", "/proc/self", "", unix.ENOENT},
		{e.p1, "/proc/mounts", "self/mounts", nil},
	} {
		e.ctx.Caller = c.caller
		got, err := e.readlink(t, c.path)
		if got != c.want || err != c.err {
			t.Errorf("caller %v: readlink(%s) = %q, %v; want %q, %v", c.caller, c.path, got, err, c.want, c.err)
		}
	}
	e.ctx.Caller = e.p2
	if a, b := e.walk(t, "/proc/self"), e.walk(t, "/proc/2"); a.Dentry.Vnode().(*dir).pr.tid != 2 || a.Mount != b.Mount {
		t.Errorf("/proc/self as 2 leads elsewhere than /proc/2")
	}
	if got, err := e.read(t, "/proc/self/cmdline"); err != nil || got != "/usr/bin/a-very-long-command-name\x00" {
		t.Errorf("/proc/self/cmdline as 2 = %q, %v", got, err)
	}
}

func TestFiles(t *testing.T) {
	e := newEnv(t)
	host := func(p string) string {
		b, err := os.ReadFile(p)
		must(t, err)
		return string(b)
	}
	for _, c := range []struct{ path, want string }{
		{"/proc/1/cmdline", "prog\x00-x\x00\x00"},
		{"/proc/1/environ", "HOME=/\x00A=b\x00"},
		{"/proc/1/comm", "prog\n"},
		{"/proc/2/comm", "a-very-long-com\n"},
		{"/proc/2/environ", ""},
		{"/proc/self/task/1/comm", "prog\n"},
		{"/proc/filesystems", "nodev\tproc\nnodev\ttmpfs\nnodev\tdevfs\nnodev\tdirfs\nnodev\tnullfs\n"},
		{"/proc/sys/kernel/hostname", "guest\n"},
		{"/proc/sys/kernel/ostype", host("/proc/sys/kernel/ostype")},
		{"/proc/sys/kernel/osrelease", host("/proc/sys/kernel/osrelease")},
		{"/proc/sys/kernel/pid_max", host("/proc/sys/kernel/pid_max")},
		{"/proc/sys/fs/file-max", host("/proc/sys/fs/file-max")},
		{"/proc/version", host("/proc/version")},
		{"/proc/cpuinfo", host("/proc/cpuinfo")},
		{"/proc/1/limits", host("/proc/self/limits")},
	} {
		got, err := e.read(t, c.path)
		if err != nil || got != c.want {
			t.Errorf("%s = %q, %v; want %q", c.path, got, err, c.want)
		}
	}
	for _, p := range []string{"/proc/meminfo", "/proc/uptime", "/proc/loadavg", "/proc/stat", "/proc/1/statm"} {
		if got, err := e.read(t, p); err != nil || got == "" {
			t.Errorf("%s = %q, %v; want the host's", p, got, err)
		}
	}
}

func TestStatAndStatus(t *testing.T) {
	e := newEnv(t)
	stat, err := e.read(t, "/proc/2/stat")
	must(t, err)
	f := strings.Fields(stat)
	if len(f) < 22 || f[0] != "2" || f[1] != "(a-very-long-com)" || f[3] != "1" {
		t.Errorf("/proc/2/stat = %q; want pid 2, comm (a-very-long-com), ppid 1", stat)
	}
	status, err := e.read(t, "/proc/2/status")
	must(t, err)
	want := map[string]string{
		"Name": "a-very-long-com", "Pid": "2", "Tgid": "2", "PPid": "1", "TracerPid": "0",
		"NSpid": "2", "NStgid": "2",
	}
	got := map[string]string{}
	for _, line := range strings.Split(status, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			got[k] = strings.TrimSpace(v)
		}
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("status %s = %q, want %q", k, got[k], v)
		}
	}
	if got["VmPeak"] == "" && got["Threads"] == "" {
		t.Errorf("status lost the host's figures: %q", status)
	}
}

func TestRewrite(t *testing.T) {
	ids := func(h int) int { return map[int]int{-1: -1, 500: 1, 501: 2}[h] }
	for _, c := range []struct{ host, want string }{
		{"501 (bash) S 500 500 400 34816 501 4194560 1 2\n", "2 (prog) S 7 1 0 34816 2 4194560 1 2\n"},
		{"501 (a) b) (c) R 1 501 501 0 -1 0\n", "2 (prog) R 7 2 2 0 -1 0\n"},
	} {
		got, err := rewriteStat([]byte(c.host), 2, 7, "prog", ids)
		if err != nil || string(got) != c.want {
			t.Errorf("rewriteStat(%q) = %q, %v; want %q", c.host, got, err, c.want)
		}
	}
	if _, err := rewriteStat([]byte("garbage"), 1, 0, "x", ids); err != unix.EIO {
		t.Errorf("rewriteStat(garbage) = %v, want EIO", err)
	}
	host := "Name:\tbash\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t501\nNgid:\t0\nPid:\t501\nPPid:\t500\n" +
		"TracerPid:\t77\nNStgid:\t501\t12\nNSpid:\t501\t12\nNSpgid:\t900\t500\nNSsid:\t400\nVmRSS:\t 10 kB\n"
	want := "Name:\tprog\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t2\nNgid:\t0\nPid:\t3\nPPid:\t7\n" +
		"TracerPid:\t0\nNStgid:\t2\nNSpid:\t3\nNSpgid:\t1\nNSsid:\t0\nVmRSS:\t 10 kB\n"
	if got := string(rewriteStatus([]byte(host), 2, 3, 7, "prog", ids)); got != want {
		t.Errorf("rewriteStatus =\n%s\nwant\n%s", got, want)
	}
}

func TestMagicLinks(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		caller *fakeProc
		path   string
		want   string
	}{
		{e.p1, "/proc/1/cwd", "/tmp"},
		{e.p1, "/proc/1/root", "/"},
		{e.p1, "/proc/1/exe", "/usr/bin/prog"},
		{e.p1, "/proc/2/cwd", "/tmp/sub"},
		{e.p1, "/proc/2/root", "/tmp"},
		// Process 2 is chrooted in /tmp: paths are from its root.
		{e.p2, "/proc/2/cwd", "/sub"},
		{e.p2, "/proc/2/root", "/"},
		{e.p2, "/proc/2/exe", "/usr/bin/a-very-long-command-name"}, // no position: the text
	} {
		e.ctx.Caller = c.caller
		if got, err := e.readlink(t, c.path); got != c.want || err != nil {
			t.Errorf("as %d: readlink(%s) = %q, %v; want %q", c.caller.pid, c.path, got, err, c.want)
		}
	}
	e.ctx.Caller = e.p1
	for _, c := range []struct{ link, target string }{
		{"/proc/1/cwd", "/tmp"},
		{"/proc/2/cwd", "/tmp/sub"},
		{"/proc/1/root", "/"},
		{"/proc/self/exe", "/usr/bin/prog"},
		{"/proc/self/cwd/sub", "/tmp/sub"},
	} {
		if got, want := e.walk(t, c.link), e.walk(t, c.target); got != want {
			t.Errorf("%s leads to %v, want %s %v", c.link, got, c.target, want)
		}
	}
	if _, err := e.v.Walk(e.ctx, vfs.VirtualDentry{}, "/proc/2/exe", vfs.FollowFinal); err != unix.ENOENT {
		t.Errorf("following exe without a position = %v, want ENOENT", err)
	}
	if _, err := e.v.Walk(e.ctx, vfs.VirtualDentry{}, "/proc/1/cwd", vfs.FollowFinal|vfs.NoMagicLinks); err != unix.ELOOP {
		t.Errorf("RESOLVE_NO_MAGICLINKS through cwd = %v, want ELOOP", err)
	}
}

func TestAttr(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		path string
		mode uint32
	}{
		{"/proc", unix.S_IFDIR | 0o555},
		{"/proc/1", unix.S_IFDIR | 0o555},
		{"/proc/1/fd", unix.S_IFDIR | 0o555},
		{"/proc/1/status", unix.S_IFREG | 0o444},
		{"/proc/sys/kernel/hostname", unix.S_IFREG | 0o444},
		{"/proc/self", unix.S_IFLNK | 0o777},
		{"/proc/1/cwd", unix.S_IFLNK | 0o777},
	} {
		a, err := e.lwalk(t, c.path).Dentry.Vnode().Getattr()
		if err != nil || a.Mode != c.mode || a.UID != 0 || a.GID != 0 || a.Size != 0 || a.Ino == 0 {
			t.Errorf("%s: mode %o uid %d size %d ino %d, %v; want mode %o, root, size 0",
				c.path, a.Mode, a.UID, a.Size, a.Ino, err, c.mode)
		}
	}
	// Inode numbers are stable and distinct; Readdir agrees with Getattr.
	ino := func(p string) uint64 {
		a, err := e.lwalk(t, p).Dentry.Vnode().Getattr()
		must(t, err)
		return a.Ino
	}
	if a, b := ino("/proc/1/status"), ino("/proc/1/status"); a != b {
		t.Errorf("status ino %d then %d", a, b)
	}
	if a, b := ino("/proc/1/status"), ino("/proc/2/status"); a == b {
		t.Errorf("/proc/1/status and /proc/2/status share ino %d", a)
	}
	ents, err := e.walk(t, "/proc/1").Dentry.Vnode().Readdir()
	must(t, err)
	for _, d := range ents[2:] {
		if want := ino("/proc/1/" + d.Name); d.Ino != want {
			t.Errorf("readdir ino of %s = %d, Getattr %d", d.Name, d.Ino, want)
		}
	}
	if ents[0].Ino != ino("/proc/1") || ents[1].Ino != rootIno {
		t.Errorf(". and .. inos %d %d, want %d %d", ents[0].Ino, ents[1].Ino, ino("/proc/1"), rootIno)
	}
	// Process times: its start, which is before now and after boot.
	a, _ := e.walk(t, "/proc/1").Dentry.Vnode().Getattr()
	if bt, err := bootTime(); err != nil || a.Mtime.Sec < bt || a.Mtime.Sec > e.fs.born.Sec {
		t.Errorf("/proc/1 mtime %d, want between boot %d and now %d", a.Mtime.Sec, bt, e.fs.born.Sec)
	}
}

func TestReadOnly(t *testing.T) {
	e := newEnv(t)
	cred := vfs.RootCred()
	for _, c := range []struct {
		op   string
		err  error
		want error
	}{
		{"mkdir /proc/x", e.v.Mkdir(e.ctx, vfs.VirtualDentry{}, "/proc/x", 0o755), unix.EPERM},
		{"mkdir /proc/1/x", e.v.Mkdir(e.ctx, vfs.VirtualDentry{}, "/proc/1/x", 0o755), unix.EPERM},
		{"mknod", e.v.Mknod(e.ctx, vfs.VirtualDentry{}, "/proc/p", unix.S_IFIFO|0o644, 0), unix.EPERM},
		{"symlink", e.v.Symlink(e.ctx, "x", vfs.VirtualDentry{}, "/proc/l"), unix.EPERM},
		{"unlink", e.v.Unlink(e.ctx, vfs.VirtualDentry{}, "/proc/1/status"), unix.EPERM},
		{"rmdir", e.v.Rmdir(e.ctx, vfs.VirtualDentry{}, "/proc/1/fd"), unix.EPERM},
		{"rename", e.v.Rename(e.ctx, vfs.VirtualDentry{}, "/proc/1/status", vfs.VirtualDentry{}, "/proc/1/x", 0), unix.EPERM},
		{"chmod", e.v.Setattr(e.ctx, e.walk(t, "/proc/1/status"), &vfs.SetAttr{Mask: vfs.SetMode, Mode: 0o666}), unix.EPERM},
		{"link vnode", e.fs.root.Link("x", e.fs.root), unix.EPERM},
	} {
		if c.err != c.want {
			t.Errorf("%s = %v, want %v", c.op, c.err, c.want)
		}
	}
	if _, _, err := e.fs.root.Create("x", unix.O_RDWR, 0o644, cred); err != unix.EACCES {
		t.Errorf("Create = %v, want EACCES", err)
	}
	for _, c := range []struct {
		path  string
		flags int
		want  error
	}{
		{"/proc/1/status", unix.O_WRONLY, nil}, // root's: each write fails
		{"/proc/cpuinfo", unix.O_WRONLY, nil},
		{"/proc/1/status", unix.O_RDWR, unix.EACCES},
		{"/proc/sys/kernel/hostname", unix.O_WRONLY | unix.O_TRUNC, unix.EACCES},
		{"/proc/new", unix.O_WRONLY | unix.O_CREAT, unix.EACCES},
		{"/proc/1", unix.O_RDWR, unix.EISDIR},
		{"/proc/1/status", unix.O_RDONLY | unix.O_DIRECTORY, unix.ENOTDIR},
		{"/proc/1/status", unix.O_RDONLY | unix.O_NONBLOCK, nil},
		{"/proc/1", unix.O_RDONLY | unix.O_DIRECTORY, nil},
		{"/proc/1/status", unix.O_PATH, nil},
		{"/proc/self", unix.O_PATH | unix.O_NOFOLLOW, nil},
	} {
		f, err := e.v.Open(e.ctx, vfs.VirtualDentry{}, c.path, c.flags, 0o644)
		if err == nil {
			if c.flags&unix.O_ACCMODE == unix.O_WRONLY {
				want := unix.EINVAL
				if !strings.HasPrefix(c.path, "/proc/1/") {
					want = unix.EIO
				}
				if _, werr := unix.Write(f.HostFD(), []byte("x")); werr != want {
					t.Errorf("write to %s opened %#x = %v, want %v", c.path, c.flags, werr, want)
				}
			}
			f.DecRef()
		}
		if err != c.want {
			t.Errorf("open(%s, %#x) = %v, want %v", c.path, c.flags, err, c.want)
		}
	}
}

func TestSealedMemfd(t *testing.T) {
	e := newEnv(t)
	f, err := e.v.Open(e.ctx, vfs.VirtualDentry{}, "/proc/1/cmdline", unix.O_RDONLY, 0)
	must(t, err)
	defer f.DecRef()
	fd := f.HostFD()
	if fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0); err != nil || fl&unix.O_ACCMODE != unix.O_RDONLY {
		t.Errorf("host fd flags %#o, %v; want O_RDONLY", fl, err)
	}
	if seals, err := unix.FcntlInt(uintptr(fd), unix.F_GET_SEALS, 0); err != nil || seals != sealSet {
		t.Errorf("seals %#x, %v; want %#x", seals, err, sealSet)
	}
	if _, err := unix.Write(fd, []byte("x")); err != unix.EBADF {
		t.Errorf("write = %v, want EBADF", err)
	}
	// A read-only reopen works; a writable one cannot write or grow it.
	ro, err := unix.Open(selfFD(fd), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("reopen O_RDONLY = %v", err)
	}
	defer unix.Close(ro)
	if got := readFD(t, ro); got != "prog\x00-x\x00\x00" {
		t.Errorf("reopened contents %q", got)
	}
	if rw, err := unix.Open(selfFD(fd), unix.O_RDWR|unix.O_CLOEXEC, 0); err == nil {
		if _, err := unix.Pwrite(rw, []byte("X"), 0); err != unix.EPERM {
			t.Errorf("write through a writable reopen = %v, want EPERM", err)
		}
		if err := unix.Ftruncate(rw, 0); err != unix.EPERM {
			t.Errorf("truncate through a writable reopen = %v, want EPERM", err)
		}
		if _, err := unix.Mmap(rw, 0, 4096, unix.PROT_WRITE, unix.MAP_SHARED); err != unix.EPERM {
			t.Errorf("shared writable mmap = %v, want EPERM", err)
		}
		unix.Close(rw)
	}
	if _, err := unix.FcntlInt(uintptr(ro), unix.F_ADD_SEALS, 0); err != unix.EPERM {
		t.Errorf("adding a seal = %v, want EPERM (F_SEAL_SEAL)", err)
	}
	// Each open is its own snapshot and offset.
	g, err := e.v.Open(e.ctx, vfs.VirtualDentry{}, "/proc/1/cmdline", unix.O_RDONLY, 0)
	must(t, err)
	defer g.DecRef()
	buf := make([]byte, 4)
	if n, _ := unix.Read(f.HostFD(), buf); n != 4 {
		t.Errorf("read = %d", n)
	}
	if n, _ := unix.Read(g.HostFD(), buf); n != 4 || string(buf) != "prog" {
		t.Errorf("second open read %q: shares an offset?", buf[:n])
	}
}

func TestProcessGone(t *testing.T) {
	e := newEnv(t)
	pid := e.walk(t, "/proc/2")
	status := e.walk(t, "/proc/2/status")
	cwd := e.lwalk(t, "/proc/2/cwd")
	if e.fs.Revalidate(e.fs.root, "2", pid.Dentry.Vnode()) {
		t.Errorf("Revalidate of a pid dir = true, want false")
	}
	if !e.fs.Revalidate(e.fs.root, "meminfo", e.walk(t, "/proc/meminfo").Dentry.Vnode()) {
		t.Errorf("Revalidate of meminfo = false, want true")
	}
	if e.fs.Revalidate(e.fs.root, "3", nil) {
		t.Errorf("Revalidate of a missing pid = true, want false")
	}
	e.src.remove(2)
	if _, err := e.v.Walk(e.ctx, vfs.VirtualDentry{}, "/proc/2", 0); err != unix.ENOENT {
		t.Errorf("Walk(/proc/2) after exit = %v, want ENOENT", err)
	}
	if got := e.names(t, "/proc"); slices.Contains(got, "2") {
		t.Errorf("/proc still lists 2: %q", got)
	}
	if _, err := pid.Dentry.Vnode().Lookup("status"); err != unix.ENOENT {
		t.Errorf("Lookup in a dead pid dir = %v, want ENOENT", err)
	}
	if _, err := status.Dentry.Vnode().Open(unix.O_RDONLY); err != unix.ESRCH {
		t.Errorf("Open of a dead process's status = %v, want ESRCH", err)
	}
	if _, err := cwd.Dentry.Vnode().(vfs.MagicLink).Target(e.ctx); err != unix.ENOENT {
		t.Errorf("Target of a dead process's cwd = %v, want ENOENT", err)
	}
	// A new process under the same pid is not the old one.
	e.src.procs = append(e.src.procs, &fakeProc{pid: 2, host: os.Getpid() + 1})
	if _, err := pid.Dentry.Vnode().Lookup("status"); err != unix.ENOENT {
		t.Errorf("Lookup in a reused pid's old dir = %v, want ENOENT", err)
	}
}

func TestParseID(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
		ok   bool
	}{
		{"1", 1, true}, {"4194304", 4194304, true}, {"0", 0, true},
		{"", 0, false}, {"01", 0, false}, {"-1", 0, false}, {"+1", 0, false},
		{"1a", 0, false}, {"99999999999", 0, false}, {strconv.Itoa(1<<31 - 1), 1<<31 - 1, true},
	} {
		if got, ok := parseID(c.in); got != c.want || ok != c.ok {
			t.Errorf("parseID(%q) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// tempFile makes a host file for tests that need a host path.
func tempFile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "host file")
	must(t, os.WriteFile(p, []byte("host"), 0o644))
	return p
}

func TestOwner(t *testing.T) {
	e := newEnv(t)
	e.p2.cred = &vfs.Cred{UID: 1000, GID: 1000}
	for _, c := range []struct {
		path string
		mode uint32
		uid  uint32
	}{
		{"/proc/2", unix.S_IFDIR | 0o555, 1000},
		{"/proc/2/environ", unix.S_IFREG | 0o400, 1000},
		{"/proc/2/fd", unix.S_IFDIR | 0o500, 1000},
		{"/proc/2/fdinfo", unix.S_IFDIR | 0o500, 1000},
		{"/proc/2/status", unix.S_IFREG | 0o444, 1000},
		{"/proc/2/cwd", unix.S_IFLNK | 0o777, 1000},
		{"/proc/1/environ", unix.S_IFREG | 0o444, 0}, // no credentials: root's, open
	} {
		a, err := e.lwalk(t, c.path).Dentry.Vnode().Getattr()
		if err != nil || a.Mode != c.mode || a.UID != c.uid || a.GID != c.uid {
			t.Errorf("%s: mode %o owner %d:%d, %v; want %o %d", c.path, a.Mode, a.UID, a.GID, err, c.mode, c.uid)
		}
	}
	for _, c := range []struct {
		name string
		cred *vfs.Cred
		want error
	}{
		{"owner", &vfs.Cred{UID: 1000, GID: 1000}, nil},
		{"other user", &vfs.Cred{UID: 2000, GID: 1000}, unix.EACCES},
		{"other group", &vfs.Cred{UID: 1000, GID: 2000}, unix.EACCES},
		{"CAP_SYS_PTRACE", &vfs.Cred{UID: 2000, GID: 2000, CapEffective: 1 << capSysPtrace}, nil},
		{"root", vfs.RootCred(), nil},
	} {
		e.ctx.Cred = c.cred
		if _, err := e.readlink(t, "/proc/2/cwd"); err != c.want {
			t.Errorf("%s: readlink(/proc/2/cwd) = %v, want %v", c.name, err, c.want)
		}
		if _, err := e.v.Walk(e.ctx, vfs.VirtualDentry{}, "/proc/2/root/", vfs.FollowFinal); err != c.want {
			t.Errorf("%s: following /proc/2/root = %v, want %v", c.name, err, c.want)
		}
		// environ is 0400: the mode decides, CAP_SYS_PTRACE does not help.
		want := error(unix.EACCES)
		if c.cred.UID == 1000 || c.cred.HasCap(1 /* CAP_DAC_OVERRIDE */) {
			want = nil
		}
		if _, err := e.read(t, "/proc/2/environ"); err != want {
			t.Errorf("%s: read(/proc/2/environ) = %v, want %v", c.name, err, want)
		}
	}
	// A thread of the process itself follows its links whatever its
	// credentials (ptrace_may_access's same_thread_group).
	e.ctx.Caller, e.ctx.Cred = e.p2, &vfs.Cred{UID: 2000, GID: 2000}
	if _, err := e.readlink(t, "/proc/2/cwd"); err != nil {
		t.Errorf("own thread as another user: readlink(/proc/2/cwd) = %v, want nil", err)
	}
}
