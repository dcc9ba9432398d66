package vfs

import (
	"container/list"
	"sync"
	"sync/atomic"
	"time"

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
	// refs counts the references on the dentry: one while it is cached,
	// one per child dentry (children hold their parents), one per mount
	// using it as point or root, one per open file, walk step in progress
	// and VirtualDentry holder. The vnode is Released when it reaches
	// zero; nothing can reach the dentry then (see doc.go, Lifetime).
	refs atomic.Int64
	// mounts counts the mounts whose Point this is, so that the walk
	// takes VFS.mountMu only where something is mounted. Written under
	// VFS.mountMu.
	mounts atomic.Int32
	// accessed is the LRU's second-chance bit, set by cache hits.
	accessed atomic.Bool
	// trust is how long, in ns, the entry is trusted after a check
	// (RevalidateWindower); zero: every use is revalidated. Immutable.
	trust int64
	// checked is when (monoNow) the entry was last found valid.
	checked atomic.Int64
	// lruElem is the dentry's place in VFS.lru. Protected by VFS.lruMu.
	lruElem *list.Element
}

// newDentry makes the dentry of vn (nil: negative) called name in parent,
// holding one reference for the caller; it takes a reference on parent.
// On error vn is Released (unless it is a filesystem root).
func newDentry(fs Filesystem, parent *Dentry, name string, vn Vnode) (*Dentry, error) {
	d := &Dentry{fs: fs, parent: parent, name: name, vnode: vn}
	d.refs.Store(1)
	if w, ok := fs.(RevalidateWindower); ok && parent != nil {
		d.trust = int64(w.RevalidateWindow())
		d.checked.Store(monoNow())
	}
	if vn != nil {
		typ, err := vnodeType(vn)
		if err != nil {
			if parent != nil {
				vn.Release()
			}
			return nil, err
		}
		d.typ = typ
		if d.typ == unix.S_IFDIR {
			d.children = make(map[string]*Dentry)
		}
	}
	if parent != nil {
		parent.IncRef()
	}
	return d, nil
}

// vnodeType returns vn's S_IFMT bits, from Typer when vn implements it.
func vnodeType(vn Vnode) (uint32, error) {
	if t, ok := vn.(Typer); ok {
		return t.Type(), nil
	}
	attr, err := vn.Getattr()
	if err != nil {
		return 0, err
	}
	return attr.Type(), nil
}

// Vnode returns the vnode d names; nil for a negative dentry.
func (d *Dentry) Vnode() Vnode { return d.vnode }

// IsDir reports whether d names a directory.
func (d *Dentry) IsDir() bool { return d.typ == unix.S_IFDIR }

// IsSymlink reports whether d names a symbolic link.
func (d *Dentry) IsSymlink() bool { return d.typ == unix.S_IFLNK }

// IsRegular reports whether d names a regular file.
func (d *Dentry) IsRegular() bool { return d.typ == unix.S_IFREG }

// Negative reports whether d names nothing.
func (d *Dentry) Negative() bool { return d.vnode == nil }

// Deleted reports whether d's name was removed (getcwd's ENOENT).
func (d *Dentry) Deleted() bool { return d.deleted.Load() }

// IncRef takes a reference on d.
//
// Preconditions: the caller holds a reference on d, or d is cached and
// the caller holds d's parent's mu.
func (d *Dentry) IncRef() {
	if d.refs.Add(1) <= 1 {
		panic("vfs: Dentry.IncRef on a dead dentry")
	}
}

