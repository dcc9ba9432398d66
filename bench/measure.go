package main

import (
	"errors"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"time"
)

// timeRun runs c to its end and returns the wall-clock time from its start
// to its exit, as a user at the host sees it. Its stdout goes to /dev/null; a
// failure carries the first line of its stderr. After timeout the process
// group is killed.
func timeRun(c *exec.Cmd, timeout time.Duration) (time.Duration, error) {
	var stderr strings.Builder
	c.Stderr = &stderr
	if c.SysProcAttr == nil {
		c.SysProcAttr = &syscall.SysProcAttr{}
	}
	c.SysProcAttr.Setpgid = true
	start := time.Now()
	if err := c.Start(); err != nil {
		return 0, err
	}
	timer := time.AfterFunc(timeout, func() { syscall.Kill(-c.Process.Pid, syscall.SIGKILL) })
	err := c.Wait()
	d := time.Since(start)
	timer.Stop()
	// Whatever the command left behind in its group goes with it.
	syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%s: %s", ee.ProcessState, firstLine(stderr.String()))
		}
		return 0, fmt.Errorf("%q: %v", c.Args, err)
	}
	return d, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// median of ds, which it sorts.
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	n := len(ds)
	if n%2 == 1 {
		return ds[n/2]
	}
	return (ds[n/2-1] + ds[n/2]) / 2
}
