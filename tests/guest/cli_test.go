package guest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vkernel/tests/harness"
)

// The `vkernel run` contract: statuses, error messages, flags. Guest only.

func TestMissingProgram(t *testing.T) {
	root := needRootfs(t, "bookworm")
	r := runGuest(t, root, []string{"/bin/nope"}, "")
	if r.Status != 127 {
		t.Errorf("status %d, want 127\n%s", r.Status, r)
	}
	want := "vkernel: /bin/nope: no such file or directory in the guest\n"
	if r.Stderr != want {
		t.Errorf("stderr %q, want %q", r.Stderr, want)
	}
	checkOneLineError(t, r)
}

func TestForeignArchELF(t *testing.T) {
	needBin(t)
	root := needRootfs(t, "bookworm")
	host, guest := workDir(t, root, "foreign-elf")
	// An ELF header for aarch64 (e_machine 183): enough to tell its arch.
	hdr := make([]byte, 64)
	copy(hdr, "\x7fELF\x02\x01\x01")
	hdr[16] = 2   // ET_EXEC
	hdr[18] = 183 // EM_AARCH64
	hdr[20] = 1   // EV_CURRENT
	hdr[52] = 64  // e_ehsize
	if err := os.WriteFile(filepath.Join(host, "arm64"), hdr, 0o755); err != nil {
		t.Fatal(err)
	}
	r := runGuest(t, root, []string{guest + "/arm64"}, "")
	if r.Status != 126 {
		t.Errorf("status %d, want 126\n%s", r.Status, r)
	}
	checkOneLineError(t, r)
}

func TestBadInput(t *testing.T) {
	bin := needBin(t)
	file := filepath.Join(t.TempDir(), "plain-file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"root-missing", []string{"run", "--root", "/nonexistent/vkernel-root", "--", "/bin/true"}},
		{"root-is-file", []string{"run", "--root", file, "--", "/bin/true"}},
		{"mount-relative-source", []string{"run", "--mount", "relative/dir:/mnt", "--", "/bin/true"}},
		{"mount-relative-target", []string{"run", "--mount", "/tmp:mnt", "--", "/bin/true"}},
		{"no-program", []string{"run"}},
		{"unknown-flag", []string{"run", "--no-such-flag", "--", "/bin/true"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := harness.Run(append([]string{bin}, tc.args...), os.Environ(), harness.Spec{})
			if r.Err != nil {
				t.Fatalf("%v\n%s", r.Err, r)
			}
			checkOneLineError(t, r)
		})
	}
}

// TestFlags checks the run flags against what the guest sees.
func TestFlags(t *testing.T) {
	needBin(t)
	root := needRootfs(t, "bookworm")
	host, guest := workDir(t, root, "flags")
	share := t.TempDir()
	if err := os.WriteFile(filepath.Join(share, "from-host"), []byte("host data\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		flags  []string
		script string
		want   string // stdout
		status int
	}{
		{"workdir", []string{"--workdir", guest}, "pwd", guest + "\n", 0},
		{"env", []string{"--env", "FOO=bar baz"}, `echo "$FOO|$HOME|$LANG"`, "bar baz|/root|C\n", 0},
		{"clear-env", nil, `env | sort`, "HOME=/root\nLANG=C\nPATH=" + harness.GuestPATH + "\nPWD=/\nSHLVL=1\n_=/usr/bin/env\n", 0},
		{"hostname", []string{"--hostname", "vkguest"}, "hostname; uname -n", "vkguest\nvkguest\n", 0},
		{"mount-rw", []string{"--mount", share + ":/mnt"},
			"cat /mnt/from-host && echo guest data > /mnt/from-guest", "host data\n", 0},
		{"mount-ro", []string{"--mount", share + ":/mnt:ro"},
			"cat /mnt/from-host; echo x > /mnt/ro-write 2>/dev/null; echo status $?", "host data\nstatus 1\n", 0},
		{"tmpfs", []string{"--tmpfs", guest, "--workdir", guest}, "ls -A .; echo in-tmpfs > f; cat f", "in-tmpfs\n", 0},
		{"exit-status", nil, "exit 42", "", 42},
		{"net-none", []string{"--net", "none"}, `perl -MIO::Socket::INET -e 'IO::Socket::INET->new(Listen=>1, LocalAddr=>"127.0.0.1:7777") and print "loopback\n"; IO::Socket::INET->new(PeerAddr=>"192.0.2.1:80", Timeout=>1) or print "unreachable\n"'`, "loopback\nunreachable\n", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runGuestFlags(t, root, tc.flags, []string{"/bin/bash", "-c", tc.script}, "")
			if r.Status != tc.status || r.Stdout != tc.want {
				t.Errorf("got status %d stdout %q, want %d %q\n%s", r.Status, r.Stdout, tc.status, tc.want, r)
			}
		})
	}
	if b, err := os.ReadFile(filepath.Join(share, "from-guest")); err != nil || string(b) != "guest data\n" {
		t.Errorf("--mount rw: host sees %q, %v; want the guest's write", b, err)
	}
	if _, err := os.Stat(filepath.Join(share, "ro-write")); err == nil {
		t.Errorf("--mount ro: the guest wrote to the host")
	}
	if _, err := os.Stat(filepath.Join(host, "f")); err == nil {
		t.Errorf("--tmpfs: the guest's file reached the host directory underneath")
	}
}

// TestDefaultRoot: without --root the guest sees the host's / read-only and a
// private tmpfs /tmp.
func TestDefaultRoot(t *testing.T) {
	needBin(t)
	name := "vkernel-test-" + strings.ReplaceAll(t.Name(), "/", "-")
	hostTmp := filepath.Join("/tmp", name)
	os.Remove(hostTmp)
	script := `cat /etc/hostname >/dev/null && echo read-ok
touch /` + name + ` 2>/dev/null; echo "root-write $?"
echo private > /tmp/` + name + ` && cat /tmp/` + name
	r := runGuest(t, "", []string{"/bin/sh", "-c", script}, "")
	want := "read-ok\nroot-write 1\nprivate\n"
	if r.Status != 0 || r.Stdout != want {
		t.Errorf("got status %d stdout %q, want 0 %q\n%s", r.Status, r.Stdout, want, r)
	}
	if _, err := os.Stat("/" + name); err == nil {
		os.Remove("/" + name)
		t.Errorf("the guest wrote to the host's /")
	}
	if _, err := os.Stat(hostTmp); err == nil {
		os.Remove(hostTmp)
		t.Errorf("the guest's /tmp is the host's")
	}
}

// TestStdio checks that large stdin and stdout pass through unchanged.
func TestStdio(t *testing.T) {
	root := needRootfs(t, "busybox")
	in := strings.Repeat("vkernel stdio line\n", 1<<16)
	r := runGuest(t, root, []string{"/bin/cat"}, in)
	if r.Status != 0 || r.Stdout != in {
		t.Errorf("cat: status %d, %d bytes out, want 0 and %d bytes\nstderr: %s", r.Status, len(r.Stdout), len(in), r.Stderr)
	}
	r = runGuest(t, root, []string{"/bin/sh", "-c", "echo out; echo err >&2; exit 7"}, "")
	if r.Status != 7 || r.Stdout != "out\n" || r.Stderr != "err\n" {
		t.Errorf("got %s\nwant status 7, out, err", r)
	}
}
