package confine

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"vkernel/tests/harness"
)

// The hostile cases of descriptors the sentry's table does not hold: a
// received copy (SCM_RIGHTS to itself, the original closed), an inherited
// descriptor (vkernel's stdin redirected from a root-owned host file
// outside the guest's root), and a pipe the guest made. The sentry fetches
// such a descriptor to act on it; it must never act with its own host
// privileges.

// attrOps are the probe's inode-changing operations.
var attrOps = []string{"fchmod", "fchown", "futimens", "fsetflags", "fimmutable", "ftruncate", "fallocate"}

// hostState is what a changing call could alter of host file p.
func hostState(t *testing.T, p string) string {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		return err.Error()
	}
	content, _ := os.ReadFile(p)
	flags := "?"
	if fd, err := unix.Open(p, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0); err == nil {
		if v, err := unix.IoctlGetInt(fd, unix.FS_IOC_GETFLAGS); err == nil {
			flags = fmt.Sprintf("%#x", v)
		}
		unix.Close(fd)
	}
	return fmt.Sprintf("mode=%o uid=%d gid=%d size=%d mtime=%d.%09d flags=%s content=%q",
		st.Mode, st.Uid, st.Gid, st.Size, st.Mtim.Sec, st.Mtim.Nsec, flags, content)
}

// victim makes a root-owned 0644 host file in dir.
func victim(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "victim")
	writeFile(t, p, "host content\n")
	os.Chmod(p, 0o644)
	os.Chown(p, 0, 0)
	t.Cleanup(func() {
		// Undo an escape's immutable flag, or the cleanup fails too.
		if fd, err := unix.Open(p, unix.O_RDONLY|unix.O_NONBLOCK, 0); err == nil {
			unix.IoctlSetPointerInt(fd, unix.FS_IOC_SETFLAGS, 0)
			unix.Close(fd)
		}
	})
	return p
}

