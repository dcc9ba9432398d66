package vfs

import "golang.org/x/sys/unix"

// HostMounter is implemented by a filesystem whose files are host files on
// a host mount it holds for itself (dirfs: a detached clone of its
// directory's mount), so that the host kernel holds what runs natively on
// them (mmap and mprotect with PROT_EXEC, exec, device opens) to the guest
// mount's noexec, nosuid and nodev. The VFS tells it the flags of its
// first mount (the one its host mount follows) and has every regular file
// opened through any mount fitted to that mount's flags; no check of the
// sentry's stands between the guest and a native mmap.
type HostMounter interface {
	// SetHostFlags gives the filesystem's host mount the MS_NOEXEC,
	// MS_NOSUID and MS_NODEV of flags. With exact false, flags are only
	// added, never taken away: files opened through other mounts of the
	// filesystem lie on that host mount and must lose nothing.
	SetHostFlags(flags uint64, exact bool) error
	// FitHost returns impl, a regular file just opened through a mount
	// with per-mount flags flags, if the host mount it is on has those
	// flags, or the same file reopened on a host mount that has them. It
	// closes impl when it fails.
	FitHost(impl FileImpl, flags uint64) (FileImpl, error)
}

// fitHost is FitHost for a regular file opened through m, when m's
// filesystem is a HostMounter; impl as it is otherwise.
func fitHost(m *Mount, typ uint32, impl FileImpl) (FileImpl, error) {
	if typ != unix.S_IFREG {
		return impl, nil
	}
	if h, ok := m.FS.(HostMounter); ok {
		return h.FitHost(impl, m.Flags())
	}
	return impl, nil
}

// setHostFlagsLocked gives fs's host mount flags, those of its first
// mount, made now.
//
// Preconditions: v.mountMu is held for writing.
func setHostFlagsLocked(fs Filesystem, flags uint64) error {
	if h, ok := fs.(HostMounter); ok {
		return h.SetHostFlags(flags, true)
	}
	return nil
}

// SetMountFlags replaces m's per-mount flags (remount). When m is the
// mount its filesystem's host mount follows, that host mount gets them
// too, exactly while m is the filesystem's only mount ever, and only
// added to once there were others; an error from the host leaves m as it
// was.
func (v *VFS) SetMountFlags(m *Mount, flags uint64) error {
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	if r := v.roots[m.FS]; r != nil && r.host == m {
		if h, ok := m.FS.(HostMounter); ok {
			if err := h.SetHostFlags(flags, !r.shared); err != nil {
				return err
			}
		}
	}
	m.SetFlags(flags)
	return nil
}
