package vkernel

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// DefaultPidsMax bounds the guest's processes and threads, so that a fork
// bomb meets EAGAIN instead of exhausting the host's pids.
const DefaultPidsMax = 8192

// MinPidsMax is the smallest bound on the guest's processes and threads
// vkernel runs with: its init and the stub are Go programs, whose
// runtimes start several threads each (about 7) and die when they cannot,
// and the program needs room to run.
const MinPidsMax = 32

// pidsCgroup is the pids cgroup the guest runs in, when vkernel may make
// one (cgroup v2's unified tree, or v1's pids hierarchy).
type pidsCgroup struct {
	dir string
	max int
}

// newPidsCgroup makes a pids cgroup for a bound of max, not limited yet
// (limit sets the bound once vkernel's own threads have left it), or
// returns nil when the host offers none (not root, no pids controller):
// the guest then runs without the bound.
func newPidsCgroup(max int) *pidsCgroup {
	if max <= 0 {
		return nil
	}
	name := "vkernel-" + strconv.Itoa(os.Getpid())
	for _, base := range []string{"/sys/fs/cgroup/pids", "/sys/fs/cgroup"} {
		if _, err := os.Stat(filepath.Join(base, "pids.max")); err != nil && base == "/sys/fs/cgroup" {
			// cgroup v2: the controller shows in the children's files only.
			if b, err := os.ReadFile(filepath.Join(base, "cgroup.subtree_control")); err != nil || !containsWord(string(b), "pids") {
				continue
			}
		} else if err != nil {
			if _, err := os.Stat(filepath.Join(base, "tasks")); err != nil {
				continue
			}
		}
		removeStaleCgroups(base)
		dir := filepath.Join(base, name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, "pids.max"), []byte("max"), 0); err != nil {
			os.Remove(dir)
			continue
		}
		return &pidsCgroup{dir: dir, max: max}
	}
	return nil
}

func containsWord(s, w string) bool {
	for _, f := range splitFields(s) {
		if f == w {
			return true
		}
	}
	return false
}

func splitFields(s string) []string {
	var out []string
	start := -1
	for i, r := range s + " " {
		if r == ' ' || r == '\n' || r == '\t' {
			if start >= 0 {
				out = append(out, s[start:i])
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	return out
}

// enter moves vkernel itself into the cgroup, so that the processes it
// starts are born there (no window in which the guest's first process
// could fork outside), and returns the function that moves it back.
func (c *pidsCgroup) enter() (leave func()) {
	if c == nil {
		return func() {}
	}
	home := filepath.Dir(c.dir)
	if rel := ownCgroup(filepath.Base(filepath.Dir(c.dir)) == "pids"); rel != "" {
		home = filepath.Join(filepath.Dir(c.dir), rel)
	}
	self := []byte(strconv.Itoa(os.Getpid()))
	if err := os.WriteFile(filepath.Join(c.dir, "cgroup.procs"), self, 0); err != nil {
		return func() {}
	}
	return func() { os.WriteFile(filepath.Join(home, "cgroup.procs"), self, 0) }
}

// limit bounds the cgroup's tasks to c.max. vkernel sets it once its
// own threads, which move in with it to start init (enter), are back out:
// the bound is the guest's alone. No guest program has run yet then.
func (c *pidsCgroup) limit() error {
	if c == nil {
		return nil
	}
	return os.WriteFile(filepath.Join(c.dir, "pids.max"), []byte(strconv.Itoa(c.max)), 0)
}

// ownCgroup returns vkernel's cgroup path in the pids hierarchy (v1) or
// the unified one (v2), from /proc/self/cgroup.
func ownCgroup(v1 bool) string {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return ""
	}
	for _, line := range splitLines(string(b)) {
		parts := splitN3(line)
		if len(parts) != 3 {
			continue
		}
		if (v1 && parts[1] == "pids") || (!v1 && parts[0] == "0" && parts[1] == "") {
			return parts[2]
		}
	}
	return ""
}

func splitLines(s string) []string {
	var out []string
	for len(s) > 0 {
		i := 0
		for i < len(s) && s[i] != '\n' {
			i++
		}
		out = append(out, s[:i])
		if i < len(s) {
			i++
		}
		s = s[i:]
	}
	return out
}

// splitN3 splits "a:b:c" (c may hold colons) into three.
func splitN3(s string) []string {
	var out []string
	for n := 0; n < 2; n++ {
		i := 0
		for i < len(s) && s[i] != ':' {
			i++
		}
		if i == len(s) {
			return nil
		}
		out = append(out, s[:i])
		s = s[i+1:]
	}
	return append(out, s)
}

// remove deletes the cgroup once its processes are gone.
func (c *pidsCgroup) remove() {
	if c == nil {
		return
	}
	for i := 0; i < 50; i++ {
		if err := os.Remove(c.dir); err == nil || os.IsNotExist(err) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Fprintf(os.Stderr, "vkernel: warning: could not remove cgroup %s\n", c.dir)
}

// removeStaleCgroups removes the cgroups of vkernels that died without
// removing theirs (killed with SIGKILL); a cgroup still in use refuses.
func removeStaleCgroups(base string) {
	dirs, _ := filepath.Glob(filepath.Join(base, "vkernel-*"))
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d)[len("vkernel-"):])
		if err != nil {
			continue
		}
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); os.IsNotExist(err) {
			os.Remove(d)
		}
	}
}
