// Command bench times workloads natively (chrooted into a Debian rootfs),
// under `vkernel run --root` on the same rootfs, and under vkernel's peers on
// it (PRoot, bubblewrap, gVisor's runsc when on PATH), and prints a table of
// medians and ratios to native:
//
//	go run ./bench -bin bin/vkernel -rootfs /var/tmp/vkernel-rootfs/bench \
//		[-n 5] [-run REGEXP] [-sides native,vkernel,proot,bwrap,runsc]
//
// (make bench; make bench-deps installs the peers and builds the rootfs). A
// figure is the wall-clock time of the host process, from its start to its
// exit, sandbox start included. Each workload runs once untimed on each side
// to warm caches, then n times on each side, the sides taking turns in an
// order that rotates run by run. The data some workloads need (a git
// repository, a C program, ...) is made once in the rootfs, natively. Every
// side runs with the same fixed environment. Needs root.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"vkernel/tests/harness"
)

func main() {
	var (
		bin       = flag.String("bin", os.Getenv("VKERNEL_BIN"), "the vkernel binary")
		rootfs    = flag.String("rootfs", filepath.Join(harness.DefaultRootfsCache, "bench"), "the Debian rootfs to run in")
		n         = flag.Int("n", 5, "timed runs per workload and side")
		run       = flag.String("run", "", "only workloads whose name matches this regexp")
		sideNames = flag.String("sides", strings.Join(allSides, ","), "the sides to run, in the table's order (runsc is skipped when not on PATH)")
		timeout   = flag.Duration("timeout", 5*time.Minute, "limit for one run")
	)
	flag.Parse()
	re, err := regexp.Compile(*run)
	if err != nil {
		fatal(2, "-run: %v", err)
	}
	sides, notes, err := pickSides(*sideNames, *bin)
	if err != nil {
		fatal(2, "%v", err)
	}
	if err := check(*rootfs, *n); err != nil {
		fatal(2, "%v", err)
	}

	start := time.Now()
	fmt.Printf("rootfs %s, %d runs each after one warm-up, medians; load average %s\n", *rootfs, *n, loadavg())
	if err := native(*rootfs, "/bin/mkdir", "-p", benchDir); err != nil {
		fatal(1, "%v", err)
	}
	for _, s := range sides {
		if s.name == "native" {
			continue
		}
		if err := checkStat(s, *rootfs); err != nil {
			s.unsound = true
			notes = append(notes, "warning: "+err.Error())
		}
	}
	for _, note := range notes {
		fmt.Println(note)
	}
	header(os.Stdout, sides)
	// Why workloads failed, printed after the table; bench fails when one
	// did, except on a side that was warned about.
	var failures []string
	failed := false
	for _, w := range workloads {
		if !re.MatchString(w.name) {
			continue
		}
		if w.fixture != nil {
			if err := w.fixture.ensure(*rootfs); err != nil {
				failures = append(failures, fmt.Sprintf("bench: %s: %v", w.name, err))
				failed = true
				continue
			}
		}
		rs := measure(w, sides, *rootfs, *n, *timeout)
		row(os.Stdout, w.name, sides, rs)
		for i, r := range rs {
			if r.err == nil {
				continue
			}
			f := fmt.Sprintf("bench: %s: %s: %v", w.name, sides[i].name, r.err)
			if sides[i].unsound {
				f += " (see the warning)"
			} else {
				failed = true
			}
			failures = append(failures, f)
		}
	}
	fmt.Printf("took %v; load average %s\n", time.Since(start).Round(time.Second), loadavg())
	for _, f := range failures {
		fmt.Fprintln(os.Stderr, f)
	}
	if failed {
		os.Exit(1)
	}
}

func fatal(status int, format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
	os.Exit(status)
}

// pickSides makes the sides named in the comma-separated list names. An
// optional side that is not installed is left out with a note.
func pickSides(names, bin string) (sides []*side, notes []string, err error) {
	for _, name := range strings.Split(names, ",") {
		if name == "vkernel" {
			if bin, err = checkBin(bin); err != nil {
				return nil, nil, err
			}
		}
		s, err := newSide(name, bin)
		if err != nil {
			if optional[name] {
				notes = append(notes, "skipping "+err.Error())
				continue
			}
			return nil, nil, err
		}
		sides = append(sides, s)
	}
	if len(sides) == 0 {
		return nil, nil, fmt.Errorf("-sides %q: no side to run", names)
	}
	return sides, notes, nil
}

// checkBin returns the vkernel binary's absolute path (the sides run in /).
func checkBin(bin string) (string, error) {
	if bin == "" {
		return "", fmt.Errorf("no vkernel binary: give -bin or set VKERNEL_BIN")
	}
	if _, err := os.Stat(bin); err != nil {
		return "", err
	}
	return filepath.Abs(bin)
}

func check(rootfs string, n int) error {
	if n < 1 {
		return fmt.Errorf("-n %d: want at least 1", n)
	}
	if _, err := os.Stat(filepath.Join(rootfs, "bin/sh")); err != nil {
		return fmt.Errorf("rootfs %s: %v (make bench-deps builds it)", rootfs, err)
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("native runs chroot: run as root")
	}
	return nil
}

// measure runs w once untimed on each side, then n timed times, and returns
// each side's median. The order of the sides rotates from one run to the
// next, so that no side always follows the same one. A side that fails is
// not run again.
func measure(w workload, sides []*side, rootfs string, n int, timeout time.Duration) []result {
	rs := make([]result, len(sides))
	times := make([][]time.Duration, len(sides))
	for i := 0; i <= n; i++ {
		for k := range sides {
			j := (i + k) % len(sides)
			if rs[j].err != nil {
				continue
			}
			if w.prep != nil {
				if err := native(rootfs, w.prep...); err != nil {
					rs[j].err = fmt.Errorf("prep: %v", err)
					continue
				}
			}
			d, err := timeRun(sides[j].command(rootfs, w.argv), timeout)
			if err != nil {
				rs[j].err = err
				continue
			}
			if i > 0 {
				times[j] = append(times[j], d)
			}
		}
	}
	for j := range rs {
		if rs[j].err == nil {
			rs[j].median = median(times[j])
		}
	}
	return rs
}

// loadavg is the host's 1, 5 and 15 minute load averages.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
