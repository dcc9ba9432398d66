package guest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMountInGuest drives mount(2) and umount2(2) from the guest's own
// mount(8), df and findmnt, with the errors issue by issue.
func TestMountInGuest(t *testing.T) {
	root := needRootfs(t, "bookworm")
	_, guest := workDir(t, root, "mount")
	share := t.TempDir()
	if err := os.MkdirAll(filepath.Join(share, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(share, "sub", "f"), []byte("shared\n"), 0o644)
	outside := t.TempDir()
	os.Symlink(outside, filepath.Join(share, "escape"))
	script := `
cd ` + guest + `
mkdir a b c d file-dir; : > file
e() { "$@" 2>/dev/null; echo "$1 $?"; }
# dirfs of a shared directory, seen by mount and df.
mount -t dirfs ` + share + `/sub a && cat a/f
mount | grep -c "dirfs@` + share + `/sub on ` + guest + `/a type dirfs"
df a | tail -1 | awk '{print $1}'
# errors
e mount -t dirfs /etc b                      # unshared: EPERM
e mount -t dirfs ` + share + `/escape b       # symlink out of the share: EPERM
e mount -t bogusfs none b                    # ENODEV
e mount -t tmpfs none nonexistent            # ENOENT
e mount --bind c file                        # dir on file: ENOTDIR
e umount c                                   # not a mount: EINVAL
# busy: a cwd inside, then an open descriptor
(cd a && umount ../a 2>/dev/null; echo "cwd-busy $?")
exec 7< a/f; e umount a; exec 7<&-
e umount a
# tmpfs with options; ro remount; remount with a writer open
mount -t tmpfs -o size=64k,mode=0700 tmpfs c && stat -c %a c
echo x > c/w
exec 8>> c/w; e mount -o remount,ro c; exec 8>&-
mount -o remount,ro c && { { echo y > c/w2; } 2>/dev/null; echo "ro-write $?"; }
mount -o remount,rw c && echo z > c/w3 && echo rw-again
umount c
# nullfs and bind: a virtual copy with its own device number
mount -t nullfs /usr/share/doc d
[ "$(stat -c %d d)" != "$(stat -c %d /usr/share/doc)" ] && echo own-dev
ls d | head -1 >/dev/null && echo listed
mkdir -p /tmp/inner; mount -t tmpfs t d/` + "`ls /usr/share/doc | head -1`" + ` 2>/dev/null; echo "submount $?"
ls /usr/share/doc/` + "`ls /usr/share/doc | head -1`" + ` >/dev/null && echo original-untouched
umount -l d; echo "lazy $?"
mount --bind -o ro /usr/share b 2>/dev/null; mount -o remount,bind,ro b; touch b/x 2>/dev/null; echo "ro-bind $?"
touch /usr/share/vk-ro-test && echo original-rw && rm /usr/share/vk-ro-test
umount b
cat /proc/self/mountinfo | awk '{print $5, $9}' | grep -c "^/ dirfs"
# nullfs is a filesystem of its own over a directory (type nullfs, the
# directory as its source, / as its root), so util-linux's mount -a finds
# an fstab entry of it mounted and does not mount it twice; a bind shows
# the original's type and source, and its root within that filesystem.
printf '/usr/share/doc %s nullfs defaults 0 0\nmytmp %s tmpfs size=1m 0 0\n' "$PWD/d" "$PWD/c" > fstab
mount -a -T fstab && mount -a -T fstab && echo "mount -a twice"
awk -v d="$PWD/" 'index($5, d) == 1 { print $4, substr($5, length(d) + 1), $(NF-2), $(NF-1), $NF }' /proc/self/mountinfo
mount --bind d/adduser b && awk -v d="$PWD/b" '$5 == d { print $4, $(NF-2), $(NF-1) }' /proc/self/mountinfo
umount b
# A nullfs read-only as a whole leaves what it lies over writable.
mount -o remount,ro d; touch d/x 2>/dev/null; echo "ro-nullfs $?"
touch /usr/share/doc/vk-null-test && echo lower-rw && rm /usr/share/doc/vk-null-test
umount d c
`
	r := runGuestFlags(t, root, []string{"--share", share}, []string{"/bin/bash", "-c", script}, "")
	want := strings.Join([]string{
		"shared", "1", "dirfs@" + share + "/sub",
		"mount 32", "mount 32", "mount 32", "mount 32", "mount 32", "umount 32",
		"cwd-busy 32", "umount 32", "umount 0",
		"700", "mount 32", "ro-write 1", "rw-again",
		"own-dev", "listed", "submount 0", "original-untouched", "lazy 0",
		"ro-bind 1", "original-rw", "1",
		"mount -a twice", "/ d nullfs /usr/share/doc rw", "/ c tmpfs mytmp rw,size=1024k",
		"/adduser nullfs /usr/share/doc",
		"ro-nullfs 1", "lower-rw",
	}, "\n") + "\n"
	if r.Stdout != want || r.Status != 0 {
		t.Errorf("got status %d\n%s\nwant stdout:\n%s", r.Status, r, want)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("the guest wrote outside the share: %v", entries)
	}
}
