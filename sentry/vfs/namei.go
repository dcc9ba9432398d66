package vfs

import (
	"golang.org/x/sys/unix"
)

// This file holds the operations that make or remove one name: mkdir,
// mknod, symlink, link, unlink, rmdir. Each resolves the parent, locks it
// (Dentry.mu) across the check and the vnode operation, and updates the
// name cache before unlocking.

// beginCreate resolves the directory where path's last component is to be
// made, as Linux's filename_create: EEXIST if the name exists (or is ".",
// ".." or the root), ENOENT for a trailing slash unless isDir, EROFS, EXDEV
// if sameMount is set and differs, EACCES without write and search
// permission. On success the directory's mu is held for writing and the
// caller owns a reference on it; endCreate drops both.
func (v *VFS) beginCreate(ctx *Context, start VirtualDentry, path string, isDir bool, sameMount *Mount) (VirtualDentry, string, error) {
	w, start, err := v.newWalker(ctx, start, path, 0)
	if err != nil {
		return VirtualDentry{}, "", err
	}
	if path == "" {
		return VirtualDentry{}, "", unix.ENOENT
	}
	dir, name, trailing, err := w.parent(start, path)
	if err != nil {
		return VirtualDentry{}, "", err
	}
	switch name {
	case "", ".", "..":
		dir.DecRef()
		return VirtualDentry{}, "", unix.EEXIST
	}
	d := dir.Dentry
	d.mu.Lock()
	err = func() error {
		c, err := v.lookupChildLocked(d, name)
		if err != nil {
			return err
		}
		defer c.DecRef()
		switch {
		case !c.Negative():
			return unix.EEXIST
		case trailing && !isDir:
			return unix.ENOENT
		case dir.Mount.ReadOnly():
			return unix.EROFS
		case sameMount != nil && sameMount != dir.Mount:
			return unix.EXDEV
		}
		return mayCreate(ctx.cred(), d)
	}()
	if err != nil {
		d.mu.Unlock()
		dir.DecRef()
		return VirtualDentry{}, "", err
	}
	return dir, name, nil
}

// endCreate forgets the negative entry of the name just made and unlocks
// the directory beginCreate locked.
func (v *VFS) endCreate(dir VirtualDentry, name string) {
	v.invalidateLocked(dir.Dentry, name)
	dir.Dentry.mu.Unlock()
	dir.DecRef()
	v.shrink()
}

// Mkdir makes the directory path (mkdir(2)); mode gets ctx.Umask.
func (v *VFS) Mkdir(ctx *Context, start VirtualDentry, path string, mode uint32) error {
	dir, name, err := v.beginCreate(ctx, start, path, true, nil)
	if err != nil {
		return err
	}
	defer v.endCreate(dir, name)
	mode = mode & (0777 | unix.S_ISVTX) &^ ctx.Umask
	return dir.Dentry.vnode.Mkdir(name, mode, ctx.cred())
}

// Mknod makes the node path (mknod(2)): a regular file, fifo, socket or
// device; mode holds the S_IFMT bits and gets ctx.Umask.
func (v *VFS) Mknod(ctx *Context, start VirtualDentry, path string, mode uint32, dev uint64) error {
	typ := mode & unix.S_IFMT
	switch typ {
	case 0, unix.S_IFREG, unix.S_IFCHR, unix.S_IFBLK, unix.S_IFIFO, unix.S_IFSOCK:
	case unix.S_IFDIR:
		return unix.EPERM
	default:
		return unix.EINVAL
	}
	dir, name, err := v.beginCreate(ctx, start, path, false, nil)
	if err != nil {
		return err
	}
	defer v.endCreate(dir, name)
	cred := ctx.cred()
	if (typ == unix.S_IFCHR || typ == unix.S_IFBLK) && !cred.HasCap(capMknod) {
		return unix.EPERM
	}
	perm := mode & 07777 &^ ctx.Umask
	if typ == 0 || typ == unix.S_IFREG {
		vn, impl, err := dir.Dentry.vnode.Create(name, unix.O_RDONLY, perm, cred)
		if err != nil {
			return err
		}
		// Nothing caches the new vnode: release what it holds (its host
		// descriptor), or each mknod would keep one for good.
		err = impl.Close()
		vn.Release()
		return err
	}
	return dir.Dentry.vnode.Mknod(name, typ|perm, dev, cred)
}

// Symlink makes the symbolic link path holding target (symlink(2)).
func (v *VFS) Symlink(ctx *Context, target string, start VirtualDentry, path string) error {
	if target == "" {
		return unix.ENOENT
	}
	if len(target) >= PathMax {
		return unix.ENAMETOOLONG
	}
	dir, name, err := v.beginCreate(ctx, start, path, false, nil)
	if err != nil {
		return err
	}
	defer v.endCreate(dir, name)
	return dir.Dentry.vnode.Symlink(name, target, ctx.cred())
}

