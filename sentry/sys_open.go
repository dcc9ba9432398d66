package sentry

import (
	"encoding/binary"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

func init() {
	register(unix.SYS_OPEN, sysOpen, 0)
	register(unix.SYS_OPENAT, sysOpenat, 1)
	register(unix.SYS_OPENAT2, sysOpenat2, 1)
	register(unix.SYS_CREAT, sysCreat, 0)
}

func sysOpen(c *Call) Result {
	return c.open(unix.AT_FDCWD, 0, int(int32(c.Args[1])), uint32(c.Args[2]), 0)
}

func sysOpenat(c *Call) Result {
	return c.open(c.fd(0), 1, int(int32(c.Args[2])), uint32(c.Args[3]), 0)
}

func sysCreat(c *Call) Result {
	return c.open(unix.AT_FDCWD, 0, unix.O_CREAT|unix.O_WRONLY|unix.O_TRUNC, uint32(c.Args[1]), 0)
}

// resolveCached is RESOLVE_CACHED, which x/sys/unix does not name.
const resolveCached = 0x20

// openHowSize is the size of struct open_how in Linux 5.6+.
const openHowSize = 24

// Flags openat2 accepts.
const (
	openat2Flags = unix.O_ACCMODE | unix.O_CREAT | unix.O_EXCL | unix.O_NOCTTY | unix.O_TRUNC |
		unix.O_APPEND | unix.O_NONBLOCK | unix.O_DSYNC | unix.O_ASYNC | unix.O_DIRECT |
		unix.O_LARGEFILE | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_NOATIME |
		unix.O_CLOEXEC | unix.O_PATH | unix.O_TMPFILE | unix.O_SYNC
	resolveFlags = unix.RESOLVE_NO_XDEV | unix.RESOLVE_NO_MAGICLINKS | unix.RESOLVE_NO_SYMLINKS |
		unix.RESOLVE_BENEATH | unix.RESOLVE_IN_ROOT | resolveCached
)

func sysOpenat2(c *Call) Result {
	size := c.Args[3]
	if size < openHowSize {
		return Errno(unix.EINVAL)
	}
	if size > 4096 {
		return Errno(unix.E2BIG)
	}
	buf := make([]byte, size)
	if err := c.Mem.CopyIn(c.Args[2], buf); err != nil {
		return Errno(err)
	}
	for _, b := range buf[openHowSize:] {
		if b != 0 {
			return Errno(unix.E2BIG)
		}
	}
	flags := binary.LittleEndian.Uint64(buf[0:])
	mode := binary.LittleEndian.Uint64(buf[8:])
	resolve := binary.LittleEndian.Uint64(buf[16:])
	if flags&^uint64(openat2Flags) != 0 || resolve&^uint64(resolveFlags) != 0 {
		return Errno(unix.EINVAL)
	}
	if mode&^07777 != 0 || (mode != 0 && flags&(unix.O_CREAT|unix.O_TMPFILE) == 0) {
		return Errno(unix.EINVAL)
	}
	if resolve&unix.RESOLVE_BENEATH != 0 && resolve&unix.RESOLVE_IN_ROOT != 0 {
		return Errno(unix.EINVAL)
	}
	if resolve&resolveCached != 0 {
		// Every lookup may need the host; Linux answers EAGAIN likewise.
		return Errno(unix.EAGAIN)
	}
	var r int
	for bit, w := range map[uint64]int{unix.RESOLVE_NO_XDEV: vfs.NoXdev, unix.RESOLVE_NO_MAGICLINKS: vfs.NoMagicLinks,
		unix.RESOLVE_NO_SYMLINKS: vfs.NoSymlinks, unix.RESOLVE_BENEATH: vfs.Beneath, unix.RESOLVE_IN_ROOT: vfs.InRoot} {
		if resolve&bit != 0 {
			r |= w
		}
	}
	return c.open(c.fd(0), 1, int(flags), uint32(mode), r)
}

// open serves the open family: the VFS opens the file, its host
// descriptor is installed in the guest, and the table records it.
func (c *Call) open(dirfd int32, pathArg int, flags int, mode uint32, resolve int) Result {
	p, err := c.path(pathArg)
	if err == nil && p == "" {
		err = unix.ENOENT // before the descriptor is looked at
	}
	if err != nil {
		return Errno(err)
	}
	sp := p
	if resolve&(vfs.Beneath|vfs.InRoot) != 0 {
		// openat2 scopes even absolute paths to dirfd.
		sp = ""
	}
	start, err := c.start(dirfd, sp)
	if err != nil {
		return Errno(err)
	}
	k := c.Task.Kernel()
	if max := k.fileMax.Load(); max > 0 && vfs.LiveFiles() >= max {
		return Errno(unix.ENFILE)
	}
	f, err := k.VFS.OpenResolve(c.ctx(), start, p, flags, mode&07777, resolve)
	if err != nil {
		return Errno(err)
	}
	if f.Flags&unix.O_PATH == 0 && f.VD.Mount.FS.Type() == "devpts" {
		c.ownNewPty(f)
	}
	return c.install(f, flags&unix.O_CLOEXEC != 0)
}

// ownNewPty gives the slave of a pty just made by opening ptmx to the
// opener, as devpts does for the opener's fsuid (the host made it for the
// sentry, which opened it); the group is devpts's gid= (tty).
func (c *Call) ownNewPty(f *vfs.File) {
	a, _, err := c.Task.Kernel().VFS.Stat(f.VD)
	if err != nil || a.Rdev != unix.Mkdev(5, 2) {
		return
	}
	n, err := unix.IoctlGetInt(f.HostFD(), unix.TIOCGPTN)
	if err != nil {
		return
	}
	cred := c.Task.Creds.VFS()
	if cred.UID == 0 {
		return
	}
	v := c.Task.Kernel().VFS
	dir := vfs.VirtualDentry{Mount: f.VD.Mount, Dentry: f.VD.Mount.Root}
	root := &vfs.Context{Root: dir, Cwd: dir, Cred: vfs.RootCred()}
	slave, err := v.Walk(root, dir, strconv.Itoa(n), 0)
	if err != nil {
		return
	}
	defer slave.DecRef()
	v.Setattr(root, slave, &vfs.SetAttr{Mask: vfs.SetUID, UID: cred.UID})
}

// install places f in the guest at the lowest free descriptor and records
// it. It takes over the caller's reference to f.
func (c *Call) install(f *vfs.File, cloexec bool) Result {
	h := f.HostFD()
	if f.Flags&unix.O_PATH != 0 {
		// ADDFD cannot pass O_PATH files (fget refuses them); the guest
		// gets a stand-in that can be neither read nor written, and every
		// call that uses an O_PATH descriptor comes to the sentry anyway.
		p, err := pathStandIn()
		if err != nil {
			f.DecRef()
			return Errno(err)
		}
		defer unix.Close(p)
		h = p
	}
	fd, err := c.FDs.Install(h, -1, cloexec)
	if err != nil {
		f.DecRef()
		return Errno(err)
	}
	c.Task.FDs().Install(fd, f)
	return Value(int64(fd))
}

var (
	standInOnce sync.Once
	standInFD   int
	standInErr  error
)

// pathStandIn returns a new open file description that cannot be read or
// written (access mode 3, as Linux's open(2) documents), for the guest's
// O_PATH descriptors.
func pathStandIn() (int, error) {
	standInOnce.Do(func() {
		standInFD, standInErr = unix.MemfdCreate("vkernel-o_path", unix.MFD_CLOEXEC)
	})
	if standInErr != nil {
		return -1, standInErr
	}
	return unix.Open("/proc/self/fd/"+strconv.Itoa(standInFD), unix.O_ACCMODE|unix.O_CLOEXEC, 0)
}
