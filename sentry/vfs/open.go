package vfs

import (
	"strconv"

	"golang.org/x/sys/unix"
)

// Open opens path as open(2)/openat(2) do: flags are the guest's open
// flags, mode the creation mode (ctx.Umask is applied).
func (v *VFS) Open(ctx *Context, start VirtualDentry, path string, flags int, mode uint32) (*File, error) {
	return v.OpenResolve(ctx, start, path, flags, mode, 0)
}

// OpenResolve is Open for openat2(2): resolve holds the walk flags
// Beneath, InRoot, NoSymlinks, NoMagicLinks and NoXdev (others are
// ignored; O_NOFOLLOW and O_DIRECTORY come from flags).
func (v *VFS) OpenResolve(ctx *Context, start VirtualDentry, path string, flags int, mode uint32, resolve int) (*File, error) {
	if flags&unix.O_PATH != 0 {
		flags &= unix.O_PATH | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
	}
	if flags&unix.O_CREAT != 0 && flags&unix.O_DIRECTORY != 0 {
		// Also O_TMPFILE|O_CREAT, as Linux's build_open_flags.
		return nil, unix.EINVAL
	}
	if flags&oTmpfileBit != 0 {
		// O_TMPFILE is __O_TMPFILE|O_DIRECTORY; either half alone is not
		// it, and it needs write access.
		if flags&unix.O_DIRECTORY == 0 || accMode(flags)&mayWrite == 0 {
			return nil, unix.EINVAL
		}
	}
	if flags&(unix.O_CREAT|unix.O_EXCL) == unix.O_CREAT|unix.O_EXCL {
		flags |= unix.O_NOFOLLOW
	}
	wflags := resolve & (Beneath | InRoot | NoSymlinks | NoMagicLinks | NoXdev)
	if flags&unix.O_NOFOLLOW == 0 {
		wflags |= FollowFinal
	}
	if flags&unix.O_DIRECTORY != 0 {
		wflags |= MustBeDir
	}
	w, start, err := v.newWalker(ctx, start, path, wflags)
	if err != nil {
		return nil, err
	}
	if path == "" {
		return nil, unix.ENOENT
	}
	if flags&unix.O_CREAT != 0 && flags&unix.O_PATH == 0 {
		return v.openCreate(w, start, path, flags, mode)
	}
	vd, err := w.walk(start, path)
	if err != nil {
		return nil, err
	}
	defer vd.DecRef()
	if flags&oTmpfileBit != 0 {
		return v.openTmpfile(w.ctx, vd, flags, mode)
	}
	return v.openResolved(w.ctx, vd, flags, w.noTarget)
}

// oTmpfileBit is Linux's __O_TMPFILE: unix.O_TMPFILE without O_DIRECTORY.
const oTmpfileBit = unix.O_TMPFILE &^ unix.O_DIRECTORY

// openTmpfile is open with O_TMPFILE on the directory dir, as Linux's
// do_tmpfile and vfs_tmpfile: EROFS, then write and search permission on
// dir, then EOPNOTSUPP where the filesystem cannot. The file's position
// is a dentry of its own under dir, never cached and already deleted
// (d_tmpfile): fstat sees st_nlink 0, /proc/self/fd/N reads
// "/dir/#ino (deleted)", and linkat (AT_EMPTY_PATH, or through
// /proc/self/fd/N) names the vnode unless O_EXCL forbade it.
func (v *VFS) openTmpfile(ctx *Context, dir VirtualDentry, flags int, mode uint32) (*File, error) {
	d := dir.Dentry
	if !d.IsDir() {
		return nil, unix.ENOTDIR
	}
	if dir.Mount.ReadOnly() {
		return nil, unix.EROFS
	}
	cred := ctx.cred()
	if err := vnodePermission(cred, d, mayWrite|mayExec); err != nil {
		return nil, err
	}
	tm, ok := d.vnode.(TmpfileMaker)
	if !ok {
		return nil, unix.EOPNOTSUPP
	}
	mode = mode & 07777 &^ ctx.Umask
	vflags := flags &^ (unix.O_TMPFILE | unix.O_CREAT | unix.O_NOFOLLOW | unix.O_CLOEXEC | unix.O_TRUNC | unix.O_PATH)
	vn, impl, err := tm.Tmpfile(vflags, mode, cred)
	if err != nil {
		return nil, err
	}
	attr, err := vn.Getattr()
	if err != nil {
		impl.Close()
		vn.Release()
		return nil, err
	}
	c, err := newDentry(d.fs, d, "#"+strconv.FormatUint(attr.Ino, 10), vn)
	if err != nil {
		impl.Close() // newDentry Released vn
		return nil, err
	}
	if impl, err = fitHost(dir.Mount, unix.S_IFREG, impl); err != nil {
		c.deleted.Store(true)
		c.DecRef()
		return nil, err
	}
	// Never cached, so no walk finds it; deleted, so PathOf says so and
	// the name is never taken for a real one.
	c.deleted.Store(true)
	defer c.DecRef()
	return newFile(VirtualDentry{dir.Mount, c}, flags&^unix.O_EXCL, impl), nil
}

