package guest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vkernel/tests/harness"
)

// A diffCase is a shell script run twice, natively (chroot) and in the guest,
// each time in a fresh copy of the same fixture (harness.MakeFixture) in its own
// work dir ROOTFS/work/<name>-<side>. Status, stdout, stderr and the resulting
// tree must be the same, once the work dir's name is replaced by "WORK".
type diffCase struct {
	name   string
	rootfs string // "bookworm" (the default) or "busybox"
	shell  string // default: /bin/bash on bookworm, /bin/sh on busybox
	script string
	stdin  string
	status int // the exit status the script must end with (natively too)
}

func (c *diffCase) defaults() {
	if c.rootfs == "" {
		c.rootfs = "bookworm"
	}
	if c.shell == "" {
		c.shell = "/bin/bash"
		if c.rootfs == "busybox" {
			c.shell = "/bin/sh"
		}
	}
}

// outcome is what one side of a case did, normalised.
type outcome struct {
	res  *harness.Result
	tree []string
}

type runFunc func(t *testing.T, rootfs string, argv []string, stdin string) *harness.Result

// runSide runs c with run in the work dir <name>-<side>.
func (c *diffCase) runSide(t *testing.T, rootfs, side string, run runFunc) outcome {
	t.Helper()
	dirName := c.name + "-" + side
	host, guest := workDir(t, rootfs, dirName)
	if err := harness.MakeFixture(host); err != nil {
		t.Fatalf("fixture: %v", err)
	}
	script := "umask 022\ncd " + guest + " || exit 99\n" + c.script
	r := run(t, rootfs, []string{c.shell, "-c", script}, c.stdin)
	norm := func(s string) string { return strings.ReplaceAll(s, dirName, "WORK") }
	r.Stdout, r.Stderr = norm(r.Stdout), norm(r.Stderr)
	tree, err := harness.Snapshot(host)
	if err != nil {
		t.Fatalf("snapshot %s: %v", host, err)
	}
	for i := range tree {
		tree[i] = norm(tree[i])
	}
	return outcome{r, tree}
}

// compare reports how got differs from want.
func (c *diffCase) compare(t *testing.T, wantSide, gotSide string, want, got outcome) {
	t.Helper()
	if want.res.Status != c.status {
		t.Errorf("%s status %d, the case expects %d (broken case?)\n%s", wantSide, want.res.Status, c.status, want.res)
	}
	if got.res.Status != want.res.Status {
		t.Errorf("status: %s %d, %s %d", gotSide, got.res.Status, wantSide, want.res.Status)
	}
	if got.res.Stdout != want.res.Stdout {
		t.Errorf("stdout differs (- %s, + %s):\n%s", wantSide, gotSide,
			harness.DiffLines(lines(want.res.Stdout), lines(got.res.Stdout)))
	}
	if got.res.Stderr != want.res.Stderr {
		t.Errorf("stderr differs (- %s, + %s):\n%s", wantSide, gotSide,
			harness.DiffLines(lines(want.res.Stderr), lines(got.res.Stderr)))
	}
	if d := harness.DiffLines(want.tree, got.tree); d != "" {
		t.Errorf("resulting tree differs (- %s, + %s):\n%s", wantSide, gotSide, d)
	}
	if t.Failed() || os.Getenv("VKTEST_SHOW") != "" {
		t.Logf("%s:\n%s\n%s:\n%s", wantSide, want.res, gotSide, got.res)
	}
}

func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

func runDiffCases(t *testing.T, cases []diffCase, wantSide, gotSide string, want, got runFunc) {
	for _, c := range cases {
		c.defaults()
		t.Run(c.name, func(t *testing.T) {
			rootfs := needRootfs(t, c.rootfs)
			t.Parallel()
			w := c.runSide(t, rootfs, wantSide, want)
			g := c.runSide(t, rootfs, gotSide, got)
			c.compare(t, wantSide, gotSide, w, g)
		})
	}
}

// TestDifferential runs every case natively and in the guest and compares.
func TestDifferential(t *testing.T) {
	needBin(t)
	needNative(t)
	runDiffCases(t, diffCases, "native", "guest", runNative, runGuest)
}

// TestDifferentialDeterminism runs every case natively twice and compares, so
// that a difference TestDifferential reports is the guest's and not the case's
// (times, inode numbers, dir names leaking into the output). It needs no
// vkernel binary.
func TestDifferentialDeterminism(t *testing.T) {
	needNative(t)
	runDiffCases(t, diffCases, "native", "again", runNative, runNative)
}

// TestCaseNamesUnique guards the work dir names.
func TestCaseNamesUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range diffCases {
		if seen[c.name] || c.name != filepath.Base(c.name) || strings.ContainsAny(c.name, " /") {
			t.Errorf("bad or duplicate case name %q", c.name)
		}
		seen[c.name] = true
	}
}

// TestMain removes ROOTFS/work when it is left empty.
func TestMain(m *testing.M) {
	code := m.Run()
	for _, name := range []string{"bookworm", "busybox"} {
		if dir, err := harness.Rootfs(name); err == nil {
			os.Remove(filepath.Join(dir, "work")) // only if empty
		}
	}
	os.Exit(code)
}
