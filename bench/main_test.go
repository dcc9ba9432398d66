package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"vkernel/tests/harness"
)

// TestMain lets a test run this binary as the bench command itself.
func TestMain(m *testing.M) {
	if os.Getenv("VKERNEL_BENCH_AS_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestFailureReasons: when a workload fails, bench prints why, after the
// table, and exits 1. The "vkernel" is /bin/false, so every guest run fails.
func TestFailureReasons(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("bench's native runs chroot: needs root")
	}
	src, err := harness.Rootfs("busybox")
	if err != nil {
		t.Skipf("no busybox rootfs: %v", err)
	}
	root := filepath.Join(t.TempDir(), "root")
	if err := harness.CopyRootfs(src, root); err != nil {
		t.Fatal(err)
	}
	// The tree's symlinks are absolute (bin/sh -> /bin/busybox): make the
	// one bench stats from the host real, inside the copy.
	sh := filepath.Join(root, "bin/sh")
	if err := os.Remove(sh); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("busybox", sh); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(os.Args[0], "-bin", "/bin/false", "-rootfs", root, "-run", "^true$", "-n", "1", "-sides", "native,vkernel")
	cmd.Env = append(os.Environ(), "VKERNEL_BENCH_AS_MAIN=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 1 {
		t.Fatalf("bench: %v, want exit status 1\nstdout:\n%s\nstderr:\n%s", err, &stdout, &stderr)
	}
	if want := "bench: true: vkernel: "; !strings.HasPrefix(stderr.String(), want) {
		t.Errorf("stderr %q, want it to start with %q", &stderr, want)
	}
	if !strings.Contains(stdout.String(), "error") {
		t.Errorf("the table does not show the error:\n%s", &stdout)
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []time.Duration
		want time.Duration
	}{
		{[]time.Duration{3, 1, 2}, 2},
		{[]time.Duration{4, 1, 3, 2}, 2},
		{[]time.Duration{7}, 7},
		{nil, 0},
	} {
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestRow(t *testing.T) {
	sides := []*side{{name: "native"}, {name: "vkernel"}, {name: "proot"}, {name: "bwrap"}}
	rs := []result{
		{median: 2 * time.Millisecond},
		{median: 30 * time.Millisecond},
		{err: errors.New("failed")},
		{median: 1500 * time.Microsecond},
	}
	var b strings.Builder
	row(&b, "w", sides, rs)
	got := strings.Fields(b.String())
	want := []string{"w", "2.00ms", "30.0ms", "15.0x", "error", "-", "1.50ms", "0.8x", "bwrap"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("row: got %q, want %q", got, want)
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		930 * time.Microsecond:   "930µs",
		21720 * time.Microsecond: "21.7ms",
		1234 * time.Millisecond:  "1.23s",
		95 * time.Second:         "95.0s",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
