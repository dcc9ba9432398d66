package posix

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// Advisory locks: flock, POSIX record locks between two processes, OFD locks.

// helperEnv names the helper a re-executed binary runs instead of its main.
const helperEnv = "POSIX_CASE_HELPER"

// init serves a helper request before main (or TestMain) runs, in whatever
// binary imports this package, so that a case can use a second process.
func init() {
	if name := os.Getenv(helperEnv); name != "" {
		os.Exit(runHelper(name, os.Args[1:]))
	}
}

// helper runs helper name with args in a child process (this binary, again)
// and returns its output.
func helper(t *testing.T, name string, args ...string) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), helperEnv+"="+name)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper %s %q: %v\n%s", name, args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func runHelper(name string, args []string) int {
	switch name {
	case "posix-lock":
		// posix-lock PATH: try locks against those the parent holds and
		// report each result on a line.
		fd, err := unix.Open(args[0], unix.O_RDWR, 0)
		if err != nil {
			fmt.Println("open:", errnoName(err))
			return 1
		}
		try := func(typ int16, start, length int64) string {
			lk := unix.Flock_t{Type: typ, Whence: 0, Start: start, Len: length}
			return result(unix.FcntlFlock(uintptr(fd), unix.F_SETLK, &lk))
		}
		fmt.Println("wrlock 5+1:", try(unix.F_WRLCK, 5, 1))
		fmt.Println("rdlock 5+1:", try(unix.F_RDLCK, 5, 1))
		fmt.Println("rdlock 20+5:", try(unix.F_RDLCK, 20, 5))
		fmt.Println("wrlock 20+5:", try(unix.F_WRLCK, 20, 5))
		fmt.Println("wrlock 10+10:", try(unix.F_WRLCK, 10, 10))
		lk := unix.Flock_t{Type: unix.F_WRLCK, Start: 0, Len: 0}
		err = unix.FcntlFlock(uintptr(fd), unix.F_GETLK, &lk)
		fmt.Printf("getlk 0+0: %s type=%d start=%d len=%d pid=%d\n", result(err), lk.Type, lk.Start, lk.Len, lk.Pid)
		lk = unix.Flock_t{Type: unix.F_WRLCK, Start: 30, Len: 1}
		err = unix.FcntlFlock(uintptr(fd), unix.F_GETLK, &lk)
		fmt.Printf("getlk 30+1: %s type=%d\n", result(err), lk.Type)
		fmt.Println("flock ex:", result(unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)))
		return 0
	}
	fmt.Fprintf(os.Stderr, "unknown helper %q\n", name)
	return 2
}

func result(err error) string {
	if err != nil {
		return errnoName(err)
	}
	return "ok"
}

