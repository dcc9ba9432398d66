package vfs

import (
	"time"

	"golang.org/x/sys/unix"
)

// Cred is the identity on whose behalf a vnode operation runs. It is
// analogous to Linux's struct cred, reduced to what the VFS checks.
type Cred struct {
	UID, GID uint32
	Groups   []uint32
	// CapEffective is the effective capability set (bit N = capability N).
	CapEffective uint64
}

// HasCap reports whether c holds capability cap in its effective set.
func (c *Cred) HasCap(cap int) bool { return c.CapEffective&(1<<uint(cap)) != 0 }

// InGroup reports whether gid is c's fsgid or one of its supplementary groups.
func (c *Cred) InGroup(gid uint32) bool {
	if c.GID == gid {
		return true
	}
	for _, g := range c.Groups {
		if g == gid {
			return true
		}
	}
	return false
}

// RootCred is the credential of a guest root with every capability.
func RootCred() *Cred { return &Cred{CapEffective: ^uint64(0)} }

// Attr holds a vnode's attributes, as Linux's struct kstat. The device
// number is not here: the VFS gives each mount its own (see Mount.Dev).
type Attr struct {
	Ino     uint64
	Mode    uint32 // file type and permission bits: S_IFMT | 07777
	Nlink   uint64
	UID     uint32
	GID     uint32
	Rdev    uint64 // as unix.Mkdev makes it
	Size    int64
	Blksize int64
	Blocks  int64 // 512-byte blocks
	Atime   unix.Timespec
	Mtime   unix.Timespec
	Ctime   unix.Timespec
	Btime   unix.Timespec
	// HasBtime reports whether Btime is known (statx STATX_BTIME).
	HasBtime bool
	// Attributes and AttributesMask are statx's stx_attributes and
	// stx_attributes_mask as the filesystem has them (the sentry adds
	// STATX_ATTR_MOUNT_ROOT, which is the mount's).
	Attributes, AttributesMask uint64
}

// Type returns the S_IFMT bits of a.Mode.
func (a *Attr) Type() uint32 { return a.Mode & unix.S_IFMT }

// IsDir reports whether a describes a directory.
func (a *Attr) IsDir() bool { return a.Type() == unix.S_IFDIR }

// IsSymlink reports whether a describes a symbolic link.
func (a *Attr) IsSymlink() bool { return a.Type() == unix.S_IFLNK }

// Bits of SetAttr.Mask.
const (
	SetMode = 1 << iota
	SetUID
	SetGID
	SetSize
	SetAtime
	SetMtime
	SetCtime
	// SetChown marks a chown: even with no id to change (chown(f, -1,
	// -1)) the ctime moves and set-id bits are killed, as Linux's
	// chown_common.
	SetChown
)

// SetAttr names the attributes Setattr changes. Atime and Mtime may carry
// unix.UTIME_NOW in Nsec; UTIME_OMIT is expressed by leaving the bit clear.
type SetAttr struct {
	Mask  uint32
	Mode  uint32 // permission bits only (07777)
	UID   uint32
	GID   uint32
	Size  int64
	Atime unix.Timespec
	Mtime unix.Timespec
}

// DirEntry is one directory entry as getdents64 reports it.
type DirEntry struct {
	Name string
	Ino  uint64
	Type uint8 // unix.DT_*
	// Off, when a directory gives it for every entry, is the entry's
	// stable position, increasing through the listing (procfs's fd/ uses
	// the descriptor number, as Linux does): reading resumes after the
	// last position returned even if entries came or went meanwhile.
	// Zero: positions are indexes into the listing.
	Off int64
}

