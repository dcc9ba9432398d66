package tmpfs

import (
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

// Options configures a tmpfs instance, as tmpfs's mount options.
type Options struct {
	// Mode is the root directory's permission bits; 0 means 01777 unless
	// ModeGiven (mode=0 was asked for).
	Mode      uint32
	ModeGiven bool
	// UID and GID own the root directory.
	UID, GID uint32
	// SizeLimit is the size in bytes; 0 means unlimited.
	SizeLimit int64
	// Inodes is how many inodes the filesystem may hold, its root
	// included, as Linux's nr_inodes; 0 means unlimited.
	Inodes int64
}

// FS is one tmpfs instance (a superblock).
type FS struct {
	opts Options
	root *inode

	// mu protects every inode of the filesystem, opts' limits (Reconfigure
	// changes them) and the fields below.
	mu      sync.Mutex
	nextIno uint64
	// inodes counts the inodes alive (root included), for opts.Inodes.
	inodes int64
	// devices open the character devices of these numbers, besides the
	// harmless host ones (AddDevice).
	devices map[uint64]func(flags int) (int, error)
}

// AddDevice makes character devices numbered rdev open with open: a new
// host descriptor for the flags given (devfs's console).
func (fs *FS) AddDevice(rdev uint64, open func(flags int) (int, error)) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.devices == nil {
		fs.devices = map[uint64]func(int) (int, error){}
	}
	fs.devices[rdev] = open
}

var _ vfs.Filesystem = (*FS)(nil)

// RootMode returns the root directory's permission bits o asks for.
func (o Options) RootMode() uint32 {
	if o.Mode == 0 && !o.ModeGiven {
		return 0o1777
	}
	return o.Mode & 07777
}

// New makes an empty tmpfs.
func New(opts Options) *FS {
	opts.Mode = opts.RootMode()
	fs := &FS{opts: opts}
	fs.root = fs.newInodeLocked(unix.S_IFDIR|opts.Mode&07777, opts.UID, opts.GID)
	fs.root.nlink = 2
	fs.root.children = map[string]*inode{}
	fs.root.parent = fs.root
	fs.root.refs = 1
	return fs
}

// Root implements vfs.Filesystem.Root.
func (fs *FS) Root() vfs.Vnode { return fs.root }

// Type implements vfs.Filesystem.Type.
func (fs *FS) Type() string { return "tmpfs" }

// Source implements vfs.Filesystem.Source.
func (fs *FS) Source() string { return "tmpfs" }

// Revalidate implements vfs.Filesystem.Revalidate: only the guest changes
// a tmpfs, through the VFS, so its cache is always right.
func (fs *FS) Revalidate(vfs.Vnode, string, vfs.Vnode) bool { return true }

// allocInodeLocked is newInodeLocked within the inode limit: ENOSPC once
// the filesystem holds as many as nr_inodes allows (Linux's
// shmem_reserve_inode; the root counts).
//
// Preconditions: fs.mu is held.
func (fs *FS) allocInodeLocked(mode, uid, gid uint32) (*inode, error) {
	if fs.opts.Inodes > 0 && fs.inodes >= fs.opts.Inodes {
		return nil, unix.ENOSPC
	}
	return fs.newInodeLocked(mode, uid, gid), nil
}

// newInodeLocked makes an inode with a fresh number and the current time,
// and counts it.
//
// Preconditions: fs.mu is held.
func (fs *FS) newInodeLocked(mode, uid, gid uint32) *inode {
	now := nowTS()
	fs.nextIno++
	fs.inodes++
	return &inode{
		fs: fs, ino: fs.nextIno, mode: mode, nlink: 1, uid: uid, gid: gid,
		atime: now, mtime: now, ctime: now, btime: now,
		memfd: -1, fifo: -1, sock: -1,
	}
}

// nowTS is the time a change is stamped with: the coarse real-time clock,
// as Linux's current_time(), so that the node's times and those the host
// stamps on a memfd for native writes come from one clock.
func nowTS() unix.Timespec {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_REALTIME_COARSE, &ts) != nil {
		return unix.NsecToTimespec(time.Now().UnixNano())
	}
	return ts
}

// setMemfdLocked gives regular file c its data, fd, and takes its birth
// times from it, so a new file's four times are equal whichever clock
// reading came first.
//
// Preconditions: c.fs.mu is held.
func (c *inode) setMemfdLocked(fd int) {
	c.memfd = fd
	var st unix.Stat_t
	if unix.Fstat(fd, &st) == nil {
		c.atime, c.mtime, c.ctime, c.btime = st.Ctim, st.Ctim, st.Ctim, st.Ctim
	}
}

// usedLocked returns the bytes held by the memfds of the tree under d.
//
// Preconditions: fs.mu is held.
func usedLocked(d *inode, seen map[*inode]bool) int64 {
	var n int64
	for _, c := range d.children {
		if seen[c] {
			continue
		}
		seen[c] = true
		if c.children != nil {
			n += usedLocked(c, seen)
		} else if c.memfd >= 0 {
			var st unix.Stat_t
			if unix.Fstat(c.memfd, &st) == nil {
				n += st.Blocks * 512
			}
		}
	}
	return n
}

// statfs returns the figures of the filesystem.
func (fs *FS) statfs() unix.Statfs_t {
	const bsize = 4096
	fs.mu.Lock()
	used := usedLocked(fs.root, map[*inode]bool{})
	files, maxFiles := fs.inodes, fs.opts.Inodes
	total := fs.opts.SizeLimit
	fs.mu.Unlock()
	if maxFiles <= 0 {
		maxFiles = 1 << 20
	}
	sf := unix.Statfs_t{
		Type:    unix.TMPFS_MAGIC,
		Bsize:   bsize,
		Frsize:  bsize,
		Namelen: unix.NAME_MAX,
		Files:   uint64(maxFiles),
		Ffree:   uint64(max(maxFiles-files, 0)),
	}
	if total <= 0 {
		var si unix.Sysinfo_t
		if unix.Sysinfo(&si) == nil {
			total = int64(si.Totalram) * int64(si.Unit) / 2
		}
	}
	sf.Blocks = uint64(total / bsize)
	free := (total - used) / bsize
	if free < 0 {
		free = 0
	}
	sf.Bfree, sf.Bavail = uint64(free), uint64(free)
	return sf
}
