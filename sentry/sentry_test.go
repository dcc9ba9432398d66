package sentry

import (
	"bytes"
	"encoding/binary"
	"os"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"vkernel/sentry/fsimpl/tmpfs"
	"vkernel/sentry/vfs"
)

// fakeMemory is a guest address space of one arena starting at base.
type fakeMemory struct {
	base uint64
	mem  []byte
	next uint64
}

const arenaBase = 0x10000

func newFakeMemory() *fakeMemory {
	return &fakeMemory{base: arenaBase, mem: make([]byte, 1<<16), next: arenaBase}
}

func (m *fakeMemory) slice(addr uint64, n int) ([]byte, error) {
	if addr < m.base || addr+uint64(n) > m.base+uint64(len(m.mem)) {
		return nil, unix.EFAULT
	}
	return m.mem[addr-m.base : addr-m.base+uint64(n)], nil
}

func (m *fakeMemory) CopyIn(addr uint64, buf []byte) error {
	s, err := m.slice(addr, len(buf))
	if err == nil {
		copy(buf, s)
	}
	return err
}

func (m *fakeMemory) CopyOut(addr uint64, buf []byte) error {
	s, err := m.slice(addr, len(buf))
	if err == nil {
		copy(s, buf)
	}
	return err
}

func (m *fakeMemory) ReadString(addr uint64, max int) (string, error) {
	if addr < m.base || addr >= m.base+uint64(len(m.mem)) {
		return "", unix.EFAULT
	}
	rest := m.mem[addr-m.base:]
	i := bytes.IndexByte(rest, 0)
	if i < 0 {
		return "", unix.EFAULT
	}
	if i > max {
		return "", unix.ENAMETOOLONG
	}
	return string(rest[:i]), nil
}

// put places b in the arena and returns its address.
func (m *fakeMemory) put(b []byte) uint64 {
	a := m.next
	copy(m.mem[a-m.base:], b)
	m.next += uint64(len(b)+15) &^ 15
	return a
}

func (m *fakeMemory) str(s string) uint64 { return m.put(append([]byte(s), 0)) }

// fakeFDs installs host descriptors by duplicating them: guest fd N is
// the duplicate's number.
type fakeFDs struct{ t *testing.T }

func (f fakeFDs) Install(hostFD, at int, cloexec bool) (int, error) {
	if at >= 0 {
		return at, unix.Dup3(hostFD, at, unix.O_CLOEXEC)
	}
	return unix.FcntlInt(uintptr(hostFD), unix.F_DUPFD_CLOEXEC, 100)
}

func (f fakeFDs) Fetch(guestFD int) (int, error) {
	return unix.FcntlInt(uintptr(guestFD), unix.F_DUPFD_CLOEXEC, 0)
}

// newTestKernel makes a kernel whose root is a tmpfs, and a task in it.
func newTestKernel(t *testing.T, cred *Creds) (*Kernel, *Task) {
	t.Helper()
	v := vfs.New()
	root := v.Root(v.NewRootMount(tmpfs.New(tmpfs.Options{Mode: 0o755}), 0))
	k := NewKernel(Config{VFS: v})
	task := k.NewInitTask(os.Getpid(), root, root, cred, NewFDTable())
	return k, task
}

func call(k *Kernel, task *Task, mem *fakeMemory, nr uintptr, args ...uint64) Result {
	c := &Call{Task: task, Nr: nr, Mem: mem, FDs: fakeFDs{}}
	copy(c.Args[:], args)
	return k.Handle(c)
}

