package confine

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"vkernel/tests/harness"
)

// The busybox rootfs' /etc/hostname; the host's differs (checked below).
const guestHostname = "vkernel\n"

func checkHostnamesDiffer(t *testing.T) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(env.rootfs, "etc/hostname"))
	if err != nil || string(b) != guestHostname {
		t.Fatalf("busybox rootfs etc/hostname is %q (%v), want %q", b, err, guestHostname)
	}
	if h, _ := os.ReadFile("/etc/hostname"); string(h) == guestHostname {
		t.Skip("the host's /etc/hostname is the rootfs' own: cannot tell them apart")
	}
}

// TestSymlinks: absolute symlinks resolve in the guest's root, relative ones
// cannot climb out of it, whether the host path they name exists or not.
func TestSymlinks(t *testing.T) {
	need(t)
	checkHostnamesDiffer(t)
	host, g := fixture(t, "sym")
	secret := secretPath()
	symlink(t, "/etc/hostname", host+"/abs-hostname")
	symlink(t, secret, host+"/abs-secret")
	symlink(t, env.secret, host+"/abs-secretdir")
	symlink(t, strings.Repeat("../", 12), host+"/up")
	symlink(t, "../../"+filepath.Base(env.secret)+"/secret", host+"/rel-secret")
	symlink(t, filepath.Join(env.secret, "hostprobe"), host+"/abs-prog")
	run(t, nil, map[string]string{
		"read " + g + "/abs-hostname":                                q(guestHostname),
		"readlink " + g + "/abs-hostname":                            "ok /etc/hostname",
		"read " + g + "/abs-secret":                                  "ENOENT",
		"stat " + g + "/abs-secret":                                  "ENOENT",
		"ls " + g + "/abs-secretdir":                                 "ENOENT",
		"mkdir " + g + "/abs-secretdir/planted":                      "ENOENT",
		"read " + g + "/up/etc/hostname":                             q(guestHostname),
		"read " + g + "/up/" + filepath.Base(env.secret) + "/secret": "ENOENT",
		"read " + g + "/rel-secret":                                  "ENOENT",
		"exec " + g + "/abs-prog echo+ESCAPED":                       "ENOENT",
		"exec " + filepath.Join(env.secret, "hostprobe"):             "ENOENT",
	})
	checkNothingPlanted(t)
}

// checkNothingPlanted fails if the secret directory holds a name the tests
// did not put there.
func checkNothingPlanted(t *testing.T) {
	t.Helper()
	ents, err := os.ReadDir(env.secret)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		switch e.Name() {
		case "secret", "hostprobe", "share", "ro", "race", "lists":
		default:
			t.Errorf("ESCAPE: the guest created %s on the host", filepath.Join(env.secret, e.Name()))
		}
	}
	if b, err := os.ReadFile(secretPath()); err != nil || string(b) != env.marker+"\n" {
		t.Errorf("ESCAPE: the host's secret file changed: %q %v", b, err)
	}
}

// shareMount makes a host directory inside the secret directory, mounted at
// GUEST/mnt, holding etc/hostname (its own), an absolute and a relative
// symlink to it. `..` above its root, on the host, is the secret directory.
func shareMount(t *testing.T) (flags []string, gmnt string) {
	t.Helper()
	share := secretFixture(t, "share")
	writeFile(t, share+"/etc/hostname", "share-hostname\n")
	symlink(t, "/etc/hostname", share+"/abs")
	symlink(t, "etc/hostname", share+"/rel")
	host, g := fixture(t, "m")
	if err := os.Mkdir(host+"/mnt", 0o755); err != nil {
		t.Fatal(err)
	}
	return []string{"--mount", share + ":" + g + "/mnt"}, g + "/mnt"
}

