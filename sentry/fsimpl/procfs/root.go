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
	{"cmdline", unix.DT_REG, fileOf(hostCopy("/proc/cmdline"))},
	{"cpuinfo", unix.DT_REG, fileOf(hostCopy("/proc/cpuinfo"))},
	{"devices", unix.DT_REG, fileOf(hostCopy("/proc/devices"))},
	{"filesystems", unix.DT_REG, fileOf(fixed(filesystems))},
	{"loadavg", unix.DT_REG, fileOf(hostCopy("/proc/loadavg"))},
	{"meminfo", unix.DT_REG, fileOf(hostCopy("/proc/meminfo"))},
	{"stat", unix.DT_REG, fileOf(hostCopy("/proc/stat"))},
	{"uptime", unix.DT_REG, fileOf(hostCopy("/proc/uptime"))},
	{"version", unix.DT_REG, fileOf(hostCopy("/proc/version"))},
	{"sys", unix.DT_DIR, subdir(sysEntries, nil, nil)},
}

// sysEntries are /proc/sys: the sysctls programs read, read-only. Those
// of the host's kernel, which the guest shares, are the host's (the
// namespaced ones of IPC and networking are not shown: the guest's
// namespaces have values of their own).
var sysEntries = []entry{
	{"fs", unix.DT_DIR, subdir([]entry{
		{"file-max", unix.DT_REG, fileOf(hostCopy("/proc/sys/fs/file-max"))},
		{"inotify", unix.DT_DIR, subdir(hostCopies("/proc/sys/fs/inotify",
			"max_queued_events", "max_user_instances", "max_user_watches"), nil, nil)},
		{"lease-break-time", unix.DT_REG, fileOf(hostCopy("/proc/sys/fs/lease-break-time"))},
		{"nr_open", unix.DT_REG, fileOf(hostCopy("/proc/sys/fs/nr_open"))},
		{"pipe-max-size", unix.DT_REG, fileOf(hostCopy("/proc/sys/fs/pipe-max-size"))},
		{"pipe-user-pages-hard", unix.DT_REG, fileOf(hostCopy("/proc/sys/fs/pipe-user-pages-hard"))},
		{"pipe-user-pages-soft", unix.DT_REG, fileOf(hostCopy("/proc/sys/fs/pipe-user-pages-soft"))},
	}, nil, nil)},
	{"vm", unix.DT_DIR, subdir(hostCopies("/proc/sys/vm",
		"max_map_count", "mmap_min_addr", "overcommit_memory", "overcommit_ratio", "swappiness"), nil, nil)},
	{"kernel", unix.DT_DIR, subdir(append([]entry{
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
		{"random", unix.DT_DIR, subdir(hostCopies("/proc/sys/kernel/random",
			"boot_id", "entropy_avail", "poolsize", "uuid"), nil, nil)},
	}, hostCopies("/proc/sys/kernel", "cap_last_cap", "core_pattern", "overflowgid", "overflowuid",
		"perf_event_paranoid", "randomize_va_space", "threads-max", "version")...), nil, nil)},
}

// hostCopies are the entries names of host directory dir, each a copy of
// the host's file.
func hostCopies(dir string, names ...string) []entry {
	ents := make([]entry, len(names))
	for i, name := range names {
		ents[i] = entry{name, unix.DT_REG, fileOf(hostCopy(dir + "/" + name))}
	}
	return ents
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