// OpenAt opens an already resolved position, as open does once the walk
// is over (reopening through /proc/self/fd, exec).
func (v *VFS) OpenAt(ctx *Context, vd VirtualDentry, flags int) (*File, error) {
	if flags&unix.O_PATH != 0 {
		flags &= unix.O_PATH | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
	}
	if ctx == nil {
		ctx = &Context{}
	}
	_, magic := vd.Dentry.vnode.(MagicLink)
	noTarget := magic && vd.Dentry.IsSymlink() && flags&unix.O_NOFOLLOW == 0
	return v.openResolved(ctx, vd, flags&^unix.O_CREAT, noTarget)
}

// openCreate is open with O_CREAT: the last component is made if missing,
// also at the end of a dangling symlink (unless O_EXCL, which implies
// O_NOFOLLOW and wants the name new).
func (v *VFS) openCreate(w *walker, start VirtualDentry, path string, flags int, mode uint32) (*File, error) {
	dir, name, trailing, err := w.parent(start, path)
	for {
		if err != nil {
			return nil, err
		}
		f, text, cerr := v.createOrOpen(w, dir, name, trailing, flags, mode)
		if text == "" {
			dir.DecRef()
			return f, cerr
		}
		next, nname, ntrailing, perr := w.parent(dir, text)
		dir.DecRef()
		dir, name, trailing, err = next, nname, ntrailing, perr
	}
}

// createOrOpen makes and opens dir/name, or opens it if it exists; for a
// symlink to follow, it returns the link's text instead.
func (v *VFS) createOrOpen(w *walker, dir VirtualDentry, name string, trailing bool, flags int, mode uint32) (*File, string, error) {
	switch name {
	case "", ".", "..":
		// The root or a dot: an existing directory.
		return nil, "", unix.EISDIR
	}
	if trailing {
		return nil, "", unix.EISDIR
	}
	d := dir.Dentry
	d.mu.Lock()
	c, err := v.lookupChildLocked(d, name)
	if err != nil {
		d.mu.Unlock()
		return nil, "", err
	}
	if c.Negative() {
		f, err := v.createLocked(w.ctx, dir, name, flags, mode)
		d.mu.Unlock()
		c.DecRef()
		v.shrink()
		return f, "", err
	}
	d.mu.Unlock()
	if flags&unix.O_EXCL != 0 {
		c.DecRef()
		return nil, "", unix.EEXIST
	}
	dir.Mount.IncRef()
	vd, err := w.crossDown(VirtualDentry{dir.Mount, c})
	if err != nil {
		return nil, "", err
	}
	defer vd.DecRef()
	if !vd.Dentry.IsSymlink() {
		f, err := v.openResolved(w.ctx, vd, flags, false)
		return f, "", err
	}
	if flags&unix.O_NOFOLLOW != 0 {
		return nil, "", unix.ELOOP
	}
	text, target, err := w.pickLink(vd)
	if err != nil {
		return nil, "", err
	}
	if text == "" {
		defer target.DecRef()
		f, err := v.openResolved(w.ctx, target, flags, w.noTarget)
		return f, "", err
	}
	return nil, text, nil
}