// TestDotDot: `..` stops at the guest's root and crosses a mount's root to
// the directory it is mounted on, never to the host's parent.
func TestDotDot(t *testing.T) {
	need(t)
	checkHostnamesDiffer(t)
	flags, mnt := shareMount(t)
	sec := filepath.Base(env.secret)
	up := strings.Repeat("../", 10)
	run(t, flags, map[string]string{
		"read /../" + sec + "/secret":              "ENOENT",
		"read /../../../../" + sec + "/secret":     "ENOENT",
		"read /../etc/hostname":                    q(guestHostname),
		"read /../../../etc/hostname":              q(guestHostname),
		"stat /../" + sec:                          "ENOENT",
		"ls /../" + sec:                            "ENOENT",
		"creat /../" + sec + "/planted":            "ENOENT",
		"read " + mnt + "/etc/hostname":            q("share-hostname\n"),
		"read " + mnt + "/../secret":               "ENOENT",
		"read " + mnt + "/../../../secret":         "ENOENT",
		"read " + mnt + "/" + up + sec + "/secret": "ENOENT",
		"read " + mnt + "/" + up + "etc/hostname":  q(guestHostname),
		"ls " + mnt + "/..":                        "ok mnt",
		"stat " + mnt + "/../hostprobe":            "ENOENT",
		"exec " + mnt + "/../hostprobe":            "ENOENT",
		"read " + mnt + "/abs":                     q(guestHostname),
		"read " + mnt + "/rel":                     q("share-hostname\n"),
	})
	// A name made at mnt/.. lands in the guest's directory under the mount
	// point, on the rootfs, not beside the mount's host source.
	expect(t, probe(t, flags, "creat "+mnt+"/../planted"), map[string]string{"creat " + mnt + "/../planted": "ok"})
	if _, err := os.Stat(filepath.Join(env.base, "m", "planted")); err != nil {
		t.Errorf("creat mnt/../planted: not in the guest's tree: %v", err)
	}
	checkNothingPlanted(t)
}

// TestProcMagicLinks: /proc/self/root, /proc/self/cwd and /proc/self/fd/N
// lead into the guest's tree, and `..` after them stops at its root.
func TestProcMagicLinks(t *testing.T) {
	need(t)
	checkHostnamesDiffer(t)
	flags, mnt := shareMount(t)
	flags = append(flags, "--workdir", mnt)
	sec := filepath.Base(env.secret)
	up := strings.Repeat("../", 10)
	// One guest per operation: a handful of opens through these links in
	// one guest crashes vkernel today (TestCrashMagicLinkRefcount).
	runEach(t, flags, map[string]string{
		"readlink /proc/self/root":                               "ok /",
		"readlink /proc/self/cwd":                                "ok " + mnt,
		"read /proc/self/root/etc/hostname":                      q(guestHostname),
		"read /proc/self/root/../" + sec + "/secret":             "ENOENT",
		"read /proc/self/root/" + up + sec + "/secret":           "ENOENT",
		"read /proc/self/root/" + up + "etc/hostname":            q(guestHostname),
		"read /proc/self/cwd/etc/hostname":                       q("share-hostname\n"),
		"read /proc/self/cwd/../secret":                          "ENOENT",
		"read /proc/self/cwd/" + up + sec + "/secret":            "ENOENT",
		"read /proc/1/root/../" + sec + "/secret":                "!ok",
		"read /proc/self/cwd/" + up + "etc/hostname":             q(guestHostname),
		"fdpath " + mnt + " etc/hostname":                        q("share-hostname\n"),
		"fdpath " + mnt + " ../secret":                           "ENOENT",
		"fdpath " + mnt + " ../../../../secret":                  "ENOENT",
		"fdpath " + mnt + " " + up + sec + "/secret":             "ENOENT",
		"fdpath / ../" + sec + "/secret":                         "ENOENT",
		"fdpath / " + up + "etc/hostname":                        q(guestHostname),
		"read /proc/self/root/proc/self/root/../../etc/hostname": q(guestHostname),
	})
	checkNothingPlanted(t)
}

