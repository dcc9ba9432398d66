package procfs

import (
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

// genMountinfo is /proc/<pid>/mountinfo.
func genMountinfo(n *node) ([]byte, error) {
	return mountinfo(n.fs.v, n.pr.p.Root()), nil
}

// genMounts is /proc/<pid>/mounts (and /proc/mounts through self).
func genMounts(n *node) ([]byte, error) {
	return mounts(n.fs.v, n.pr.p.Root()), nil
}

// visibleMount is a mount as a process with a given root sees it.
type visibleMount struct {
	m     *vfs.Mount
	point string // mount point, from the root
}

// visibleMounts returns the mounts of v reachable from root, in mount
// order, with their mount points; Linux's mountinfo skips the others
// (seq_path_root fails for them).
func visibleMounts(v *vfs.VFS, root vfs.VirtualDentry) []visibleMount {
	var ms []visibleMount
	for _, m := range v.Mounts() {
		point, ok := v.PathOf(root, v.Root(m))
		if !ok {
			continue
		}
		if m.Root.Deleted() {
			point = strings.TrimSuffix(point, " (deleted)")
		}
		ms = append(ms, visibleMount{m, point})
	}
	return ms
}

// mountinfo formats v's mounts seen from root as Linux's show_mountinfo:
//
//	ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS - FSTYPE SOURCE SUPEROPTS
//
// No optional fields: vkernel has no mount propagation. A mount without a
// parent is the namespace's root and is its own parent, as Linux shows it.
func mountinfo(v *vfs.VFS, root vfs.VirtualDentry) []byte {
	var b strings.Builder
	for _, vm := range visibleMounts(v, root) {
		m := vm.m
		parent := m.ID
		if m.Parent != nil {
			parent = m.Parent.ID
		}
		b.WriteString(strconv.Itoa(m.ID))
		b.WriteByte(' ')
		b.WriteString(strconv.Itoa(parent))
		b.WriteByte(' ')
		b.WriteString(strconv.FormatUint(uint64(unix.Major(m.Dev)), 10))
		b.WriteByte(':')
		b.WriteString(strconv.FormatUint(uint64(unix.Minor(m.Dev)), 10))
		for _, f := range []string{
			mangle(fsPath(v, m)),
			mangle(vm.point),
			mountOpts(m.Flags()),
			"-",
			mangle(m.FSType()),
			mangle(m.Source()),
			superOpts(m),
		} {
			b.WriteByte(' ')
			b.WriteString(f)
		}
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// mounts formats v's mounts seen from root as Linux's show_vfsmnt (the
// fstab format of /proc/mounts):
//
//	SOURCE MOUNTPOINT FSTYPE OPTS 0 0
//
// OPTS start with ro when the mount or its filesystem is read-only.
func mounts(v *vfs.VFS, root vfs.VirtualDentry) []byte {
	var b strings.Builder
	for _, vm := range visibleMounts(v, root) {
		m := vm.m
		flags := m.Flags()
		if m.ReadOnly() {
			flags |= unix.MS_RDONLY
		}
		opts := mountOpts(flags)
		if o := m.FSOptions(); o != "" {
			opts += "," + o
		}
		b.WriteString(mangle(m.Source()) + " " + mangle(vm.point) + " " + mangle(m.FSType()) + " " + opts + " 0 0\n")
	}
	return []byte(b.String())
}

// fsPath returns the path of m's root within its filesystem: "/" for a
// whole filesystem (or a nullfs), the directory for a bind mount.
func fsPath(v *vfs.VFS, m *vfs.Mount) string {
	p := v.RootPath(m)
	if m.Root.Deleted() {
		// Linux's d_path shows a deleted bind root this way in mountinfo.
		p += "//deleted"
	}
	return p
}

// mountFlags are the per-mount flags shown, in Linux's show_mnt_opts order.
var mountFlags = []struct {
	flag uint64
	name string
}{
	{unix.MS_NOSUID, "nosuid"},
	{unix.MS_NODEV, "nodev"},
	{unix.MS_NOEXEC, "noexec"},
	{unix.MS_NOATIME, "noatime"},
	{unix.MS_NODIRATIME, "nodiratime"},
	{unix.MS_RELATIME, "relatime"},
	{unix.MS_NOSYMFOLLOW, "nosymfollow"},
}

// mountOpts returns the per-mount options of flags ("rw,nosuid,relatime").
func mountOpts(flags uint64) string {
	s := "rw"
	if flags&unix.MS_RDONLY != 0 {
		s = "ro"
	}
	for _, f := range mountFlags {
		if flags&f.flag != 0 {
			s += "," + f.name
		}
	}
	return s
}

// superOpts returns the super options of m's filesystem ("rw,size=64m"):
// ro when the filesystem as a whole is read-only.
func superOpts(m *vfs.Mount) string {
	s := "rw"
	if m.SuperReadOnly() {
		s = "ro"
	}
	if o := m.FSOptions(); o != "" {
		return s + "," + o
	}
	return s
}

// mangle escapes space, tab, newline and backslash as octal, as Linux's
// mangle() and seq_path do for /proc/mounts and mountinfo.
func mangle(s string) string {
	if !strings.ContainsAny(s, " \t\n\\") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ' ', '\t', '\n', '\\':
			b.WriteByte('\\')
			b.WriteByte('0' + c>>6)
			b.WriteByte('0' + c>>3&7)
			b.WriteByte('0' + c&7)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
