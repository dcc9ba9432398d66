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
	if flags&unix.O_PATH != 0 {
		flags &= unix.O_PATH | unix.O_DIRECTORY
	} else {
		if n.typ == unix.S_IFLNK {
			return nil, unix.ELOOP
		}
		if n.fs.opts.ReadOnly && writes(flags) {
			return nil, unix.EROFS
		}
	}
	flags &^= unix.O_CREAT | unix.O_EXCL | unix.O_NOFOLLOW | unix.O_TRUNC
	fd, err := unix.Open(procPath(n.fd), flags|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, errno(err)
	}
	if flags&unix.O_TMPFILE == unix.O_TMPFILE {
		return &file{fd: fd}, nil
	}
	return wrapFile(fd, n.typ, flags), nil
}
