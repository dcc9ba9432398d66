package dirfs

import (
	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

// file is an open dirfs file: the real host file, reopened with the
// guest's flags, so the guest reads, writes and maps it natively.
type file struct {
	fd int
}

var _ vfs.FileImpl = (*file)(nil)

// HostFD implements vfs.FileImpl.HostFD.
func (f *file) HostFD() int { return f.fd }

// Close implements vfs.FileImpl.Close.
func (f *file) Close() error {
	if f.fd < 0 {
		return nil
	}
	err := unix.Close(f.fd)
	count(opFileClose)
	host(opFileClose, hClose)
	f.fd = -1
	return errno(err)
}

// dirFile is an open host directory: getdents64 on it is exact.
type dirFile struct {
	file
}

var _ vfs.HostDirFile = (*dirFile)(nil)

// HostDirectory implements vfs.HostDirFile.
func (*dirFile) HostDirectory() {}

// wrapFile returns the FileImpl for host descriptor fd of type typ.
func wrapFile(fd int, typ uint32, flags int) vfs.FileImpl {
	if typ == unix.S_IFDIR && flags&unix.O_PATH == 0 {
		return &dirFile{file{fd: fd}}
	}
	return &file{fd: fd}
}

// writes reports whether open flags ask for write access to the file.
func writes(flags int) bool {
	return flags&unix.O_ACCMODE != unix.O_RDONLY || flags&unix.O_TMPFILE == unix.O_TMPFILE
}

// Open implements vfs.Vnode.Open: it reopens the vnode's own inode through
// its /proc/self/fd magic link, a new open file description. A symlink is
// only ever opened with O_PATH; the host refuses the rest (ELOOP) and so
// do we, first.
func (n *node) Open(flags int) (vfs.FileImpl, error) {
	count(opOpen)
	if flags&unix.O_PATH != 0 {
		flags &= unix.O_PATH | unix.O_DIRECTORY
	} else {
		if n.typ == unix.S_IFLNK {
			return nil, unix.ELOOP
		}
		if n.fs.opts.ReadOnly && writes(flags) {
			return nil, unix.EROFS
		}
		if err := n.mayOpenDevice(); err != nil {
			return nil, err
		}
	}
	flags &^= unix.O_CREAT | unix.O_EXCL | unix.O_NOFOLLOW | unix.O_TRUNC
	nfd, err := n.use()
	if err != nil {
		return nil, err
	}
	defer n.done()
	fd, err := reopen(nfd, flags)
	host(opOpen, hOpen)
	if err != nil {
		return nil, errno(err)
	}
	if flags&unix.O_TMPFILE == unix.O_TMPFILE {
		return &file{fd: fd}, nil
	}
	return wrapFile(fd, n.typ, flags), nil
}

// harmlessDevices are the host character devices a dirfs device node may
// open: they give nothing of the host away (devfs opens the same ones).
var harmlessDevices = map[uint64]bool{
	unix.Mkdev(1, 3): true, // null
	unix.Mkdev(1, 5): true, // zero
	unix.Mkdev(1, 7): true, // full
	unix.Mkdev(1, 8): true, // random
	unix.Mkdev(1, 9): true, // urandom
	unix.Mkdev(5, 0): true, // tty
}

// isPty reports whether rdev is ptmx or a pty slave.
func isPty(rdev uint64) bool {
	major := unix.Major(rdev)
	return rdev == unix.Mkdev(5, 2) || (major >= 136 && major <= 143)
}

// mayOpenDevice refuses, with EACCES as a nodev mount does, to open a
// block device or a character device other than the harmless ones: a
// device node found in the exported directory must not hand the guest the
// host's disks or memory. The rdev is read through the vnode's own
// descriptor, and an inode's rdev never changes, so the check and the
// open name the same device.
func (n *node) mayOpenDevice() error {
	switch n.typ {
	case unix.S_IFBLK:
		return unix.EACCES
	case unix.S_IFCHR:
		fd, err := n.use()
		if err != nil {
			return err
		}
		defer n.done()
		var st unix.Stat_t
		host(opOpen, hFstat)
		if err := unix.Fstat(fd, &st); err != nil {
			return errno(err)
		}
		if st.Mode&unix.S_IFMT != unix.S_IFCHR {
			return unix.EACCES
		}
		if !harmlessDevices[st.Rdev] && !(n.fs.opts.PtyDevices && isPty(st.Rdev)) {
			return unix.EACCES
		}
	}
	return nil
}
