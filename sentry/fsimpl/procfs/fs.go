package procfs

import (
	"hash/fnv"
	"path"
	"time"

	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

// Source is what procfs reads about guest processes. The sentry's Kernel
// implements it; procfs never imports the sentry.
type Source interface {
	// Processes returns the live guest processes (thread-group leaders),
	// sorted by pid.
	Processes() []Process
	// Process returns the process with guest pid pid, or the thread with
	// guest tid pid (a Process that describes it, as a Thread's: Linux's
	// /proc/<tid>, found but not listed); nil if none.
	Process(pid int) Process
	// Caller returns the calling thread (vfs.Context.Caller) as a
	// Process: its PID is its process's, its Root and Cwd its own; nil if
	// unknown.
	Caller(caller any) Process
	// CallerTID returns the guest tid of vfs.Context.Caller; 0 if unknown.
	CallerTID(caller any) int
	// Hostname is the guest's hostname (/proc/sys/kernel/hostname).
	Hostname() string
	// Domainname is the guest's NIS domain name
	// (/proc/sys/kernel/domainname).
	Domainname() string
}

// Process is one guest process, as procfs sees it.
type Process interface {
	// PID and PPID are guest ids.
	PID() int
	PPID() int
	// HostTID is the host thread id of the thread the Process describes
	// (the leader's, but for a Thread's): procfs reads
	// /proc/<HostTID>/{stat,status,statm,limits,fd,fdinfo} on the host for
	// the figures the sentry does not keep.
	HostTID() int
	Argv() []string
	Environ() []string
	// Exe returns the executable: its guest path, and its position in the
	// tree when known.
	Exe() (path string, vd vfs.VirtualDentry)
	// Loader names the ELF interpreter the host loaded for the exec: the
	// path it was placed at in the guest's host-level mount namespace,
	// which the host's maps show, and its host path in the sentry's;
	// both "" for none.
	Loader() (placed, host string)
	// Root and Cwd return the process's root and working directory
	// (borrowed: no reference is taken).
	Root() vfs.VirtualDentry
	Cwd() vfs.VirtualDentry
	// FDs returns the descriptor numbers the sentry's table holds.
	FDs() []int
	// FD returns the file at descriptor n with a reference the caller
	// drops (DecRef).
	FD(n int) (*vfs.File, bool)
	// Threads returns the process's threads, the leader first.
	Threads() []Thread
}

// Thread is one thread of a process: its guest tid, and a Process that
// describes it (its host thread, its own comm and credentials) for
// task/<tid>.
type Thread struct {
	TID int
	P   Process
}

// Opaque is optionally implemented by a Process that is vkernel's own
// (its init under run): its host descriptors and mappings are vkernel's,
// so fd/ and fdinfo/ list nothing and maps and smaps are empty.
type Opaque interface {
	Opaque()
}

func opaque(p Process) bool {
	_, ok := p.(Opaque)
	return ok
}

// Owner is optionally implemented by a Process to give its effective
// uid and gid (Linux's task_dump_owner). procfs then owns the process's
// entries by them, makes environ, fd/ and fdinfo/ private to the owner
// (0400, 0500), and lets only a thread of the process, a caller whose
// filesystem ids are all of the process's ids (Identified's, else these)
// or a holder of CAP_SYS_PTRACE follow or read its magic links, as
// Linux's ptrace_may_access(PTRACE_MODE_READ_FSCREDS) does. Without it
// every entry belongs to root and is open to all.
type Owner interface {
	Cred() *vfs.Cred
}

// FS is a procfs instance, analogous to Linux's proc superblock. Every
// field is immutable after New.
type FS struct {
	v    *vfs.VFS
	src  Source
	root *dir
	// born is the time of New: the times of every entry not belonging to a
	// process.
	born unix.Timespec
}

var _ vfs.Filesystem = (*FS)(nil)

// New makes the guest's /proc, reading processes from src and mounts
// from v.
func New(v *vfs.VFS, src Source) *FS {
	fs := &FS{v: v, src: src, born: unix.NsecToTimespec(time.Now().UnixNano())}
	fs.root = &dir{
		node:    node{fs: fs, ino: rootIno, mode: unix.S_IFDIR | 0o555},
		parent:  rootIno,
		static:  rootEntries,
		dynamic: fs.pidEntries,
		find:    fs.findPid,
	}
	return fs
}

// Root implements vfs.Filesystem.Root.
func (fs *FS) Root() vfs.Vnode { return fs.root }

// Type implements vfs.Filesystem.Type.
func (fs *FS) Type() string { return "proc" }

// Source implements vfs.Filesystem.Source.
func (fs *FS) Source() string { return "proc" }

// Options implements vfs.Filesystem.Options.
func (fs *FS) Options() string { return "" }

// Revalidate implements vfs.Filesystem.Revalidate. Entries that come and
// go with processes and descriptors (pid and tid directories, fd/N,
// fdinfo/N) are looked up afresh every time, as are names missing from a
// directory whose listing changes (a pid that did not exist may now).
// Everything else is fixed.
func (fs *FS) Revalidate(parent vfs.Vnode, name string, child vfs.Vnode) bool {
	if child == nil {
		d, ok := parent.(*dir)
		return ok && d.dynamic == nil
	}
	b, ok := child.(interface{ base() *node })
	return ok && !b.base().volatile
}

// rootIno is the inode number of /proc, as Linux's PROC_ROOT_INO.
const rootIno = 1

// inoOf returns the stable inode number of the entry at path (relative to
// /proc, e.g. "/123/fd/4").
func inoOf(path string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(path))
	if ino := h.Sum64(); ino > rootIno {
		return ino
	}
	return rootIno + 1
}

