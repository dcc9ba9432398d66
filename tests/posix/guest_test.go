package posix

import (
	"debug/elf"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"vkernel/tests/harness"
)

// The guest side: this same test binary, copied into the busybox rootfs and
// run under vkernel with -test.run '^TestInGuest$', runs every case in a
// fresh directory under $POSIX_GUEST_DIR; TestGuest reads its -test.v
// output and reports one subtest per filesystem and case.

const guestDirEnv = "POSIX_GUEST_DIR"

// TestInGuest runs the cases in the guest; it skips anywhere else.
func TestInGuest(t *testing.T) {
	dir := os.Getenv(guestDirEnv)
	if dir == "" {
		t.Skip("the guest side of TestGuest: runs only with " + guestDirEnv + " set")
	}
	var sf unix.Statfs_t
	if err := unix.Statfs(dir, &sf); err != nil {
		t.Fatalf("statfs(%s): %v", dir, err)
	}
	fmt.Printf("posix-statfs: type=%#x files=%d\n", sf.Type, sf.Files)
	for _, name := range caseNames() {
		t.Run(name, func(t *testing.T) {
			d, err := os.MkdirTemp(dir, "case-")
			if err != nil {
				t.Fatalf("mkdtemp in %s: %v", dir, err)
			}
			Cases[name](t, d)
		})
	}
}

// A filesystem the guest runs the cases on.
type guestFS struct {
	name string
	// setup returns the vkernel run flags and the guest directory, given
	// the fixture's host and guest paths.
	setup func(t *testing.T, host, guest string) (flags []string, dir string)
	// prefix runs vkernel under another command.
	prefix []string
}

var guestFilesystems = []guestFS{
	{name: "dirfs-mount", setup: func(t *testing.T, host, guest string) ([]string, string) {
		mkdirAll(t, filepath.Join(host, "mnt"))
		return []string{"--mount", t.TempDir() + ":" + guest + "/mnt"}, guest + "/mnt"
	}},
	{name: "dirfs-root", setup: func(t *testing.T, host, guest string) ([]string, string) {
		mkdirAll(t, filepath.Join(host, "root"))
		return nil, guest + "/root"
	}},
	{name: "tmpfs", setup: func(t *testing.T, host, guest string) ([]string, string) {
		mkdirAll(t, filepath.Join(host, "tmpfs"))
		return []string{"--tmpfs", guest + "/tmpfs"}, guest + "/tmpfs"
	}},
	// A guest user (1000:1000) in a directory of its own: what the sentry
	// and dirfs make for a user that is not vkernel's.
	{name: "dirfs-user", setup: func(t *testing.T, host, guest string) ([]string, string) {
		mkdirAll(t, filepath.Join(host, "mnt"))
		dir := t.TempDir()
		if err := os.Chown(dir, 1000, 1000); err != nil {
			t.Fatal(err)
		}
		return []string{"--mount", dir + ":" + guest + "/mnt", "--user", "1000:1000"}, guest + "/mnt"
	}},
	// Without CAP_SYS_ADMIN vkernel cannot mount a private host tmpfs and
	// --tmpfs falls back to the sentry's memfd-backed tmpfs.
	{name: "sentry-tmpfs", prefix: []string{"setpriv", "--bounding-set", "-sys_admin"},
		setup: func(t *testing.T, host, guest string) ([]string, string) {
			mkdirAll(t, filepath.Join(host, "stmpfs"))
			return []string{"--tmpfs", guest + "/stmpfs"}, guest + "/stmpfs"
		}},
}

// sentryTmpfsFiles is the f_files the sentry's tmpfs reports (fs.go).
const sentryTmpfsFiles = 1 << 20

// knownGaps are the {case, filesystem} pairs that fail in the guest because
// vkernel lacks what they test, each with the reason. TestGuest fails when
// one of them passes, so that fixing a gap updates this map.
//
// "gap" is a feature vkernel does not have; "bug" is a difference from Linux
// in one it has (reported with a reproduction).
var knownGaps = map[[2]string]string{
	{"watch/inotify", "sentry-tmpfs"}: "gap: inotify_add_watch fails with EOPNOTSUPP",
}