// TestDirfdOtherMount: a dirfd on a --mount followed by `..` climbs into the
// guest's tree, not the host directory the mount comes from.
func TestDirfdOtherMount(t *testing.T) {
	need(t)
	checkHostnamesDiffer(t)
	flags, mnt := shareMount(t)
	sec := filepath.Base(env.secret)
	run(t, flags, map[string]string{
		"openat " + mnt + " etc/hostname":                         q("share-hostname\n"),
		"openat " + mnt + " ../secret":                            "ENOENT",
		"openat " + mnt + " ../../../secret":                      "ENOENT",
		"openat " + mnt + " ../../../../../../" + sec + "/secret": "ENOENT",
		"openat " + mnt + " ../../../../../../etc/hostname":       q(guestHostname),
		"openat " + mnt + " abs":                                  q(guestHostname),
		"openat / ../" + sec + "/secret":                          "ENOENT",
		"openat /proc ../../" + sec + "/secret":                   "ENOENT",
		"openat /dev ../../etc/hostname":                          q(guestHostname),
	})
}

// TestOpenat2 checks every RESOLVE_* flag from a dirfd on a --mount.
func TestOpenat2(t *testing.T) {
	need(t)
	checkHostnamesDiffer(t)
	flags, mnt := shareMount(t)
	sec := filepath.Base(env.secret)
	base := filepath.Dir(mnt)
	share := q("share-hostname\n")
	want := map[string]string{
		"openat2 " + mnt + " etc/hostname none":              share,
		"openat2 " + mnt + " etc/hostname beneath":           share,
		"openat2 " + mnt + " etc/hostname inroot":            share,
		"openat2 " + mnt + " etc/hostname nosymlinks":        share,
		"openat2 " + mnt + " etc/hostname noxdev":            share,
		"openat2 " + mnt + " ../../../etc/hostname none":     q(guestHostname),
		"openat2 " + mnt + " ../../../etc/hostname beneath":  "EXDEV",
		"openat2 " + mnt + " ../../../etc/hostname inroot":   share,
		"openat2 " + mnt + " ../../../etc/hostname noxdev":   "EXDEV",
		"openat2 " + mnt + " /etc/hostname none":             q(guestHostname),
		"openat2 " + mnt + " /etc/hostname beneath":          "EXDEV",
		"openat2 " + mnt + " /etc/hostname inroot":           share,
		"openat2 " + mnt + " abs none":                       q(guestHostname),
		"openat2 " + mnt + " abs beneath":                    "EXDEV",
		"openat2 " + mnt + " abs inroot":                     share,
		"openat2 " + mnt + " abs nosymlinks":                 "ELOOP",
		"openat2 " + mnt + " rel nosymlinks":                 "ELOOP",
		"openat2 " + mnt + " rel beneath":                    share,
		"openat2 " + base + " mnt/etc/hostname none":         share,
		"openat2 " + base + " mnt/etc/hostname noxdev":       "EXDEV",
		"openat2 / proc/self/root/etc/hostname none":         q(guestHostname),
		"openat2 / proc/self/root/etc/hostname nomagiclinks": "ELOOP",
		"openat2 / proc/self/cwd/etc/hostname nomagiclinks":  "ELOOP",
		"openat2 /proc self/root/../" + sec + "/secret none": "ENOENT",
	}
	for _, fl := range []string{"none", "beneath", "inroot", "nosymlinks", "nomagiclinks", "noxdev",
		"beneath,nomagiclinks", "inroot,nosymlinks"} {
		want["openat2 "+mnt+" ../secret "+fl] = "!ok"
		want["openat2 "+mnt+" ../../../../../../"+sec+"/secret "+fl] = "!ok"
		want["openat2 / ../"+sec+"/secret "+fl] = "!ok"
		want["openat2 / "+env.secret+"/secret "+fl] = "!ok"
	}
	run(t, flags, want)
}