// node is what every procfs vnode embeds: identity, mode and owner, and
// Linux procfs's answers to the operations it does not support. The
// fields are immutable.
type node struct {
	vfs.DefaultVnode
	fs *FS
	// pr is the process the entry belongs to; nil for global entries.
	pr *proc
	// path is the entry's path below /proc ("/123/status"), for inoOf.
	path string
	ino  uint64
	mode uint32
	// volatile entries are never trusted from the name cache (Revalidate).
	volatile bool
	// running is set on the copy a file is generated from when the thread
	// it describes is the one opening it: Linux shows that one running.
	running bool
	// readerRoot, on the copy a file is generated from, is the opener's
	// root, which maps and smaps name files from (d_path); zero when the
	// opener is unknown.
	readerRoot vfs.VirtualDentry
}

func (n *node) base() *node { return n }

// Getattr implements vfs.Vnode.Getattr: owned by root, size 0 as Linux
// reports for generated files, times of the process's start (else of the
// mount).
func (n *node) Getattr() (vfs.Attr, error) {
	a := vfs.Attr{Ino: n.ino, Mode: n.mode, Nlink: 1, Blksize: 1024}
	if n.mode&unix.S_IFMT == unix.S_IFDIR {
		a.Nlink = 2
	}
	t := n.fs.born
	if n.pr != nil {
		t = n.pr.startTime()
		if c := n.pr.owner(); c != nil {
			a.UID, a.GID = c.UID, c.GID
			if privateEntries[path.Base(n.path)] {
				a.Mode &^= 0o077
			}
			if path.Base(n.path) == "comm" {
				a.Mode |= 0o200 // Linux's 0644: the owner may rename
			}
		}
	}
	a.Atime, a.Mtime, a.Ctime = t, t, t
	return a, nil
}

// privateEntries are the per-process entries only their owner may read
// (Linux's environ, auxv and io 0400, fd and fdinfo 0500; maps and smaps are 0444 on
// Linux but need ptrace access to open, which the owner's mode stands
// for here: another user must not learn a process's layout).
var privateEntries = map[string]bool{"environ": true, "fd": true, "fdinfo": true, "maps": true, "smaps": true,
	"auxv": true, "io": true}

// Statfs implements vfs.Vnode.Statfs.
func (n *node) Statfs() (unix.Statfs_t, error) {
	return unix.Statfs_t{Type: unix.PROC_SUPER_MAGIC, Bsize: 4096, Frsize: 4096, Namelen: vfs.NameMax}, nil
}

// child makes the node of the entry name below n.
func (n *node) child(name string, typ uint8, volatile bool) node {
	path := n.path + "/" + name
	return node{fs: n.fs, pr: n.pr, path: path, ino: inoOf(path), mode: modeOf(typ), volatile: volatile}
}

// modeOf returns the default mode of an entry of dirent type typ.
func modeOf(typ uint8) uint32 {
	switch typ {
	case unix.DT_DIR:
		return unix.S_IFDIR | 0o555
	case unix.DT_LNK:
		return unix.S_IFLNK | 0o777
	}
	return unix.S_IFREG | 0o444
}

// callerRoot returns the root PathOf measures paths from for the task of
// ctx: the calling thread's, else ctx's, else fallback.
func (fs *FS) callerRoot(ctx *vfs.Context, fallback vfs.VirtualDentry) vfs.VirtualDentry {
	if ctx != nil {
		if p := fs.src.Caller(ctx.Caller); p != nil {
			if r := p.Root(); r.Ok() {
				return r
			}
		}
		if ctx.Root.Ok() {
			return ctx.Root
		}
	}
	return fallback
}
