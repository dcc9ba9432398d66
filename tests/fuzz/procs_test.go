package fuzz

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// becomeSubreaper makes the test process the reaper of whatever vkernel
// leaves behind: an orphan of its tree is reparented here, not to the
// host's init, so strays shows it.
func becomeSubreaper() error {
	return unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
}

// strays returns the host processes left after vkernel exited: children
// of the test process (orphans reparented to it) and any process running
// a program under the fixture directory, but not those already dead
// (zombies). It kills and reaps them.
func strays(base string) []string {
	var out []string
	time.Sleep(300 * time.Millisecond) // the kernel finishes the kills
	self := strconv.Itoa(os.Getpid())
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		pid, _ := strconv.Atoi(filepath.Base(d))
		if pid == os.Getpid() {
			continue
		}
		stat, err := os.ReadFile(d + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses.
		rest := string(stat[strings.LastIndexByte(string(stat), ')')+1:])
		f := strings.Fields(rest)
		exe, _ := os.Readlink(d + "/exe")
		if len(f) > 1 && f[0] == "Z" && f[1] == self {
			continue // an orphan that has exited, reaped below
		}
		if len(f) > 1 && (f[1] == self || strings.HasPrefix(exe, base+"/")) {
			out = append(out, fmt.Sprintf("pid %d ppid %s exe %s: %s", pid, f[1], exe, strings.TrimSpace(string(stat))))
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	// Reap what was reparented here.
	for {
		var ws syscall.WaitStatus
		if pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil); pid <= 0 || err != nil {
			break
		}
	}
	return out
}