// Link makes newPath a hard link to oldPath (linkat(2)); oldFlags may hold
// FollowFinal (AT_SYMLINK_FOLLOW) and EmptyPath.
func (v *VFS) Link(ctx *Context, oldStart VirtualDentry, oldPath string, oldFlags int, newStart VirtualDentry, newPath string) error {
	old, err := v.Walk(ctx, oldStart, oldPath, oldFlags&(FollowFinal|EmptyPath))
	if err != nil {
		return err
	}
	defer old.DecRef()
	dir, name, err := v.beginCreate(ctx, newStart, newPath, false, old.Mount)
	if err != nil {
		return err
	}
	defer v.endCreate(dir, name)
	cred := ctx.cred()
	if err := mayLink(cred, old.Dentry); err != nil {
		return err
	}
	if old.Dentry.IsDir() {
		return unix.EPERM
	}
	return dir.Dentry.vnode.Link(name, old.Dentry.vnode)
}

// mayLink applies fs.protected_hardlinks (on by default): who neither owns
// the file nor holds CAP_FOWNER may link only a regular, non-setuid,
// non-setgid-executable file they can read and write (EPERM).
func mayLink(cred *Cred, d *Dentry) error {
	attr, err := d.vnode.Getattr()
	if err != nil {
		return err
	}
	if ownerOrCapable(cred, &attr) {
		return nil
	}
	if attr.Type() != unix.S_IFREG || attr.Mode&unix.S_ISUID != 0 ||
		attr.Mode&(unix.S_ISGID|unix.S_IXGRP) == unix.S_ISGID|unix.S_IXGRP ||
		permission(cred, &attr, mayRead|mayWrite) != nil {
		return unix.EPERM
	}
	return nil
}

// beginRemove resolves path's parent for unlink and rmdir, checks the
// mount is writable and locks the parent. It returns the victim's cached
// dentry (maybe negative) and whether a slash followed the name; the
// caller owns references on the parent and the victim, and drops them
// with endRemove.
func (v *VFS) beginRemove(ctx *Context, start VirtualDentry, path string, special func(name string) error) (VirtualDentry, *Dentry, bool, error) {
	w, start, err := v.newWalker(ctx, start, path, 0)
	if err != nil {
		return VirtualDentry{}, nil, false, err
	}
	if path == "" {
		return VirtualDentry{}, nil, false, unix.ENOENT
	}
	dir, name, trailing, err := w.parent(start, path)
	if err != nil {
		return VirtualDentry{}, nil, false, err
	}
	if name == "" {
		name = "/"
	}
	err = special(name)
	if err == nil && dir.Mount.ReadOnly() {
		err = unix.EROFS
	}
	if err != nil {
		dir.DecRef()
		return VirtualDentry{}, nil, false, err
	}
	dir.Dentry.mu.Lock()
	c, err := v.lookupChildLocked(dir.Dentry, name)
	if err != nil {
		dir.Dentry.mu.Unlock()
		dir.DecRef()
		return VirtualDentry{}, nil, false, err
	}
	return dir, c, trailing, nil
}

// endRemove unlocks what beginRemove locked and drops its references.
func (v *VFS) endRemove(dir VirtualDentry, c *Dentry) {
	dir.Dentry.mu.Unlock()
	c.DecRef()
	dir.DecRef()
	v.shrink()
}

// Unlink removes the non-directory path (unlink(2)).
func (v *VFS) Unlink(ctx *Context, start VirtualDentry, path string) error {
	dir, c, trailing, err := v.beginRemove(ctx, start, path, func(name string) error {
		switch name {
		case "/", ".", "..":
			return unix.EISDIR
		}
		return nil
	})
	if err != nil {
		return err
	}
	d := dir.Dentry
	defer v.endRemove(dir, c)
	switch {
	case c.Negative():
		return unix.ENOENT
	case trailing && c.IsDir():
		return unix.EISDIR
	case trailing:
		return unix.ENOTDIR
	}
	if err := v.mayDelete(ctx.cred(), d, c, false); err != nil {
		return err
	}
	if err := d.vnode.Unlink(c.name); err != nil {
		return err
	}
	v.removeLocked(d, c.name)
	return nil
}

// Rmdir removes the empty directory path (rmdir(2)).
func (v *VFS) Rmdir(ctx *Context, start VirtualDentry, path string) error {
	dir, c, _, err := v.beginRemove(ctx, start, path, func(name string) error {
		switch name {
		case "/":
			return unix.EBUSY
		case ".":
			return unix.EINVAL
		case "..":
			return unix.ENOTEMPTY
		}
		return nil
	})
	if err != nil {
		return err
	}
	d := dir.Dentry
	defer v.endRemove(dir, c)
	if err := v.mayDelete(ctx.cred(), d, c, true); err != nil {
		return err
	}
	if err := d.vnode.Rmdir(c.name); err != nil {
		return err
	}
	v.removeLocked(d, c.name)
	return nil
}
