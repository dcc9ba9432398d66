package guest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// mountHelpers define, for the scripts below, m SRC TARGET TYPE FLAGS
// (mount(2)) and u TARGET FLAGS (umount2(2)), each printing the call and
// its errno (strerror) or "ok"; mi prints root, mount point (relative to
// the work dir), type and source of the mounts below the work dir, from
// /proc/self/mountinfo.
const mountHelpers = `
m() { perl -e 'my ($s, $d, $t, $f) = @ARGV; print "mount $s $d $t $f: ", (syscall(165, $s, $d, $t, $f + 0, 0) == -1 ? $! : "ok"), "\n"' "$@"; }
u() { perl -e 'my ($d, $f) = @ARGV; print "umount2 $d $f: ", (syscall(166, $d, $f + 0) == -1 ? $! : "ok"), "\n"' "$@"; }
r() { "$@"; echo "$1 $2 -> $?"; }
mi() { awk -v d="$PWD/" 'index($5, d) == 1 { print $4, substr($5, length(d) + 1), $(NF-2), $(NF-1) }' /proc/self/mountinfo; }
`

// mountDiffCases are differential cases (see diffCase) for the mount
// semantics of issue 3 that the "mounts" case leaves out, each errno checked
// exactly through perl's syscall(). Flags: MS_RDONLY 1, MS_REMOUNT 32,
// MS_BIND 4096, MS_MOVE 8192; MNT_DETACH 2.
var mountDiffCases = []diffCase{
	{name: "mount-errno", script: mountHelpers + `
mkdir a b d; : > file
m none nonexistent tmpfs 0
m d file none 4096
m file d none 4096
u d 0
u file 0
u nonexistent 0
m d a none 8192
m none a none 32
# Only CAP_SYS_ADMIN mounts: a user, and root without it, are refused.
mount -t tmpfs t a
setpriv --reuid=1000 --regid=1000 --clear-groups bash -c "$(declare -f m u); m t b tmpfs 0; m d b none 4096; u a 0; u a 2"
setpriv --bounding-set=-sys_admin bash -c "$(declare -f m u); m t b tmpfs 0; u a 0"
umount a
# EROFS on a read-only mount, ENOSPC on a full sized tmpfs.
mount -t tmpfs -o ro t a
perl -e 'open(F, ">", "a/x") or print "create: $!\n"; mkdir("a/y") or print "mkdir: $!\n"'
umount a
mount -t tmpfs -o size=16k t b
perl -e 'open(F, ">", "b/big") or die "$!"; my $b = "x" x 4096;
  for my $i (1 .. 8) { defined syswrite(F, $b) or do { print "write $i: $!\n"; last } }
  close F; print "size ", -s "b/big", "\n"; open(G, ">", "b/more") and print "create when full: ok\n"'
umount b
`},
	// Old callers' magic number in the flags (MS_MGC_VAL, 0xC0ED0000) is
	// ignored; a procfs file is no mount point (EINVAL... or as Linux).
	{name: "mount-magic-and-procfs", script: mountHelpers + `
mkdir a
m t a tmpfs 3236757504
mi
u a 0
m t /proc/self/comm tmpfs 0
m t /proc/version tmpfs 0
m /proc/version a none 4096
mi
u a 0
`},
	{name: "mount-busy", script: mountHelpers + `
mkdir a
mount -t tmpfs t a; echo kept > a/f; mkdir a/s
(cd a && u ../a 0)
(cd a/s && u ../../a 0)
exec 7< a/f; u a 0; exec 7<&-
mount -t tmpfs t2 a/s
u a 0
u a/s 0
u a 0
# MNT_DETACH takes it all the same, submounts too; what is open stays usable.
mount -t tmpfs t a; echo kept > a/f; mkdir a/s; mount -t tmpfs t2 a/s; echo sub > a/s/g
exec 7< a/f
(cd a && u ../a 2 && cat f && { [ -e s/g ] || echo submount-detached-too; })
cat <&7; exec 7<&-
ls -A a | wc -l; mi
# Remounting read-only is EBUSY while a file is open for writing.
mount -t tmpfs t a
exec 8> a/w; m none a none 33; exec 8>&-
exec 8< a/w; m none a none 33; exec 8<&-
perl -e 'open(F, ">>", "a/w") or print "append: $!\n"'
m none a none 32
echo rw-again > a/w; cat a/w
umount a
`},
	{name: "mount-move", script: mountHelpers + `
mkdir a b c
mount -t tmpfs t a; echo f > a/f; mkdir a/s a/x; mount -t tmpfs t2 a/s; echo g > a/s/g
r mount --move a b
ls -A a | wc -l; cat b/f b/s/g
mi
m c a none 8192
m b b/x none 8192
m b nonexistent none 8192
u b 0
u b/s 0
u b 0
mi
# A mount in use moves all the same; the cwd inside follows it.
mount -t tmpfs t a; mkdir a/in
(cd a/in && mount --move ../../a ../../b && /bin/pwd && perl -MCwd -e 'print getcwd(), "\n"')
ls -A a | wc -l; ls b
umount b
`},
	{name: "mount-rbind", script: mountHelpers + `
mkdir -p src/s1 src/s2 b c
mount -t tmpfs t1 src/s1; echo one > src/s1/f
mount -t tmpfs t2 src/s2; mkdir src/s2/deep; mount -t tmpfs t3 src/s2/deep; echo deep > src/s2/deep/g
r mount --rbind src b
cat b/s1/f b/s2/deep/g
r mount --bind src c
ls -A c/s1 c/s2 | wc -l
# (the binds' roots are the host's directory natively: their type and
# source are left out)
mi | awk '$3 == "tmpfs" { print; next } { print $2 }'
# The copies are mounts of their own.
mount -t tmpfs t4 b/s1; ls src/s1; ls -A b/s1 | wc -l
r umount b/s1
u b 0
r umount c
r umount -R b
ls -A b | wc -l; cat src/s2/deep/g
umount -R src/s2; umount src/s1
mi
`},
	{name: "mount-getcwd", script: mountHelpers + `
mkdir -p src/x/y b
mount --bind src b
cd b/x/y
pwd -P; /bin/pwd; perl -MCwd -e 'print getcwd(), "\n"'; readlink /proc/self/cwd
mount -t tmpfs t ../../x; cd ../../x; /bin/pwd; cd ..
umount x; cd ..
umount b
`},
	{name: "mount-shared-table", script: mountHelpers + `
mkdir a b; mkfifo go back
# A process already running sees a mount made after it started, and the
# other way round: one mount table for all.
sh -c 'read x < go; cat a/f; grep -c " $PWD/a " /proc/self/mounts
  mount -t tmpfs t2 b && echo from-child > b/g; echo > back
  read x < go; ls -A a | wc -l; echo > back' &
mount -t tmpfs t a; echo from-parent > a/f
echo > go; read x < back
cat b/g; grep -c " $PWD/b " /proc/self/mounts
umount a; echo > go; read x < back
wait
umount b
`},
}

