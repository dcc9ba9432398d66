package guest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// buildOrigin builds testdata/origin_main.c into dir/bin/origin with
// libdemo.so in dir/lib, found through an RPATH of $ORIGIN/../lib, as
// java's launcher finds libjli.so; dir is the host side of guest.
func buildOrigin(t *testing.T, dir string) {
	t.Helper()
	cc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("no gcc")
	}
	for _, d := range []string{"bin", "lib"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	lib, _ := filepath.Abs("testdata/origin_lib.c")
	main, _ := filepath.Abs("testdata/origin_main.c")
	steps := [][]string{
		{cc, "-shared", "-fPIC", "-o", filepath.Join(dir, "lib", "libdemo.so"), lib},
		{cc, "-o", filepath.Join(dir, "bin", "origin"), main, "-L" + filepath.Join(dir, "lib"), "-ldemo",
			"-Wl,-rpath,$ORIGIN/../lib"},
	}
	for _, s := range steps {
		if out, err := exec.Command(s[0], s[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%q: %v\n%s", s, err, out)
		}
	}
}

// TestExecOrigin runs a dynamic program through a chain of symlinks from
// another directory, by PATH, by a relative name, from a #! script run by
// a relative path, and as an execute-only (0711) file, natively and in the
// guest: $ORIGIN is the real file's directory (the kernel's exec, not a
// loader given the symlink's name), and comm, AT_EXECFN, AT_SECURE,
// /proc/self/exe, dumpable and argv are Linux's.
func TestExecOrigin(t *testing.T) {
	root := needRootfs(t, "bookworm")
	host, guest := workDir(t, root, "origin")
	buildOrigin(t, host)
	links := filepath.Join(host, "links")
	os.MkdirAll(links, 0o755)
	os.Symlink(guest+"/bin/origin", filepath.Join(links, "step"))
	os.Symlink("step", filepath.Join(links, "origin-link"))
	os.WriteFile(filepath.Join(host, "script"), []byte("#!"+guest+"/links/origin-link -x\n"), 0o755)
	os.WriteFile(filepath.Join(host, "script2"), []byte("#!"+guest+"/script\n"), 0o755)
	exeOnly := filepath.Join(host, "bin", "exeonly")
	b, err := os.ReadFile(filepath.Join(host, "bin", "origin"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(exeOnly, b, 0o711); err != nil {
		t.Fatal(err)
	}
	os.Chmod(exeOnly, 0o711)
	script := strings.Join([]string{
		"cd /",
		guest + "/links/origin-link a b",
		"cd " + guest + "/links && ./origin-link rel",
		"cd " + guest + " && ./script s1",
		"cd " + guest + " && ./script2 s2",
		"PATH=" + guest + "/links:$PATH origin-link bypath",
		"cd " + guest + "/bin && ./exeonly x",
		"su nobody -s /bin/sh -c '" + guest + "/bin/exeonly as-nobody'",
		"exec -a renamed " + guest + "/links/origin-link argv0",
	}, "\n")
	sameAsNative(t, root, []string{"/bin/bash", "-c", script}, "value=42")
}

// TestExecTextBusy: a running program's file cannot be opened for
// writing (ETXTBSY), on the dirfs root and on the guest's tmpfs, as on
// Linux; and the program keeps running, unharmed (before, truncating it
// killed the program with SIGBUS).
func TestExecTextBusy(t *testing.T) {
	root := needRootfs(t, "bookworm")
	script := `for d in /tmp /var/tmp; do
	cp /bin/sleep $d/busy
	$d/busy 1 & pid=$!
	sleep 0.3
	( : > $d/busy ) 2>&1 | sed 's/^.*: //'
	if printf x >> $d/busy; then echo appended; fi
	wait $pid; echo "status $?"
	: > $d/busy && echo "writable after"
	rm -f $d/busy
done 2>&1`
	sameAsNative(t, root, []string{"/bin/bash", "-c", script}, "Text file busy")
}

// TestExecHostView: on the host, a guest process is its program: comm
// and /proc/PID/exe name the program's file, not the dynamic loader, and
// its cmdline is the program's argv, so ps, top and pgrep tell guest
// programs apart.
func TestExecHostView(t *testing.T) {
	root := needRootfs(t, "bookworm")
	bin := needBin(t)
	cmd := exec.Command(bin, "run", "--root", root, "--", "/bin/bash", "-c", "exec -a snooze /bin/sleep 2")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	sleep, err := os.Stat(filepath.Join(root, "usr/bin/sleep"))
	if err != nil {
		t.Fatal(err)
	}
	// The guest's process is the one whose host cmdline is the argv it was
	// given (ps -o args); other tests' guests may run sleep meanwhile.
	const argv = "snooze\x002\x00"
	deadline := time.Now().Add(1500 * time.Millisecond)
	for time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		ents, _ := os.ReadDir("/proc")
		for _, e := range ents {
			args, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
			if err != nil || string(args) != argv {
				continue
			}
			comm, _ := os.ReadFile("/proc/" + e.Name() + "/comm")
			exe, err := os.Stat("/proc/" + e.Name() + "/exe")
			if got := strings.TrimSpace(string(comm)); got != "sleep" {
				t.Errorf("host comm of the guest's sleep = %q, want sleep", got)
			}
			if err != nil || !os.SameFile(exe, sleep) {
				t.Errorf("host exe of the guest's sleep is not %s (%v)", filepath.Join(root, "usr/bin/sleep"), err)
			}
			return
		}
	}
	t.Errorf("no host process with cmdline %q", argv)
}

// TestExecEdges runs testdata/exec_edges.c as nobody, natively and in the
// guest: execveat of a symlink with AT_SYMLINK_NOFOLLOW (ELOOP), of a
// close-on-exec #! script descriptor (ENOENT: the interpreter could not
// open it) and of one that stays open, bad flags, an empty path without
// AT_EMPTY_PATH; a set-user-ID exec from a process that shares its
// filesystem context with another (CLONE_FS: the uid is not granted) and
// one from a plain fork (granted; not dumpable; AT_SECURE). Then
// testdata/clone_fs.c: a CLONE_FS|SIGCHLD child's chdir is its parent's
// too.
func TestExecEdges(t *testing.T) {
	root := needRootfs(t, "bookworm")
	cc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("no gcc")
	}
	host, guest := workDir(t, root, "edges")
	for _, b := range []struct{ out, src string }{
		{"edges", "exec_edges.c"}, {"prog", "exec_edges_prog.c"}, {"clonefs", "clone_fs.c"},
	} {
		src, _ := filepath.Abs("testdata/" + b.src)
		if out, err := exec.Command(cc, "-O1", "-o", filepath.Join(host, b.out), src).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", b.src, err, out)
		}
	}
	prog := filepath.Join(host, "prog")
	if err := os.Chown(prog, 1000, 1000); err != nil {
		t.Fatal(err)
	}
	os.Chmod(prog, 0o4755)
	os.Symlink("prog", filepath.Join(host, "link"))
	os.WriteFile(filepath.Join(host, "script"), []byte("#!/bin/sh\necho script ran \"$0\"\n"), 0o755)
	os.Chmod(host, 0o755)
	argv := []string{"/bin/sh", "-c", "cd " + guest + " && su nobody -s /bin/sh -c '" + guest + "/edges " + guest +
		"' && " + guest + "/clonefs"}
	sameAsNative(t, root, argv, "clone-fs: euid 65534")
}

