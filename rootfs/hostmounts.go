package rootfs

import (
	"bufio"
	"os"
	"path"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"vkernel/dirfs"
	"vkernel/sentry/vfs"
)

// The embedded default root exports the host's /, which spans several host
// filesystems. Served as one dirfs, they would share one st_dev while
// keeping their own inode numbers, which collide. So the host's mounts
// below / are mirrored as mounts of their own, read-only, each with its own
// device number, as `mount --rbind` would show them; the kernel's own
// filesystems and the places vkernel mounts itself are left out.

// skippedHostTypes are host filesystem types not mirrored: the kernel's
// interfaces to itself, which the guest has no business reading.
var skippedHostTypes = map[string]bool{
	"proc": true, "devtmpfs": true, "devpts": true, "mqueue": true, "tracefs": true,
	"debugfs": true, "securityfs": true, "bpf": true, "configfs": true, "fusectl": true,
	"pstore": true, "binfmt_misc": true, "autofs": true, "efivarfs": true, "hugetlbfs": true,
	"nsfs": true, "rpc_pipefs": true,
}

// ownMountPoints are where vkernel mounts its own filesystems on the
// default root; host mounts there and below are not mirrored.
var ownMountPoints = []string{"/proc", "/dev", "/tmp"}

// hostMount is one line of /proc/self/mountinfo.
type hostMount struct {
	point, fstype string
}

// hostMounts reads vkernel's mount table.
func hostMounts() []hostMount {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []hostMount
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		sep := -1
		for i, x := range fields {
			if x == "-" {
				sep = i
				break
			}
		}
		if len(fields) < 5 || sep < 0 || sep+1 >= len(fields) {
			continue
		}
		out = append(out, hostMount{point: unescapeMountinfo(fields[4]), fstype: fields[sep+1]})
	}
	return out
}

// unescapeMountinfo undoes the kernel's octal escapes (\040 for a space).
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// mirrorHostMounts mounts, read-only, each host filesystem mounted below
// the host's / at the same guest path.
func (b *builder) mirrorHostMounts() {
	for _, hm := range hostMounts() {
		p := path.Clean(hm.point)
		if p == "/" || skippedHostTypes[hm.fstype] || underOwn(p) {
			continue
		}
		fs, err := dirfs.New(p, dirfs.Options{ReadOnly: true})
		if err != nil {
			continue
		}
		at, err := b.v.Walk(b.ctx, b.root, p, vfs.MustBeDir)
		if err != nil {
			continue
		}
		b.v.MountAt(at, &hostRoot{fs}, unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV)
		at.DecRef()
	}
}

func underOwn(p string) bool {
	for _, o := range ownMountPoints {
		if p == o || strings.HasPrefix(p, o+"/") {
			return true
		}
	}
	return false
}