func flockCase(t *testing.T, dir string) {
	f := p(dir, "f")
	writeFile(t, f, "")
	fd1 := open(t, f, unix.O_RDONLY, 0)
	fd2 := open(t, f, unix.O_RDONLY, 0)
	ok(t, unix.Flock(fd1, unix.LOCK_EX|unix.LOCK_NB), "flock(fd1, LOCK_EX)")
	fails(t, unix.Flock(fd2, unix.LOCK_EX|unix.LOCK_NB), unix.EWOULDBLOCK, "flock(fd2, LOCK_EX|LOCK_NB) while fd1 holds it")
	fails(t, unix.Flock(fd2, unix.LOCK_SH|unix.LOCK_NB), unix.EWOULDBLOCK, "flock(fd2, LOCK_SH|LOCK_NB) while fd1 holds LOCK_EX")
	// A dup shares the open file description, and so the lock.
	dup, err := unix.Dup(fd1)
	ok(t, err, "dup")
	ok(t, unix.Flock(dup, unix.LOCK_EX|unix.LOCK_NB), "flock(dup, LOCK_EX)")
	// Downgrade to shared: another shared lock is granted.
	ok(t, unix.Flock(fd1, unix.LOCK_SH|unix.LOCK_NB), "flock(fd1, LOCK_SH)")
	ok(t, unix.Flock(fd2, unix.LOCK_SH|unix.LOCK_NB), "flock(fd2, LOCK_SH)")
	fails(t, unix.Flock(fd2, unix.LOCK_EX|unix.LOCK_NB), unix.EWOULDBLOCK, "flock(fd2, LOCK_EX) upgrade while fd1 shares")
	// Closing every descriptor of the description releases it.
	unix.Close(dup)
	ok(t, unix.Flock(fd1, unix.LOCK_UN), "flock(fd1, LOCK_UN)")
	ok(t, unix.Flock(fd2, unix.LOCK_EX|unix.LOCK_NB), "flock(fd2, LOCK_EX) after fd1 unlocked")
	fails(t, unix.Flock(fd1, 0), unix.EINVAL, "flock(fd1, 0)")
	// A flock lock and a POSIX lock do not conflict.
	rw := open(t, f, unix.O_RDWR, 0)
	lk := unix.Flock_t{Type: unix.F_WRLCK, Start: 0, Len: 0}
	ok(t, unix.FcntlFlock(uintptr(rw), unix.F_SETLK, &lk), "F_SETLK while a flock lock is held")
	// The other process sees the flock lock.
	eq(t, lastLine(helper(t, "posix-lock", f)), "flock ex: EAGAIN", "a second process's flock(LOCK_EX|LOCK_NB)")
	// Also on a directory.
	dfd := open(t, dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	ok(t, unix.Flock(dfd, unix.LOCK_EX|unix.LOCK_NB), "flock(dir)")
}

func lastLine(s string) string { return s[strings.LastIndexByte(s, '\n')+1:] }

func posixLocks(t *testing.T, dir string) {
	f := p(dir, "f")
	writeFile(t, f, strings.Repeat("x", 64))
	fd := open(t, f, unix.O_RDWR, 0)
	lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: 0, Start: 0, Len: 10}
	ok(t, unix.FcntlFlock(uintptr(fd), unix.F_SETLK, &lk), "F_SETLK write [0,10)")
	lk = unix.Flock_t{Type: unix.F_RDLCK, Whence: 0, Start: 20, Len: 5}
	ok(t, unix.FcntlFlock(uintptr(fd), unix.F_SETLK, &lk), "F_SETLK read [20,25)")
	// The same process can always relock its own ranges.
	lk = unix.Flock_t{Type: unix.F_WRLCK, Start: 5, Len: 1}
	ok(t, unix.FcntlFlock(uintptr(fd), unix.F_GETLK, &lk), "F_GETLK of our own lock")
	eq(t, lk.Type, int16(unix.F_UNLCK), "F_GETLK of our own range: type")
	out := helper(t, "posix-lock", f)
	want := strings.Join([]string{
		"wrlock 5+1: EAGAIN",
		"rdlock 5+1: EAGAIN",
		"rdlock 20+5: ok",
		"wrlock 20+5: EAGAIN",
		"wrlock 10+10: ok",
		fmt.Sprintf("getlk 0+0: ok type=%d start=0 len=10 pid=%d", unix.F_WRLCK, os.Getpid()),
		fmt.Sprintf("getlk 30+1: ok type=%d", unix.F_UNLCK),
		"flock ex: ok",
	}, "\n")
	if out != want {
		t.Fatalf("the second process's locking, against [0,10) write and [20,25) read locks held here:\n got:\n%s\nwant:\n%s", out, want)
	}
	// The helper's locks went with it: the whole file is ours again.
	lk = unix.Flock_t{Type: unix.F_WRLCK, Start: 10, Len: 10}
	ok(t, unix.FcntlFlock(uintptr(fd), unix.F_SETLK, &lk), "F_SETLK [10,20) after the helper exited")
	// Closing any descriptor of the file drops this process's locks.
	fd2 := open(t, f, unix.O_RDONLY, 0)
	unix.Close(fd2)
	out = helper(t, "posix-lock", f)
	if first := strings.SplitN(out, "\n", 2)[0]; first != "wrlock 5+1: ok" {
		t.Fatalf("after closing another descriptor of the file, the helper's first lock: %q, want ok (POSIX locks are dropped on any close)", first)
	}
	// Errors.
	lk = unix.Flock_t{Type: unix.F_WRLCK, Start: -1, Len: 1}
	fails(t, unix.FcntlFlock(uintptr(fd), unix.F_SETLK, &lk), unix.EINVAL, "F_SETLK at -1")
	rfd := open(t, f, unix.O_RDONLY, 0)
	lk = unix.Flock_t{Type: unix.F_WRLCK, Start: 0, Len: 1}
	fails(t, unix.FcntlFlock(uintptr(rfd), unix.F_SETLK, &lk), unix.EBADF, "F_SETLK write lock on an O_RDONLY fd")
}

