package vfs

import (
	"golang.org/x/sys/unix"
)

// Rename moves oldPath to newPath (renameat2(2)); flags are RENAME_*.
// The name cache follows: the moved dentry changes parent and name, so
// files and cwds below it keep right paths.
func (v *VFS) Rename(ctx *Context, oldStart VirtualDentry, oldPath string, newStart VirtualDentry, newPath string, flags uint32) error {
	const known = unix.RENAME_NOREPLACE | unix.RENAME_EXCHANGE | unix.RENAME_WHITEOUT
	if flags&^known != 0 ||
		flags&(unix.RENAME_NOREPLACE|unix.RENAME_EXCHANGE) == unix.RENAME_NOREPLACE|unix.RENAME_EXCHANGE ||
		flags&(unix.RENAME_WHITEOUT|unix.RENAME_EXCHANGE) == unix.RENAME_WHITEOUT|unix.RENAME_EXCHANGE {
		return unix.EINVAL
	}
	exchange := flags&unix.RENAME_EXCHANGE != 0
	oldDir, oldName, oldTrail, err := v.WalkParent(ctx, oldStart, oldPath, 0)
	if err != nil {
		return err
	}
	defer oldDir.DecRef()
	newDir, newName, newTrail, err := v.WalkParent(ctx, newStart, newPath, 0)
	if err != nil {
		return err
	}
	defer newDir.DecRef()
	switch oldName {
	case "/", ".", "..":
		return unix.EBUSY
	}
	switch newName {
	case "/", ".", "..":
		if flags&unix.RENAME_NOREPLACE != 0 {
			return unix.EEXIST
		}
		return unix.EBUSY
	}
	if oldDir.Mount != newDir.Mount {
		return unix.EXDEV
	}
	if oldDir.Mount.ReadOnly() {
		return unix.EROFS
	}
	if ctx == nil {
		ctx = &Context{}
	}
	cred := ctx.cred()

	v.renameMu.Lock()
	defer v.renameMu.Unlock()
	od, nd := oldDir.Dentry, newDir.Dentry
	od.mu.Lock()
	defer od.mu.Unlock()
	if nd != od {
		nd.mu.Lock()
		defer nd.mu.Unlock()
	}
	oc, err := v.lookupChildLocked(od, oldName)
	if err != nil {
		return err
	}
	defer oc.DecRef()
	if oc.Negative() {
		return unix.ENOENT
	}
	nc, err := v.lookupChildLocked(nd, newName)
	if err != nil {
		return err
	}
	defer nc.DecRef()
	switch {
	case exchange && nc.Negative():
		return unix.ENOENT
	case flags&unix.RENAME_NOREPLACE != 0 && !nc.Negative():
		return unix.EEXIST
	}
	if !oc.IsDir() && (oldTrail || (!exchange && newTrail)) {
		return unix.ENOTDIR
	}
	if exchange && !nc.IsDir() && newTrail {
		return unix.ENOTDIR
	}
	// A directory cannot move below itself, nor be replaced by an
	// ancestor of the source.
	if isDescendant(nd, oc) {
		return unix.EINVAL
	}
	if !nc.Negative() && isDescendant(od, nc) {
		if exchange {
			return unix.EINVAL
		}
		return unix.ENOTEMPTY
	}
	if !nc.Negative() {
		same, err := sameFile(oc, nc)
		if err != nil {
			return err
		}
		if same {
			return nil
		}
	}
	isDir := oc.IsDir()
	if err := v.mayDelete(cred, od, oc, isDir); err != nil {
		return err
	}
	if nc.Negative() {
		if err := mayCreate(cred, nd); err != nil {
			return err
		}
	} else {
		newIsDir := isDir
		if exchange {
			newIsDir = nc.IsDir()
		}
		if err := v.mayDelete(cred, nd, nc, newIsDir); err != nil {
			return err
		}
	}
	if od != nd {
		// A moved directory's ".." changes: it must be writable.
		if isDir {
			if err := vnodePermission(cred, oc, mayWrite); err != nil {
				return err
			}
		}
		if exchange && nc.IsDir() {
			if err := vnodePermission(cred, nc, mayWrite); err != nil {
				return err
			}
		}
	}
	if err := od.vnode.Rename(oldName, nd.vnode, newName, flags); err != nil {
		return err
	}

	delete(od.children, oldName)
	if exchange {
		delete(nd.children, newName)
		moveLocked(nc, od, oldName)
	} else {
		v.removeLocked(nd, newName)
	}
	moveLocked(oc, nd, newName)
	if flags&unix.RENAME_WHITEOUT != 0 {
		// The filesystem left a whiteout under the old name.
		v.invalidateLocked(od, oldName)
	}
	return nil
}

// moveLocked caches c as to's child called name; c's reference on its
// parent moves to to.
//
// Preconditions: VFS.renameMu is held for writing, to.mu too; c is
// removed from its old parent's children; the caller holds references on
// the old parent and c.
func moveLocked(c *Dentry, to *Dentry, name string) {
	to.IncRef()
	c.parent.DecRef()
	c.parent = to
	c.name = name
	to.children[name] = c
}

// sameFile reports whether two dentries of one filesystem name the same
// file (rename of a hard link onto another does nothing).
func sameFile(a, b *Dentry) (bool, error) {
	if a.vnode == b.vnode {
		return true, nil
	}
	aa, err := a.vnode.Getattr()
	if err != nil {
		return false, err
	}
	ba, err := b.vnode.Getattr()
	if err != nil {
		return false, err
	}
	return aa.Ino == ba.Ino && aa.Ino != 0, nil
}
