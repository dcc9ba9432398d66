package sentry

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

// Memory is a task's address space as the sentry sees it.
type Memory interface {
	// CopyIn reads len(buf) bytes at addr.
	CopyIn(addr uint64, buf []byte) error
	// CopyOut writes buf at addr.
	CopyOut(addr uint64, buf []byte) error
	// ReadString reads a NUL-terminated string of at most max bytes at
	// addr; ENAMETOOLONG if there is no NUL within max.
	ReadString(addr uint64, max int) (string, error)
}

// FDInstaller moves descriptors between the sentry and the calling task.
type FDInstaller interface {
	// Install places a new reference to the host descriptor hostFD in the
	// task: at the lowest free number when at < 0, else exactly at `at`,
	// replacing what was there (dup2 semantics). It returns the number.
	Install(hostFD int, at int, cloexec bool) (int, error)
	// Fetch returns a sentry-owned host descriptor for the task's
	// descriptor guestFD (the same open file description).
	Fetch(guestFD int) (int, error)
}

// Call is one intercepted system call.
type Call struct {
	Task *Task
	Nr   uintptr
	Args [6]uint64
	Mem  Memory
	FDs  FDInstaller
	// Interrupt, if not nil, lets a wait on another process (a fifo's
	// rendezvous) be given up when a signal interrupts the call.
	Interrupt vfs.Interrupt

	// refs holds the positions the handler walked to and its context's
	// root and cwd, released when Handle returns; vctx is that context,
	// made on first use (ctx).
	refs vdRefs
	vctx *vfs.Context
}

// Result is the answer to a Call.
type Result struct {
	Val   int64
	Errno unix.Errno
	// Continue lets the host kernel run the call as the guest issued it.
	// Only calls whose arguments are all in registers may continue
	// (nothing the guest could change between check and use).
	Continue bool
}

// Errno makes a failing Result.
func Errno(e error) Result {
	if e == nil {
		return Result{}
	}
	if en, ok := e.(unix.Errno); ok {
		return Result{Errno: en}
	}
	return Result{Errno: unix.EIO}
}

// Value makes a succeeding Result.
func Value(v int64) Result { return Result{Val: v} }

// ResultOf makes a Result from a value and an error.
func ResultOf(v int64, err error) Result {
	if err != nil {
		return Errno(err)
	}
	return Value(v)
}

// Config is what the machine tells the kernel at boot.
type Config struct {
	VFS *vfs.VFS
	// Root and Cwd are the first task's root and working directory.
	Root vfs.VirtualDentry
	Cwd  vfs.VirtualDentry
	// Hostname is the guest's node name.
	Hostname string
	// Strace, when set, receives a line per intercepted call.
	Strace io.Writer
	// Filesystems are the types mount(2) knows, by name.
	Filesystems map[string]NewFilesystem
	// Reboot, when set, carries out reboot(2)'s power-off, halt and
	// restart commands (vkernel boot); without it reboot(2) is EPERM.
	Reboot func(cmd RebootCommand)
}

// Kernel is the sentry's global state: the task table and the VFS.
type Kernel struct {
	VFS    *vfs.VFS
	strace io.Writer
	// straceMu serializes strace lines.
	straceMu sync.Mutex

	// hostUTS is set when the guest shares the host's UTS namespace.
	hostUTS atomic.Bool
	// fileMax bounds the VFS files open at once (0: no bound), the
	// guest's fs.file-max (SetFileMax).
	fileMax atomic.Int64
	utsMu   sync.Mutex
	// hostname and domainname are the guest's UTS names (sys_uts.go).
	// Protected by utsMu.
	hostname, domainname string
	// fsTypes are the filesystem types mount(2) can make. Immutable.
	fsTypes map[string]NewFilesystem
	// reboot carries out reboot(2); nil outside vkernel boot. Immutable.
	reboot func(RebootCommand)
	// sockNames maps the host names the sentry binds AF_UNIX sockets to
	// ("/proc/self/fd/N/name") to the guest paths they stand for.
	sockNames sync.Map

	mu sync.Mutex
	// tasks maps host thread ids to tasks. Protected by mu.
	tasks map[int]*Task
	// nproc counts for RLIMIT_NPROC what tasks does not (nproc.go).
	nproc nproc
	// init is vkernel's own init under run; nil under boot, whose init
	// is a task. Protected by mu.
	init *initProcess
	// taskAdded is broadcast when a task is added. Uses mu.
	taskAdded *sync.Cond

	// unimplemented counts calls answered ENOSYS, by number
	// (uintptr → *atomic.Uint64).
	unimplemented sync.Map
}