// TestRenameRace: while the guest opens a path through a directory, the host
// swaps that directory with symlinks (absolute and relative) to the secret
// directory as fast as it can. The guest must never see the secret: the
// symlinks it sees resolve in its own root.
func TestRenameRace(t *testing.T) {
	need(t)
	host, g := fixture(t, "race")
	writeFile(t, host+"/d/secret", "inside\n")
	writeFile(t, host+"/real/secret", "inside\n")
	symlink(t, env.secret, host+"/abs")
	symlink(t, strings.Repeat("../", 4)+filepath.Base(env.secret), host+"/rel")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var swaps atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		d := host + "/d"
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			// d alternates between a directory and each symlink; every
			// exchange is atomic, so d always exists.
			other := host + "/abs"
			if i%2 == 1 {
				other = host + "/rel"
			}
			if err := unix.Renameat2(unix.AT_FDCWD, d, unix.AT_FDCWD, other, unix.RENAME_EXCHANGE); err != nil {
				t.Errorf("exchange: %v", err)
				return
			}
			swaps.Add(1)
		}
	}()
	r := guest(t, env.rootfs, nil, env.probe,
		"race "+g+"/d/secret 1", "race "+g+"/d/../d/secret 0.5", "race /"+g+"/./d/secret 0.5")
	close(stop)
	wg.Wait()
	if r.Status != 0 {
		t.Fatalf("probe failed\n%s", r)
	}
	t.Logf("%d host swaps\n%s", swaps.Load(), r.Stdout)
	for _, line := range strings.Split(strings.TrimSpace(r.Stdout), "\n") {
		_, res, _ := strings.Cut(line, ": ")
		_, contents, ok := strings.Cut(res, "contents: ")
		if !ok {
			t.Errorf("bad race line %q", line)
			continue
		}
		for _, c := range strings.Fields(contents) {
			switch c {
			case `"inside\n"`, "ENOENT", "ENOTDIR", "ELOOP":
			default:
				t.Errorf("ESCAPE? the guest read %s through the swapped directory", c)
			}
		}
	}
	checkNothingPlanted(t)
}

// writeOps are the writing calls on a read-only tree holding file f, empty
// directory e and directory d with file d/g; each must fail with EROFS.
func writeOps(dir string) []string {
	return []string{
		"open " + dir + "/f wronly", "open " + dir + "/f rdwr", "open " + dir + "/f rdonly,trunc",
		"open " + dir + "/f wronly,append", "open " + dir + "/new wronly,creat",
		"open " + dir + "/new rdwr,creat,excl", "creat " + dir + "/f", "creat " + dir + "/new",
		"truncate " + dir + "/f", "mkdir " + dir + "/newdir", "mknod-blk " + dir + "/blk",
		"mknod-chr " + dir + "/chr", "mkfifo " + dir + "/fifo", "unlink " + dir + "/f",
		"unlink " + dir + "/d/g", "rmdir " + dir + "/e", "rename " + dir + "/f " + dir + "/f2",
		"rename " + dir + "/d " + dir + "/e", "link " + dir + "/f " + dir + "/f2",
		"symlink f " + dir + "/s", "chmod " + dir + "/f", "chmod " + dir + "/d",
		"chown " + dir + "/f", "utimes " + dir + "/f", "utimes " + dir + "/d",
		"setxattr " + dir + "/f", "removexattr " + dir + "/f",
	}
}

// roTree fills dir with the tree writeOps works on.
func roTree(t *testing.T, dir string) {
	t.Helper()
	writeFile(t, dir+"/f", "original\n")
	writeFile(t, dir+"/d/g", "original g\n")
	if err := os.Mkdir(dir+"/e", 0o755); err != nil {
		t.Fatal(err)
	}
	old := time.Unix(1_000_000_000, 0)
	for _, p := range []string{dir + "/f", dir + "/d/g", dir + "/d", dir + "/e"} {
		os.Chtimes(p, old, old)
	}
}

// treeState is a snapshot of dir plus what a snapshot leaves out and a
// writing call could change: mtimes, xattrs, inode flags.
func treeState(t *testing.T, dir string) []string {
	t.Helper()
	lines, err := harness.Snapshot(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"f", "d", "e", "d/g"} {
		path := filepath.Join(dir, p)
		var st unix.Stat_t
		if err := unix.Lstat(path, &st); err != nil {
			lines = append(lines, p+" "+err.Error())
			continue
		}
		sz, _ := unix.Listxattr(path, make([]byte, 1024))
		flags := "?"
		if fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK, 0); err == nil {
			if v, err := unix.IoctlGetInt(fd, unix.FS_IOC_GETFLAGS); err == nil {
				flags = fmt.Sprintf("%#x", v)
			}
			unix.Close(fd)
		}
		lines = append(lines, fmt.Sprintf("%s mtime=%d xattrs=%d flags=%s", p, st.Mtim.Sec, sz, flags))
	}
	return lines
}

