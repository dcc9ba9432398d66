package sentry

import (
	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

// mount(2) and umount2(2): one mount namespace per vkernel, shared by every
// guest process. The new mount API (fsopen, fsmount, ...) is refused by the
// filter with ENOSYS, so tools fall back to these.

func init() {
	register(unix.SYS_MOUNT, sysMount, 0, 1, 2)
	register(unix.SYS_UMOUNT2, sysUmount2, 0)
}

// NewFilesystem makes a filesystem of one type for mount(2) from its source
// and its data (the -o options the type itself reads).
type NewFilesystem func(source, data string) (vfs.Filesystem, error)

// capSysAdmin is CAP_SYS_ADMIN.
const capSysAdmin = 21

// perMountFlags are the MS_* flags a mount keeps for itself.
const perMountFlags = unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC |
	unix.MS_NOATIME | unix.MS_NODIRATIME | unix.MS_RELATIME | unix.MS_STRICTATIME

// propagationFlags change mount propagation, which one namespace makes moot.
const propagationFlags = unix.MS_SHARED | unix.MS_PRIVATE | unix.MS_SLAVE | unix.MS_UNBINDABLE

// mountFlags returns the per-mount flags of a new mount: relatime unless
// another atime rule is asked for, as Linux does.
func mountFlags(flags uint64) uint64 {
	f := flags & perMountFlags
	if f&(unix.MS_NOATIME|unix.MS_STRICTATIME|unix.MS_RELATIME) == 0 {
		f |= unix.MS_RELATIME
	}
	return f &^ unix.MS_STRICTATIME
}

// optString reads an optional string argument (NULL is "").
func (c *Call) optString(i int, max int) (string, error) {
	if c.Args[i] == 0 {
		return "", nil
	}
	s, err := c.Mem.ReadString(c.Args[i], max)
	if err == unix.ENAMETOOLONG {
		return "", unix.EINVAL
	}
	return s, err
}

func sysMount(c *Call) Result {
	if !c.Task.Creds.VFS().HasCap(capSysAdmin) {
		return Errno(unix.EPERM)
	}
	flags := c.Args[3]
	source, err := c.optString(0, unix.PathMax-1)
	if err != nil {
		return Errno(err)
	}
	fstype, err := c.optString(2, 255)
	if err != nil {
		return Errno(err)
	}
	data, err := c.optString(4, 4095)
	if err != nil {
		return Errno(err)
	}
	target, err := c.walk(unix.AT_FDCWD, 1, vfs.FollowFinal)
	if err != nil {
		return Errno(err)
	}
	k := c.Task.Kernel()
	switch {
	case flags&unix.MS_REMOUNT != 0:
		return Errno(c.remount(target, flags))
	case flags&unix.MS_MOVE != 0:
		return Errno(c.move(source, target))
	case flags&propagationFlags != 0:
		if target.Dentry != target.Mount.Root {
			return Errno(unix.EINVAL)
		}
		return Value(0)
	case flags&unix.MS_BIND != 0 || fstype == "nullfs":
		return Errno(c.bind(source, target, flags))
	}
	newFS, ok := k.fsTypes[fstype]
	if !ok {
		return Errno(unix.ENODEV)
	}
	if err := mustBeDir(k.VFS, target); err != nil {
		return Errno(err)
	}
	fs, err := newFS(source, data)
	if err != nil {
		return Errno(err)
	}
	_, err = k.VFS.MountAt(target, fs, mountFlags(flags))
	return Errno(err)
}

// mustBeDir is ENOTDIR unless vd is a directory.
func mustBeDir(v *vfs.VFS, vd vfs.VirtualDentry) error {
	a, _, err := v.Stat(vd)
	if err != nil {
		return err
	}
	if !a.IsDir() {
		return unix.ENOTDIR
	}
	return nil
}

// bind makes a virtual copy of the guest subtree source at target, as
// BSD's mount_nullfs and Linux's mount --bind (MS_REC: with submounts).
func (c *Call) bind(source string, target vfs.VirtualDentry, flags uint64) error {
	if source == "" {
		return unix.ENOENT
	}
	k := c.Task.Kernel()
	ctx := c.ctx()
	src, err := k.VFS.Walk(ctx, ctx.Cwd, source, vfs.FollowFinal)
	if err != nil {
		return err
	}
	c.refs.hold(src)
	sa, _, err := k.VFS.Stat(src)
	if err != nil {
		return err
	}
	ta, _, err := k.VFS.Stat(target)
	if err != nil {
		return err
	}
	if sa.IsDir() != ta.IsDir() {
		return unix.ENOTDIR
	}
	_, err = k.VFS.BindAt(target, src, mountFlags(flags), flags&unix.MS_REC != 0)
	return err
}

// remount changes the flags of the mount whose root is target.
func (c *Call) remount(target vfs.VirtualDentry, flags uint64) error {
	if target.Dentry != target.Mount.Root {
		return unix.EINVAL
	}
	m := target.Mount
	nf := mountFlags(flags)
	if flags&unix.MS_BIND == 0 {
		// A filesystem remount keeps the per-mount flags it does not name.
		nf |= m.Flags() &^ (unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC)
	}
	if nf&unix.MS_RDONLY != 0 && m.Flags()&unix.MS_RDONLY == 0 && c.Task.Kernel().writersOn(m) {
		return unix.EBUSY
	}
	m.SetFlags(nf)
	return nil
}

// writersOn reports whether any guest descriptor has a file on m open for
// writing (a remount read-only is EBUSY then).
func (k *Kernel) writersOn(m *vfs.Mount) bool {
	k.mu.Lock()
	tables := map[*FDTable]bool{}
	for _, t := range k.tasks {
		tables[t.FDs] = true
	}
	k.mu.Unlock()
	for t := range tables {
		for _, fd := range t.FDs() {
			f, ok := t.Get(fd)
			if !ok {
				continue
			}
			w := f.VD.Mount == m && f.Flags&unix.O_ACCMODE != unix.O_RDONLY && f.Flags&unix.O_PATH == 0
			f.DecRef()
			if w {
				return true
			}
		}
	}
	return false
}

func sysUmount2(c *Call) Result {
	flags := c.Args[1]
	if flags&^uint64(unix.MNT_FORCE|unix.MNT_DETACH|unix.MNT_EXPIRE|unix.UMOUNT_NOFOLLOW) != 0 {
		return Errno(unix.EINVAL)
	}
	if !c.Task.Creds.VFS().HasCap(capSysAdmin) {
		return Errno(unix.EPERM)
	}
	wf := vfs.FollowFinal
	if flags&unix.UMOUNT_NOFOLLOW != 0 {
		wf = 0
	}
	vd, err := c.walk(unix.AT_FDCWD, 0, wf)
	if err != nil {
		return Errno(err)
	}
	return Errno(c.Task.Kernel().VFS.UnmountAt(vd, flags&unix.MNT_DETACH != 0))
}

// move moves the mount at source over target (MS_MOVE).
func (c *Call) move(source string, target vfs.VirtualDentry) error {
	if source == "" {
		return unix.ENOENT
	}
	k := c.Task.Kernel()
	ctx := c.ctx()
	src, err := k.VFS.Walk(ctx, ctx.Cwd, source, vfs.FollowFinal)
	if err != nil {
		return err
	}
	c.refs.hold(src)
	return k.VFS.MoveMount(src, target)
}
