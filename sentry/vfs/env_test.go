package vfs

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"
)

// env is a VFS with a memFS root mounted and a root Context.
type env struct {
	t    *testing.T
	v    *VFS
	fs   *memFS
	root *Mount
	ctx  *Context
}

func newEnv(t *testing.T) *env {
	t.Helper()
	v := New()
	fs := newMemFS(t, "root")
	m := v.NewRootMount(fs, 0)
	r := v.Root(m)
	return &env{t: t, v: v, fs: fs, root: m, ctx: &Context{Root: r, Cwd: r, Cred: RootCred(), Umask: 022}}
}

// as returns a Context like e.ctx with cred.
func (e *env) as(cred *Cred) *Context {
	c := *e.ctx
	c.Cred = cred
	return &c
}

func user(uid uint32, groups ...uint32) *Cred {
	return &Cred{UID: uid, GID: uid, Groups: groups}
}

// walk walks path from the root and drops the result's reference at
// once: the result is for identity and path checks only (its vnode may
// be Released by then), not for vnode operations.
func (e *env) walk(path string, flags int) (VirtualDentry, error) {
	vd, err := e.v.Walk(e.ctx, VirtualDentry{}, path, flags)
	if err == nil {
		vd.DecRef()
	}
	return vd, err
}

func (e *env) mustWalk(path string, flags int) VirtualDentry {
	e.t.Helper()
	vd, err := e.walk(path, flags)
	if err != nil {
		e.t.Fatalf("Walk(%q) = %v", path, err)
	}
	return vd
}

// path returns vd's path from the real root.
func (e *env) path(vd VirtualDentry) string {
	p, ok := e.v.PathOf(e.v.Root(e.root), vd)
	if !ok {
		return "(unreachable)" + p
	}
	return p
}

func (e *env) mkdir(path string, mode uint32) {
	e.t.Helper()
	if err := e.v.Mkdir(e.ctx, VirtualDentry{}, path, mode); err != nil {
		e.t.Fatalf("Mkdir(%q) = %v", path, err)
	}
}

func (e *env) create(path string, mode uint32) {
	e.t.Helper()
	f, err := e.v.Open(e.ctx, VirtualDentry{}, path, unix.O_CREAT|unix.O_WRONLY, mode)
	if err != nil {
		e.t.Fatalf("Open(%q, O_CREAT) = %v", path, err)
	}
	f.DecRef()
}

// errno returns err's name for messages ("ok" for nil).
func errno(err error) string {
	if err == nil {
		return "ok"
	}
	var e unix.Errno
	if errors.As(err, &e) {
		return unix.ErrnoName(e)
	}
	return err.Error()
}

// check reports a mismatch between an operation's error and want.
func check(t *testing.T, what string, got error, want error) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %s, want %s", what, errno(got), errno(want))
	}
}
