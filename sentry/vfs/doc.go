// Package vfs is vkernel's virtual filesystem switch: the mount table, the
// name cache and the path walk, between the sentry's syscall handlers
// above and the filesystems (dirfs, tmpfs, devfs, procfs) below. It knows
// no task: a Context carries the caller's root, cwd, credentials and
// umask.
//
// The pieces, each in its own file:
//
//	vnode.go    Vnode, FileImpl, Filesystem: the contract for filesystems
//	api.go      VirtualDentry, resolve flags, Context, MagicLink
//	vfs.go      VFS: the mount table and the name cache
//	dentry.go   Dentry (Linux's dentry, Akaros' tree_file): lookup, the
//	            cache of positive and negative entries, revalidation, LRU
//	mount.go    Mount (Linux's struct mount): mount, bind, unmount, st_dev
//	mount_super.go the superblock mounts of a filesystem share (read-only
//	            state, mountinfo's root and type), nullfs, Reconfigurer
//	walk.go     the path walk (Linux's namei): "..", mounts, symlinks,
//	            magic links, openat2's RESOLVE_*
//	perm.go     permission checks (generic_permission, may_delete, ...)
//	open.go     open(2): O_CREAT, O_EXCL, O_TRUNC, O_PATH, O_NOFOLLOW,
//	            O_TMPFILE (TmpfileMaker; the file's position is a dentry
//	            "#ino" under the directory, never cached, born deleted)
//	file.go     File (Linux's struct file), PlaceholderFD
//	namei.go    mkdir, mknod, symlink, link, unlink, rmdir
//	rename.go   renameat2
//	attr.go     stat, access, setattr, statfs, readlink, xattrs
//	path.go     PathOf (d_path)
//	getdents.go getdents64
//
// The name cache maps {parent dentry, name} to a child dentry; a name that
// does not exist gets a negative dentry. Dentries belong to a filesystem
// and are shared by all its mounts; a VirtualDentry pairs one with the
// mount it is seen through. Every entry is asked Filesystem.Revalidate
// before it is trusted (dirfs says false when the host changed the name),
// unless the filesystem is a RevalidateWindower and the entry was checked
// less than its window ago; a stale one is dropped and looked up again. Operations that change a
// name drop or move its entry while holding the directory's lock, so the
// cache never disagrees with what the guest did. Cached dentries sit in an
// LRU bounded at 4096; eviction takes unreferenced leaves only, least
// recently used first with a second chance.
//
// # Lifetime
//
// Dentries are reference counted, as Linux's (dget/dput). References are
// held by: the cache, while the dentry is cached (one); each child dentry
// on its parent, so a cwd or an open file keeps its path and ".." stays
// live; each mount on its point and root; each File on its position;
// FSContexts on cwd and root; and every walk on the position it stands on
// (a step takes the next position's reference before it drops the
// previous one). When the count reaches zero the dentry is uncached and
// unreachable, and its vnode is Released right then, exactly once, never
// by the garbage collector: a dirfs vnode's host descriptor is closed as
// soon as nothing can use it, and never while anything can. Filesystem
// roots are never Released.
//
// The rules for callers:
//
//   - Walk and WalkParent return a position with a reference the caller
//     owns: DecRef it when done (Linux's path_put). MagicLink.Target
//     returns one too, which the walk takes over.
//   - Every other VirtualDentry argument (start, Context.Root and Cwd, the
//     vd of Stat, OpenAt, Setattr, ...) is borrowed: the caller keeps it
//     referenced for the duration of the call. A position read from a
//     place that does not pin it (another task's cwd) is taken with
//     TryIncRef, which fails once the dentry is dead.
//   - Dentry.Vnode's result is valid only while the caller holds a
//     reference on the dentry.
//
// A missing DecRef keeps a dentry (and its host descriptor) cached
// forever; a use after the last DecRef reaches a Released vnode, which
// dirfs answers with EBADF without touching any host descriptor. Neither
// can reach a host object the guest should not.
//
// Pins: File and VirtualDentry.IncRef hold a Mount reference (Unmount is
// EBUSY while any is held) and a Dentry reference; a File that is the
// object a magic link stands for (File.Reopened: a pipe reopened through
// /proc/self/fd/N) holds its Dentry only. Dropping a Mount reference
// clears the mount's MNT_EXPIRE mark, except UnmountAt's own.
//
// Lock order:
//
//	VFS.renameMu (Rename for writing; "..", PathOf, eviction, BindAt for reading)
//	  Dentry.mu (a directory's; at most one at a time, except Rename,
//	  which holds both directories under renameMu for writing, and
//	  eviction, which takes a child's after its parent's)
//	    VFS.mountMu
//	      VFS.lruMu
//
// No lock is held across a walk step into another directory; vnode
// operations that change a directory run under its Dentry.mu.
package vfs
