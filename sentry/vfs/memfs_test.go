package vfs

import (
	"sort"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

// memFS is a small in-memory filesystem for the tests: directories,
// regular files backed by memfds, symlinks, nodes, and magic links.
type memFS struct {
	name string
	// mu protects every memNode.
	mu      sync.Mutex
	root    *memNode
	nextIno uint64
	// stale names fail Revalidate once (the "host" changed them).
	stale map[string]bool
	// lookups counts Lookup calls; released counts Released vnodes.
	lookups  atomic.Int64
	released atomic.Int64
	// noTmpfile hides Tmpfile: the filesystem cannot make unnamed files.
	noTmpfile bool
	// orphans are the unnamed files Tmpfile made, closed at cleanup.
	orphans []*memNode
}

// memNode is an inode of memFS.
type memNode struct {
	fs       *memFS
	attr     Attr
	children map[string]*memNode
	target   string
	magic    func(ctx *Context) (VirtualDentry, error)
	// open, if set, is what Open gives (a magic link's object).
	open   func(flags int) (FileImpl, error)
	xattrs map[string][]byte
	memfd  int
	// linkable lets Link name a node with no link (O_TMPFILE without
	// O_EXCL), until it does.
	linkable bool
}

// memVnode is a vnode of memFS: one per Lookup, so Release is observable.
type memVnode struct {
	DefaultVnode
	n        *memNode
	released atomic.Bool
}

// magicVnode is a memVnode with a MagicLink target.
type magicVnode struct{ *memVnode }

func (m magicVnode) Target(ctx *Context) (VirtualDentry, error) { return m.n.magic(ctx) }

var (
	_ Vnode     = (*memVnode)(nil)
	_ MagicLink = magicVnode{}
)

func newMemFS(t *testing.T, name string) *memFS {
	fs := &memFS{name: name, nextIno: 1, stale: map[string]bool{}}
	fs.root = fs.newNode(unix.S_IFDIR|0755, 0, 0)
	t.Cleanup(func() {
		fs.mu.Lock()
		defer fs.mu.Unlock()
		fs.closeAll(fs.root)
		for _, n := range fs.orphans {
			fs.closeAll(n)
		}
	})
	return fs
}

func (fs *memFS) closeAll(n *memNode) {
	if n.memfd > 0 {
		unix.Close(n.memfd)
		n.memfd = 0
	}
	for _, c := range n.children {
		fs.closeAll(c)
	}
}

func (fs *memFS) newNode(mode, uid, gid uint32) *memNode {
	n := &memNode{fs: fs, attr: Attr{Ino: fs.nextIno, Mode: mode, Nlink: 1, UID: uid, GID: gid}}
	fs.nextIno++
	if mode&unix.S_IFMT == unix.S_IFDIR {
		n.children = map[string]*memNode{}
		n.attr.Nlink = 2
	}
	return n
}

// add makes a node at path (parents must exist) for test setup.
func (fs *memFS) add(path string, mode uint32, uid, gid uint32) *memNode {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	dir := fs.root
	comps := splitPath(path)
	for _, c := range comps[:len(comps)-1] {
		dir = dir.children[c]
	}
	n := fs.newNode(mode, uid, gid)
	dir.children[comps[len(comps)-1]] = n
	return n
}

func (fs *memFS) mkdir(path string) *memNode { return fs.add(path, unix.S_IFDIR|0755, 0, 0) }
func (fs *memFS) file(path string) *memNode  { return fs.add(path, unix.S_IFREG|0644, 0, 0) }
func (fs *memFS) symlink(path, target string) {
	fs.add(path, unix.S_IFLNK|0777, 0, 0).target = target
}

func splitPath(p string) []string {
	var out []string
	cur := ""
	for _, r := range p + "/" {
		if r == '/' {
			if cur != "" {
				out = append(out, cur)
			}
			cur = ""
			continue
		}
		cur += string(r)
	}
	return out
}

func (fs *memFS) vnode(n *memNode) Vnode {
	v := &memVnode{n: n}
	if n.magic != nil {
		return magicVnode{v}
	}
	if fs.noTmpfile {
		return plainVnode{v}
	}
	return v
}

// plainVnode is a memVnode without the optional interfaces.
type plainVnode struct{ Vnode }

// Filesystem.

func (fs *memFS) Root() Vnode     { return fs.vnode(fs.root) }
func (fs *memFS) Type() string    { return "memfs" }
func (fs *memFS) Source() string  { return fs.name }
func (fs *memFS) Options() string { return "" }

func (fs *memFS) Revalidate(parent Vnode, name string, child Vnode) bool {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.stale[name] {
		delete(fs.stale, name)
		return false
	}
	return true
}

// Vnode.

func (v *memVnode) lock() func() {
	v.n.fs.mu.Lock()
	return v.n.fs.mu.Unlock
}

func (v *memVnode) Getattr() (Attr, error) {
	defer v.lock()()
	if v.released.Load() {
		panic("Getattr after Release")
	}
	a := v.n.attr
	if v.n.memfd > 0 {
		var st unix.Stat_t
		unix.Fstat(v.n.memfd, &st)
		a.Size = st.Size
	}
	if a.Type() == unix.S_IFLNK {
		a.Size = int64(len(v.n.target))
	}
	return a, nil
}

func (v *memVnode) Setattr(sa *SetAttr) error {
	defer v.lock()()
	a := &v.n.attr
	if sa.Mask&SetMode != 0 {
		a.Mode = a.Type() | sa.Mode
	}
	if sa.Mask&SetUID != 0 {
		a.UID = sa.UID
	}
	if sa.Mask&SetGID != 0 {
		a.GID = sa.GID
	}
	if sa.Mask&SetSize != 0 {
		if err := unix.Ftruncate(v.n.fd(), sa.Size); err != nil {
			return err
		}
	}
	if sa.Mask&SetMtime != 0 {
		a.Mtime = sa.Mtime
	}
	return nil
}

func (n *memNode) fd() int {
	if n.memfd == 0 {
		fd, err := unix.MemfdCreate("memfs", unix.MFD_CLOEXEC)
		if err != nil {
			panic(err)
		}
		n.memfd = fd
	}
	return n.memfd
}

func (v *memVnode) dir() (*memNode, error) {
	if v.n.children == nil {
		return nil, unix.ENOTDIR
	}
	return v.n, nil
}

func (v *memVnode) Lookup(name string) (Vnode, error) {
	v.n.fs.lookups.Add(1)
	defer v.lock()()
	d, err := v.dir()
	if err != nil {
		return nil, err
	}
	c := d.children[name]
	if c == nil {
		return nil, unix.ENOENT
	}
	return v.n.fs.vnode(c), nil
}

func (v *memVnode) Readdir() ([]DirEntry, error) {
	defer v.lock()()
	d, err := v.dir()
	if err != nil {
		return nil, err
	}
	ents := []DirEntry{{Name: ".", Ino: d.attr.Ino, Type: unix.DT_DIR}, {Name: "..", Ino: 1, Type: unix.DT_DIR}}
	var names []string
	for name := range d.children {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		c := d.children[name]
		ents = append(ents, DirEntry{Name: name, Ino: c.attr.Ino, Type: uint8(c.attr.Type() >> 12)})
	}
	return ents, nil
}

// memFile is an open memFS file: a dup of the memfd or a placeholder.
type memFile struct{ fd int }

func (f *memFile) HostFD() int  { return f.fd }
func (f *memFile) Close() error { return unix.Close(f.fd) }

func (v *memVnode) Open(flags int) (FileImpl, error) {
	defer v.lock()()
	if v.n.open != nil {
		return v.n.open(flags)
	}
	switch v.n.attr.Type() {
	case unix.S_IFREG:
		fd, err := unix.Open("/proc/self/fd/"+itoa(v.n.fd()), flags|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, err
		}
		return &memFile{fd}, nil
	case unix.S_IFDIR:
		fd, err := PlaceholderFD(flags)
		if err != nil {
			return nil, err
		}
		return &memFile{fd}, nil
	}
	return nil, unix.ENXIO
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	s := ""
	for ; i > 0; i /= 10 {
		s = string(rune('0'+i%10)) + s
	}
	return s
}

func (v *memVnode) create(name string, mode uint32, cred *Cred) (*memNode, error) {
	d, err := v.dir()
	if err != nil {
		return nil, err
	}
	if d.children[name] != nil {
		return nil, unix.EEXIST
	}
	n := v.n.fs.newNode(mode, cred.UID, cred.GID)
	d.children[name] = n
	return n, nil
}

func (v *memVnode) Create(name string, flags int, mode uint32, cred *Cred) (Vnode, FileImpl, error) {
	unlock := v.lock()
	n, err := v.create(name, unix.S_IFREG|mode, cred)
	unlock()
	if err != nil {
		return nil, nil, err
	}
	vn := v.n.fs.vnode(n)
	f, err := vn.Open(flags)
	if err != nil {
		return nil, nil, err
	}
	return vn, f, nil
}

func (v *memVnode) Tmpfile(flags int, mode uint32, cred *Cred) (Vnode, FileImpl, error) {
	if flags&(unix.O_TMPFILE|unix.O_CREAT|unix.O_CLOEXEC) != 0 {
		panic("Tmpfile flags carry open-only bits")
	}
	unlock := v.lock()
	if _, err := v.dir(); err != nil {
		unlock()
		return nil, nil, err
	}
	n := v.n.fs.newNode(unix.S_IFREG|mode, cred.UID, cred.GID)
	n.attr.Nlink = 0
	n.linkable = flags&unix.O_EXCL == 0
	v.n.fs.orphans = append(v.n.fs.orphans, n)
	unlock()
	vn := v.n.fs.vnode(n)
	f, err := vn.Open(flags &^ unix.O_EXCL)
	if err != nil {
		return nil, nil, err
	}
	return vn, f, nil
}

func (v *memVnode) Mkdir(name string, mode uint32, cred *Cred) error {
	defer v.lock()()
	_, err := v.create(name, unix.S_IFDIR|mode, cred)
	return err
}

func (v *memVnode) Mknod(name string, mode uint32, dev uint64, cred *Cred) error {
	defer v.lock()()
	n, err := v.create(name, mode, cred)
	if err == nil {
		n.attr.Rdev = dev
	}
	return err
}

func (v *memVnode) Symlink(name, target string, cred *Cred) error {
	defer v.lock()()
	n, err := v.create(name, unix.S_IFLNK|0777, cred)
	if err == nil {
		n.target = target
	}
	return err
}

func (v *memVnode) Link(name string, target Vnode) error {
	defer v.lock()()
	d, err := v.dir()
	if err != nil {
		return err
	}
	if d.children[name] != nil {
		return unix.EEXIST
	}
	t := target.(*memVnode).n
	if t.attr.Nlink == 0 && !t.linkable {
		return unix.ENOENT
	}
	t.linkable = false
	t.attr.Nlink++
	d.children[name] = t
	return nil
}

func (v *memVnode) Unlink(name string) error {
	defer v.lock()()
	c := v.n.children[name]
	if c == nil {
		return unix.ENOENT
	}
	if c.children != nil {
		return unix.EISDIR
	}
	c.attr.Nlink--
	delete(v.n.children, name)
	return nil
}

func (v *memVnode) Rmdir(name string) error {
	defer v.lock()()
	c := v.n.children[name]
	if c == nil {
		return unix.ENOENT
	}
	if c.children == nil {
		return unix.ENOTDIR
	}
	if len(c.children) > 0 {
		return unix.ENOTEMPTY
	}
	delete(v.n.children, name)
	return nil
}

func (v *memVnode) Rename(oldName string, newDir Vnode, newName string, flags uint32) error {
	defer v.lock()()
	nd := newDir.(*memVnode).n
	o := v.n.children[oldName]
	if o == nil {
		return unix.ENOENT
	}
	t := nd.children[newName]
	switch {
	case flags&unix.RENAME_EXCHANGE != 0:
		if t == nil {
			return unix.ENOENT
		}
		v.n.children[oldName], nd.children[newName] = t, o
		return nil
	case flags&unix.RENAME_NOREPLACE != 0 && t != nil:
		return unix.EEXIST
	case t != nil && t.children != nil && len(t.children) > 0:
		return unix.ENOTEMPTY
	}
	delete(v.n.children, oldName)
	nd.children[newName] = o
	return nil
}

func (v *memVnode) Readlink() (string, error) {
	defer v.lock()()
	if v.n.attr.Type() != unix.S_IFLNK {
		return "", unix.EINVAL
	}
	return v.n.target, nil
}

func (v *memVnode) Getxattr(name string, buf []byte) (int, error) {
	defer v.lock()()
	val, ok := v.n.xattrs[name]
	if !ok {
		return 0, unix.ENODATA
	}
	return copy(buf, val), nil
}

func (v *memVnode) Setxattr(name string, value []byte, flags int) error {
	defer v.lock()()
	if v.n.xattrs == nil {
		v.n.xattrs = map[string][]byte{}
	}
	v.n.xattrs[name] = append([]byte(nil), value...)
	return nil
}

func (v *memVnode) Statfs() (unix.Statfs_t, error) { return unix.Statfs_t{Type: 0x1021994}, nil }

func (v *memVnode) Release() {
	if v.released.Swap(true) {
		panic("double Release")
	}
	v.n.fs.released.Add(1)
}
