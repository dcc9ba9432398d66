package procfs

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

// hostLink is the host's readlink of the test binary's descriptor fd.
func hostLink(t *testing.T, fd int) string {
	t.Helper()
	s, err := os.Readlink(selfFD(fd))
	must(t, err)
	return s
}

func TestFDLinks(t *testing.T) {
	e := newEnv(t)
	f, err := e.v.Open(e.ctx, vfs.VirtualDentry{}, "/tmp/f", unix.O_CREAT|unix.O_RDWR, 0o644)
	must(t, err)
	defer f.DecRef()
	n := e.p1.install(f)
	var p [2]int
	must(t, unix.Pipe2(p[:], unix.O_CLOEXEC))
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	hf, err := unix.Open(tempFile(t), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	must(t, err)
	defer unix.Close(hf)
	fd := func(pid, n int) string { return "/proc/" + strconv.Itoa(pid) + "/fd/" + strconv.Itoa(n) }

	got := e.names(t, "/proc/1/fd")
	for _, want := range []int{0, n, p[0], p[1], hf} {
		if !slices.Contains(got, strconv.Itoa(want)) {
			t.Errorf("/proc/1/fd = %q, missing %d", got, want)
		}
	}
	if !slices.IsSortedFunc(got, func(a, b string) int { x, _ := strconv.Atoi(a); y, _ := strconv.Atoi(b); return x - y }) {
		t.Errorf("/proc/1/fd not in numeric order: %q", got)
	}
	if _, err := e.v.Walk(e.ctx, vfs.VirtualDentry{}, "/proc/1/fd/99999", 0); err != unix.ENOENT {
		t.Errorf("Walk(fd/99999) = %v, want ENOENT", err)
	}

	for _, c := range []struct {
		caller *fakeProc
		path   string
		want   string
	}{
		{e.p1, fd(1, n), "/tmp/f"},
		{e.p2, fd(1, n), "/f"}, // from the caller's root, /tmp
		{e.p1, fd(1, p[0]), hostLink(t, p[0])},
		{e.p1, fd(1, hf), hostLink(t, hf)},
	} {
		e.ctx.Caller = c.caller
		if got, err := e.readlink(t, c.path); got != c.want || err != nil {
			t.Errorf("as %d: readlink(%s) = %q, %v; want %q", c.caller.pid, c.path, got, err, c.want)
		}
	}
	e.ctx.Caller = e.p1
	if !strings.HasPrefix(hostLink(t, p[0]), "pipe:[") {
		t.Errorf("host pipe link %q", hostLink(t, p[0]))
	}

	// A file of the table leads to its position; reopening it opens the
	// vnode anew.
	if got := e.walk(t, fd(1, n)); got != f.VD {
		t.Errorf("fd/%d leads to %v, want %v", n, got, f.VD)
	}
	re, err := e.v.Open(e.ctx, vfs.VirtualDentry{}, fd(1, n), unix.O_RDONLY, 0)
	must(t, err)
	if re.VD != f.VD {
		t.Errorf("reopen of fd/%d is at %v, want %v", n, re.VD, f.VD)
	}
	re.DecRef()

	// A pipe has no position: the walk ends on the link, and opening it
	// reopens the host pipe, its read end writable as on Linux.
	// (fd/N is looked up afresh each walk: compare vnodes, not dentries.)
	if l, ok := e.walk(t, fd(1, p[0])).Dentry.Vnode().(*fdLink); !ok || l.fd != p[0] {
		t.Errorf("following fd/%d (a pipe) left the link: %#v", p[0], l)
	}
	w, err := e.v.Open(e.ctx, vfs.VirtualDentry{}, fd(1, p[0]), unix.O_WRONLY, 0)
	if err != nil {
		t.Fatalf("reopen of the pipe's read end for writing = %v", err)
	}
	if _, err := unix.Write(w.HostFD(), []byte("hi")); err != nil {
		t.Errorf("write to the reopened pipe = %v", err)
	}
	buf := make([]byte, 8)
	if k, err := unix.Read(p[0], buf); err != nil || string(buf[:k]) != "hi" {
		t.Errorf("read from the pipe = %q, %v; want \"hi\"", buf[:k], err)
	}
	// Installed in the table, the reopened pipe still reads as the pipe.
	wn := e.p1.install(w)
	defer w.DecRef()
	if got, err := e.readlink(t, fd(1, wn)); err != nil || got != hostLink(t, p[0]) {
		t.Errorf("readlink of the reopened pipe = %q, %v; want %q", got, err, hostLink(t, p[0]))
	}

	// A host file is reopened with no more access than it was open with.
	r, err := e.v.Open(e.ctx, vfs.VirtualDentry{}, fd(1, hf), unix.O_RDONLY, 0)
	if err != nil {
		t.Errorf("reopen of a host file read-only = %v", err)
	} else {
		if got := readFD(t, r.HostFD()); got != "host" {
			t.Errorf("reopened host file reads %q", got)
		}
		r.DecRef()
	}
	for _, flags := range []int{unix.O_RDWR, unix.O_WRONLY} {
		if _, err := e.v.Open(e.ctx, vfs.VirtualDentry{}, fd(1, hf), flags, 0); err != unix.EACCES {
			t.Errorf("reopen of a read-only host file with %#x = %v, want EACCES", flags, err)
		}
	}

	// Owner bits say the access mode.
	for _, c := range []struct {
		n    int
		mode uint32
	}{
		{n, unix.S_IFLNK | 0o700},
		{p[0], unix.S_IFLNK | 0o500},
		{p[1], unix.S_IFLNK | 0o300},
	} {
		a, err := e.lwalk(t, fd(1, c.n)).Dentry.Vnode().Getattr()
		if err != nil || a.Mode != c.mode {
			t.Errorf("fd/%d mode %o, %v; want %o", c.n, a.Mode, err, c.mode)
		}
	}

	// fdinfo shows the guest's mount id.
	info, err := e.read(t, "/proc/1/fdinfo/"+strconv.Itoa(n))
	must(t, err)
	if want := "mnt_id:\t" + strconv.Itoa(f.VD.Mount.ID) + "\n"; !strings.Contains(info, want) || !strings.Contains(info, "flags:") {
		t.Errorf("fdinfo/%d = %q, want a line %q", n, info, want)
	}
	if got := e.names(t, "/proc/1/fdinfo"); !slices.Contains(got, strconv.Itoa(n)) {
		t.Errorf("/proc/1/fdinfo = %q, missing %d", got, n)
	}

	// Once unlinked, the path says so.
	must(t, e.v.Unlink(e.ctx, vfs.VirtualDentry{}, "/tmp/f"))
	if got, err := e.readlink(t, fd(1, n)); got != "/tmp/f (deleted)" || err != nil {
		t.Errorf("readlink after unlink = %q, %v; want \"/tmp/f (deleted)\"", got, err)
	}
}

// TestFDReopenedPipe: a pipe reopened through fd/N is the pipe, not a
// file of procfs (Linux's is pipefs's): it does not keep /proc busy, its
// fdinfo keeps the host's mount id, and an O_PATH open through the link
// reads as the pipe too.
func TestFDReopenedPipe(t *testing.T) {
	e := newEnv(t)
	var p [2]int
	must(t, unix.Pipe2(p[:], unix.O_CLOEXEC))
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	fd := "/proc/1/fd/" + strconv.Itoa(p[0])
	r, err := e.v.Open(e.ctx, vfs.VirtualDentry{}, fd, unix.O_RDONLY, 0)
	must(t, err)
	defer r.DecRef()
	o, err := e.v.Open(e.ctx, vfs.VirtualDentry{}, fd, unix.O_PATH, 0)
	must(t, err)
	defer o.DecRef()
	if !r.Reopened() || !o.Reopened() {
		t.Errorf("Reopened: read %v, O_PATH %v; want true", r.Reopened(), o.Reopened())
	}
	rn, on := e.p1.install(r), e.p1.install(o)
	for _, n := range []int{rn, on} {
		vd := e.lwalk(t, "/proc/1/fd/"+strconv.Itoa(n))
		if got, err := e.v.Readlink(e.ctx, vd); err != nil || got != hostLink(t, p[0]) {
			t.Errorf("readlink of reopened fd/%d = %q, %v; want %q", n, got, err, hostLink(t, p[0]))
		}
		vd.DecRef()
	}
	info, err := e.read(t, "/proc/1/fdinfo/"+strconv.Itoa(rn))
	must(t, err)
	if strings.Contains(info, "mnt_id:\t"+strconv.Itoa(e.procM.ID)+"\n") {
		t.Errorf("fdinfo of the reopened pipe names procfs's mount: %q", info)
	}
	if err := e.v.Unmount(e.procM, false); err != nil {
		t.Errorf("umount /proc with a reopened pipe open = %v, want ok", err)
	}
}

func TestFDRevalidate(t *testing.T) {
	e := newEnv(t)
	fdDir := e.walk(t, "/proc/1/fd")
	var p [2]int
	must(t, unix.Pipe2(p[:], unix.O_CLOEXEC))
	name := strconv.Itoa(p[0])
	link := e.lwalk(t, "/proc/1/fd/"+name)
	if e.fs.Revalidate(fdDir.Dentry.Vnode(), name, link.Dentry.Vnode()) {
		t.Errorf("Revalidate of fd/%s = true, want false", name)
	}
	unix.Close(p[0])
	unix.Close(p[1])
	if _, err := e.v.Walk(e.ctx, vfs.VirtualDentry{}, "/proc/1/fd/"+name, 0); err != unix.ENOENT {
		t.Errorf("Walk(fd/%s) after close = %v, want ENOENT", name, err)
	}
}

func TestFDHostDirectory(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	d, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	must(t, err)
	defer unix.Close(d)
	path := "/proc/1/fd/" + strconv.Itoa(d)
	if got, err := e.readlink(t, path); got != dir || err != nil {
		t.Errorf("readlink(%s) = %q, %v; want %q", path, got, err, dir)
	}
	// The host path is never walked in the guest's tree...
	if _, err := e.v.Walk(e.ctx, vfs.VirtualDentry{}, path+"/x", vfs.FollowFinal); err != unix.ENOTDIR {
		t.Errorf("walking through a host directory's fd = %v, want ENOTDIR", err)
	}
	// ...nor reopened: a host directory descriptor would lead out of it.
	for _, flags := range []int{unix.O_RDONLY, unix.O_RDONLY | unix.O_DIRECTORY} {
		if f, err := e.v.Open(e.ctx, vfs.VirtualDentry{}, path, flags, 0); err == nil {
			f.DecRef()
			t.Errorf("reopen of a host directory with %#x succeeded", flags)
		}
	}
	f, err := e.v.Open(e.ctx, vfs.VirtualDentry{}, path, unix.O_PATH, 0)
	if err != nil {
		t.Fatalf("O_PATH open = %v", err)
	}
	defer f.DecRef()
	var st unix.Stat_t
	must(t, unix.Fstat(f.HostFD(), &st))
	var host unix.Stat_t
	must(t, unix.Stat(dir, &host))
	if st.Ino == host.Ino && st.Dev == host.Dev {
		t.Errorf("O_PATH open of a host directory's fd gave the host directory")
	}
}
