package confine

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"vkernel/tests/harness"
)

// startHost starts a host command, killed when t ends.
func startHost(t *testing.T, argv ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

// TestExitStatus: vkernel exits with the program's status, 128+N when
// signal N killed it.
func TestExitStatus(t *testing.T) {
	need(t)
	for _, tc := range []struct {
		script string
		want   int
	}{
		{"exit 0", 0}, {"exit 1", 1}, {"exit 42", 42}, {"exit 255", 255},
		{"kill -TERM $$", 143}, {"kill -KILL $$", 137}, {"kill -SEGV $$", 139},
		{"kill -INT $$", 130}, {"kill -HUP $$", 129}, {"kill -ABRT $$", 134},
		{"exec " + env.probe + " 'exec /nonexistent'", 0}, // the probe prints ENOENT, exits 0
	} {
		r := guest(t, env.rootfs, nil, "/bin/sh", "-c", tc.script)
		if r.Status != tc.want {
			t.Errorf("%q: status %d, want %d\n%s", tc.script, r.Status, tc.want, r)
		}
	}
}

// guestProc is a vkernel run the test talks to while it runs.
type guestProc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string
	stderr bytes.Buffer
}

func startGuest(t *testing.T, root string, argv ...string) *guestProc {
	t.Helper()
	c := harness.GuestCmd(env.bin, root, nil, argv)
	g := &guestProc{cmd: exec.Command(c[0], c[1:]...), lines: make(chan string, 100)}
	g.cmd.Stderr = &g.stderr
	var err error
	if g.stdin, err = g.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := g.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := g.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.cmd.Process.Kill() })
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			g.lines <- sc.Text()
		}
		close(g.lines)
	}()
	return g
}

// waitLine waits for the guest's next output line to be want.
func (g *guestProc) waitLine(t *testing.T, want string) {
	t.Helper()
	select {
	case l, ok := <-g.lines:
		if !ok || l != want {
			t.Fatalf("guest said %q (open %v), want %q; stderr: %s", l, ok, want, g.stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("guest did not say %q; stderr: %s", want, g.stderr.String())
	}
}

// wait waits for vkernel to exit and returns its status and the rest of
// the guest's output.
func (g *guestProc) wait(t *testing.T) (int, []string) {
	t.Helper()
	var rest []string
	done := make(chan error, 1)
	go func() { done <- g.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		g.cmd.Process.Kill()
		t.Fatalf("vkernel did not exit; stderr: %s", g.stderr.String())
	}
	for l := range g.lines {
		rest = append(rest, l)
	}
	ws := g.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return 128 + int(ws.Signal()), rest
	}
	return ws.ExitStatus(), rest
}

// TestSignalForwarding: SIGTERM, SIGINT and SIGHUP sent to vkernel reach the
// guest program, whose trap runs.
func TestSignalForwarding(t *testing.T) {
	need(t)
	if env.bookRFS == "" {
		t.Skip("needs the bookworm rootfs (bash)")
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP} {
		name := strings.TrimPrefix(fmt.Sprint(sig), "")
		t.Run(strconv.Itoa(int(sig)), func(t *testing.T) {
			script := fmt.Sprintf(`trap 'echo trapped %d; exit 3' %d; echo ready; while :; do sleep 0.02; done`, sig, sig)
			g := startGuest(t, env.bookRFS, "/bin/bash", "-c", script)
			g.waitLine(t, "ready")
			if err := g.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			status, rest := g.wait(t)
			if status != 3 || strings.Join(rest, "\n") != fmt.Sprintf("trapped %d", sig) {
				t.Errorf("%s: status %d output %q, want 3 and the trap's line; stderr: %s", name, status, rest, g.stderr.String())
			}
		})
	}
	// Without a trap the program dies of the signal: 128+N.
	g := startGuest(t, env.bookRFS, "/bin/bash", "-c", "echo ready; exec sleep 100")
	g.waitLine(t, "ready")
	time.Sleep(50 * time.Millisecond) // let bash exec sleep
	g.cmd.Process.Signal(syscall.SIGTERM)
	if status, _ := g.wait(t); status != 128+int(syscall.SIGTERM) {
		t.Errorf("untrapped SIGTERM: status %d, want %d", status, 128+int(syscall.SIGTERM))
	}
}

// hostProcs returns the host pids whose command line is argv exactly.
func hostProcs(argv ...string) []int {
	want := strings.Join(argv, "\x00") + "\x00"
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline")); err == nil && string(b) == want {
			pids = append(pids, pid)
		}
	}
	return pids
}

