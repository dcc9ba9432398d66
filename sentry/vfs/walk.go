package vfs

import (
	"strings"

	"golang.org/x/sys/unix"
)

// walker is one path walk: Linux's struct nameidata. A walk is confined
// to one goroutine.
type walker struct {
	v     *VFS
	ctx   *Context
	cred  *Cred
	flags int
	// root is where absolute paths and ".." stop: ctx.Root, or the start
	// directory for Beneath and InRoot.
	root VirtualDentry
	// links counts the symlinks followed so far (MaxSymlinks).
	links int
	// noTarget is set when the last step ended on a magic link whose
	// object has no path (MagicLink.Target said ErrNoTarget).
	noTarget bool
}

// newWalker checks path's length and sets up a walk; it returns where a
// relative path starts.
func (v *VFS) newWalker(ctx *Context, start VirtualDentry, path string, flags int) (*walker, VirtualDentry, error) {
	if len(path) >= PathMax {
		return nil, VirtualDentry{}, unix.ENAMETOOLONG
	}
	if ctx == nil {
		ctx = &Context{}
	}
	if !start.Ok() {
		start = ctx.Cwd
	}
	root := ctx.Root
	if !root.Ok() {
		root = v.firstRoot()
	}
	if !start.Ok() {
		start = root
	}
	if !start.Ok() {
		return nil, VirtualDentry{}, unix.ENOENT
	}
	if flags&(Beneath|InRoot) != 0 {
		root = start
	}
	return &walker{v: v, ctx: ctx, cred: ctx.cred(), flags: flags, root: root}, start, nil
}

// firstRoot returns the top of the first root mount, for a Context
// without a Root.
func (v *VFS) firstRoot() VirtualDentry {
	v.mountMu.RLock()
	defer v.mountMu.RUnlock()
	for _, m := range v.mounts {
		if m.Parent == nil {
			return v.Root(m)
		}
	}
	return VirtualDentry{}
}

// Walk resolves path from start (relative paths) or ctx.Root (absolute
// ones), as Linux's path lookup. flags are the resolve flags of api.go.
// start may be the zero VirtualDentry for ctx.Cwd.
//
// The result holds a reference the caller owns and drops with DecRef
// (Linux's path_put); start and ctx's Root and Cwd are borrowed: the
// caller keeps them referenced until Walk returns.
func (v *VFS) Walk(ctx *Context, start VirtualDentry, path string, flags int) (VirtualDentry, error) {
	w, start, err := v.newWalker(ctx, start, path, flags)
	if err != nil {
		return VirtualDentry{}, err
	}
	return w.walk(start, path)
}

// walk is Walk's body, for callers that need the walker afterwards. The
// result is owned by the caller; start is borrowed.
func (w *walker) walk(start VirtualDentry, path string) (VirtualDentry, error) {
	var vd VirtualDentry
	if path == "" {
		if w.flags&EmptyPath == 0 {
			return VirtualDentry{}, unix.ENOENT
		}
		vd = start
		vd.IncRef()
	} else {
		var err error
		if vd, err = w.resolve(start, path, w.flags&FollowFinal != 0); err != nil {
			return VirtualDentry{}, err
		}
	}
	if w.flags&MustBeDir != 0 && !vd.Dentry.IsDir() {
		vd.decRefWalk()
		return VirtualDentry{}, unix.ENOTDIR
	}
	return vd, nil
}

// WalkParent resolves all of path but its last component and returns the
// directory that holds it, the last component, and whether slashes
// followed it. The last component may be "." or ".."; it is "/" when
// path names the root itself ("/", "//"). The parent has been checked to
// be a searchable directory. As with Walk, the caller owns a reference on
// the parent and drops it with DecRef.
func (v *VFS) WalkParent(ctx *Context, start VirtualDentry, path string, flags int) (parent VirtualDentry, name string, trailingSlash bool, err error) {
	w, start, err := v.newWalker(ctx, start, path, flags)
	if err != nil {
		return VirtualDentry{}, "", false, err
	}
	if path == "" {
		return VirtualDentry{}, "", false, unix.ENOENT
	}
	parent, name, trailingSlash, err = w.parent(start, path)
	if err != nil {
		return VirtualDentry{}, "", false, err
	}
	if name == "" {
		name = "/"
	}
	return parent, name, trailingSlash, nil
}