// createLocked makes and opens the regular file name in dir.
//
// Preconditions: dir.Dentry.mu is held for writing; name is not cached
// as positive.
func (v *VFS) createLocked(ctx *Context, dir VirtualDentry, name string, flags int, mode uint32) (*File, error) {
	if dir.Mount.ReadOnly() {
		return nil, unix.EROFS
	}
	cred := ctx.cred()
	if err := mayCreate(cred, dir.Dentry); err != nil {
		return nil, err
	}
	mode = mode & 07777 &^ ctx.Umask
	vn, impl, err := dir.Dentry.vnode.Create(name, vnodeFlags(flags), mode, cred)
	if err != nil {
		return nil, err
	}
	c, err := newDentry(dir.Dentry.fs, dir.Dentry, name, vn)
	if err != nil {
		impl.Close()
		return nil, err
	}
	if impl, err = fitHost(dir.Mount, unix.S_IFREG, impl); err != nil {
		// The file is made: it stays, as a failed open after a create
		// leaves it on Linux.
		v.insertChildLocked(dir.Dentry, c)
		c.DecRef()
		return nil, err
	}
	defer c.DecRef()
	v.insertChildLocked(dir.Dentry, c)
	return newFile(VirtualDentry{dir.Mount, c}, flags, impl), nil
}

// vnodeFlags are the open flags Vnode.Open and Create see.
func vnodeFlags(flags int) int {
	return flags &^ (unix.O_CREAT | unix.O_EXCL | unix.O_NOFOLLOW | unix.O_CLOEXEC | unix.O_TRUNC)
}

// accMode returns the permissions opening with flags needs.
func accMode(flags int) uint32 {
	var acc uint32
	switch flags & unix.O_ACCMODE {
	case unix.O_RDONLY:
		acc = mayRead
	case unix.O_WRONLY:
		acc = mayWrite
	default:
		acc = mayRead | mayWrite
	}
	if flags&unix.O_TRUNC != 0 {
		acc |= mayWrite
	}
	return acc
}

