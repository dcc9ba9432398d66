package guest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"vkernel/tests/harness"
)

// needRootfs returns the built rootfs NAME, or skips t.
func needRootfs(t *testing.T, name string) string {
	t.Helper()
	dir, err := harness.Rootfs(name)
	if err != nil {
		t.Skipf("no guest rootfs: %v", err)
	}
	return dir
}

// needBin returns $VKERNEL_BIN, or skips t.
func needBin(t *testing.T) string {
	t.Helper()
	bin, err := harness.Bin()
	if err != nil {
		t.Skipf("no vkernel binary: %v", err)
	}
	return bin
}

// needNative skips t when native runs are impossible (not root, no unshare).
func needNative(t *testing.T) {
	t.Helper()
	if err := harness.CanNative(); err != nil {
		t.Skipf("no native runs: %v", err)
	}
}

// runNative runs argv chrooted into rootfs with the fixed environment
// (harness.GuestEnv), stdin as its standard input ("" for none).
func runNative(t *testing.T, rootfs string, argv []string, stdin string) *harness.Result {
	t.Helper()
	needNative(t)
	r := harness.RunNative(rootfs, harness.Spec{Argv: argv, Stdin: strings.NewReader(stdin)})
	if r.Err != nil {
		t.Fatalf("native %q: %v\n%s", argv, r.Err, r)
	}
	return r
}

// runGuest runs argv under `$VKERNEL_BIN run --root rootfs --clear-env` with the
// same fixed environment, stdin as its standard input.
func runGuest(t *testing.T, rootfs string, argv []string, stdin string) *harness.Result {
	t.Helper()
	return runGuestFlags(t, rootfs, nil, argv, stdin)
}

// runGuestFlags is runGuest with extra `vkernel run` flags.
func runGuestFlags(t *testing.T, rootfs string, flags, argv []string, stdin string) *harness.Result {
	t.Helper()
	bin := needBin(t)
	r := harness.RunGuest(bin, rootfs, harness.Spec{Argv: argv, Flags: flags, Stdin: strings.NewReader(stdin)})
	if r.Err != nil {
		t.Fatalf("guest %q: %v\n%s", argv, r.Err, r)
	}
	return r
}

// workDir makes a fresh, empty ROOTFS/work/NAME and returns its host path and
// guest path. It stays behind when t fails, for a look; the next run removes it.
func workDir(t *testing.T, rootfs, name string) (host, guest string) {
	t.Helper()
	base := filepath.Join(rootfs, "work")
	if err := os.MkdirAll(base, 0o755); err != nil {
		t.Fatal(err)
	}
	host = filepath.Join(base, name)
	if err := os.RemoveAll(host); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(host, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(host, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !t.Failed() {
			os.RemoveAll(host)
		} else {
			t.Logf("left %s for inspection", host)
		}
	})
	return host, "/work/" + name
}

// checkOneLineError checks that r failed with one line on stderr and no sign
// of a Go panic.
func checkOneLineError(t *testing.T, r *harness.Result) {
	t.Helper()
	if r.Status == 0 {
		t.Errorf("status 0, want non-zero\n%s", r)
	}
	msg := strings.TrimSuffix(r.Stderr, "\n")
	if msg == "" || strings.Contains(msg, "\n") {
		t.Errorf("stderr is not exactly one line:\n%s", r.Stderr)
	}
	for _, bad := range []string{"panic", "goroutine "} {
		if strings.Contains(r.Stderr, bad) {
			t.Errorf("stderr mentions %q:\n%s", bad, r.Stderr)
		}
	}
}

// buildC compiles testdata/SRC with gcc and flags (-static, -no-pie,
// -shared -fPIC, -DNAME, ...) to host path out; it skips t without gcc.
func buildC(t *testing.T, src, out string, flags ...string) {
	t.Helper()
	cc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("no gcc")
	}
	abs, _ := filepath.Abs(filepath.Join("testdata", src))
	args := append(append(append([]string{}, flags...), "-O1", "-o", out), abs)
	if b, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
		t.Fatalf("gcc %v %s: %v\n%s", flags, src, err, b)
	}
}

// sameAsNative runs argv natively and in the guest on rootfs, fails t
// unless the native run exits 0 with stdout containing want, and reports
// any difference in status or stdout.
func sameAsNative(t *testing.T, rootfs string, argv []string, want string) {
	t.Helper()
	n := runNative(t, rootfs, argv, "")
	if !strings.Contains(n.Stdout, want) || n.Status != 0 {
		t.Fatalf("native run (want %q in stdout):\n%s", want, n)
	}
	g := runGuest(t, rootfs, argv, "")
	if n.Stdout != g.Stdout || n.Status != g.Status {
		t.Errorf("native:\n%s\nguest:\n%s", n, g)
	}
}