// Ownership in the walk: every walker method borrows the positions it is
// given (the caller holds them) and returns positions with a reference
// the caller owns. Each step takes its reference on the next position
// before the previous one is dropped, so nothing a walk stands on is ever
// Released under it.

// resolve walks path from start to its end; follow says whether a final
// symlink is followed (a trailing slash always follows).
func (w *walker) resolve(start VirtualDentry, path string, follow bool) (VirtualDentry, error) {
	dir, name, trailing, err := w.parent(start, path)
	if err != nil {
		return VirtualDentry{}, err
	}
	if name == "" {
		return dir, nil
	}
	vd, err := w.step(dir, name, follow || trailing)
	dir.decRefWalk()
	if err != nil {
		return VirtualDentry{}, err
	}
	if trailing && !vd.Dentry.IsDir() {
		vd.decRefWalk()
		return VirtualDentry{}, unix.ENOTDIR
	}
	return vd, nil
}

// parent walks path from start (or the root, for an absolute path) to the
// directory holding its last component, following every symlink on the
// way. It returns that directory, checked searchable, the last component
// ("" if path is only slashes) and whether slashes follow it.
func (w *walker) parent(start VirtualDentry, path string) (VirtualDentry, string, bool, error) {
	cur := start
	if strings.HasPrefix(path, "/") {
		if err := w.checkRoot(cur); err != nil {
			return VirtualDentry{}, "", false, err
		}
		cur = w.root
	}
	cur.IncRef()
	for {
		path = strings.TrimLeft(path, "/")
		if path == "" {
			return cur, "", false, nil
		}
		comp, rest, _ := strings.Cut(path, "/")
		if err := w.checkDir(cur); err != nil {
			cur.decRefWalk()
			return VirtualDentry{}, "", false, err
		}
		if len(comp) > NameMax {
			cur.decRefWalk()
			return VirtualDentry{}, "", false, unix.ENAMETOOLONG
		}
		rest = strings.TrimLeft(rest, "/")
		if rest == "" {
			return cur, comp, len(path) > len(comp), nil
		}
		next, err := w.step(cur, comp, true)
		cur.decRefWalk()
		if err != nil {
			return VirtualDentry{}, "", false, err
		}
		cur = next
		path = rest
	}
}

// checkDir checks that a walk may look names up in vd: a directory
// (ENOTDIR) the caller may search (EACCES).
func (w *walker) checkDir(vd VirtualDentry) error {
	if !vd.Dentry.IsDir() {
		return unix.ENOTDIR
	}
	return mayLookup(w.cred, vd.Dentry)
}

// step moves from the directory dir to its entry name, crossing into
// mounts and, with follow, through a symlink.
//
// Preconditions: w.checkDir(dir) passed; name is not empty and has no '/'.
func (w *walker) step(dir VirtualDentry, name string, follow bool) (VirtualDentry, error) {
	w.noTarget = false
	switch name {
	case ".":
		dir.IncRef()
		return dir, nil
	case "..":
		return w.dotdot(dir)
	}
	c, err := w.v.lookupChild(dir.Dentry, name)
	if err != nil {
		return VirtualDentry{}, err
	}
	if c.Negative() {
		c.DecRef()
		return VirtualDentry{}, unix.ENOENT
	}
	dir.Mount.IncRef()
	vd, err := w.crossDown(VirtualDentry{dir.Mount, c})
	if err != nil {
		return VirtualDentry{}, err
	}
	if follow && vd.Dentry.IsSymlink() {
		t, err := w.follow(dir, vd)
		vd.decRefWalk()
		return t, err
	}
	return vd, nil
}

// follow resolves the symlink link found in dir: a magic link jumps to its
// target, another has its text walked from dir (or the root).
func (w *walker) follow(dir, link VirtualDentry) (VirtualDentry, error) {
	text, target, err := w.pickLink(link)
	if err != nil || text == "" {
		return target, err
	}
	return w.resolve(dir, text, true)
}

