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
// (limit sets the bound once the guest's first processes are in it), or
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

// move puts process pid, every thread of it at once, into the cgroup.
// Writing cgroup.procs migrates the whole thread group under the lock
// that fork and clone take too, so no thread of pid is left outside, and
// every process or thread pid makes afterwards is born inside.
//
// A migration waits for an RCU grace period (the kernel's
// cgroup_threadgroup_rwsem is taken for writing: rcu_sync_enter), 8–20 ms
// on a loaded 2-vCPU VM; one that follows within about a grace period
// finds the lock's RCU state still fresh and costs ~0.1 ms.
func (c *pidsCgroup) move(pid int) error {
	if c == nil {
		return nil
	}
	return os.WriteFile(filepath.Join(c.dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0)
}

// limit bounds the cgroup's tasks to c.max, once the guest's first
// processes are in it and before either has let a guest program run.
func (c *pidsCgroup) limit() error {
	if c == nil {
		return nil
	}
	return os.WriteFile(filepath.Join(c.dir, "pids.max"), []byte(strconv.Itoa(c.max)), 0)
}

// remove deletes the cgroup once its processes are gone.
func (c *pidsCgroup) remove() {
	if c == nil {
		return
	}
	for i := 0; i < 50; i++ {
		if err := os.Remove(c.dir); err == nil || os.IsNotExist(err) {
			Mark("pids cgroup removed")
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
