package roundtrip

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"vkernel/tests/harness"
)

// build compiles testdata/name.c (static when static) into dir.
func build(b *testing.B, dir, name string, static bool) string {
	b.Helper()
	cc, err := exec.LookPath("gcc")
	if err != nil {
		b.Skip("no gcc")
	}
	src, _ := filepath.Abs(filepath.Join("testdata", name+".c"))
	out := filepath.Join(dir, name)
	args := []string{"-O2", "-o", out, src}
	if static {
		args = append([]string{"-static"}, args...)
	}
	if msg, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
		b.Skipf("%s: %v\n%s", name, err, msg)
	}
	return out
}

// perCall runs argv, which prints the nanoseconds its n calls took, and
// reports them per call.
func perCall(b *testing.B, n int, argv ...string) {
	b.Helper()
	out, err := exec.Command(argv[0], argv[1:]...).Output()
	if err != nil {
		b.Fatalf("%q: %v", argv, err)
	}
	ns, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil {
		b.Fatalf("%q printed %q", argv, out)
	}
	b.ReportMetric(ns/float64(n), "ns/call")
}

// BenchmarkRoundTrip: b.N umask calls natively, under the C supervisor and
// under vkernel (a served call with no work).
func BenchmarkRoundTrip(b *testing.B) {
	dir := b.TempDir()
	loop := build(b, dir, "loop", true)
	sup := build(b, dir, "supervisor", false)
	b.Run("native", func(b *testing.B) { perCall(b, b.N, loop, strconv.Itoa(b.N)) })
	b.Run("supervisor-c", func(b *testing.B) { perCall(b, b.N, sup, strconv.Itoa(b.N)) })
	b.Run("vkernel", func(b *testing.B) {
		bin := os.Getenv("VKERNEL_BIN")
		if bin == "" {
			b.Skip("VKERNEL_BIN is not set")
		}
		root, err := harness.Rootfs("busybox")
		if err != nil {
			b.Skip(err)
		}
		guest := filepath.Join(root, "tmp", "roundtrip-loop")
		data, err := os.ReadFile(loop)
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(guest, data, 0o755); err != nil {
			b.Fatal(err)
		}
		defer os.Remove(guest)
		perCall(b, b.N, bin, "run", "--root", root, "--", "/tmp/roundtrip-loop", strconv.Itoa(b.N))
	})
}
