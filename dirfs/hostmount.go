package dirfs

import (
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

// The host mount. A guest file is a host file the guest maps and executes
// natively, so what the host kernel checks there (path_noexec at mmap,
// VM_MAYEXEC at mprotect, MNT_NOSUID and MNT_NODEV at exec and open) is
// the host mount's business, not the sentry's. So each dirfs serves its
// directory through a host mount of its own: a detached clone of the
// directory's mount (open_tree OPEN_TREE_CLONE|AT_RECURSIVE, rooted at the
// directory), whose descriptor is the root vnode's and which appears in no
// mount table. The clone's flags follow the guest mount the VFS says
// (SetHostFlags, mount_setattr), and every vnode descriptor, so every file
// opened, lies on it. A file opened through a guest mount whose flags the
// clone does not have (a bind remounted noexec) is reopened on a clone of
// its own made for it (FitHost). The flags the host's own mount has
// are never taken away.

// hostMountFlags are the MS_* per-mount flags the host mount carries.
const hostMountFlags = unix.MS_NOEXEC | unix.MS_NOSUID | unix.MS_NODEV

// hostMount is an FS's host mount state.
type hostMount struct {
	// detached reports whether the root descriptor is the FS's own clone;
	// false where the host refused one (an unprivileged vkernel).
	// Immutable.
	detached bool
	// host are the hostMountFlags the directory's host mount has itself,
	// which are never cleared. Immutable.
	host uint64
	// mntID is the clone's top mount, the one SetHostFlags clears flags
	// on. Immutable.
	mntID uint64
	// mu serializes SetHostFlags.
	mu sync.Mutex
	// set are the hostMountFlags the guest set on the clone beyond host.
	set atomic.Uint64
}

// openHostMount returns an O_PATH descriptor of hostDir on a detached
// clone of its mount (read-only with ro), or of hostDir itself, not
// detached, where the host makes no clone.
func openHostMount(hostDir string, ro bool) (int, bool, error) {
	fd, err := unix.OpenTree(unix.AT_FDCWD, hostDir, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_RECURSIVE)
	if err != nil {
		fd, err = unix.Open(hostDir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		return fd, false, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR {
		unix.Close(fd)
		if err == nil {
			err = unix.ENOTDIR
		}
		return -1, false, err
	}
	if ro {
		if err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH|unix.AT_RECURSIVE, &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}); err != nil {
			unix.Close(fd)
			return -1, false, err
		}
	}
	return fd, true, nil
}

// record notes what the host mount of root descriptor fd has.
func (h *hostMount) record(fd int, detached bool) {
	h.detached = detached
	var sf unix.Statfs_t
	if unix.Fstatfs(fd, &sf) == nil {
		for _, f := range []struct{ st, ms uint64 }{
			{unix.ST_NOEXEC, unix.MS_NOEXEC}, {unix.ST_NOSUID, unix.MS_NOSUID}, {unix.ST_NODEV, unix.MS_NODEV},
		} {
			if uint64(sf.Flags)&f.st != 0 {
				h.host |= f.ms
			}
		}
	}
	h.mntID, _ = mountID(fd)
}

// mountID returns the id of the host mount descriptor fd lies on.
func mountID(fd int) (uint64, error) {
	var sx unix.Statx_t
	if err := unix.Statx(fd, "", unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW, unix.STATX_MNT_ID, &sx); err != nil {
		return 0, err
	}
	return sx.Mnt_id, nil
}

// mountAttrs turns MS_* flags into MOUNT_ATTR_* ones.
func mountAttrs(ms uint64) uint64 {
	var a uint64
	if ms&unix.MS_NOEXEC != 0 {
		a |= unix.MOUNT_ATTR_NOEXEC
	}
	if ms&unix.MS_NOSUID != 0 {
		a |= unix.MOUNT_ATTR_NOSUID
	}
	if ms&unix.MS_NODEV != 0 {
		a |= unix.MOUNT_ATTR_NODEV
	}
	return a
}

// setAttrs gives the mount tree at descriptor fd (the root of a clone)
// the flags add, on every mount of it, and takes clear away from its top
// mount only: a host mount below may have had clear of its own.
func setAttrs(fd int, add, clear uint64) error {
	if add != 0 {
		err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH|unix.AT_RECURSIVE, &unix.MountAttr{Attr_set: mountAttrs(add)})
		if err != nil {
			return err
		}
	}
	if clear != 0 {
		return unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH, &unix.MountAttr{Attr_clr: mountAttrs(clear)})
	}
	return nil
}