func ofdLocks(t *testing.T, dir string) {
	f := p(dir, "f")
	writeFile(t, f, strings.Repeat("x", 64))
	fd1 := open(t, f, unix.O_RDWR, 0)
	fd2 := open(t, f, unix.O_RDWR, 0)
	lk := unix.Flock_t{Type: unix.F_WRLCK, Start: 0, Len: 10}
	ok(t, unix.FcntlFlock(uintptr(fd1), unix.F_OFD_SETLK, &lk), "F_OFD_SETLK on fd1")
	// Another open file description of the same process conflicts.
	lk = unix.Flock_t{Type: unix.F_RDLCK, Start: 5, Len: 1}
	fails(t, unix.FcntlFlock(uintptr(fd2), unix.F_OFD_SETLK, &lk), unix.EAGAIN, "F_OFD_SETLK on fd2")
	lk = unix.Flock_t{Type: unix.F_WRLCK, Start: 0, Len: 0}
	ok(t, unix.FcntlFlock(uintptr(fd2), unix.F_OFD_GETLK, &lk), "F_OFD_GETLK on fd2")
	eq(t, lk.Type, int16(unix.F_WRLCK), "F_OFD_GETLK type")
	eq(t, lk.Start, 0, "F_OFD_GETLK start")
	eq(t, lk.Len, 10, "F_OFD_GETLK len")
	eq(t, lk.Pid, -1, "F_OFD_GETLK pid")
	// So does a classic POSIX lock of the same process.
	lk = unix.Flock_t{Type: unix.F_WRLCK, Start: 0, Len: 1}
	fails(t, unix.FcntlFlock(uintptr(fd2), unix.F_SETLK, &lk), unix.EAGAIN, "F_SETLK against an OFD lock of the same process")
	// Closing another descriptor of the file does not drop an OFD lock.
	fd3 := open(t, f, unix.O_RDONLY, 0)
	unix.Close(fd3)
	lk = unix.Flock_t{Type: unix.F_WRLCK, Start: 0, Len: 1}
	fails(t, unix.FcntlFlock(uintptr(fd2), unix.F_OFD_SETLK, &lk), unix.EAGAIN, "F_OFD_SETLK after closing an unrelated fd")
	// A dup shares it; closing every descriptor of fd1's description drops it.
	dup, err := unix.Dup(fd1)
	ok(t, err, "dup")
	unix.Close(fd1)
	fails(t, unix.FcntlFlock(uintptr(fd2), unix.F_OFD_SETLK, &lk), unix.EAGAIN, "F_OFD_SETLK while a dup remains")
	unix.Close(dup)
	ok(t, unix.FcntlFlock(uintptr(fd2), unix.F_OFD_SETLK, &lk), "F_OFD_SETLK after the last dup closed")
	// l_pid must be 0 to set one.
	lk = unix.Flock_t{Type: unix.F_RDLCK, Start: 40, Len: 1, Pid: 1}
	fails(t, unix.FcntlFlock(uintptr(fd2), unix.F_OFD_SETLK, &lk), unix.EINVAL, "F_OFD_SETLK with l_pid != 0")
	// Another process sees it, with l_pid -1.
	out := strings.Split(helper(t, "posix-lock", f), "\n")
	eq(t, out[0], "wrlock 5+1: ok", "the helper's lock beside the OFD lock on [0,1)")
	eq(t, out[5], fmt.Sprintf("getlk 0+0: ok type=%d start=0 len=1 pid=-1", unix.F_WRLCK), "the helper's F_GETLK")
}