// alive reports whether pid still exists on the host, zombie or not.
func alive(pid int) bool {
	_, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
	return err == nil
}

// TestNoSurvivors: when the guest's program exits, vkernel exits and takes
// every guest process with it: background children, a setsid daemon, a
// process ignoring SIGHUP and SIGTERM. None is left, not even as a zombie.
func TestNoSurvivors(t *testing.T) {
	need(t)
	n := 900000 + os.Getpid()%90000
	s1, s2, s3 := strconv.Itoa(n), strconv.Itoa(n+1), strconv.Itoa(n+2)
	script := `sleep ` + s1 + ` &
(trap '' HUP TERM; exec sleep ` + s2 + `) &
setsid sleep ` + s3 + ` &
echo started; read x; echo bye`
	g := startGuest(t, env.rootfs, "/bin/sh", "-c", script)
	g.waitLine(t, "started")
	var pids []int
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		pids = append(append(hostProcs("sleep", s1), hostProcs("sleep", s2)...), hostProcs("sleep", s3)...)
		if len(pids) == 3 {
			break
		}
	}
	if len(pids) != 3 {
		t.Fatalf("found %v of the guest's three sleeps on the host", pids)
	}
	g.stdin.Close()
	if status, rest := g.wait(t); status != 0 || strings.Join(rest, "") != "bye" {
		t.Errorf("status %d output %q, want 0 bye; stderr: %s", status, rest, g.stderr.String())
	}
	// vkernel has exited: give the kernel a moment to finish the kills.
	end := time.Now().Add(2 * time.Second)
	for _, pid := range pids {
		for alive(pid) && time.Now().Before(end) {
			time.Sleep(10 * time.Millisecond)
		}
		if alive(pid) {
			st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
			t.Errorf("guest process %d outlived vkernel: %s", pid, st)
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// TestManyChildren: a guest that forks 200 children at once.
func TestManyChildren(t *testing.T) {
	need(t)
	script := `i=0; while [ $i -lt 200 ]; do /bin/true & i=$((i+1)); done; wait; echo forked $i
i=0; while [ $i -lt 200 ]; do (exit 3) & i=$((i+1)); done; wait; echo subshells $i
echo $(echo nested $(echo deep))`
	r := guest(t, env.rootfs, nil, "/bin/sh", "-c", script)
	if r.Status != 0 || r.Stdout != "forked 200\nsubshells 200\nnested deep\n" {
		t.Errorf("got %s", r)
	}
}

// TestOutputFlood: a guest writing as fast as it can to stdout and stderr
// at once loses nothing.
func TestOutputFlood(t *testing.T) {
	need(t)
	const mib = 32
	r := guest(t, env.rootfs, nil, "/bin/sh", "-c",
		fmt.Sprintf("yes stderr-line | head -n 200000 >&2 & dd if=/dev/zero bs=1048576 count=%d 2>/dev/null; wait", mib))
	if r.Status != 0 || len(r.Stdout) != mib<<20 || strings.Trim(r.Stdout, "\x00") != "" {
		t.Errorf("status %d, %d bytes out, want 0 and %d zero bytes", r.Status, len(r.Stdout), mib<<20)
	}
	if want := strings.Repeat("stderr-line\n", 200000); r.Stderr != want {
		t.Errorf("stderr: %d bytes, want %d", len(r.Stderr), len(want))
	}
}

// TestStdioFiles: stdin, stdout and stderr pass through as host regular
// files (seekable) and pipes.
func TestStdioFiles(t *testing.T) {
	need(t)
	dir := t.TempDir()
	in := strings.Repeat("0123456789\n", 10000)
	writeFile(t, dir+"/in", in)
	stdin, err := os.Open(dir + "/in")
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, _ := os.Create(dir + "/out")
	defer stdout.Close()
	stderr, _ := os.Create(dir + "/err")
	defer stderr.Close()
	c := harness.GuestCmd(env.bin, env.rootfs, nil, []string{"/bin/sh", "-c",
		"head -c 11 >/dev/null; cat; echo to-err >&2; ls -l /proc/self/fd/0 >/dev/null; exit 5"})
	cmd := exec.Command(c[0], c[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 5 {
		t.Errorf("status: %v, want exit 5", err)
	}
	// head read (at least) one line off a seekable stdin; cat got the rest.
	out, _ := os.ReadFile(dir + "/out")
	if len(out) == 0 || !strings.HasSuffix(in, string(out)) || len(out) > len(in)-11 {
		t.Errorf("stdout file: %d bytes, want a suffix of the input shorter by at least 11", len(out))
	}
	if e, _ := os.ReadFile(dir + "/err"); string(e) != "to-err\n" {
		t.Errorf("stderr file: %q", e)
	}
	// Pipes both ways, large.
	big := strings.Repeat("pipe data line\n", 1<<15)
	r := harness.RunGuest(env.bin, env.rootfs, harness.Spec{Argv: []string{"/bin/sh", "-c", "cat; cat /proc/self/fd/0; echo done >&2"},
		Stdin: strings.NewReader(big)})
	if r.Status != 0 || r.Stdout != big || r.Stderr != "done\n" {
		t.Errorf("pipes: status %d, %d bytes out (want %d), stderr %q", r.Status, len(r.Stdout), len(big), r.Stderr)
	}
}

// TestInheritedDescriptors: descriptors vkernel inherits beyond stdio (a
// shell's `3<dir 4>file`) are host files outside the guest's tree; they
// must not reach the guest, where fchmod or a write through them would
// change the host.
func TestInheritedDescriptors(t *testing.T) {
	need(t)
	dir := t.TempDir()
	os.Chmod(dir, 0o700)
	d, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	f, err := os.Create(filepath.Join(dir, "file"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	argv := harness.GuestCmd(env.bin, env.rootfs, nil,
		[]string{"/bin/sh", "-c", "for n in 3 4; do [ -e /proc/$$/fd/$n ] && echo has $n; done; chmod 777 /proc/self/fd/3; echo leaked >&4"})
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.ExtraFiles = []*os.File{d, f}
	out, _ := cmd.CombinedOutput()
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("the host directory's mode changed: %v %v\n%s", fi.Mode(), err, out)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "file")); len(b) != 0 {
		t.Errorf("the guest wrote %q through an inherited descriptor\n%s", b, out)
	}
	if strings.Contains(string(out), "has ") {
		t.Errorf("the guest has inherited descriptors:\n%s", out)
	}
}

// TestHostname: the guest's host name is its own (the host's stays), only
// a guest with CAP_SYS_ADMIN may change it, and /proc/sys/kernel follows.
func TestHostname(t *testing.T) {
	need(t)
	host, _ := os.Hostname()
	r := guest(t, env.rootfs, []string{"--hostname", "vk1"}, "/bin/sh", "-c",
		"hostname vk2; uname -n; cat /proc/sys/kernel/hostname")
	if r.Status != 0 || r.Stdout != "vk2\nvk2\n" {
		t.Errorf("root in the guest: want the name changed to vk2\n%s", r)
	}
	r = guest(t, env.rootfs, []string{"--hostname", "vk1", "--user", "1000"}, "/bin/sh", "-c",
		"hostname vk2; echo status $?; uname -n; cat /proc/sys/kernel/hostname")
	if !strings.Contains(r.Stdout, "status 1\nvk1\nvk1\n") || !strings.Contains(r.Stderr, "not permitted") {
		t.Errorf("a guest user without CAP_SYS_ADMIN: want EPERM and vk1 unchanged\n%s", r)
	}
	if now, _ := os.Hostname(); now != host {
		t.Errorf("the host's name changed from %q to %q", host, now)
	}
}
