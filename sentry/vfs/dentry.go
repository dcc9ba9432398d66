package vfs

import (
	"container/list"
	"runtime"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Dentry is a node of the name cache: a name in a directory and the vnode
// it names, or nothing (a negative entry). It is analogous to Linux's
// struct dentry and Akaros' tree_file. Dentries belong to a filesystem,
// not to a mount: every mount of a filesystem shares them.
type Dentry struct {
	// fs is the filesystem the dentry belongs to. Immutable.
	fs Filesystem
	// vnode is what the name refers to; nil for a negative entry.
	// Immutable: a name that comes to exist gets a new Dentry.
	vnode Vnode
	// typ is vnode's S_IFMT bits, read once. Immutable.
	typ uint32

	// parent and name place the dentry in its filesystem's tree; parent
	// is nil for a filesystem root. Protected by VFS.renameMu (written
	// with the parents' mu held too).
	parent *Dentry
	name   string

	// mu protects children and serializes the operations that change
	// names in this directory (as Linux's i_rwsem on a directory).
	mu sync.RWMutex
	// children are the cached entries of this directory, negative ones
	// included. Protected by mu.
	children map[string]*Dentry

	// cached reports whether the dentry is in its parent's children and
	// the LRU. Protected by the parent's mu.
	cached bool
	// deleted is set once the name was removed (unlink, rmdir, rename
	// over it): PathOf then says " (deleted)".
	deleted atomic.Bool
	// refs pins the dentry in the cache: open files, mounts that use it
	// as point or root, and VirtualDentry.IncRef holders.
	refs atomic.Int64
	// mounts counts the mounts whose Point this is, so that the walk
	// takes VFS.mountMu only where something is mounted. Written under
	// VFS.mountMu.
	mounts atomic.Int32
	// accessed is the LRU's second-chance bit, set by cache hits.
	accessed atomic.Bool
	// lruElem is the dentry's place in VFS.lru. Protected by VFS.lruMu.
	lruElem *list.Element
}

// newDentry makes the dentry of vn (nil: negative) called name in parent.
// Unless it is a filesystem root, vn is Released once the dentry is
// garbage: nothing (cache, file, walk, cwd) can then use it again.
func newDentry(fs Filesystem, parent *Dentry, name string, vn Vnode) (*Dentry, error) {
	d := &Dentry{fs: fs, parent: parent, name: name, vnode: vn}
	if vn == nil {
		return d, nil
	}
	attr, err := vn.Getattr()
	if err != nil {
		if parent != nil {
			vn.Release()
		}
		return nil, err
	}
	d.typ = attr.Type()
	if d.typ == unix.S_IFDIR {
		d.children = make(map[string]*Dentry)
	}
	if parent != nil {
		runtime.AddCleanup(d, func(vn Vnode) { vn.Release() }, vn)
	}
	return d, nil
}

// Vnode returns the vnode d names; nil for a negative dentry.
func (d *Dentry) Vnode() Vnode { return d.vnode }

// IsDir reports whether d names a directory.
func (d *Dentry) IsDir() bool { return d.typ == unix.S_IFDIR }

// IsSymlink reports whether d names a symbolic link.
func (d *Dentry) IsSymlink() bool { return d.typ == unix.S_IFLNK }

// Negative reports whether d names nothing.
func (d *Dentry) Negative() bool { return d.vnode == nil }

// Deleted reports whether d's name was removed (getcwd's ENOENT).
func (d *Dentry) Deleted() bool { return d.deleted.Load() }

// IncRef pins d in the name cache.
func (d *Dentry) IncRef() { d.refs.Add(1) }

// DecRef drops a pin taken by IncRef.
func (d *Dentry) DecRef() {
	if d.refs.Add(-1) < 0 {
		panic("vfs: Dentry.DecRef below zero")
	}
}

// IncRef pins vd: a reference on its mount (Unmount is EBUSY while held)
// and on its dentry (the name cache keeps it). Cwd and root holders
// should use this rather than Mount.IncRef alone.
func (vd VirtualDentry) IncRef() {
	vd.Mount.IncRef()
	vd.Dentry.IncRef()
}

// DecRef drops what IncRef took.
func (vd VirtualDentry) DecRef() {
	vd.Dentry.DecRef()
	vd.Mount.DecRef()
}

// lookupChild returns d's child called name, from the cache when the
// filesystem revalidates it, else from d's vnode. A missing name gives a
// negative dentry, not an error.
//
// Preconditions: d is a directory; no Dentry.mu held.
func (v *VFS) lookupChild(d *Dentry, name string) (*Dentry, error) {
	d.mu.RLock()
	c := d.children[name]
	if c != nil && v.revalidate(d, name, c) {
		d.mu.RUnlock()
		c.accessed.Store(true)
		return c, nil
	}
	d.mu.RUnlock()

	d.mu.Lock()
	c, err := v.lookupLocked(d, name, c)
	d.mu.Unlock()
	v.shrink()
	return c, err
}

// lookupChildLocked is lookupChild with d.mu held for writing.
func (v *VFS) lookupChildLocked(d *Dentry, name string) (*Dentry, error) {
	return v.lookupLocked(d, name, nil)
}

// lookupLocked is lookupChildLocked; stale is an entry already found
// stale, dropped without asking the filesystem again.
func (v *VFS) lookupLocked(d *Dentry, name string, stale *Dentry) (*Dentry, error) {
	if c := d.children[name]; c != nil {
		if c != stale && v.revalidate(d, name, c) {
			c.accessed.Store(true)
			return c, nil
		}
		v.dropChildLocked(d, c)
	}
	vn, err := d.vnode.Lookup(name)
	if err == unix.ENOENT {
		vn, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	c, err := newDentry(d.fs, d, name, vn)
	if err != nil {
		return nil, err
	}
	v.insertChildLocked(d, c)
	return c, nil
}

// revalidate asks the filesystem whether the cached child c of d is still
// right. Mount points are trusted: their mounts are keyed by the dentry.
//
// Preconditions: d.mu is held.
func (v *VFS) revalidate(d *Dentry, name string, c *Dentry) bool {
	if c.mounts.Load() > 0 {
		return true
	}
	return d.fs.Revalidate(d.vnode, name, c.vnode)
}

// insertChildLocked caches c as d's child, replacing whatever was cached
// under that name.
//
// Preconditions: d.mu is held for writing; c.parent == d.
func (v *VFS) insertChildLocked(d *Dentry, c *Dentry) {
	if old := d.children[c.name]; old != nil {
		v.dropChildLocked(d, old)
	}
	d.children[c.name] = c
	c.cached = true
	v.lruMu.Lock()
	c.lruElem = v.lru.PushFront(c)
	v.lruMu.Unlock()
}

// dropChildLocked removes c from the cache. c keeps its parent and name,
// so holders of c still see its path; its vnode is released once nothing
// references c.
//
// Preconditions: d.mu is held for writing; d.children[c.name] == c.
func (v *VFS) dropChildLocked(d *Dentry, c *Dentry) {
	delete(d.children, c.name)
	c.cached = false
	v.lruMu.Lock()
	if c.lruElem != nil {
		v.lru.Remove(c.lruElem)
		c.lruElem = nil
	}
	v.lruMu.Unlock()
}

// invalidateLocked forgets the cached entry d/name, if any, after an
// operation changed what the name refers to.
//
// Preconditions: d.mu is held for writing.
func (v *VFS) invalidateLocked(d *Dentry, name string) {
	if c := d.children[name]; c != nil {
		v.dropChildLocked(d, c)
	}
}

// removeLocked marks the cached entry d/name deleted and forgets it, after
// the name was removed.
//
// Preconditions: d.mu is held for writing.
func (v *VFS) removeLocked(d *Dentry, name string) {
	if c := d.children[name]; c != nil {
		if c.vnode != nil {
			c.deleted.Store(true)
		}
		v.dropChildLocked(d, c)
	}
}

// evictable reports whether c can leave the cache: no pins, not a mount
// point, no cached children.
//
// Preconditions: c's parent's mu is held.
func evictable(c *Dentry) bool {
	if c.refs.Load() > 0 || c.mounts.Load() > 0 {
		return false
	}
	if c.children == nil {
		return true
	}
	c.mu.RLock()
	n := len(c.children)
	c.mu.RUnlock()
	return n == 0
}

// shrink evicts least recently used unpinned leaves until the cache is
// back under its limit, giving recently used entries a second chance. It
// scans a bounded number of entries, so a cache full of pinned or inner
// dentries stays above its limit rather than spinning.
//
// Preconditions: no Dentry.mu held.
func (v *VFS) shrink() {
	v.lruMu.Lock()
	over := v.lru.Len() - v.cacheLimit
	v.lruMu.Unlock()
	if over <= 0 {
		return
	}
	v.renameMu.RLock()
	defer v.renameMu.RUnlock()
	for scan := 2*over + 16; over > 0 && scan > 0; scan-- {
		v.lruMu.Lock()
		e := v.lru.Back()
		if e == nil {
			v.lruMu.Unlock()
			return
		}
		c := e.Value.(*Dentry)
		v.lru.MoveToFront(e)
		v.lruMu.Unlock()
		if c.accessed.Swap(false) {
			continue
		}
		p := c.parent
		p.mu.Lock()
		if c.cached && p.children[c.name] == c && evictable(c) {
			v.dropChildLocked(p, c)
			over--
		}
		p.mu.Unlock()
	}
}
