package procfs

import (
	"golang.org/x/sys/unix"
	"sort"

	"vkernel/sentry/vfs"
)

// entry is one name in a procfs directory: its dirent type and how to
// make its vnode from the node procfs prepared for it (fs, process, path,
// inode number and default mode filled in).
type entry struct {
	name string
	typ  uint8 // unix.DT_*
	make func(n node) vfs.Vnode
}

// dir is a procfs directory: fixed entries, then those a dynamic listing
// gives (pids, descriptors, threads). It is analogous to Linux's
// proc_dir_entry directories and pid_entry tables.
type dir struct {
	node
	// parent is the inode number of "..". Immutable.
	parent uint64
	// static are the fixed entries. Immutable.
	static []entry
	// dynamic lists the entries that come and go, nil if none; its
	// entries' nodes are volatile. Immutable.
	dynamic func(d *dir) ([]entry, error)
	// find looks one dynamic entry up (ENOENT if missing); nil to search
	// the listing. Immutable.
	find func(d *dir, name string) (entry, error)
}

var _ vfs.Vnode = (*dir)(nil)

// Lookup implements vfs.Vnode.Lookup.
func (d *dir) Lookup(name string) (vfs.Vnode, error) {
	if err := d.pr.check(); err != nil {
		return nil, err
	}
	for _, e := range d.static {
		if e.name == name {
			return e.make(d.child(e.name, e.typ, false)), nil
		}
	}
	if d.dynamic == nil {
		return nil, unix.ENOENT
	}
	var e entry
	if d.find != nil {
		var err error
		if e, err = d.find(d, name); err != nil {
			return nil, err
		}
	} else {
		ents, err := d.dynamic(d)
		if err != nil {
			return nil, err
		}
		found := false
		for _, x := range ents {
			if x.name == name {
				e, found = x, true
				break
			}
		}
		if !found {
			return nil, unix.ENOENT
		}
	}
	return e.make(d.child(e.name, e.typ, true)), nil
}

// Readdir implements vfs.Vnode.Readdir: ".", "..", the fixed entries, then
// the dynamic ones.
func (d *dir) Readdir() ([]vfs.DirEntry, error) {
	if err := d.pr.check(); err != nil {
		return nil, err
	}
	// Positions are stable, as Linux's: fixed entries first, then the
	// numbered ones (pids, descriptors) by number, so that a listing read
	// in parts while entries come and go misses none of those that stay.
	ents := []vfs.DirEntry{
		{Name: ".", Ino: d.ino, Type: unix.DT_DIR, Off: 1},
		{Name: "..", Ino: d.parent, Type: unix.DT_DIR, Off: 2},
	}
	for i, e := range d.static {
		ents = append(ents, vfs.DirEntry{Name: e.name, Ino: inoOf(d.path + "/" + e.name), Type: e.typ, Off: int64(3 + i)})
	}
	if d.dynamic != nil {
		dyn, err := d.dynamic(d)
		if err != nil {
			return nil, err
		}
		base := int64(3 + len(d.static))
		for j, e := range dyn {
			off := base + int64(j)
			if n, ok := parseID(e.name); ok {
				off = 1<<32 + int64(n)
			}
			ents = append(ents, vfs.DirEntry{Name: e.name, Ino: inoOf(d.path + "/" + e.name), Type: e.typ, Off: off})
		}
	}
	sort.Slice(ents, func(i, j int) bool { return ents[i].Off < ents[j].Off })
	return ents, nil
}

// Open implements vfs.Vnode.Open: a placeholder directory descriptor; the
// sentry lists the directory through Readdir.
func (d *dir) Open(flags int) (vfs.FileImpl, error) {
	if flags&unix.O_PATH != 0 {
		return vfs.NewPlaceholder(unix.O_PATH)
	}
	if flags&unix.O_ACCMODE != unix.O_RDONLY {
		return nil, unix.EISDIR
	}
	if err := d.pr.check(); err != nil {
		return nil, err
	}
	return vfs.NewPlaceholder(flags)
}

// Linux's procfs has no create, mkdir, mknod, symlink, link, unlink,
// rmdir or rename: the VFS answers EACCES to an open(O_CREAT) without
// ->create and EPERM to the others.

// Create implements vfs.Vnode.Create.
func (d *dir) Create(string, int, uint32, *vfs.Cred) (vfs.Vnode, vfs.FileImpl, error) {
	return nil, nil, unix.EACCES
}

// Mkdir implements vfs.Vnode.Mkdir.
func (d *dir) Mkdir(string, uint32, *vfs.Cred) error { return unix.EPERM }

// Mknod implements vfs.Vnode.Mknod.
func (d *dir) Mknod(string, uint32, uint64, *vfs.Cred) error { return unix.EPERM }

// Symlink implements vfs.Vnode.Symlink.
func (d *dir) Symlink(string, string, *vfs.Cred) error { return unix.EPERM }

// Link implements vfs.Vnode.Link.
func (d *dir) Link(string, vfs.Vnode) error { return unix.EPERM }

// Unlink implements vfs.Vnode.Unlink.
func (d *dir) Unlink(string) error { return unix.EPERM }

// Rmdir implements vfs.Vnode.Rmdir.
func (d *dir) Rmdir(string) error { return unix.EPERM }

// Rename implements vfs.Vnode.Rename.
func (d *dir) Rename(string, vfs.Vnode, string, uint32) error { return unix.EPERM }

// subdir returns the make function of a directory with fixed entries
// ents and optionally dynamic ones.
func subdir(ents []entry, dynamic func(*dir) ([]entry, error), find func(*dir, string) (entry, error)) func(node) vfs.Vnode {
	return func(n node) vfs.Vnode {
		return &dir{node: n, parent: parentIno(n), static: ents, dynamic: dynamic, find: find}
	}
}

// parentIno returns the inode number of the directory holding n.
func parentIno(n node) uint64 {
	for i := len(n.path) - 1; i > 0; i-- {
		if n.path[i] == '/' {
			return inoOf(n.path[:i])
		}
	}
	return rootIno
}

// symlink is a link with a fixed text (/proc/mounts → self/mounts).
type symlink struct {
	node
	text string
}

// Readlink implements vfs.Vnode.Readlink.
func (l *symlink) Readlink() (string, error) { return l.text, nil }

// Open implements vfs.Vnode.Open: only O_PATH opens a symlink.
func (l *symlink) Open(flags int) (vfs.FileImpl, error) { return openLink(flags) }

// openLink opens a symlink itself: ENXIO for O_PATH makes the VFS use a
// placeholder; anything else is ELOOP, as Linux's.
func openLink(flags int) (vfs.FileImpl, error) {
	if flags&unix.O_PATH != 0 {
		return nil, unix.ENXIO
	}
	return nil, unix.ELOOP
}

// linkTo returns the make function of a symlink holding text.
func linkTo(text string) func(node) vfs.Vnode {
	return func(n node) vfs.Vnode { return &symlink{node: n, text: text} }
}
