package dirfs

import (
	"encoding/binary"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

// node is a dirfs vnode: one host O_PATH descriptor and the identity of the
// host file it named when opened. It is analogous to gVisor's directfs
// inode (controlFD) and DragonFly's dirfs_node.
//
// The descriptor is used only between use and done, and closed only once
// the node is Released and no operation is in flight: an operation never
// reaches a closed descriptor, nor a number the host has since given to
// another open. After Release, operations fail with EBADF.
type node struct {
	fs *FS
	// fd is the host O_PATH|O_NOFOLLOW descriptor. Immutable; read only
	// through use.
	fd int
	// state holds nodeReleased, nodeClosed and, in units of nodeOp, the
	// operations using fd.
	state atomic.Int64
	// dev, ino and typ are the host identity and S_IFMT bits. Immutable.
	dev uint64
	ino uint64
	typ uint32
}

// Bits of node.state.
const (
	nodeReleased = 1 << iota
	nodeClosed
	nodeOp // one operation in flight
)

var (
	_ vfs.Vnode        = (*node)(nil)
	_ vfs.Typer        = (*node)(nil)
	_ vfs.TmpfileMaker = (*node)(nil)
)

// newNode wraps host O_PATH descriptor fd, taking ownership of it.
func (fs *FS) newNode(fd int) (*node, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, err
	}
	return &node{fs: fs, fd: fd, dev: st.Dev, ino: st.Ino, typ: st.Mode & unix.S_IFMT}, nil
}

// use returns n's host descriptor for one operation, which calls done
// when finished with it; EBADF once n is Released.
func (n *node) use() (int, error) {
	if n.state.Add(nodeOp)&nodeReleased != 0 {
		n.done()
		return -1, unix.EBADF
	}
	return n.fd, nil
}

// done ends an operation begun by use; the last one after Release closes
// the descriptor.
func (n *node) done() {
	if n.state.Add(-nodeOp) == nodeReleased {
		n.closeFD()
	}
}

// closeFD closes the descriptor if n is Released, idle and not yet closed.
func (n *node) closeFD() {
	if n.state.CompareAndSwap(nodeReleased, nodeReleased|nodeClosed) {
		unix.Close(n.fd)
		host(opRelease, hClose)
	}
}

// Release implements vfs.Vnode.Release: the descriptor is closed now, or
// by the last operation still using it. A second Release does nothing.
func (n *node) Release() {
	count(opRelease)
	n.state.Or(nodeReleased)
	n.closeFD()
}

// Type implements vfs.Typer: the type read when the node was opened (a
// host name that changes type gets a new node through revalidation).
func (n *node) Type() uint32 { return n.typ }

// openChild opens the O_PATH descriptor of name in directory n, confined
// beneath n and never following a symlink.
func (n *node) openChild(name string) (int, error) {
	fd, err := n.use()
	if err != nil {
		return -1, err
	}
	defer n.done()
	return unix.Openat2(fd, name, &unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_NOFOLLOW | unix.O_CLOEXEC,
		Resolve: resolveFlags,
	})
}

// Lookup implements vfs.Vnode.Lookup.
func (n *node) Lookup(name string) (vfs.Vnode, error) {
	count(opLookup)
	if n.typ != unix.S_IFDIR {
		return nil, unix.ENOTDIR
	}
	if err := checkName(name); err != nil {
		return nil, err
	}
	fd, err := n.openChild(name)
	host(opLookup, hOpenat2)
	if err != nil {
		return nil, errno(err)
	}
	c, err := n.fs.newNode(fd)
	host(opLookup, hFstat)
	if err != nil {
		unix.Close(fd)
		return nil, errno(err)
	}
	return c, nil
}

