package sentry

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

// handler serves one system call.
type handler func(c *Call) Result

// syscall describes a system call the sentry serves.
type syscall struct {
	fn handler
	// paths lists the arguments that are path strings, for --strace.
	paths []int
}

// table is the sentry's system call table. Calls that are not in it and
// reach the sentry answer ENOSYS and are counted.
var table = map[uintptr]syscall{}

// register adds handlers to the table; paths name path arguments.
func register(nr uintptr, fn handler, paths ...int) {
	table[nr] = syscall{fn: fn, paths: paths}
}

// Handle serves c.
func (k *Kernel) Handle(c *Call) Result {
	sc, ok := table[c.Nr]
	var r Result
	if ok {
		r = sc.fn(c)
		c.refs.release()
		c.vctx = nil
	} else {
		k.countUnimplemented(c.Nr)
		r = Result{Errno: unix.ENOSYS}
	}
	if k.strace != nil {
		k.traceCall(c, sc.paths, r)
	}
	return r
}

// traceCall writes c's strace line.
func (k *Kernel) traceCall(c *Call, paths []int, r Result) {
	var b strings.Builder
	fmt.Fprintf(&b, "[%d] %s(", c.Task.PID(), SyscallName(c.Nr))
	kinds, known := argKinds[c.Nr]
	for i := 0; i < 6; i++ {
		k := argHex
		switch {
		case known && i >= len(kinds):
			k = argOmit
		case known:
			k = kinds[i]
		default:
			for _, p := range paths {
				if p == i {
					k = argPath
				}
			}
		}
		if k == argOmit {
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(formatArg(c, i, k))
	}
	b.WriteString(") = ")
	switch {
	case r.Errno != 0:
		fmt.Fprintf(&b, "-1 %s (%s)", errnoName(r.Errno), r.Errno.Error())
	case r.Continue:
		// The host runs the call after the answer: its result never
		// reaches the sentry.
		b.WriteString(straceContinued)
	default:
		b.WriteString(strconv.FormatInt(r.Val, 10))
	}
	b.WriteByte('\n')
	k.straceMu.Lock()
	k.strace.Write([]byte(b.String()))
	k.straceMu.Unlock()
}

// TraceExec writes the strace line of an exec, which the machine carries
// out outside Handle.
func (k *Kernel) TraceExec(t *Task, nr uintptr, args [6]uint64, p *ExecPlan, err error) {
	if k.strace == nil || t == nil {
		return
	}
	line := fmt.Sprintf("[%d] %s", t.PID(), SyscallName(nr))
	if p != nil {
		line += fmt.Sprintf("(%q, %q)", p.Exe, p.GuestArgv)
	}
	if err != nil {
		e := errnoOf(err)
		line += fmt.Sprintf(" = -1 %s (%s)\n", errnoName(e), e.Error())
	} else {
		line += " = 0\n"
	}
	k.straceMu.Lock()
	k.strace.Write([]byte(line))
	k.straceMu.Unlock()
}

func errnoName(e unix.Errno) string {
	if n := unix.ErrnoName(e); n != "" {
		return n
	}
	return "E" + strconv.Itoa(int(e))
}

func errnoOf(err error) unix.Errno {
	if e, ok := err.(unix.Errno); ok {
		return e
	}
	return unix.EIO
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// Argument helpers.

func (c *Call) fd(i int) int32 { return int32(c.Args[i]) }

// path reads path argument i: EFAULT for a bad pointer, ENAMETOOLONG for
// a path of PATH_MAX bytes or more.
func (c *Call) path(i int) (string, error) {
	s, err := c.Mem.ReadString(c.Args[i], unix.PathMax-1)
	if err == unix.ENAMETOOLONG {
		return "", unix.ENAMETOOLONG
	}
	return s, err
}

// start returns where a path relative to dirfd starts: the cwd for
// AT_FDCWD, else the directory the descriptor names (ENOTDIR if it is not
// one of the VFS's, EBADF if it is not open at all).
// An absolute path ignores dirfd.
func (c *Call) start(dirfd int32, path string) (vfs.VirtualDentry, error) {
	if dirfd == unix.AT_FDCWD || (len(path) > 0 && path[0] == '/') {
		return c.ctx().Cwd, nil
	}
	f, ok := c.Task.FDs().Get(int(dirfd))
	if !ok {
		return vfs.VirtualDentry{}, c.notVFS(int(dirfd))
	}
	defer f.DecRef()
	f.VD.IncRef() // the file may be closed by another thread meanwhile
	return c.refs.hold(f.VD), nil
}

// ctx returns the VFS context of the call, its root and cwd held until
// the call ends.
func (c *Call) ctx() *vfs.Context {
	if c.vctx == nil {
		c.vctx = c.Task.Context(&c.refs)
		c.vctx.Interrupt = c.Interrupt
	}
	return c.vctx
}

// notVFS is the errno for a descriptor that is not the VFS's: EBADF if the
// guest has no such descriptor, ENOTDIR if it is a pipe, socket or the like.
func (c *Call) notVFS(fd int) error {
	if fd < 0 {
		return unix.EBADF
	}
	h, err := c.FDs.Fetch(fd)
	if err != nil {
		return unix.EBADF
	}
	unix.Close(h)
	return unix.ENOTDIR
}

// walk resolves path argument i relative to dirfd argument d.
func (c *Call) walk(d int32, pathArg int, flags int) (vfs.VirtualDentry, error) {
	p, err := c.path(pathArg)
	if err != nil {
		return vfs.VirtualDentry{}, err
	}
	if p == "" && flags&vfs.EmptyPath == 0 {
		// getname's ENOENT, before the descriptor is looked at.
		return vfs.VirtualDentry{}, unix.ENOENT
	}
	start, err := c.start(d, p)
	if err != nil {
		return vfs.VirtualDentry{}, err
	}
	vd, err := c.Task.Kernel().VFS.Walk(c.ctx(), start, p, flags)
	if err != nil {
		return vfs.VirtualDentry{}, err
	}
	return c.refs.hold(vd), nil
}

// atFlags turns AT_SYMLINK_NOFOLLOW and AT_EMPTY_PATH into walk flags.
func atFlags(at uint64, allowed uint64) (int, error) {
	if at&^allowed != 0 {
		return 0, unix.EINVAL
	}
	flags := vfs.FollowFinal
	if at&unix.AT_SYMLINK_NOFOLLOW != 0 {
		flags &^= vfs.FollowFinal
	}
	if at&unix.AT_EMPTY_PATH != 0 {
		flags |= vfs.EmptyPath
	}
	return flags, nil
}