// TestJava runs java -version, natively and in the guest, in the java
// tree (Debian's default JRE): /usr/bin/java is a chain of symlinks to
// the JDK's launcher, which finds libjli.so through $ORIGIN/../lib.
func TestJava(t *testing.T) {
	root := needRootfs(t, "java")
	sameAsNative(t, root, []string{"/bin/sh", "-c", "java -version 2>&1; readlink -f /usr/bin/java"}, "OpenJDK")
}

// TestExecOnlyThreaded: an execute-only program is run from a descriptor
// the sentry installs in the guest, which a sibling thread could read
// from before the exec replaces the table; so from a multithreaded
// process (or one sharing its table) the exec of a program the task may
// not read is refused, EACCES, where Linux reads the file only inside
// the kernel and runs it (docs/architecture.md, Known gaps). A
// single-threaded exec of it runs, as Linux's.
func TestExecOnlyThreaded(t *testing.T) {
	root := needRootfs(t, "bookworm")
	cc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("no gcc")
	}
	host, guest := workDir(t, root, "exec-only-threads")
	os.Chmod(host, 0o755)
	for _, b := range []struct{ out, src string }{{"threaded", "exec_threaded.c"}, {"eo", "exec_edges_prog.c"}} {
		src, _ := filepath.Abs("testdata/" + b.src)
		if out, err := exec.Command(cc, "-O1", "-pthread", "-o", filepath.Join(host, b.out), src).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", b.src, err, out)
		}
	}
	os.Chmod(filepath.Join(host, "eo"), 0o711)
	r := runGuest(t, root, []string{"su", "nobody", "-s", "/bin/sh", "-c", guest + "/eo single; " + guest + "/threaded " + guest + "/eo"}, "")
	if !strings.Contains(r.Stdout, "single: euid 65534") || !strings.Contains(r.Stdout, "execv: Permission denied") ||
		strings.Contains(r.Stdout, "from-thread") {
		t.Errorf("want the single-threaded exec run and the threaded one refused:\n%s", r)
	}
}
