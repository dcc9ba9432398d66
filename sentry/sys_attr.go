package sentry

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

// Calls that change attributes: mode, owner, size, times.

func init() {
	register(unix.SYS_CHMOD, sysChmod, 0)
	register(unix.SYS_FCHMOD, sysFchmod)
	register(unix.SYS_FCHMODAT, sysFchmodat, 1)
	register(unix.SYS_FCHMODAT2, sysFchmodat2, 1)
	register(unix.SYS_CHOWN, sysChown, 0)
	register(unix.SYS_LCHOWN, sysLchown, 0)
	register(unix.SYS_FCHOWN, sysFchown)
	register(unix.SYS_FCHOWNAT, sysFchownat, 1)
	register(unix.SYS_TRUNCATE, sysTruncate, 0)
	register(unix.SYS_UTIME, sysUtime, 0)
	register(unix.SYS_UTIMES, sysUtimes, 0)
	register(unix.SYS_FUTIMESAT, sysFutimesat, 1)
	register(unix.SYS_UTIMENSAT, sysUtimensat, 1)
}

// fdVD returns the position of a VFS descriptor; ok is false for a
// descriptor the guest made itself, which the host serves.
func (c *Call) fdVD(fd int) (vd vfs.VirtualDentry, ok bool, err error) {
	f, ok := c.Task.FDs().Get(fd)
	if !ok {
		return vd, false, nil
	}
	defer f.DecRef()
	f.VD.IncRef()
	return c.refs.hold(f.VD), true, nil
}

// fdVDNoPath is fdVD for calls an O_PATH descriptor cannot make (fchmod,
// fchown, the f*xattr calls): EBADF for one, as Linux.
func (c *Call) fdVDNoPath(fd int) (vd vfs.VirtualDentry, ok bool, err error) {
	if f, ok := c.Task.FDs().Get(fd); ok {
		opath := f.Flags&unix.O_PATH != 0
		f.DecRef()
		if opath {
			return vd, false, unix.EBADF
		}
	}
	return c.fdVD(fd)
}

// setattrAt applies sa to path argument i relative to dirfd.
func (c *Call) setattrAt(dirfd int32, i int, flags int, sa *vfs.SetAttr) Result {
	vd, err := c.walk(dirfd, i, flags)
	if err != nil {
		return Errno(err)
	}
	return Errno(c.Task.Kernel().VFS.Setattr(c.ctx(), vd, sa))
}

// setattrFD applies sa to descriptor fd. A descriptor the table does not
// have is fetched and placed (hostobj.go): the received copy of a VFS file
// is changed through the VFS; an object the guest made natively (a pipe, a
// socket, a memfd) is changed on the sentry's duplicate under the guest's
// host identity, not by letting the call continue (another thread could
// put a VFS file at that number in between); a host object outside every
// mount is not changed (EPERM).
func (c *Call) setattrFD(fd int, sa *vfs.SetAttr) Result {
	if f, ok := c.Task.FDs().Get(fd); ok {
		reopened, h := f.Reopened(), f.HostFD()
		if reopened && f.Flags&unix.O_PATH == 0 {
			// A pipe, a socket, a host file reopened through
			// /proc/self/fd/N: the object, not the link, changes.
			defer f.DecRef()
			return c.setattrHost(h, nil, sa)
		}
		f.DecRef()
	}
	vd, ok, err := c.fdVDNoPath(fd)
	if err != nil {
		return Errno(err)
	}
	if ok {
		return Errno(c.Task.Kernel().VFS.Setattr(c.ctx(), vd, sa))
	}
	h, f, kind, err := c.fetchPlaced(fd)
	if err != nil {
		return Errno(err)
	}
	defer unix.Close(h)
	if f != nil {
		defer f.DecRef()
		return Errno(c.Task.Kernel().VFS.Setattr(c.ctx(), f.VD, sa))
	}
	return c.setattrHost(h, &kind, sa)
}

