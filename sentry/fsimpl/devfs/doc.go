// Package devfs is vkernel's /dev: a tmpfs populated, as devtmpfs is at
// boot, with the few host devices a guest may use, the /proc/self/fd
// symlinks, and the shm and pts directories.
//
//	name      kind                        opens
//	null      char 1:3  (host's mode)     host /dev/null
//	zero      char 1:5                    host /dev/zero
//	full      char 1:7                    host /dev/full
//	random    char 1:8                    host /dev/random
//	urandom   char 1:9                    host /dev/urandom
//	tty       char 5:0                    host /dev/tty (the controlling tty)
//	stdin     symlink -> /proc/self/fd/0
//	stdout    symlink -> /proc/self/fd/1
//	stderr    symlink -> /proc/self/fd/2
//	fd        symlink -> /proc/self/fd
//	shm       directory 01777 (the caller usually mounts a tmpfs on it)
//	pts       directory 0755
//
// A device node's mode, owner, rdev and times are the host node's at New;
// changing them changes devfs's copy only, never the host's. Opening one
// opens the host device node itself with the guest's flags (tmpfs's
// hostDevices, checked by rdev), so reads and writes run natively. The
// guest can mknod, link, rename and remove as in any tmpfs; a device node
// outside that list opens as a device with no driver (ENXIO). ptmx is not
// provided.
//
// Statfs reports TMPFS_MAGIC, as devtmpfs does.
package devfs