func checkTreeUnchanged(t *testing.T, dir string, before []string) {
	t.Helper()
	after := treeState(t, dir)
	if strings.Join(before, "\n") != strings.Join(after, "\n") {
		t.Errorf("ESCAPE: the guest changed the read-only host tree %s\nbefore:\n%s\nafter:\n%s",
			dir, strings.Join(before, "\n"), strings.Join(after, "\n"))
	}
}

// TestReadOnlyMount: every writing call on a :ro mount fails with EROFS
// (EXDEV when it crosses mounts, as on Linux) and the host tree is unchanged.
func TestReadOnlyMount(t *testing.T) {
	need(t)
	src := secretFixture(t, "ro")
	roTree(t, src)
	before := treeState(t, src)
	host, g := fixture(t, "ro")
	os.Mkdir(host+"/mnt", 0o755)
	mnt := g + "/mnt"
	// g is on the rootfs' dirfs: another mount, read-write.
	ops := append([]string{"creat " + g + "/in", "mkdir " + g + "/indir"}, writeOps(mnt)...)
	ops = append(ops, "rename "+mnt+"/f "+g+"/out", "rename "+g+"/in "+mnt+"/in",
		"rename "+g+"/indir "+mnt+"/indir", "link "+g+"/in "+mnt+"/in", "link "+mnt+"/f "+g+"/lnk",
		"writefd "+mnt+"/f", "read "+mnt+"/f", "read "+mnt+"/d/g")
	got := probe(t, []string{"--mount", src + ":" + mnt + ":ro"}, ops...)
	want := map[string]string{
		"creat " + g + "/in": "ok", "mkdir " + g + "/indir": "ok",
		"rename " + mnt + "/f " + g + "/out": "EXDEV", "rename " + g + "/in " + mnt + "/in": "EXDEV",
		"rename " + g + "/indir " + mnt + "/indir": "EXDEV", "link " + g + "/in " + mnt + "/in": "EROFS",
		"link " + mnt + "/f " + g + "/lnk": "EXDEV",
		"writefd " + mnt + "/f":            "EBADF",
		"read " + mnt + "/f":               q("original\n"), "read " + mnt + "/d/g": q("original g\n"),
	}
	for _, op := range writeOps(mnt) {
		want[op] = "EROFS"
	}
	expect(t, got, want)
	checkTreeUnchanged(t, src, before)
}

// TestDefaultRootReadOnly: without --root the guest sees the host's / read
// only: every writing call fails and the host tree is untouched; /tmp is
// the guest's own.
func TestDefaultRootReadOnly(t *testing.T) {
	need(t)
	// Outside /tmp, which the guest does not share.
	src := filepath.Join(filepath.Dir(env.rootfs), fmt.Sprintf("confine-default-%d", os.Getpid()))
	os.RemoveAll(src)
	if err := os.Mkdir(src, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(src) })
	roTree(t, src)
	before := treeState(t, src)
	hostTmp := t.TempDir() // under the host's /tmp
	writeFile(t, hostTmp+"/host-only", "host tmp\n")
	name := fmt.Sprintf("vkconfine-%d", os.Getpid())
	probeHost := filepath.Join(env.base, "probe")
	want := map[string]string{
		"read " + src + "/f":                   q("original\n"),
		"stat " + hostTmp + "/host-only":       "ENOENT",
		"creat /tmp/" + name:                   "ok",
		"creat /" + name:                       "EROFS",
		"mkdir /etc/" + name:                   "EROFS",
		"writefd /etc/hostname":                "EBADF",
		"open " + probeHost + " wronly":        "!ok",
		"unlink " + probeHost:                  "EROFS",
		"rename " + probeHost + " /tmp/stolen": "EXDEV",
	}
	for _, op := range writeOps(src) {
		want[op] = "EROFS"
	}
	var ops []string
	for op := range want {
		ops = append(ops, op)
	}
	r := harness.RunGuest(env.bin, "", harness.Spec{Argv: append([]string{probeHost}, ops...)})
	got := probeLines(t, r)
	expect(t, got, want)
	checkTreeUnchanged(t, src, before)
	for _, p := range []string{"/tmp/" + name, "/" + name, "/etc/" + name} {
		if _, err := os.Lstat(p); err == nil {
			os.Remove(p)
			t.Errorf("ESCAPE: the guest's %s is on the host", p)
		}
	}
	if _, err := os.Stat(probeHost); err != nil {
		t.Errorf("ESCAPE: the guest removed the host's %s: %v", probeHost, err)
	}
}

