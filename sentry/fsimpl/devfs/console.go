package devfs

import (
	"strconv"

	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

// Console is the terminal vkernel was given on its stdio, which the guest
// inherits: /dev/console in the guest, as a container runtime gives its
// terminal. The guest's descriptors of it stand at /dev/console in the
// sentry's table, so ttyname(3) finds the name (readlink of
// /proc/self/fd/0, then a stat that must match fstat of the descriptor):
// the host's /dev/pts/N is not in the guest's private devpts.
type Console struct {
	fd int // vkernel's own descriptor of the terminal; never closed
	st unix.Stat_t
	// uid and gid own /dev/console: the guest's first user, as a
	// terminal belongs to who logged in on it (never the host user's
	// numbers, which a guest user could share).
	uid, gid uint32
}

// Own gives /dev/console to guest user uid and group gid, mode 0600.
func (c *Console) Own(uid, gid uint32) {
	if c != nil {
		c.uid, c.gid = uid, gid
	}
}

// NewConsole returns the console behind vkernel's descriptor fd, nil when
// fd is no terminal.
func NewConsole(fd int) *Console {
	if _, err := unix.IoctlGetTermios(fd, unix.TCGETS); err != nil {
		return nil
	}
	c := &Console{fd: fd}
	if unix.Fstat(fd, &c.st) != nil || c.st.Mode&unix.S_IFMT != unix.S_IFCHR {
		return nil
	}
	return c
}

// Is reports whether vkernel's descriptor fd is this terminal.
func (c *Console) Is(fd int) bool {
	var st unix.Stat_t
	return c != nil && unix.Fstat(fd, &st) == nil && st.Rdev == c.st.Rdev && st.Ino == c.st.Ino && st.Dev == c.st.Dev
}

// open opens the terminal anew with flags (an open of /dev/console); it
// never becomes vkernel's controlling terminal.
func (c *Console) open(flags int) (int, error) {
	return unix.Open("/proc/self/fd/"+strconv.Itoa(c.fd), flags|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
}

// File makes the sentry's file for the guest's descriptor that is
// vkernel's descriptor fd of the terminal, at vd (/dev/console): the same
// open file description, so what the guest does to it natively (its
// flags, its offset) is what the sentry's file has.
func (c *Console) File(vd vfs.VirtualDentry, fd int) (*vfs.File, error) {
	dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 3)
	if err != nil {
		return nil, err
	}
	flags, err := unix.FcntlInt(uintptr(dup), unix.F_GETFL, 0)
	if err != nil {
		unix.Close(dup)
		return nil, err
	}
	return vfs.NewFileAt(vd, flags, hostFile(dup)), nil
}

// hostFile is a host descriptor as a vfs.FileImpl.
type hostFile int

func (f hostFile) HostFD() int  { return int(f) }
func (f hostFile) Close() error { return unix.Close(int(f)) }
