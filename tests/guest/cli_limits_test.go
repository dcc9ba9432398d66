package guest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"vkernel/tests/harness"
)

// The command line's --pids-max and --tmpfs PATH[:OPTIONS]. Guest only.

// TestPidsMaxTooSmall: a bound below what vkernel needs for its init and
// the program is refused in one line that names the minimum, status 125,
// for run and boot alike; never a Go runtime's dump.
func TestPidsMaxTooSmall(t *testing.T) {
	bin := needBin(t)
	root := needRootfs(t, "busybox")
	for _, n := range []string{"1", "2", "5", "10", "31", "-1"} {
		for _, cmd := range [][]string{{"run", "--pids-max", n, "--", "/bin/true"}, {"boot", "--root", root, "--pids-max", n}} {
			t.Run(cmd[0]+n, func(t *testing.T) {
				r := harness.Run(append([]string{bin}, cmd...), os.Environ(), harness.Spec{})
				if r.Err != nil {
					t.Fatalf("%v\n%s", r.Err, r)
				}
				checkOneLineError(t, r)
				want := "vkernel: --pids-max " + n + ": vkernel needs at least 32 (0: no bound)\n"
				if r.Status != 125 || r.Stdout != "" || r.Stderr != want {
					t.Errorf("status %d, stderr %q; want 125 and %q\n%s", r.Status, r.Stderr, want, r)
				}
			})
		}
	}
}

// TestPidsMaxEnforced: at the minimum the guest runs and is bounded: a
// shell forking sleeps in the background meets EAGAIN (busybox sh exits
// 2 on it) before the guest's processes and threads pass the bound, and
// the guest's init and vkernel survive it: the rest of the script runs
// once the sleeps are killed.
func TestPidsMaxEnforced(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("a pids cgroup needs root")
	}
	root := needRootfs(t, "busybox")
	script := `sh -c 'i=0; while [ $i -lt 40 ]; do sleep 5 & i=$((i+1)); done' 2>/dev/null; echo "forks: $?"
set -- /proc/[0-9]*; [ $# -ge 10 ] && [ $# -lt 32 ] && echo bounded || echo "$# processes"
kill -9 -1; sleep 0.1; echo done`
	r := runGuestFlags(t, root, []string{"--pids-max", "32"}, []string{"/bin/sh", "-c", script}, "")
	if r.Stdout != "forks: 2\nbounded\ndone\n" || r.Status != 0 || r.Stderr != "" {
		t.Errorf("got\n%s\nwant forks: 2, bounded, done, status 0, nothing on stderr", r)
	}
}

// TestPidsMaxUnprivileged: a vkernel run as a user, which cannot make a
// pids cgroup, says once on stderr that --pids-max is not enforced, and
// runs the program; without --pids-max it says nothing of it.
func TestPidsMaxUnprivileged(t *testing.T) {
	bin := needBin(t)
	if os.Geteuid() != 0 {
		t.Skip("needs root to become another user")
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("no setpriv")
	}
	// The binary must be reachable by the user.
	dir := t.TempDir()
	os.Chmod(filepath.Dir(dir), 0o755)
	os.Chmod(dir, 0o755)
	exe := filepath.Join(dir, "vkernel")
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(exe, b, 0o755); err != nil {
		t.Fatal(err)
	}
	as := []string{setpriv, "--reuid", "65534", "--regid", "65534", "--clear-groups", exe, "run"}
	r := harness.Run(append(as, "--pids-max", "100", "--", "/bin/echo", "hi"), os.Environ(), harness.Spec{})
	warn := "vkernel: warning: --pids-max 100 is not enforced: no pids cgroup can be made (not root, or no pids controller)\n"
	if r.Err != nil || r.Status != 0 || r.Stdout != "hi\n" || strings.Count(r.Stderr, warn) != 1 || strings.Contains(strings.Replace(r.Stderr, warn, "", 1), "pids") {
		t.Errorf("got\n%s\nwant status 0, hi, and once on stderr %q", r, warn)
	}
	r = harness.Run(append(as, "--", "/bin/echo", "hi"), os.Environ(), harness.Spec{})
	if r.Err != nil || r.Status != 0 || r.Stdout != "hi\n" || strings.Contains(r.Stderr, "pids") {
		t.Errorf("without --pids-max, got\n%s\nwant status 0, hi, no word of pids", r)
	}
}

