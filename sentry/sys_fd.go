package sentry

import (
	"os"
	"path"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

// Calls that close or duplicate descriptors: the table must see every one
// of them to stay exact. Close-on-exec flags are the kernel's (F_SETFD,
// FIOCLEX and FIONCLEX run natively): at exec the table asks which
// descriptors remain (FDTable.DropClosed).

func init() {
	register(unix.SYS_CLOSE, sysClose)
	register(unix.SYS_CLOSE_RANGE, sysCloseRange)
	register(unix.SYS_DUP, sysDup)
	register(unix.SYS_DUP2, sysDup2)
	register(unix.SYS_DUP3, sysDup3)
	register(unix.SYS_FCNTL, sysFcntl)
	register(unix.SYS_IOCTL, sysIoctl)
	for _, nr := range []uintptr{unix.SYS_FSYNC, unix.SYS_FDATASYNC, unix.SYS_SYNCFS, unix.SYS_FTRUNCATE, unix.SYS_FLOCK} {
		register(nr, sysNotOnPath)
	}
}

// opath reports whether the guest's fd is an O_PATH descriptor of the VFS
// (its host descriptor is a stand-in, on which the host would answer).
func (c *Call) opath(fd int) bool {
	f, ok := c.Task.FDs().Get(fd)
	if !ok {
		return false
	}
	defer f.DecRef()
	return f.Flags&unix.O_PATH != 0
}

// sysNotOnPath serves the calls an O_PATH descriptor cannot make (fsync,
// fdatasync, syncfs, ftruncate, flock): EBADF on one, as Linux; the host
// runs them on any other.
func sysNotOnPath(c *Call) Result {
	if c.opath(int(c.fd(0))) {
		return Errno(unix.EBADF)
	}
	return Result{Continue: true}
}

// sysClose forgets the descriptor and lets the host close it (no memory
// argument, so nothing can change between the check and the close).
func sysClose(c *Call) Result {
	c.Task.FDs().Remove(int(c.fd(0)))
	return Result{Continue: true}
}

func sysCloseRange(c *Call) Result {
	lo, hi, flags := uint64(uint32(c.Args[0])), uint64(uint32(c.Args[1])), c.Args[2]
	if lo > hi || flags&^(unix.CLOSE_RANGE_CLOEXEC|unix.CLOSE_RANGE_UNSHARE) != 0 {
		return Errno(unix.EINVAL)
	}
	if flags&unix.CLOSE_RANGE_UNSHARE != 0 {
		c.Task.unshareFDs()
	}
	if flags&unix.CLOSE_RANGE_CLOEXEC == 0 {
		// Flagging is the kernel's to remember (FDTable.DropClosed).
		c.Task.FDs().RemoveRange(lo, hi)
	}
	return Result{Continue: true}
}

// hostFD returns a host descriptor for the guest's fd: the VFS file's own
// when the table has it (close is false), else a fetched duplicate the
// caller must close.
func (c *Call) hostFD(fd int) (h int, close bool, err error) {
	if f, ok := c.Task.FDs().Get(fd); ok {
		defer f.DecRef()
		if f.Flags&unix.O_PATH != 0 {
			h, err := pathStandIn()
			return h, true, err
		}
		// Duplicate so that the descriptor outlives a racing close.
		h, err := unix.FcntlInt(uintptr(f.HostFD()), unix.F_DUPFD_CLOEXEC, 0)
		return h, true, err
	}
	if fd < 0 {
		return -1, false, unix.EBADF
	}
	h, err = c.FDs.Fetch(fd)
	if err != nil {
		return -1, false, unix.EBADF
	}
	return h, true, nil
}

// dupTo installs a new reference to the guest's descriptor old at `at`
// (lowest free if negative) and records it in the table.
func (c *Call) dupTo(old, at int, cloexec bool) Result {
	h, closeH, err := c.hostFD(old)
	if err != nil {
		return Errno(err)
	}
	if closeH {
		defer unix.Close(h)
	}
	n, err := c.FDs.Install(h, at, cloexec)
	if err != nil {
		return Errno(err)
	}
	if f, ok := c.Task.FDs().Get(old); ok {
		c.Task.FDs().Install(n, f)
	} else {
		c.Task.FDs().Remove(n)
	}
	return Value(int64(n))
}

func sysDup(c *Call) Result { return c.dupTo(int(c.fd(0)), -1, false) }

func sysDup2(c *Call) Result {
	old, nfd := int(c.fd(0)), int(c.fd(1))
	if old == nfd {
		h, closeH, err := c.hostFD(old)
		if err != nil {
			return Errno(err)
		}
		if closeH {
			unix.Close(h)
		}
		return Value(int64(nfd))
	}
	if nfd < 0 {
		return Errno(unix.EBADF)
	}
	return c.dupTo(old, nfd, false)
}

func sysDup3(c *Call) Result {
	old, nfd, flags := int(c.fd(0)), int(c.fd(1)), c.Args[2]
	if old == nfd || flags&^unix.O_CLOEXEC != 0 {
		return Errno(unix.EINVAL)
	}
	if nfd < 0 {
		return Errno(unix.EBADF)
	}
	return c.dupTo(old, nfd, flags&unix.O_CLOEXEC != 0)
}

// sysFcntl serves the commands the filter sends: F_DUPFD, F_DUPFD_CLOEXEC
// for the table, F_GETFL for O_PATH, F_SETOWN and F_SETOWN_EX
// for the signals they direct (sys_fown.go).
func sysFcntl(c *Call) Result {
	fd := int(c.fd(0))
	switch int(int32(c.Args[1])) {
	case unix.F_GETFL:
		if f, ok := c.Task.FDs().Get(fd); ok {
			defer f.DecRef()
			if f.Flags&unix.O_PATH != 0 {
				// The host would show the stand-in's flags.
				return Value(int64(f.Flags & (unix.O_PATH | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_LARGEFILE)))
			}
		}
		return Result{Continue: true}
	case unix.F_SETLEASE:
		return c.sysSetlease(fd, int(int32(c.Args[2])))
	case unix.F_SETOWN:
		return c.sysSetown(fd, int32(c.Args[2]))
	case fSetownEx:
		return c.sysSetownEx(fd, c.Args[2])
	case unix.F_DUPFD, unix.F_DUPFD_CLOEXEC:
		min := int(int32(c.Args[2]))
		var lim unix.Rlimit
		unix.Prlimit(c.Task.TID(), unix.RLIMIT_NOFILE, nil, &lim)
		if min < 0 || uint64(min) >= lim.Cur {
			return Errno(unix.EINVAL)
		}
		at, err := c.dupFDTarget(min, int(lim.Cur))
		if err != nil {
			return Errno(err)
		}
		return c.dupTo(fd, at, int32(c.Args[1]) == unix.F_DUPFD_CLOEXEC)
	}
	return Result{Continue: true}
}

// dupFDTarget is where F_DUPFD of min installs: -1 (ADDFD's own lowest
// free number, found by the host in the install itself) when every
// number below min is open, the common F_DUPFD of 0 or 3; else the
// lowest free number from min up.
func (c *Call) dupFDTarget(min, limit int) (int, error) {
	if min <= probeBelow {
		tid := uintptr(c.Task.TID())
		below := true
		for n := 0; n < min && below; n++ {
			_, _, e := unix.Syscall6(unix.SYS_KCMP, tid, tid, kcmpFile, uintptr(n), uintptr(n), 0)
			below = e == 0
		}
		if below {
			return -1, nil
		}
	}
	return c.lowestFreeFD(min, limit)
}

// lowestFreeFD finds the guest's lowest unused descriptor >= min: by
// asking kcmp about each number from min up (EBADF: not open), a
// microsecond each, for the first few; past them by listing
// /proc/TID/fd, which costs tens of microseconds whatever the count.
func (c *Call) lowestFreeFD(min, limit int) (int, error) {
	tid := uintptr(c.Task.TID())
	for n := min; n < limit && n < min+probeFDs; n++ {
		_, _, e := unix.Syscall6(unix.SYS_KCMP, tid, tid, kcmpFile, uintptr(n), uintptr(n), 0)
		if e == unix.EBADF {
			return n, nil
		}
		if e != 0 {
			break // kcmp unavailable: list
		}
	}
	ents, err := os.ReadDir("/proc/" + strconv.Itoa(c.Task.TID()) + "/fd")
	if err != nil {
		return 0, unix.EBADF
	}
	used := map[int]bool{}
	for _, e := range ents {
		if n, err := strconv.Atoi(e.Name()); err == nil {
			used[n] = true
		}
	}
	for n := min; n < limit; n++ {
		if !used[n] {
			return n, nil
		}
	}
	return 0, unix.EMFILE
}

// probeFDs is how many numbers lowestFreeFD asks kcmp about from min
// up; probeBelow the largest min whose lower numbers dupFDTarget asks
// about.
const (
	probeFDs   = 32
	probeBelow = 8
)

// tiocGptPeer is TIOCGPTPEER.
const tiocGptPeer = 0x5441

// ptyPeer serves TIOCGPTPEER on a ptmx the VFS opened: the slave is opened
// through the VFS by its name in the same devpts, so that it is in the
// table and its fstat, /proc/self/fd link and ttyname agree.
func (c *Call) ptyPeer(fd, flags int) Result {
	f, ok := c.Task.FDs().Get(fd)
	if !ok {
		return Result{Continue: true}
	}
	defer f.DecRef()
	if flags&^(unix.O_ACCMODE|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC) != 0 {
		return Errno(unix.EINVAL)
	}
	n, err := unix.IoctlGetInt(f.HostFD(), unix.TIOCGPTN)
	if err != nil {
		return Errno(err)
	}
	k := c.Task.Kernel()
	ctx := c.ctx()
	ptmx, ok := k.VFS.PathOf(ctx.Root, f.VD)
	if !ok {
		return Errno(unix.EIO)
	}
	slave := path.Join(path.Dir(ptmx), strconv.Itoa(n))
	sf, err := k.VFS.Open(ctx, ctx.Root, slave, flags&^unix.O_CLOEXEC, 0)
	if err != nil {
		return Errno(err)
	}
	return c.install(sf, flags&unix.O_CLOEXEC != 0)
}

// sysIoctl serves the ioctls the filter sends: TIOCGPTPEER for the table,
// the owner-setting ones (sys_fown.go), and the rest (sys_ioctl.go).
func sysIoctl(c *Call) Result {
	fd := uint64(uint32(c.Args[0]))
	switch uint32(c.Args[1]) {
	case tiocGptPeer:
		return c.ptyPeer(int(fd), int(c.Args[2]))
	case fioSetown, siocSpgrp:
		return c.sysSocketSetown(int(fd), uint32(c.Args[1]), c.Args[2])
	}
	return c.otherIoctl(int(fd), uint32(c.Args[1]))
}

// isInodeIoctl reports whether cmd is one of the inode-changing ioctls
// the filter sends (InodeIoctls).
func isInodeIoctl(cmd uint32) bool {
	for _, c := range InodeIoctls {
		if uint32(c) == cmd {
			return true
		}
	}
	return false
}

// InodeIoctls change an inode through a descriptor that need not be open
// for writing (owning the file is enough): the sentry serves them.
var InodeIoctls = []uintptr{
	0x40086602, // FS_IOC_SETFLAGS
	0x40046602, // FS_IOC32_SETFLAGS
	0x401c5820, // FS_IOC_FSSETXATTR
	0x40087602, // FS_IOC_SETVERSION
	0x40047602, // FS_IOC32_SETVERSION
	0x800c6613, // FS_IOC_SET_ENCRYPTION_POLICY
	0xc0506617, // FS_IOC_ADD_ENCRYPTION_KEY
	0x40806685, // FS_IOC_ENABLE_VERITY
	0x41009432, // FS_IOC_SETFSLABEL
}

// inodeArgSize is the size of the argument of the inode ioctls the sentry
// carries out itself.
var inodeArgSize = map[uint32]int{
	0x40086602: 4,  // FS_IOC_SETFLAGS (the kernel reads an int)
	0x40046602: 4,  // FS_IOC32_SETFLAGS
	0x401c5820: 28, // FS_IOC_FSSETXATTR
	0x40087602: 4,  // FS_IOC_SETVERSION
	0x40047602: 4,  // FS_IOC32_SETVERSION
}

// inodeIoctl carries out an ioctl that changes an inode, on the sentry's
// own duplicate of the descriptor (so no other thread can swap the file
// between the check and the call) and under the guest's host identity, so
// that the host checks ownership and CAP_LINUX_IMMUTABLE as Linux would
// for the guest: EROFS on a read-only mount; EPERM for a host object
// outside every mount (hostobj.go); the encryption, verity and label
// ioctls are refused.
func (c *Call) inodeIoctl(fd int, cmd uint32) Result {
	f, ok := c.Task.FDs().Get(fd)
	var h int
	if ok {
		defer f.DecRef()
		if f.Flags&unix.O_PATH != 0 {
			return Errno(unix.EBADF)
		}
		var err error
		if h, err = unix.FcntlInt(uintptr(f.HostFD()), unix.F_DUPFD_CLOEXEC, 0); err != nil {
			return Errno(err)
		}
	} else {
		var err error
		if h, err = c.FDs.Fetch(fd); err != nil {
			return Errno(unix.EBADF)
		}
		var kind fetchedKind
		if f, kind = c.placeFetched(h); kind == fetchedHost {
			unix.Close(h)
			return Errno(unix.EPERM)
		} else if kind == fetchedVFS {
			defer f.DecRef()
		}
	}
	defer unix.Close(h)
	if f != nil && f.Reopened() {
		// An object reopened through /proc/self/fd/N: not the link's
		// filesystem's, and a host object's never changed.
		if hostKind(h) != fetchedGuest {
			return Errno(unix.EPERM)
		}
		f = nil
	}
	if f != nil && f.VD.Mount.ReadOnly() {
		return Errno(unix.EROFS)
	}
	size, ok := inodeArgSize[cmd]
	if !ok || hostDevice(h) {
		// A device node's host descriptor is the host's own device
		// (devfs opens /dev/null for the guest's): never changed.
		return Errno(unix.EPERM)
	}
	buf := make([]byte, size)
	if err := c.Mem.CopyIn(c.Args[2], buf); err != nil {
		return Errno(err)
	}
	return Errno(c.asGuest(func() error {
		_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(h), uintptr(cmd), uintptr(unsafe.Pointer(&buf[0])))
		if e != 0 {
			return e
		}
		return nil
	}))
}

