// Package tmpfs is vkernel's in-memory filesystem, analogous to Linux's
// mm/shmem.c and gVisor's fsimpl/tmpfs.
//
// The tree (directories, names, symlink texts, attributes, xattrs) lives in
// the sentry. File data lives in the host so the guest uses it natively:
//
//   - A regular file is a host memfd (memfd_create MFD_CLOEXEC|
//     MFD_ALLOW_SEALING). Open reopens it through "/proc/self/fd/N" with the
//     guest's flags: a new open file description, with its own offset,
//     O_APPEND and access mode, on the same pages; read, write and mmap never
//     trap. Size and blocks come from fstat of the memfd; atime and mtime are
//     the memfd's own (Setattr sets them there with utimensat); ctime is the
//     later of the node's and the memfd's.
//   - A fifo is a host named fifo: Mknod makes it in a private host temp
//     directory, keeps an O_PATH descriptor to it, and removes the name and
//     the directory at once. Opening the node reopens that descriptor
//     through "/proc/self/fd/N", so every open of the node shares one pipe,
//     with the host's blocking and O_NONBLOCK semantics. Nothing is left on
//     the host.
//   - A socket bound in a tmpfs directory (SocketBinder) is bound on the
//     host in a private temp directory, as a fifo is made; the node keeps
//     an O_PATH descriptor of the host socket file, through which connect
//     reaches it, and the name is removed at once.
//   - A character device opens the host's own device node for the few
//     harmless devices of hostDevices (null, zero, full, random, urandom,
//     tty), checked by rdev after opening; any other device, and sockets,
//     answer ENXIO, as a device with no driver does.
//   - Directories, and O_PATH opens of anything but a regular file, get a
//     vfs.PlaceholderFD: the sentry serves getdents and friends for them
//     through the vnode. An O_PATH open of a regular file reopens its memfd
//     with O_PATH, so fstat and fexecve work on it.
//
// Extended attributes in the user.* and trusted.* namespaces are kept in
// memory with Linux's limits (XATTR_NAME_MAX 255, XATTR_SIZE_MAX 65536);
// other namespaces answer EOPNOTSUPP. Checking CAP_SYS_ADMIN for trusted.*
// is the VFS's.
//
// SizeLimit is enforced on what the sentry controls (truncate) and shown
// by statfs; data written natively into a memfd is counted, not refused.
// Inodes (nr_inodes) is enforced: the root counts, as Linux's, and a
// creation beyond the limit is ENOSPC. Options are read by ParseOptions,
// as Linux's shmem_parse_one, and a remount changes the limits
// (Reconfigure, as shmem_reconfigure: EINVAL below what is in use).
//
// # References
//
// Each Vnode returned by Lookup, Create or Tmpfile is a reference;
// Release drops one. A node's memfd or fifo is closed when it has neither
// links nor references. The root is never released. Tmpfile (O_TMPFILE)
// makes a regular file with no link, which Link may name once unless it
// was made with O_EXCL (Linux's I_LINKABLE).
//
// # Lock order
//
// FS.mu protects every inode field not marked immutable. No other lock.
package tmpfs
