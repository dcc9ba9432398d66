package sentry

import (
	"encoding/binary"
	"unsafe"

	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

func init() {
	register(unix.SYS_STAT, sysStat, 0)
	register(unix.SYS_LSTAT, sysLstat, 0)
	register(unix.SYS_FSTAT, sysFstat)
	register(unix.SYS_NEWFSTATAT, sysNewfstatat, 1)
	register(unix.SYS_STATX, sysStatx, 1)
	register(unix.SYS_ACCESS, sysAccess, 0)
	register(unix.SYS_FACCESSAT, sysFaccessat, 1)
	register(unix.SYS_FACCESSAT2, sysFaccessat2, 1)
	register(unix.SYS_READLINK, sysReadlink, 0)
	register(unix.SYS_READLINKAT, sysReadlinkat, 1)
	register(unix.SYS_STATFS, sysStatfs, 0)
	register(unix.SYS_FSTATFS, sysFstatfs)
	register(unix.SYS_GETDENTS64, sysGetdents64)
	register(unix.SYS_GETDENTS, sysGetdents)
}

// atStatxSyncType is AT_STATX_SYNC_TYPE.
const atStatxSyncType = 0x6000

// targetStater is implemented by magic links whose target has no guest
// path (procfs's fd links to pipes and sockets): stat through them reports
// the host object.
type targetStater interface {
	TargetStat() (unix.Stat_t, error)
}

// statFollowed writes the struct stat of what a following walk ended on.
func (c *Call) statFollowed(vd vfs.VirtualDentry, addr uint64) Result {
	if ts, ok := vd.Dentry.Vnode().(targetStater); ok && vd.Dentry.IsSymlink() {
		st, err := ts.TargetStat()
		if err != nil {
			return Errno(err)
		}
		return Errno(c.Mem.CopyOut(addr, hostStatBytes(&st)))
	}
	return c.statVD(vd, addr)
}

// statVD writes vd's struct stat to addr.
func (c *Call) statVD(vd vfs.VirtualDentry, addr uint64) Result {
	a, dev, err := c.Task.Kernel().VFS.Stat(vd)
	if err != nil {
		return Errno(err)
	}
	return Errno(c.Mem.CopyOut(addr, statBytes(&a, dev)))
}

// statFD writes the struct stat of descriptor fd to addr: from the VFS for
// its files, from the host for the guest's own (pipes, sockets, stdio).
func (c *Call) statFD(fd int, addr uint64) Result {
	if f, ok := c.Task.FDs().Get(fd); ok {
		defer f.DecRef()
		if !f.Reopened() {
			return c.statVD(f.VD, addr)
		}
		// A pipe or socket reopened through /proc/<pid>/fd/N is the
		// host's object, not the magic link it was opened by.
		var st unix.Stat_t
		if err := unix.Fstat(f.HostFD(), &st); err != nil {
			return Errno(err)
		}
		return Errno(c.Mem.CopyOut(addr, hostStatBytes(&st)))
	}
	h, closeH, err := c.hostFD(fd)
	if err != nil {
		return Errno(err)
	}
	if closeH {
		defer unix.Close(h)
	}
	var st unix.Stat_t
	if err := unix.Fstat(h, &st); err != nil {
		return Errno(err)
	}
	return Errno(c.Mem.CopyOut(addr, hostStatBytes(&st)))
}

func sysStat(c *Call) Result {
	vd, err := c.walk(unix.AT_FDCWD, 0, vfs.FollowFinal)
	if err != nil {
		return Errno(err)
	}
	return c.statFollowed(vd, c.Args[1])
}

func sysLstat(c *Call) Result {
	vd, err := c.walk(unix.AT_FDCWD, 0, 0)
	if err != nil {
		return Errno(err)
	}
	return c.statVD(vd, c.Args[1])
}

func sysFstat(c *Call) Result { return c.statFD(int(c.fd(0)), c.Args[1]) }

// emptyPath reports whether path argument i is "" and AT_EMPTY_PATH is
// set: the call is about dirfd itself.
func (c *Call) emptyPath(i int, at uint64) (bool, error) {
	if at&unix.AT_EMPTY_PATH == 0 {
		return false, nil
	}
	if c.Args[i] == 0 {
		return true, nil
	}
	p, err := c.path(i)
	return err == nil && p == "", err
}

func sysNewfstatat(c *Call) Result {
	at := c.Args[3]
	flags, err := atFlags(at, unix.AT_SYMLINK_NOFOLLOW|unix.AT_EMPTY_PATH|unix.AT_NO_AUTOMOUNT)
	if err != nil {
		return Errno(err)
	}
	if empty, err := c.emptyPath(1, at); err != nil {
		return Errno(err)
	} else if empty && c.fd(0) != unix.AT_FDCWD {
		return c.statFD(int(c.fd(0)), c.Args[2])
	}
	vd, err := c.walk(c.fd(0), 1, flags)
	if err != nil {
		return Errno(err)
	}
	if flags&vfs.FollowFinal != 0 {
		return c.statFollowed(vd, c.Args[2])
	}
	return c.statVD(vd, c.Args[2])
}

func sysStatx(c *Call) Result {
	at := c.Args[2]
	const allowed = unix.AT_SYMLINK_NOFOLLOW | unix.AT_EMPTY_PATH | unix.AT_NO_AUTOMOUNT | atStatxSyncType
	if at&^allowed != 0 || at&atStatxSyncType == atStatxSyncType {
		return Errno(unix.EINVAL)
	}
	if c.Args[3]&unix.STATX__RESERVED != 0 {
		return Errno(unix.EINVAL)
	}
	flags, _ := atFlags(at&^atStatxSyncType, allowed)
	var vd vfs.VirtualDentry
	empty, err := c.emptyPath(1, at)
	if err != nil {
		return Errno(err)
	}
	if empty && c.fd(0) != unix.AT_FDCWD {
		f, ok := c.Task.FDs().Get(int(c.fd(0)))
		if !ok {
			h, closeH, err := c.hostFD(int(c.fd(0)))
			if err != nil {
				return Errno(err)
			}
			if closeH {
				defer unix.Close(h)
			}
			var st unix.Statx_t
			if err := unix.Statx(h, "", unix.AT_EMPTY_PATH, int(c.Args[3]), &st); err != nil {
				return Errno(err)
			}
			return Errno(c.Mem.CopyOut(c.Args[4], hostStatxBytes(&st)))
		}
		defer f.DecRef()
		if f.Reopened() {
			// A pipe or socket reopened through /proc/self/fd/N.
			var st unix.Statx_t
			if err := unix.Statx(f.HostFD(), "", unix.AT_EMPTY_PATH, int(c.Args[3]), &st); err != nil {
				return Errno(err)
			}
			return Errno(c.Mem.CopyOut(c.Args[4], hostStatxBytes(&st)))
		}
		vd = f.VD
	} else {
		vd, err = c.walk(c.fd(0), 1, flags)
		if err != nil {
			return Errno(err)
		}
	}
	if ts, ok := vd.Dentry.Vnode().(targetStater); ok && vd.Dentry.IsSymlink() && flags&vfs.FollowFinal != 0 {
		// A magic link to a pipe or socket: the host object's figures.
		st, err := ts.TargetStat()
		if err != nil {
			return Errno(err)
		}
		sx := statxFromStat(&st)
		return Errno(c.Mem.CopyOut(c.Args[4], hostStatxBytes(&sx)))
	}
	a, dev, err := c.Task.Kernel().VFS.Stat(vd)
	if err != nil {
		return Errno(err)
	}
	return Errno(c.Mem.CopyOut(c.Args[4], statxBytes(&a, dev, vd.Mount.ID, vd.Dentry == vd.Mount.Root)))
}

// access is Linux's do_faccessat: the walk and the check are done with the
// real uid and gid (access_override_creds) unless AT_EACCESS asks for the
// effective ones.
func (c *Call) access(dirfd int32, pathArg int, mode uint64, at uint64) Result {
	if mode&^7 != 0 {
		return Errno(unix.EINVAL)
	}
	flags, err := atFlags(at, unix.AT_SYMLINK_NOFOLLOW|unix.AT_EACCESS|unix.AT_EMPTY_PATH)
	if err != nil {
		return Errno(err)
	}
	if at&unix.AT_EACCESS == 0 {
		c.ctx().Cred = c.Task.Creds.accessVFS()
	}
	vd, err := c.walk(dirfd, pathArg, flags)
	if err != nil {
		return Errno(err)
	}
	return Errno(c.Task.Kernel().VFS.Access(c.ctx(), vd, uint32(mode)))
}

func sysAccess(c *Call) Result { return c.access(unix.AT_FDCWD, 0, c.Args[1], 0) }

func sysFaccessat(c *Call) Result { return c.access(c.fd(0), 1, c.Args[2], 0) }

func sysFaccessat2(c *Call) Result { return c.access(c.fd(0), 1, c.Args[2], c.Args[3]) }

func (c *Call) readlink(dirfd int32, pathArg int, buf, size uint64) Result {
	if int32(size) <= 0 {
		return Errno(unix.EINVAL)
	}
	vd, err := c.walk(dirfd, pathArg, vfs.EmptyPath)
	if err != nil {
		return Errno(err)
	}
	s, err := c.Task.Kernel().VFS.Readlink(c.ctx(), vd)
	if err == unix.EINVAL {
		// Not a symlink: an empty name (the descriptor itself) is
		// ENOENT, as Linux's do_readlinkat.
		if p, perr := c.path(pathArg); perr == nil && p == "" {
			err = unix.ENOENT
		}
	}
	if err != nil {
		return Errno(err)
	}
	b := []byte(s)
	if uint64(len(b)) > size {
		b = b[:size]
	}
	return ResultOf(int64(len(b)), c.Mem.CopyOut(buf, b))
}

func sysReadlink(c *Call) Result {
	return c.readlink(unix.AT_FDCWD, 0, c.Args[1], c.Args[2])
}

func sysReadlinkat(c *Call) Result {
	return c.readlink(c.fd(0), 1, c.Args[2], c.Args[3])
}

// statfsVD writes vd's filesystem figures, with the mount's flags.
func (c *Call) statfsVD(vd vfs.VirtualDentry, addr uint64) Result {
	st, err := c.Task.Kernel().VFS.Statfs(vd)
	if err != nil {
		return Errno(err)
	}
	st.Flags |= mountStatfsFlags(vd.Mount.Flags())
	return Errno(c.Mem.CopyOut(addr, statfsBytes(&st)))
}

// mountStatfsFlags turns MS_* mount flags into statfs ST_* flags.
func mountStatfsFlags(ms uint64) int64 {
	f := int64(0x20) // ST_VALID
	for m, s := range map[uint64]int64{unix.MS_RDONLY: unix.ST_RDONLY, unix.MS_NOSUID: unix.ST_NOSUID,
		unix.MS_NODEV: unix.ST_NODEV, unix.MS_NOEXEC: unix.ST_NOEXEC, unix.MS_NOATIME: unix.ST_NOATIME,
		unix.MS_NODIRATIME: unix.ST_NODIRATIME, unix.MS_RELATIME: unix.ST_RELATIME} {
		if ms&m != 0 {
			f |= s
		}
	}
	return f
}

func sysStatfs(c *Call) Result {
	vd, err := c.walk(unix.AT_FDCWD, 0, vfs.FollowFinal)
	if err != nil {
		return Errno(err)
	}
	return c.statfsVD(vd, c.Args[1])
}

func sysFstatfs(c *Call) Result {
	fd := int(c.fd(0))
	if f, ok := c.Task.FDs().Get(fd); ok {
		defer f.DecRef()
		return c.statfsVD(f.VD, c.Args[1])
	}
	h, closeH, err := c.hostFD(fd)
	if err != nil {
		return Errno(err)
	}
	if closeH {
		defer unix.Close(h)
	}
	var st unix.Statfs_t
	if err := unix.Fstatfs(h, &st); err != nil {
		return Errno(err)
	}
	return Errno(c.Mem.CopyOut(c.Args[1], statfsBytes(&st)))
}

// listedFile returns the VFS file of the getdents calls' descriptor,
// with a reference the caller drops, or the errno: ENOTDIR for a pipe or
// socket, EBADF for none or an O_PATH descriptor.
func (c *Call) listedFile() (*vfs.File, error) {
	fd := int(c.fd(0))
	f, ok := c.Task.FDs().Get(fd)
	if !ok {
		return nil, c.notVFS(fd)
	}
	if f.Flags&unix.O_PATH != 0 {
		f.DecRef()
		return nil, unix.EBADF
	}
	return f, nil
}

func sysGetdents64(c *Call) Result {
	f, err := c.listedFile()
	if err != nil {
		return Errno(err)
	}
	defer f.DecRef()
	b, err := c.Task.Kernel().VFS.Getdents(f, int(uint32(c.Args[2])))
	if err != nil {
		return Errno(err)
	}
	return ResultOf(int64(len(b)), c.Mem.CopyOut(c.Args[1], b))
}

// sysGetdents is the legacy getdents: linux_dirent records, which have
// the size of linux_dirent64's for the same name (ALIGN(20+len, 8)), with
// the name at byte 18 and the type in the record's last byte. A host
// directory is listed by the host's own call; any other is converted.
func sysGetdents(c *Call) Result {
	f, err := c.listedFile()
	if err != nil {
		return Errno(err)
	}
	defer f.DecRef()
	size := int(uint32(c.Args[2]))
	if size <= 0 {
		return Errno(unix.EINVAL)
	}
	var b []byte
	if vfs.IsHostDir(f) {
		buf := make([]byte, vfs.DirentBufSize(size))
		n, _, e := unix.Syscall(unix.SYS_GETDENTS, uintptr(f.HostFD()), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))
		if e != 0 {
			return Errno(e)
		}
		b = buf[:n]
	} else {
		if b, err = c.Task.Kernel().VFS.Getdents(f, size); err != nil {
			return Errno(err)
		}
		legacyDirents(b)
	}
	return ResultOf(int64(len(b)), c.Mem.CopyOut(c.Args[1], b))
}

// legacyDirents rewrites linux_dirent64 records in place as linux_dirent.
func legacyDirents(b []byte) {
	for off := 0; off+19 <= len(b); {
		reclen := int(binary.NativeEndian.Uint16(b[off+16:]))
		if reclen < 20 || off+reclen > len(b) {
			return
		}
		rec := b[off : off+reclen]
		typ := rec[18]
		copy(rec[18:], rec[19:])
		rec[reclen-1] = typ
		off += reclen
	}
}