// Vnode is a filesystem object: the set of vnode operations a filesystem
// implements, analogous to BSD's vop table and Linux's inode_operations.
//
// Names passed to a Vnode are single path components: never empty, never
// "." or "..", never containing '/'. The VFS owns path walking, symlink
// following, mount crossing and the name cache; a filesystem sees one name
// at a time. Permission checks against the guest's credentials are the
// VFS's; a filesystem only reports what its backing store refuses.
//
// Errors are unix.Errno values. Embed DefaultVnode to answer every
// operation a filesystem does not implement with Linux's errno.
type Vnode interface {
	// Getattr returns the vnode's attributes.
	Getattr() (Attr, error)
	// Setattr changes the attributes named in sa.Mask.
	Setattr(sa *SetAttr) error

	// Lookup returns the child called name; ENOENT if there is none.
	Lookup(name string) (Vnode, error)
	// Readdir lists the directory, "." and ".." included, in a stable order.
	Readdir() ([]DirEntry, error)

	// Open opens the vnode itself. flags are the guest's open flags with
	// O_CREAT, O_EXCL, O_NOFOLLOW, O_CLOEXEC and O_TRUNC removed (the VFS
	// truncates through Setattr).
	Open(flags int) (FileImpl, error)
	// Create makes a regular file called name with permission bits mode
	// (umask already applied) owned by cred, and opens it with flags.
	// EEXIST if name exists.
	Create(name string, flags int, mode uint32, cred *Cred) (Vnode, FileImpl, error)
	// Mkdir makes a directory called name.
	Mkdir(name string, mode uint32, cred *Cred) error
	// Mknod makes a device, fifo or socket node called name; mode includes
	// the S_IFMT bits.
	Mknod(name string, mode uint32, dev uint64, cred *Cred) error
	// Symlink makes a symbolic link called name holding target.
	Symlink(name, target string, cred *Cred) error
	// Link makes name a new hard link to target, a vnode of the same
	// filesystem (the VFS checks; EXDEV otherwise).
	Link(name string, target Vnode) error
	// Unlink removes the non-directory called name.
	Unlink(name string) error
	// Rmdir removes the empty directory called name.
	Rmdir(name string) error
	// Rename moves oldName to newDir/newName; newDir is a vnode of the same
	// filesystem. flags are renameat2's RENAME_* flags.
	Rename(oldName string, newDir Vnode, newName string, flags uint32) error
	// Readlink returns a symbolic link's target.
	Readlink() (string, error)

	// Getxattr copies the value of the extended attribute name into buf
	// and returns its size; with an empty buf, it returns the size only.
	Getxattr(name string, buf []byte) (int, error)
	// Setxattr sets the extended attribute name; flags are XATTR_CREATE or
	// XATTR_REPLACE.
	Setxattr(name string, value []byte, flags int) error
	// Listxattr copies the NUL-separated list of names into buf, as
	// Getxattr does with sizes.
	Listxattr(buf []byte) (int, error)
	// Removexattr removes the extended attribute name.
	Removexattr(name string) error

	// Statfs returns the figures of the filesystem holding the vnode.
	Statfs() (unix.Statfs_t, error)

	// Release drops what the vnode holds (host descriptors, memory) once
	// the last reference on its dentry is gone: it is uncached and no file,
	// walk, cwd, mount or caller holds it. The VFS calls it exactly once,
	// and calls no other method afterwards (see doc.go, Lifetime).
	Release()
}

// Typer is implemented by vnodes that know their file type without a
// Getattr (dirfs reads it with the lookup): the name cache asks it, once
// per new dentry, instead of Getattr.
type Typer interface {
	// Type returns the vnode's S_IFMT bits, which never change.
	Type() uint32
}

// SocketBinder is implemented by directory vnodes that have no host
// directory to bind an AF_UNIX socket in (the sentry's tmpfs): BindSocket
// binds the host socket sock and makes name a socket node for it with
// permission bits mode, owned by cred; it returns the host address sock
// was bound to, which getsockname then shows.
type SocketBinder interface {
	BindSocket(name string, sock int, mode uint32, cred *Cred) (hostName string, err error)
}

// TmpfileMaker is implemented by directory vnodes that can make an
// unnamed regular file in themselves, for open(O_TMPFILE) (Linux's
// inode_operations.tmpfile). Directories without it answer EOPNOTSUPP.
type TmpfileMaker interface {
	// Tmpfile makes a regular file with no name and no link (st_nlink 0),
	// with permission bits mode (umask already applied) owned by cred, and
	// opens it with flags: the access mode and status flags (O_APPEND,
	// O_NONBLOCK, ...), without O_TMPFILE, O_DIRECTORY, O_CREAT or
	// O_CLOEXEC; O_EXCL says the file must never be linked (Link of it
	// answers ENOENT), as Linux's missing I_LINKABLE. Without O_EXCL a
	// later Link gives it its first name. The VFS checks permissions and
	// read-only mounts, and gives the vnode an unhashed, deleted dentry
	// "#ino" under the directory.
	Tmpfile(flags int, mode uint32, cred *Cred) (Vnode, FileImpl, error)
}

