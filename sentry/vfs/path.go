package vfs

import (
	"strings"
)

// PathOf returns the absolute path of vd as seen from root (getcwd,
// /proc/self/fd/N, /proc/self/mountinfo), with " (deleted)" appended when
// vd's name was removed, as Linux's d_path. It returns false, with the
// path from the topmost point it could reach, when vd is not below root
// (getcwd then prefixes "(unreachable)").
func (v *VFS) PathOf(root, vd VirtualDentry) (string, bool) {
	if !vd.Ok() {
		return "", false
	}
	v.renameMu.RLock()
	defer v.renameMu.RUnlock()
	v.mountMu.RLock()
	defer v.mountMu.RUnlock()
	var names []string
	reachable := true
	for cur := vd; cur != root; {
		if cur.Dentry == cur.Mount.Root {
			if cur.Mount.Parent == nil || cur.Mount.detached {
				reachable = false
				break
			}
			cur = VirtualDentry{cur.Mount.Parent, cur.Mount.Point}
			continue
		}
		p := cur.Dentry.parent
		if p == nil {
			reachable = false
			break
		}
		names = append(names, cur.Dentry.name)
		cur.Dentry = p
	}
	var b strings.Builder
	for i := len(names) - 1; i >= 0; i-- {
		b.WriteByte('/')
		b.WriteString(names[i])
	}
	if len(names) == 0 {
		b.WriteByte('/')
	}
	if vd.Dentry.Deleted() {
		b.WriteString(" (deleted)")
	}
	return b.String(), reachable
}