// TestDevices: the guest can make no device node on a dirfs, and a host
// device node planted in its root does not open.
func TestDevices(t *testing.T) {
	need(t)
	host, g := fixture(t, "dev")
	var st unix.Stat_t
	if err := unix.Stat("/", &st); err != nil {
		t.Fatal(err)
	}
	// The host's root disk, and /dev/mem, /dev/kmsg, /dev/port.
	nodes := map[string]struct {
		mode uint32
		dev  uint64
	}{
		"disk": {unix.S_IFBLK, st.Dev},
		"mem":  {unix.S_IFCHR, unix.Mkdev(1, 1)},
		"port": {unix.S_IFCHR, unix.Mkdev(1, 4)},
		"kmsg": {unix.S_IFCHR, unix.Mkdev(1, 11)},
	}
	for name, n := range nodes {
		if err := unix.Mknod(host+"/"+name, n.mode|0o666, int(n.dev)); err != nil {
			t.Skipf("cannot plant device nodes: %v", err)
		}
	}
	want := map[string]string{
		"mknod-blk " + g + "/blk": "!ok", "mknod-chr " + g + "/chr": "!ok",
		"read " + g + "/disk": "!ok", "open " + g + "/disk rdwr": "!ok",
		"open " + g + "/disk rdonly": "!ok",
		"read " + g + "/mem":         "!ok", "read " + g + "/port": "!ok", "read " + g + "/kmsg": "!ok",
		"open " + g + "/kmsg wronly": "!ok",
	}
	run(t, nil, want)
	for _, name := range []string{"blk", "chr"} {
		if _, err := os.Lstat(host + "/" + name); err == nil {
			t.Errorf("ESCAPE: the guest made device node %s on the host", name)
		}
	}
}

// TestNoBypass: io_uring (which would bypass seccomp), ptrace,
// process_vm_readv and a seccomp listener of the guest's own all fail.
func TestNoBypass(t *testing.T) {
	need(t)
	run(t, nil, map[string]string{
		"iouring":  "ENOSYS",
		"ptrace 1": "!ok", "vmread 1": "!ok",
		// A listener of its own, answering CONTINUE, would run openat on the
		// host; the kernel allows one listener per filter chain.
		"seccomp-listener " + secretPath(): "!ok",
	})
	// The probe's ptrace of its own child, and a process_vm_readv of it.
	r := guest(t, env.rootfs, nil, "/bin/sh", "-c",
		"sleep 5 & p=$!; "+env.probe+" \"ptrace $p\" \"vmread $p\"; kill $p")
	if r.Status != 0 || strings.Count(r.Stdout, ": E") != 2 {
		t.Errorf("ptrace/process_vm_readv of a sibling: want two errors\n%s", r)
	}
}

// TestStackedSeccompExec: a guest-installed filter whose RET_TRACE for
// execve carries another datum than vkernel's wins the tie with vkernel's
// filter (the newest filter does); the exec must still be resolved in the
// guest's root.
func TestStackedSeccompExec(t *testing.T) {
	need(t)
	r := guest(t, env.rootfs, nil, env.probe,
		"seccomp-exec "+filepath.Join(env.secret, "hostprobe")+" echo+ESCAPED")
	if strings.Contains(r.Stdout, "echo ESCAPED: ESCAPED") {
		t.Fatalf("escape: a stacked seccomp filter returning SECCOMP_RET_TRACE with data != 1 for execve makes vkernel's tracer resume the exec natively (vkernel/exec.go execStop), so the host runs %s, outside the guest's root\n%s",
			filepath.Join(env.secret, "hostprobe"), r)
	}
	if want := "ENOENT"; !strings.Contains(r.Stdout, "exec "+want) {
		t.Errorf("want the exec to fail with %s\n%s", want, r)
	}
}

