package interp

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestMain lets the test binary be the guest stand-in: a process with a
// mount namespace of its own whose root is an empty read-only tmpfs, as
// vkernel's stub makes it, which waits on stdin and then reports what its
// root holds at the path it is given.
//
// The stand-in's namespace steps are a thread's: the child keeps to its
// main thread, the one /proc/PID/ns/mnt names (locked from init, before
// main starts on it).
func init() {
	if os.Getenv("INTERP_TEST_CHILD") != "" {
		runtime.LockOSThread()
	}
}

func TestMain(m *testing.M) {
	if os.Getenv("INTERP_TEST_CHILD") != "" {
		os.Exit(child())
	}
	os.Exit(m.Run())
}

func child() int {
	steps := []func() error{
		func() error { return unix.Unshare(unix.CLONE_NEWNS) },
		func() error { return unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, "") },
		func() error {
			return unix.Mount("empty", "/tmp", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=4k,mode=0555")
		},
		func() error { return unix.Chdir("/tmp") },
		func() error { return unix.PivotRoot(".", ".") },
		func() error { return unix.Unmount(".", unix.MNT_DETACH) },
		func() error {
			return unix.Mount("", "/", "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "")
		},
		func() error { return unix.Chdir("/") },
	}
	for _, s := range steps {
		if err := s(); err != nil {
			os.Stdout.WriteString("setup: " + err.Error() + "\n")
			return 1
		}
	}
	os.Stdout.WriteString("ready\n")
	buf := make([]byte, 4096)
	for {
		n, err := os.Stdin.Read(buf)
		if err != nil || n == 0 {
			return 0
		}
		b, err := os.ReadFile(string(bytes.TrimSpace(buf[:n])))
		if err != nil {
			os.Stdout.WriteString("error " + err.Error() + "\n")
		} else {
			os.Stdout.WriteString("content " + string(b) + "\n")
		}
	}
}

// TestPlacer places two files in turn at one spot of the stand-in's
// namespace: the second waits while the first is held, then replaces it.
func TestPlacer(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	dir := t.TempDir()
	var fds []int
	for _, s := range []string{"one", "two"} {
		p := filepath.Join(dir, s)
		os.WriteFile(p, []byte(s), 0o755)
		fd, err := unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(fd)
		fds = append(fds, fd)
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "INTERP_TEST_CHILD=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWUSER,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1}}}
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { in.Close(); cmd.Wait() }()
	line := func() string {
		var b []byte
		c := make([]byte, 1)
		for {
			if n, err := out.Read(c); n == 0 || err != nil || c[0] == '\n' {
				return string(b)
			}
			b = append(b, c[0])
		}
	}
	if l := line(); l != "ready" {
		t.Fatalf("child: %s", l)
	}
	ask := func(p string) string {
		in.Write([]byte(p + "\n"))
		return line()
	}
	const spot = "/lib64/ld.so"
	var pl Placer
	pid := cmd.Process.Pid
	if c := pl.Prepare(pid, "relative/ld.so", fds[0]); c != nil {
		t.Errorf("Prepare of a relative path = %v, want nil", c)
	}
	c1 := pl.Prepare(pid, spot, fds[0])
	if c1 == nil {
		t.Fatal("Prepare = nil")
	}
	if ok, err := pl.Acquire(c1); !ok || err != nil {
		t.Fatalf("Acquire = %v, %v", ok, err)
	}
	if got := ask(spot); got != "content one" {
		t.Errorf("after the first placement the child reads %q", got)
	}
	c2 := pl.Prepare(pid, spot, fds[1])
	if ok, err := pl.Acquire(c2); ok || err != nil {
		t.Errorf("Acquire of another file at a held spot = %v, %v; want false, nil", ok, err)
	}
	same := pl.Prepare(pid, spot, fds[0])
	if ok, err := pl.Acquire(same); !ok || err != nil || same.clone >= 0 {
		t.Errorf("Acquire of the placed file = %v, %v (clone %d); want true with no mount made", ok, err, same.clone)
	}
	pl.Release(c1)
	if ok, _ := pl.Acquire(c2); ok {
		t.Errorf("Acquire succeeded while the spot is still held")
	}
	pl.Release(same)
	if ok, err := pl.Acquire(c2); !ok || err != nil {
		t.Fatalf("Acquire after the holders left = %v, %v", ok, err)
	}
	if got := ask(spot); got != "content two" {
		t.Errorf("after the swap the child reads %q", got)
	}
	pl.Release(c2)
	// Spots are bounded: past MaxSpots, no placement (command mode).
	for i := 1; i < MaxSpots; i++ {
		c := pl.Prepare(pid, "/many/ld"+strconv.Itoa(i)+".so", fds[0])
		if c == nil {
			t.Fatalf("Prepare of spot %d of %d = nil", i+1, MaxSpots)
		}
		pl.Release(c)
	}
	if c := pl.Prepare(pid, "/many/one-too-many.so", fds[0]); c != nil {
		t.Errorf("Prepare past MaxSpots = %v, want nil", c)
	}
	// The mount point is made in the child's root only: the host's own
	// root has no such file.
	if _, err := os.Stat(spot); err == nil {
		t.Errorf("%s appeared in the test's own namespace", spot)
	}
}
