package vfs

import (
	"strings"

	"golang.org/x/sys/unix"
)

// Stat returns vd's attributes and the st_dev of its mount.
func (v *VFS) Stat(vd VirtualDentry) (Attr, uint64, error) {
	if vd.Dentry.Negative() {
		return Attr{}, 0, unix.ENOENT
	}
	attr, err := vd.Dentry.vnode.Getattr()
	if err != nil {
		return Attr{}, 0, err
	}
	return attr, vd.Mount.Dev, nil
}

// Access checks mode (R_OK|W_OK|X_OK, or F_OK) for ctx.Cred on vd, as
// faccessat(2): the caller passes the real ids in ctx.Cred.
func (v *VFS) Access(ctx *Context, vd VirtualDentry, mode uint32) error {
	if mode&^7 != 0 {
		return unix.EINVAL
	}
	attr, _, err := v.Stat(vd)
	if err != nil || mode == unix.F_OK {
		return err
	}
	if mode&unix.X_OK != 0 && attr.Type() == unix.S_IFREG && vd.Mount.Flags()&unix.MS_NOEXEC != 0 {
		return unix.EACCES
	}
	if err := permission(ctx.cred(), &attr, mode); err != nil {
		return err
	}
	if mode&unix.W_OK != 0 && !specialFile(attr.Type()) && vd.Mount.ReadOnly() {
		return unix.EROFS
	}
	return nil
}

// specialFile reports whether typ is a device, fifo or socket: writing
// one does not write the filesystem.
func specialFile(typ uint32) bool {
	switch typ {
	case unix.S_IFCHR, unix.S_IFBLK, unix.S_IFIFO, unix.S_IFSOCK:
		return true
	}
	return false
}

// Setattr changes vd's attributes (chmod, chown, truncate, utimensat)
// with Linux's checks: EROFS on a read-only mount; the owner or
// CAP_FOWNER for the mode and explicit times (EPERM); CAP_CHOWN, or the
// owner giving the file to one of their groups, for ownership (EPERM);
// write permission for a size or for both times UTIME_NOW (EACCES).
func (v *VFS) Setattr(ctx *Context, vd VirtualDentry, sa *SetAttr) error {
	attr, _, err := v.Stat(vd)
	if err != nil {
		return err
	}
	cred := ctx.cred()
	req := *sa
	if req.Mask&SetSize != 0 {
		switch {
		case attr.IsDir():
			return unix.EISDIR
		case attr.Type() != unix.S_IFREG, req.Size < 0:
			return unix.EINVAL
		case vd.Mount.ReadOnly():
			return unix.EROFS
		}
		if err := permission(cred, &attr, mayWrite); err != nil {
			return err
		}
	} else if vd.Mount.ReadOnly() {
		return unix.EROFS
	}
	if req.Mask&SetUID != 0 && !cred.HasCap(capChown) &&
		(cred.UID != attr.UID || req.UID != attr.UID) {
		return unix.EPERM
	}
	if req.Mask&SetGID != 0 && !cred.HasCap(capChown) &&
		(cred.UID != attr.UID || (req.GID != attr.GID && !cred.InGroup(req.GID))) {
		return unix.EPERM
	}
	if req.Mask&SetMode != 0 {
		if !ownerOrCapable(cred, &attr) {
			return unix.EPERM
		}
		req.Mode &= 07777
		gid := attr.GID
		if req.Mask&SetGID != 0 {
			gid = req.GID
		}
		if !cred.InGroup(gid) && !cred.HasCap(capFsetid) {
			req.Mode &^= unix.S_ISGID
		}
	}
	if req.Mask&(SetUID|SetGID|SetChown) != 0 && !attr.IsDir() {
		// A chown, even to the same ids, kills the set-user-ID bit, and
		// the set-group-ID bit as setattr_should_drop_sgid says, whoever
		// makes it (chown_common).
		mode := attr.Mode & 07777
		if req.Mask&SetMode != 0 {
			mode = req.Mode
		}
		if kill := mode &^ (unix.S_ISUID | dropSgid(cred, &attr, mode)); kill != mode {
			req.Mask |= SetMode
			req.Mode = kill
		}
	}
	if req.Mask&SetSize != 0 && req.Mask&SetMode == 0 {
		if mode, ok := killPriv(cred, &attr); ok {
			req.Mask |= SetMode
			req.Mode = mode
		}
	}
	const times = SetAtime | SetMtime
	touch := req.Mask&times == times && req.Atime.Nsec == unix.UTIME_NOW && req.Mtime.Nsec == unix.UTIME_NOW
	timesSet := (req.Mask&SetAtime != 0 && req.Atime.Nsec != unix.UTIME_NOW) ||
		(req.Mask&SetMtime != 0 && req.Mtime.Nsec != unix.UTIME_NOW)
	if timesSet && !ownerOrCapable(cred, &attr) {
		return unix.EPERM
	}
	if touch && !ownerOrCapable(cred, &attr) {
		if err := permission(cred, &attr, mayWrite); err != nil {
			return err
		}
	}
	return vd.Dentry.vnode.Setattr(&req)
}

