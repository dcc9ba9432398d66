package dirfs

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

// Options configures a dirfs instance.
type Options struct {
	// ReadOnly refuses every change with EROFS.
	ReadOnly bool
	// Source is the host path shown in /proc/mounts ("dirfs@" + Source);
	// the directory given to New when empty.
	Source string
	// PtyDevices lets the pty devices (ptmx 5:2 and the slaves, majors
	// 136-143) open: for a private devpts instance served as /dev/pts,
	// whose ptys are the guest's own.
	PtyDevices bool
	// RevalidateWindow is how long the name cache trusts an entry it
	// checked against the host (doc.go, Revalidation):
	// DefaultRevalidateWindow if zero; negative checks every use.
	RevalidateWindow time.Duration
}

// DefaultRevalidateWindow is Options.RevalidateWindow's default.
const DefaultRevalidateWindow = time.Millisecond

// FS is one dirfs instance: a host directory exported as a filesystem. It
// is analogous to DragonFly's struct dirfs_mount.
type FS struct {
	hostDir string
	opts    Options
	root    *node

	// hostRoot reports whether the vkernel runs as host root, so that
	// created objects can be chowned to the guest's credential.
	hostRoot   bool
	euid, egid uint32
	// umask is the host process umask read at New; created objects whose
	// mode it stripped are chmodded again.
	umask uint32
	// hm is the host mount the FS serves its directory through
	// (hostmount.go).
	hm hostMount
}

var (
	_ vfs.Filesystem         = (*FS)(nil)
	_ vfs.RevalidateWindower = (*FS)(nil)
)

// resolveFlags confine every host lookup to the parent descriptor.
const resolveFlags = unix.RESOLVE_BENEATH | unix.RESOLVE_NO_MAGICLINKS | unix.RESOLVE_NO_SYMLINKS

// New exports hostDir, through a detached clone of its host mount where
// the host makes one (hostmount.go), read-only with opts.ReadOnly. hostDir
// itself is resolved normally on the host (it is the administrator's
// choice); nothing below it ever is.
func New(hostDir string, opts Options) (*FS, error) {
	fd, detached, err := openHostMount(hostDir, opts.ReadOnly)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: hostDir, Err: err}
	}
	fs := &FS{
		hostDir:  hostDir,
		opts:     opts,
		hostRoot: os.Geteuid() == 0,
		euid:     uint32(os.Geteuid()),
		egid:     uint32(os.Getegid()),
		umask:    processUmask,
	}
	root, err := fs.newNode(fd)
	if err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "fstat", Path: hostDir, Err: err}
	}
	fs.root = root
	fs.hm.record(fd, detached)
	return fs, nil
}

// processUmask is the process umask, read once before the creator thread
// (which may run on the thread /proc/self/status describes) sets its own.
var processUmask = readUmask()

// readUmask returns the process umask from /proc/self/status without
// changing it (umask(2) cannot read without writing), 022 if unknown.
func readUmask() uint32 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0o022
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Umask:"); ok {
			if m, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32); err == nil {
				return uint32(m)
			}
		}
	}
	return 0o022
}

// Root implements vfs.Filesystem.Root.
func (fs *FS) Root() vfs.Vnode { return fs.root }

// Type implements vfs.Filesystem.Type.
func (fs *FS) Type() string { return "dirfs" }

// Source implements vfs.Filesystem.Source.
func (fs *FS) Source() string {
	if fs.opts.Source != "" {
		return "dirfs@" + fs.opts.Source
	}
	return "dirfs@" + fs.hostDir
}

// Options implements vfs.Filesystem.Options.
func (fs *FS) Options() string { return "" }

// RevalidateWindow implements vfs.RevalidateWindower.
func (fs *FS) RevalidateWindow() time.Duration {
	switch w := fs.opts.RevalidateWindow; {
	case w < 0:
		return 0
	case w == 0:
		return DefaultRevalidateWindow
	default:
		return w
	}
}

// Revalidate implements vfs.Filesystem.Revalidate: the cached child is
// valid iff the host's parent still holds, under name, the same (dev, ino,
// type); a negative entry is valid iff the host answers ENOENT.
func (fs *FS) Revalidate(parent vfs.Vnode, name string, child vfs.Vnode) bool {
	count(opRevalidate)
	p, ok := parent.(*node)
	if !ok || !validName(name) {
		return false
	}
	pfd, err := p.use()
	if err != nil {
		return false
	}
	defer p.done()
	var st unix.Stat_t
	err = unix.Fstatat(pfd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
	host(opRevalidate, hFstatat)
	if child == nil {
		return err == unix.ENOENT
	}
	c, ok := child.(*node)
	if !ok || err != nil {
		return false
	}
	return st.Dev == c.dev && st.Ino == c.ino && st.Mode&unix.S_IFMT == c.typ
}

// validName reports whether name is a single component the host may see.
func validName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsRune(name, '/') &&
		!strings.ContainsRune(name, 0)
}

// checkName returns the errno for a name that must not reach the host.
func checkName(name string) error {
	if !validName(name) {
		return unix.EINVAL
	}
	if len(name) > unix.NAME_MAX {
		return unix.ENAMETOOLONG
	}
	return nil
}

// procPath names descriptor fd through the host's /proc magic link.
func procPath(fd int) string { return "/proc/self/fd/" + strconv.Itoa(fd) }

// procFDDir is a descriptor of the host's /proc/self/fd, held for the
// process's life, or -1 if it cannot be opened.
var procFDDir = sync.OnceValue(func() int {
	fd, err := unix.Open("/proc/self/fd", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1
	}
	return fd
})

// reopen opens descriptor fd's inode anew, with flags: a new open file
// description, through the same magic link as procPath, looked up from
// procFDDir (which spares the host the walk of /proc/self/fd, about a
// third of the call).
func reopen(fd, flags int) (int, error) {
	if d := procFDDir(); d >= 0 {
		return unix.Openat(d, strconv.Itoa(fd), flags|unix.O_CLOEXEC, 0)
	}
	return unix.Open(procPath(fd), flags|unix.O_CLOEXEC, 0)
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