// TestMountDifferential runs mountDiffCases natively (root in a private
// mount namespace) and in the guest and compares.
func TestMountDifferential(t *testing.T) {
	needBin(t)
	needNative(t)
	runDiffCases(t, mountDiffCases, "native", "guest", runNative, runGuest)
}

// TestMountDifferentialDeterminism runs mountDiffCases natively twice, as
// TestDifferentialDeterminism does for diffCases.
func TestMountDifferentialDeterminism(t *testing.T) {
	needNative(t)
	runDiffCases(t, mountDiffCases, "native", "again", runNative, runNative)
}

// TestMountCaseNames: mountDiffCases' work dirs are apart from diffCases'.
func TestMountCaseNames(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range append(append([]diffCase{}, diffCases...), mountDiffCases...) {
		if seen[c.name] || c.name != filepath.Base(c.name) || strings.ContainsAny(c.name, " /") {
			t.Errorf("bad or duplicate case name %q", c.name)
		}
		seen[c.name] = true
	}
}

// TestMountGuestOnly checks what Linux cannot be the reference for: nullfs
// (getcwd inside it), devfs, the EPERM of an unshared dirfs source.
func TestMountGuestOnly(t *testing.T) {
	root := needRootfs(t, "bookworm")
	_, guest := workDir(t, root, "mount-guest-only")
	share := t.TempDir()
	outside := t.TempDir()
	os.Symlink(outside, filepath.Join(share, "escape"))
	script := mountHelpers + `
cd ` + guest + `
mkdir a b c d
m /etc b dirfs 0
m ` + share + `/escape b dirfs 0
m ` + share + `/nonexistent b dirfs 0
# getcwd inside a nullfs, and inside a mount on it
mount -t nullfs /usr/share/doc d
cd d/adduser && pwd -P && /bin/pwd && perl -MCwd -e 'print getcwd(), "\n"' && readlink /proc/self/cwd
cd ` + guest + `
mount -t tmpfs t d/adduser; cd d/adduser; /bin/pwd; cd ` + guest + `
umount d/adduser; umount d
# devfs (devtmpfs its alias) and proc as mountable types
mount -t devfs devfs a && [ -c a/null ] && echo x > a/null && head -c 4 a/zero | od -An -tx1
mount -t devtmpfs dt b && [ -c b/zero ] && echo devtmpfs-zero
mount -t proc proc c && perl -e 'print readlink("c/self") == $$ ? "proc-self\n" : "not self\n"'
mi
umount a b c
mi
`
	r := runGuestFlags(t, root, []string{"--share", share}, []string{"/bin/bash", "-c", script}, "")
	d := guest + "/d/adduser\n"
	want := "mount /etc b dirfs 0: Operation not permitted\n" +
		"mount " + share + "/escape b dirfs 0: Operation not permitted\n" +
		"mount " + share + "/nonexistent b dirfs 0: No such file or directory\n" +
		strings.Repeat(d, 5) +
		" 00 00 00 00\ndevtmpfs-zero\nproc-self\n" +
		"/ a devfs devfs\n/ b devtmpfs dt\n/ c proc proc\n"
	if r.Stdout != want || r.Status != 0 {
		t.Errorf("got status %d\n%s\nwant stdout:\n%s", r.Status, r, want)
	}
}

