package procfs

import (
	"os"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

// fds returns the process's descriptor numbers, sorted: the host's actual
// descriptors (the guest runs on them), else the sentry's table.
func (pr *proc) fds() []int {
	var fds []int
	if opaque(pr.p) {
		return nil
	}
	if names, err := readDirNames(hostProc(pr.hostTID, "fd")); err == nil {
		for _, name := range names {
			if n, ok := parseID(name); ok {
				fds = append(fds, n)
			}
		}
	} else {
		fds = append(fds, pr.p.FDs()...)
	}
	slices.Sort(fds)
	return slices.Compact(fds)
}

// readDirNames lists a host directory.
func readDirNames(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Readdirnames(-1)
}

// hasFD reports whether the process has descriptor n.
func (pr *proc) hasFD(n int) bool {
	if opaque(pr.p) {
		return false
	}
	var st unix.Stat_t
	if unix.Lstat(hostProc(pr.hostTID, "fd/"+strconv.Itoa(n)), &st) == nil {
		return true
	}
	if f, ok := pr.p.FD(n); ok {
		f.DecRef()
		return true
	}
	return false
}

// fdEntries lists fd/: one magic link per descriptor.
func fdEntries(d *dir) ([]entry, error) {
	var ents []entry
	for _, n := range d.pr.fds() {
		ents = append(ents, fdEntry(n))
	}
	return ents, nil
}

// findFD looks fd/N up.
func findFD(d *dir, name string) (entry, error) {
	n, ok := parseID(name)
	if !ok || !d.pr.hasFD(n) {
		return entry{}, unix.ENOENT
	}
	return fdEntry(n), nil
}

func fdEntry(n int) entry {
	return entry{strconv.Itoa(n), unix.DT_LNK, func(nd node) vfs.Vnode { return &fdLink{node: nd, fd: n} }}
}

// fdLink is fd/N. A descriptor of the sentry's table leads to its file's
// position in the tree and reads as its guest path. Any other descriptor
// (a pipe, a socket, an eventfd, a file inherited from the host) has no
// position: the link reads as the host's text ("pipe:[123]") and opening
// it reopens the host object, as Linux's proc_fd_link does.
type fdLink struct {
	node
	fd int
}

var (
	_ vfs.MagicLink         = (*fdLink)(nil)
	_ vfs.ContextReadlinker = (*fdLink)(nil)
)

// hostPath is the host's /proc magic link of the descriptor.
func (l *fdLink) hostPath() string { return hostProc(l.pr.hostTID, "fd/"+strconv.Itoa(l.fd)) }

// file returns the sentry's file at the descriptor, with a reference,
// when it leads to a position in the tree. A file opened through a fd/N
// link that had none (a reopened pipe) does not: it is the pipe, not a
// file of procfs (vfs.File.Reopened).
func (l *fdLink) file() (*vfs.File, bool) {
	f, ok := l.pr.p.FD(l.fd)
	if !ok {
		return nil, false
	}
	if !f.VD.Ok() || f.Reopened() {
		f.DecRef()
		return nil, false
	}
	return f, true
}

// hostText is the host's readlink of the descriptor.
func (l *fdLink) hostText() (string, error) {
	for size := 128; ; size *= 2 {
		buf := make([]byte, size)
		n, err := unix.Readlink(l.hostPath(), buf)
		if err != nil {
			return "", unix.ENOENT
		}
		if n < size {
			return string(buf[:n]), nil
		}
	}
}

// Target implements vfs.MagicLink: the file's position, with a reference
// for the walk, or ErrNoTarget for a host object. A host path ("/dev/pts/0", an inherited log file) is
// never walked: it names the host's tree, not the guest's.
func (l *fdLink) Target(ctx *vfs.Context) (vfs.VirtualDentry, error) {
	if err := l.pr.check(); err != nil {
		return vfs.VirtualDentry{}, err
	}
	if err := l.pr.mayTrace(ctx); err != nil {
		return vfs.VirtualDentry{}, err
	}
	if f, ok := l.file(); ok {
		defer f.DecRef()
		f.VD.IncRef()
		return f.VD, nil
	}
	if _, err := l.hostText(); err != nil {
		return vfs.VirtualDentry{}, err
	}
	return vfs.VirtualDentry{}, vfs.ErrNoTarget
}

// ReadlinkFor implements vfs.ContextReadlinker: the file's guest path
// from the caller's root (" (deleted)" once unlinked), else the host's
// text as is.
func (l *fdLink) ReadlinkFor(ctx *vfs.Context) (string, error) {
	if err := l.pr.check(); err != nil {
		return "", err
	}
	if err := l.pr.mayTrace(ctx); err != nil {
		return "", err
	}
	if f, ok := l.file(); ok {
		defer f.DecRef()
		path, _ := l.fs.v.PathOf(l.fs.callerRoot(ctx, l.pr.p.Root()), f.VD)
		return path, nil
	}
	return l.hostText()
}

// Readlink implements vfs.Vnode.Readlink, from the process's own root.
func (l *fdLink) Readlink() (string, error) { return l.ReadlinkFor(nil) }

// Getattr implements vfs.Vnode.Getattr: as Linux, the link's owner bits
// say how the descriptor is open (lr-x------ read, l-wx------ write).
func (l *fdLink) Getattr() (vfs.Attr, error) {
	a, err := l.node.Getattr()
	if err != nil {
		return a, err
	}
	var perm uint32
	if f, ok := l.pr.p.FD(l.fd); ok {
		perm = accessPerm(f.Flags)
		f.DecRef()
	} else if flags, err := l.hostFlags(); err == nil {
		perm = accessPerm(flags)
	}
	a.Mode = unix.S_IFLNK | perm
	a.Size = 64
	return a, nil
}

// accessPerm returns the owner bits of a fd/N link open with flags.
func accessPerm(flags int) uint32 {
	if flags&unix.O_PATH != 0 {
		return 0
	}
	var perm uint32
	if readable(flags) {
		perm |= 0o500
	}
	if writable(flags) {
		perm |= 0o300
	}
	return perm
}

func readable(flags int) bool { return flags&unix.O_ACCMODE != unix.O_WRONLY }

func writable(flags int) bool { return flags&unix.O_ACCMODE != unix.O_RDONLY }

// hostFlags returns the open flags of the host descriptor (fdinfo's
// "flags:", octal).
func (l *fdLink) hostFlags() (int, error) {
	b, err := readHost(hostProc(l.pr.hostTID, "fdinfo/"+strconv.Itoa(l.fd)))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "flags:"); ok {
			f, err := strconv.ParseInt(strings.TrimSpace(v), 8, 64)
			return int(f), errno(err)
		}
	}
	return 0, unix.EIO
}