// fetchPlaced fetches guest descriptor fd, which the table does not hold,
// and places it (hostobj.go): the sentry's duplicate h, which the caller
// closes, and either the VFS file it is a copy of (f, with a reference the
// caller drops) or, f nil, the kind of host object it is (a file reopened
// through /proc/self/fd/N stands for its object). EBADF for no descriptor
// or an O_PATH one.
func (c *Call) fetchPlaced(fd int) (h int, f *vfs.File, kind fetchedKind, err error) {
	if h, err = c.FDs.Fetch(fd); err != nil {
		return -1, nil, 0, unix.EBADF
	}
	f, kind = c.placeFetched(h)
	if kind == fetchedVFS {
		switch {
		case f.Flags&unix.O_PATH != 0:
			f.DecRef()
			unix.Close(h)
			return -1, nil, 0, unix.EBADF
		case f.Reopened():
			f.DecRef()
			return h, nil, hostKind(h), nil
		}
	}
	return h, f, kind, nil
}

// setattrHost applies sa to host descriptor h, an object outside the VFS
// (kind, when known, says which; hostobj.go): the guest's own under its
// host identity, a host object never (EPERM).
func (c *Call) setattrHost(h int, kind *fetchedKind, sa *vfs.SetAttr) Result {
	if kind == nil || *kind == fetchedVFS {
		k := hostKind(h)
		kind = &k
	}
	if *kind != fetchedGuest {
		return Errno(unix.EPERM)
	}
	return Errno(c.asGuest(func() error { return hostSetattr(h, sa) }))
}

// hostSetattr applies sa to a host descriptor.
func hostSetattr(h int, sa *vfs.SetAttr) error {
	if sa.Mask&vfs.SetMode != 0 {
		if err := unix.Fchmod(h, sa.Mode); err != nil {
			return err
		}
	}
	if sa.Mask&(vfs.SetUID|vfs.SetGID) != 0 {
		uid, gid := -1, -1
		if sa.Mask&vfs.SetUID != 0 {
			uid = int(sa.UID)
		}
		if sa.Mask&vfs.SetGID != 0 {
			gid = int(sa.GID)
		}
		if err := unix.Fchown(h, uid, gid); err != nil {
			return err
		}
	}
	if sa.Mask&(vfs.SetAtime|vfs.SetMtime) != 0 {
		ts := []unix.Timespec{{Nsec: unix.UTIME_OMIT}, {Nsec: unix.UTIME_OMIT}}
		if sa.Mask&vfs.SetAtime != 0 {
			ts[0] = sa.Atime
		}
		if sa.Mask&vfs.SetMtime != 0 {
			ts[1] = sa.Mtime
		}
		return unix.UtimesNanoAt(h, "", ts, unix.AT_EMPTY_PATH)
	}
	return nil
}

func modeAttr(mode uint64) *vfs.SetAttr {
	return &vfs.SetAttr{Mask: vfs.SetMode, Mode: uint32(mode) & 07777}
}

func sysChmod(c *Call) Result {
	return c.setattrAt(unix.AT_FDCWD, 0, vfs.FollowFinal, modeAttr(c.Args[1]))
}

func sysFchmod(c *Call) Result { return c.setattrFD(int(c.fd(0)), modeAttr(c.Args[1])) }

func sysFchmodat(c *Call) Result {
	return c.setattrAt(c.fd(0), 1, vfs.FollowFinal, modeAttr(c.Args[2]))
}

func sysFchmodat2(c *Call) Result {
	flags, err := atFlags(c.Args[3], unix.AT_SYMLINK_NOFOLLOW|unix.AT_EMPTY_PATH)
	if err != nil {
		return Errno(err)
	}
	if empty, err := c.emptyPath(1, c.Args[3]); err != nil {
		return Errno(err)
	} else if empty {
		return c.setattrFD(int(c.fd(0)), modeAttr(c.Args[2]))
	}
	return c.setattrAt(c.fd(0), 1, flags, modeAttr(c.Args[2]))
}