func TestGuest(t *testing.T) {
	bin, err := harness.Bin()
	if err != nil {
		t.Skip(err)
	}
	rootfs, err := harness.Rootfs("busybox")
	if err != nil {
		t.Skip(err)
	}
	for k := range knownGaps {
		if Cases[k[0]] == nil || !hasFS(k[1]) {
			t.Errorf("knownGaps names an unknown case or filesystem: %v", k)
		}
	}
	removeStale(rootfs)
	name := fmt.Sprintf("posix-%d", os.Getpid())
	host, guest := filepath.Join(rootfs, name), "/"+name
	os.RemoveAll(host)
	mkdirAll(t, host)
	t.Cleanup(func() { os.RemoveAll(host) })
	prog := guest + "/posix.test"
	installSelf(t, filepath.Join(host, "posix.test"))
	for _, fs := range guestFilesystems {
		t.Run(fs.name, func(t *testing.T) {
			t.Parallel()
			if len(fs.prefix) > 0 {
				if _, err := exec.LookPath(fs.prefix[0]); err != nil {
					t.Skipf("needs %s: %v", fs.prefix[0], err)
				}
			}
			fhost, fguest := filepath.Join(host, fs.name), guest+"/"+fs.name
			mkdirAll(t, fhost)
			flags, dir := fs.setup(t, fhost, fguest)
			flags = append(flags, "--env", guestDirEnv+"="+dir)
			if keepGoing {
				flags = append(flags, "--env", "POSIX_KEEP_GOING=1")
			}
			argv := []string{prog, "-test.run", "^TestInGuest$", "-test.v", "-test.count=1", "-test.timeout=30s"}
			cmd := append(append([]string{}, fs.prefix...), harness.GuestCmd(bin, rootfs, flags, argv)...)
			r := harness.Run(cmd, os.Environ(), harness.Spec{})
			if r.Err != nil {
				t.Fatalf("guest: %v\n%s", r.Err, r)
			}
			if fs.name == "sentry-tmpfs" && !strings.Contains(r.Stdout, fmt.Sprintf(" files=%d\n", sentryTmpfsFiles)) {
				t.Skipf("--tmpfs without CAP_SYS_ADMIN did not give the sentry's tmpfs\n%s", r)
			}
			results := parseVerbose(r.Stdout)
			if len(results) < len(Cases) {
				t.Errorf("the guest run stopped after %d of %d cases (status %d); its tail:\n%s",
					len(results), len(Cases), r.Status, tail(r.Stdout+r.Stderr, 40))
			}
			for _, c := range caseNames() {
				t.Run(c, func(t *testing.T) {
					res, ran := results[c]
					gap, known := knownGaps[[2]string{c, fs.name}]
					switch {
					case !ran:
						t.Fatalf("no result: the guest run stopped before this case")
					case known && res.status == "PASS":
						t.Fatalf("known gap %q now passes on %s: remove it from knownGaps", gap, fs.name)
					case known:
						t.Logf("known gap: %s\n%s", gap, res.output)
					case res.status == "FAIL":
						t.Fatalf("fails in the guest on %s:\n%s", fs.name, res.output)
					case res.status == "SKIP":
						t.Skipf("skipped in the guest:\n%s", res.output)
					}
				})
			}
		})
	}
}

// removeStale removes the fixtures of earlier runs killed before their
// cleanup: those whose pid is gone.
func removeStale(rootfs string) {
	matches, _ := filepath.Glob(filepath.Join(rootfs, "posix-*"))
	for _, m := range matches {
		pid, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(m), "posix-"))
		if err != nil || pid == os.Getpid() {
			continue
		}
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); os.IsNotExist(err) {
			os.RemoveAll(m)
		}
	}
}

func hasFS(name string) bool {
	for _, fs := range guestFilesystems {
		if fs.name == name {
			return true
		}
	}
	return false
}

type caseResult struct {
	status string // PASS, FAIL, SKIP
	output string
}

var (
	runLine    = regexp.MustCompile(`^=== (?:RUN|NAME|CONT|PAUSE)\s+TestInGuest/(\S+)`)
	resultLine = regexp.MustCompile(`^\s*--- (PASS|FAIL|SKIP): TestInGuest/(\S+) `)
)

// parseVerbose reads a -test.v run of TestInGuest: each case's status and
// the lines it logged.
func parseVerbose(out string) map[string]*caseResult {
	res := map[string]*caseResult{}
	get := func(name string) *caseResult {
		if res[name] == nil {
			res[name] = &caseResult{}
		}
		return res[name]
	}
	cur := ""
	for _, line := range strings.Split(out, "\n") {
		if m := runLine.FindStringSubmatch(line); m != nil {
			cur = m[1]
			continue
		}
		if m := resultLine.FindStringSubmatch(line); m != nil {
			cur = m[2]
			get(cur).status = m[1]
			continue
		}
		if cur != "" && strings.HasPrefix(line, "    ") {
			get(cur).output += strings.TrimSpace(line) + "\n"
		}
	}
	for name, r := range res {
		if r.status == "" {
			delete(res, name)
		}
	}
	return res
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func mkdirAll(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

// installSelf puts a static copy of this test binary at dst: the running
// one when it is static (no cgo in it), else one built with CGO_ENABLED=0.
func installSelf(t *testing.T, dst string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if static(self) {
		if err := copyFile(self, dst); err != nil {
			t.Fatal(err)
		}
		return
	}
	build := exec.Command("go", "test", "-c", "-o", dst, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the guest test binary: %v\n%s", err, out)
	}
}

// static reports whether the ELF file at path has no program interpreter.
func static(path string) bool {
	f, err := elf.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return false
		}
	}
	return true
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