// Getattr implements vfs.Vnode.Getattr.
func (n *node) Getattr() (vfs.Attr, error) {
	count(opGetattr)
	fd, err := n.use()
	if err != nil {
		return vfs.Attr{}, err
	}
	defer n.done()
	var sx unix.Statx_t
	err = unix.Statx(fd, "", unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW|unix.AT_STATX_SYNC_AS_STAT,
		unix.STATX_BASIC_STATS|unix.STATX_BTIME, &sx)
	host(opGetattr, hStatx)
	if err != nil {
		return vfs.Attr{}, errno(err)
	}
	a := vfs.Attr{
		Ino:     sx.Ino,
		Mode:    uint32(sx.Mode),
		Nlink:   uint64(sx.Nlink),
		UID:     sx.Uid,
		GID:     sx.Gid,
		Rdev:    unix.Mkdev(sx.Rdev_major, sx.Rdev_minor),
		Size:    int64(sx.Size),
		Blksize: int64(sx.Blksize),
		Blocks:  int64(sx.Blocks),
		Atime:   ts(sx.Atime),
		Mtime:   ts(sx.Mtime),
		Ctime:   ts(sx.Ctime),
	}
	if sx.Mask&unix.STATX_BTIME != 0 {
		a.Btime, a.HasBtime = ts(sx.Btime), true
	}
	// Whether it is a mount's root is the guest's mount table's business.
	a.Attributes = sx.Attributes &^ unix.STATX_ATTR_MOUNT_ROOT
	a.AttributesMask = sx.Attributes_mask &^ unix.STATX_ATTR_MOUNT_ROOT
	return a, nil
}

func ts(t unix.StatxTimestamp) unix.Timespec {
	return unix.Timespec{Sec: t.Sec, Nsec: int64(t.Nsec)}
}

// Readdir implements vfs.Vnode.Readdir with getdents64 on a fresh
// directory descriptor, in the host's order.
func (n *node) Readdir() ([]vfs.DirEntry, error) {
	count(opReaddir)
	if n.typ != unix.S_IFDIR {
		return nil, unix.ENOTDIR
	}
	fd, err := n.use()
	if err != nil {
		return nil, err
	}
	defer n.done()
	dfd, err := reopen(fd, unix.O_RDONLY|unix.O_DIRECTORY)
	host(opReaddir, hOpen)
	if err != nil {
		return nil, errno(err)
	}
	defer host(opReaddir, hClose)
	defer unix.Close(dfd)
	var ents []vfs.DirEntry
	buf := make([]byte, 32<<10)
	for {
		nb, err := unix.Getdents(dfd, buf)
		host(opReaddir, hGetdents)
		if err != nil {
			return nil, errno(err)
		}
		if nb <= 0 {
			return ents, nil
		}
		ents = parseDirents(buf[:nb], ents)
	}
}

// parseDirents appends the linux_dirent64 records in b to ents.
func parseDirents(b []byte, ents []vfs.DirEntry) []vfs.DirEntry {
	const hdr = int(unsafe.Offsetof(unix.Dirent{}.Name))
	for len(b) >= hdr {
		reclen := int(binary.NativeEndian.Uint16(b[16:18]))
		if reclen < hdr || reclen > len(b) {
			break
		}
		name := b[hdr:reclen]
		for i, c := range name {
			if c == 0 {
				name = name[:i]
				break
			}
		}
		ents = append(ents, vfs.DirEntry{
			Name: string(name),
			Ino:  binary.NativeEndian.Uint64(b[0:8]),
			Type: b[18],
		})
		b = b[reclen:]
	}
	return ents
}

// Readlink implements vfs.Vnode.Readlink.
func (n *node) Readlink() (string, error) {
	count(opReadlink)
	if n.typ != unix.S_IFLNK {
		return "", unix.EINVAL
	}
	fd, err := n.use()
	if err != nil {
		return "", err
	}
	defer n.done()
	for size := 256; ; size *= 2 {
		buf := make([]byte, size)
		nb, err := unix.Readlinkat(fd, "", buf)
		host(opReadlink, hReadlinkat)
		if err != nil {
			return "", errno(err)
		}
		if nb < size {
			return string(buf[:nb]), nil
		}
	}
}

// Statfs implements vfs.Vnode.Statfs.
func (n *node) Statfs() (unix.Statfs_t, error) {
	count(opStatfs)
	var sf unix.Statfs_t
	fd, err := n.use()
	if err != nil {
		return sf, err
	}
	defer n.done()
	host(opStatfs, hFstatfs)
	if err := unix.Fstatfs(fd, &sf); err != nil {
		return sf, errno(err)
	}
	if n.fs.opts.ReadOnly {
		sf.Flags |= unix.ST_RDONLY
	}
	return sf, nil
}
