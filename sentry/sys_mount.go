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

// atimeFlags are the per-mount atime rules (Linux's MNT_ATIME_MASK).
const atimeFlags = unix.MS_NOATIME | unix.MS_NODIRATIME | unix.MS_RELATIME

// mountFlags returns the per-mount flags of a new mount: relatime unless
// noatime is asked for, neither with strictatime, as Linux's path_mount.
func mountFlags(flags uint64) uint64 {
	f := flags & (perMountFlags &^ unix.MS_STRICTATIME)
	if flags&unix.MS_NOATIME == 0 {
		f |= unix.MS_RELATIME
	}
	if flags&unix.MS_STRICTATIME != 0 {
		f &^= unix.MS_RELATIME | unix.MS_NOATIME
	}
	return f
}

// remountFlags returns the per-mount flags a remount leaves on a mount
// that had old: those asked for, and the old atime rules unless new ones
// are named, as Linux's path_mount.
func remountFlags(old, flags uint64) uint64 {
	f := mountFlags(flags)
	if flags&(atimeFlags|unix.MS_STRICTATIME) == 0 {
		f = f&^atimeFlags | old&atimeFlags
	}
	return f
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
	// The magic number of old mount(2) callers is dropped, as Linux's.
	const mgcMask, mgcVal = 0xffff0000, 0xc0ed0000 // MS_MGC_MSK, MS_MGC_VAL
	if flags&mgcMask == mgcVal {
		flags &^= mgcMask
	}
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
		return Errno(c.remount(target, flags, data))
	case flags&unix.MS_MOVE != 0:
		return Errno(c.move(source, target))
	case flags&propagationFlags != 0:
		if target.Dentry != target.Mount.Root {
			return Errno(unix.EINVAL)
		}
		return Value(0)
	case flags&unix.MS_BIND != 0 || fstype == "nullfs":
		return Errno(c.bind(source, target, flags, flags&unix.MS_BIND == 0))
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
	_, err = k.VFS.MountSourceAt(target, fs, mountFlags(flags), shownSource(fstype, source, fs))
	return Errno(err)
}

// shownSource returns the source a new mount shows in /proc/mounts: what
// mount(2) was given ("none" for none), as Linux's mnt_devname; a dirfs
// shows the host directory it exports (dirfs@/srv/x) instead.
func shownSource(fstype, source string, fs vfs.Filesystem) string {
	switch {
	case fstype == "dirfs":
		return fs.Source()
	case source == "":
		return "none"
	}
	return source
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

// bind makes a virtual copy of the guest subtree source at target (MS_REC:
// with submounts). A bind mount (MS_BIND, Linux's do_loopback) shares the
// source mount's filesystem, flags and source name, the flags asked for
// being ignored (mount(8) applies them with a remount); a nullfs
// (BSD's mount_nullfs) is a filesystem of its own, with the flags asked
// for, whose source is the path of the directory it shows.
func (c *Call) bind(source string, target vfs.VirtualDentry, flags uint64, nullfs bool) error {
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
	rec := flags&unix.MS_REC != 0
	if nullfs {
		path, _ := k.VFS.PathOf(ctx.Root, src)
		_, err = k.VFS.NullfsAt(target, src, mountFlags(flags), rec, path)
		return err
	}
	_, err = k.VFS.BindAt(target, src, src.Mount.Flags(), rec)
	return err
}

// remount changes the mount whose top is target (MS_REMOUNT). With
// MS_BIND only its per-mount flags change (Linux's do_reconfigure_mnt);
// without, its filesystem too, for every mount of it (binds included):
// read-only or writable as a whole, and its own options from data
// (tmpfs's size and nr_inodes), as Linux's do_remount and
// reconfigure_super. Read-only is EBUSY while a guest descriptor writes
// on the mount (MS_BIND) or on any mount of the filesystem.
func (c *Call) remount(target vfs.VirtualDentry, flags uint64, data string) error {
	if target.Dentry != target.Mount.Root {
		return unix.EINVAL
	}
	m := target.Mount
	k := c.Task.Kernel()
	nf := remountFlags(m.Flags(), flags)
	ro := flags&unix.MS_RDONLY != 0
	if flags&unix.MS_BIND != 0 {
		if ro && m.Flags()&unix.MS_RDONLY == 0 && k.writersOn(func(w *vfs.Mount) bool { return w == m }) {
			return unix.EBUSY
		}
		return k.VFS.SetMountFlags(m, nf)
	}
	if ro && !m.SuperReadOnly() && k.writersOn(func(w *vfs.Mount) bool { return w.StoresIn(m) }) {
		return unix.EBUSY
	}
	if err := m.Reconfigure(data); err != nil {
		return err
	}
	if err := k.VFS.SetMountFlags(m, nf); err != nil {
		return err
	}
	m.SetSuperReadOnly(ro)
	return nil
}

// writersOn reports whether any guest descriptor has a regular file open
// for writing on a mount that on accepts (a remount read-only is EBUSY
// then). As Linux's mnt_want_write, devices, fifos and sockets do not
// count, nor a pipe reopened through /proc/self/fd/N.
func (k *Kernel) writersOn(on func(*vfs.Mount) bool) bool {
	k.mu.Lock()
	tables := map[*FDTable]bool{}
	for _, t := range k.tasks {
		tables[t.FDs()] = true
	}
	k.mu.Unlock()
	for t := range tables {
		for _, fd := range t.FDs() {
			f, ok := t.Get(fd)
			if !ok {
				continue
			}
			w := !f.Reopened() && f.VD.Ok() && f.VD.Dentry.IsRegular() && on(f.VD.Mount) &&
				f.Flags&unix.O_ACCMODE != unix.O_RDONLY && f.Flags&unix.O_PATH == 0
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
	// Not c.walk: UnmountAt takes the walk's reference over, and drops
	// it without clearing the mount's MNT_EXPIRE mark.
	p, err := c.path(0)
	if err != nil {
		return Errno(err)
	}
	start, err := c.start(unix.AT_FDCWD, p)
	if err != nil {
		return Errno(err)
	}
	k := c.Task.Kernel()
	vd, err := k.VFS.Walk(c.ctx(), start, p, wf)
	if err != nil {
		return Errno(err)
	}
	return Errno(k.VFS.UnmountAt(c.ctx(), vd, int(flags&^unix.UMOUNT_NOFOLLOW)))
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
