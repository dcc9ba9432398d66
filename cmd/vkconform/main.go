// Command vkconform runs CPython's own test suite (Debian's
// libpython3.11-testsuite) twice on the same root filesystem — natively,
// chrooted into the tree, and in a vkernel guest booted from it with dirfs —
// and compares the outcome of every test.
//
//	vkconform [-modules "test_os test_stat"] [-user 1000:1000] [-parallel 1]
//
// For each module it runs `python3 -m test -j1 -v MODULE` on both sides with
// TMPDIR on the tree itself (/var/tmp/conf/...; dirfs in the guest), parses the
// per-test outcomes from the verbose output, and prints, side by side, each
// module's pass/fail/skip counts, then every test whose outcome differs
// (pass, fail, skip or absent), each with the reason docs/conformance.md gives
// for it. Exit status: 0 when every difference is listed there, 1 when some is
// not, 2 when a side could not be run. Logs and parsed results are kept in
// -logdir. Needs root (chroot). See docs/conformance.md.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"vkernel/tests/harness"
)

// DefaultModules are the file-system-heavy modules the conformance goal names.
var DefaultModules = []string{
	"test_os", "test_posix", "test_shutil", "test_pathlib", "test_tempfile",
	"test_glob", "test_stat", "test_fcntl", "test_fileio", "test_file",
	"test_genericpath", "test_posixpath", "test_mmap", "test_tarfile",
	"test_zipfile", "test_subprocess", "test_filecmp", "test_fileinput",
	"test_compileall",
}

type config struct {
	bin, rootfs, user, logdir, known string
	modules                          []string
	parallel                         int
	timeout                          time.Duration
	reuseNative, markdown, verbose   bool
	vkflags, pyargs                  []string
	sides                            string
}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, " ") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// Run is one side's run of one module.
type Run struct {
	Module   string
	Side     string // "native" or "guest"
	Mode     string // "root" or "user"
	Status   int
	TimedOut bool
	Err      string
	Duration time.Duration
	Parsed   Parsed
	Log      string
}

func main() {
	var c config
	var mods string
	var vkflags, pyargs listFlag
	cache := os.Getenv("VKERNEL_ROOTFS")
	if cache == "" {
		cache = harness.DefaultRootfsCache
	}
	bin := os.Getenv("VKERNEL_BIN")
	if bin == "" {
		bin = "bin/vkernel"
	}
	flag.StringVar(&c.bin, "bin", bin, "the vkernel binary ($VKERNEL_BIN)")
	flag.StringVar(&c.rootfs, "rootfs", filepath.Join(cache, "python"), "the python tree (scripts/build-rootfs.sh --python)")
	flag.StringVar(&mods, "modules", "", "test modules, space- or comma-separated (default: the 19 of docs/conformance.md)")
	flag.StringVar(&c.user, "user", "", "run as UID:GID (natively with setpriv, in the guest with vkernel run --user); default root")
	flag.IntVar(&c.parallel, "parallel", 1, "runs at a time (each module's two sides count as two)")
	flag.DurationVar(&c.timeout, "timeout", 30*time.Minute, "limit for one side of one module")
	flag.StringVar(&c.logdir, "logdir", "/var/tmp/vkconform", "where the logs and parsed results go (LOGDIR/MODE/MODULE.SIDE.{log,json})")
	flag.StringVar(&c.known, "known", "docs/conformance.md", "the list of known differences")
	flag.BoolVar(&c.reuseNative, "reuse-native", false, "take native results from -logdir when present instead of running them")
	flag.StringVar(&c.sides, "sides", "both", "both, or native or guest only (the other is read from -logdir)")
	flag.BoolVar(&c.markdown, "markdown", false, "print the table as markdown")
	flag.BoolVar(&c.verbose, "v", false, "also list differences docs/conformance.md explains, with their reasons")
	flag.Var(&vkflags, "vkflag", "extra flag for vkernel run, e.g. -vkflag=--strace=/tmp/t (repeatable)")
	flag.Var(&pyargs, "pyarg", "extra argument for python3 -m test, e.g. -pyarg=-m -pyarg=test_chown (repeatable)")
	flag.Parse()
	c.vkflags, c.pyargs = vkflags, pyargs
	c.modules = DefaultModules
	if mods != "" {
		c.modules = strings.FieldsFunc(mods, func(r rune) bool { return r == ' ' || r == ',' || r == '\n' || r == '\t' })
	}
	os.Exit(run(c))
}