// TestTmpfsOptions: --tmpfs PATH:OPTIONS mounts a tmpfs at PATH with
// mount -t tmpfs's options (size, nr_inodes, mode, uid, gid), commas
// included; the default is mode 1777 and no limit.
func TestTmpfsOptions(t *testing.T) {
	root := needRootfs(t, "busybox")
	host, w := workDir(t, root, "tmpfs-options")
	script := `cd ` + w + `
for d in t1 t2 t3 t4; do stat -c "%n %a %u %g" $d; grep " $PWD/$d " /proc/mounts | sed "s|$PWD/||"; done
dd if=/dev/zero of=t1/f bs=4096 count=1000 2>/dev/null || echo "full at $(stat -c %s t1/f)"
touch t3/a t3/b 2>/dev/null || echo "no inode for b"`
	r := runGuestFlags(t, root, []string{"--tmpfs", w + "/t1:size=64k,mode=0750", "--tmpfs", w + "/t2:uid=5,gid=6",
		"--tmpfs", w + "/t3:nr_inodes=2", "--tmpfs", w + "/t4:"}, []string{"/bin/sh", "-c", script}, "")
	want := "t1 750 0 0\ntmpfs t1 tmpfs rw,nosuid,nodev,size=64k,mode=750 0 0\n" +
		"t2 1777 5 6\ntmpfs t2 tmpfs rw,nosuid,nodev,uid=5,gid=6 0 0\n" +
		"t3 1777 0 0\ntmpfs t3 tmpfs rw,nosuid,nodev,nr_inodes=2 0 0\n" +
		"t4 1777 0 0\ntmpfs t4 tmpfs rw,nosuid,nodev 0 0\n" +
		"full at " + strconv.Itoa(64<<10) + "\nno inode for b\n"
	if r.Stdout != want || r.Status != 0 {
		t.Errorf("got\n%s\nwant stdout:\n%s", r, want)
	}
	// The mount points are made by their paths, options apart.
	ents, _ := os.ReadDir(host)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if got := strings.Join(names, " "); got != "t1 t2 t3 t4" {
		t.Errorf("work dir holds %q, want the mount points t1 t2 t3 t4", got)
	}
}

// TestTmpfsBadOptions: an option --tmpfs does not take, or a bad value,
// is refused in one line, status 125, before the guest starts.
func TestTmpfsBadOptions(t *testing.T) {
	bin := needBin(t)
	for _, tc := range []struct{ arg, want string }{
		{"/x:size=8x", `vkernel: --tmpfs /x:size=8x: bad value in "size=8x"`},
		{"/x:mode=9", `vkernel: --tmpfs /x:mode=9: bad value in "mode=9"`},
		{"/x:uid=-1", `vkernel: --tmpfs /x:uid=-1: bad value in "uid=-1"`},
		{"/x:size", `vkernel: --tmpfs /x:size: bad option "size" (want size=, nr_blocks=, nr_inodes=, mode=, uid=, gid=VALUE)`},
		{"/x:huge=always", `vkernel: --tmpfs /x:huge=always: bad option "huge=always" (want size=, nr_blocks=, nr_inodes=, mode=, uid=, gid=VALUE)`},
		{"/x:size=1m,ro", `vkernel: --tmpfs /x:size=1m,ro: bad option "ro" (want size=, nr_blocks=, nr_inodes=, mode=, uid=, gid=VALUE)`},
		{"x:size=8m", `vkernel: --tmpfs "x:size=8m": not an absolute path`},
		{"/:size=8m", `vkernel: --tmpfs /:size=8m: cannot mount over the guest's root (the root is --root DIR)`},
	} {
		t.Run(tc.arg, func(t *testing.T) {
			r := harness.Run([]string{bin, "run", "--tmpfs", tc.arg, "--", "/bin/true"}, os.Environ(), harness.Spec{})
			if r.Err != nil {
				t.Fatalf("%v\n%s", r.Err, r)
			}
			checkOneLineError(t, r)
			if r.Status != 125 || r.Stdout != "" || r.Stderr != tc.want+"\n" {
				t.Errorf("status %d, stderr %q; want 125 and %q", r.Status, r.Stderr, tc.want)
			}
		})
	}
}
