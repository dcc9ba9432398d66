// Command bench times workloads natively (chrooted into a Debian rootfs) and
// under `vkernel run --root` on the same rootfs, and prints a table of medians:
//
//	go run ./bench -bin bin/vkernel -rootfs /var/tmp/vkernel-rootfs/bookworm [-n 5] [-run REGEXP]
//
// (make bench). Each workload runs once untimed on each side to warm caches, then
// n times on each side, alternating. Both sides run with the same fixed
// environment; native runs chroot directly (no mount namespace), so they rely on
// the device nodes debootstrap puts in the rootfs' /dev. Needs root.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"vkernel/tests/harness"
)

type workload struct {
	name string
	argv []string
}

var workloads = []workload{
	{"true", []string{"/bin/true"}},
	{"fork-exec-200", []string{"/bin/sh", "-c", "for i in $(seq 200); do /bin/true; done"}},
	{"find-usr", []string{"/bin/sh", "-c", "find /usr -type f > /dev/null"}},
	{"ls-lR-usr", []string{"/bin/sh", "-c", "ls -lR /usr > /dev/null"}},
	// Through cat: GNU tar skips reading file data when its archive is /dev/null.
	{"tar-usr-share", []string{"/bin/sh", "-c", "tar cf - /usr/share | cat > /dev/null"}},
	{"cat-256MiB", []string{"/bin/sh", "-c", "cat " + bigFile + " > /dev/null"}},
	{"dd-bs1-100k", []string{"/bin/sh", "-c", "dd if=/dev/zero of=/dev/null bs=1 count=100000 2>/dev/null"}},
}

// bigFile is made once in the rootfs, natively, for cat-256MiB.
const (
	bigFile = "/var/tmp/vkernel-bench-256MiB"
	bigSize = 256 << 20
)

func main() {
	var (
		bin     = flag.String("bin", os.Getenv("VKERNEL_BIN"), "the vkernel binary")
		rootfs  = flag.String("rootfs", filepath.Join(harness.DefaultRootfsCache, "bookworm"), "the Debian rootfs to run in")
		n       = flag.Int("n", 5, "timed runs per workload and side")
		run     = flag.String("run", "", "only workloads whose name matches this regexp")
		timeout = flag.Duration("timeout", 5*time.Minute, "limit for one run")
	)
	flag.Parse()
	if err := check(*bin, *rootfs, *n); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	re, err := regexp.Compile(*run)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: -run:", err)
		os.Exit(2)
	}
	if err := makeBigFile(*rootfs); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}

	fmt.Printf("rootfs %s, %d runs each, medians\n", *rootfs, *n)
	tw := tabwriter.NewWriter(os.Stdout, 0, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\tnative\tvkernel\tratio\t")
	// Why workloads failed, printed after the table.
	var failures []string
	for _, w := range workloads {
		if !re.MatchString(w.name) {
			continue
		}
		native, nerr := measure(*n, w.argv, *timeout, func(s harness.Spec) *harness.Result {
			return runChroot(*rootfs, s)
		})
		guest, gerr := measure(*n, w.argv, *timeout, func(s harness.Spec) *harness.Result {
			return harness.RunGuest(*bin, *rootfs, s)
		})
		ratio := "-"
		if nerr == nil && gerr == nil && native > 0 {
			ratio = fmt.Sprintf("%.1fx", float64(guest)/float64(native))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", w.name, cell(native, nerr), cell(guest, gerr), ratio)
		if nerr != nil {
			failures = append(failures, fmt.Sprintf("bench: %s: native: %v", w.name, nerr))
		}
		if gerr != nil {
			failures = append(failures, fmt.Sprintf("bench: %s: vkernel: %v", w.name, gerr))
		}
	}
	tw.Flush()
	for _, f := range failures {
		fmt.Fprintln(os.Stderr, f)
	}
	if len(failures) > 0 {
		os.Exit(1)
	}
}

func check(bin, rootfs string, n int) error {
	if n < 1 {
		return fmt.Errorf("-n %d: want at least 1", n)
	}
	if bin == "" {
		return fmt.Errorf("no vkernel binary: give -bin or set VKERNEL_BIN")
	}
	if _, err := os.Stat(bin); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(rootfs, "bin/sh")); err != nil {
		return fmt.Errorf("rootfs %s: %v (run scripts/build-rootfs.sh)", rootfs, err)
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("native runs chroot: run as root")
	}
	return nil
}

func cell(d time.Duration, err error) string {
	if err != nil {
		return "error"
	}
	return d.Round(10 * time.Microsecond).String()
}

// measure runs argv once to warm up, then n times, and returns the median.
func measure(n int, argv []string, timeout time.Duration, run func(harness.Spec) *harness.Result) (time.Duration, error) {
	var ds []time.Duration
	for i := 0; i <= n; i++ {
		r := run(harness.Spec{Argv: argv, Timeout: timeout})
		if r.Err != nil || r.Status != 0 {
			return 0, fmt.Errorf("%q: status %d, %v: %s", argv, r.Status, r.Err, firstLine(r.Stderr))
		}
		if i > 0 {
			ds = append(ds, r.Duration)
		}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	if n%2 == 1 {
		return ds[n/2], nil
	}
	return (ds[n/2-1] + ds[n/2]) / 2, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// runChroot runs s.Argv chrooted into rootfs, straight from this process: no
// shell or namespace in between, so the native figure is the program's own.
func runChroot(rootfs string, s harness.Spec) *harness.Result {
	c := exec.Command(s.Argv[0], s.Argv[1:]...)
	c.Path = s.Argv[0] // resolved in the chroot by the kernel, not on the host
	c.Err = nil
	c.Env = harness.GuestEnv
	c.Dir = "/"
	var stderr strings.Builder
	c.Stderr = &stderr
	c.SysProcAttr = &syscall.SysProcAttr{Chroot: rootfs}
	r := &harness.Result{Status: -1}
	start := time.Now()
	if err := c.Start(); err != nil {
		r.Err = err
		return r
	}
	timer := time.AfterFunc(s.Timeout, func() { c.Process.Kill() })
	err := c.Wait()
	timer.Stop()
	r.Duration = time.Since(start)
	r.Stderr = stderr.String()
	if c.ProcessState != nil {
		r.Status = c.ProcessState.ExitCode()
	}
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		r.Err = err
	}
	return r
}

// makeBigFile creates the cat workload's file in the rootfs, natively, once.
func makeBigFile(rootfs string) error {
	host := filepath.Join(rootfs, bigFile)
	if fi, err := os.Stat(host); err == nil && fi.Size() == bigSize {
		return nil
	}
	fmt.Printf("creating %s (%d MiB)\n", host, bigSize>>20)
	r := runChroot(rootfs, harness.Spec{
		Argv:    []string{"/bin/dd", "if=/dev/zero", "of=" + bigFile, "bs=1M", fmt.Sprint("count=", bigSize>>20)},
		Timeout: 5 * time.Minute,
	})
	if r.Err != nil || r.Status != 0 {
		os.Remove(host)
		return fmt.Errorf("dd: status %d, %v: %s", r.Status, r.Err, r.Stderr)
	}
	return nil
}
