package guest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestLocksAcrossKernels: advisory locks on dirfs files are the host's, so
// they are coherent between the host, one vkernel and another.
func TestLocksAcrossKernels(t *testing.T) {
	bin := needBin(t)
	root := needRootfs(t, "bookworm")
	share := t.TempDir()
	file := filepath.Join(share, "lock")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// try reports flock -n's output in a guest: "0" when it got the lock.
	try := func(what string) string {
		t.Helper()
		r := runGuestFlags(t, root, []string{"--mount", share + ":/shared"},
			[]string{"/bin/sh", "-c", "flock -n /shared/lock true; echo $?"}, "")
		return strings.TrimSpace(r.Stdout)
	}
	// A host process holds the lock: the guest cannot take it.
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	if got := try("host holds"); got != "1" {
		t.Errorf("flock -n under a host lock: got %q, want 1", got)
	}
	unix.Flock(int(f.Fd()), unix.LOCK_UN)
	f.Close()
	if got := try("free"); got != "0" {
		t.Errorf("flock -n on a free file: got %q, want 0", got)
	}
	// Another vkernel holds it.
	holder := exec.Command(bin, "run", "--root", root, "--mount", share+":/shared", "--",
		"/bin/sh", "-c", "exec flock /shared/lock sh -c 'echo held; sleep 60'")
	out, _ := holder.StdoutPipe()
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { holder.Process.Kill(); holder.Wait() }()
	buf := make([]byte, 5)
	done := make(chan struct{})
	go func() { out.Read(buf); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the first vkernel did not take the lock")
	}
	if got := try("other vkernel holds"); got != "1" {
		t.Errorf("flock -n under another vkernel's lock: got %q, want 1", got)
	}
	// The host sees that lock too.
	g, _ := os.Open(file)
	defer g.Close()
	if err := unix.Flock(int(g.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != unix.EWOULDBLOCK {
		t.Errorf("host flock under a guest's lock: got %v, want EWOULDBLOCK", err)
	}
}

// TestLeaseBreakOpen runs testdata/leasebreak.c natively and in the
// guest: an open that breaks a lease waits for the holder, whose own
// served calls (an open, the close that gives the lease up) go on
// meanwhile; with O_NONBLOCK it fails at once.
//
// As a guest user too: the lease is the user's to take on its own file
// (the host would judge vkernel's host identity), and not on another's
// (EACCES, F_SETLEASE with F_RDLCK on /etc/passwd).
func TestLeaseBreakOpen(t *testing.T) {
	root := needRootfs(t, "bookworm")
	host, guest := workDir(t, root, "leasebreak")
	os.Chmod(host, 0o1777)
	buildC(t, "leasebreak.c", filepath.Join(host, "leasebreak"), "-static")
	for _, who := range []struct{ name, prefix string }{
		{"root", ""}, {"user", "setpriv --reuid=1000 --regid=1000 --clear-groups "},
	} {
		t.Run(who.name, func(t *testing.T) {
			script := "cd " + guest + " && " + who.prefix + "./leasebreak; rm -f leased; " + who.prefix +
				`perl -e 'open(F, "<", "/etc/passwd") or die; print fcntl(F, 1024, 0) ? "lease on passwd: ok\n" : "lease on passwd: $!\n"'`
			sameAsNative(t, root, []string{"/bin/sh", "-c", script}, `breaker: opened, waited under 5s: yes
holder: exit 0
O_NONBLOCK breaker: EWOULDBLOCK
`)
		})
	}
}
