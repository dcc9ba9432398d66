package tmpfs

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

// checkName returns the errno for a name a directory cannot hold.
func checkName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") {
		return unix.EINVAL
	}
	if len(name) > unix.NAME_MAX {
		return unix.ENAMETOOLONG
	}
	return nil
}

// dirLocked returns the errno for an entry operation on n, nil if n is a
// live directory.
//
// Preconditions: n.fs.mu is held.
func (n *inode) dirLocked(name string) error {
	if n.children == nil {
		return unix.ENOTDIR
	}
	if n.nlink == 0 {
		return unix.ENOENT // removed directory
	}
	return checkName(name)
}

// Lookup implements vfs.Vnode.Lookup.
func (n *inode) Lookup(name string) (vfs.Vnode, error) {
	n.fs.mu.Lock()
	defer n.fs.mu.Unlock()
	if n.children == nil {
		return nil, unix.ENOTDIR
	}
	if err := checkName(name); err != nil {
		return nil, err
	}
	c := n.children[name]
	if c == nil {
		return nil, unix.ENOENT
	}
	c.refs++
	return c, nil
}

// Readdir implements vfs.Vnode.Readdir: ".", "..", then names in order.
func (n *inode) Readdir() ([]vfs.DirEntry, error) {
	n.fs.mu.Lock()
	defer n.fs.mu.Unlock()
	if n.children == nil {
		return nil, unix.ENOTDIR
	}
	if n.nlink == 0 {
		return nil, unix.ENOENT // removed (Linux's IS_DEADDIR)
	}
	ents := []vfs.DirEntry{
		{Name: ".", Ino: n.ino, Type: unix.DT_DIR},
		{Name: "..", Ino: n.parent.ino, Type: unix.DT_DIR},
	}
	for _, name := range sortedKeys(n.children) {
		c := n.children[name]
		ents = append(ents, vfs.DirEntry{Name: name, Ino: c.ino, Type: dtype(c.typ())})
	}
	return ents, nil
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// dtype returns the dirent type of S_IFMT bits typ.
func dtype(typ uint32) uint8 { return uint8(typ >> 12) }

// ownerLocked returns the owner of a new child of n made by cred, and the
// mode it gets: the group of a set-group-ID directory is inherited, and
// its bit by subdirectories, as Linux's inode_init_owner.
//
// Preconditions: n.fs.mu is held.
func (n *inode) ownerLocked(mode uint32, cred *vfs.Cred) (uint32, uint32, uint32) {
	var uid, gid uint32
	if cred != nil {
		uid, gid = cred.UID, cred.GID
	}
	if n.mode&unix.S_ISGID != 0 {
		gid = n.gid
		if mode&unix.S_IFMT == unix.S_IFDIR {
			mode |= unix.S_ISGID
		}
	}
	return mode, uid, gid
}

// addLocked makes a child of n with mode (type included) and links it.
//
// Preconditions: n.fs.mu is held; n.dirLocked(name) is nil.
func (n *inode) addLocked(name string, mode uint32, cred *vfs.Cred) (*inode, error) {
	if n.children[name] != nil {
		return nil, unix.EEXIST
	}
	mode, uid, gid := n.ownerLocked(mode, cred)
	c, err := n.fs.allocInodeLocked(mode, uid, gid)
	if err != nil {
		return nil, err
	}
	switch c.typ() {
	case unix.S_IFREG:
		fd, err := unix.MemfdCreate(memfdName(name), unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
		if err != nil {
			c.nlink = 0
			c.maybeFreeLocked()
			return nil, errnoOf(err)
		}
		c.setMemfdLocked(fd)
	case unix.S_IFDIR:
		c.children = map[string]*inode{}
		c.parent = n
		c.nlink = 2
		n.nlink++
	case unix.S_IFIFO:
		fd, err := hostFifo()
		if err != nil {
			c.nlink = 0
			c.maybeFreeLocked()
			return nil, err
		}
		c.fifo = fd
	}
	n.children[name] = c
	n.touchLocked()
	if c.typ() == unix.S_IFREG {
		// As Linux: the directory's times are the new file's.
		n.mtime, n.ctime = c.ctime, c.ctime
	}
	return c, nil
}

// touchLocked marks directory n's entries changed.
func (n *inode) touchLocked() {
	n.mtime = nowTS()
	n.ctime = n.mtime
}

// memfdName names a memfd after the file, within memfd_create's limit.
func memfdName(name string) string {
	name = "tmpfs:" + name
	if len(name) > 240 {
		name = name[:240]
	}
	return name
}

// Create implements vfs.Vnode.Create.
func (n *inode) Create(name string, flags int, mode uint32, cred *vfs.Cred) (vfs.Vnode, vfs.FileImpl, error) {
	n.fs.mu.Lock()
	if err := n.dirLocked(name); err != nil {
		n.fs.mu.Unlock()
		return nil, nil, err
	}
	c, err := n.addLocked(name, unix.S_IFREG|mode&07777, cred)
	if err != nil {
		n.fs.mu.Unlock()
		return nil, nil, err
	}
	c.refs++
	n.fs.mu.Unlock()
	f, err := c.Open(flags &^ (unix.O_DIRECTORY | unix.O_PATH))
	if err != nil {
		c.Release()
		return nil, nil, err
	}
	return c, f, nil
}

// Tmpfile implements vfs.TmpfileMaker, as Linux's shmem_tmpfile: a
// memfd-backed inode with no link, held only by the VFS's reference,
// linkable unless O_EXCL.
func (n *inode) Tmpfile(flags int, mode uint32, cred *vfs.Cred) (vfs.Vnode, vfs.FileImpl, error) {
	n.fs.mu.Lock()
	if n.children == nil {
		n.fs.mu.Unlock()
		return nil, nil, unix.ENOTDIR
	}
	if n.nlink == 0 {
		n.fs.mu.Unlock()
		return nil, nil, unix.ENOENT // removed directory
	}
	mode, uid, gid := n.ownerLocked(unix.S_IFREG|mode&07777, cred)
	c, err := n.fs.allocInodeLocked(mode, uid, gid)
	if err != nil {
		n.fs.mu.Unlock()
		return nil, nil, err
	}
	fd, err := unix.MemfdCreate(memfdName("#"+strconv.FormatUint(c.ino, 10)), unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		c.nlink = 0
		c.maybeFreeLocked()
		n.fs.mu.Unlock()
		return nil, nil, errnoOf(err)
	}
	c.setMemfdLocked(fd)
	c.nlink = 0
	c.linkable = flags&unix.O_EXCL == 0
	c.refs = 1
	n.fs.mu.Unlock()
	f, err := c.Open(flags &^ (unix.O_DIRECTORY | unix.O_PATH | unix.O_TMPFILE | unix.O_EXCL))
	if err != nil {
		c.Release()
		return nil, nil, err
	}
	return c, f, nil
}

// Mkdir implements vfs.Vnode.Mkdir.
func (n *inode) Mkdir(name string, mode uint32, cred *vfs.Cred) error {
	n.fs.mu.Lock()
	defer n.fs.mu.Unlock()
	if err := n.dirLocked(name); err != nil {
		return err
	}
	_, err := n.addLocked(name, unix.S_IFDIR|mode&07777, cred)
	return err
}

// Mknod implements vfs.Vnode.Mknod.
func (n *inode) Mknod(name string, mode uint32, dev uint64, cred *vfs.Cred) error {
	switch mode & unix.S_IFMT {
	case 0:
		mode |= unix.S_IFREG
	case unix.S_IFREG, unix.S_IFCHR, unix.S_IFBLK, unix.S_IFIFO, unix.S_IFSOCK:
	case unix.S_IFDIR:
		return unix.EPERM
	default:
		return unix.EINVAL
	}
	n.fs.mu.Lock()
	defer n.fs.mu.Unlock()
	if err := n.dirLocked(name); err != nil {
		return err
	}
	c, err := n.addLocked(name, mode&(unix.S_IFMT|07777), cred)
	if err != nil {
		return err
	}
	if t := c.typ(); t == unix.S_IFCHR || t == unix.S_IFBLK {
		c.rdev = dev
	}
	return nil
}

// Symlink implements vfs.Vnode.Symlink.
func (n *inode) Symlink(name, target string, cred *vfs.Cred) error {
	if len(target) >= unix.PathMax {
		return unix.ENAMETOOLONG
	}
	n.fs.mu.Lock()
	defer n.fs.mu.Unlock()
	if err := n.dirLocked(name); err != nil {
		return err
	}
	c, err := n.addLocked(name, unix.S_IFLNK|0o777, cred)
	if err != nil {
		return err
	}
	c.target = target
	return nil
}

// Link implements vfs.Vnode.Link.
func (n *inode) Link(name string, target vfs.Vnode) error {
	t, ok := target.(*inode)
	if !ok || t.fs != n.fs {
		return unix.EXDEV
	}
	n.fs.mu.Lock()
	defer n.fs.mu.Unlock()
	if err := n.dirLocked(name); err != nil {
		return err
	}
	switch {
	case t.children != nil:
		return unix.EPERM
	case t.nlink == 0 && !t.linkable:
		return unix.ENOENT
	case n.children[name] != nil:
		return unix.EEXIST
	}
	t.linkable = false
	t.nlink++
	t.ctime = nowTS()
	n.children[name] = t
	n.touchLocked()
	return nil
}

// Unlink implements vfs.Vnode.Unlink.
func (n *inode) Unlink(name string) error {
	n.fs.mu.Lock()
	defer n.fs.mu.Unlock()
	if err := n.dirLocked(name); err != nil {
		return err
	}
	c := n.children[name]
	switch {
	case c == nil:
		return unix.ENOENT
	case c.children != nil:
		return unix.EISDIR
	}
	n.dropLocked(name, c)
	return nil
}

// Rmdir implements vfs.Vnode.Rmdir.
func (n *inode) Rmdir(name string) error {
	n.fs.mu.Lock()
	defer n.fs.mu.Unlock()
	if err := n.dirLocked(name); err != nil {
		return err
	}
	c := n.children[name]
	switch {
	case c == nil:
		return unix.ENOENT
	case c.children == nil:
		return unix.ENOTDIR
	case len(c.children) != 0:
		return unix.ENOTEMPTY
	}
	n.dropLocked(name, c)
	return nil
}

// dropLocked removes entry name, naming c, from n.
//
// Preconditions: n.fs.mu is held; c is empty if a directory.
func (n *inode) dropLocked(name string, c *inode) {
	delete(n.children, name)
	if c.children != nil {
		n.nlink--
		c.nlink = 0
	} else {
		c.nlink--
	}
	c.ctime = nowTS()
	n.touchLocked()
	c.maybeFreeLocked()
}

// Rename implements vfs.Vnode.Rename (renameat2: RENAME_NOREPLACE and
// RENAME_EXCHANGE; RENAME_WHITEOUT is not supported: EINVAL).
func (n *inode) Rename(oldName string, newDir vfs.Vnode, newName string, flags uint32) error {
	const exchange, noreplace = unix.RENAME_EXCHANGE, unix.RENAME_NOREPLACE
	if flags&^(exchange|noreplace) != 0 || flags == exchange|noreplace {
		return unix.EINVAL
	}
	nd, ok := newDir.(*inode)
	if !ok || nd.fs != n.fs {
		return unix.EXDEV
	}
	n.fs.mu.Lock()
	defer n.fs.mu.Unlock()
	if err := n.dirLocked(oldName); err != nil {
		return err
	}
	if err := nd.dirLocked(newName); err != nil {
		return err
	}
	src, dst := n.children[oldName], nd.children[newName]
	switch {
	case src == nil:
		return unix.ENOENT
	case src.children != nil && nd.isWithinLocked(src):
		return unix.EINVAL // a directory into itself
	case flags&noreplace != 0 && dst != nil:
		return unix.EEXIST
	}
	if flags&exchange != 0 {
		switch {
		case dst == nil:
			return unix.ENOENT
		case dst.children != nil && n.isWithinLocked(dst):
			return unix.EINVAL
		}
		n.children[oldName], nd.children[newName] = dst, src
		n.moveLocked(dst, nd)
		nd.moveLocked(src, n)
		src.ctime, dst.ctime = nowTS(), nowTS()
		n.touchLocked()
		nd.touchLocked()
		return nil
	}
	if dst == src {
		return nil // two links to one inode: nothing to do, as Linux
	}
	if dst != nil {
		switch {
		case src.children != nil && dst.children == nil:
			return unix.ENOTDIR
		case src.children == nil && dst.children != nil:
			return unix.EISDIR
		case dst.children != nil && len(dst.children) != 0:
			return unix.ENOTEMPTY
		}
		nd.dropLocked(newName, dst)
	}
	delete(n.children, oldName)
	nd.children[newName] = src
	nd.moveLocked(src, n)
	src.ctime = nowTS()
	n.touchLocked()
	nd.touchLocked()
	return nil
}

// moveLocked records that c, now an entry of n, came from directory from.
//
// Preconditions: n.fs.mu is held.
func (n *inode) moveLocked(c, from *inode) {
	if c.children == nil || from == n {
		return
	}
	c.parent = n
	from.nlink--
	n.nlink++
}

// isWithinLocked reports whether directory n is d or below it.
//
// Preconditions: n.fs.mu is held.
func (n *inode) isWithinLocked(d *inode) bool {
	for p := n; ; p = p.parent {
		if p == d {
			return true
		}
		if p == p.parent || p.parent == nil {
			return false
		}
	}
}