// ownerAttr makes the SetAttr of chown(uid, gid); -1 leaves one alone.
func ownerAttr(uid, gid uint64) *vfs.SetAttr {
	sa := &vfs.SetAttr{Mask: vfs.SetChown}
	if u := uint32(uid); u != ^uint32(0) {
		sa.Mask |= vfs.SetUID
		sa.UID = u
	}
	if g := uint32(gid); g != ^uint32(0) {
		sa.Mask |= vfs.SetGID
		sa.GID = g
	}
	return sa
}

func sysChown(c *Call) Result {
	return c.setattrAt(unix.AT_FDCWD, 0, vfs.FollowFinal, ownerAttr(c.Args[1], c.Args[2]))
}

func sysLchown(c *Call) Result {
	return c.setattrAt(unix.AT_FDCWD, 0, 0, ownerAttr(c.Args[1], c.Args[2]))
}

func sysFchown(c *Call) Result {
	return c.setattrFD(int(c.fd(0)), ownerAttr(c.Args[1], c.Args[2]))
}

func sysFchownat(c *Call) Result {
	flags, err := atFlags(c.Args[4], unix.AT_SYMLINK_NOFOLLOW|unix.AT_EMPTY_PATH)
	if err != nil {
		return Errno(err)
	}
	sa := ownerAttr(c.Args[2], c.Args[3])
	if empty, err := c.emptyPath(1, c.Args[4]); err != nil {
		return Errno(err)
	} else if empty {
		return c.setattrFD(int(c.fd(0)), sa)
	}
	return c.setattrAt(c.fd(0), 1, flags, sa)
}

func sysTruncate(c *Call) Result {
	size := int64(c.Args[1])
	if size < 0 {
		return Errno(unix.EINVAL)
	}
	vd, err := c.walk(unix.AT_FDCWD, 0, vfs.FollowFinal)
	if err != nil {
		return Errno(err)
	}
	v := c.Task.Kernel().VFS
	a, _, err := v.Stat(vd)
	if err != nil {
		return Errno(err)
	}
	if a.IsDir() {
		return Errno(unix.EISDIR)
	}
	if a.Type() != unix.S_IFREG {
		return Errno(unix.EINVAL)
	}
	if err := v.Access(c.ctx(), vd, unix.W_OK); err != nil {
		return Errno(err)
	}
	if err := c.fileSizeOK(a.Size, size); err != nil {
		return Errno(err)
	}
	return Errno(v.Setattr(c.ctx(), vd, &vfs.SetAttr{Mask: vfs.SetSize, Size: size}))
}

// timesAttr makes the SetAttr of utimensat's times array (nil: now).
func (c *Call) timesAttr(addr uint64) (*vfs.SetAttr, error) {
	sa := &vfs.SetAttr{Mask: vfs.SetAtime | vfs.SetMtime}
	if addr == 0 {
		sa.Atime.Nsec, sa.Mtime.Nsec = unix.UTIME_NOW, unix.UTIME_NOW
		return sa, nil
	}
	var b [32]byte
	if err := c.Mem.CopyIn(addr, b[:]); err != nil {
		return nil, err
	}
	ts := func(o int) (unix.Timespec, error) {
		t := unix.Timespec{Sec: int64(binary.LittleEndian.Uint64(b[o:])), Nsec: int64(binary.LittleEndian.Uint64(b[o+8:]))}
		if t.Nsec != unix.UTIME_NOW && t.Nsec != unix.UTIME_OMIT && (t.Nsec < 0 || t.Nsec > 999999999) {
			return t, unix.EINVAL
		}
		return t, nil
	}
	var err error
	if sa.Atime, err = ts(0); err != nil {
		return nil, err
	}
	if sa.Mtime, err = ts(16); err != nil {
		return nil, err
	}
	if sa.Atime.Nsec == unix.UTIME_OMIT {
		sa.Mask &^= vfs.SetAtime
	}
	if sa.Mtime.Nsec == unix.UTIME_OMIT {
		sa.Mask &^= vfs.SetMtime
	}
	return sa, nil
}

