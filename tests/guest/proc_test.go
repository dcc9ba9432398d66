package guest

import (
	"os"
	"path/filepath"
	"testing"
)

// TestProcMaps: /proc/self/maps names mapped files by the paths the
// process sees (natively in a chroot, the paths below it; in the guest, the
// guest's, not the host's), with their inode numbers, and gives each the
// device number stat gives the file.
func TestProcMaps(t *testing.T) {
	root := needRootfs(t, "bookworm")
	script := `cat /proc/self/maps | awk '$6 ~ /^\// {print $5, $6}' | sort -u
m=$(cat /proc/self/maps | awk '$6 == "/usr/bin/cat" {print $4; exit}')
maps=$(printf '%x' $((0x${m%:*} * 256 + 0x${m#*:})))
st=$(printf '%x' 0x$(stat -c %D /usr/bin/cat))
[ "$maps" = "$st" ] && echo "device: as stat" || echo "device: maps $m, stat $st"
grep -c '^Size:' /proc/self/smaps >/dev/null && echo smaps`
	sameAsNative(t, root, []string{"/bin/sh", "-c", script}, "device: as stat")
}

// TestComm: a task's name is the base name of what it was run by (a
// symlink's, not its target's), PR_SET_NAME changes it (cut to 15 bytes),
// and prctl and /proc/self/comm agree, natively and in the guest, for a
// static and a dynamic program.
func TestComm(t *testing.T) {
	root := needRootfs(t, "bookworm")
	host, guest := workDir(t, root, "comm")
	for _, mode := range []string{"-static", "-no-pie"} {
		t.Run(mode, func(t *testing.T) {
			buildC(t, "comm.c", filepath.Join(host, "comm"), mode)
			os.Remove(filepath.Join(host, "alias"))
			if err := os.Symlink("comm", filepath.Join(host, "alias")); err != nil {
				t.Fatal(err)
			}
			sameAsNative(t, root, []string{"/bin/sh", "-c", "cd " + guest + " && ./comm && ./alias && cat /proc/$$/comm; true"},
				"exec: prctl=alias proc=alias")
		})
	}
}

// TestProcInit: under run, vkernel's init is the guest's pid 1 in /proc
// too, the program's parent, and shows nothing of vkernel's own
// descriptors or mappings.
func TestProcInit(t *testing.T) {
	root := needRootfs(t, "busybox")
	r := runGuest(t, root, []string{"/bin/sh", "-c",
		`cat /proc/1/comm; echo "ppid $PPID $(cut -d' ' -f4 /proc/$$/stat)"; ls /proc/1/fd | wc -l; wc -c < /proc/1/maps; ls -d /proc/[0-9]* | head -1`}, "")
	if want := "vkernel-init\nppid 1 1\n0\n0\n/proc/1\n"; r.Status != 0 || r.Stdout != want {
		t.Errorf("got %q, want %q\n%s", r.Stdout, want, r)
	}
}

// TestReopenedPipe: a pipe opened again through /proc/self/fd/N is the
// pipe, for fstat too.
func TestReopenedPipe(t *testing.T) {
	root := needRootfs(t, "bookworm")
	sameAsNative(t, root, []string{"/bin/sh", "-c",
		`exec 3</dev/stdin; perl -e 'open(F, "<&=3") or die; @s = stat(F); printf "%o\n", $s[2]'`}, "10600\n")
}

// TestProcMapsPrivate: another user cannot read a process's maps (Linux
// asks for ptrace access), its owner can.
func TestProcMapsPrivate(t *testing.T) {
	root := needRootfs(t, "bookworm")
	sameAsNative(t, root, []string{"/bin/sh", "-c", `sleep 100 & pid=$!
setpriv --reuid 1000 --regid 1000 --clear-groups cat /proc/$pid/maps >/dev/null 2>&1; echo "user: $?"
cat /proc/$pid/maps >/dev/null; echo "owner: $?"
kill $pid`}, "user: 1\nowner: 0\n")
}

// TestProcThreads runs testdata/threads.c natively and in the guest:
// /proc/self/task lists every thread, each task/<tid> is its own thread's
// (comm, stat, status), and /proc/thread-self is the caller's.
func TestProcThreads(t *testing.T) {
	root := needRootfs(t, "bookworm")
	host, guest := workDir(t, root, "threads")
	buildC(t, "threads.c", filepath.Join(host, "threads"), "-static", "-pthread")
	sameAsNative(t, root, []string{"/bin/sh", "-c", "cd " + guest + " && ./threads"}, `worker 0: thread-self is its own: yes
worker 1: thread-self is its own: yes
leader: thread-self is its own: yes
pthread_setname_np: 0, getname: renamed-1
leader: comm threads, stat pid is the tid: yes, status Pid/Tgid: yes
worker 0: comm worker-0, stat pid is the tid: yes, status Pid/Tgid: yes
worker 1: comm renamed-1, stat pid is the tid: yes, status Pid/Tgid: yes
threads: 3
/proc/<tid>: found, Pid/Tgid: yes, listed: no
`)
}

