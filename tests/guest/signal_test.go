package guest

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSignalsRestartServedCalls runs testdata/eintr.c natively and in the
// guest: a handler without SA_RESTART catching a 100 µs timer must not make
// stat, open, close, getcwd, mkdir or rmdir fail with EINTR (the guest's
// served calls wait for the sentry, and a signal before the sentry took
// the call must restart it), while a blocking flock still fails with
// EINTR, as Linux.
func TestSignalsRestartServedCalls(t *testing.T) {
	root := needRootfs(t, "bookworm")
	cc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("no gcc")
	}
	host, guest := workDir(t, root, "eintr")
	src, _ := filepath.Abs("testdata/eintr.c")
	if out, err := exec.Command(cc, "-static", "-O1", "-o", filepath.Join(host, "eintr"), src).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	argv := []string{"/bin/sh", "-c", "cd " + guest + " && ./eintr"}
	n := runNative(t, root, argv, "")
	g := runGuest(t, root, argv, "")
	if !strings.Contains(n.Stdout, "eintr=0 other=0 caught=yes") || n.Status != 0 {
		t.Fatalf("native run:\n%s", n)
	}
	if n.Stdout != g.Stdout || n.Status != g.Status {
		t.Errorf("native:\n%s\nguest:\n%s", n, g)
	}
}
