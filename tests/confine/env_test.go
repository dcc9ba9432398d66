package confine

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"vkernel/tests/harness"
)

// env is what every test shares, set up once by TestMain.
var env struct {
	err error // why the tests cannot run: they skip

	bin     string // vkernel
	rootfs  string // busybox rootfs (host path)
	base    string // ROOTFS/confine-PID on the host
	gbase   string // the same, in the guest: /confine-PID
	probe   string // the probe, guest path (host path: base + "/probe")
	secret  string // the secret directory, beside the rootfs (host path)
	marker  string // the secret file's content; never in any guest output
	bookRFS string // bookworm rootfs, "" when not built
}

func TestMain(m *testing.M) {
	env.err = setup()
	code := m.Run()
	if env.base != "" {
		os.RemoveAll(env.base)
	}
	if env.secret != "" {
		os.RemoveAll(env.secret)
	}
	os.Exit(code)
}

func setup() error {
	var err error
	if env.bin, err = harness.Bin(); err != nil {
		return err
	}
	if env.rootfs, err = harness.Rootfs("busybox"); err != nil {
		return err
	}
	env.bookRFS, _ = harness.Rootfs("bookworm")
	removeStale()
	name := fmt.Sprintf("confine-%d", os.Getpid())
	env.base = filepath.Join(env.rootfs, name)
	env.gbase = "/" + name
	env.secret = filepath.Join(filepath.Dir(env.rootfs), "confine-secret-"+fmt.Sprint(os.Getpid()))
	for _, d := range []string{env.base, env.secret} {
		os.RemoveAll(d)
		if err := os.Mkdir(d, 0o755); err != nil {
			return err
		}
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("building the probe needs the go tool: %v", err)
	}
	hostProbe := filepath.Join(env.base, "probe")
	build := exec.Command(goTool, "build", "-o", hostProbe, "./probe")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("building the probe: %v\n%s", err, out)
	}
	env.probe = env.gbase + "/probe"
	b := make([]byte, 16)
	rand.Read(b)
	env.marker = "VKCONFINE-SECRET-" + hex.EncodeToString(b)
	if err := os.WriteFile(filepath.Join(env.secret, "secret"), []byte(env.marker+"\n"), 0o644); err != nil {
		return err
	}
	// A program outside the guest's root: the guest must never run it.
	prog, err := os.ReadFile(hostProbe)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(env.secret, "hostprobe"), prog, 0o755)
}

// removeStale removes the fixtures of runs that were killed before their
// cleanup: those whose pid is gone.
func removeStale() {
	for _, pat := range []string{
		filepath.Join(env.rootfs, "confine-*"),
		filepath.Join(filepath.Dir(env.rootfs), "confine-secret-*"),
		filepath.Join(filepath.Dir(env.rootfs), "confine-default-*"),
	} {
		matches, _ := filepath.Glob(pat)
		for _, m := range matches {
			i := strings.LastIndexByte(m, '-')
			pid, err := strconv.Atoi(m[i+1:])
			if err != nil || pid == os.Getpid() {
				continue
			}
			if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); os.IsNotExist(err) {
				os.RemoveAll(m)
			}
		}
	}
}

// need skips t when the suite cannot run here.
func need(t *testing.T) {
	t.Helper()
	if env.err != nil {
		t.Skipf("confinement tests need vkernel and the busybox rootfs: %v", env.err)
	}
}

// secretPath is the host path of the secret file.
func secretPath() string { return filepath.Join(env.secret, "secret") }

// fixture makes a fresh directory NAME in the guest's fixture base and
// returns its host and guest paths.
func fixture(t *testing.T, name string) (host, guest string) {
	t.Helper()
	host = filepath.Join(env.base, name)
	os.RemoveAll(host)
	if err := os.MkdirAll(host, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(host) })
	return host, env.gbase + "/" + name
}

// secretFixture makes a fresh host directory NAME inside the secret
// directory (for --mount sources: `..` above them is the secret directory).
func secretFixture(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join(env.secret, name)
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// guest runs argv under vkernel with root ("" for the default root) and
// flags, and checks that its output never shows the secret.
func guest(t *testing.T, root string, flags []string, argv ...string) *harness.Result {
	t.Helper()
	r := harness.RunGuest(env.bin, root, harness.Spec{Argv: argv, Flags: flags})
	if r.Err != nil {
		t.Fatalf("guest %q: %v\n%s", argv, r.Err, r)
	}
	if strings.Contains(r.Stdout+r.Stderr, env.marker) {
		t.Errorf("ESCAPE: the guest saw the host's secret\n%s", r)
	}
	return r
}

// probe runs the probe with ops in the busybox root (flags: extra vkernel
// run flags), checks it succeeded, and returns each op's result.
func probe(t *testing.T, flags []string, ops ...string) map[string]string {
	t.Helper()
	return probeIn(t, env.rootfs, flags, ops...)
}

func probeIn(t *testing.T, root string, flags []string, ops ...string) map[string]string {
	t.Helper()
	r := guest(t, root, flags, append([]string{env.probe}, ops...)...)
	if r.Status != 0 {
		t.Fatalf("probe failed\n%s", r)
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSuffix(r.Stdout, "\n"), "\n") {
		op, res, ok := strings.Cut(line, ": ")
		if !ok {
			t.Fatalf("bad probe line %q\n%s", line, r)
		}
		got[op] = res
	}
	for _, op := range ops {
		if _, ok := got[op]; !ok {
			t.Fatalf("no result for %q\n%s", op, r)
		}
	}
	return got
}

// probeLines checks that a probe run r succeeded and returns each op's
// result.
func probeLines(t *testing.T, r *harness.Result) map[string]string {
	t.Helper()
	if r.Err != nil || r.Status != 0 {
		t.Fatalf("probe: %v\n%s", r.Err, r)
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(r.Stdout), "\n") {
		op, res, _ := strings.Cut(line, ": ")
		got[op] = res
	}
	return got
}

// expect checks each op's result against want: an exact result, or
// "!ok" for any failure.
func expect(t *testing.T, got map[string]string, want map[string]string) {
	t.Helper()
	for op, w := range want {
		g, ok := got[op]
		if !ok {
			t.Errorf("%s: not run", op)
			continue
		}
		if w == "!ok" {
			if g == "ok" || strings.HasPrefix(g, "ok ") {
				t.Errorf("%s: %s, want a failure", op, g)
			}
		} else if g != w {
			t.Errorf("%s: %s, want %s", op, g, w)
		}
	}
}

// run probes want's ops and checks them.
func run(t *testing.T, flags []string, want map[string]string) {
	t.Helper()
	expectAll(t, env.rootfs, flags, want)
}

func expectAll(t *testing.T, root string, flags []string, want map[string]string) {
	t.Helper()
	var ops []string
	for op := range want {
		ops = append(ops, op)
	}
	expect(t, probeIn(t, root, flags, ops...), want)
}

// runEach is run with one guest per operation.
func runEach(t *testing.T, flags []string, want map[string]string) {
	t.Helper()
	for op, w := range want {
		expect(t, probe(t, flags, op), map[string]string{op: w})
	}
}

// q is a probe read's ok result for content.
func q(content string) string { return fmt.Sprintf("ok %q", content) }
