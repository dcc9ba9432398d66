package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

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
	// The tree's symlinks are absolute (bin/sh -> /bin/busybox): make what
	// bench stats or writes from the host real, inside the copy.
	sh := filepath.Join(root, "bin/sh")
	if err := os.Remove(sh); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("busybox", sh); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(root, "var")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "var/tmp"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, bigFile), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(filepath.Join(root, bigFile), bigSize); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(os.Args[0], "-bin", "/bin/false", "-rootfs", root, "-run", "^true$", "-n", "1")
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