// TestHostProcesses: the guest sees only its own processes and can signal
// none of the host's, nor vkernel.
func TestHostProcesses(t *testing.T) {
	need(t)
	me := strconv.Itoa(os.Getpid())
	got := probe(t, nil, "pids", "stat /proc/"+me, "kill "+me+" 0", "kill "+me+" 9")
	expect(t, got, map[string]string{"stat /proc/" + me: "ENOENT", "kill " + me + " 0": "ESRCH", "kill " + me + " 9": "ESRCH"})
	pids := strings.Split(strings.TrimPrefix(got["pids"], "ok "), ",")
	if len(pids) == 0 || len(pids) > 3 {
		t.Errorf("guest /proc lists %v, want the guest's own one or two processes", pids)
	}
	for _, p := range pids {
		if p == me {
			t.Errorf("the guest sees the host's pid %s", me)
		}
	}
	// Signals to every process it can name, its init included: vkernel
	// stays up and reports the guest's status.
	r := guest(t, env.rootfs, nil, env.probe, "ignore-term", "kill -1 15", "kill -1 9",
		"kill 1 15", "kill 1 9", "kill 0 15", "echo alive")
	if r.Status != 0 || !strings.Contains(r.Stdout, "echo alive: alive") {
		t.Errorf("after the guest signalled everything, want status 0 and alive\n%s", r)
	}
	// A host sleep nearby survives a guest kill -1.
	cmd := startHost(t, "sleep", "30")
	r = guest(t, env.rootfs, nil, "/bin/sh", "-c", "kill -9 -1; kill -9 "+strconv.Itoa(cmd.Process.Pid)+"; echo done")
	if !strings.Contains(r.Stdout, "done") {
		t.Errorf("guest: %s", r)
	}
	time.Sleep(50 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Errorf("ESCAPE: the guest killed host process %d: %v", cmd.Process.Pid, err)
	}
}

// TestReadOnlyInodeFlags: FS_IOC_SETFLAGS on a descriptor opened read-only
// on a :ro mount, or on the default root (the host's / read-only), must not
// change the host inode's flags.
func TestReadOnlyInodeFlags(t *testing.T) {
	need(t)
	src := secretFixture(t, "ro")
	roTree(t, src)
	before := treeState(t, src)
	host, g := fixture(t, "ro")
	os.Mkdir(host+"/mnt", 0o755)
	mnt := g + "/mnt"
	got := probe(t, []string{"--mount", src + ":" + mnt + ":ro"}, "fsetflags "+mnt+"/f", "fsetflags "+mnt+"/d")
	after := treeState(t, src)
	if strings.Join(before, "\n") != strings.Join(after, "\n") {
		t.Fatalf("escape: ioctl(FS_IOC_SETFLAGS) runs natively on the host descriptor of a file on a :ro mount (or the default root) and changes the host inode's flags (guest sees %v)\nbefore:\n%s\nafter:\n%s",
			got, strings.Join(before, "\n"), strings.Join(after, "\n"))
	}
	expect(t, got, map[string]string{"fsetflags " + mnt + "/f": "EROFS", "fsetflags " + mnt + "/d": "EROFS"})
}

// TestCrashCreatDanglingSymlink: open(O_CREAT) through a dangling symlink
// whose target's directory does not exist is ENOENT, and vkernel survives.
func TestCrashCreatDanglingSymlink(t *testing.T) {
	need(t)
	host, g := fixture(t, "dangling")
	symlink(t, "/nonexistent-dir/file", host+"/abs")
	symlink(t, "../../"+filepath.Base(env.secret)+"/secret", host+"/rel")
	symlink(t, env.secret, host+"/absdir")
	for _, op := range []string{"open " + g + "/abs wronly,creat", "open " + g + "/rel wronly,creat",
		"creat " + g + "/abs", "creat " + g + "/absdir/planted"} {
		r := guest(t, env.rootfs, nil, env.probe, op, "echo alive")
		if r.Status != 0 || r.Stdout != op+": ENOENT\necho alive: alive\n" {
			t.Errorf("%s: want ENOENT and vkernel alive\n%s", op, r)
		}
	}
	checkNothingPlanted(t)
}

