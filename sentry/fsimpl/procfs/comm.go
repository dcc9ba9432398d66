package procfs

import (
	"bytes"
	"path"

	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

// Writing comm. Linux renames the thread at each write(2) (the first 15
// bytes, up to a NUL), for a writer of the same thread group only (EINVAL
// for another). Writes run natively here, so a write open of comm gets a
// memfd of its own, and the thread is renamed from what it holds when the
// file is closed (the VFS file's last reference: the guest's close, exit
// or exec). pthread_setname_np, `echo name > /proc/self/comm` open, write
// and close at once; several writes through one open give the name from
// their concatenation, where Linux takes the last. A writer of another
// thread group renames nothing, but its write does not fail.

// Renamer is optionally implemented by a Process whose name can be set
// (Linux's set_task_comm).
type Renamer interface {
	SetComm(name string)
}

// commWriter is comm open for writing.
type commWriter struct {
	// fd is the guest's open of the memfd mfd, which the sentry reads.
	fd, mfd int
	rename  func(name string)
}

var _ vfs.FileImpl = (*commWriter)(nil)

func (w *commWriter) HostFD() int { return w.fd }

// Close implements vfs.FileImpl.Close: the thread takes the name written.
func (w *commWriter) Close() error {
	if w.fd < 0 {
		return nil
	}
	buf := make([]byte, taskCommLen)
	n, _ := unix.Pread(w.mfd, buf, 0)
	unix.Close(w.mfd)
	if n > 0 && w.rename != nil {
		// A write at an offset (pwrite) names the thread all the same,
		// as Linux's comm_write, which ignores the position.
		name := bytes.TrimLeft(buf[:n], "\x00")
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		w.rename(string(name))
	}
	err := unix.Close(w.fd)
	w.fd = -1
	return errno(err)
}

// openCommWriter opens comm of the thread n describes for writing; rename
// is nil when the writer may not rename it.
func openCommWriter(n *node, flags int, mayRename bool) (vfs.FileImpl, error) {
	mfd, err := unix.MemfdCreate("proc"+n.path, unix.MFD_CLOEXEC)
	if err != nil {
		return nil, errno(err)
	}
	flags &^= unix.O_CREAT | unix.O_EXCL | unix.O_TRUNC | unix.O_PATH | unix.O_TMPFILE |
		unix.O_DIRECTORY | unix.O_DIRECT | unix.O_APPEND
	fd, err := unix.Open(selfFD(mfd), flags|unix.O_CLOEXEC, 0)
	if err != nil {
		unix.Close(mfd)
		return nil, errno(err)
	}
	w := &commWriter{fd: fd, mfd: mfd}
	if r, ok := n.pr.p.(Renamer); ok && mayRename {
		w.rename = r.SetComm
	}
	return w, nil
}

// Setattr implements vfs.Vnode.Setattr: only truncating comm, as a shell's
// `> /proc/self/comm` does on open, is accepted (and changes nothing), as
// Linux's proc_setattr does for a size.
func (f *file) Setattr(sa *vfs.SetAttr) error {
	if f.pr != nil && path.Base(f.path) == "comm" && sa.Mask&^vfs.SetSize == 0 {
		return nil
	}
	return unix.EPERM
}
