package confine

import (
	"fmt"
	"strings"
	"testing"
)

// shellProbe runs a busybox shell script in the guest (flags: vkernel
// run flags), with $P the probe, and returns its output; the script's
// status must be 0.
func shellProbe(t *testing.T, flags []string, script string) string {
	t.Helper()
	r := guest(t, env.rootfs, flags, "/bin/sh", "-c", "P="+env.probe+"\n"+script)
	if r.Status != 0 {
		t.Fatalf("guest script failed\n%s", r)
	}
	return r.Stdout
}

// TestSigioPermission: F_SETOWN and O_ASYNC direct signals as Linux's
// sigio_perm allows them: a user's SIGIO reaches its own processes, never
// root's, and no guest process can make vkernel's init a descriptor's
// owner, whatever the signal.
func TestSigioPermission(t *testing.T) {
	need(t)
	// A user's owner on a root process: set, but nothing is delivered.
	out := shellProbe(t, nil, `sleep 5 & v=$!
$P "setuid 1000" "sigio $v 9" "sigio -$$ 9"
sleep 0.2; kill -0 $v && echo victim alive; kill $v`)
	for _, w := range []string{"setuid 1000: ok", "sigio: ok", "victim alive"} {
		if w == "sigio: ok" {
			if strings.Count(out, ": ok\n") < 3 {
				t.Errorf("F_SETOWN by a user failed:\n%s", out)
			}
			continue
		}
		if !strings.Contains(out, w) {
			t.Errorf("want %q in:\n%s", w, out)
		}
	}
	// A user's owner on its own process: delivered.
	out = shellProbe(t, []string{"--user", "1000:1000"}, `sleep 5 & v=$!
$P "sigio $v 9"; sleep 0.2; kill -0 $v 2>/dev/null || echo victim gone`)
	if !strings.Contains(out, "victim gone") {
		t.Errorf("a user's SIGIO did not reach its own process:\n%s", out)
	}
	// vkernel's init, with every signal number, as root and as a user.
	var ops []string
	for sig := 1; sig <= 64; sig++ {
		ops = append(ops, fmt.Sprintf("sigio 1 %d", sig), fmt.Sprintf("sigio -1 %d", sig))
	}
	for _, flags := range [][]string{nil, {"--user", "1000:1000"}} {
		got := probe(t, flags, ops...)
		for _, op := range ops {
			if g := got[op]; g == "ok" {
				t.Errorf("%v %s: ok, want a failure (vkernel's init as owner)", flags, op)
			}
		}
	}
}

// TestInitSurvivesSignals: every signal a guest root can send vkernel's
// init leaves it running (the forwarded ones reach the program, which
// ignores them here), and the guest ends normally.
func TestInitSurvivesSignals(t *testing.T) {
	need(t)
	out := shellProbe(t, nil, `trap "" HUP INT QUIT TERM USR1 USR2
s=1; while [ $s -le 64 ]; do kill -$s 1 2>/dev/null; s=$((s+1)); done
sleep 0.2; echo init alive`)
	if !strings.Contains(out, "init alive") {
		t.Errorf("want %q in:\n%s", "init alive", out)
	}
}

// TestPidfdNamespaces: a pidfd's namespace ioctls open the guest's own
// namespaces, and none of vkernel's init (pid 1 under run), which are the
// host's for some.
func TestPidfdNamespaces(t *testing.T) {
	need(t)
	got := probe(t, nil, "pidfdns 1", "pidfdns self")
	for _, ns := range []string{"cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"} {
		if !strings.Contains(got["pidfdns 1"], " "+ns+"=EPERM") {
			t.Errorf("pidfdns 1: %s, want %s=EPERM", got["pidfdns 1"], ns)
		}
		if !strings.Contains(got["pidfdns self"], " "+ns+"=ok") {
			t.Errorf("pidfdns self: %s, want %s=ok", got["pidfdns self"], ns)
		}
	}
}

// TestPrivilegedPorts: a bind to a port below 1024 is the host's to judge
// with the guest process's own privileges (none on the host's network),
// never made with the sentry's; in the guest's own network namespace
// (--net none) the guest's root may, a guest user may not.
func TestPrivilegedPorts(t *testing.T) {
	need(t)
	for _, c := range []struct {
		flags []string
		want  string
	}{
		{nil, "EACCES"},
		{[]string{"--user", "1000:1000"}, "EACCES"},
		{[]string{"--net", "none"}, "ok"},
		{[]string{"--net", "none", "--user", "1000:1000"}, "EACCES"},
	} {
		got := probe(t, c.flags, "bindtcp 81", "bindtcp 0")
		expect(t, got, map[string]string{"bindtcp 81": c.want, "bindtcp 0": "ok"})
	}
}

// TestIoctlAllowlist: an ioctl not known to be the guest's business never
// runs natively (a filesystem's own ioctls, checked by the host with the
// guest process's namespace capabilities, would let a user change
// another's file); namespace ioctls reach the guest's own namespaces only.
func TestIoctlAllowlist(t *testing.T) {
	need(t)
	for _, flags := range [][]string{nil, {"--user", "1000:1000"}} {
		got := probe(t, flags,
			"ioctl /etc/passwd 6609",     // EXT4_IOC_MIGRATE
			"ioctl /etc/passwd 80086601", // FS_IOC_GETFLAGS
			"ioctl /dev/null 5401",       // TCGETS
			"nsioctl 5 b702",             // NS_GET_PARENT of its pid namespace
			"nsioctl 9 b702",             // NS_GET_PARENT of its user namespace
			"nsioctl 10 b701",            // NS_GET_USERNS of its UTS namespace
			"nsioctl 10 b703")            // NS_GET_NSTYPE
		expect(t, got, map[string]string{
			"ioctl /etc/passwd 6609":     "ENOTTY",
			"ioctl /etc/passwd 80086601": "ok",
			"ioctl /dev/null 5401":       "ENOTTY",
			"nsioctl 5 b702":             "EPERM",
			"nsioctl 9 b702":             "EPERM",
			"nsioctl 10 b701":            "ok",
			"nsioctl 10 b703":            "ok",
		})
	}
}
