package sentry

import (
	"sync"
	"sync/atomic"

	"vkernel/sentry/vfs"
)

// Task is one guest thread, analogous to Linux's struct task_struct.
type Task struct {
	// k is the kernel; fixed.
	k *Kernel
	// hostTID is the host thread id (TID). Changed only by Kernel.Retid,
	// while others may read it.
	hostTID atomic.Int64
	// TG is the thread group; fixed.
	TG *ThreadGroup
	// fs is the root, cwd and umask, shared under CLONE_FS; fds is the
	// descriptor table, shared under CLONE_FILES. Each is replaced when the
	// task unshares it or execs, while other tasks may read it (procfs),
	// hence atomic.
	fs  atomic.Pointer[FSContext]
	fds atomic.Pointer[FDTable]
	// Creds is the task's identity.
	Creds *Creds

	commMu sync.Mutex
	// comm is the task's name (sys_prctl.go). Protected by commMu.
	comm string

	// pid caches the guest pid of the thread group leader.
	pidOnce sync.Once
	pid     int
	// tid caches the guest tid of a thread other than the leader.
	tidOnce sync.Once
	tid     int
}

// TID returns the task's host thread id.
func (t *Task) TID() int { return int(t.hostTID.Load()) }

// TGID returns the group's host id.
func (tg *ThreadGroup) TGID() int { return int(tg.tgid.Load()) }

// FS returns the task's root, cwd and umask.
func (t *Task) FS() *FSContext { return t.fs.Load() }

// FDs returns the task's descriptor table.
func (t *Task) FDs() *FDTable { return t.fds.Load() }

// unshareFS gives the task a copy of its FSContext of its own.
// sharesFSWithOthers reports whether a task of another process shares
// t's filesystem context (check_unsafe_exec's LSM_UNSAFE_SHARE).
func (t *Task) sharesFSWithOthers() bool {
	fs := t.FS()
	n := 0
	for _, th := range t.TG.Threads() {
		if th.FS() == fs {
			n++
		}
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.refs > n
}

func (t *Task) unshareFS() {
	old := t.FS()
	t.fs.Store(old.Fork())
	old.DecRef()
}

// unshareFDs gives the task a copy of its descriptor table of its own.
func (t *Task) unshareFDs() {
	old := t.FDs()
	t.fds.Store(old.Fork())
	old.DecRef()
}

// GuestTID returns the task's guest thread id.
func (t *Task) GuestTID() int {
	if l := t.TG.Leader(); l == nil || l == t {
		return t.PID()
	}
	t.tidOnce.Do(func() { t.tid = guestPID(t.TID()) })
	return t.tid
}

// PID returns the task's guest thread-group id.
func (t *Task) PID() int {
	l := t.TG.Leader()
	if l == nil {
		l = t
	}
	l.pidOnce.Do(func() { l.pid = guestPID(l.TID()) })
	return l.pid
}

// Kernel returns the kernel the task runs under.
func (t *Task) Kernel() *Kernel { return t.k }

// Context returns the VFS context for a walk done on t's behalf. Its
// Root and Cwd are referenced and held by refs, which the caller releases
// once done with the context (Call.ctx does this for a handler).
func (t *Task) Context(refs *vdRefs) *vfs.Context {
	root, cwd, umask := t.FS().Pin()
	refs.hold(root)
	refs.hold(cwd)
	return &vfs.Context{Root: root, Cwd: cwd, Cred: t.Creds.VFS(), Umask: umask, Caller: t}
}

// vdRefs holds references on positions for the length of one system call:
// the VFS's walks return positions the caller must DecRef (see sentry/vfs
// doc.go, Lifetime), and a handler hands them to its Call instead.
type vdRefs struct {
	vds []vfs.VirtualDentry
}

// hold takes over the caller's reference on vd and returns vd.
func (r *vdRefs) hold(vd vfs.VirtualDentry) vfs.VirtualDentry {
	if vd.Ok() {
		r.vds = append(r.vds, vd)
	}
	return vd
}

// release drops every reference held.
func (r *vdRefs) release() {
	for i, vd := range r.vds {
		vd.DecRef()
		r.vds[i] = vfs.VirtualDentry{}
	}
	r.vds = r.vds[:0]
}

// ThreadGroup is a guest process, analogous to Linux's struct signal_struct
// plus what procfs shows of a process.
type ThreadGroup struct {
	// tgid is the host id of the group (TGID); changed only by
	// Kernel.Retid, while others may read it.
	tgid atomic.Int64

	mu sync.Mutex
	// leader is the thread whose id is the group's. Protected by mu.
	leader *Task
	// threads are the live threads. Protected by mu.
	threads []*Task
	// parent is the thread group that forked this one. Protected by mu.
	parent *ThreadGroup
	// exe is the guest path of the executable; exeVD its position.
	// argv is the guest's argument vector. Protected by mu.
	exe   string
	exeVD vfs.VirtualDentry
	argv  []string
	envp  []string
	// undumpable is PR_GET_DUMPABLE's 0 (the sentry's, as the ids that
	// decide it are).
	undumpable atomic.Bool
	// loaderAt and loaderHost name the interpreter the host loaded
	// (procfs Process.Loader). Protected by mu.
	loaderAt, loaderHost string
}

// Leader returns the thread group leader.
func (tg *ThreadGroup) Leader() *Task {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return tg.leader
}

// Threads returns the live threads.
func (tg *ThreadGroup) Threads() []*Task {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return append([]*Task(nil), tg.threads...)
}

// Exe returns the executable's guest path and position.
func (tg *ThreadGroup) Exe() (string, vfs.VirtualDentry) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return tg.exe, tg.exeVD
}

