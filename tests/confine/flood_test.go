package confine

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestDescriptorFlood: a guest process holding as many descriptors as it
// can (up to 20,000 files) meets EMFILE at its own RLIMIT_NOFILE, and the
// guest's other processes go on working meanwhile, opening files too;
// two such processes meet EMFILE or ENFILE at the guest's file-max, never
// the sentry's limit, and the rest of the guest still works but for new
// opens (ENFILE, as Linux's fs.file-max). The sentry holds at most two
// host descriptors per guest open (the open file and the cached vnode).
func TestDescriptorFlood(t *testing.T) {
	need(t)
	_, g := fixture(t, "flood")
	t.Run("one", func(t *testing.T) {
		flood(t, g+"/one", 1, `ls /bin >/dev/null && echo ls ok
cat /etc/passwd >/dev/null && echo cat ok
mkdir DIR/d && echo mkdir ok`, "EMFILE", "ls ok", "cat ok", "mkdir ok")
	})
	t.Run("two", func(t *testing.T) {
		flood(t, g+"/two", 2, `ls -d /bin && echo ls ok
mkdir DIR/d && echo mkdir ok`, "ENFILE", "/bin", "ls ok", "mkdir ok")
	})
}

// flood runs procs probes flooding directory dir (the guest's) at once,
// then script (DIR standing for dir) while they hold their files; want
// is the errno at least one flood ends with, lines what script prints.
func flood(t *testing.T, dir string, procs int, script, want string, lines ...string) {
	t.Helper()
	const n = 20000
	var sh strings.Builder
	for i := 0; i < procs; i++ {
		fmt.Fprintf(&sh, "mkdir -p %[2]s/%[3]d; %[1]s \"flood %[2]s/%[3]d %[4]d 6\" &\n", env.probe, dir, i, n)
	}
	sh.WriteString("read go\n" + strings.ReplaceAll(script, "DIR", dir) + "\nwait\necho done")
	gp := startGuest(t, env.rootfs, "/bin/sh", "-c", sh.String())
	opened, ends := 0, []string{}
	for i := 0; i < procs; i++ {
		var line string
		select {
		case line = <-gp.lines:
		case <-time.After(90 * time.Second):
			t.Fatalf("the flood did not report; stderr: %s", gp.stderr.String())
		}
		f := strings.Fields(line[strings.Index(line, ": ok ")+len(": ok "):])
		got, err := strconv.Atoi(f[0])
		if err != nil || got < 1000 {
			t.Fatalf("flood: %q; stderr: %s", line, gp.stderr.String())
		}
		if got < n && (len(f) < 2 || f[1] != "EMFILE" && f[1] != "ENFILE") {
			t.Errorf("flood stopped at %d with %v, want EMFILE or ENFILE", got, f[1:])
		}
		if len(f) > 1 {
			ends = append(ends, f[1])
		}
		opened += got
	}
	if len(ends) > 0 && !strings.Contains(strings.Join(ends, " "), want) {
		t.Errorf("floods ended with %v, want %s among them", ends, want)
	}
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", gp.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the guest holds %d; the sentry %d host descriptors", opened, len(ents))
	if len(ents) > 2*opened+500 {
		t.Errorf("the sentry holds %d descriptors for %d guest opens: more than 2 each", len(ents), opened)
	}
	fmt.Fprintln(gp.stdin, "go")
	for _, w := range lines {
		gp.waitLine(t, w)
	}
	status, rest := gp.wait(t)
	if status != 0 || len(rest) == 0 || rest[len(rest)-1] != "done" {
		t.Errorf("guest status %d, rest %q; stderr: %s", status, rest, gp.stderr.String())
	}
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