// timevalsAttr makes the SetAttr of utimes' timeval array (nil: now).
func (c *Call) timevalsAttr(addr uint64) (*vfs.SetAttr, error) {
	sa := &vfs.SetAttr{Mask: vfs.SetAtime | vfs.SetMtime}
	if addr == 0 {
		sa.Atime.Nsec, sa.Mtime.Nsec = unix.UTIME_NOW, unix.UTIME_NOW
		return sa, nil
	}
	var b [32]byte
	if err := c.Mem.CopyIn(addr, b[:]); err != nil {
		return nil, err
	}
	for i, t := range []*unix.Timespec{&sa.Atime, &sa.Mtime} {
		us := int64(binary.LittleEndian.Uint64(b[16*i+8:]))
		if us < 0 || us >= 1000000 {
			return nil, unix.EINVAL
		}
		*t = unix.Timespec{Sec: int64(binary.LittleEndian.Uint64(b[16*i:])), Nsec: us * 1000}
	}
	return sa, nil
}

func sysUtime(c *Call) Result {
	sa := &vfs.SetAttr{Mask: vfs.SetAtime | vfs.SetMtime}
	if c.Args[1] == 0 {
		sa.Atime.Nsec, sa.Mtime.Nsec = unix.UTIME_NOW, unix.UTIME_NOW
	} else {
		var b [16]byte
		if err := c.Mem.CopyIn(c.Args[1], b[:]); err != nil {
			return Errno(err)
		}
		sa.Atime.Sec = int64(binary.LittleEndian.Uint64(b[0:]))
		sa.Mtime.Sec = int64(binary.LittleEndian.Uint64(b[8:]))
	}
	return c.setattrAt(unix.AT_FDCWD, 0, vfs.FollowFinal, sa)
}

func sysUtimes(c *Call) Result {
	sa, err := c.timevalsAttr(c.Args[1])
	if err != nil {
		return Errno(err)
	}
	return c.setattrAt(unix.AT_FDCWD, 0, vfs.FollowFinal, sa)
}

func sysFutimesat(c *Call) Result {
	sa, err := c.timevalsAttr(c.Args[2])
	if err != nil {
		return Errno(err)
	}
	if c.Args[1] == 0 {
		return c.setattrFD(int(c.fd(0)), sa)
	}
	return c.setattrAt(c.fd(0), 1, vfs.FollowFinal, sa)
}

func sysUtimensat(c *Call) Result {
	at := c.Args[3]
	sa, err := c.timesAttr(c.Args[2])
	if err != nil {
		return Errno(err)
	}
	if c.Args[2] != 0 && sa.Mask == 0 {
		// Both UTIME_OMIT: nothing to do, and Linux checks neither the
		// flags nor the path.
		return Value(0)
	}
	flags, err := atFlags(at, unix.AT_SYMLINK_NOFOLLOW|unix.AT_EMPTY_PATH)
	if err != nil {
		return Errno(err)
	}
	if c.Args[1] == 0 {
		// futimens: the descriptor itself.
		if c.fd(0) == unix.AT_FDCWD {
			return Errno(unix.EFAULT)
		}
		if sa.Mask == 0 {
			return Value(0)
		}
		return c.setattrFD(int(c.fd(0)), sa)
	}
	if empty, err := c.emptyPath(1, at); err != nil {
		return Errno(err)
	} else if empty {
		return c.setattrFD(int(c.fd(0)), sa)
	}
	if sa.Mask == 0 {
		// Both omitted: only check that the path exists.
		_, err := c.walk(c.fd(0), 1, flags)
		return Errno(err)
	}
	return c.setattrAt(c.fd(0), 1, flags, sa)
}
