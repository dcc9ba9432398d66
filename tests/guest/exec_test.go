package guest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestExecForms compiles testdata/execs.c as a static, a static-pie and a dynamic
// program into the rootfs and runs it natively and in the guest: execve of
// /proc/self/exe, execveat relative to a directory descriptor, fexecve of
// an O_PATH descriptor, and nested #! scripts (a script whose interpreter
// is a script), each showing argv[0], AT_EXECFN and /proc/self/exe.
func TestExecForms(t *testing.T) {
	root := needRootfs(t, "bookworm")
	cc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("no gcc")
	}
	host, guest := workDir(t, root, "execs")
	src, _ := filepath.Abs("testdata/execs.c")
	// script1's interpreter is script2, a script itself, whose interpreter
	// is the program; Linux expands both.
	os.WriteFile(filepath.Join(host, "script2"), []byte("#!"+guest+"/execs\n"), 0o755)
	os.WriteFile(filepath.Join(host, "script1"), []byte("#!"+guest+"/script2 arg\n"), 0o755)
	for _, mode := range []string{"-static", "-static-pie", "-no-pie"} {
		t.Run(mode, func(t *testing.T) {
			if out, err := exec.Command(cc, mode, "-O1", "-o", filepath.Join(host, "execs"), src).CombinedOutput(); err != nil {
				t.Skipf("%s: %v\n%s", mode, err, out)
			}
			argv := []string{"/bin/sh", "-c", "cd " + guest + " && ./execs"}
			n := runNative(t, root, argv, "")
			g := runGuest(t, root, argv, "")
			want, got := n.Stdout, g.Stdout
			if want != got || n.Status != g.Status {
				t.Errorf("native:\n%s\nguest:\n%s", n, g)
			}
			if n.Status != 0 {
				t.Errorf("native run failed:\n%s", n)
			}
		})
	}
}

// TestVforkExec compiles testdata/vforkexec.c (static and dynamic) and runs
// it natively and in the guest: a vfork child on a 16 KiB stack inside its
// parent's memory execs with a 20 KB environment, twice. The exec must
// leave the parent's memory alone and give the program its environment.
func TestVforkExec(t *testing.T) {
	root := needRootfs(t, "bookworm")
	host, guest := workDir(t, root, "vforkexec")
	for _, mode := range []string{"-static", "-no-pie"} {
		t.Run(mode, func(t *testing.T) {
			buildC(t, "vforkexec.c", filepath.Join(host, "vforkexec"), mode)
			sameAsNative(t, root, []string{guest + "/vforkexec"}, "parent bytes changed: 0\n")
		})
	}
}

// TestExecRace runs testdata/execrace.c natively and in the guest: two
// threads whose execs fail at once both see E2BIG and the process goes on
// (an exec's stops held while a sibling executes are not lost), and 40
// threads' vfork children exec'ing together never write in their
// parents' memory (more execs in flight than scratch slots wait for one).
func TestExecRace(t *testing.T) {
	root := needRootfs(t, "bookworm")
	host, guest := workDir(t, root, "execrace")
	buildC(t, "execrace.c", filepath.Join(host, "execrace"), "-static")
	sameAsNative(t, root, []string{guest + "/execrace"},
		"racing failed execs: 0 went wrong\nracing vforks: parent bytes changed 0, children failed 0\n")
}

// TestMemfdExec compiles testdata/memexec.c (static, and dynamic run as
// "dynamic") and runs it natively and in the guest: fexecve of memfds the
// program made, a program and a #! script, with and without
// close-on-exec, and what the new image sees.
func TestMemfdExec(t *testing.T) {
	root := needRootfs(t, "bookworm")
	host, guest := workDir(t, root, "memexec")
	buildC(t, "memexec.c", filepath.Join(host, "memexec"), "-static")
	sameAsNative(t, root, []string{guest + "/memexec"}, "program, close-on-exec: status 0\n")
	buildC(t, "memexec.c", filepath.Join(host, "memexec-dyn"), "-no-pie")
	sameAsNative(t, root, []string{"/bin/bash", "-c", "exec -a dynamic " + guest + "/memexec-dyn"}, "program, close-on-exec: status 0\n")
}

