package guest

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// statsReport is a parsed --stats report: the served calls by name
// (calls, errors, continue, enosys) and the counters of each section.
type statsReport struct {
	text     string
	calls    map[string][4]uint64
	counters map[string]map[string]uint64
}

// parseStats reads the report vkernel --stats writes.
func parseStats(t *testing.T, text string) *statsReport {
	t.Helper()
	r := &statsReport{text: text, calls: map[string][4]uint64{}, counters: map[string]map[string]uint64{}}
	if !strings.HasPrefix(text, "vkernel stats: ") {
		t.Fatalf("not a stats report:\n%s", text)
	}
	for _, sec := range strings.Split(text, "\n\n")[1:] {
		lines := strings.Split(strings.TrimRight(sec, "\n"), "\n")
		title := lines[0]
		switch {
		case strings.HasPrefix(title, "served calls:"):
			for _, l := range lines[2:] { // after the column heads
				f := strings.Fields(l)
				if len(f) < 7 {
					t.Fatalf("served calls: bad row %q", l)
				}
				var row [4]uint64
				for i := range row {
					row[i] = atou(t, f[len(f)-6+i])
				}
				r.calls[strings.Join(f[:len(f)-6], " ")] = row
			}
		case !strings.Contains(title, ":"):
			m := map[string]uint64{}
			for _, l := range lines[1:] {
				f := strings.Fields(l)
				if n, err := strconv.ParseUint(f[len(f)-1], 10, 64); err == nil {
					m[strings.Join(f[:len(f)-1], " ")] = n
				}
			}
			r.counters[title] = m
		}
	}
	return r
}

func atou(t *testing.T, s string) uint64 {
	t.Helper()
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatalf("not a count: %q", s)
	}
	return n
}

// runStats runs sh -c script on the busybox rootfs with --stats=FILE
// (and more flags) and returns the parsed report and stdout.
func runStats(t *testing.T, root, script string, flags ...string) (*statsReport, string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "stats.txt")
	r := runGuestFlags(t, root, append([]string{"--stats=" + file}, flags...), []string{"/bin/sh", "-c", script}, "")
	if r.Status != 0 || r.Stderr != "" {
		t.Fatalf("status %d, want 0 and nothing on stderr\n%s", r.Status, r)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return parseStats(t, string(b)), r.Stdout
}

// TestStats: --stats=FILE reports the served calls, which --strace of the
// same run confirms one by one, and dirfs's host calls per operation.
func TestStats(t *testing.T) {
	root := needRootfs(t, "busybox")
	trace := filepath.Join(t.TempDir(), "trace.txt")
	st, _ := runStats(t, root, "ls -l / >/dev/null", "--strace="+trace)
	b, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"openat", "newfstatat", "getdents64"} {
		got := st.calls[name][0]
		want := uint64(strings.Count(string(b), "] "+name+"("))
		if got == 0 || got != want {
			t.Errorf("%s: %d served, --strace shows %d", name, got, want)
		}
	}
	// Every close is answered CONTINUE (the host runs it).
	if c := st.calls["close"]; c[0] == 0 || c[2] != c[0] {
		t.Errorf("close: %d served, %d continued; want all of them continued", c[0], c[2])
	}
	// A served getdents64 of a dirfs directory is one host call of the
	// sentry's; a lookup is an openat2 and an fstat of dirfs's.
	dirfs := ""
	for _, sec := range strings.Split(st.text, "\n\n") {
		if strings.HasPrefix(sec, "dirfs host calls by vnode operation:") {
			dirfs = sec
		}
	}
	lookup := ""
	for _, l := range strings.Split(dirfs, "\n") {
		if f := strings.Fields(l); len(f) > 0 && f[0] == "lookup" {
			lookup = l
		}
	}
	if f := strings.Fields(lookup); len(f) < 6 || atou(t, f[1]) == 0 || !strings.HasPrefix(f[4], "openat2=") {
		t.Errorf("dirfs lookups: %q, want a count and openat2 host calls", lookup)
	}
	if st.counters["ptrace stops"]["exec event"] == 0 {
		t.Errorf("no exec event among the ptrace stops: %v", st.counters["ptrace stops"])
	}
	if t.Failed() {
		t.Logf("report:\n%s", st.text)
	}
}

// TestStatsNameCache: a second listing of the same directory in one run
// is served from the name cache: as many more hits as it has names, and
// no more lookups.
func TestStatsNameCache(t *testing.T) {
	root := needRootfs(t, "busybox")
	once, out := runStats(t, root, "ls -la /")
	twice, _ := runStats(t, root, "ls -la / >/dev/null; ls -la / >/dev/null")
	names := uint64(strings.Count(out, "\n") - 1) // less "total N"
	nc1, nc2 := once.counters["name cache"], twice.counters["name cache"]
	if nc1["hits"] == 0 {
		t.Errorf("no cache hits: %v", nc1)
	}
	if hits := nc2["hits"] - nc1["hits"]; hits < names {
		t.Errorf("second ls of %d names: %d more hits, want at least %d", names, hits, names)
	}
	if misses := nc2["misses (filesystem Lookup)"] - nc1["misses (filesystem Lookup)"]; misses > names/2 {
		t.Errorf("second ls of %d names: %d more misses, want few", names, misses)
	}
	if t.Failed() {
		t.Logf("once:\n%s\ntwice:\n%s", once.text, twice.text)
	}
}

// TestStatsOff: without --stats nothing is reported; --stats alone
// reports on stderr and leaves the program's output alone.
func TestStatsOff(t *testing.T) {
	root := needRootfs(t, "busybox")
	off := runGuest(t, root, []string{"/bin/sh", "-c", "echo hi; ls / >/dev/null"}, "")
	if off.Status != 0 || off.Stdout != "hi\n" || off.Stderr != "" {
		t.Errorf("without --stats: status %d, stdout %q, stderr %q; want 0, hi, nothing", off.Status, off.Stdout, off.Stderr)
	}
	on := runGuestFlags(t, root, []string{"--stats"}, []string{"/bin/sh", "-c", "echo hi; ls / >/dev/null"}, "")
	if on.Status != 0 || on.Stdout != "hi\n" {
		t.Errorf("--stats: status %d, stdout %q; want 0, hi", on.Status, on.Stdout)
	}
	st := parseStats(t, on.Stderr)
	if st.calls["getdents64"][0] == 0 {
		t.Errorf("--stats on stderr: no getdents64 served\n%s", on.Stderr)
	}
}
