package tmpfs

import (
	"strings"

	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

// inode is a tmpfs vnode, analogous to Linux's shmem inode.
type inode struct {
	fs  *FS    // immutable
	ino uint64 // immutable

	// Protected by fs.mu.
	mode                       uint32 // S_IFMT | 07777; the type is immutable
	nlink                      uint64
	uid, gid                   uint32
	rdev                       uint64
	atime, mtime, ctime, btime unix.Timespec
	xattrs                     map[string][]byte
	// refs counts the Vnode references the VFS holds (Lookup, Create,
	// Tmpfile).
	refs int
	// linkable lets Link give a first name to a file with no link: an
	// O_TMPFILE file made without O_EXCL (Linux's I_LINKABLE), until
	// its first Link.
	linkable bool

	children map[string]*inode // directories only; nil otherwise
	parent   *inode            // directories only, for ".."
	target   string            // symlinks only
	memfd    int               // regular files: the data; -1 otherwise
	fifo     int               // fifos: O_PATH fd of the host fifo; -1 otherwise
	sock     int               // bound sockets: O_PATH fd of the host socket file; -1 otherwise
	// freed is set once the inode is gone (no link, no reference) and
	// uncounted from FS.inodes.
	freed bool
}

var (
	_ vfs.Vnode        = (*inode)(nil)
	_ vfs.TmpfileMaker = (*inode)(nil)
)

func (n *inode) typ() uint32 { return n.mode & unix.S_IFMT }

// Getattr implements vfs.Vnode.Getattr.
func (n *inode) Getattr() (vfs.Attr, error) {
	n.fs.mu.Lock()
	defer n.fs.mu.Unlock()
	a := vfs.Attr{
		Ino: n.ino, Mode: n.mode, Nlink: n.nlink, UID: n.uid, GID: n.gid, Rdev: n.rdev,
		Blksize: 4096, Atime: n.atime, Mtime: n.mtime, Ctime: n.ctime, Btime: n.btime, HasBtime: true,
		// As Linux's shmem_getattr: the inode flags tmpfs supports.
		AttributesMask: unix.STATX_ATTR_APPEND | unix.STATX_ATTR_IMMUTABLE | unix.STATX_ATTR_NODUMP,
	}
	switch n.typ() {
	case unix.S_IFREG:
		var st unix.Stat_t
		if n.memfd >= 0 && unix.Fstat(n.memfd, &st) == nil {
			// Writes happen natively: the memfd knows the size and times.
			a.Size, a.Blocks = st.Size, st.Blocks
			a.Atime, a.Mtime = st.Atim, st.Mtim
			a.Ctime = later(n.ctime, st.Ctim)
		}
	case unix.S_IFDIR:
		a.Size = int64(len(n.children)+2) * 20
	case unix.S_IFLNK:
		a.Size = int64(len(n.target))
	}
	return a, nil
}

func later(a, b unix.Timespec) unix.Timespec {
	if b.Sec > a.Sec || b.Sec == a.Sec && b.Nsec > a.Nsec {
		return b
	}
	return a
}

// Setattr implements vfs.Vnode.Setattr.
func (n *inode) Setattr(sa *vfs.SetAttr) error {
	fs := n.fs
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if sa.Mask&vfs.SetSize != 0 {
		if err := n.truncateLocked(sa.Size); err != nil {
			return err
		}
	}
	if sa.Mask&(vfs.SetAtime|vfs.SetMtime) != 0 {
		now := nowTS()
		times := []unix.Timespec{{Nsec: unix.UTIME_OMIT}, {Nsec: unix.UTIME_OMIT}}
		if sa.Mask&vfs.SetAtime != 0 {
			times[0] = resolveNow(sa.Atime, now)
			n.atime = times[0]
		}
		if sa.Mask&vfs.SetMtime != 0 {
			times[1] = resolveNow(sa.Mtime, now)
			n.mtime = times[1]
		}
		if n.memfd >= 0 {
			if err := unix.UtimesNanoAt(n.memfd, "", times, unix.AT_EMPTY_PATH); err != nil {
				return errnoOf(err)
			}
		}
	}
	if sa.Mask&vfs.SetMode != 0 {
		if n.typ() == unix.S_IFLNK {
			return unix.EOPNOTSUPP // a symlink's mode is fixed, as Linux's
		}
		n.mode = n.typ() | sa.Mode&07777
	}
	if sa.Mask&vfs.SetUID != 0 {
		n.uid = sa.UID
	}
	if sa.Mask&vfs.SetGID != 0 {
		n.gid = sa.GID
	}
	if sa.Mask&(vfs.SetUID|vfs.SetGID) != 0 && n.typ() != unix.S_IFDIR {
		// As Linux: a chown clears set-user-ID, and set-group-ID when
		// group-executable, unless the mode is being set too.
		if sa.Mask&vfs.SetMode == 0 {
			n.mode &^= unix.S_ISUID
			if n.mode&unix.S_IXGRP != 0 {
				n.mode &^= unix.S_ISGID
			}
		}
	}
	n.ctime = nowTS()
	return nil
}

func resolveNow(t, now unix.Timespec) unix.Timespec {
	if t.Nsec == unix.UTIME_NOW {
		return now
	}
	return t
}

// truncateLocked sets a regular file's size within the size limit.
//
// Preconditions: n.fs.mu is held.
func (n *inode) truncateLocked(size int64) error {
	switch n.typ() {
	case unix.S_IFREG:
	case unix.S_IFDIR:
		return unix.EISDIR
	default:
		return unix.EINVAL
	}
	if size < 0 {
		return unix.EINVAL
	}
	if lim := n.fs.opts.SizeLimit; lim > 0 {
		var st unix.Stat_t
		if err := unix.Fstat(n.memfd, &st); err != nil {
			return errnoOf(err)
		}
		if size > st.Size && usedLocked(n.fs.root, map[*inode]bool{})+size-st.Size > lim {
			return unix.ENOSPC
		}
	}
	return errnoOf(unix.Ftruncate(n.memfd, size))
}

// Readlink implements vfs.Vnode.Readlink.
func (n *inode) Readlink() (string, error) {
	if n.typ() != unix.S_IFLNK {
		return "", unix.EINVAL
	}
	return n.target, nil // immutable for symlinks
}

// Statfs implements vfs.Vnode.Statfs.
func (n *inode) Statfs() (unix.Statfs_t, error) { return n.fs.statfs(), nil }

// Release implements vfs.Vnode.Release: it drops one reference.
func (n *inode) Release() {
	n.fs.mu.Lock()
	defer n.fs.mu.Unlock()
	if n.refs > 0 {
		n.refs--
	}
	n.maybeFreeLocked()
}

// maybeFreeLocked closes the host objects of an inode nothing names or
// holds any more.
//
// Preconditions: n.fs.mu is held.
func (n *inode) maybeFreeLocked() {
	if n.refs > 0 || n.nlink > 0 || n == n.fs.root || n.freed {
		return
	}
	n.freed = true
	n.fs.inodes--
	if n.memfd >= 0 {
		unix.Close(n.memfd)
		n.memfd = -1
	}
	if n.fifo >= 0 {
		unix.Close(n.fifo)
		n.fifo = -1
	}
	if n.sock >= 0 {
		unix.Close(n.sock)
		n.sock = -1
	}
}

// Extended attribute limits, as Linux's.
const (
	xattrNameMax = 255
	xattrSizeMax = 65536
)

// checkXattrName returns the errno for an attribute name tmpfs cannot hold.
func (n *inode) checkXattrName(name string) error {
	if len(name) > xattrNameMax {
		return unix.ERANGE
	}
	for _, p := range []string{"user.", "trusted."} {
		if rest, ok := strings.CutPrefix(name, p); ok {
			if rest == "" {
				return unix.EINVAL
			}
			if p == "user." && n.typ() != unix.S_IFREG && n.typ() != unix.S_IFDIR {
				return unix.EPERM
			}
			return nil
		}
	}
	return unix.EOPNOTSUPP
}

// Getxattr implements vfs.Vnode.Getxattr.
func (n *inode) Getxattr(name string, buf []byte) (int, error) {
	if err := n.checkXattrName(name); err != nil {
		if err == unix.EPERM {
			err = unix.ENODATA
		}
		return 0, err
	}
	n.fs.mu.Lock()
	defer n.fs.mu.Unlock()
	v, ok := n.xattrs[name]
	switch {
	case !ok:
		return 0, unix.ENODATA
	case len(buf) == 0:
		return len(v), nil
	case len(buf) < len(v):
		return 0, unix.ERANGE
	}
	return copy(buf, v), nil
}

// Setxattr implements vfs.Vnode.Setxattr.
func (n *inode) Setxattr(name string, value []byte, flags int) error {
	if flags&^(unix.XATTR_CREATE|unix.XATTR_REPLACE) != 0 {
		return unix.EINVAL
	}
	if err := n.checkXattrName(name); err != nil {
		return err
	}
	if len(value) > xattrSizeMax {
		return unix.E2BIG
	}
	n.fs.mu.Lock()
	defer n.fs.mu.Unlock()
	_, ok := n.xattrs[name]
	if ok && flags&unix.XATTR_CREATE != 0 {
		return unix.EEXIST
	}
	if !ok && flags&unix.XATTR_REPLACE != 0 {
		return unix.ENODATA
	}
	if n.xattrs == nil {
		n.xattrs = map[string][]byte{}
	}
	n.xattrs[name] = append([]byte(nil), value...)
	n.ctime = nowTS()
	return nil
}

// Listxattr implements vfs.Vnode.Listxattr, names in a stable order.
func (n *inode) Listxattr(buf []byte) (int, error) {
	n.fs.mu.Lock()
	defer n.fs.mu.Unlock()
	var list []byte
	for _, k := range sortedKeys(n.xattrs) {
		list = append(append(list, k...), 0)
	}
	switch {
	case len(buf) == 0:
		return len(list), nil
	case len(buf) < len(list):
		return 0, unix.ERANGE
	}
	return copy(buf, list), nil
}

// Removexattr implements vfs.Vnode.Removexattr.
func (n *inode) Removexattr(name string) error {
	if err := n.checkXattrName(name); err != nil {
		if err == unix.EPERM {
			err = unix.ENODATA
		}
		return err
	}
	n.fs.mu.Lock()
	defer n.fs.mu.Unlock()
	if _, ok := n.xattrs[name]; !ok {
		return unix.ENODATA
	}
	delete(n.xattrs, name)
	n.ctime = nowTS()
	return nil
}

// errnoOf turns a host error into a unix.Errno.
func errnoOf(err error) error {
	if err == nil {
		return nil
	}
	if e, ok := err.(unix.Errno); ok {
		return e
	}
	return unix.EIO
}
