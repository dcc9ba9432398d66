// Package dirfs is the host-directory filesystem: every vnode is a host
// file, and every vnode operation is one host syscall relative to a host
// descriptor, as DragonFly BSD's dirfs does for vkernel(7) and gVisor's
// directfs does for runsc.
//
// Each vnode holds one host O_PATH|O_NOFOLLOW|O_CLOEXEC descriptor, opened
// with openat2 relative to its parent's descriptor with
// RESOLVE_BENEATH|RESOLVE_NO_MAGICLINKS|RESOLVE_NO_SYMLINKS, plus the host
// (dev, ino, type) it named when opened, for revalidation.
//
// # Confinement
//
// Nothing may resolve outside the exported directory. Names reaching the
// host are single components checked by validName; ".." and "/" never reach
// the host; no host path is ever built by joining strings; host symlinks are
// never followed (the VFS follows symlinks itself through Readlink). The only
// host paths used are "/proc/self/fd/N" magic links to descriptors this
// package holds: they name exactly the inode of the descriptor, whatever the
// host does to the directory tree meanwhile. Those opened (open, readdir,
// truncate, a create's O_PATH reopen) are looked up with openat from a
// descriptor of /proc/self/fd held for the process's life (reopen): the
// same links, without the host's walk of /proc/self/fd.
//
// # Operations
//
//	vnode op     host syscall
//	----------   ------------------------------------------------------------
//	Root         open(hostDir, O_PATH|O_DIRECTORY|O_NOFOLLOW)   (once, in New)
//	Lookup       openat2(parent, name, O_PATH|O_NOFOLLOW, RESOLVE_BENEATH|
//	             RESOLVE_NO_MAGICLINKS|RESOLVE_NO_SYMLINKS) + fstat (the
//	             one fstat gives the identity and the type, vfs.Typer)
//	Getattr      statx(fd, "", AT_EMPTY_PATH|AT_SYMLINK_NOFOLLOW, BASIC|BTIME)
//	Setattr      mode:  fchmodat("/proc/self/fd/N")   (symlinks: EOPNOTSUPP)
//	             owner: fchownat(fd, "", AT_EMPTY_PATH|AT_SYMLINK_NOFOLLOW)
//	             size:  open("/proc/self/fd/N", O_WRONLY) + ftruncate
//	             times: utimensat(fd, "", AT_EMPTY_PATH|AT_SYMLINK_NOFOLLOW)
//	Readdir      open("/proc/self/fd/N", O_RDONLY|O_DIRECTORY) + getdents64
//	Open         open("/proc/self/fd/N", flags) (a new open file description;
//	             a symlink is never opened: ELOOP, unless O_PATH)
//	Create       openat2(parent, name, O_CREAT|O_EXCL|O_NOFOLLOW|flags, mode)
//	Tmpfile      openat2(dir, ".", O_TMPFILE|flags, mode) (an unnamed
//	             file; O_EXCL makes the host refuse to ever link it)
//	Mkdir        mkdirat(parent, name, mode)
//	Mknod        mknodat(parent, name, mode, dev)   (devices: EPERM)
//	Symlink      symlinkat(target, parent, name)
//	Link         linkat(fd, "", parent, name, AT_EMPTY_PATH), or without
//	             CAP_DAC_READ_SEARCH linkat("/proc/self/fd/N", parent, name,
//	             AT_SYMLINK_FOLLOW) (either names a Tmpfile too)
//	Unlink       unlinkat(parent, name, 0)
//	Rmdir        unlinkat(parent, name, AT_REMOVEDIR)
//	Rename       renameat2(parent, old, newParent, new, flags)
//	Readlink     readlinkat(fd, "")
//	*xattr       getxattr/setxattr/listxattr/removexattr("/proc/self/fd/N")
//	             (the f*xattr calls refuse O_PATH descriptors; the magic link
//	             is followed to the descriptor's own inode, never further)
//	Statfs       fstatfs(fd)
//	Revalidate   fstatat(parent, name, AT_SYMLINK_NOFOLLOW), compared with the
//	             cached vnode's (dev, ino, type); a negative entry is valid
//	             iff the host answers ENOENT; none within the window (below)
//	Release      close(fd), or by the last operation still using it
//
// # Revalidation
//
// The name cache trusts an entry for Options.RevalidateWindow (default
// DefaultRevalidateWindow, 1 ms) after dirfs last confirmed it against the
// host (vfs.RevalidateWindower); past that, the next use asks Revalidate
// again. The trade-off: everything the guest does through the VFS
// (create, unlink, rename, mkdir, ...) invalidates the entries it
// changes at once, so the guest alone changing the tree always sees it
// exactly; a change made on the host behind the guest's back (or by
// another dirfs instance of an overlapping directory) is seen after at
// most the window. In exchange a path walk costs no host call per cached
// component while the component was checked within the window: `ls -lR`
// stats every name by its full path, and without the window each stat
// paid one fstatat per component. A negative window checks every use.
// Attributes are never cached: Getattr always asks the host.
//
// # Lifetime
//
// A node's descriptor is used only between node.use and node.done, and
// closed only once the node is Released (the VFS does so exactly when
// its dentry is uncached and unreferenced) and no operation is in flight.
// An operation that starts after Release fails with EBADF without
// touching any descriptor, so a closed descriptor number the host has
// since reused for another open can never be used relative to.
//
// # Devices
//
// A dirfs export is nodev: Mknod refuses character and block devices with
// EPERM, and Open refuses with EACCES a device node the host directory
// holds, unless it is one of the harmless host character devices (null,
// zero, full, random, urandom, tty). Otherwise a guest root could make or
// find a node for the host's disk or /dev/mem and open it. O_PATH opens,
// which give no access to the device, are allowed.
//
// Objects made on behalf of a guest credential are made as it when the
// vkernel runs as host root: by the creator thread, with the credential's
// fsuid, fsgid and groups and umask 0 (creator.go); where the host refuses
// that user, as vkernel's user, then chowned (fchownat AT_EMPTY_PATH|
// AT_SYMLINK_NOFOLLOW) and their permission bits set again.
//
// With Options.ReadOnly, everything that writes answers EROFS and Statfs
// reports ST_RDONLY.
//
// Lock order: none. A vnode's fields are immutable between creation and
// Release, but for its atomic use count; the host serializes the rest.
package dirfs