// FileImpl is the filesystem's half of an open file description.
//
// Every open file has a host descriptor: that descriptor is what vkernel
// installs in the guest, so read, write, mmap and friends run natively. A
// passthrough filesystem (dirfs) gives the real host file; others give a
// memfd, a host device, or a placeholder (see Placeholder).
type FileImpl interface {
	// HostFD returns the host descriptor backing the file. The FileImpl
	// owns it and closes it in Close.
	HostFD() int
	// Close releases the file's resources.
	Close() error
}

// HostDirFile is implemented by a FileImpl whose HostFD is the real host
// directory: getdents64 on it is exact, so the sentry forwards the call
// instead of listing the vnode with Readdir.
type HostDirFile interface {
	FileImpl
	HostDirectory()
}

// Filesystem is one mounted instance of a filesystem type (a superblock).
type Filesystem interface {
	// Root returns the root vnode. The VFS holds it for the mount's life.
	Root() Vnode
	// Type is the name shown in /proc/mounts ("dirfs", "tmpfs", ...).
	Type() string
	// Source is the mount source shown in /proc/mounts ("dirfs@/srv/x").
	Source() string
	// Options returns filesystem-specific super options ("size=64m").
	Options() string
	// Revalidate reports whether the cached child of parent called name is
	// still what the backing store holds. child is nil for a negative
	// entry. Filesystems the guest alone can change return true.
	Revalidate(parent Vnode, name string, child Vnode) bool
}

// RevalidateWindower is implemented by a Filesystem whose cached entries
// the VFS may trust, without asking Revalidate, for a short while after
// the last check (a lookup or a Revalidate that said yes). Changes made
// through the VFS invalidate entries at once whatever the window; only
// changes made behind its back (by the host) are seen late, by at most
// the window.
type RevalidateWindower interface {
	// RevalidateWindow returns how long a checked entry is trusted; zero
	// asks Revalidate every time.
	RevalidateWindow() time.Duration
}

// DefaultVnode answers every Vnode operation with Linux's errno for an
// object that does not support it. Embed it and override what applies, as
// DragonFly's vop_defaultop.
type DefaultVnode struct{}

func (DefaultVnode) Getattr() (Attr, error)              { return Attr{}, unix.EIO }
func (DefaultVnode) Setattr(*SetAttr) error              { return unix.EPERM }
func (DefaultVnode) Lookup(string) (Vnode, error)        { return nil, unix.ENOTDIR }
func (DefaultVnode) Readdir() ([]DirEntry, error)        { return nil, unix.ENOTDIR }
func (DefaultVnode) Open(int) (FileImpl, error)          { return nil, unix.ENXIO }
func (DefaultVnode) Mkdir(string, uint32, *Cred) error   { return unix.ENOTDIR }
func (DefaultVnode) Symlink(string, string, *Cred) error { return unix.ENOTDIR }
func (DefaultVnode) Link(string, Vnode) error            { return unix.ENOTDIR }
func (DefaultVnode) Unlink(string) error                 { return unix.ENOTDIR }
func (DefaultVnode) Rmdir(string) error                  { return unix.ENOTDIR }
func (DefaultVnode) Readlink() (string, error)           { return "", unix.EINVAL }
func (DefaultVnode) Listxattr([]byte) (int, error)       { return 0, nil }
func (DefaultVnode) Removexattr(string) error            { return unix.EOPNOTSUPP }
func (DefaultVnode) Release()                            {}

func (DefaultVnode) Create(string, int, uint32, *Cred) (Vnode, FileImpl, error) {
	return nil, nil, unix.ENOTDIR
}

func (DefaultVnode) Mknod(string, uint32, uint64, *Cred) error { return unix.ENOTDIR }

func (DefaultVnode) Rename(string, Vnode, string, uint32) error { return unix.ENOTDIR }

func (DefaultVnode) Getxattr(string, []byte) (int, error) { return 0, unix.EOPNOTSUPP }

func (DefaultVnode) Setxattr(string, []byte, int) error { return unix.EOPNOTSUPP }

func (DefaultVnode) Statfs() (unix.Statfs_t, error) { return unix.Statfs_t{}, unix.ENOSYS }

var _ Vnode = DefaultVnode{}
