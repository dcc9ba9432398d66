package guest

import (
	"os"
	"os/exec"
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

// TestBadInput: vkernel's own errors are status 125 and one line on stderr,
// nothing on stdout (no usage text), whatever the mistake.
func TestBadInput(t *testing.T) {
	bin := needBin(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "plain-file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("h", 65)
	for _, tc := range []struct {
		name string
		args []string
		want string // stderr, when the exact line matters
	}{
		{"root-missing", []string{"run", "--root", "/nonexistent/vkernel-root", "--", "/bin/true"}, ""},
		{"root-is-file", []string{"run", "--root", file, "--", "/bin/true"}, ""},
		{"root-empty", []string{"run", "--root", "", "--", "/bin/true"}, `vkernel: --root "": want a host directory` + "\n"},
		{"boot-root-empty", []string{"boot", "--root", ""}, `vkernel: --root "": want a host directory` + "\n"},
		{"boot-no-root", []string{"boot"}, "vkernel: boot: --root DIR is required (see vkernel boot --help)\n"},
		{"mount-relative-source", []string{"run", "--mount", "relative/dir:/mnt", "--", "/bin/true"}, ""},
		{"mount-relative-target", []string{"run", "--mount", "/tmp:mnt", "--", "/bin/true"}, ""},
		{"mount-over-root", []string{"run", "--mount", dir + ":/", "--", "/bin/true"},
			"vkernel: --mount " + dir + ":/: cannot mount over the guest's root (the root is --root DIR)\n"},
		{"mount-over-root-ro", []string{"run", "--mount", dir + ":/.:ro", "--", "/bin/true"}, ""},
		{"boot-mount-over-root", []string{"boot", "--root", dir, "--mount", dir + ":/"},
			"vkernel: --mount " + dir + ":/: cannot mount over the guest's root (the root is --root DIR)\n"},
		{"tmpfs-over-root", []string{"run", "--tmpfs", "/", "--", "/bin/true"},
			"vkernel: --tmpfs /: cannot mount over the guest's root (the root is --root DIR)\n"},
		{"tmpfs-over-root-slashes", []string{"run", "--tmpfs", "//", "--", "/bin/true"}, ""},
		// A missing mount point cannot be made on the read-only default root.
		{"tmpfs-readonly-root", []string{"run", "--tmpfs", "/vkernel-no-such-dir", "--", "/bin/true"}, ""},
		{"hostname-empty", []string{"run", "--hostname", "", "--", "/bin/true"},
			`vkernel: --hostname "": want a name of 1 to 64 bytes` + "\n"},
		{"hostname-65", []string{"run", "--hostname", long, "--", "/bin/true"},
			`vkernel: --hostname "` + long + `": 65 bytes, want at most 64` + "\n"},
		{"boot-hostname-65", []string{"boot", "--root", dir, "--hostname", long},
			`vkernel: --hostname "` + long + `": 65 bytes, want at most 64` + "\n"},
		{"user-empty", []string{"run", "--user", "", "--", "/bin/true"}, ""},
		{"strace-empty", []string{"run", "--strace=", "--", "/bin/true"}, ""},
		{"stats-empty", []string{"run", "--stats=", "--", "/bin/true"},
			`vkernel: --stats="": want --stats alone (stderr) or --stats=FILE` + "\n"},
		{"stats-unwritable", []string{"run", "--stats=" + file + "/x", "--", "/bin/true"}, ""},
		{"no-program", []string{"run"}, ""},
		{"unknown-flag", []string{"run", "--no-such-flag", "--", "/bin/true"},
			"vkernel: flag provided but not defined: -no-such-flag (see vkernel run --help)\n"},
		{"unknown-short-flag", []string{"run", "-x", "--", "/bin/true"},
			"vkernel: flag provided but not defined: -x (see vkernel run --help)\n"},
		{"bad-flag-value", []string{"run", "--pids-max", "many", "--", "/bin/true"}, ""},
		{"missing-flag-value", []string{"run", "--root"}, ""},
		{"boot-unknown-flag", []string{"boot", "--no-such-flag"},
			"vkernel: flag provided but not defined: -no-such-flag (see vkernel boot --help)\n"},
		{"global-unknown-flag", []string{"-x"}, "vkernel: flag provided but not defined: -x (see vkernel --help)\n"},
		{"unknown-command", []string{"bogus"}, `vkernel: unknown command "bogus" (see vkernel --help)` + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := harness.Run(append([]string{bin}, tc.args...), os.Environ(), harness.Spec{})
			if r.Err != nil {
				t.Fatalf("%v\n%s", r.Err, r)
			}
			checkOneLineError(t, r)
			if r.Status != 125 || r.Stdout != "" {
				t.Errorf("status %d, stdout %q; want 125 and nothing\n%s", r.Status, r.Stdout, r)
			}
			if tc.want != "" && r.Stderr != tc.want {
				t.Errorf("stderr %q, want %q", r.Stderr, tc.want)
			}
		})
	}
}

// TestClearEnvAlone: --clear-env without --env gives the program no
// environment at all, not vkernel's.
func TestClearEnvAlone(t *testing.T) {
	bin := needBin(t)
	root := needRootfs(t, "bookworm")
	r := harness.Run([]string{bin, "run", "--root", root, "--clear-env", "--", "/usr/bin/env"},
		append(os.Environ(), "VKERNEL_TEST_LEAK=1"), harness.Spec{})
	if r.Err != nil || r.Status != 0 || r.Stdout != "" {
		t.Errorf("got status %d stdout %q, %v; want 0 and no variable\n%s", r.Status, r.Stdout, r.Err, r)
	}
}

// TestProgramNamedHelp: after --, "help" is a program, not urfave/cli's
// help command.
func TestProgramNamedHelp(t *testing.T) {
	root := needRootfs(t, "bookworm")
	r := runGuest(t, root, []string{"help"}, "")
	if r.Status != 127 || r.Stdout != "" {
		t.Errorf("got status %d stdout %q, want 127 (not found in the guest) and nothing\n%s", r.Status, r.Stdout, r)
	}
}

// TestStrace checks --strace=FILE's decoding: bit 0x200 is AT_EACCESS for
// faccessat2 and AT_REMOVEDIR for unlinkat, nothing for newfstatat; a
// continued call (close) says its result is not seen rather than one.
func TestStrace(t *testing.T) {
	root := needRootfs(t, "bookworm")
	trace := filepath.Join(t.TempDir(), "trace.txt")
	script := `my ($p, $q, $buf) = ("/etc/hostname", "/vkernel-no-such-dir", "\0" x 256);
syscall(439, -100, $p, 4, 0x200);    # faccessat2
syscall(439, -100, $p, 4, 0x300);
syscall(263, -100, $q, 0x200);       # unlinkat
syscall(262, -100, $p, $buf, 0x200); # newfstatat
open(my $f, "<", $p) or die; close($f) or die;`
	r := runGuestFlags(t, root, []string{"--strace=" + trace}, []string{"/usr/bin/perl", "-e", script}, "")
	if r.Status != 0 {
		t.Fatalf("status %d, want 0\n%s", r.Status, r)
	}
	b, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	out := string(b)
	for _, want := range []string{
		`faccessat2(AT_FDCWD, "/etc/hostname", 4, AT_EACCESS) = 0`,
		`faccessat2(AT_FDCWD, "/etc/hostname", 4, AT_SYMLINK_NOFOLLOW|AT_EACCESS) = 0`,
		`unlinkat(AT_FDCWD, "/vkernel-no-such-dir", AT_REMOVEDIR) = -1 ENOENT`,
		`newfstatat(AT_FDCWD, "/etc/hostname", `,
		`) = ? (continued: run by the host, result not seen)`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the trace has no %q", want)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "newfstatat(") && strings.Contains(line, "AT_REMOVEDIR") ||
			strings.Contains(line, "faccessat2(") && strings.Contains(line, "AT_REMOVEDIR") ||
			strings.Contains(line, "(native)") {
			t.Errorf("misdecoded: %s", line)
		}
		if strings.Contains(line, "] close(") && !strings.HasSuffix(line, "= ? (continued: run by the host, result not seen)") &&
			!strings.Contains(line, "= -1 ") {
			t.Errorf("close shows a result it cannot know: %s", line)
		}
	}
	if t.Failed() {
		t.Logf("trace:\n%s", out)
	}
}

// TestReadmeTour runs the README's tour line for --env, --workdir,
// --hostname and --tmpfs on the default root: the tmpfs goes below the
// private /tmp, the one writable place for a new mount point.
func TestReadmeTour(t *testing.T) {
	bin := needBin(t)
	r := harness.Run([]string{bin, "run", "--clear-env", "--env", "PATH=/usr/bin:/bin", "--workdir", "/usr",
		"--hostname", "vk1", "--tmpfs", "/tmp/scratch", "--", "sh"}, os.Environ(),
		harness.Spec{Stdin: strings.NewReader("echo $PATH; pwd; hostname; stat -f -c %T /tmp/scratch; echo x > /tmp/scratch/f && cat /tmp/scratch/f\n")})
	want := "/usr/bin:/bin\n/usr\nvk1\ntmpfs\nx\n"
	if r.Err != nil || r.Status != 0 || r.Stdout != want {
		t.Errorf("got status %d stdout %q, %v; want 0 %q\n%s", r.Status, r.Stdout, r.Err, want, r)
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
		{"hostname-64", []string{"--hostname", strings.Repeat("h", 64)}, "uname -n", strings.Repeat("h", 64) + "\n", 0},
		{"mount-rw", []string{"--mount", share + ":/mnt"},
			"cat /mnt/from-host && echo guest data > /mnt/from-guest", "host data\n", 0},
		{"mount-rw-explicit", []string{"--mount", share + ":/mnt:rw"}, "cat /mnt/from-host", "host data\n", 0},
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

// TestRelativeRoot: a relative --root works from vkernel's directory, and
// the mount table names it absolutely, as mount(8) shows a device.
func TestRelativeRoot(t *testing.T) {
	bin := needBin(t)
	root := needRootfs(t, "bookworm")
	cmd := exec.Command(bin, "run", "--root", filepath.Base(root), "--", "/usr/bin/head", "-1", "/proc/mounts")
	cmd.Dir = filepath.Dir(root)
	out, err := cmd.CombinedOutput()
	if want := "dirfs@" + root + " / dirfs "; err != nil || !strings.HasPrefix(string(out), want) {
		t.Errorf("got %q, %v; want a line starting %q", out, err, want)
	}
}