var _ vfs.HostMounter = (*FS)(nil)

// SetHostFlags implements vfs.HostMounter: the clone gets the noexec,
// nosuid and nodev of flags; with exact, it loses those it had from an
// earlier call that flags lacks. Without a clone, nosuid and nodev are the
// sentry's to enforce (exec, open), but noexec is the host's alone: EPERM
// unless the host's mount has it already.
func (fs *FS) SetHostFlags(flags uint64, exact bool) error {
	h := &fs.hm
	want := flags & hostMountFlags &^ h.host
	if !h.detached {
		if want&unix.MS_NOEXEC != 0 {
			return unix.EPERM
		}
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	set := h.set.Load()
	clear := uint64(0)
	if exact {
		clear = set &^ want
	}
	add := want &^ set
	if add == 0 && clear == 0 {
		return nil
	}
	fd, err := fs.root.use()
	if err != nil {
		return err
	}
	defer fs.root.done()
	if err := setAttrs(fd, add, clear); err != nil {
		return errno(err)
	}
	h.set.Store((set | add) &^ clear)
	return nil
}

// FitHost implements vfs.HostMounter. On the fast path, the clone has the
// mount's flags and impl is returned as it is. Otherwise the file is
// reopened on a clone of the host mount rooted at the file and given the
// mount's flags, which lives as long as the reopened file; impl is closed.
// When no such clone can be made, impl stays if the host mount is at
// least as strict, and is refused (EACCES) if not.
func (fs *FS) FitHost(impl vfs.FileImpl, flags uint64) (vfs.FileImpl, error) {
	h := &fs.hm
	want := flags & hostMountFlags &^ h.host
	set := h.set.Load()
	if want == set {
		return impl, nil
	}
	nimpl, err := fs.reopenWith(impl.HostFD(), want, set)
	if err == nil {
		impl.Close()
		return nimpl, nil
	}
	if want&^set == 0 {
		return impl, nil
	}
	impl.Close()
	return nil, unix.EACCES
}

// reopenWith reopens the host file of descriptor fd, on a host mount that
// had set beyond the host's own, on a clone of that mount holding just the
// file, with want instead. Flags are cleared on the FS's top mount only:
// the file may lie on a host mount below, whose own flags are unknown.
func (fs *FS) reopenWith(fd int, want, set uint64) (vfs.FileImpl, error) {
	if !fs.hm.detached {
		return nil, unix.EPERM
	}
	clear := set &^ want
	if clear != 0 {
		if id, err := mountID(fd); err != nil || id != fs.hm.mntID {
			clear = 0
		}
	}
	oflags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return nil, err
	}
	tree, err := unix.OpenTree(fd, "", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_EMPTY_PATH)
	if err != nil {
		return nil, err
	}
	defer unix.Close(tree)
	if err := setAttrs(tree, want&^set, clear); err != nil {
		return nil, err
	}
	// The open file's status flags, not how it was made (O_CREAT,
	// O_NOFOLLOW, O_TMPFILE, ...), which the reopen must not repeat.
	oflags &= unix.O_ACCMODE | unix.O_APPEND | unix.O_NONBLOCK | unix.O_DIRECT | unix.O_NOATIME |
		unix.O_SYNC | unix.O_DSYNC | unix.O_LARGEFILE
	nfd, err := reopen(tree, oflags)
	if err != nil {
		return nil, err
	}
	return &file{fd: nfd}, nil
}