// openResolved opens vd, found by a walk, with the checks Linux's do_open
// and may_open make. noTarget says vd is a magic link standing for an
// object without a path: its vnode's Open reopens that object.
func (v *VFS) openResolved(ctx *Context, vd VirtualDentry, flags int, noTarget bool) (*File, error) {
	d := vd.Dentry
	if flags&unix.O_PATH != 0 {
		impl, err := d.vnode.Open(vnodeFlags(flags))
		if err == unix.ENXIO || err == unix.EOPNOTSUPP {
			impl, err = NewPlaceholder(unix.O_PATH)
		}
		if err != nil {
			return nil, err
		}
		if noTarget {
			return newReopenedFile(vd, flags, impl), nil
		}
		return newFile(vd, flags, impl), nil
	}
	if noTarget {
		mayBlock(ctx)
		impl, err := d.vnode.Open(vnodeFlags(flags))
		if err != nil {
			return nil, err
		}
		if impl, err = fitHost(vd.Mount, d.typ, impl); err != nil {
			return nil, err
		}
		return newReopenedFile(vd, flags, impl), nil
	}
	if flags&unix.O_CREAT != 0 && d.IsDir() {
		return nil, unix.EISDIR
	}
	if flags&unix.O_DIRECTORY != 0 && !d.IsDir() {
		return nil, unix.ENOTDIR
	}
	acc := accMode(flags)
	truncate := false
	if d.typ == unix.S_IFREG && flags&unix.O_TRUNC != 0 {
		if vd.Mount.ReadOnly() {
			return nil, unix.EROFS
		}
		truncate = true
	}
	switch d.typ {
	case unix.S_IFLNK:
		return nil, unix.ELOOP
	case unix.S_IFDIR:
		if acc&mayWrite != 0 {
			return nil, unix.EISDIR
		}
	case unix.S_IFBLK, unix.S_IFCHR:
		if vd.Mount.Flags()&unix.MS_NODEV != 0 {
			return nil, unix.EACCES
		}
	}
	attr, err := d.vnode.Getattr()
	if err != nil {
		return nil, err
	}
	cred := ctx.cred()
	if err := permission(cred, &attr, acc); err != nil {
		return nil, err
	}
	if flags&unix.O_NOATIME != 0 && !ownerOrCapable(cred, &attr) {
		return nil, unix.EPERM
	}
	if acc&mayWrite != 0 && d.typ == unix.S_IFREG && vd.Mount.ReadOnly() {
		return nil, unix.EROFS
	}
	if !openNeverWaits(d.typ, attr.Rdev) {
		mayBlock(ctx)
	}
	var impl FileImpl
	if d.typ == unix.S_IFIFO {
		impl, err = openFifo(ctx.Interrupt, d.vnode, vnodeFlags(flags))
	} else if co, ok := d.vnode.(ContextOpener); ok {
		impl, err = co.OpenFor(ctx, vnodeFlags(flags))
	} else if d.typ == unix.S_IFREG {
		impl, err = openRegular(ctx, d.vnode, vnodeFlags(flags))
	} else {
		impl, err = d.vnode.Open(vnodeFlags(flags))
	}
	if err != nil {
		return nil, err
	}
	if impl, err = fitHost(vd.Mount, d.typ, impl); err != nil {
		return nil, err
	}
	if truncate {
		sa := &SetAttr{Mask: SetSize}
		if mode, ok := killPriv(cred, &attr); ok {
			sa.Mask |= SetMode
			sa.Mode = mode
		}
		if err := d.vnode.Setattr(sa); err != nil {
			impl.Close()
			return nil, err
		}
	}
	return newFile(vd, flags, impl), nil
}

// mayBlock tells the caller that its open may now wait on another process
// (Interrupt.Block).
func mayBlock(ctx *Context) {
	if ctx.Interrupt != nil {
		ctx.Interrupt.Block()
	}
}

// openRegular opens regular file vnode vn with flags. Such an open waits
// only while another process holds a lease on the file that it breaks
// (fcntl(2) F_SETLEASE): until the holder gives the lease up, which it
// may do with calls the sentry serves, or lease-break-time passes. So it
// is tried with O_NONBLOCK first, which the host fails with EWOULDBLOCK
// instead of waiting (the break is begun all the same), and only then
// made as asked, after Interrupt.Block. O_NONBLOCK, which means nothing
// else to a regular file, is taken off the open file again: F_SETFL with
// the flags asked for, which changes nothing else (O_ASYNC, kept, is not
// armed by it, as open leaves it unarmed).
func openRegular(ctx *Context, vn Vnode, flags int) (FileImpl, error) {
	if flags&unix.O_NONBLOCK != 0 || ctx.Interrupt == nil {
		return vn.Open(flags)
	}
	impl, err := vn.Open(flags | unix.O_NONBLOCK)
	if err == unix.EWOULDBLOCK {
		mayBlock(ctx)
		return vn.Open(flags)
	}
	if err != nil {
		return nil, err
	}
	if h := impl.HostFD(); h >= 0 {
		if _, err := unix.FcntlInt(uintptr(h), unix.F_SETFL, flags); err != nil {
			impl.Close()
			return nil, err
		}
	}
	return impl, nil
}

// openNeverWaits reports whether an open of a file of type typ (and rdev)
// cannot wait on another process: a directory, a regular file (but for a
// lease, which openRegular sees to), or a memory device (major 1: null,
// zero, full, random, urandom). A fifo waits for its peer, a terminal
// may wait for its line, other devices as their drivers do.
func openNeverWaits(typ uint32, rdev uint64) bool {
	switch typ {
	case unix.S_IFDIR, unix.S_IFREG:
		return true
	case unix.S_IFCHR:
		return unix.Major(rdev) == 1
	}
	return false
}
