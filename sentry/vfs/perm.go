package vfs

import (
	"golang.org/x/sys/unix"
)

// Access modes for permission checks, as Linux's MAY_*.
const (
	mayExec  = 1 // X_OK
	mayWrite = 2 // W_OK
	mayRead  = 4 // R_OK
)

// Capabilities the VFS checks (linux/capability.h).
const (
	capChown         = 0
	capDacOverride   = 1
	capDacReadSearch = 2
	capFowner        = 3
	capFsetid        = 4
	capMknod         = 27
	capSysAdmin      = 21
)

// permission checks mask (mayRead|mayWrite|mayExec) against the owner,
// group and mode in attr, then the DAC capabilities. It is Linux's
// generic_permission.
func permission(cred *Cred, attr *Attr, mask uint32) error {
	mode := attr.Mode
	var perm uint32
	switch {
	case cred.UID == attr.UID:
		perm = mode >> 6
	case cred.InGroup(attr.GID):
		perm = mode >> 3
	default:
		perm = mode
	}
	if mask&^perm&7 == 0 {
		return nil
	}
	if attr.IsDir() {
		if mask&mayWrite == 0 && cred.HasCap(capDacReadSearch) {
			return nil
		}
		if cred.HasCap(capDacOverride) {
			return nil
		}
		return unix.EACCES
	}
	if mask == mayRead && cred.HasCap(capDacReadSearch) {
		return nil
	}
	// Executing needs an x bit somewhere, even for root.
	if (mask&mayExec == 0 || mode&0111 != 0) && cred.HasCap(capDacOverride) {
		return nil
	}
	return unix.EACCES
}

// vnodePermission is permission on d's current attributes.
func vnodePermission(cred *Cred, d *Dentry, mask uint32) error {
	attr, err := d.vnode.Getattr()
	if err != nil {
		return err
	}
	return permission(cred, &attr, mask)
}

// mayLookup checks search permission on the directory d, skipping the
// Getattr for a caller that may search everything.
func mayLookup(cred *Cred, d *Dentry) error {
	if cred.HasCap(capDacReadSearch) || cred.HasCap(capDacOverride) {
		return nil
	}
	return vnodePermission(cred, d, mayExec)
}

// ownerOrCapable reports whether cred owns attr's object or holds
// CAP_FOWNER (Linux's inode_owner_or_capable).
func ownerOrCapable(cred *Cred, attr *Attr) bool {
	return cred.UID == attr.UID || cred.HasCap(capFowner)
}

// mayCreate checks that cred may make a name in the directory dir: write
// and search permission (Linux's may_create).
func mayCreate(cred *Cred, dir *Dentry) error {
	if dir.Deleted() {
		return unix.ENOENT
	}
	return vnodePermission(cred, dir, mayWrite|mayExec)
}

// mayDelete checks that cred may remove victim from dir, and that victim's
// type suits the operation (Linux's may_delete): EACCES without write and
// search permission on dir, EPERM for the sticky bit, ENOTDIR/EISDIR for
// the wrong type, EBUSY for a mount point or root.
func (v *VFS) mayDelete(cred *Cred, dir *Dentry, victim *Dentry, isDir bool) error {
	if victim.Negative() {
		return unix.ENOENT
	}
	dattr, err := dir.vnode.Getattr()
	if err != nil {
		return err
	}
	if err := permission(cred, &dattr, mayWrite|mayExec); err != nil {
		return err
	}
	if dattr.Mode&unix.S_ISVTX != 0 && cred.UID != dattr.UID && !cred.HasCap(capFowner) {
		vattr, err := victim.vnode.Getattr()
		if err != nil {
			return err
		}
		if cred.UID != vattr.UID {
			return unix.EPERM
		}
	}
	if isDir {
		if !victim.IsDir() {
			return unix.ENOTDIR
		}
	} else if victim.IsDir() {
		return unix.EISDIR
	}
	if victim.mounts.Load() > 0 {
		return unix.EBUSY
	}
	if dir.Deleted() {
		return unix.ENOENT
	}
	return nil
}

// MayExec checks that cred may execute a file with attr, as
// generic_permission with MAY_EXEC: for a file that is no position in
// the tree (a descriptor the guest made itself).
func MayExec(cred *Cred, attr *Attr) error { return permission(cred, attr, mayExec) }
