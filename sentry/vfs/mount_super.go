package vfs

import (
	"strings"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// superBlock is what the mounts of one filesystem share, analogous to
// Linux's struct super_block: whether the filesystem as a whole is
// read-only (a remount without MS_BIND changes it for every mount of the
// filesystem, binds included), and the root mountinfo's root field is
// relative to. A filesystem has one, made at its first mount; a bind
// mount shares its source's; a nullfs mount has its own, layered over
// the one of what it shows.
type superBlock struct {
	// root is the dentry mountinfo paths start from: the filesystem's
	// root, or the directory a nullfs shows. Immutable.
	root *Dentry
	// typ is the type shown for a nullfs ("nullfs"); "" shows the
	// Filesystem's Type. Immutable.
	typ string
	// lower is the superblock a nullfs lies over: what the nullfs holds
	// is stored there, so it is read-only when lower is. nil for a
	// filesystem's own. Immutable.
	lower *superBlock
	// readOnly is SB_RDONLY.
	readOnly atomic.Bool
}

// isReadOnly reports whether sb, or one it lies over, is read-only.
func (sb *superBlock) isReadOnly() bool {
	for ; sb != nil; sb = sb.lower {
		if sb.readOnly.Load() {
			return true
		}
	}
	return false
}

// Reconfigurer is implemented by a Filesystem whose own options a remount
// can change, as Linux's fs_context_operations.reconfigure: tmpfs's size
// and nr_inodes.
type Reconfigurer interface {
	// Reconfigure applies the options of data (mount(2)'s data, "a=b,c")
	// or fails, changing nothing, with the errno for the guest.
	Reconfigure(data string) error
}

// SuperReadOnly reports whether m's filesystem is read-only as a whole
// (SB_RDONLY): mount -o ro or a remount without MS_BIND made it so, for
// all its mounts. A nullfs's is also read-only when what it lies over is.
func (m *Mount) SuperReadOnly() bool { return m.sb != nil && m.sb.isReadOnly() }

// SetSuperReadOnly makes m's filesystem read-only or writable as a whole,
// for all its mounts (a remount without MS_BIND). A nullfs changes its
// own superblock only: what it lies over stays as it is.
func (m *Mount) SetSuperReadOnly(ro bool) {
	if m.sb != nil {
		m.sb.readOnly.Store(ro)
	}
}

// Reconfigure applies a remount's filesystem options (mount(2)'s data)
// to m's filesystem, if it has any it can change (Reconfigurer); a nullfs
// has none, and never reconfigures what it lies over.
func (m *Mount) Reconfigure(data string) error {
	if m.sb != nil && m.sb.lower != nil {
		return nil
	}
	if r, ok := m.FS.(Reconfigurer); ok {
		return r.Reconfigure(data)
	}
	return nil
}

// StoresIn reports whether what m shows is stored in o's filesystem: m
// shares o's superblock (a bind, another mount of it) or is a nullfs
// layered over it. A remount read-only of o's filesystem is busy while a
// file is open for writing through any such m.
func (m *Mount) StoresIn(o *Mount) bool {
	for sb := m.sb; sb != nil; sb = sb.lower {
		if sb == o.sb {
			return true
		}
	}
	return m.sb == nil && m.FS == o.FS
}

// Source returns the mount's source, as /proc/self/mountinfo shows it
// (Linux's mnt_devname): what mount(2) was given, the original's for a
// bind.
func (m *Mount) Source() string { return m.source }

// FSType returns the type of the filesystem m shows: its Filesystem's,
// or "nullfs".
func (m *Mount) FSType() string {
	if m.sb != nil && m.sb.typ != "" {
		return m.sb.typ
	}
	return m.FS.Type()
}

// FSOptions returns the filesystem-specific super options of m's
// filesystem ("size=64m"); a nullfs has none.
func (m *Mount) FSOptions() string {
	if m.sb != nil && m.sb.lower != nil {
		return ""
	}
	return m.FS.Options()
}

// RootPath returns the path of m's root within its filesystem,
// mountinfo's fourth field: "/" for a whole filesystem or a nullfs, the
// directory for a bind mount (relative to the nullfs's root for a bind
// of a nullfs). A root renamed out of its superblock's is shown from the
// filesystem's root.
func (v *VFS) RootPath(m *Mount) string {
	v.renameMu.RLock()
	defer v.renameMu.RUnlock()
	var names []string
	for d := m.Root; d.parent != nil && (m.sb == nil || d != m.sb.root); d = d.parent {
		names = append(names, d.name)
	}
	if len(names) == 0 {
		return "/"
	}
	var b strings.Builder
	for i := len(names) - 1; i >= 0; i-- {
		b.WriteByte('/')
		b.WriteString(names[i])
	}
	return b.String()
}

// NullfsAt mounts a nullfs showing src over at, as BSD's mount_nullfs: a
// virtual filesystem of its own (type "nullfs", the source given, "/" as
// its root in mountinfo, its own superblock: a remount read-only of it
// leaves the filesystem below writable), layered over src's filesystem,
// whose dentries it shares (nothing is copied) and whose read-only state
// it follows. With recursive, the mounts below src come too.
func (v *VFS) NullfsAt(at, src VirtualDentry, flags uint64, recursive bool, source string) (*Mount, error) {
	if !src.Ok() {
		return nil, unix.ENOENT
	}
	sb := &superBlock{root: src.Dentry, typ: "nullfs", lower: src.Mount.sb}
	sb.readOnly.Store(flags&unix.MS_RDONLY != 0)
	return v.bindAt(at, src, flags, recursive, sb, source)
}
