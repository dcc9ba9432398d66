package vfs

import (
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Mount is one filesystem (or part of one, for a bind mount) attached to
// the tree. It is analogous to Linux's struct mount.
type Mount struct {
	// ID is the mount id (/proc/self/mountinfo). Immutable.
	ID int
	// Parent is the mount this one is attached in; nil for a root mount.
	// Immutable.
	Parent *Mount
	// Point is the dentry of Parent this mount covers. Immutable.
	Point *Dentry
	// Root is the dentry of FS at the top of this mount: FS's root, or
	// any dentry of it for a bind mount. Immutable.
	Root *Dentry
	// FS is the mounted filesystem. Immutable.
	FS Filesystem
	// sb is the superblock the mount shows: FS's own, shared by all its
	// mounts and binds, or a nullfs's. Immutable.
	sb *superBlock
	// source is the mount's source, Linux's mnt_devname: what mount(2)
	// was given, copied by a bind. Immutable.
	source string
	// flags are the MS_* per-mount flags (MS_RDONLY, MS_NOSUID, ...);
	// remount changes them.
	flags atomic.Uint64
	// expiry is Linux's mnt_expiry_mark: set by a first umount2
	// MNT_EXPIRE, cleared by any use of the mount (DecRef), so that a
	// second MNT_EXPIRE unmounts only a mount nothing used meanwhile.
	expiry atomic.Bool
	// Dev is the st_dev of everything seen through this mount, distinct
	// per mount (as BSD nullfs does). Immutable.
	Dev uint64

	// refs counts open files and cwd/root holders in this mount.
	refs atomic.Int64
	// detached is set once the mount left the tree (Unmount). Protected
	// by VFS.mountMu.
	detached bool
}

// mountKey names a mount point: a dentry as seen through a mount.
type mountKey struct {
	m *Mount
	d *Dentry
}

// IncRef takes a reference on m: Unmount without detach is EBUSY while
// any is held.
func (m *Mount) IncRef() { m.refs.Add(1) }

// DecRef drops a reference taken by IncRef. The use is over: the expiry
// mark goes, as Linux's mntput clears it.
func (m *Mount) DecRef() {
	if m.expiry.Load() {
		m.expiry.Store(false)
	}
	m.decRefNoExpire()
}

// decRefNoExpire is DecRef leaving the expiry mark (mntput_no_expire),
// for umount2's own reference.
func (m *Mount) decRefNoExpire() {
	if m.refs.Add(-1) < 0 {
		panic("vfs: Mount.DecRef below zero")
	}
}

// ReadOnly reports whether writes through m are refused: m is mounted
// MS_RDONLY, or its filesystem is read-only (Linux's __mnt_is_readonly).
func (m *Mount) ReadOnly() bool { return m.Flags()&unix.MS_RDONLY != 0 || m.SuperReadOnly() }

// Flags returns the MS_* per-mount flags.
func (m *Mount) Flags() uint64 { return m.flags.Load() }

// SetFlags replaces the per-mount flags (remount).
func (m *Mount) SetFlags(f uint64) { m.flags.Store(f) }

// Root returns the top of m: {m, m.Root}.
func (v *VFS) Root(m *Mount) VirtualDentry { return VirtualDentry{Mount: m, Dentry: m.Root} }

// Mounts returns the attached mounts in mount order, for /proc/mounts.
func (v *VFS) Mounts() []*Mount {
	v.mountMu.RLock()
	defer v.mountMu.RUnlock()
	return append([]*Mount(nil), v.mounts...)
}

// NewRootMount mounts fs as a root of the tree: a mount with no parent,
// what a Context's Root usually starts at.
func (v *VFS) NewRootMount(fs Filesystem, flags uint64) *Mount {
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	r, err := v.fsRootLocked(fs, flags)
	if err != nil {
		panic("vfs: root of a root mount: " + err.Error())
	}
	m := v.attachLocked(nil, nil, r.d, fs, r.sb, fs.Source(), flags)
	if r.host == nil && !r.shared {
		r.host = m
	}
	return m
}

// MountAt mounts fs over the directory at, hiding what was there; its
// source is fs.Source().
func (v *VFS) MountAt(at VirtualDentry, fs Filesystem, flags uint64) (*Mount, error) {
	return v.MountSourceAt(at, fs, flags, fs.Source())
}

// MountSourceAt is MountAt with the source mount(2) was given, which
// /proc/self/mountinfo shows; the new mount goes on the topmost mount
// stacked at at, as Linux's lock_mount. MS_RDONLY in flags makes a filesystem not
// mounted yet read-only as a whole, as Linux's mount -o ro does.
func (v *VFS) MountSourceAt(at VirtualDentry, fs Filesystem, flags uint64, source string) (*Mount, error) {
	if !at.Ok() || at.Dentry.Negative() {
		return nil, unix.ENOENT
	}
	if !at.Dentry.IsDir() {
		return nil, unix.ENOTDIR
	}
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	if at.Mount.detached {
		return nil, unix.EINVAL
	}
	if len(v.mounts)+1 > MountMax {
		return nil, unix.ENOSPC
	}
	at = v.topLocked(at)
	r, err := v.fsRootLocked(fs, flags)
	if err != nil {
		return nil, err
	}
	if !r.d.IsDir() {
		v.putFSRootLocked(fs)
		return nil, unix.ENOTDIR
	}
	m := v.attachLocked(at.Mount, at.Dentry, r.d, fs, r.sb, source, flags)
	if r.host == nil && !r.shared {
		r.host = m
	}
	return m, nil
}

// BindAt mounts what src shows (src.Mount's filesystem, rooted at
// src.Dentry) over at; with recursive, the mounts below src come too
// (mount --rbind). The new mount shares src.Mount's superblock and
// source, as Linux's clone_mnt.
func (v *VFS) BindAt(at VirtualDentry, src VirtualDentry, flags uint64, recursive bool) (*Mount, error) {
	return v.bindAt(at, src, flags, recursive, nil, "")
}

// bindAt is BindAt; a non-nil sb gives the new mount that superblock (a
// nullfs's) and source instead of src.Mount's.
//
// As Linux's do_loopback, the tree to attach is taken from src before
// anything is attached (copy_tree, then graft_tree), so a bind of a tree
// over itself or over a directory inside it (mount --rbind / /mnt) copies
// the tree as it was, once; and the copy goes on the topmost mount
// stacked at at (lock_mount).
func (v *VFS) bindAt(at VirtualDentry, src VirtualDentry, flags uint64, recursive bool, sb *superBlock, source string) (*Mount, error) {
	if !at.Ok() || !src.Ok() || at.Dentry.Negative() || src.Dentry.Negative() {
		return nil, unix.ENOENT
	}
	if at.Dentry.IsDir() != src.Dentry.IsDir() {
		return nil, unix.ENOTDIR
	}
	// Which mounts lie below src is a question about parent pointers.
	v.renameMu.RLock()
	defer v.renameMu.RUnlock()
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	if at.Mount.detached || src.Mount.detached {
		return nil, unix.EINVAL
	}
	var below []*Mount
	if recursive {
		below = v.subtreeLocked(src.Mount, src.Dentry)
	}
	if len(v.mounts)+len(below)+1 > MountMax {
		return nil, unix.ENOSPC
	}
	at = v.topLocked(at)
	fs := src.Mount.FS
	v.roots[fs].mounts++
	v.roots[fs].shared = true
	if sb == nil {
		sb, source = src.Mount.sb, src.Mount.source
	}
	m := v.attachLocked(at.Mount, at.Dentry, src.Dentry, fs, sb, source, flags)
	copies := map[*Mount]*Mount{src.Mount: m}
	for _, c := range below {
		v.roots[c.FS].mounts++
		v.roots[c.FS].shared = true
		copies[c] = v.attachLocked(copies[c.Parent], c.Point, c.Root, c.FS, c.sb, c.source, c.Flags())
	}
	return m, nil
}

// subtreeLocked returns the mounts below srcRoot in src, Linux's
// copy_tree order: each child of src whose mount point lies under
// srcRoot, in mount order, followed by all it has mounted below it,
// depth first; a mount comes after its parent.
//
// Preconditions: v.renameMu is held for reading, v.mountMu for writing.
func (v *VFS) subtreeLocked(src *Mount, srcRoot *Dentry) []*Mount {
	children := v.childIndexLocked()
	var out []*Mount
	var walk func(m *Mount)
	walk = func(m *Mount) {
		for _, c := range children[m] {
			out = append(out, c)
			walk(c)
		}
	}
	for _, c := range children[src] {
		if isDescendant(c.Point, srcRoot) {
			out = append(out, c)
			walk(c)
		}
	}
	return out
}

// childIndexLocked maps each attached mount to its children, in mount
// order: one pass over the mounts, for the walks of whole trees (a tree
// grown by binds may hold tens of thousands).
//
// Preconditions: v.mountMu is held.
func (v *VFS) childIndexLocked() map[*Mount][]*Mount {
	children := make(map[*Mount][]*Mount, len(v.mounts))
	for _, c := range v.mounts {
		if c.Parent != nil {
			children[c.Parent] = append(children[c.Parent], c)
		}
	}
	return children
}

// MountMax is Linux's fs.mount-max default: the most mounts a mount
// namespace holds; a mount or bind that would pass it is ENOSPC, so that
// binds of a tree into itself, each doubling it, cannot grow it without
// end.
const MountMax = 100000

// topLocked returns the top of the topmost mount stacked on vd, or vd
// when nothing is mounted there (Linux's lock_mount), without a
// reference of its own: what it returns is attached while v.mountMu is
// held.
//
// Preconditions: v.mountMu is held.
func (v *VFS) topLocked(vd VirtualDentry) VirtualDentry {
	for {
		stack := v.mountsAt[mountKey{vd.Mount, vd.Dentry}]
		if len(stack) == 0 {
			return vd
		}
		vd = v.Root(stack[len(stack)-1])
	}
}

// isDescendant reports whether d is anc or below it.
//
// Preconditions: VFS.renameMu is held.
func isDescendant(d, anc *Dentry) bool {
	for ; d != nil; d = d.parent {
		if d == anc {
			return true
		}
	}
	return false
}

// childrenLocked returns the attached mounts whose parent is m, in mount
// order.
//
// Preconditions: v.mountMu is held.
func (v *VFS) childrenLocked(m *Mount) []*Mount {
	var cs []*Mount
	for _, c := range v.mounts {
		if c.Parent == m {
			cs = append(cs, c)
		}
	}
	return cs
}

// fsRootLocked returns fs's root dentry and superblock, making them at
// fs's first mount (read-only if flags has MS_RDONLY, and its host mount
// given flags if it is a HostMounter), and counts one more mount of fs.
//
// Preconditions: v.mountMu is held for writing.
func (v *VFS) fsRootLocked(fs Filesystem, flags uint64) (*fsRoot, error) {
	if r := v.roots[fs]; r != nil {
		r.mounts++
		r.shared = true
		return r, nil
	}
	if err := setHostFlagsLocked(fs, flags); err != nil {
		return nil, err
	}
	d, err := newDentry(fs, nil, "", fs.Root())
	if err != nil {
		return nil, err
	}
	r := &fsRoot{d: d, mounts: 1, sb: &superBlock{root: d}}
	r.sb.readOnly.Store(flags&unix.MS_RDONLY != 0)
	v.roots[fs] = r
	return r, nil
}

// putFSRootLocked counts one mount of fs fewer, forgetting its root
// dentry at the last.
//
// Preconditions: v.mountMu is held for writing.
func (v *VFS) putFSRootLocked(fs Filesystem) {
	if r := v.roots[fs]; r != nil {
		if r.mounts--; r.mounts == 0 {
			delete(v.roots, fs)
		}
	}
}

// attachLocked makes a mount of fs (superblock sb) rooted at root over
// point in parent.
//
// Preconditions: v.mountMu is held for writing; the caller counted the
// mount in v.roots.
func (v *VFS) attachLocked(parent *Mount, point, root *Dentry, fs Filesystem, sb *superBlock, source string, flags uint64) *Mount {
	m := &Mount{ID: v.nextID, Parent: parent, Point: point, Root: root, FS: fs, sb: sb, source: source}
	m.flags.Store(flags)
	v.nextID++
	// Minors are never reused: a detached mount keeps its Dev while held.
	m.Dev = unix.Mkdev(0, v.nextDev)
	v.nextDev++
	root.IncRef()
	if parent != nil {
		point.IncRef()
		point.mounts.Add(1)
		k := mountKey{parent, point}
		v.mountsAt[k] = append(v.mountsAt[k], m)
	}
	v.mounts = append(v.mounts, m)
	return m
}

// Unmount detaches m from the tree. Without detach it is EBUSY while m has
// submounts or references (open files, cwds); with detach (MNT_DETACH) m
// and everything mounted below it leave the tree at once and stay usable
// by whoever holds them.
func (v *VFS) Unmount(m *Mount, detach bool) error {
	flags := 0
	if detach {
		flags = unix.MNT_DETACH
	}
	return v.unmount(m, flags, 0)
}

// UnmountAt is umount2(2) of the mount whose top is vd, found by the
// caller's walk and taken to the topmost mount stacked there (the walk of
// "/" stops at the root, which a mount may cover), as Linux's
// LOOKUP_MOUNTPOINT and do_umount: flags are MNT_DETACH, MNT_FORCE
// (which changes nothing here) and MNT_EXPIRE. UnmountAt takes over the
// walk's reference and drops it as Linux's mntput_no_expire: it neither
// makes the mount busy nor clears its expiry mark. ctx is the caller's,
// whose root mount MNT_EXPIRE refuses. EINVAL if vd is not the top of a
// mount.
//
// MNT_EXPIRE (EINVAL with MNT_DETACH or MNT_FORCE) unmounts only a mount
// unused since an earlier MNT_EXPIRE marked it: the first call on an
// unused mount marks it and is EAGAIN; any use (a walk through it, a file
// closed) clears the mark; a busy mount is EBUSY.
func (v *VFS) UnmountAt(ctx *Context, vd VirtualDentry, flags int) error {
	if !vd.Ok() {
		return unix.EINVAL
	}
	vd = v.topmost(vd)
	defer func() {
		vd.Dentry.DecRef()
		vd.Mount.decRefNoExpire()
	}()
	if vd.Dentry != vd.Mount.Root {
		return unix.EINVAL
	}
	if flags&unix.MNT_EXPIRE != 0 {
		if flags&(unix.MNT_FORCE|unix.MNT_DETACH) != 0 || ctx != nil && ctx.Root.Mount == vd.Mount {
			return unix.EINVAL
		}
	}
	return v.unmount(vd.Mount, flags, 1)
}

// unmount is Unmount with umount2's flags; held is how many of m's
// references the caller owns.
func (v *VFS) unmount(m *Mount, flags int, held int64) error {
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	if m.detached {
		return unix.EINVAL
	}
	if m.Parent == nil {
		return unix.EBUSY
	}
	busy := len(v.childrenLocked(m)) > 0 || m.refs.Load() > held
	if flags&unix.MNT_EXPIRE != 0 {
		if busy {
			return unix.EBUSY
		}
		if !m.expiry.Swap(true) {
			return unix.EAGAIN
		}
	}
	if flags&unix.MNT_DETACH == 0 && busy {
		return unix.EBUSY
	}
	v.detachLocked(m)
	return nil
}

// detachLocked removes m and its submounts from the tree.
//
// Preconditions: v.mountMu is held for writing.
func (v *VFS) detachLocked(m *Mount) {
	gone := map[*Mount]bool{}
	v.detachTreeLocked(m, v.childIndexLocked(), gone)
	kept := v.mounts[:0]
	for _, x := range v.mounts {
		if !gone[x] {
			kept = append(kept, x)
		}
	}
	clear(v.mounts[len(kept):])
	v.mounts = kept
}

// detachTreeLocked detaches m and, first, its submounts (children maps
// each mount to its own), adding each to gone for the caller to drop from
// v.mounts in one pass.
//
// Preconditions: v.mountMu is held for writing.
func (v *VFS) detachTreeLocked(m *Mount, children map[*Mount][]*Mount, gone map[*Mount]bool) {
	for _, c := range children[m] {
		v.detachTreeLocked(c, children, gone)
	}
	gone[m] = true
	k := mountKey{m.Parent, m.Point}
	stack := v.mountsAt[k]
	for i, x := range stack {
		if x == m {
			stack = append(stack[:i:i], stack[i+1:]...)
			break
		}
	}
	if len(stack) == 0 {
		delete(v.mountsAt, k)
	} else {
		v.mountsAt[k] = stack
	}
	m.Point.mounts.Add(-1)
	m.Point.DecRef()
	m.detached = true
	if r := v.roots[m.FS]; r != nil && r.host == m {
		r.host = nil
	}
	v.putFSRootLocked(m.FS)
}

// mountedOn returns the top of the topmost mount stacked on vd, with a
// reference, if any.
func (v *VFS) mountedOn(vd VirtualDentry) (VirtualDentry, bool) {
	v.mountMu.RLock()
	defer v.mountMu.RUnlock()
	stack := v.mountsAt[mountKey{vd.Mount, vd.Dentry}]
	if len(stack) == 0 {
		return VirtualDentry{}, false
	}
	top := v.Root(stack[len(stack)-1])
	top.IncRef() // the mount holds its root
	return top, true
}

// topmost takes over the caller's reference on vd and returns one on the
// top of the topmost mount stacked on it, or on vd itself.
func (v *VFS) topmost(vd VirtualDentry) VirtualDentry {
	for {
		top, ok := v.mountedOn(vd)
		if !ok {
			return vd
		}
		vd.decRefWalk()
		vd = top
	}
}

// mountPoint returns where m is attached, with a reference, if m is an
// attached mount with a parent.
func (v *VFS) mountPoint(m *Mount) (VirtualDentry, bool) {
	v.mountMu.RLock()
	defer v.mountMu.RUnlock()
	if m.Parent == nil || m.detached {
		return VirtualDentry{}, false
	}
	up := VirtualDentry{m.Parent, m.Point}
	up.IncRef() // the attached mount holds its point
	return up, true
}