// Loader returns where the image's interpreter was placed for the host's
// exec and its host path in the sentry's namespace ("" for none).
func (tg *ThreadGroup) Loader() (placed, host string) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return tg.loaderAt, tg.loaderHost
}

// Argv returns the argument vector given at the last exec.
func (tg *ThreadGroup) Argv() []string {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return tg.argv
}

// Environ returns the environment given at the last exec.
func (tg *ThreadGroup) Environ() []string {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return tg.envp
}

// ParentPID returns the guest pid of the forking process, 0 if none.
func (tg *ThreadGroup) ParentPID() int {
	tg.mu.Lock()
	p := tg.parent
	tg.mu.Unlock()
	if p == nil {
		return 0
	}
	if l := p.Leader(); l != nil {
		return l.PID()
	}
	return 0
}

func (tg *ThreadGroup) addThread(t *Task) {
	tg.mu.Lock()
	tg.threads = append(tg.threads, t)
	tg.mu.Unlock()
}

func (tg *ThreadGroup) removeThread(t *Task) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	for i, x := range tg.threads {
		if x == t {
			tg.threads = append(tg.threads[:i], tg.threads[i+1:]...)
			break
		}
	}
	if len(tg.threads) == 0 && tg.exeVD.Ok() {
		tg.exeVD.DecRef()
		tg.exeVD = vfs.VirtualDentry{}
	}
}

func (tg *ThreadGroup) setLeader(t *Task) {
	tg.mu.Lock()
	tg.leader = t
	tg.mu.Unlock()
}

// setExec records the image tg runs; it takes its own reference on vd.
func (tg *ThreadGroup) setExec(exe string, vd vfs.VirtualDentry, argv, envp []string, loaderAt, loaderHost string) {
	if vd.Ok() {
		vd.IncRef()
	}
	tg.mu.Lock()
	old := tg.exeVD
	tg.exe, tg.exeVD, tg.argv, tg.envp = exe, vd, argv, envp
	tg.loaderAt, tg.loaderHost = loaderAt, loaderHost
	tg.mu.Unlock()
	if old.Ok() {
		old.DecRef()
	}
}

// FSContext is a task's root, working directory and umask, analogous to
// Linux's struct fs_struct.
type FSContext struct {
	mu sync.Mutex
	// root, cwd and umask are protected by mu.
	root  vfs.VirtualDentry
	cwd   vfs.VirtualDentry
	umask uint32
	// refs counts the tasks sharing the context. Protected by mu.
	refs int
}

// NewFSContext makes a context; it takes its own references on root and
// cwd, which the caller holds.
func NewFSContext(root, cwd vfs.VirtualDentry, umask uint32) *FSContext {
	root.IncRef()
	cwd.IncRef()
	return &FSContext{root: root, cwd: cwd, umask: umask, refs: 1}
}

// Get returns the root, cwd and umask, unreferenced: another task sharing
// f may change them meanwhile, so they serve for paths (PathOf) only; a
// walk or vnode operation uses Pin.
func (f *FSContext) Get() (root, cwd vfs.VirtualDentry, umask uint32) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.root, f.cwd, f.umask
}

// Pin is Get with a reference on root and on cwd, for the caller to drop.
func (f *FSContext) Pin() (root, cwd vfs.VirtualDentry, umask uint32) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.root.IncRef()
	f.cwd.IncRef()
	return f.root, f.cwd, f.umask
}

// SetCwd changes the working directory; f takes its own reference on vd,
// which the caller holds.
func (f *FSContext) SetCwd(vd vfs.VirtualDentry) {
	vd.IncRef()
	f.mu.Lock()
	old := f.cwd
	f.cwd = vd
	f.mu.Unlock()
	old.DecRef()
}

// SetRoot changes the root directory, as SetCwd.
func (f *FSContext) SetRoot(vd vfs.VirtualDentry) {
	vd.IncRef()
	f.mu.Lock()
	old := f.root
	f.root = vd
	f.mu.Unlock()
	old.DecRef()
}

// SwapUmask sets the umask and returns the old one.
func (f *FSContext) SwapUmask(m uint32) uint32 {
	f.mu.Lock()
	defer f.mu.Unlock()
	old := f.umask
	f.umask = m & 0777
	return old
}

// Share returns f with one more sharer (CLONE_FS).
func (f *FSContext) Share() *FSContext {
	f.mu.Lock()
	f.refs++
	f.mu.Unlock()
	return f
}

// Fork returns a copy of f.
func (f *FSContext) Fork() *FSContext {
	root, cwd, umask := f.Pin()
	return &FSContext{root: root, cwd: cwd, umask: umask, refs: 1}
}

// DecRef drops a sharer.
func (f *FSContext) DecRef() {
	f.mu.Lock()
	f.refs--
	last := f.refs == 0
	f.mu.Unlock()
	if last {
		f.root.DecRef()
		f.cwd.DecRef()
	}
}