// TestSecureExec: a set-user-ID root program run by a user runs in the
// loader's secure mode, natively and in the guest: AT_SECURE is 1, a
// preloaded library is not loaded, LD_* variables are gone, the others
// stay; run by root, it is not secure.
func TestSecureExec(t *testing.T) {
	root := needRootfs(t, "bookworm")
	host, guest := workDir(t, root, "secure")
	buildC(t, "secure.c", filepath.Join(host, "secure"), "-no-pie")
	buildC(t, "secure.c", filepath.Join(host, "preload.so"), "-shared", "-fPIC", "-DPRELOAD")
	if err := syscall.Chmod(filepath.Join(host, "secure"), 0o4755); err != nil {
		t.Fatal(err)
	}
	env := "env LD_PRELOAD=" + guest + "/preload.so LD_LIBRARY_PATH=/nowhere KEPT=yes " + guest + "/secure"
	sameAsNative(t, root, []string{"/bin/sh", "-c",
		"setpriv --reuid 1000 --regid 1000 --clear-groups " + env + "; " + env},
		"secure=1 ruid=1000 euid=0 LD_PRELOAD=- LD_LIBRARY_PATH=- KEPT=yes\n")
}

// TestExecSwap: a thread swapping descriptors while its process execs a
// set-user-ID root program never gets another program run as root (the
// exec is checked at the exec event, and killed if it ran another file).
func TestExecSwap(t *testing.T) {
	root := needRootfs(t, "bookworm")
	host, guest := workDir(t, root, "execswap")
	buildC(t, "execswap.c", filepath.Join(host, "sid"), "-static")
	buildC(t, "execswap.c", filepath.Join(host, "evil"), "-static", "-DEVIL")
	if err := syscall.Chmod(filepath.Join(host, "sid"), 0o4755); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		r := runGuestFlags(t, root, []string{"--user", "1000:1000"},
			[]string{guest + "/evil", "race", guest + "/sid", guest + "/evil"}, "")
		if strings.Contains(r.Stdout, "EVIL") {
			t.Fatalf("another program ran in the set-user-ID exec:\n%s", r)
		}
	}
}

// TestMuslProgram runs a program of another C library, musl, linked
// dynamically, in a tree of its own (the program and musl's loader),
// natively and in the guest: its loader runs it as glibc's does.
func TestMuslProgram(t *testing.T) {
	needRootfs(t, "busybox")
	cc, err := exec.LookPath("musl-gcc")
	if err != nil {
		t.Skip("no musl-gcc (Debian's musl-tools)")
	}
	loader, err := filepath.EvalSymlinks("/lib/ld-musl-x86_64.so.1")
	if err != nil {
		t.Skip("no musl loader")
	}
	root := t.TempDir()
	for _, d := range []string{"bin", "lib", "tmp", "proc", "dev"} {
		if err := os.Mkdir(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(root, "tmp"), 0o1777); err != nil {
		t.Fatal(err)
	}
	src, _ := filepath.Abs(filepath.Join("testdata", "muslhello.c"))
	if out, err := exec.Command(cc, "-o", filepath.Join(root, "bin", "muslhello"), src).CombinedOutput(); err != nil {
		t.Fatalf("musl-gcc: %v\n%s", err, out)
	}
	b, err := os.ReadFile(loader)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "lib", "ld-musl-x86_64.so.1"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	sameAsNative(t, root, []string{"/bin/muslhello"}, "argv0=/bin/muslhello argc=1 exe=/bin/muslhello\nread back: musl\nargv0=again argc=2 exe=/bin/muslhello\nchild status 0\n")
}
