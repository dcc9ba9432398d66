package confine

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestDescriptorFlood: one guest process holding as many descriptors as
// its RLIMIT_NOFILE lets it (up to 20,000 files of its own) meets EMFILE
// there or nowhere, the guest's other processes go on working meanwhile,
// and the sentry holds at most two host descriptors per guest open (the
// open file and the cached vnode).
func TestDescriptorFlood(t *testing.T) {
	need(t)
	const n = 20000
	host, g := fixture(t, "flood")
	script := fmt.Sprintf(`%s "flood %s %d 4" &
read go
ls /bin >/dev/null && echo ls ok
cat /etc/passwd >/dev/null && echo cat ok
mkdir %s/d && echo mkdir ok
wait
echo done`, env.probe, g, n, g)
	gp := startGuest(t, env.rootfs, "/bin/sh", "-c", script)
	var line string
	select {
	case line = <-gp.lines:
	case <-time.After(60 * time.Second):
		t.Fatalf("the flood did not report; stderr: %s", gp.stderr.String())
	}
	f := strings.Fields(strings.TrimPrefix(line, "flood: ok "))
	opened, err := strconv.Atoi(f[0])
	if err != nil || opened < 1000 {
		t.Fatalf("flood: %q; stderr: %s", line, gp.stderr.String())
	}
	if opened < n && (len(f) < 2 || f[1] != "EMFILE") {
		t.Errorf("flood stopped at %d with %v, want EMFILE at its own limit", opened, f[1:])
	}
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", gp.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("guest holds %d; the sentry %d host descriptors", opened, len(ents))
	if len(ents) > 2*opened+500 {
		t.Errorf("the sentry holds %d descriptors for %d guest opens: more than 2 each", len(ents), opened)
	}
	fmt.Fprintln(gp.stdin, "go")
	for _, w := range []string{"ls ok", "cat ok", "mkdir ok"} {
		gp.waitLine(t, w)
	}
	status, rest := gp.wait(t)
	if status != 0 || len(rest) == 0 || rest[len(rest)-1] != "done" {
		t.Errorf("guest status %d, rest %q; stderr: %s", status, rest, gp.stderr.String())
	}
	_ = host
}

// TestMknodNoLeak: mknod of regular files leaves the sentry no host
// descriptor per file (each used to keep one for good).
func TestMknodNoLeak(t *testing.T) {
	need(t)
	const n = 6000
	_, g := fixture(t, "mknod")
	gp := startGuest(t, env.rootfs, env.probe, fmt.Sprintf("mknodreg %s %d 3", g, n))
	gp.waitLine(t, "mknodreg: ok")
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", gp.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	// The name cache keeps up to 4096 unreferenced vnodes.
	if len(ents) > 4096+500 {
		t.Errorf("the sentry holds %d descriptors after %d mknods", len(ents), n)
	}
	gp.wait(t)
}
