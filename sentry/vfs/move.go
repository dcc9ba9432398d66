package vfs

import (
	"golang.org/x/sys/unix"
)

// MoveMount moves the mount whose top is src, with everything mounted
// below it, over at (mount(2)'s MS_MOVE), on the topmost mount stacked
// there (lock_mount). EINVAL unless src is the top of an attached mount
// with a parent; ELOOP if at lies inside that mount.
func (v *VFS) MoveMount(src, at VirtualDentry) error {
	if !src.Ok() || !at.Ok() || at.Dentry.Negative() {
		return unix.ENOENT
	}
	m := src.Mount
	if src.Dentry != m.Root {
		return unix.EINVAL
	}
	if m.Root.IsDir() != at.Dentry.IsDir() {
		return unix.ENOTDIR
	}
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	if m.detached || m.Parent == nil || at.Mount.detached {
		return unix.EINVAL
	}
	at = v.topLocked(at)
	for p := at.Mount; p != nil; p = p.Parent {
		if p == m {
			return unix.ELOOP
		}
	}
	old := mountKey{m.Parent, m.Point}
	stack := v.mountsAt[old]
	for i, x := range stack {
		if x == m {
			stack = append(stack[:i:i], stack[i+1:]...)
			break
		}
	}
	if len(stack) == 0 {
		delete(v.mountsAt, old)
	} else {
		v.mountsAt[old] = stack
	}
	m.Point.mounts.Add(-1)
	m.Point.DecRef()
	at.Dentry.IncRef()
	at.Dentry.mounts.Add(1)
	m.Parent, m.Point = at.Mount, at.Dentry
	k := mountKey{at.Mount, at.Dentry}
	v.mountsAt[k] = append(v.mountsAt[k], m)
	return nil
}
