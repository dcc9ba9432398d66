package tmpfs

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

// file is an open tmpfs file: a host descriptor the guest uses natively.
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
	return errnoOf(err)
}

func procPath(fd int) string { return "/proc/self/fd/" + strconv.Itoa(fd) }

// hostDevices are the devices a device node opens on the host, by rdev:
// the harmless ones only. Everything else is a device with no driver.
var hostDevices = map[uint64]string{
	unix.Mkdev(1, 3): "/dev/null",
	unix.Mkdev(1, 5): "/dev/zero",
	unix.Mkdev(1, 7): "/dev/full",
	unix.Mkdev(1, 8): "/dev/random",
	unix.Mkdev(1, 9): "/dev/urandom",
	unix.Mkdev(5, 0): "/dev/tty",
}

// Open implements vfs.Vnode.Open.
func (n *inode) Open(flags int) (vfs.FileImpl, error) {
	flags &^= unix.O_CREAT | unix.O_EXCL | unix.O_NOFOLLOW | unix.O_TRUNC
	n.fs.mu.Lock()
	typ, rdev := n.typ(), n.rdev
	if typ == unix.S_IFREG && n.memfd >= 0 {
		// Reopen under the lock: Release could close the memfd otherwise.
		defer n.fs.mu.Unlock()
		return openMemfd(n.memfd, flags)
	}
	fifo := typ == unix.S_IFIFO && n.fifo >= 0 && flags&unix.O_PATH == 0
	n.fs.mu.Unlock()
	if fifo {
		return n.openFifo(flags)
	}
	if flags&unix.O_PATH != 0 {
		if typ == unix.S_IFSOCK {
			// The bound host socket, so that connect reaches it
			// through /proc/self/fd/N.
			n.fs.mu.Lock()
			defer n.fs.mu.Unlock()
			if n.sock >= 0 {
				fd, err := unix.Open(procPath(n.sock), unix.O_PATH|unix.O_CLOEXEC, 0)
				if err != nil {
					return nil, errnoOf(err)
				}
				return &file{fd: fd}, nil
			}
		}
		return placeholder(unix.O_PATH)
	}
	if flags&unix.O_DIRECTORY != 0 && typ != unix.S_IFDIR {
		return nil, unix.ENOTDIR
	}
	switch typ {
	case unix.S_IFDIR:
		if flags&unix.O_ACCMODE != unix.O_RDONLY {
			return nil, unix.EISDIR
		}
		return placeholder(flags)
	case unix.S_IFLNK:
		return nil, unix.ELOOP
	case unix.S_IFCHR:
		n.fs.mu.Lock()
		open := n.fs.devices[rdev]
		n.fs.mu.Unlock()
		if open != nil {
			fd, err := open(flags)
			if err != nil {
				return nil, errnoOf(err)
			}
			return &file{fd: fd}, nil
		}
		return openHostDevice(rdev, flags)
	}
	return nil, unix.ENXIO // sockets, block devices, freed files
}

// openMemfd opens a regular file's memfd anew with flags.
func openMemfd(memfd, flags int) (vfs.FileImpl, error) {
	if flags&unix.O_DIRECTORY != 0 {
		return nil, unix.ENOTDIR
	}
	if flags&unix.O_PATH != 0 {
		flags &= unix.O_PATH // keeps fexecve and fstat working
	}
	fd, err := unix.Open(procPath(memfd), flags|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, errnoOf(err)
	}
	return &file{fd: fd}, nil
}

// openFifo opens the host fifo behind n with flags. It may block until the
// other end comes, so not under the lock: it opens a duplicate.
func (n *inode) openFifo(flags int) (vfs.FileImpl, error) {
	n.fs.mu.Lock()
	dup, err := unix.FcntlInt(uintptr(n.fifo), unix.F_DUPFD_CLOEXEC, 0)
	n.fs.mu.Unlock()
	if err != nil {
		return nil, errnoOf(err)
	}
	defer unix.Close(dup)
	fd, err := unix.Open(procPath(dup), flags|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, errnoOf(err)
	}
	return &file{fd: fd}, nil
}

// openHostDevice opens the host device rdev names, if it is harmless, and
// checks that the host node is that device indeed.
func openHostDevice(rdev uint64, flags int) (vfs.FileImpl, error) {
	path, ok := hostDevices[rdev]
	if !ok {
		return nil, unix.ENXIO
	}
	fd, err := unix.Open(path, flags|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, errnoOf(err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != rdev {
		unix.Close(fd)
		return nil, unix.ENXIO
	}
	return &file{fd: fd}, nil
}

// hostFifo makes a host fifo with no name: mkfifo in a private temp
// directory, an O_PATH descriptor to it, then the name and the directory
// removed.
func hostFifo() (int, error) {
	dir, err := os.MkdirTemp("", "vkernel-fifo-")
	if err != nil {
		return -1, unix.EIO
	}
	defer os.Remove(dir)
	dfd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return -1, errnoOf(err)
	}
	defer unix.Close(dfd)
	if err := unix.Mkfifoat(dfd, "fifo", 0o600); err != nil {
		return -1, errnoOf(err)
	}
	defer unix.Unlinkat(dfd, "fifo", 0)
	fd, err := unix.Openat(dfd, "fifo", unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	return fd, errnoOf(err)
}

// placeholder returns the file of an object with no host counterpart (a
// directory, an O_PATH open of anything but a regular file): a
// vfs.PlaceholderFD, an empty deleted host directory leading nowhere. The
// sentry serves getdents and friends for it through the vnode.
func placeholder(flags int) (vfs.FileImpl, error) {
	p, err := vfs.NewPlaceholder(flags)
	if err != nil {
		return nil, errnoOf(err)
	}
	return p, nil
}
