package sentry

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// Which ioctls run natively. A guest process is root in a user namespace
// that maps every host id, so the host lets it through every check an
// ioctl makes with ns_capable or inode_owner_or_capable: natively, a guest
// user could change any file it can open for reading (a filesystem's own
// attribute, migration or snapshot ioctls) or open a host namespace
// (NS_GET_PARENT). So the ioctls run natively only when they are known to
// be the guest's business: every terminal ('T') and socket (0x89) command
// but TIOCSTI and TIOCLINUX, refused by the filter, and the commands
// below, which read or act on what the descriptor's own access mode
// allows. The ones the sentry has a reason to see are served (sys_fd.go,
// sys_fown.go, sys_pidfd.go, the inode ioctls); any other is ENOTTY, as a
// file without that ioctl answers.

// NativeIoctlTypes are the ioctl types (bits 8-15 of the command) that
// run natively.
var NativeIoctlTypes = []uintptr{'T' << 8, 0x89 << 8}

// NativeIoctls are the other commands that run natively.
var NativeIoctls = []uintptr{
	0x80086601, // FS_IOC_GETFLAGS
	0x80046601, // FS_IOC32_GETFLAGS
	0x80087601, // FS_IOC_GETVERSION
	0x80047601, // FS_IOC32_GETVERSION
	0x801c581f, // FS_IOC_FSGETXATTR
	0xc020660b, // FS_IOC_FIEMAP
	0x81009431, // FS_IOC_GETFSLABEL
	0x00000002, // FIGETBSZ
	0x00000001, // FIBMAP (CAP_SYS_RAWIO on the host)
	0x40049409, // FICLONE (the destination open for writing)
	0x4020940d, // FICLONERANGE
	0xc0189436, // FIDEDUPERANGE
	0x80045200, // RNDGETENTCNT
	0x40044900, // INOTIFY_IOC_SETNEXTWD
	0xc050ff0b, // PIDFD_GET_INFO
	0x0000b703, // NS_GET_NSTYPE
	0x0000b704, // NS_GET_OWNER_UID
}

// Namespace ioctls that open another namespace (linux/nsfs.h).
const (
	nsGetUserns = 0xb701
	nsGetParent = 0xb702
)

// ServedIoctls are the commands the sentry serves besides the inode ones
// and the descriptor table's: the filter sends them.
func ServedIoctls() []uintptr { return []uintptr{nsGetUserns, nsGetParent} }

// otherIoctl answers an ioctl the filter did not let run natively and no
// other handler took.
func (c *Call) otherIoctl(fd int, cmd uint32) Result {
	switch {
	case pidfdNamespaceIoctls[cmd]:
		return c.pidfdNamespace(fd, cmd)
	case cmd == nsGetUserns || cmd == nsGetParent:
		return c.nsRelative(fd, cmd)
	case isInodeIoctl(cmd):
		return c.inodeIoctl(fd, cmd)
	}
	return Errno(unix.ENOTTY)
}

// nsRelative serves NS_GET_USERNS and NS_GET_PARENT on a namespace
// descriptor: made on the sentry's duplicate, the namespace it opens is
// given to the caller only when it is one of the caller's own (the
// guest's); any other is outside the guest's scope, EPERM, as Linux
// answers for a namespace outside the caller's.
func (c *Call) nsRelative(fd int, cmd uint32) Result {
	return c.namespaceIoctl(fd, cmd, func(h int) error {
		var fs unix.Statfs_t
		if unix.Fstatfs(h, &fs) != nil || fs.Type != nsfsMagic {
			return unix.ENOTTY
		}
		return nil
	}, c.ownNamespace)
}

// ownNamespace reports whether namespace descriptor ns is one of the
// calling thread's own namespaces.
func (c *Call) ownNamespace(ns int) bool {
	var st unix.Stat_t
	if unix.Fstat(ns, &st) != nil {
		return false
	}
	dir := "/proc/" + strconv.Itoa(c.Task.TID()) + "/ns/"
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range ents {
		var o unix.Stat_t
		if unix.Stat(dir+e.Name(), &o) == nil && o.Dev == st.Dev && o.Ino == st.Ino {
			return true
		}
	}
	return false
}
