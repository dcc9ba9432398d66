package dirfs

import (
	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

// mutable returns the errno for a change to directory n, nil if allowed.
func (n *node) mutable(name string) error {
	if n.fs.opts.ReadOnly {
		return unix.EROFS
	}
	if n.typ != unix.S_IFDIR {
		return unix.ENOTDIR
	}
	return checkName(name)
}

// useMutable checks a change to directory n as mutable does and begins an
// operation on its descriptor (see use; the caller calls done).
func (n *node) useMutable(name string) (int, error) {
	if err := n.mutable(name); err != nil {
		return -1, err
	}
	return n.use()
}

// Create implements vfs.Vnode.Create.
func (n *node) Create(name string, flags int, mode uint32, cred *vfs.Cred) (vfs.Vnode, vfs.FileImpl, error) {
	dirfd, err := n.useMutable(name)
	if err != nil {
		return nil, nil, err
	}
	defer n.done()
	count(opCreate)
	flags &^= unix.O_PATH | unix.O_DIRECTORY | unix.O_TMPFILE | unix.O_TRUNC
	fd := -1
	as, err := n.fs.create(cred, mode, func() (err error) {
		host(opCreate, hOpenat2)
		fd, err = unix.Openat2(dirfd, name, &unix.OpenHow{
			Flags:   uint64(flags | unix.O_CREAT | unix.O_EXCL | unix.O_NOFOLLOW | unix.O_CLOEXEC),
			Mode:    uint64(mode & 07777),
			Resolve: resolveFlags,
		})
		return err
	})
	if err != nil {
		return nil, nil, errno(err)
	}
	// The vnode's O_PATH descriptor names the very inode just created.
	host(opCreate, hOpen)
	host(opCreate, hFstat)
	pfd, err := reopen(fd, unix.O_PATH)
	if err != nil {
		unix.Close(fd)
		return nil, nil, errno(err)
	}
	c, err := n.fs.newNode(pfd)
	if err != nil {
		unix.Close(pfd)
		unix.Close(fd)
		return nil, nil, errno(err)
	}
	if err := n.fs.ownUnless(as, c, n, mode, cred); err != nil {
		c.Release()
		unix.Close(fd)
		return nil, nil, err
	}
	return c, wrapFile(fd, unix.S_IFREG, flags), nil
}

// Tmpfile implements vfs.TmpfileMaker: openat(dir, ".", O_TMPFILE|flags,
// mode) makes an unnamed host file in the directory (O_EXCL: never
// linkable, which the host enforces); Link names it later.
func (n *node) Tmpfile(flags int, mode uint32, cred *vfs.Cred) (vfs.Vnode, vfs.FileImpl, error) {
	if n.fs.opts.ReadOnly {
		return nil, nil, unix.EROFS
	}
	if n.typ != unix.S_IFDIR {
		return nil, nil, unix.ENOTDIR
	}
	if flags&unix.O_ACCMODE == unix.O_RDONLY {
		return nil, nil, unix.EINVAL
	}
	dirfd, err := n.use()
	if err != nil {
		return nil, nil, err
	}
	defer n.done()
	count(opTmpfile)
	flags &^= unix.O_PATH | unix.O_DIRECTORY | unix.O_TMPFILE | unix.O_CREAT | unix.O_TRUNC | unix.O_NOFOLLOW
	fd := -1
	as, err := n.fs.create(cred, mode, func() (err error) {
		host(opTmpfile, hOpenat2)
		fd, err = unix.Openat2(dirfd, ".", &unix.OpenHow{
			Flags:   uint64(flags | unix.O_TMPFILE | unix.O_CLOEXEC),
			Mode:    uint64(mode & 07777),
			Resolve: resolveFlags,
		})
		return err
	})
	if err != nil {
		return nil, nil, errno(err)
	}
	// The vnode's O_PATH descriptor names the unnamed inode itself.
	host(opTmpfile, hOpen)
	host(opTmpfile, hFstat)
	pfd, err := reopen(fd, unix.O_PATH)
	if err != nil {
		unix.Close(fd)
		return nil, nil, errno(err)
	}
	c, err := n.fs.newNode(pfd)
	if err != nil {
		unix.Close(pfd)
		unix.Close(fd)
		return nil, nil, errno(err)
	}
	if err := n.fs.ownUnless(as, c, n, mode, cred); err != nil {
		c.Release()
		unix.Close(fd)
		return nil, nil, err
	}
	return c, &file{fd: fd}, nil
}

// Mkdir implements vfs.Vnode.Mkdir.
func (n *node) Mkdir(name string, mode uint32, cred *vfs.Cred) error {
	fd, err := n.useMutable(name)
	if err != nil {
		return err
	}
	defer n.done()
	count(opMkdir)
	as, err := n.fs.create(cred, mode, func() error { host(opMkdir, hMkdirat); return unix.Mkdirat(fd, name, mode&07777) })
	if err != nil || as {
		return errno(err)
	}
	return n.ownChild(name, unix.S_IFDIR, mode, cred)
}

// Mknod implements vfs.Vnode.Mknod.
func (n *node) Mknod(name string, mode uint32, dev uint64, cred *vfs.Cred) error {
	fd, err := n.useMutable(name)
	if err != nil {
		return err
	}
	defer n.done()
	switch mode & unix.S_IFMT {
	case unix.S_IFREG, 0:
		mode = mode&07777 | unix.S_IFREG
	case unix.S_IFIFO, unix.S_IFSOCK:
	case unix.S_IFCHR, unix.S_IFBLK:
		// A guest device node on the host would let a guest root open
		// the host's disks and memory: refuse, as a nodev export should.
		return unix.EPERM
	case unix.S_IFDIR:
		return unix.EPERM
	default:
		return unix.EINVAL
	}
	count(opMknod)
	as, err := n.fs.create(cred, mode, func() error { host(opMknod, hMknodat); return unix.Mknodat(fd, name, mode, int(dev)) })
	if err != nil || as {
		return errno(err)
	}
	return n.ownChild(name, mode&unix.S_IFMT, mode, cred)
}

// Symlink implements vfs.Vnode.Symlink.
func (n *node) Symlink(name, target string, cred *vfs.Cred) error {
	fd, err := n.useMutable(name)
	if err != nil {
		return err
	}
	defer n.done()
	count(opSymlink)
	as, err := n.fs.create(cred, 0o777, func() error { host(opSymlink, hSymlinkat); return unix.Symlinkat(target, fd, name) })
	if err != nil || as {
		return errno(err)
	}
	return n.ownChild(name, unix.S_IFLNK, 0o777, cred)
}

// ownChild gives the just-made child name of n to cred and the permission
// bits mode, through a confined O_PATH descriptor of it (never by a path
// the host could redirect through a symlink).
func (n *node) ownChild(name string, typ, mode uint32, cred *vfs.Cred) error {
	if !n.fs.needOwn(mode, cred) {
		return nil
	}
	fd, err := n.openChild(name)
	host(opOwn, hOpenat2)
	if err != nil {
		return errno(err)
	}
	c, err := n.fs.newNode(fd)
	host(opOwn, hFstat)
	if err != nil {
		unix.Close(fd)
		return errno(err)
	}
	defer c.Release()
	if c.typ != typ {
		return nil // replaced on the host meanwhile; leave it alone
	}
	return n.fs.own(c, n, mode, cred)
}

// needOwn reports whether a new object needs fixing after creation: a
// chown to the guest credential, or permission bits the umask stripped.
func (fs *FS) needOwn(mode uint32, cred *vfs.Cred) bool {
	if fs.hostRoot && cred != nil && (cred.UID != fs.euid || cred.GID != fs.egid) {
		return true
	}
	return mode&07777&(fs.umask|07000) != 0
}

// ownUnless is own, unless as says the creator made c as cred already.
func (fs *FS) ownUnless(as bool, c, dir *node, mode uint32, cred *vfs.Cred) error {
	if as {
		return nil
	}
	return fs.own(c, dir, mode, cred)
}

// own chowns c (just created in dir) to cred when the host user is root,
// and restores the permission bits the umask or the chown stripped.
func (fs *FS) own(c, dir *node, mode uint32, cred *vfs.Cred) error {
	if !fs.needOwn(mode, cred) {
		return nil
	}
	count(opOwn)
	cfd, err := c.use()
	if err != nil {
		return err
	}
	defer c.done()
	if fs.hostRoot && cred != nil && (cred.UID != fs.euid || cred.GID != fs.egid) {
		gid := int(cred.GID)
		dirfd, err := dir.use()
		if err != nil {
			return err
		}
		var pst unix.Stat_t
		host(opOwn, hFstat)
		host(opOwn, hFchownat)
		if unix.Fstat(dirfd, &pst) == nil && pst.Mode&unix.S_ISGID != 0 {
			gid = -1 // the host gave the directory's group, as Linux does
		}
		dir.done()
		err = unix.Fchownat(cfd, "", int(cred.UID), gid, unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW)
		if err != nil {
			return errno(err)
		}
	}
	if c.typ == unix.S_IFLNK {
		return nil
	}
	var st unix.Stat_t
	host(opOwn, hFstat)
	if err := unix.Fstat(cfd, &st); err != nil {
		return errno(err)
	}
	want := mode & 07777
	if c.typ == unix.S_IFDIR {
		want |= st.Mode & unix.S_ISGID // inherited from a setgid parent
	}
	if st.Mode&07777 == want {
		return nil
	}
	host(opOwn, hFchmodat)
	return errno(unix.Fchmodat(unix.AT_FDCWD, procPath(cfd), want, 0))
}

// Link implements vfs.Vnode.Link.
func (n *node) Link(name string, target vfs.Vnode) error {
	if err := n.mutable(name); err != nil {
		return err
	}
	t, ok := target.(*node)
	if !ok || t.fs != n.fs {
		return unix.EXDEV
	}
	if t.typ == unix.S_IFDIR {
		return unix.EPERM
	}
	dirfd, err := n.use()
	if err != nil {
		return err
	}
	defer n.done()
	tfd, err := t.use()
	if err != nil {
		return err
	}
	defer t.done()
	count(opLink)
	host(opLink, hLinkat)
	err = unix.Linkat(tfd, "", dirfd, name, unix.AT_EMPTY_PATH)
	if err == unix.ENOENT || err == unix.EPERM {
		host(opLink, hLinkat)
		// Without CAP_DAC_READ_SEARCH, AT_EMPTY_PATH is refused with
		// ENOENT; the magic link names the same inode.
		err = unix.Linkat(unix.AT_FDCWD, procPath(tfd), dirfd, name, unix.AT_SYMLINK_FOLLOW)
	}
	return errno(err)
}

// Unlink implements vfs.Vnode.Unlink.
func (n *node) Unlink(name string) error {
	fd, err := n.useMutable(name)
	if err != nil {
		return err
	}
	defer n.done()
	count(opUnlink)
	host(opUnlink, hUnlinkat)
	return errno(unix.Unlinkat(fd, name, 0))
}

// Rmdir implements vfs.Vnode.Rmdir.
func (n *node) Rmdir(name string) error {
	fd, err := n.useMutable(name)
	if err != nil {
		return err
	}
	defer n.done()
	count(opRmdir)
	host(opRmdir, hUnlinkat)
	return errno(unix.Unlinkat(fd, name, unix.AT_REMOVEDIR))
}

// Rename implements vfs.Vnode.Rename with renameat2, flags passed through.
func (n *node) Rename(oldName string, newDir vfs.Vnode, newName string, flags uint32) error {
	if err := n.mutable(oldName); err != nil {
		return err
	}
	nd, ok := newDir.(*node)
	if !ok || nd.fs != n.fs {
		return unix.EXDEV
	}
	if err := nd.mutable(newName); err != nil {
		return err
	}
	ofd, err := n.use()
	if err != nil {
		return err
	}
	defer n.done()
	nfd, err := nd.use()
	if err != nil {
		return err
	}
	defer nd.done()
	count(opRename)
	host(opRename, hRenameat2)
	return errno(unix.Renameat2(ofd, oldName, nfd, newName, uint(flags)))
}