func TestHandlers(t *testing.T) {
	k, task := newTestKernel(t, RootCreds())
	mem := newFakeMemory()
	fdcwd := int64(unix.AT_FDCWD)
	at := uint64(fdcwd)
	statBuf := mem.put(make([]byte, 256))
	cwdBuf := mem.put(make([]byte, 256))
	for _, tc := range []struct {
		name  string
		nr    uintptr
		args  []uint64
		errno unix.Errno
	}{
		{"mkdir", unix.SYS_MKDIR, []uint64{mem.str("/d"), 0o755}, 0},
		{"mkdir exists", unix.SYS_MKDIR, []uint64{mem.str("/d"), 0o755}, unix.EEXIST},
		{"chdir", unix.SYS_CHDIR, []uint64{mem.str("/d")}, 0},
		{"create", unix.SYS_OPENAT, []uint64{at, mem.str("f"), unix.O_CREAT | unix.O_WRONLY, 0o640}, 0},
		{"stat relative", unix.SYS_NEWFSTATAT, []uint64{at, mem.str("f"), statBuf, 0}, 0},
		{"stat missing", unix.SYS_NEWFSTATAT, []uint64{at, mem.str("nope"), statBuf, 0}, unix.ENOENT},
		{"symlink", unix.SYS_SYMLINKAT, []uint64{mem.str("f"), at, mem.str("l")}, 0},
		{"readlink", unix.SYS_READLINKAT, []uint64{at, mem.str("l"), cwdBuf, 64}, 0},
		{"readlink not a link", unix.SYS_READLINKAT, []uint64{at, mem.str("f"), cwdBuf, 64}, unix.EINVAL},
		{"nofollow", unix.SYS_OPENAT, []uint64{at, mem.str("l"), unix.O_RDONLY | unix.O_NOFOLLOW, 0}, unix.ELOOP},
		{"directory on file", unix.SYS_OPENAT, []uint64{at, mem.str("f"), unix.O_RDONLY | unix.O_DIRECTORY, 0}, unix.ENOTDIR},
		{"rmdir not empty", unix.SYS_RMDIR, []uint64{mem.str("/d")}, unix.ENOTEMPTY},
		{"rename", unix.SYS_RENAMEAT2, []uint64{at, mem.str("f"), at, mem.str("g"), 0}, 0},
		{"rename noreplace", unix.SYS_RENAMEAT2, []uint64{at, mem.str("g"), at, mem.str("l"), unix.RENAME_NOREPLACE}, unix.EEXIST},
		{"unlink dir", unix.SYS_UNLINK, []uint64{mem.str("/d")}, unix.EISDIR},
		{"bad path pointer", unix.SYS_MKDIR, []uint64{0x1, 0o755}, unix.EFAULT},
		{"getcwd", unix.SYS_GETCWD, []uint64{cwdBuf, 256}, 0},
		{"getcwd too small", unix.SYS_GETCWD, []uint64{cwdBuf, 2}, unix.ERANGE},
		{"unknown call", 1000, nil, unix.ENOSYS},
	} {
		r := call(k, task, mem, tc.nr, tc.args...)
		if r.Errno != tc.errno {
			t.Errorf("%s: got errno %v (val %d), want %v", tc.name, r.Errno, r.Val, tc.errno)
		}
	}
	// The cwd is where chdir went.
	r := call(k, task, mem, unix.SYS_GETCWD, cwdBuf, 256)
	if got, _ := mem.ReadString(cwdBuf, 256); got != "/d" || r.Val != 3 {
		t.Errorf("getcwd: got %q (%d), want \"/d\" (3)", got, r.Val)
	}
	// stat reports the mode created with the umask applied.
	call(k, task, mem, unix.SYS_NEWFSTATAT, at, mem.str("g"), statBuf, 0)
	var st unix.Stat_t
	b, _ := mem.slice(statBuf, int(unsafe.Sizeof(st)))
	st = *(*unix.Stat_t)(unsafe.Pointer(&b[0]))
	if st.Mode != unix.S_IFREG|0o640 {
		t.Errorf("stat mode: got %o, want %o", st.Mode, unix.S_IFREG|0o640)
	}
	if got := k.Unimplemented(); len(got) != 1 || got[0] != "syscall_1000=1" {
		t.Errorf("unimplemented counts: got %v", got)
	}
}