// TryIncRef takes a reference on d unless d is already dead (its vnode
// Released), for a caller that read d from a place that does not pin it
// (another task's cwd, which may change meanwhile).
func (d *Dentry) TryIncRef() bool {
	for {
		n := d.refs.Load()
		if n <= 0 {
			return false
		}
		if d.refs.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// DecRef drops a reference; the last one Releases the vnode and drops
// the reference d held on its parent.
func (d *Dentry) DecRef() {
	for {
		switch n := d.refs.Add(-1); {
		case n > 0:
			return
		case n < 0:
			panic("vfs: Dentry.DecRef below zero")
		}
		// Dead: uncached, unpinned, no children. Nothing reaches d but
		// its own pointers; its parent is stable (a rename pins what it
		// moves).
		p := d.parent
		if p == nil {
			return // a filesystem root: its vnode lives with the filesystem
		}
		if d.vnode != nil {
			d.vnode.Release()
		}
		d = p
	}
}

// IncRef pins vd: a reference on its mount (Unmount is EBUSY while held)
// and on its dentry (its vnode stays live). Cwd and root holders use
// this rather than Mount.IncRef alone.
//
// Preconditions: the caller holds a reference on vd.
func (vd VirtualDentry) IncRef() {
	vd.Mount.IncRef()
	vd.Dentry.IncRef()
}

// TryIncRef is IncRef for a vd read from a place that does not pin it;
// false if its dentry is dead.
func (vd VirtualDentry) TryIncRef() bool {
	if !vd.Dentry.TryIncRef() {
		return false
	}
	vd.Mount.IncRef()
	return true
}

// DecRef drops what IncRef took.
func (vd VirtualDentry) DecRef() {
	vd.Dentry.DecRef()
	vd.Mount.DecRef()
}

// decRefWalk drops a reference the path walk took for its own stepping,
// leaving the mount's expiry mark: Linux's RCU walk takes none, so that
// umount2's own lookup (umount2("/mnt/e/.", MNT_EXPIRE)) does not count
// as a use of the mount.
func (vd VirtualDentry) decRefWalk() {
	vd.Dentry.DecRef()
	vd.Mount.decRefNoExpire()
}

// lookupChild returns d's child called name, with a reference, from the
// cache when the filesystem revalidates it, else from d's vnode. A
// missing name gives a negative dentry, not an error.
//
// Preconditions: d is a directory the caller holds a reference on; no
// Dentry.mu held.
func (v *VFS) lookupChild(d *Dentry, name string) (*Dentry, error) {
	d.mu.RLock()
	c := d.children[name]
	if c != nil && v.revalidate(d, name, c) {
		c.IncRef()
		d.mu.RUnlock()
		c.accessed.Store(true)
		countHit(c)
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
			c.IncRef()
			c.accessed.Store(true)
			countHit(c)
			return c, nil
		}
		v.dropChildLocked(d, c)
	}
	cacheMisses.Inc()
	vn, err := d.vnode.Lookup(name)
	if err == unix.ENOENT {
		cacheNotFound.Inc()
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
// right, unless it said so less than c.trust ago. Mount points are
// trusted: their mounts are keyed by the dentry.
//
// Preconditions: d.mu is held.
func (v *VFS) revalidate(d *Dentry, name string, c *Dentry) bool {
	if c.mounts.Load() > 0 {
		cacheTrusted.Inc()
		return true
	}
	if c.trust == 0 {
		return countRevalidate(d.fs.Revalidate(d.vnode, name, c.vnode))
	}
	now := monoNow()
	if now-c.checked.Load() < c.trust {
		cacheTrusted.Inc()
		return true
	}
	if !countRevalidate(d.fs.Revalidate(d.vnode, name, c.vnode)) {
		return false
	}
	c.checked.Store(now)
	return true
}

// countRevalidate counts a revalidation that answered ok, and returns ok.
func countRevalidate(ok bool) bool {
	cacheRevalidated.Inc()
	if !ok {
		cacheStale.Inc()
	}
	return ok
}

// monoEpoch anchors monoNow.
var monoEpoch = time.Now()

// monoNow returns monotonic nanoseconds.
func monoNow() int64 { return int64(time.Since(monoEpoch)) }

// Forget drops the cached entry dir/name, for a name the caller changed
// behind the VFS's back (a socket bound through the host): the next walk
// asks the filesystem.
func (v *VFS) Forget(dir VirtualDentry, name string) {
	d := dir.Dentry
	if d.children == nil {
		return
	}
	d.mu.Lock()
	v.invalidateLocked(d, name)
	d.mu.Unlock()
}

// insertChildLocked caches c as d's child, replacing whatever was cached
// under that name. The cache takes its own reference on c.
//
// Preconditions: d.mu is held for writing; c.parent == d; the caller
// holds a reference on c.
func (v *VFS) insertChildLocked(d *Dentry, c *Dentry) {
	if old := d.children[c.name]; old != nil {
		v.dropChildLocked(d, old)
	}
	c.IncRef()
	d.children[c.name] = c
	c.cached = true
	v.lruMu.Lock()
	c.lruElem = v.lru.PushFront(c)
	v.lruMu.Unlock()
}

// dropChildLocked removes c from the cache and drops the cache's
// reference. c keeps its parent and name, so holders of c still see its
// path; its vnode is Released once nothing references c.
//
// Preconditions: d.mu is held for writing; d.children[c.name] == c; the
// caller holds a reference on d.
func (v *VFS) dropChildLocked(d *Dentry, c *Dentry) {
	delete(d.children, c.name)
	c.cached = false
	v.lruMu.Lock()
	if c.lruElem != nil {
		v.lru.Remove(c.lruElem)
		c.lruElem = nil
	}
	v.lruMu.Unlock()
	c.DecRef()
}

// invalidateLocked forgets the cached entry d/name, if any, after an
// operation changed what the name refers to.
//
// Preconditions: d.mu is held for writing.
func (v *VFS) invalidateLocked(d *Dentry, name string) {
	if c := d.children[name]; c != nil {
		cacheInvalidated.Inc()
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
		cacheInvalidated.Inc()
		v.dropChildLocked(d, c)
	}
}

// evictable reports whether c can leave the cache: the cache's is its
// only reference (no pins, children or mounts).
//
// Preconditions: c's parent's mu is held.
func evictable(c *Dentry) bool {
	return c.refs.Load() == 1
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
		if c.accessed.Swap(false) {
			v.lruMu.Unlock()
			continue
		}
		// c, in the LRU, is cached and holds its parent; pin the parent
		// before c can leave, so that it outlives the eviction below.
		p := c.parent
		p.IncRef()
		v.lruMu.Unlock()
		p.mu.Lock()
		if c.cached && p.children[c.name] == c && evictable(c) {
			cacheEvicted.Inc()
			v.dropChildLocked(p, c)
			over--
		}
		p.mu.Unlock()
		p.DecRef()
	}
}