// pickLink counts one more symlink followed and returns its text, or for
// a magic link "" and where it leads (the link itself for ErrNoTarget,
// with w.noTarget set), a position the caller owns.
func (w *walker) pickLink(link VirtualDentry) (string, VirtualDentry, error) {
	w.links++
	if w.links > MaxSymlinks || w.flags&NoSymlinks != 0 {
		return "", VirtualDentry{}, unix.ELOOP
	}
	if ml, ok := link.Dentry.vnode.(MagicLink); ok {
		if w.flags&NoMagicLinks != 0 {
			return "", VirtualDentry{}, unix.ELOOP
		}
		if w.flags&(Beneath|InRoot) != 0 {
			return "", VirtualDentry{}, unix.EXDEV
		}
		t, err := ml.Target(w.ctx)
		if err == ErrNoTarget {
			w.noTarget = true
			link.IncRef()
			return "", link, nil
		}
		if err != nil {
			return "", VirtualDentry{}, err
		}
		if !t.Ok() {
			return "", VirtualDentry{}, unix.ENOENT
		}
		if w.flags&NoXdev != 0 && t.Mount != link.Mount {
			t.decRefWalk()
			return "", VirtualDentry{}, unix.EXDEV
		}
		return "", t, nil
	}
	text, err := readlinkFor(w.ctx, link.Dentry.vnode)
	if err != nil {
		return "", VirtualDentry{}, err
	}
	if text == "" {
		return "", VirtualDentry{}, unix.ENOENT
	}
	return text, VirtualDentry{}, nil
}

// readlinkFor returns a symlink's text, asking ContextReadlinker first.
func readlinkFor(ctx *Context, vn Vnode) (string, error) {
	if r, ok := vn.(ContextReadlinker); ok {
		return r.ReadlinkFor(ctx)
	}
	return vn.Readlink()
}

// checkRoot checks that an absolute path (or symlink) met at cur may jump
// to the walk's root.
func (w *walker) checkRoot(cur VirtualDentry) error {
	if w.flags&Beneath != 0 {
		return unix.EXDEV
	}
	if w.flags&NoXdev != 0 && cur.Mount != w.root.Mount {
		return unix.EXDEV
	}
	return nil
}

// dotdot moves to the parent of cur: nowhere at the walk's root, across
// to the mount point at a mount's root, then down into whatever is
// mounted there (Linux's follow_dotdot).
func (w *walker) dotdot(cur VirtualDentry) (VirtualDentry, error) {
	cur.IncRef()
	for {
		if cur == w.root {
			if w.flags&Beneath != 0 {
				cur.decRefWalk()
				return VirtualDentry{}, unix.EXDEV
			}
			return cur, nil
		}
		if cur.Dentry != cur.Mount.Root {
			// The child holds its parent, and renameMu keeps it its
			// parent until the new reference is taken.
			w.v.renameMu.RLock()
			p := cur.Dentry.parent
			if p != nil {
				p.IncRef()
			}
			w.v.renameMu.RUnlock()
			if p == nil {
				return cur, nil
			}
			cur.Dentry.DecRef()
			cur.Dentry = p
			break
		}
		up, ok := w.v.mountPoint(cur.Mount)
		if !ok {
			return cur, nil
		}
		if w.flags&NoXdev != 0 {
			up.decRefWalk()
			cur.decRefWalk()
			return VirtualDentry{}, unix.EXDEV
		}
		cur.decRefWalk()
		cur = up
	}
	return w.crossDown(cur)
}

// crossDown follows the mounts stacked on vd to the topmost one's root.
// It takes over the caller's reference on vd and returns one on the
// result.
func (w *walker) crossDown(vd VirtualDentry) (VirtualDentry, error) {
	for {
		if vd.Dentry.mounts.Load() == 0 {
			return vd, nil
		}
		top, ok := w.v.mountedOn(vd)
		if !ok {
			return vd, nil
		}
		vd.decRefWalk()
		if w.flags&NoXdev != 0 {
			top.decRefWalk()
			return VirtualDentry{}, unix.EXDEV
		}
		vd = top
	}
}