func mode(c config) string {
	if c.user == "" {
		return "root"
	}
	return "user"
}

func run(c config) int {
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "vkconform: needs root (native runs chroot)")
		return 2
	}
	if _, err := os.Stat(filepath.Join(c.rootfs, "usr/lib/python3.11/test/regrtest.py")); err != nil {
		fmt.Fprintf(os.Stderr, "vkconform: %s has no CPython test suite (scripts/build-rootfs.sh --python): %v\n", c.rootfs, err)
		return 2
	}
	abs, err := filepath.Abs(c.bin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vkconform:", err)
		return 2
	}
	c.bin = abs
	known, err := LoadKnown(c.known)
	if err != nil {
		fmt.Fprintf(os.Stderr, "vkconform: %v (no known differences)\n", err)
	}
	m := mode(c)
	dir := filepath.Join(c.logdir, m)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "vkconform:", err)
		return 2
	}

	type job struct{ module, side string }
	var jobs []job
	results := map[string]*Run{}
	var mu sync.Mutex
	for _, mod := range c.modules {
		for _, side := range []string{"native", "guest"} {
			reuse := (side == "native" && c.reuseNative) || (c.sides != "both" && c.sides != side)
			if reuse {
				if r, err := load(dir, mod, side); err == nil {
					results[mod+"."+side] = r
					continue
				} else if c.sides != "both" && c.sides != side {
					fmt.Fprintf(os.Stderr, "vkconform: %s %s: no saved result: %v\n", mod, side, err)
					continue
				}
			}
			jobs = append(jobs, job{mod, side})
		}
	}
	ch := make(chan job)
	var wg sync.WaitGroup
	for i := 0; i < max(c.parallel, 1); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range ch {
				fmt.Fprintf(os.Stderr, "vkconform: %s %s %s ...\n", m, j.module, j.side)
				r := runOne(c, dir, j.module, j.side)
				c := r.Parsed.Counts()
				fmt.Fprintf(os.Stderr, "vkconform: %s %s %s: %d/%d/%d pass/fail/skip, status %d, %s, %.1fs\n",
					m, j.module, j.side, c.Pass, c.Fail, c.Skip, r.Status, orDash(r.Parsed.Summary), r.Duration.Seconds())
				mu.Lock()
				results[j.module+"."+j.side] = r
				mu.Unlock()
			}
		}()
	}
	for _, j := range jobs {
		ch <- j
	}
	close(ch)
	wg.Wait()
	return report(c, m, results, known)
}

func orDash(s string) string {
	if s == "" {
		return "no verdict"
	}
	return s
}

func load(dir, mod, side string) (*Run, error) {
	b, err := os.ReadFile(filepath.Join(dir, mod+"."+side+".json"))
	if err != nil {
		return nil, err
	}
	var r Run
	return &r, json.Unmarshal(b, &r)
}

// nativeWrapper: $1 the tree, $2 the user spec ("" for root), then argv; a
// private mount namespace with the host's /proc and /dev, as tests/harness does.
const nativeWrapper = `set -e
r=$1; u=$2; shift 2
mount -t proc proc "$r/proc"
mount --rbind /dev "$r/dev"
if [ -z "$u" ]; then exec chroot "$r" "$@"; fi
exec chroot "$r" setpriv --reuid "${u%%:*}" --regid "${u##*:}" --init-groups "$@"`