// dropSgid is the set-group-ID bit of mode (attr's, or its new one) that a
// change of attr by cred kills, as Linux's setattr_should_drop_sgid: with
// group execute always, else unless cred is in the file's group or has
// CAP_FSETID.
func dropSgid(cred *Cred, attr *Attr, mode uint32) uint32 {
	switch {
	case mode&unix.S_ISGID == 0:
		return 0
	case mode&unix.S_IXGRP != 0:
		return unix.S_ISGID
	case !cred.InGroup(attr.GID) && !cred.HasCap(capFsetid):
		return unix.S_ISGID
	}
	return 0
}

// killPriv returns the mode a truncation (truncate, O_TRUNC) by cred leaves
// regular file attr with, and whether it differs: without CAP_FSETID the
// set-user-ID bit goes, and the set-group-ID bit as dropSgid says (Linux's
// setattr_should_drop_suidgid through do_truncate).
func killPriv(cred *Cred, attr *Attr) (uint32, bool) {
	mode := attr.Mode & 07777
	if attr.Type() != unix.S_IFREG || cred.HasCap(capFsetid) {
		return mode, false
	}
	kill := mode &^ (unix.S_ISUID | dropSgid(cred, attr, mode))
	return kill, kill != mode
}

// Statfs returns the figures of vd's filesystem, with f_flags from vd's
// mount as Linux's calculate_f_flags.
func (v *VFS) Statfs(vd VirtualDentry) (unix.Statfs_t, error) {
	if vd.Dentry.Negative() {
		return unix.Statfs_t{}, unix.ENOENT
	}
	st, err := vd.Dentry.vnode.Statfs()
	if err != nil {
		return unix.Statfs_t{}, err
	}
	const stValid = 0x20
	flags := int64(stValid) | st.Flags&(unix.ST_RDONLY|unix.ST_SYNCHRONOUS|unix.ST_MANDLOCK)
	for _, f := range []struct{ ms, st uint64 }{
		{unix.MS_RDONLY, unix.ST_RDONLY},
		{unix.MS_NOSUID, unix.ST_NOSUID},
		{unix.MS_NODEV, unix.ST_NODEV},
		{unix.MS_NOEXEC, unix.ST_NOEXEC},
		{unix.MS_SYNCHRONOUS, unix.ST_SYNCHRONOUS},
		{unix.MS_NOATIME, unix.ST_NOATIME},
		{unix.MS_NODIRATIME, unix.ST_NODIRATIME},
		{unix.MS_RELATIME, unix.ST_RELATIME},
	} {
		if vd.Mount.Flags()&f.ms != 0 {
			flags |= int64(f.st)
		}
	}
	if vd.Mount.ReadOnly() {
		// Also for a filesystem read-only as a whole (flags_by_sb).
		flags |= unix.ST_RDONLY
	}
	st.Flags = flags
	return st, nil
}