// NewKernel makes a kernel from cfg.
func NewKernel(cfg Config) *Kernel {
	k := &Kernel{VFS: cfg.VFS, strace: cfg.Strace, hostname: cfg.Hostname, fsTypes: cfg.Filesystems, reboot: cfg.Reboot, tasks: map[int]*Task{}}
	k.taskAdded = sync.NewCond(&k.mu)
	node, domain := hostUTS()
	if k.hostname == "" {
		k.hostname = node
	}
	k.domainname = domain
	return k
}

// SetFileMax bounds the VFS files the guest may have open at once, as
// Linux's fs.file-max: past it a guest open is ENFILE. Each open file
// holds a host descriptor in the sentry (and its vnode one more), so the
// bound keeps the sentry's own descriptor budget from being used up by
// the guest: what is left serves the other calls (lookups, stats).
func (k *Kernel) SetFileMax(n int64) { k.fileMax.Store(n) }

// NewInitTask registers the first guest task, host thread tid.
func (k *Kernel) NewInitTask(tid int, root, cwd vfs.VirtualDentry, cred *Creds, fds *FDTable) *Task {
	tg := &ThreadGroup{}
	tg.tgid.Store(int64(tid))
	t := &Task{k: k, TG: tg, Creds: cred}
	t.hostTID.Store(int64(tid))
	t.fs.Store(NewFSContext(root, cwd, 022))
	t.fds.Store(fds)
	tg.leader = t
	k.addTask(t)
	return t
}

func (k *Kernel) addTask(t *Task) {
	k.mu.Lock()
	k.tasks[t.TID()] = t
	t.TG.addThread(t)
	k.taskAdded.Broadcast()
	k.mu.Unlock()
}

// Task returns the task of host thread tid, or nil.
func (k *Kernel) Task(tid int) *Task {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.tasks[tid]
}

// tasksOf counts the tasks (threads) whose real uid is uid, as Linux's
// RLIMIT_NPROC does: the live ones, the processes not reaped yet, and the
// forks let through whose child is not registered yet.
func (k *Kernel) tasksOf(uid uint32) int {
	k.mu.Lock()
	all := make([]*Task, 0, len(k.tasks))
	for _, t := range k.tasks {
		all = append(all, t)
	}
	k.mu.Unlock()
	n := k.nproc.extra(uid)
	for _, t := range all {
		if t.ids().ruid == uid {
			n++
		}
	}
	return n
}

// initThread returns the host id of the thread of vkernel's init (under
// run) whose guest id is tid; 0 if none is.
func (k *Kernel) initThread(tid int) int {
	init := k.initProc()
	if init == nil {
		return 0
	}
	ents, err := os.ReadDir("/proc/" + strconv.Itoa(init.hostPID) + "/task")
	if err != nil {
		return 0
	}
	for _, e := range ents {
		host, err := strconv.Atoi(e.Name())
		if err == nil && nsStatus(host, "NSpid") == tid {
			return host
		}
	}
	return 0
}

// isInitThread reports whether host thread host is one of vkernel's
// init's (under run).
func (k *Kernel) isInitThread(host int) bool {
	init := k.initProc()
	if init == nil || host <= 0 {
		return false
	}
	_, err := os.Stat("/proc/" + strconv.Itoa(init.hostPID) + "/task/" + strconv.Itoa(host))
	return err == nil
}

// threadByGuestTID returns the live thread whose guest tid is tid.
func (k *Kernel) threadByGuestTID(tid int) *Task {
	k.mu.Lock()
	all := make([]*Task, 0, len(k.tasks))
	for _, t := range k.tasks {
		all = append(all, t)
	}
	k.mu.Unlock()
	for _, t := range all {
		if t.GuestTID() == tid {
			return t
		}
	}
	return nil
}

// Tasks returns the live thread-group leaders ordered by guest pid.
func (k *Kernel) Tasks() []*Task {
	k.mu.Lock()
	var out []*Task
	for _, t := range k.tasks {
		if t.TG.Leader() == t {
			out = append(out, t)
		}
	}
	k.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].PID() < out[j].PID() })
	return out
}

