package guest

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"vkernel/tests/harness"
)

// bootTree copies the busybox rootfs into a fresh directory and adds
// files (path relative to the tree → content; mode 0755 for scripts).
func bootTree(t *testing.T, files map[string]string) string {
	t.Helper()
	src := needRootfs(t, "busybox")
	dst := filepath.Join(t.TempDir(), "root")
	if err := harness.CopyRootfs(src, dst); err != nil {
		t.Fatal(err)
	}
	for p, content := range files {
		full := filepath.Join(dst, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		// The tree's symlinks are absolute (sbin/init -> /bin/busybox):
		// writing through one would write the host's file.
		if err := os.Remove(full); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// boot runs `vkernel boot` with args and returns its output and status.
func boot(t *testing.T, args ...string) (string, int) {
	t.Helper()
	bin := needBin(t)
	cmd := exec.Command(bin, append([]string{"boot"}, args...)...)
	done := make(chan struct{})
	go func() {
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			cmd.Process.Kill()
		}
	}()
	out, err := cmd.CombinedOutput()
	close(done)
	status := 0
	if ee, ok := err.(*exec.ExitError); ok {
		status = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("vkernel boot: %v", err)
	}
	return string(out), status
}

// TestBootBusybox boots a busybox userland whose inittab runs an rcS that
// mounts everything in fstab (proc, devfs, a sized tmpfs, and a dirfs
// share), then a job that writes through the dirfs mount and powers off:
// the host sees the file and vkernel exits 0.
func TestBootBusybox(t *testing.T) {
	share := t.TempDir()
	root := bootTree(t, map[string]string{
		"etc/inittab":    "::sysinit:/etc/init.d/rcS\n::once:/bin/sh /etc/job.sh\n::shutdown:/bin/umount -a -r\n",
		"etc/init.d/rcS": "#!/bin/sh\nmount -a && echo rcS-mounted\n",
		"etc/fstab": "proc /proc proc defaults 0 0\ndevfs /dev devfs defaults 0 0\n" +
			"tmpfs /tmp tmpfs size=1m,mode=1777 0 0\n" + share + " /data dirfs defaults 0 0\n",
		"etc/job.sh": "echo \"job pid $$ host $(hostname)\"\ngrep -c . /proc/mounts\n" +
			"echo written-in-guest > /data/out.txt\nstat -c %a /tmp\npoweroff\n",
		"data/.keep": "",
	})
	out, status := boot(t, "--root", root, "--share", share, "--hostname", "vk1")
	for _, want := range []string{"rcS-mounted", "job pid ", "host vk1", "1777"} {
		if !strings.Contains(out, want) {
			t.Errorf("console lacks %q:\n%s", want, out)
		}
	}
	if status != 0 {
		t.Errorf("vkernel boot exited %d after poweroff, want 0\n%s", status, out)
	}
	if b, err := os.ReadFile(filepath.Join(share, "out.txt")); err != nil || string(b) != "written-in-guest\n" {
		t.Errorf("host sees %q, %v; want the guest's write through dirfs", b, err)
	}
}

// TestBootInit: the guest's init is pid 1; --init picks it; its exit
// status is vkernel's; reboot under --no-reboot exits 3.
func TestBootInit(t *testing.T) {
	root := bootTree(t, map[string]string{
		"sbin/myinit":   "#!/bin/sh\necho \"pid $$\"\nexit 5\n",
		"sbin/rebooter": "#!/bin/sh\nreboot -f\nsleep 5\necho not-rebooted\n",
	})
	out, status := boot(t, "--root", root, "--init", "/sbin/myinit")
	if !strings.Contains(out, "pid 1") || status != 5 {
		t.Errorf("got %q status %d; want pid 1 and status 5", out, status)
	}
	out, status = boot(t, "--root", root, "--init", "/sbin/rebooter", "--no-reboot")
	if status != 3 || strings.Contains(out, "not-rebooted") {
		t.Errorf("reboot --no-reboot: got %q status %d; want status 3", out, status)
	}
	out, status = boot(t, "--root", root, "--init", "/nope")
	if status == 0 || strings.Count(strings.TrimSpace(out), "\n") > 0 {
		t.Errorf("missing init: got %q status %d; want one line and a failure", out, status)
	}
}

// TestBootInitFallback: as Linux, an init candidate that exists but cannot
// be executed is reported and the next one runs.
func TestBootInitFallback(t *testing.T) {
	root := bootTree(t, map[string]string{
		"sbin/init": "garbage, not a program\n",
		"etc/init":  "#!/bin/sh\necho \"etc-init pid $$\"\nexit 7\n",
	})
	out, status := boot(t, "--root", root)
	if !strings.Contains(out, "etc-init pid 1") || status != 7 || !strings.Contains(out, "/sbin/init exists but couldn't execute it") {
		t.Errorf("got %q status %d; want /sbin/init reported, /etc/init run as pid 1, status 7", out, status)
	}
}

// TestBootStop: SIGTERM to vkernel boot ends the machine at once (busybox
// init would take it as "reboot"): vkernel exits 143 and no guest process
// is left.
func TestBootStop(t *testing.T) {
	root := bootTree(t, map[string]string{
		"etc/inittab": "::once:/bin/sh -c 'echo booted; sleep 1000'\n",
	})
	cmd := exec.Command(needBin(t), "boot", "--root", root)
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	got := ""
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(got, "booted") && time.Now().Before(deadline) {
		n, err := out.Read(buf)
		got += string(buf[:n])
		if err != nil {
			break
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("vkernel boot still running 20 s after SIGTERM; console:\n%s", got)
	}
	if s := cmd.ProcessState.ExitCode(); s != 143 {
		t.Errorf("vkernel boot exited %d after SIGTERM, want 143; console:\n%s", s, got)
	}
	if b, _ := exec.Command("pgrep", "-f", "sleep 1000").Output(); len(b) > 0 {
		t.Errorf("guest processes left after SIGTERM: %s", b)
	}
}

// hostSleeps returns the host pids of `sleep ARG` processes (pgrep -x -f).
func hostSleeps(t *testing.T, arg string) []string {
	t.Helper()
	out, err := exec.Command("pgrep", "-x", "-f", "sleep "+arg).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 1 {
			return nil // none
		}
		t.Fatalf("pgrep: %v", err)
	}
	return strings.Fields(string(out))
}

// sleepArg is a sleep duration no other process on the host uses: the
// guest's processes are found by it on the host.
func sleepArg(k int) string {
	return fmt.Sprint(10000000 + 10*os.Getpid() + k)
}

// TestBootReboot: the guest's reboot boots it again (init runs anew, a
// file on a --mount counts the boots: reboot on the first, poweroff on the
// second); a name the guest set with hostname is its own (the host's
// stays) and the new boot starts from --hostname again; poweroff -f with
// a guest process left running ends vkernel with status 0 and that
// process gone.
func TestBootReboot(t *testing.T) {
	if _, err := exec.LookPath("pgrep"); err != nil {
		t.Skip("no pgrep on the host")
	}
	share := t.TempDir()
	left := sleepArg(0)
	root := bootTree(t, map[string]string{
		"etc/inittab": "::once:/bin/sh /etc/job.sh\n",
		"etc/job.sh": `echo boot >> /data/boots
n=$(wc -l < /data/boots)
echo "boot $n host $(hostname)"
hostname guest-set-$n
if [ $n = 1 ]; then reboot; sleep 60; echo not-rebooted; exit 1; fi
sleep ` + left + ` &
# (poweroff once the child runs sleep, not before its exec)
mount -t proc proc /proc
until [ "$(cat /proc/$!/comm)" = sleep ]; do :; done
echo "left $(hostname)"
poweroff -f
`,
		"data/.keep": "",
	})
	hostName, _ := os.Hostname()
	out, status := boot(t, "--root", root, "--mount", share+":/data", "--hostname", "vk1")
	if status != 0 {
		t.Errorf("vkernel boot exited %d, want 0 after the second boot's poweroff\n%s", status, out)
	}
	i1, i2 := strings.Index(out, "boot 1 host vk1\n"), strings.Index(out, "boot 2 host vk1\n")
	if i1 < 0 || i2 < i1 || !strings.Contains(out, "left guest-set-2\n") || strings.Contains(out, "not-rebooted") {
		t.Errorf("console: want boot 1 then boot 2, each from --hostname vk1, then the job's hostname:\n%s", out)
	}
	if b, err := os.ReadFile(filepath.Join(share, "boots")); err != nil || string(b) != "boot\nboot\n" {
		t.Errorf("boots counted on the host: %q, %v; want two", b, err)
	}
	if now, _ := os.Hostname(); now != hostName {
		t.Errorf("the host's name changed from %q to %q", hostName, now)
	}
	// vkernel exits once every guest process is gone.
	if pids := hostSleeps(t, left); len(pids) != 0 {
		t.Errorf("the guest's background sleep %v outlived vkernel's poweroff", pids)
		for _, p := range pids {
			exec.Command("kill", "-9", p).Run()
		}
	}
}

// TestKillVkernel: SIGKILL to vkernel (boot or run), which can do nothing
// about it, still takes every guest process with it.
func TestKillVkernel(t *testing.T) {
	if _, err := exec.LookPath("pgrep"); err != nil {
		t.Skip("no pgrep on the host")
	}
	bin := needBin(t)
	bg, fg := sleepArg(1), sleepArg(2)
	script := "sleep " + bg + " & echo started; exec sleep " + fg
	busybox := needRootfs(t, "busybox")
	for _, tc := range []struct {
		name string
		argv func() []string
	}{
		{"boot", func() []string {
			root := bootTree(t, map[string]string{"etc/inittab": "::once:/bin/sh -c '" + script + "'\n"})
			return []string{bin, "boot", "--root", root}
		}},
		{"run", func() []string { return []string{bin, "run", "--root", busybox, "--", "/bin/sh", "-c", script} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			argv := tc.argv()
			cmd := exec.Command(argv[0], argv[1:]...)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan struct{})
			go func() { io.Copy(io.Discard, out); cmd.Wait(); close(exited) }()
			defer func() {
				cmd.Process.Kill()
				<-exited
				for _, p := range append(hostSleeps(t, bg), hostSleeps(t, fg)...) {
					exec.Command("kill", "-9", p).Run()
				}
			}()
			var pids []string
			for end := time.Now().Add(20 * time.Second); len(pids) < 2 && time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
				pids = append(hostSleeps(t, bg), hostSleeps(t, fg)...)
			}
			if len(pids) != 2 {
				t.Fatalf("found %v of the guest's two sleeps on the host", pids)
			}
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			select {
			case <-exited:
			case <-time.After(10 * time.Second):
				t.Fatal("vkernel still running 10 s after SIGKILL")
			}
			var left []string
			for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
				if left = append(hostSleeps(t, bg), hostSleeps(t, fg)...); len(left) == 0 {
					break
				}
			}
			if len(left) != 0 {
				t.Errorf("guest processes %v still alive 5 s after vkernel was killed", left)
			}
		})
	}
}