// TestProcOwnState: a process reading its own stat or status sees itself
// running (the sentry reads them while the reader waits for it), another
// process asleep as it is.
func TestProcOwnState(t *testing.T) {
	root := needRootfs(t, "bookworm")
	t.Run("comm", func(t *testing.T) {
		// Writing comm renames the process; another user may not open it.
		sameAsNative(t, root, []string{"/bin/sh", "-c", `printf renamed > /proc/$$/comm; cat /proc/$$/comm
sleep 2 & setpriv --reuid=1000 sh -c "printf x > /proc/$!/comm" 2>/dev/null || echo "other user: refused"; kill $!`}, "renamed\nother user: refused\n")
	})
	sameAsNative(t, root, []string{"/bin/sh", "-c", `cut -d' ' -f3 /proc/self/stat; grep State /proc/self/status
sleep 2 & sleep 0.3; cut -d' ' -f3 /proc/$!/stat; grep State /proc/$!/status; kill $!`}, "R\nState:\tR (running)\nS\nState:\tS (sleeping)\n")
}

// TestProcPathsFromRoot runs testdata/procroot.c natively and in the
// guest: after a chroot, /proc's links (exe, cwd, root, fd/N), maps and
// smaps, its own or another process's, and getcwd name a file under the
// reader's root from that root, and one outside it by its full path;
// mountinfo and mounts list no mount outside the process's root.
func TestProcPathsFromRoot(t *testing.T) {
	root := needRootfs(t, "bookworm")
	host, guest := workDir(t, root, "procroot")
	buildC(t, "procroot.c", filepath.Join(host, "procroot"), "-static")
	if err := os.MkdirAll(filepath.Join(host, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"sub/inside", "outside"} {
		if err := os.WriteFile(filepath.Join(host, f), []byte("data\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sameAsNative(t, root, []string{"/bin/sh", "-c", "cd " + guest + " && ./procroot"}, `before: self/exe -> /work/procroot/procroot
before: self/cwd -> /work/procroot
before: self/root -> /
before: self/fd/4 -> /work/procroot/sub/inside
before: self/fd/5 -> /work/procroot/outside
before: self/maps: /work/procroot/procroot
before: self/maps: /work/procroot/outside
before: self/maps: /work/procroot/sub/inside
before: self/smaps: /work/procroot/procroot
before: self/smaps: /work/procroot/outside
before: self/smaps: /work/procroot/sub/inside
before: getcwd: /work/procroot
chrooted, cwd outside: self/exe -> <old root>/work/procroot/procroot
chrooted, cwd outside: self/cwd -> <old root>/work/procroot
chrooted, cwd outside: self/root -> /
chrooted, cwd outside: self/fd/4 -> /inside
chrooted, cwd outside: self/fd/5 -> <old root>/work/procroot/outside
chrooted, cwd outside: self/maps: <old root>/work/procroot/procroot
chrooted, cwd outside: self/maps: <old root>/work/procroot/outside
chrooted, cwd outside: self/maps: /inside
chrooted, cwd outside: self/smaps: <old root>/work/procroot/procroot
chrooted, cwd outside: self/smaps: <old root>/work/procroot/outside
chrooted, cwd outside: self/smaps: /inside
chrooted, cwd outside: getcwd: No such file or directory
chrooted: self/exe -> <old root>/work/procroot/procroot
chrooted: self/cwd -> /
chrooted: self/root -> /
chrooted: self/fd/4 -> /inside
chrooted: self/fd/5 -> <old root>/work/procroot/outside
chrooted: self/maps: <old root>/work/procroot/procroot
chrooted: self/maps: <old root>/work/procroot/outside
chrooted: self/maps: /inside
chrooted: self/smaps: <old root>/work/procroot/procroot
chrooted: self/smaps: <old root>/work/procroot/outside
chrooted: self/smaps: /inside
chrooted: getcwd: /
chrooted: self/mountinfo: 0 lines
chrooted: self/mounts: 0 lines
chrooted, the child's: <pid>/exe -> <old root>/work/procroot/procroot
chrooted, the child's: <pid>/cwd -> <old root>/work/procroot
chrooted, the child's: <pid>/maps: <old root>/work/procroot/procroot
chrooted, the child's: <pid>/maps: <old root>/work/procroot/outside
chrooted, the child's: <pid>/maps: /inside
`)
}

// TestProcMapsSameDevice: a file mapped from a --mount directory on the
// same host device as the root, at a path the root has too, is named by
// its own mount in /proc/self/maps (each dirfs's host mount is a clone
// rooted at its directory, so the host shows both as /usr/bin/cat).
func TestProcMapsSameDevice(t *testing.T) {
	root := needRootfs(t, "bookworm")
	host, _ := workDir(t, root, "mapsdev")
	if err := os.MkdirAll(filepath.Join(host, "usr/bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "usr/bin/cat"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(host, "usr/bin/cat"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	r := runGuestFlags(t, root, []string{"--mount", host + ":/x"}, []string{"/bin/sh", "-c",
		`/x/usr/bin/cat /proc/self/maps | awk '$6 ~ /bin\/cat$/ {print $6}' | sort -u; cat /proc/self/maps | awk '$6 ~ /bin\/cat$/ {print $6}' | sort -u`}, "")
	if want := "/x/usr/bin/cat\n/usr/bin/cat\n"; r.Stdout != want || r.Status != 0 {
		t.Errorf("got %q, want %q\n%s", r.Stdout, want, r)
	}
}