// TaskByGuestPID returns the thread-group leader whose guest pid is pid.
func (k *Kernel) TaskByGuestPID(pid int) *Task {
	for _, t := range k.Tasks() {
		if t.PID() == pid {
			return t
		}
	}
	return nil
}

// Fork registers child, a new host thread made by parent's clone, fork or
// vfork with the given clone flags.
func (k *Kernel) Fork(parent *Task, childTID int, flags uint64) *Task {
	c := &Task{k: k, Creds: parent.Creds.Fork(), comm: parent.Comm()}
	c.hostTID.Store(int64(childTID))
	if flags&unix.CLONE_THREAD != 0 {
		c.TG = parent.TG
	} else {
		c.TG = &ThreadGroup{leader: c}
		c.TG.tgid.Store(int64(childTID))
		parent.TG.mu.Lock()
		c.TG.exe, c.TG.exeVD, c.TG.argv = parent.TG.exe, parent.TG.exeVD, parent.TG.argv
		c.TG.loaderAt, c.TG.loaderHost = parent.TG.loaderAt, parent.TG.loaderHost
		c.TG.undumpable.Store(parent.TG.undumpable.Load())
		if c.TG.exeVD.Ok() {
			c.TG.exeVD.IncRef()
		}
		c.TG.parent = parent.TG
		parent.TG.mu.Unlock()
	}
	if flags&unix.CLONE_FILES != 0 {
		c.fds.Store(parent.FDs().Share())
	} else {
		c.fds.Store(parent.FDs().Fork())
	}
	if flags&unix.CLONE_FS != 0 {
		c.fs.Store(parent.FS().Share())
	} else {
		c.fs.Store(parent.FS().Fork())
	}
	k.addTask(c)
	if flags&unix.CLONE_THREAD == 0 {
		k.nproc.born(c.ids().ruid)
	}
	return c
}

// Exit forgets host thread tid, which has exited.
func (k *Kernel) Exit(tid int) {
	k.mu.Lock()
	t := k.tasks[tid]
	delete(k.tasks, tid)
	k.mu.Unlock()
	if t == nil {
		return
	}
	if t.TG.Leader() == t {
		// A zombie until its parent reaps it.
		k.nproc.died(tid, t.ids().ruid)
	}
	t.TG.removeThread(t)
	t.FDs().DecRef()
	t.FS().DecRef()
}

// Retid renames a task whose host thread id changed: a non-leader thread
// that executed takes over its leader's id.
func (k *Kernel) Retid(oldTID, newTID int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	t := k.tasks[oldTID]
	if t == nil || oldTID == newTID {
		return
	}
	delete(k.tasks, oldTID)
	if old := k.tasks[newTID]; old != nil && old != t {
		old.TG.removeThread(old)
	}
	t.hostTID.Store(int64(newTID))
	t.TG.tgid.Store(int64(newTID))
	t.TG.setLeader(t)
	k.tasks[newTID] = t
}

// Unimplemented returns the calls answered ENOSYS so far, as "name=count",
// sorted.
func (k *Kernel) Unimplemented() []string {
	var out []string
	k.unimplemented.Range(func(nr, n any) bool {
		out = append(out, fmt.Sprintf("%s=%d", SyscallName(nr.(uintptr)), n.(*atomic.Uint64).Load()))
		return true
	})
	sort.Strings(out)
	return out
}

// countUnimplemented counts one call answered ENOSYS.
func (k *Kernel) countUnimplemented(nr uintptr) {
	n, _ := k.unimplemented.LoadOrStore(nr, new(atomic.Uint64))
	n.(*atomic.Uint64).Add(1)
}

// guestPID reads the innermost pid of host task tid from /proc.
func guestPID(tid int) int { return nsStatus(tid, "NSpid") }

// nsStatus reads the innermost value of the NSpid, NSpgid or NSsid line
// of host task tid's /proc status: its id in the guest's pid namespace; 0
// if the task is gone.
func nsStatus(tid int, key string) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(tid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, key+":"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				n, _ := strconv.Atoi(f[len(f)-1])
				return n
			}
		}
	}
	return 0
}