func runOne(c config, dir, mod, side string) *Run {
	m := mode(c)
	// Per module (parallel runs must not share it) and of the same length on
	// both sides (AF_UNIX paths in it are limited to 108 bytes).
	tmpGuest := "/var/tmp/conf/" + m + "." + side[:1] + "." + mod
	tmpHost := filepath.Join(c.rootfs, tmpGuest)
	r := &Run{Module: mod, Side: side, Mode: m}
	if err := freshDir(tmpHost, c.user); err != nil {
		r.Err, r.Status = err.Error(), -1
		return r
	}
	home := "/root"
	if c.user != "" {
		home = "/home/vkuser"
	}
	env := []string{"PATH=" + harness.GuestPATH, "HOME=" + home, "LANG=C", "TMPDIR=" + tmpGuest}
	argv := append([]string{"python3", "-m", "test", "-j1", "-v"}, c.pyargs...)
	argv = append(argv, mod)
	var cmd []string
	var cmdEnv []string
	if side == "native" {
		cmd = append([]string{"unshare", "--mount", "--propagation", "private", "--",
			"/bin/sh", "-c", nativeWrapper, "sh", c.rootfs, c.user}, argv...)
		cmdEnv = env
	} else {
		cmd = []string{c.bin, "run", "--root", c.rootfs, "--clear-env"}
		for _, e := range env {
			cmd = append(cmd, "--env", e)
		}
		if c.user != "" {
			cmd = append(cmd, "--user", c.user)
		}
		cmd = append(cmd, c.vkflags...)
		cmd = append(cmd, "--")
		cmd = append(cmd, argv...)
		cmdEnv = os.Environ()
	}
	res := harness.Run(cmd, cmdEnv, harness.Spec{Timeout: c.timeout})
	r.Status, r.TimedOut, r.Duration = res.Status, res.TimedOut, res.Duration
	if res.Err != nil {
		r.Err = res.Err.Error()
	}
	out := res.Stdout + "\n--- stderr\n" + res.Stderr
	r.Parsed = Parse(res.Stdout + "\n" + res.Stderr)
	r.Log = filepath.Join(dir, mod+"."+side+".log")
	_ = os.WriteFile(r.Log, []byte("# "+strings.Join(cmd, " ")+"\n"+out), 0o644)
	if b, err := json.MarshalIndent(r, "", " "); err == nil {
		_ = os.WriteFile(filepath.Join(dir, mod+"."+side+".json"), b, 0o644)
	}
	_ = os.RemoveAll(tmpHost)
	return r
}

// freshDir makes an empty dir owned by user ("UID:GID", "" for root).
func freshDir(dir, user string) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if user != "" {
		return exec.Command("chown", user, dir).Run()
	}
	return nil
}

// Diff is one test whose outcome differs between the sides.
type Diff struct {
	ID            string
	Native, Guest Outcome
	Known         *Known
}

func compare(n, g *Run) []Diff {
	no, gov := map[string]Outcome{}, map[string]Outcome{}
	var ids []string
	seen := map[string]bool{}
	for _, side := range []struct {
		r *Run
		m map[string]Outcome
	}{{n, no}, {g, gov}} {
		if side.r == nil {
			continue
		}
		for _, t := range side.r.Parsed.Results {
			side.m[t.ID] = t.Outcome
			if !seen[t.ID] {
				seen[t.ID] = true
				ids = append(ids, t.ID)
			}
		}
	}
	var ds []Diff
	for _, id := range ids {
		a, ok := no[id]
		if !ok {
			a = NotPresent
		}
		b, ok := gov[id]
		if !ok {
			b = NotPresent
		}
		if a.Class() != b.Class() {
			ds = append(ds, Diff{ID: id, Native: a, Guest: b})
		}
	}
	return ds
}