// probeStdin runs the probe with stdin open on host file stdin.
func probeStdin(t *testing.T, root, stdin string, flags []string, ops ...string) map[string]string {
	t.Helper()
	f, err := os.Open(stdin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := harness.RunGuest(env.bin, root, harness.Spec{Argv: append([]string{env.probe}, ops...), Flags: flags, Stdin: f})
	got := probeLines(t, r)
	return got
}

// TestFetchedDescriptors: fchmod, fchown, futimens, the inode flags,
// ftruncate and fallocate on a received, an inherited and a made
// descriptor, as root and as a user, on a :ro mount, a rw mount and
// outside every mount: every change the guest may not make fails, and the
// host files are unchanged.
func TestFetchedDescriptors(t *testing.T) {
	need(t)
	outside := victim(t, secretFixture(t, "stdin"))
	roDir := secretFixture(t, "fetch-ro")
	rwDir := secretFixture(t, "fetch-rw")
	roFile, rwFile := victim(t, roDir), victim(t, rwDir)
	_, g := fixture(t, "fetch")
	mounts := []string{"--mount", roDir + ":" + g + "/ro:ro", "--mount", rwDir + ":" + g + "/rw"}
	for _, user := range []string{"", "1000:1000"} {
		flags := mounts
		if user != "" {
			flags = append([]string{"--user", user}, mounts...)
		}
		before := map[string]string{}
		for _, p := range []string{outside, roFile, rwFile} {
			before[p] = hostState(t, p)
		}
		want := map[string]string{}
		for _, op := range attrOps {
			// The inherited stdin: a host file no guest mount holds.
			w := "EPERM"
			switch op {
			case "ftruncate":
				w = "EINVAL" // read-only descriptor, as Linux
			case "fallocate":
				w = "EBADF"
			}
			want["fdattr 0 "+op] = w
			// The same, reopened through /proc/self/fd/0.
			want["reopenattr 0 "+op] = w
			// A received copy of a :ro mount's file.
			want["recvattr "+g+"/ro/victim "+op] = "!ok"
			if user != "" {
				// A user's received copy of root's file on a rw mount.
				want["recvattr "+g+"/rw/victim "+op] = "!ok"
			}
		}
		var ops []string
		for op := range want {
			ops = append(ops, op)
		}
		got := probeStdin(t, env.rootfs, outside, flags, ops...)
		t.Run("user="+user, func(t *testing.T) { expect(t, got, want) })
		for p, b := range before {
			if a := hostState(t, p); a != b {
				t.Errorf("ESCAPE: the guest (user %q) changed host file %s\nbefore: %s\nafter:  %s", user, p, b, a)
			}
		}
	}
}

// TestFetchedDescriptorsDefaultRoot: the same on the default root, the
// host's / read-only.
func TestFetchedDescriptorsDefaultRoot(t *testing.T) {
	need(t)
	dir := filepath.Join(filepath.Dir(env.rootfs), fmt.Sprintf("confine-default-%d", os.Getpid()))
	os.RemoveAll(dir)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	p := victim(t, dir)
	before := hostState(t, p)
	probeHost := filepath.Join(env.base, "probe")
	for _, user := range []string{"0:0", "1000:1000"} {
		var ops []string
		want := map[string]string{}
		for _, op := range attrOps {
			o := "recvattr " + p + " " + op
			ops = append(ops, o)
			want[o] = "!ok"
		}
		r := harness.RunGuest(env.bin, "", harness.Spec{Argv: append([]string{probeHost}, ops...), Flags: []string{"--user", user}})
		expect(t, probeLines(t, r), want)
	}
	if after := hostState(t, p); after != before {
		t.Errorf("ESCAPE: the guest changed host file %s\nbefore: %s\nafter:  %s", p, before, after)
	}
}

// TestOwnPipe: the guest's own objects are changed under its own identity:
// root may fchmod its pipe; a user may not fchmod root's.
func TestOwnPipe(t *testing.T) {
	need(t)
	run(t, nil, map[string]string{"pipeattr fchmod": "ok", "pipeattr fchown": "ok"})
	run(t, []string{"--user", "1000:1000"}, map[string]string{"pipeattr fchmod": "EPERM", "pipeattr fchown": "EPERM"})
}

// TestFetchedLease: F_SETLEASE is judged with the guest's identity
// whatever the descriptor's origin (the host would judge vkernel's, root's:
// a guest user took a lease on vkernel's stdin, a host root file, and on a
// received copy of root's file). A user may not lease root's file, through
// a received copy or the inherited stdin. Root neither, here: the probe
// closes its own descriptor once the copy is received, so the copy is no
// VFS file's any more and stands as a host object (the documented limit
// of placing, sentry/hostobj.go), as the inherited stdin is; a pipe is no
// regular file (EINVAL, root).
func TestFetchedLease(t *testing.T) {
	need(t)
	outside := victim(t, secretFixture(t, "lease-stdin"))
	rwDir := secretFixture(t, "lease-rw")
	victim(t, rwDir)
	_, g := fixture(t, "lease")
	mounts := []string{"--mount", rwDir + ":" + g + "/rw"}
	for _, tc := range []struct {
		user string
		want map[string]string
	}{
		{"1000:1000", map[string]string{"fdattr 0 lease": "EACCES", "recvattr " + g + "/rw/victim lease": "EACCES"}},
		{"0:0", map[string]string{"fdattr 0 lease": "EACCES", "recvattr " + g + "/rw/victim lease": "EACCES",
			"pipeattr lease": "EINVAL"}},
	} {
		var ops []string
		for op := range tc.want {
			ops = append(ops, op)
		}
		got := probeStdin(t, env.rootfs, outside, append([]string{"--user", tc.user}, mounts...), ops...)
		t.Run("user="+tc.user, func(t *testing.T) { expect(t, got, tc.want) })
	}
}