// TestCrashMagicLinkRefcount: opening files through /proc/self/root,
// /proc/self/cwd and /proc/self/fd/N many times keeps vkernel alive.
func TestCrashMagicLinkRefcount(t *testing.T) {
	need(t)
	checkHostnamesDiffer(t)
	for _, tc := range [][2]string{
		{"read /proc/self/root/etc/hostname", q(guestHostname)},
		{"read /proc/self/cwd/etc/hostname", q(guestHostname)},
		{"fdpath / etc/hostname", q(guestHostname)},
		{"fdpath /proc .", "EISDIR"},
		{"fdpath /proc/self ../../etc/hostname", q(guestHostname)},
	} {
		var ops []string
		want := ""
		for i := 0; i < 20; i++ {
			ops = append(ops, tc[0])
			want += tc[0] + ": " + tc[1] + "\n"
		}
		r := guest(t, env.rootfs, nil, append(append([]string{env.probe}, ops...), "echo alive")...)
		if want += "echo alive: alive\n"; r.Status != 0 || r.Stdout != want {
			t.Errorf("%s, 20 times: want %s each time and vkernel alive\n%s", tc[0], tc[1], r)
		}
	}
}

// TestHostProcessGroup: vkernel started in a host process group with a
// host process beside it: the guest's kill(0), renice and ionice of its
// own process group reach the guest's processes only.
func TestHostProcessGroup(t *testing.T) {
	need(t)
	if env.bookRFS == "" {
		t.Skip("needs the bookworm rootfs (renice, ionice)")
	}
	script := `sleep 30 >/dev/null 2>&1 & echo $!; exec ` + env.bin + ` run --root ` + env.bookRFS + ` -- /bin/sh -c '
renice -n 15 -g 0 >/dev/null; ionice -c 3 -P 0; kill -USR1 0; echo survived'`
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, _ := cmd.Output()
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	pid, err := strconv.Atoi(lines[0])
	if err != nil {
		t.Fatalf("output %q", out)
	}
	defer syscall.Kill(pid, syscall.SIGKILL)
	if err := syscall.Kill(pid, 0); err != nil {
		t.Errorf("ESCAPE: the guest's kill(0) killed host process %d", pid)
	}
	stat, err := os.ReadFile("/proc/" + lines[0] + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if f[16] != "0" {
		t.Errorf("ESCAPE: the guest reniced host process %d to %s", pid, f[16])
	}
	if prio, _, _ := syscall.Syscall(syscall.SYS_IOPRIO_GET, 1, uintptr(pid), 0); prio>>13 == 3 {
		t.Errorf("ESCAPE: the guest set host process %d's I/O class to idle", pid)
	}
}

// TestNetNoneSocketpair: under --net none, a socket pair a guest user
// makes (the sentry makes it, as the user) lives in the guest's network
// namespace: it cannot reach a host abstract socket.
func TestNetNoneSocketpair(t *testing.T) {
	need(t)
	if env.bookRFS == "" {
		t.Skip("needs the bookworm rootfs (perl, setpriv)")
	}
	name := fmt.Sprintf("vkernel-confine-%d", os.Getpid())
	l, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(l)
	if err := unix.Bind(l, &unix.SockaddrUnix{Name: "@" + name}); err != nil {
		t.Fatal(err)
	}
	script := `setpriv --reuid=1000 --regid=1000 --clear-groups perl -e 'use Socket;
socketpair(my $x, my $y, AF_UNIX, SOCK_DGRAM, 0) or die "socketpair: $!";
print send($y, "escaped", 0, pack_sockaddr_un("\0` + name + `")) ? "sent\n" : "refused\n"'`
	r := guest(t, env.bookRFS, []string{"--net", "none"}, "/bin/sh", "-c", script)
	if r.Stdout != "refused\n" {
		t.Errorf("a user's socket pair under --net none: %s", r)
	}
	buf := make([]byte, 16)
	if n, _, err := unix.Recvfrom(l, buf, unix.MSG_DONTWAIT); err == nil {
		t.Errorf("ESCAPE: the host's abstract socket received %q from the guest", buf[:n])
	}
}
