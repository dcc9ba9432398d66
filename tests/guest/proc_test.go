package guest

import (
	"strings"
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
	argv := []string{"/bin/sh", "-c", script}
	n := runNative(t, root, argv, "")
	g := runGuest(t, root, argv, "")
	if !strings.Contains(n.Stdout, " /usr/bin/cat\n") || !strings.Contains(n.Stdout, "device: as stat") {
		t.Fatalf("native run:\n%s", n)
	}
	if n.Stdout != g.Stdout || n.Status != g.Status {
		t.Errorf("native:\n%s\nguest:\n%s", n, g)
	}
}
