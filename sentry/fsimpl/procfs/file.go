package procfs

import (
	"strings"

	"os"
	"path"
	"strconv"

	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

// file is a generated read-only file: its contents are made at Open and
// served from a sealed memfd, so the guest reads them natively.
type file struct {
	node
	// gen makes the contents. Immutable.
	gen func(n *node) ([]byte, error)
}

var (
	_ vfs.Vnode         = (*file)(nil)
	_ vfs.ContextOpener = (*file)(nil)
)

// fileOf returns the make function of a file whose contents gen makes.
func fileOf(gen func(n *node) ([]byte, error)) func(node) vfs.Vnode {
	return func(n node) vfs.Vnode { return &file{node: n, gen: gen} }
}

// Open implements vfs.Vnode.Open. Everything in procfs but comm is
// read-only: a write-only open (root's, past the mode check) gives a
// descriptor whose writes fail, as Linux's; a read-write one is EACCES.
func (f *file) Open(flags int) (vfs.FileImpl, error) { return f.open(flags, false, false) }

// OpenFor implements vfs.ContextOpener: a thread opening a file of its own
// (its stat, its status) sees itself running, as on Linux, not asleep in
// the call the sentry serves.
func (f *file) OpenFor(ctx *vfs.Context, flags int) (vfs.FileImpl, error) {
	self, sameProcess := false, false
	var root vfs.VirtualDentry
	if f.pr != nil && ctx != nil {
		p := f.fs.src.Caller(ctx.Caller)
		sameProcess = p != nil && p.PID() == f.pr.p.PID()
		self = sameProcess && f.fs.src.CallerTID(ctx.Caller) == f.pr.tid
		root = f.fs.callerRoot(ctx, vfs.VirtualDentry{})
	}
	return f.openAs(flags, self, sameProcess, root)
}

// open opens the file for an unknown opener.
func (f *file) open(flags int, running, sameProcess bool) (vfs.FileImpl, error) {
	return f.openAs(flags, running, sameProcess, vfs.VirtualDentry{})
}

// openAs opens the file; running says the opener is the thread it
// describes, sameProcess that it is of the same process, root is the
// opener's root (zero: unknown).
func (f *file) openAs(flags int, running, sameProcess bool, root vfs.VirtualDentry) (vfs.FileImpl, error) {
	if flags&unix.O_PATH != 0 {
		return nil, unix.ENXIO // the VFS gives a placeholder
	}
	if flags&unix.O_ACCMODE != unix.O_RDONLY && f.pr != nil && path.Base(f.path) == "comm" &&
		flags&unix.O_TMPFILE != unix.O_TMPFILE {
		if !f.pr.alive() {
			return nil, unix.ESRCH
		}
		return openCommWriter(&f.node, flags, sameProcess)
	}
	if flags&unix.O_ACCMODE == unix.O_WRONLY && flags&unix.O_TMPFILE != unix.O_TMPFILE &&
		!strings.HasPrefix(f.path, "/sys/") {
		// Past the mode check (root): Linux opens a file it has no
		// write for, and each write fails: EINVAL for a process's file
		// (no write method), EIO for a global one (proc_reg_write). A
		// host procfs file of the same kind, opened write-only, does
		// just that. (sysctls, which Linux lets root write, stay EACCES.)
		standIn := "/proc/version"
		if f.pr != nil {
			standIn = "/proc/self/status"
		}
		fd, err := unix.Open(standIn, unix.O_WRONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, errno(err)
		}
		return &hostFile{fd: fd}, nil
	}
	if flags&unix.O_ACCMODE != unix.O_RDONLY || flags&unix.O_TMPFILE == unix.O_TMPFILE {
		return nil, unix.EACCES
	}
	if f.pr != nil && !f.pr.alive() {
		return nil, unix.ESRCH
	}
	n := f.node
	n.running, n.readerRoot = running, root
	data, err := f.gen(&n)
	if err != nil {
		return nil, err
	}
	// Host figures are read by host thread id, which names the process
	// only while the Source still has it: check again after reading.
	if f.pr != nil && !f.pr.alive() {
		return nil, unix.ESRCH
	}
	fd, err := sealedMemfd(f.path, data, flags)
	if err != nil {
		return nil, err
	}
	return &hostFile{fd: fd}, nil
}

// sealSet are the seals of a generated file's memfd: nothing may change
// its contents or size, nor remove the seals.
const sealSet = unix.F_SEAL_WRITE | unix.F_SEAL_GROW | unix.F_SEAL_SHRINK | unix.F_SEAL_SEAL

// sealedMemfd returns a host descriptor, open read-only with the guest's
// other flags, of a sealed memfd holding data. The memfd itself is
// closed: the read-only reopen is all that is left of it, and the seals
// forbid writes even through a writable reopen or a shared mapping.
func sealedMemfd(name string, data []byte, flags int) (int, error) {
	mfd, err := unix.MemfdCreate("proc"+name, unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return -1, errno(err)
	}
	defer unix.Close(mfd)
	for b := data; len(b) > 0; {
		n, err := unix.Write(mfd, b)
		if err != nil {
			return -1, errno(err)
		}
		b = b[n:]
	}
	if _, err := unix.FcntlInt(uintptr(mfd), unix.F_ADD_SEALS, sealSet); err != nil {
		return -1, errno(err)
	}
	flags &^= unix.O_ACCMODE | unix.O_CREAT | unix.O_EXCL | unix.O_TRUNC | unix.O_PATH |
		unix.O_TMPFILE | unix.O_DIRECTORY | unix.O_DIRECT
	fd, err := unix.Open(selfFD(mfd), unix.O_RDONLY|unix.O_CLOEXEC|flags, 0)
	if err != nil {
		return -1, errno(err)
	}
	return fd, nil
}

// hostFile is an open procfs file: a host descriptor the guest uses
// natively (a sealed memfd, or a host object reopened through fd/N).
type hostFile struct {
	fd int
}

var _ vfs.FileImpl = (*hostFile)(nil)

// HostFD implements vfs.FileImpl.HostFD.
func (f *hostFile) HostFD() int { return f.fd }

// Close implements vfs.FileImpl.Close.
func (f *hostFile) Close() error {
	if f.fd < 0 {
		return nil
	}
	err := unix.Close(f.fd)
	f.fd = -1
	return errno(err)
}

// selfFD names the vkernel's own descriptor fd through the host's /proc.
func selfFD(fd int) string { return "/proc/self/fd/" + strconv.Itoa(fd) }

// hostProc returns "/proc/<tid>/<name>" on the host.
func hostProc(tid int, name string) string {
	return "/proc/" + strconv.Itoa(tid) + "/" + name
}

// readHost reads a host /proc file; a process gone is ESRCH.
func readHost(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, unix.ESRCH
		}
		return nil, errno(err)
	}
	return b, nil
}

// hostCopy returns a generator copying the host file path.
func hostCopy(path string) func(*node) ([]byte, error) {
	return func(*node) ([]byte, error) {
		b, err := readHost(path)
		if err == unix.ESRCH {
			err = unix.ENOENT // a host without this file, not a process gone
		}
		return b, err
	}
}

// fixed returns a generator of fixed contents.
func fixed(text string) func(*node) ([]byte, error) {
	return func(*node) ([]byte, error) { return []byte(text), nil }
}

// errno turns a host error into the unix.Errno the VFS expects.
func errno(err error) error {
	if err == nil {
		return nil
	}
	if e, ok := err.(unix.Errno); ok {
		return e
	}
	if pe, ok := err.(*os.PathError); ok {
		return errno(pe.Err)
	}
	return unix.EIO
}
