package procfs

import (
	"strconv"

	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

// filesystems is /proc/filesystems: the filesystem types vkernel has,
// not the host's.
const filesystems = "nodev\tproc\nnodev\ttmpfs\nnodev\tdevfs\nnodev\tdirfs\nnodev\tnullfs\n"

// rootEntries are the fixed entries of /proc; the pid directories follow
// them. Global figures are the host's, copied at open.
var rootEntries = []entry{
	{"self", unix.DT_LNK, func(n node) vfs.Vnode { return &selfLink{node: n} }},
	{"thread-self", unix.DT_LNK, func(n node) vfs.Vnode { return &selfLink{node: n, thread: true} }},
	{"mounts", unix.DT_LNK, linkTo("self/mounts")},
	{"cpuinfo", unix.DT_REG, fileOf(hostCopy("/proc/cpuinfo"))},
	{"filesystems", unix.DT_REG, fileOf(fixed(filesystems))},
	{"loadavg", unix.DT_REG, fileOf(hostCopy("/proc/loadavg"))},
	{"meminfo", unix.DT_REG, fileOf(hostCopy("/proc/meminfo"))},
	{"stat", unix.DT_REG, fileOf(hostCopy("/proc/stat"))},
	{"uptime", unix.DT_REG, fileOf(hostCopy("/proc/uptime"))},
	{"version", unix.DT_REG, fileOf(hostCopy("/proc/version"))},
	{"sys", unix.DT_DIR, subdir(sysEntries, nil, nil)},
}

// sysEntries are /proc/sys: the few sysctls programs read, read-only.
var sysEntries = []entry{
	{"fs", unix.DT_DIR, subdir([]entry{
		{"file-max", unix.DT_REG, fileOf(hostCopy("/proc/sys/fs/file-max"))},
		{"nr_open", unix.DT_REG, fileOf(hostCopy("/proc/sys/fs/nr_open"))},
	}, nil, nil)},
	{"kernel", unix.DT_DIR, subdir([]entry{
		{"domainname", unix.DT_REG, fileOf(func(n *node) ([]byte, error) {
			return []byte(n.fs.src.Domainname() + "\n"), nil
		})},
		{"hostname", unix.DT_REG, fileOf(func(n *node) ([]byte, error) {
			return []byte(n.fs.src.Hostname() + "\n"), nil
		})},
		{"ngroups_max", unix.DT_REG, fileOf(hostCopy("/proc/sys/kernel/ngroups_max"))},
		{"osrelease", unix.DT_REG, fileOf(hostCopy("/proc/sys/kernel/osrelease"))},
		{"ostype", unix.DT_REG, fileOf(hostCopy("/proc/sys/kernel/ostype"))},
		{"pid_max", unix.DT_REG, fileOf(hostCopy("/proc/sys/kernel/pid_max"))},
	}, nil, nil)},
}

// pidEntries lists the pid directories of /proc.
func (fs *FS) pidEntries(*dir) ([]entry, error) {
	procs := fs.src.Processes()
	ents := make([]entry, 0, len(procs))
	for _, p := range procs {
		ents = append(ents, fs.pidEntry(p))
	}
	return ents, nil
}

// findPid looks the pid directory name up without listing every process.
func (fs *FS) findPid(_ *dir, name string) (entry, error) {
	pid, ok := parseID(name)
	if !ok {
		return entry{}, unix.ENOENT
	}
	p := fs.src.Process(pid)
	if p == nil {
		return entry{}, unix.ENOENT
	}
	return fs.idEntry(p, pid), nil
}

// pidEntry is the entry of p's directory.
func (fs *FS) pidEntry(p Process) entry { return fs.idEntry(p, p.PID()) }

// idEntry is the entry of the directory named id of p: its pid, or the tid
// of the thread p describes.
func (fs *FS) idEntry(p Process, id int) entry {
	return entry{strconv.Itoa(id), unix.DT_DIR, func(n node) vfs.Vnode {
		n.pr = fs.newProc(p, id)
		return &dir{node: n, parent: rootIno, static: pidEntries}
	}}
}

// parseID parses a pid or descriptor number as procfs names them: decimal
// without sign or leading zeros.
func parseID(name string) (int, bool) {
	if name == "" || len(name) > 10 || (name[0] == '0' && len(name) > 1) {
		return 0, false
	}
	n := 0
	for _, c := range []byte(name) {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, n <= 1<<31-1
}

// selfLink is /proc/self ("<pid>") or /proc/thread-self
// ("<pid>/task/<tid>"): its text depends on who reads it.
type selfLink struct {
	node
	thread bool
}

var _ vfs.ContextReadlinker = (*selfLink)(nil)

// ReadlinkFor implements vfs.ContextReadlinker. A caller the Source does
// not know has no self: ENOENT, as a task outside the pid namespace.
func (l *selfLink) ReadlinkFor(ctx *vfs.Context) (string, error) {
	if ctx == nil {
		return "", unix.ENOENT
	}
	p := l.fs.src.Caller(ctx.Caller)
	if p == nil {
		return "", unix.ENOENT
	}
	pid := strconv.Itoa(p.PID())
	if l.thread {
		tid := l.fs.src.CallerTID(ctx.Caller)
		if tid == 0 {
			return "", unix.ENOENT
		}
		return pid + "/task/" + strconv.Itoa(tid), nil
	}
	return pid, nil
}

// Readlink implements vfs.Vnode.Readlink: without a caller there is no
// self.
func (l *selfLink) Readlink() (string, error) { return "", unix.ENOENT }

// Open implements vfs.Vnode.Open.
func (l *selfLink) Open(flags int) (vfs.FileImpl, error) { return openLink(flags) }