// Readlink returns the text of the symlink vd (found without
// FollowFinal), asking ContextReadlinker first; EINVAL if vd is not a
// symlink.
func (v *VFS) Readlink(ctx *Context, vd VirtualDentry) (string, error) {
	if vd.Dentry.Negative() {
		return "", unix.ENOENT
	}
	if !vd.Dentry.IsSymlink() {
		return "", unix.EINVAL
	}
	return readlinkFor(ctx, vd.Dentry.vnode)
}

// xattrPermission checks access mask to the extended attribute name of
// vd, as Linux's xattr_permission: security.* and system.* are the
// filesystem's to judge, trusted.* needs CAP_SYS_ADMIN, user.* lives on
// regular files and directories only and follows the file's mode.
func xattrPermission(cred *Cred, vd VirtualDentry, name string, mask uint32) error {
	if name == "" || len(name) > NameMax {
		return unix.ERANGE
	}
	denied := unix.ENODATA
	if mask&mayWrite != 0 {
		denied = unix.EPERM
	}
	attr, err := vd.Dentry.vnode.Getattr()
	if err != nil {
		return err
	}
	switch {
	case strings.HasPrefix(name, "security."), strings.HasPrefix(name, "system."):
		return nil
	case strings.HasPrefix(name, "trusted."):
		if !cred.HasCap(capSysAdmin) {
			return denied
		}
		return nil
	case strings.HasPrefix(name, "user."):
		if t := attr.Type(); t != unix.S_IFREG && t != unix.S_IFDIR {
			return denied
		}
		if attr.IsDir() && attr.Mode&unix.S_ISVTX != 0 && mask&mayWrite != 0 && !ownerOrCapable(cred, &attr) {
			return unix.EPERM
		}
		return permission(cred, &attr, mask)
	}
	return unix.EOPNOTSUPP
}

// Getxattr reads the extended attribute name of vd into buf (its size
// only, with an empty buf).
func (v *VFS) Getxattr(ctx *Context, vd VirtualDentry, name string, buf []byte) (int, error) {
	if vd.Dentry.Negative() {
		return 0, unix.ENOENT
	}
	if err := xattrPermission(ctx.cred(), vd, name, mayRead); err != nil {
		return 0, err
	}
	return vd.Dentry.vnode.Getxattr(name, buf)
}

// Setxattr sets the extended attribute name of vd; flags are
// XATTR_CREATE or XATTR_REPLACE.
func (v *VFS) Setxattr(ctx *Context, vd VirtualDentry, name string, value []byte, flags int) error {
	if vd.Dentry.Negative() {
		return unix.ENOENT
	}
	if vd.Mount.ReadOnly() {
		return unix.EROFS
	}
	if err := xattrPermission(ctx.cred(), vd, name, mayWrite); err != nil {
		return err
	}
	return vd.Dentry.vnode.Setxattr(name, value, flags)
}

// Listxattr lists the extended attribute names of vd into buf.
func (v *VFS) Listxattr(ctx *Context, vd VirtualDentry, buf []byte) (int, error) {
	if vd.Dentry.Negative() {
		return 0, unix.ENOENT
	}
	return vd.Dentry.vnode.Listxattr(buf)
}

// Removexattr removes the extended attribute name of vd.
func (v *VFS) Removexattr(ctx *Context, vd VirtualDentry, name string) error {
	if vd.Dentry.Negative() {
		return unix.ENOENT
	}
	if vd.Mount.ReadOnly() {
		return unix.EROFS
	}
	if err := xattrPermission(ctx.cred(), vd, name, mayWrite); err != nil {
		return err
	}
	return vd.Dentry.vnode.Removexattr(name)
}