func TestCredentials(t *testing.T) {
	k, task := newTestKernel(t, UserCreds(1000, 1000))
	mem := newFakeMemory()
	ids := mem.put(make([]byte, 12))
	for _, tc := range []struct {
		name  string
		nr    uintptr
		args  []uint64
		errno unix.Errno
	}{
		{"setuid to root", unix.SYS_SETUID, []uint64{0}, unix.EPERM},
		{"setuid to self", unix.SYS_SETUID, []uint64{1000}, 0},
		{"setgroups", unix.SYS_SETGROUPS, []uint64{0, 0}, unix.EPERM},
		{"mkdir in root-owned dir", unix.SYS_MKDIR, []uint64{mem.str("/x"), 0o755}, unix.EACCES},
		{"mount", unix.SYS_MOUNT, []uint64{mem.str("none"), mem.str("/"), mem.str("tmpfs"), 0, 0}, unix.EPERM},
		{"chroot", unix.SYS_CHROOT, []uint64{mem.str("/")}, unix.EPERM},
		{"getresuid", unix.SYS_GETRESUID, []uint64{ids, ids + 4, ids + 8}, 0},
	} {
		if r := call(k, task, mem, tc.nr, tc.args...); r.Errno != tc.errno {
			t.Errorf("%s: got errno %v, want %v", tc.name, r.Errno, tc.errno)
		}
	}
	b, _ := mem.slice(ids, 12)
	for i := 0; i < 3; i++ {
		if got := binary.LittleEndian.Uint32(b[4*i:]); got != 1000 {
			t.Errorf("getresuid[%d]: got %d, want 1000", i, got)
		}
	}
	// Root dropping to a user loses its capabilities, as Linux.
	root := RootCreds()
	root.mu.Lock()
	root.RUID, root.EUID, root.SUID, root.FSUID = 5, 5, 5, 5
	root.fixSetxuidLocked(0, 0, 0)
	eff, perm := root.CapEffective, root.CapPermitted
	root.mu.Unlock()
	if eff != 0 || perm != 0 {
		t.Errorf("capabilities after setuid(5) from root: eff %x perm %x, want none", eff, perm)
	}
}

func TestParseShebang(t *testing.T) {
	for _, tc := range []struct{ in, interp, arg string }{
		{"#!/bin/sh\n", "/bin/sh", ""},
		{"#! /usr/bin/env  python3 -u \nrest", "/usr/bin/env", "python3 -u"},
		{"#!/bin/bash\t-e\n", "/bin/bash", "-e"},
	} {
		interp, arg, err := parseShebang([]byte(tc.in))
		if err != nil || interp != tc.interp || arg != tc.arg {
			t.Errorf("parseShebang(%q) = %q, %q, %v; want %q, %q", tc.in, interp, arg, err, tc.interp, tc.arg)
		}
	}
	if _, _, err := parseShebang([]byte("#!   \n")); err != unix.ENOEXEC {
		t.Errorf("empty #! line: got %v, want ENOEXEC", err)
	}
}

func TestElfInterp(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path    string
		wantErr error
	}{
		{exe, nil},       // the test binary: static or dynamic, x86-64
		{"/bin/sh", nil}, // dynamic: has PT_INTERP
		{"/etc/hostname", unix.ENOEXEC},
	} {
		fd, err := unix.Open(tc.path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Skipf("%s: %v", tc.path, err)
		}
		hdr := make([]byte, 256)
		n, _ := unix.Pread(fd, hdr, 0)
		interp, err := elfInterp(fd, hdr[:n])
		unix.Close(fd)
		if err != tc.wantErr {
			t.Errorf("%s: got %q, %v; want error %v", tc.path, interp, err, tc.wantErr)
		}
		if tc.path == "/bin/sh" && interp == "" {
			t.Errorf("/bin/sh: no PT_INTERP found")
		}
	}
}
