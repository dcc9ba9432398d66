package vfs

import (
	"os"
	"strconv"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// File is an open file description: where it was opened, how, and the
// filesystem's half. It is analogous to Linux's struct file.
type File struct {
	// VD is the position opened. Immutable; pinned (mount and dentry)
	// until the last DecRef.
	VD VirtualDentry
	// Flags are the guest's open flags (O_ACCMODE, O_PATH, O_APPEND, ...)
	// without O_CREAT, O_EXCL, O_NOFOLLOW and O_TRUNC. Immutable.
	Flags int
	// Impl is the filesystem's half; it owns the host fd. Immutable.
	Impl FileImpl
	// reopened says the file is the object a magic link with no target
	// stands for (a pipe reopened through /proc/self/fd/N), VD being the
	// link it was opened through. Such a file is not of the link's
	// filesystem (Linux's is pipefs's): it pins VD's dentry but not its
	// mount, which it never keeps busy. Immutable.
	reopened bool

	// refs counts the descriptors (and in-flight syscalls) using the file.
	refs atomic.Int64
	// dirMu serializes Getdents, which reads and writes back the host
	// fd's offset.
	dirMu sync.Mutex
}

// liveFiles counts the Files not yet closed (each holds its Impl's host
// descriptor): what the sentry's descriptor budget is spent on.
var liveFiles atomic.Int64

// LiveFiles returns the number of Files not yet closed.
func LiveFiles() int64 { return liveFiles.Load() }

// newFile makes a File holding one reference, and pins vd.
func newFile(vd VirtualDentry, flags int, impl FileImpl) *File {
	f := &File{VD: vd, Flags: flags &^ (unix.O_CREAT | unix.O_EXCL | unix.O_NOFOLLOW | unix.O_TRUNC), Impl: impl}
	f.refs.Store(1)
	liveFiles.Add(1)
	vd.IncRef()
	return f
}

// NewFileAt makes a File for an open file description that exists
// already, impl's (vkernel's terminal, which the guest inherits as its
// stdio), standing at vd, which it pins. It holds one reference.
func NewFileAt(vd VirtualDentry, flags int, impl FileImpl) *File {
	return newFile(vd, flags, impl)
}

// newReopenedFile makes a File holding one reference for the object the
// magic link at vd stands for, and pins vd's dentry only.
func newReopenedFile(vd VirtualDentry, flags int, impl FileImpl) *File {
	f := &File{VD: vd, Flags: flags &^ (unix.O_CREAT | unix.O_EXCL | unix.O_NOFOLLOW | unix.O_TRUNC), Impl: impl, reopened: true}
	f.refs.Store(1)
	liveFiles.Add(1)
	vd.Dentry.IncRef()
	return f
}

// Reopened reports whether f is the object a magic link with no target
// stands for (a pipe, a socket reopened through /proc/self/fd/N): VD is
// the link, and f is no use of VD's mount.
func (f *File) Reopened() bool { return f.reopened }

// HostFD returns the host descriptor backing f, which vkernel installs in
// the guest.
func (f *File) HostFD() int { return f.Impl.HostFD() }

// IncRef takes a reference on f.
func (f *File) IncRef() {
	if f.refs.Add(1) <= 1 {
		panic("vfs: File.IncRef on a closed file")
	}
}

// DecRef drops a reference; the last one closes Impl and unpins VD.
func (f *File) DecRef() {
	switch n := f.refs.Add(-1); {
	case n == 0:
		f.Impl.Close()
		liveFiles.Add(-1)
		if f.reopened {
			f.VD.Dentry.DecRef()
		} else {
			f.VD.DecRef()
		}
	case n < 0:
		panic("vfs: File.DecRef below zero")
	}
}

// placeholder is the deleted directory every PlaceholderFD reopens.
var placeholder struct {
	once sync.Once
	fd   int
	err  error
}

// PlaceholderFD returns a new host open file description of an empty,
// deleted directory, opened with flags (O_RDONLY or O_PATH, plus
// O_DIRECTORY, O_NONBLOCK...) and O_CLOEXEC. Virtual directories and
// O_PATH opens of virtual files use it as their host fd: each call has its
// own file offset (Getdents keeps a virtual directory's position there, so
// the guest's lseek and rewinddir work natively), read(2) on it is
// EISDIR, and it leads nowhere on the host.
func PlaceholderFD(flags int) (int, error) {
	placeholder.once.Do(func() {
		dir, err := os.MkdirTemp("", "vkernel-placeholder-")
		if err != nil {
			placeholder.err = err
			return
		}
		fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		unix.Rmdir(dir)
		placeholder.fd, placeholder.err = fd, err
	})
	if placeholder.err != nil {
		return -1, placeholder.err
	}
	flags &^= unix.O_CREAT | unix.O_EXCL | unix.O_TRUNC | unix.O_ACCMODE
	return unix.Open("/proc/self/fd/"+strconv.Itoa(placeholder.fd), flags|unix.O_CLOEXEC, 0)
}

// Placeholder is a FileImpl whose host fd is a PlaceholderFD, for
// filesystems whose files have no host object of their own.
type Placeholder struct {
	// fd is the host descriptor. Immutable until Close.
	fd int
}

var _ FileImpl = (*Placeholder)(nil)

// NewPlaceholder opens a PlaceholderFD with flags.
func NewPlaceholder(flags int) (*Placeholder, error) {
	fd, err := PlaceholderFD(flags)
	if err != nil {
		return nil, err
	}
	return &Placeholder{fd: fd}, nil
}

// HostFD implements FileImpl.
func (p *Placeholder) HostFD() int { return p.fd }

// Close implements FileImpl.
func (p *Placeholder) Close() error { return unix.Close(p.fd) }
