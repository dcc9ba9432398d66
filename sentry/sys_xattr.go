package sentry

import (
	"encoding/binary"
	"strings"

	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

// The extended attribute family.

func init() {
	for _, x := range []struct {
		nr     uintptr
		follow int
		fd     bool
		fn     func(c *Call, vd vfs.VirtualDentry) Result
	}{
		{unix.SYS_GETXATTR, vfs.FollowFinal, false, xGet}, {unix.SYS_LGETXATTR, 0, false, xGet}, {unix.SYS_FGETXATTR, 0, true, xGet},
		{unix.SYS_SETXATTR, vfs.FollowFinal, false, xSet}, {unix.SYS_LSETXATTR, 0, false, xSet}, {unix.SYS_FSETXATTR, 0, true, xSet},
		{unix.SYS_LISTXATTR, vfs.FollowFinal, false, xList}, {unix.SYS_LLISTXATTR, 0, false, xList}, {unix.SYS_FLISTXATTR, 0, true, xList},
		{unix.SYS_REMOVEXATTR, vfs.FollowFinal, false, xRemove}, {unix.SYS_LREMOVEXATTR, 0, false, xRemove}, {unix.SYS_FREMOVEXATTR, 0, true, xRemove},
	} {
		x := x
		set := x.nr == unix.SYS_SETXATTR || x.nr == unix.SYS_LSETXATTR || x.nr == unix.SYS_FSETXATTR
		if x.fd {
			register(x.nr, func(c *Call) Result {
				if set && c.Args[4]&^(unix.XATTR_CREATE|unix.XATTR_REPLACE) != 0 {
					return Errno(unix.EINVAL) // setxattr_copy, first
				}
				vd, ok, err := c.fdVDNoPath(int(c.fd(0)))
				if err != nil {
					return Errno(err)
				}
				if !ok {
					return c.xattrFetched(x.nr, x.fn)
				}
				return x.fn(c, vd)
			})
			continue
		}
		register(x.nr, func(c *Call) Result {
			if set && c.Args[4]&^(unix.XATTR_CREATE|unix.XATTR_REPLACE) != 0 {
				return Errno(unix.EINVAL) // setxattr_copy, before the lookup
			}
			vd, err := c.walk(unix.AT_FDCWD, 0, x.follow)
			if err != nil {
				return Errno(err)
			}
			return x.fn(c, vd)
		}, 0)
	}
}

// xattrFetched serves an f*xattr call nr on a descriptor the table does
// not hold, fetched and placed as setattrFD does (hostobj.go): EBADF for
// none; a received copy of a VFS file through the VFS (fn); an object the
// guest made (a pipe, a socket) on the sentry's duplicate under the
// guest's host identity, so the host answers as Linux's pipefs and sockfs
// do; a host object outside every mount not at all (EOPNOTSUPP to read,
// EPERM to change).
func (c *Call) xattrFetched(nr uintptr, fn func(c *Call, vd vfs.VirtualDentry) Result) Result {
	h, f, kind, err := c.fetchPlaced(int(c.fd(0)))
	if err != nil {
		return Errno(err)
	}
	defer unix.Close(h)
	if f != nil {
		defer f.DecRef()
		return fn(c, f.VD)
	}
	write := nr == unix.SYS_FSETXATTR || nr == unix.SYS_FREMOVEXATTR
	if kind != fetchedGuest {
		if write {
			return Errno(unix.EPERM)
		}
		return Errno(unix.EOPNOTSUPP)
	}
	var name string
	if nr != unix.SYS_FLISTXATTR {
		if name, err = c.xattrName(); err != nil {
			return Errno(err)
		}
	}
	var n int
	var out []byte
	var outAddr uint64
	switch nr {
	case unix.SYS_FGETXATTR:
		out, outAddr = sizedBuf(c.Args[3]), c.Args[2]
		err = c.asGuest(func() (e error) { n, e = unix.Fgetxattr(h, name, out); return })
	case unix.SYS_FLISTXATTR:
		out, outAddr = sizedBuf(c.Args[2]), c.Args[1]
		err = c.asGuest(func() (e error) { n, e = unix.Flistxattr(h, out); return })
	case unix.SYS_FSETXATTR:
		if c.Args[3] > xattrSizeMax {
			return Errno(unix.E2BIG)
		}
		val := make([]byte, c.Args[3])
		if len(val) > 0 {
			if err := c.Mem.CopyIn(c.Args[2], val); err != nil {
				return Errno(err)
			}
		}
		err = c.asGuest(func() error { return unix.Fsetxattr(h, name, val, int(c.Args[4])) })
	case unix.SYS_FREMOVEXATTR:
		err = c.asGuest(func() error { return unix.Fremovexattr(h, name) })
	}
	if err != nil {
		return Errno(err)
	}
	if len(out) > 0 && n > 0 {
		if err := c.Mem.CopyOut(outAddr, out[:n]); err != nil {
			return Errno(err)
		}
	}
	return Value(int64(n))
}

// xattrName reads the attribute name in argument 1.
func (c *Call) xattrName() (string, error) {
	s, err := c.Mem.ReadString(c.Args[1], xattrNameMax)
	if err == unix.ENAMETOOLONG {
		return "", unix.ERANGE
	}
	if err == nil && s == "" {
		return "", unix.ERANGE
	}
	return s, err
}

// sizedBuf makes a buffer for a value of at most size bytes (XATTR_SIZE_MAX).
func sizedBuf(size uint64) []byte {
	if size > xattrSizeMax {
		size = xattrSizeMax
	}
	return make([]byte, size)
}

func xGet(c *Call, vd vfs.VirtualDentry) Result {
	name, err := c.xattrName()
	if err != nil {
		return Errno(err)
	}
	buf := sizedBuf(c.Args[3])
	n, err := c.Task.Kernel().VFS.Getxattr(c.ctx(), vd, name, buf)
	if err != nil {
		return Errno(err)
	}
	if len(buf) > 0 {
		if err := c.Mem.CopyOut(c.Args[2], buf[:n]); err != nil {
			return Errno(err)
		}
	}
	return Value(int64(n))
}

func xSet(c *Call, vd vfs.VirtualDentry) Result {
	name, err := c.xattrName()
	if err != nil {
		return Errno(err)
	}
	size, flags := c.Args[3], int(c.Args[4])
	if flags&^(unix.XATTR_CREATE|unix.XATTR_REPLACE) != 0 {
		return Errno(unix.EINVAL)
	}
	if size > xattrSizeMax {
		return Errno(unix.E2BIG)
	}
	val := make([]byte, size)
	if size > 0 {
		if err := c.Mem.CopyIn(c.Args[2], val); err != nil {
			return Errno(err)
		}
	}
	if err := c.capXattr(vd, name, val); err != nil {
		return Errno(err)
	}
	return Errno(c.Task.Kernel().VFS.Setxattr(c.ctx(), vd, name, val, flags))
}

func xList(c *Call, vd vfs.VirtualDentry) Result {
	buf := sizedBuf(c.Args[2])
	n, err := c.Task.Kernel().VFS.Listxattr(c.ctx(), vd, buf)
	if err != nil {
		return Errno(err)
	}
	if len(buf) > 0 {
		if err := c.Mem.CopyOut(c.Args[1], buf[:n]); err != nil {
			return Errno(err)
		}
	}
	return Value(int64(n))
}

func xRemove(c *Call, vd vfs.VirtualDentry) Result {
	name, err := c.xattrName()
	if err != nil {
		return Errno(err)
	}
	if err := c.capXattr(vd, name, nil); err != nil {
		return Errno(err)
	}
	return Errno(c.Task.Kernel().VFS.Removexattr(c.ctx(), vd, name))
}

// xattrNameCaps is XATTR_NAME_CAPS, a file's capabilities.
const xattrNameCaps = "security.capability"

// capXattr is the capability module's say on setting (value non-nil) or
// removing the extended attribute name of vd, which the VFS's
// xattr_permission leaves to it for security.*: Linux's cap_convert_nscap
// (a security.capability value must have a v2 or v3 header, EINVAL, and
// its setter CAP_SETFCAP), cap_inode_setxattr and cap_inode_removexattr
// (any other security.* needs CAP_SYS_ADMIN; removing security.capability
// CAP_SETFCAP). A read-only mount answers EROFS first (mnt_want_write),
// which the VFS checks.
func (c *Call) capXattr(vd vfs.VirtualDentry, name string, value []byte) error {
	if !strings.HasPrefix(name, "security.") || vd.Mount.ReadOnly() {
		return nil
	}
	need := capSysAdmin
	if name == xattrNameCaps {
		// An empty value skips cap_convert_nscap, and the capability
		// module then lets anyone set it, as Linux does.
		if value != nil && len(value) == 0 {
			return nil
		}
		if len(value) > 0 && !validCapsHeader(value) {
			return unix.EINVAL
		}
		need = capSetfcap
	}
	if !c.Task.Creds.VFS().HasCap(need) {
		return unix.EPERM
	}
	return nil
}

// validCapsHeader reports whether v is a struct vfs_cap_data of revision
// 2 or a struct vfs_ns_cap_data of revision 3, as Linux's validheader.
func validCapsHeader(v []byte) bool {
	const (
		revision2, size2 = 0x02000000, 20 // VFS_CAP_REVISION_2, XATTR_CAPS_SZ_2
		revision3, size3 = 0x03000000, 24 // VFS_CAP_REVISION_3, XATTR_CAPS_SZ_3
		flagsEffective   = 0x000001       // VFS_CAP_FLAGS_EFFECTIVE
	)
	if len(v) != size2 && len(v) != size3 {
		return false
	}
	rev := binary.LittleEndian.Uint32(v) &^ flagsEffective
	return (len(v) == size2 && rev == revision2) || (len(v) == size3 && rev == revision3)
}

// Linux's limits on extended attributes.
const (
	xattrNameMax = 255
	xattrSizeMax = 65536
)