func report(c config, m string, results map[string]*Run, known []*Known) int {
	type row struct {
		mod         string
		n, g        *Run
		diffs       []Diff
		unexplained int
	}
	var rows []row
	rc := 0
	for _, mod := range c.modules {
		r := row{mod: mod, n: results[mod+".native"], g: results[mod+".guest"]}
		if r.n == nil || r.g == nil || r.n.Err != "" && !r.n.TimedOut || r.g.Err != "" && !r.g.TimedOut {
			rc = 2
		}
		r.diffs = compare(r.n, r.g)
		for i := range r.diffs {
			r.diffs[i].Known = Match(known, r.diffs[i].ID, m)
			if r.diffs[i].Known == nil {
				r.unexplained++
			} else {
				r.diffs[i].Known.used = true
			}
		}
		if r.unexplained > 0 && rc == 0 {
			rc = 1
		}
		rows = append(rows, r)
	}
	counts := func(r *Run) string {
		if r == nil {
			return "not run"
		}
		k := r.Parsed.Counts()
		s := fmt.Sprintf("%d/%d/%d", k.Pass, k.Fail, k.Skip)
		if r.TimedOut {
			s += " TIMEOUT"
		} else if r.Parsed.Summary == "" {
			s += fmt.Sprintf(" (exit %d, no verdict)", r.Status)
		}
		return s
	}
	secs := func(r *Run) string {
		if r == nil {
			return "-"
		}
		return fmt.Sprintf("%.1fs", r.Duration.Seconds())
	}
	var tn, tg time.Duration
	fmt.Printf("\nconformance (%s): python3 -m test -j1 -v MODULE, native (chroot) vs guest (vkernel run --root %s)\n", m, c.rootfs)
	if c.markdown {
		fmt.Println("\n| module | native pass/fail/skip | guest pass/fail/skip | native time | guest time | differences (unlisted) |")
		fmt.Println("| --- | --- | --- | --- | --- | --- |")
	} else {
		fmt.Printf("%-18s %-24s %-24s %9s %9s  %s\n", "module", "native pass/fail/skip", "guest pass/fail/skip", "native", "guest", "differences (unlisted)")
	}
	for _, r := range rows {
		d := fmt.Sprintf("%d (%d)", len(r.diffs), r.unexplained)
		if r.n != nil {
			tn += r.n.Duration
		}
		if r.g != nil {
			tg += r.g.Duration
		}
		if c.markdown {
			fmt.Printf("| %s | %s | %s | %s | %s | %s |\n", r.mod, counts(r.n), counts(r.g), secs(r.n), secs(r.g), d)
		} else {
			fmt.Printf("%-18s %-24s %-24s %9s %9s  %s\n", r.mod, counts(r.n), counts(r.g), secs(r.n), secs(r.g), d)
		}
	}
	fmt.Printf("total time: native %.0fs, guest %.0fs\n", tn.Seconds(), tg.Seconds())
	first := true
	for _, r := range rows {
		for _, d := range r.diffs {
			if d.Known != nil && !c.verbose {
				continue
			}
			if first {
				fmt.Println("\ndifferences (native → guest):")
				first = false
			}
			why := "NOT LISTED in " + c.known
			if d.Known != nil {
				why = "listed: " + d.Known.Reason
			}
			fmt.Printf("  %s: %s → %s  [%s]\n", d.ID, d.Native, d.Guest, why)
		}
	}
	// Entries for modules that ran but no longer differ.
	ran := map[string]bool{}
	for _, r := range rows {
		ran["test."+r.mod+"."] = true
	}
	var stale []string
	for _, k := range known {
		if k.used || (k.Mode != "" && k.Mode != m) {
			continue
		}
		parts := strings.SplitN(k.ID, ".", 3)
		if len(parts) >= 2 && ran[parts[0]+"."+parts[1]+"."] {
			stale = append(stale, k.ID)
		}
	}
	sort.Strings(stale)
	if len(stale) > 0 {
		fmt.Printf("\nlisted in %s but no longer different (remove them?):\n", c.known)
		for _, s := range stale {
			fmt.Println("  " + s)
		}
	}
	switch rc {
	case 0:
		fmt.Println("\nconformance: OK (every difference is listed)")
	case 1:
		fmt.Println("\nconformance: FAIL (differences not listed in " + c.known + ")")
	default:
		fmt.Println("\nconformance: ERROR (a side could not be run; see " + filepath.Join(c.logdir, m) + ")")
	}
	return rc
}