// hostDevice reports whether host descriptor h is a device's.
func hostDevice(h int) bool {
	var st unix.Stat_t
	if unix.Fstat(h, &st) != nil {
		return true
	}
	t := st.Mode & unix.S_IFMT
	return t == unix.S_IFCHR || t == unix.S_IFBLK
}

// sysSetlease is F_SETLEASE. The host would judge vkernel's host
// identity, so the sentry judges the guest's, as Linux's vfs_setlease:
// on a VFS file (the table's, or a received copy of one: fetched and
// placed), the owner or CAP_LEASE (EACCES), a regular file only (EINVAL),
// then the lease is set on the sentry's descriptor of the same open file
// description; on an object the guest made (a memfd, a pipe), by the host
// under the guest's host identity; on a host object outside every mount,
// which no guest owns, never (EACCES). Linux then makes the caller the
// file's owner, the process the lease-break signal goes to: the sentry
// gives that to the guest's process. (The signal's si_fd is the sentry's
// number.)
func (c *Call) sysSetlease(fd, arg int) Result {
	if f, ok := c.Task.FDs().Get(fd); ok {
		defer f.DecRef()
		if f.Flags&unix.O_PATH != 0 {
			return Errno(unix.EBADF)
		}
		return c.setleaseVFS(f, f.HostFD(), arg)
	}
	h, f, kind, err := c.fetchPlaced(fd)
	if err != nil {
		return Errno(err)
	}
	defer unix.Close(h)
	if f != nil {
		defer f.DecRef()
		return c.setleaseVFS(f, h, arg)
	}
	if kind != fetchedGuest {
		return Errno(unix.EACCES)
	}
	if err := c.asGuest(func() error { _, err := unix.FcntlInt(uintptr(h), unix.F_SETLEASE, arg); return err }); err != nil {
		return Errno(err)
	}
	return Errno(c.leaseOwner(h, arg))
}

