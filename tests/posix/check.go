package posix

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The helpers below fail the case at the first unexpected result, naming the
// call, what it returned and what Linux returns. With POSIX_KEEP_GOING set
// (a debugging aid) they report every unexpected result and carry on.
var keepGoing = os.Getenv("POSIX_KEEP_GOING") != ""

func failf(t *testing.T, format string, args ...any) {
	t.Helper()
	if keepGoing {
		t.Errorf(format, args...)
	} else {
		t.Fatalf(format, args...)
	}
}

// ok fails t if err is not nil, and reports whether it was nil.
func ok(t *testing.T, err error, what string, args ...any) bool {
	t.Helper()
	if err != nil {
		failf(t, "%s: %v, want success", fmt.Sprintf(what, args...), errnoName(err))
		return false
	}
	return true
}

// fails checks err is the errno want.
func fails(t *testing.T, err error, want unix.Errno, what string, args ...any) {
	t.Helper()
	if err == nil {
		failf(t, "%s: success, want %s", fmt.Sprintf(what, args...), unix.ErrnoName(want))
		return
	}
	var e unix.Errno
	if !errors.As(err, &e) || e != want {
		failf(t, "%s: %s, want %s", fmt.Sprintf(what, args...), errnoName(err), unix.ErrnoName(want))
	}
}

// errnoName is an error as its errno's name (ENOENT) when it has one.
func errnoName(err error) string {
	var e unix.Errno
	if errors.As(err, &e) {
		if n := unix.ErrnoName(e); n != "" {
			return n
		}
	}
	return err.Error()
}

// eq fails t if got != want.
func eq[T comparable](t *testing.T, got, want T, what string, args ...any) {
	t.Helper()
	if got != want {
		failf(t, "%s: got %v, want %v", fmt.Sprintf(what, args...), got, want)
	}
}

// eqOct is eq for modes, printed in octal.
func eqOct(t *testing.T, got, want uint32, what string, args ...any) {
	t.Helper()
	if got != want {
		failf(t, "%s: got %#o, want %#o", fmt.Sprintf(what, args...), got, want)
	}
}

// p joins dir and names with slashes, without cleaning: p(d, ".") is "d/.".
func p(dir string, names ...string) string { return strings.Join(append([]string{dir}, names...), "/") }

// writeFile creates path (0644 before the umask) holding data.
func writeFile(t *testing.T, path, data string) {
	t.Helper()
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_CLOEXEC, 0o644)
	ok(t, err, "open(%s, O_CREAT)", path)
	defer unix.Close(fd)
	if data != "" {
		n, err := unix.Write(fd, []byte(data))
		ok(t, err, "write(%s)", path)
		eq(t, n, len(data), "write(%s) count", path)
	}
}

// readFile returns path's contents.
func readFile(t *testing.T, path string) string {
	t.Helper()
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	ok(t, err, "open(%s, O_RDONLY)", path)
	defer unix.Close(fd)
	return readAll(t, fd)
}

func readAll(t *testing.T, fd int) string {
	t.Helper()
	var out []byte
	buf := make([]byte, 64<<10)
	for {
		n, err := unix.Read(fd, buf)
		if err != nil {
			ok(t, err, "read(fd %d)", fd)
			return string(out)
		}
		if n == 0 {
			return string(out)
		}
		out = append(out, buf[:n]...)
	}
}

func mkdir(t *testing.T, path string) {
	t.Helper()
	ok(t, unix.Mkdir(path, 0o755), "mkdir(%s)", path)
}

func symlink(t *testing.T, target, path string) {
	t.Helper()
	ok(t, unix.Symlink(target, path), "symlink(%s, %s)", target, path)
}

func open(t *testing.T, path string, flags int, mode uint32) int {
	t.Helper()
	fd, err := unix.Open(path, flags|unix.O_CLOEXEC, mode)
	ok(t, err, "open(%s, %#x)", path, flags)
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

func stat(t *testing.T, path string) unix.Stat_t {
	t.Helper()
	var st unix.Stat_t
	ok(t, unix.Stat(path, &st), "stat(%s)", path)
	return st
}

func lstat(t *testing.T, path string) unix.Stat_t {
	t.Helper()
	var st unix.Stat_t
	ok(t, unix.Lstat(path, &st), "lstat(%s)", path)
	return st
}

func fstat(t *testing.T, fd int) unix.Stat_t {
	t.Helper()
	var st unix.Stat_t
	ok(t, unix.Fstat(fd, &st), "fstat(%d)", fd)
	return st
}

func absent(t *testing.T, path string) {
	t.Helper()
	var st unix.Stat_t
	fails(t, unix.Lstat(path, &st), unix.ENOENT, "lstat(%s)", path)
}

// setUmask sets the umask for the rest of the case.
func setUmask(t *testing.T, mask int) {
	old := unix.Umask(mask)
	t.Cleanup(func() { unix.Umask(old) })
}

// chdir makes dir the working directory for the rest of the case.
func chdir(t *testing.T, dir string) {
	t.Helper()
	old, err := os.Getwd()
	ok(t, err, "getcwd")
	ok(t, unix.Chdir(dir), "chdir(%s)", dir)
	t.Cleanup(func() { unix.Chdir(old) })
}

var old = unix.NsecToTimespec(time.Date(2001, 2, 3, 4, 5, 6, 123456789, time.UTC).UnixNano())

// age sets path's atime and mtime to 2001, well before anything the case does.
func age(t *testing.T, path string) {
	t.Helper()
	ok(t, unix.UtimesNanoAt(unix.AT_FDCWD, path, []unix.Timespec{old, old}, unix.AT_SYMLINK_NOFOLLOW), "utimensat(%s)", path)
}

// tick waits long enough for a coarse (jiffy) clock to move, so a ctime set
// after it differs from one set before.
func tick() { time.Sleep(15 * time.Millisecond) }

func ts(t unix.Timespec) string { return fmt.Sprintf("%d.%09d", t.Sec, t.Nsec) }

func after(a, b unix.Timespec) bool { return a.Sec > b.Sec || a.Sec == b.Sec && a.Nsec > b.Nsec }