// TestMountUnprivileged: a guest run as --user 1000:1000 (no capability)
// may neither mount (tmpfs, a shared dirfs, a bind, a remount) nor
// unmount (plain or MNT_DETACH): EPERM each; mount(8) and umount(8) fail.
func TestMountUnprivileged(t *testing.T) {
	root := needRootfs(t, "bookworm")
	share := t.TempDir()
	script := mountHelpers + `
m t /tmp tmpfs 0
m ` + share + ` /tmp dirfs 0
m /usr /tmp none 4096
m none /mnt none 33
u /mnt 0
u /mnt 2
mount -t tmpfs t /tmp 2>/dev/null; echo "mount $?"
umount /mnt 2>/dev/null; echo "umount $?"
grep -c " /mnt tmpfs " /proc/mounts
`
	want := "mount t /tmp tmpfs 0: Operation not permitted\n" +
		"mount " + share + " /tmp dirfs 0: Operation not permitted\n" +
		"mount /usr /tmp none 4096: Operation not permitted\n" +
		"mount none /mnt none 33: Operation not permitted\n" +
		"umount2 /mnt 0: Operation not permitted\n" +
		"umount2 /mnt 2: Operation not permitted\n" +
		"mount 32\numount 32\n1\n"
	r := runGuestFlags(t, root, []string{"--user", "1000:1000", "--share", share, "--tmpfs", "/mnt"},
		[]string{"/bin/bash", "-c", script}, "")
	if r.Stdout != want || r.Status != 0 {
		t.Errorf("got status %d\n%s\nwant stdout:\n%s", r.Status, r, want)
	}
}
