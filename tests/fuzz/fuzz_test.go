package fuzz

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"vkernel/tests/harness"
)

// env is what every mode shares, set up once by TestMain.
var env struct {
	err    error  // why the fuzzer cannot run: it skips
	bin    string // vkernel
	rootfs string // the busybox tree (host path), copied per mode
	fuzzer string // the static fuzzer (host path)
	tmp    string // where it was built
	cfg    config
}

func TestMain(m *testing.M) {
	env.err = setup()
	code := m.Run()
	if env.tmp != "" {
		os.RemoveAll(env.tmp)
	}
	os.Exit(code)
}

func setup() error {
	var err error
	if env.cfg, err = loadConfig(); err != nil {
		return err
	}
	if env.bin, err = harness.Bin(); err != nil {
		return err
	}
	if env.rootfs, err = harness.Rootfs("busybox"); err != nil {
		return err
	}
	if os.Geteuid() != 0 {
		return errors.New("the fuzzer's fixtures need root (owners, setuid files)")
	}
	if err := becomeSubreaper(); err != nil {
		return fmt.Errorf("PR_SET_CHILD_SUBREAPER: %v", err)
	}
	removeStale(env.rootfs)
	cc, err := exec.LookPath("gcc")
	if err != nil {
		return errors.New("building the fuzzer needs gcc")
	}
	if env.tmp, err = os.MkdirTemp("", "vkfuzz-build-"); err != nil {
		return err
	}
	srcs, _ := filepath.Glob("testdata/*.c")
	env.fuzzer = filepath.Join(env.tmp, "vkfuzz")
	args := append([]string{"-static", "-O1", "-Wall", "-o", env.fuzzer}, srcs...)
	if out, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("gcc %v: %v\n%s", args, err, out)
	}
	return nil
}

// TestFuzz runs the fuzzer as the guest's root and as user 1000:1000, each
// on a fixture of its own.
func TestFuzz(t *testing.T) {
	if env.err != nil {
		t.Skipf("the fuzzer needs vkernel, the busybox rootfs, gcc and root: %v", env.err)
	}
	for _, mode := range env.cfg.modes {
		t.Run(mode, func(t *testing.T) { fuzzMode(t, mode) })
	}
}

// panicMarks on vkernel's stderr mean the sentry crashed.
var panicMarks = []string{"panic:", "goroutine ", "fatal error"}

func fuzzMode(t *testing.T, mode string) {
	cfg := env.cfg
	f, err := newFixture(env.rootfs, env.fuzzer, mode)
	if err != nil {
		removeFixture(f.base)
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("left %s for inspection (the children's logs are in log/)", f.base)
			return
		}
		removeFixture(f.base)
	})
	w := f.watched()
	before := w.record()

	flags := []string{"--net", "none", "--tmpfs", "/tmp",
		"--mount", f.path("ro") + ":/ro:ro", "--mount", f.path("rw") + ":/rw",
		"--mount", f.path("log") + ":/log", "--share", f.path("rw")}
	if mode == "user" {
		flags = append(flags, "--user", "1000:1000")
	}
	argv := harness.GuestCmd(env.bin, f.path("root"), flags, cfg.args(f.base))
	t.Logf("seed %d, %v; replay: %s", cfg.seed, cfg.time, cfg.repro(mode))
	r := run(t, f, argv, cfg.time+90*time.Second)
	for _, l := range strings.Split(r.stderr, "\n") {
		if strings.HasPrefix(l, "fuzz: ") {
			t.Log(l)
		}
	}

	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf("seed %d (replay: %s): %s", cfg.seed, cfg.repro(mode), fmt.Sprintf(format, args...))
	}
	if r.timedOut {
		fail("vkernel did not finish within %v: a hang (killed)", cfg.time+90*time.Second)
	}
	for _, m := range panicMarks {
		if strings.Contains(r.stderr, m) {
			fail("vkernel's stderr shows %q: the sentry crashed\n%s", m, tail(r.stderr, 60))
			break
		}
	}
	switch {
	case r.status == 125:
		fail("vkernel exited 125 (its own error)\n%s", tail(r.stderr, 30))
	case !r.timedOut && !strings.Contains(r.stderr, "fuzz: done"):
		fail("the guest ended before the fuzzer finished (vkernel status %d)\n%s", r.status, tail(r.stderr, 30))
	case !r.timedOut && r.status != 0:
		fail("vkernel exited %d, want the fuzzer's 0\n%s", r.status, tail(r.stderr, 30))
	}
	if s := strays(f.base); len(s) > 0 {
		fail("host processes outlived vkernel:\n%s", strings.Join(s, "\n"))
	}
	after := w.record()
	if d := harness.DiffLines(before, after); d != "" {
		fail("the guest changed host files it must not reach:\n%s\n\nsuccessful calls that may have done it:\n%s",
			d, suspects(f, d))
	}
}

type result struct {
	stderr   string
	status   int
	timedOut bool
}

// run runs argv with stdin and stdout on the fixture's stdio files and
// stderr captured, in a process group of its own that is killed after
// limit.
func run(t *testing.T, f fixture, argv []string, limit time.Duration) result {
	t.Helper()
	in, err := os.Open(f.path("stdio/in"))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(f.path("stdio/out"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	var stderr bytes.Buffer
	c := exec.Command(argv[0], argv[1:]...)
	c.Env = os.Environ()
	c.Dir = "/"
	c.Stdin, c.Stdout, c.Stderr = in, out, &stderr
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.WaitDelay = 5 * time.Second
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(limit, func() { syscall.Kill(-c.Process.Pid, syscall.SIGKILL) })
	err = c.Wait()
	r := result{timedOut: !timer.Stop(), status: -1}
	if ws, ok := c.ProcessState.Sys().(syscall.WaitStatus); ok {
		switch {
		case ws.Exited():
			r.status = ws.ExitStatus()
		case ws.Signaled():
			r.status = 128 + int(ws.Signal())
		}
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) && !errors.Is(err, exec.ErrWaitDelay) {
		t.Errorf("waiting for vkernel: %v", err)
	}
	r.stderr = stderr.String()
	return r
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
