package vfs

// This file is the contract between the VFS and its callers (the sentry's
// syscall handlers, rootfs, procfs). Bodies marked TODO(vfs) are being
// written; signatures are fixed.

import (
	"golang.org/x/sys/unix"
)

// VirtualDentry is a position in the mount tree: a dentry as seen through
// one mount. It is analogous to Linux's struct path.
type VirtualDentry struct {
	Mount  *Mount
	Dentry *Dentry
}

// Ok reports whether vd names something.
func (vd VirtualDentry) Ok() bool { return vd.Mount != nil && vd.Dentry != nil }

// Resolve flags: how a walk treats the path (analogous to LOOKUP_* and
// openat2's RESOLVE_*).
const (
	// FollowFinal follows a symlink in the final component.
	FollowFinal = 1 << iota
	// EmptyPath allows an empty path, naming the start itself (AT_EMPTY_PATH).
	EmptyPath
	// MustBeDir requires the result to be a directory (O_DIRECTORY).
	MustBeDir
	// NoAutomount is accepted and ignored (AT_NO_AUTOMOUNT).
	NoAutomount
	// Beneath refuses to leave the start directory (RESOLVE_BENEATH): EXDEV.
	Beneath
	// InRoot treats the start directory as the root (RESOLVE_IN_ROOT).
	InRoot
	// NoSymlinks refuses any symlink (RESOLVE_NO_SYMLINKS): ELOOP.
	NoSymlinks
	// NoMagicLinks refuses /proc magic links (RESOLVE_NO_MAGICLINKS): ELOOP.
	NoMagicLinks
	// NoXdev refuses to cross a mount (RESOLVE_NO_XDEV): EXDEV.
	NoXdev
)

// Context is what a walk needs from the calling task.
type Context struct {
	// Root is the task's root directory (chroot); ".." never leaves it and
	// absolute paths and symlinks start there.
	Root VirtualDentry
	// Cwd is where relative paths start when no directory is given.
	Cwd VirtualDentry
	// Cred is checked for search permission on every directory walked.
	Cred *Cred
	// Umask is applied to the mode of everything created.
	Umask uint32
	// Caller is the calling task, for filesystems whose answers depend on
	// who asks (procfs's "self"). The VFS never looks inside.
	Caller any
	// Interrupt, if not nil, lets a wait on another process (a fifo's
	// rendezvous) be given up, with EINTR, when a signal interrupts the
	// caller.
	Interrupt Interrupt
}

// Interrupt is how a wait on another process is given up: the VFS
// brackets such a wait with Waiting(true) and Waiting(false) (the caller
// may be interrupted only meanwhile), and gives it up when Done is
// closed.
//
// Block is called before an open that may wait on another process: of a
// fifo, a device, a socket, or an object reopened through a magic link
// (a pipe). An open of a regular file or a directory never calls it, so
// the caller may serve those on a path that must not wait, and move the
// call off it only when Block is called (vkernel: a goroutine of its
// own, and the watcher of its signals).
type Interrupt interface {
	Done() <-chan struct{}
	Waiting(on bool)
	Block()
}

// MagicLink is implemented by symlink vnodes that jump somewhere when
// followed, as /proc/self/fd/N, /proc/self/cwd and /proc/self/exe do,
// instead of having their text walked. RESOLVE_NO_MAGICLINKS refuses them.
type MagicLink interface {
	// Target returns where the link leads. ErrNoTarget means the link leads
	// to something outside the tree (a pipe, a socket): the walk then ends
	// on the link vnode itself, whose Open reopens that object.
	Target(ctx *Context) (VirtualDentry, error)
}

// ErrNoTarget is MagicLink.Target's answer for an object with no path.
var ErrNoTarget = unix.ENOLINK

// ContextOpener is implemented by vnodes whose contents depend on who
// opens them (procfs: a process reading its own state sees itself
// running). The VFS prefers it to Open for a read or write open.
type ContextOpener interface {
	OpenFor(ctx *Context, flags int) (FileImpl, error)
}

// ContextReadlinker is implemented by symlink vnodes whose text depends on
// who reads it (procfs's "self" and "thread-self"). The VFS prefers it to
// Readlink, both when following the link and for readlink(2).
type ContextReadlinker interface {
	ReadlinkFor(ctx *Context) (string, error)
}