// Open implements vfs.Vnode.Open. The VFS calls it when the walk ended on
// the link: for O_PATH, or because Target said ErrNoTarget. The host
// object is then reopened through the host's /proc, a new open file
// description with Linux's semantics (a pipe's read end reopens writable).
// A host file or device (text starting with "/") is reopened with no more
// access than the descriptor has (the host checks the vkernel's
// credentials, not the guest's), never as a directory (a host directory
// descriptor would be a way out of the guest's tree), and O_PATH gets a
// placeholder.
func (l *fdLink) Open(flags int) (vfs.FileImpl, error) {
	if err := l.pr.check(); err != nil {
		return nil, err
	}
	if f, ok := l.file(); ok {
		f.DecRef()
		return openLink(flags)
	}
	text, err := l.hostText()
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(text, "/") {
		if flags&unix.O_PATH != 0 {
			return nil, unix.ENXIO
		}
		held, err := l.hostFlags()
		if err != nil {
			return nil, err
		}
		if readable(flags) && !readable(held) || writable(flags) && !writable(held) {
			return nil, unix.EACCES
		}
		flags &^= unix.O_DIRECTORY
	}
	fd, err := unix.Open(l.hostPath(), flags|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, errno(err)
	}
	var st unix.Stat_t
	if strings.HasPrefix(text, "/") && (unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT == unix.S_IFDIR) {
		unix.Close(fd)
		return nil, unix.EACCES
	}
	// The host thread id names the process only while the Source has it:
	// checking after the open closes the window for a reused tid.
	if !l.pr.alive() {
		unix.Close(fd)
		return nil, unix.ENOENT
	}
	return &hostFile{fd: fd}, nil
}

// fdinfoEntries lists fdinfo/: one file per descriptor.
func fdinfoEntries(d *dir) ([]entry, error) {
	var ents []entry
	for _, n := range d.pr.fds() {
		ents = append(ents, fdinfoEntry(n))
	}
	return ents, nil
}

// findFDInfo looks fdinfo/N up.
func findFDInfo(d *dir, name string) (entry, error) {
	n, ok := parseID(name)
	if !ok || !d.pr.hasFD(n) {
		return entry{}, unix.ENOENT
	}
	return fdinfoEntry(n), nil
}

// fdinfoEntry is fdinfo/N: the host's text (position, flags and the
// object's own lines), with the guest's mount id for a file of the
// sentry's table (not for a pipe reopened through fd/N: the host's pipefs
// id stays, as the file is no procfs file).
func fdinfoEntry(fd int) entry {
	return entry{strconv.Itoa(fd), unix.DT_REG, fileOf(func(n *node) ([]byte, error) {
		b, err := readHost(hostProc(n.pr.hostTID, "fdinfo/"+strconv.Itoa(fd)))
		if err != nil {
			return nil, unix.ENOENT
		}
		f, ok := n.pr.p.FD(fd)
		if !ok {
			return b, nil
		}
		defer f.DecRef()
		lines := strings.SplitAfter(string(b), "\n")
		for i, line := range lines {
			if strings.HasPrefix(line, "mnt_id:") && f.VD.Mount != nil && !f.Reopened() {
				lines[i] = "mnt_id:\t" + strconv.Itoa(f.VD.Mount.ID) + "\n"
			}
		}
		return []byte(strings.Join(lines, "")), nil
	})}
}

// TargetStat returns the attributes of the host object an fd link with no
// guest path leads to (a pipe, a socket), which stat(2) through the link
// reports; the sentry asks for it when a walk that follows links ends on
// such a link.
func (l *fdLink) TargetStat() (unix.Stat_t, error) {
	var st unix.Stat_t
	err := unix.Stat(l.hostPath(), &st)
	return st, err
}
