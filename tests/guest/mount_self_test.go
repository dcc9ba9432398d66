package guest

import (
	"strings"
	"testing"
	"time"

	"vkernel/tests/harness"
)

// selfBindHelpers define, for busybox sh, mi: the mounts below the work
// dir from /proc/self/mountinfo, in its order, each as "N PARENT POINT
// SOURCE": N its index among those listed, PARENT the parent's index (^
// for a mount outside the listing), POINT relative to the work dir,
// SOURCE the test's own tmpfs sources (t1, t2, ...) and "-" for the
// others (a bind of the work dir shows the host's filesystem natively).
// Mounts under a proc or dev directory are left out: a copy of / holds
// the host's /dev natively, vkernel's devfs in the guest.
const selfBindHelpers = `
mi() { awk -v d="$PWD/" '
  { id[$1] = "^" }
  index($5, d) == 1 {
    p = substr($5, length(d) + 1)
    if (p ~ /(^|\/)(proc|dev)(\/|$)/) next
    src = $(NF-1); if (src !~ /^t[0-9]+$/) src = "-"
    par = ($2 in id) ? id[$2] : "^"
    id[$1] = n + 0; print n++ + 0, par, p, src
  }' /proc/self/mountinfo; echo; }
r() { "$@"; echo "$* -> $?"; }
tree() { mkdir -p a b; mount -t tmpfs t1 a; mkdir -p a/s a/x; mount -t tmpfs t2 a/s; mkdir a/s/d; mount -t tmpfs t3 a/s/d; }
`

// selfBindCases bind a tree over itself and over a directory inside it:
// Linux copies the source tree as it was before attaching (copy_tree,
// then attach_recursive_mnt), once, and the copy goes on the topmost
// mount at the target. Each bind is followed by served calls (ls, a
// second process reading mountinfo) and undone with umount -l.
var selfBindCases = []diffCase{
	{name: "bind-self", rootfs: "busybox", script: selfBindHelpers + `
tree
r mount --rbind a a; ls a; mi
r mount --rbind a a; mi
r umount -l a; r umount -l a; mi
r mount --bind a a; ls -A a/s | wc -l; mi
r umount a; mi
r mount --rbind a/s a/s; mi
r umount -l a/s; mi
`},
	{name: "bind-parent-on-child", rootfs: "busybox", script: selfBindHelpers + `
tree
r mount --rbind a a/s; ls a/s a/s/s; mi
r umount a/s; r umount -l a/s; mi
r mount --rbind a a/s/d; ls a/s/d/s; mi
r umount -l a/s/d; mi
r mount --bind a a/x; ls -A a/x/s | wc -l; mi
r umount a/x
r mount --rbind . b; ls b/a/s/d; mi
r mount --rbind . a/s; mi
r umount -l a/s; r umount -l b; mi
`},
	{name: "bind-root", rootfs: "busybox", script: selfBindHelpers + `
tree
r mount --rbind / /; ls /; mi
r mount --rbind / b; ls "b$PWD"; mi
r umount -l b; mi
r umount -l b; r umount -l /; mi
r mount --bind / /; mi
r umount /; mi
r mount --rbind /usr b; r mount --rbind /usr /usr/bin; ls /usr/bin/bin >/dev/null; mi
r umount -l /usr/bin; r umount -l b; mi
`},
}

// TestBindSelfDifferential runs selfBindCases natively (root in a private
// mount namespace) and in the guest and compares.
func TestBindSelfDifferential(t *testing.T) {
	needBin(t)
	needNative(t)
	runDiffCases(t, selfBindCases, "native", "guest", runNative, runGuest)
}

// TestBindSelfDeterminism runs selfBindCases natively twice.
func TestBindSelfDeterminism(t *testing.T) {
	needNative(t)
	runDiffCases(t, selfBindCases, "native", "again", runNative, runNative)
}

// TestBindSelfReturns: on vkernel's own initial tree (/proc, /dev, ...),
// binds of / over / and /mnt, of /tmp over itself and of /usr over
// /usr/share return at once with the tree copied once (Linux's result:
// N mounts become 2N for a copy of /, the --tmpfs at /mnt included, N+1
// for a directory with nothing mounted below it), and a second guest
// process is served right after.
func TestBindSelfReturns(t *testing.T) {
	bin := needBin(t)
	script := `
n() { grep -c . /proc/self/mountinfo; }
N=$(n)
for b in "/ /" "/ /mnt" "/tmp /tmp" "/usr /usr/share"; do
  set -- $b
  mount --rbind $1 $2 || echo "rbind $b failed"
  echo "$b $(( $(n) - N ))"
  sh -c 'ls / >/dev/null && echo served' || echo "not served"
  umount -l $2 || echo "umount -l $2 failed"
  [ "$(n)" = "$N" ] || echo "after umount -l $2: $(n) mounts, want $N"
done
echo "N $N"
`
	start := time.Now()
	r := harness.RunGuest(bin, "", harness.Spec{
		Argv:    []string{"/bin/sh", "-c", script},
		Flags:   []string{"--tmpfs", "/mnt"},
		Timeout: 30 * time.Second,
	})
	if r.Err != nil || r.TimedOut {
		t.Fatalf("guest did not finish (%v, timed out %v) in %v\n%s", r.Err, r.TimedOut, time.Since(start), r)
	}
	ls := lines(r.Stdout)
	if len(ls) == 0 || !strings.HasPrefix(ls[len(ls)-1], "N ") {
		t.Fatalf("no mount count:\n%s", r)
	}
	n := strings.TrimPrefix(ls[len(ls)-1], "N ")
	want := "/ / " + n + "\nserved\n/ /mnt " + n + "\nserved\n/tmp /tmp 1\nserved\n/usr /usr/share 1\nserved\nN " + n + "\n"
	if r.Stdout != want || r.Status != 0 {
		t.Errorf("got status %d\n%s\nwant stdout:\n%s", r.Status, r, want)
	}
}