// setleaseVFS sets lease arg on VFS file f, whose open file description
// host descriptor h is, after vfs_setlease's checks.
func (c *Call) setleaseVFS(f *vfs.File, h, arg int) Result {
	a, _, err := c.Task.Kernel().VFS.Stat(f.VD)
	if err != nil {
		return Errno(err)
	}
	cred := c.Task.Creds.VFS()
	if cred.UID != a.UID && !cred.HasCap(capLease) {
		return Errno(unix.EACCES)
	}
	if a.Type() != unix.S_IFREG {
		return Errno(unix.EINVAL)
	}
	if _, err := unix.FcntlInt(uintptr(h), unix.F_SETLEASE, arg); err != nil {
		return Errno(err)
	}
	return Errno(c.leaseOwner(h, arg))
}

// leaseOwner makes the calling guest process the owner of h once a lease
// is set on it, as Linux's lease_setup makes the caller.
func (c *Call) leaseOwner(h, arg int) error {
	if arg == unix.F_UNLCK {
		return nil
	}
	ex := [2]int32{fOwnerPID, int32(c.Task.TG.TGID())} // struct f_owner_ex
	if _, _, e := unix.Syscall(unix.SYS_FCNTL, uintptr(h), fSetownEx, uintptr(unsafe.Pointer(&ex[0]))); e != 0 {
		return e
	}
	return nil
}
