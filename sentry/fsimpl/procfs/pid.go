package procfs

import (
	"bytes"
	"fmt"
	"path"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

// proc is the process (or thread) a /proc/<pid> or task/<tid> directory
// and everything below it describe. It is analogous to the struct pid a
// Linux proc inode holds.
type proc struct {
	fs *FS
	p  Process
	// tid is the guest id the directory is named after: the pid, or a tid
	// in task/. Immutable.
	tid int
	// hostTID is p.HostTID() when the directory was looked up: a process
	// or thread whose id was reused has another, so the directory goes
	// stale rather than describing the newcomer. Immutable.
	hostTID int

	startOnce sync.Once
	// start is the process's start time. Written once under startOnce.
	start unix.Timespec
}

// newProc makes the proc of p's directory named tid.
func (fs *FS) newProc(p Process, tid int) *proc {
	return &proc{fs: fs, p: p, tid: tid, hostTID: p.HostTID()}
}

// alive reports whether pr's process or thread still runs.
func (pr *proc) alive() bool {
	cur := pr.fs.src.Process(pr.tid)
	return cur != nil && cur.HostTID() == pr.hostTID
}

// check returns ENOENT for the entries of a process gone, as Linux's
// proc_pid_lookup and readdir do; nil for global entries.
func (pr *proc) check() error {
	if pr == nil || pr.alive() {
		return nil
	}
	return unix.ENOENT
}

// owner returns the process's credentials when its Process says them.
func (pr *proc) owner() *vfs.Cred {
	if o, ok := pr.p.(Owner); ok {
		return o.Cred()
	}
	return nil
}

// capSysPtrace is CAP_SYS_PTRACE.
const capSysPtrace = 19

// mayTrace checks that the task of ctx may look into the process through
// its magic links, as Linux's ptrace_may_access(PTRACE_MODE_READ_FSCREDS):
// a thread of the same process may; anyone else needs its fsuid to be the
// target's real, effective and saved uid and its fsgid the target's
// three gids, or CAP_SYS_PTRACE. EACCES otherwise. A process whose
// credentials are unknown is open to all.
func (pr *proc) mayTrace(ctx *vfs.Context) error {
	o := pr.owner()
	if o == nil || ctx == nil || ctx.Cred == nil {
		return nil
	}
	if me := pr.fs.src.Caller(ctx.Caller); me != nil && me.PID() == pr.p.PID() {
		return nil
	}
	c := ctx.Cred
	if c.HasCap(capSysPtrace) {
		return nil
	}
	uids, gids := [3]uint32{o.UID, o.UID, o.UID}, [3]uint32{o.GID, o.GID, o.GID}
	if id, ok := pr.p.(Identified); ok {
		i := id.Identity()
		uids, gids = [3]uint32(i.UIDs[:3]), [3]uint32(i.GIDs[:3])
	}
	for k := range uids {
		if uids[k] != c.UID || gids[k] != c.GID {
			return unix.EACCES
		}
	}
	return nil
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's times (always 100
// on x86-64).
const clockTicks = 100

// startTime returns the process's start time, from the host's stat
// (starttime, in ticks since boot) and /proc/stat (btime); the mount's
// time if the host does not say.
func (pr *proc) startTime() unix.Timespec {
	pr.startOnce.Do(func() {
		pr.start = pr.fs.born
		st, err := readHost(hostProc(pr.hostTID, "stat"))
		if err != nil {
			return
		}
		f := statFields(st)
		if len(f) < 20 {
			return
		}
		ticks, err1 := strconv.ParseInt(f[19], 10, 64)
		btime, err2 := bootTime()
		if err1 != nil || err2 != nil {
			return
		}
		ns := btime*1e9 + ticks*(1e9/clockTicks)
		pr.start = unix.NsecToTimespec(ns)
	})
	return pr.start
}

// bootTime returns the host's boot time in seconds since the epoch.
func bootTime() (int64, error) {
	b, err := readHost("/proc/stat")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			return strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	return 0, unix.EIO
}

// pidEntries are the entries of /proc/<pid>; threadEntries those of
// /proc/<pid>/task/<tid>, the same but task/.
var pidEntries, threadEntries []entry

func init() {
	threadEntries = []entry{
		{"auxv", unix.DT_REG, fileOf(hostFigures("auxv"))},
		{"cmdline", unix.DT_REG, fileOf(genCmdline)},
		{"comm", unix.DT_REG, fileOf(genComm)},
		{"coredump_filter", unix.DT_REG, fileOf(hostFigures("coredump_filter"))},
		{"cwd", unix.DT_LNK, magic(func(p Process) (vfs.VirtualDentry, string) { return p.Cwd(), "" })},
		{"environ", unix.DT_REG, fileOf(genEnviron)},
		{"exe", unix.DT_LNK, magic(func(p Process) (vfs.VirtualDentry, string) {
			text, vd := p.Exe()
			return vd, text
		})},
		{"fd", unix.DT_DIR, subdir(nil, fdEntries, findFD)},
		{"fdinfo", unix.DT_DIR, subdir(nil, fdinfoEntries, findFDInfo)},
		{"io", unix.DT_REG, fileOf(hostFigures("io"))},
		{"limits", unix.DT_REG, fileOf(hostFigures("limits"))},
		{"maps", unix.DT_REG, fileOf(genMaps)},
		{"mountinfo", unix.DT_REG, fileOf(genMountinfo)},
		{"mounts", unix.DT_REG, fileOf(genMounts)},
		{"oom_score", unix.DT_REG, fileOf(hostFigures("oom_score"))},
		{"oom_score_adj", unix.DT_REG, fileOf(hostFigures("oom_score_adj"))},
		{"root", unix.DT_LNK, magic(func(p Process) (vfs.VirtualDentry, string) { return p.Root(), "" })},
		{"smaps", unix.DT_REG, fileOf(genSmaps)},
		{"stat", unix.DT_REG, fileOf(genStat)},
		{"statm", unix.DT_REG, fileOf(hostFigures("statm"))},
		{"status", unix.DT_REG, fileOf(genStatus)},
	}
	pidEntries = append(threadEntries[:len(threadEntries):len(threadEntries)],
		entry{"task", unix.DT_DIR, subdir(nil, taskEntries, nil)})
}

// taskEntries lists task/: one directory per thread.
func taskEntries(d *dir) ([]entry, error) {
	fs, p := d.fs, d.pr.p
	var ents []entry
	for _, th := range p.Threads() {
		ents = append(ents, entry{strconv.Itoa(th.TID), unix.DT_DIR, func(n node) vfs.Vnode {
			n.pr = fs.newProc(th.P, th.TID)
			return &dir{node: n, parent: parentIno(n), static: threadEntries}
		}})
	}
	return ents, nil
}

// hostFigures returns a generator copying the host's /proc/<tid>/name of
// the process: figures with no pid in them (statm, limits, io, auxv,
// the OOM score; coredump_filter and oom_score_adj are read-only here).
func hostFigures(name string) func(*node) ([]byte, error) {
	return func(n *node) ([]byte, error) { return readHost(hostProc(n.pr.hostTID, name)) }
}

// nulJoin joins ss, each NUL-terminated, as cmdline and environ are.
func nulJoin(ss []string) []byte {
	var b bytes.Buffer
	for _, s := range ss {
		b.WriteString(s)
		b.WriteByte(0)
	}
	return b.Bytes()
}

func genCmdline(n *node) ([]byte, error) { return nulJoin(n.pr.p.Argv()), nil }

func genEnviron(n *node) ([]byte, error) { return nulJoin(n.pr.p.Environ()), nil }

func genComm(n *node) ([]byte, error) { return []byte(comm(n.pr.p) + "\n"), nil }

// taskCommLen is TASK_COMM_LEN less its NUL.
const taskCommLen = 15

// Namer is optionally implemented by a Process that keeps its name
// (Linux's task comm: set by exec and PR_SET_NAME).
type Namer interface {
	Comm() string
}

// comm returns p's command name: its own when it keeps one, else the
// executable's base name (argv[0]'s when unknown), cut to 15 bytes as
// Linux's task comm.
func comm(p Process) string {
	if n, ok := p.(Namer); ok {
		if c := n.Comm(); c != "" {
			return c
		}
	}
	name, _ := p.Exe()
	if name == "" {
		if argv := p.Argv(); len(argv) > 0 {
			name = argv[0]
		}
	}
	name = strings.TrimSuffix(name, " (deleted)")
	if name != "" {
		name = path.Base(name)
	}
	if len(name) > taskCommLen {
		name = name[:taskCommLen]
	}
	return name
}

// guestIDs maps host thread ids of guest leaders to their guest pids, to
// translate the process group and session ids the host reports. An id
// outside the guest is 0, as Linux shows ids outside a pid namespace.
func (fs *FS) guestIDs() func(host int) int {
	ids := make(map[int]int)
	for _, p := range fs.src.Processes() {
		ids[p.HostTID()] = p.PID()
	}
	return func(host int) int {
		if host < 0 {
			return host
		}
		return ids[host]
	}
}

// statFields returns the fields of a stat line after "(comm)": field 3
// (state) first.
func statFields(b []byte) []string {
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(s[i+1:])
}

// genStat is /proc/<pid>/stat: the host's line with the guest's ids and
// comm.
func genStat(n *node) ([]byte, error) {
	b, err := readHost(hostProc(n.pr.hostTID, "stat"))
	if err != nil {
		return nil, err
	}
	b, err = rewriteStat(b, n.pr.tid, n.pr.p.PPID(), comm(n.pr.p), n.fs.guestIDs())
	if err == nil && n.running {
		// The state follows "pid (comm) ".
		if i := bytes.LastIndexByte(b, ')'); i >= 0 && i+2 < len(b) {
			b[i+2] = 'R'
		}
	}
	return b, err
}

// rewriteStat puts pid, comm and ppid in fields 1, 2 and 4 of a host stat
// line, and translates pgrp, session and tpgid (5, 6 and 8) with ids.
func rewriteStat(b []byte, pid, ppid int, comm string, ids func(int) int) ([]byte, error) {
	f := statFields(b)
	if len(f) < 6 {
		return nil, unix.EIO
	}
	f[1] = strconv.Itoa(ppid)
	for _, i := range []int{2, 3, 5} {
		if v, err := strconv.Atoi(f[i]); err == nil {
			f[i] = strconv.Itoa(ids(v))
		}
	}
	return []byte(strconv.Itoa(pid) + " (" + comm + ") " + strings.Join(f, " ") + "\n"), nil
}

// genStatus is /proc/<pid>/status: the host's with the guest's ids.
func genStatus(n *node) ([]byte, error) {
	b, err := readHost(hostProc(n.pr.hostTID, "status"))
	if err != nil {
		return nil, err
	}
	b = rewriteStatus(b, n.pr.p.PID(), n.pr.tid, n.pr.p.PPID(), comm(n.pr.p), n.fs.guestIDs())
	if n.running {
		b = replaceLine(b, "State:", "State:\tR (running)\n")
	}
	if id, ok := n.pr.p.(Identified); ok {
		b = rewriteIdentity(b, id.Identity())
	}
	return b, nil
}

// replaceLine replaces the line of b that starts with prefix by line.
func replaceLine(b []byte, prefix, line string) []byte {
	i := bytes.Index(b, []byte("\n"+prefix))
	start := i + 1
	if bytes.HasPrefix(b, []byte(prefix)) {
		start = 0
	} else if i < 0 {
		return b
	}
	end := bytes.IndexByte(b[start:], '\n')
	if end < 0 {
		end = len(b) - start - 1
	}
	out := append([]byte(nil), b[:start]...)
	out = append(out, line...)
	return append(out, b[start+end+1:]...)
}

// Identity is a process's credentials as status shows them.
type Identity struct {
	UIDs, GIDs [4]uint32 // real, effective, saved, filesystem
	Groups     []uint32
	// Caps are the inheritable, permitted, effective, bounding and
	// ambient sets.
	Caps [5]uint64
	// NoNewPrivs is prctl's no_new_privs.
	NoNewPrivs bool
	// Umask is the process's file creation mask.
	Umask uint32
}

// Identified is implemented by processes whose credentials are not the
// host process's (the sentry's virtual ones).
type Identified interface {
	Identity() Identity
}

// rewriteIdentity replaces the credential lines of a status.
func rewriteIdentity(b []byte, id Identity) []byte {
	ids := func(v [4]uint32) string {
		return fmt.Sprintf("%d\t%d\t%d\t%d", v[0], v[1], v[2], v[3])
	}
	lines := strings.SplitAfter(string(b), "\n")
	var out strings.Builder
	for _, line := range lines {
		key, _, ok := strings.Cut(line, ":")
		repl := ""
		switch {
		case !ok:
		case key == "Uid":
			repl = ids(id.UIDs)
		case key == "Gid":
			repl = ids(id.GIDs)
		case key == "Groups":
			g := make([]string, len(id.Groups))
			for i, x := range id.Groups {
				g[i] = strconv.FormatUint(uint64(x), 10)
			}
			repl = strings.Join(g, " ") + " "
		case key == "CapInh":
			repl = fmt.Sprintf("%016x", id.Caps[0])
		case key == "CapPrm":
			repl = fmt.Sprintf("%016x", id.Caps[1])
		case key == "CapEff":
			repl = fmt.Sprintf("%016x", id.Caps[2])
		case key == "CapBnd":
			repl = fmt.Sprintf("%016x", id.Caps[3])
		case key == "CapAmb":
			repl = fmt.Sprintf("%016x", id.Caps[4])
		case key == "Umask":
			repl = fmt.Sprintf("%04o", id.Umask)
		case key == "NoNewPrivs":
			repl = "0"
			if id.NoNewPrivs {
				repl = "1"
			}
		case key == "Seccomp":
			repl = "0"
		case key == "Seccomp_filters":
			repl = "0"
		}
		if repl == "" {
			out.WriteString(line)
			continue
		}
		out.WriteString(key + ":\t" + repl + "\n")
	}
	return []byte(out.String())
}

// rewriteStatus replaces the lines of a host status that name processes:
// the guest's own ids, no tracer (the host's is vkernel), and process
// group and session through ids.
func rewriteStatus(b []byte, tgid, tid, ppid int, comm string, ids func(int) int) []byte {
	lines := strings.SplitAfter(string(b), "\n")
	var out strings.Builder
	for _, line := range lines {
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			out.WriteString(line)
			continue
		}
		var repl string
		switch key {
		case "Name":
			repl = comm
		case "Tgid", "NStgid":
			repl = strconv.Itoa(tgid)
		case "Pid", "NSpid":
			repl = strconv.Itoa(tid)
		case "PPid":
			repl = strconv.Itoa(ppid)
		case "TracerPid", "Ngid":
			repl = "0"
		case "NSpgid", "NSsid":
			f := strings.Fields(val)
			v := 0
			if len(f) > 0 {
				v, _ = strconv.Atoi(f[len(f)-1])
			}
			repl = strconv.Itoa(ids(v))
		default:
			out.WriteString(line)
			continue
		}
		out.WriteString(key + ":\t" + repl + "\n")
	}
	return []byte(out.String())
}

// magicLink is exe, cwd or root: a link that jumps to a position in the
// tree (vfs.MagicLink) and reads as that position's path.
type magicLink struct {
	node
	// get returns where the link leads and, for a target not in the tree,
	// the text to show. Immutable.
	get func(p Process) (vfs.VirtualDentry, string)
}

var (
	_ vfs.MagicLink         = (*magicLink)(nil)
	_ vfs.ContextReadlinker = (*magicLink)(nil)
)

// magic returns the make function of a magicLink.
func magic(get func(Process) (vfs.VirtualDentry, string)) func(node) vfs.Vnode {
	return func(n node) vfs.Vnode { return &magicLink{node: n, get: get} }
}

// Target implements vfs.MagicLink: the position, with a reference for the
// walk. The process may move its cwd meanwhile: a position already gone
// is ENOENT.
func (l *magicLink) Target(ctx *vfs.Context) (vfs.VirtualDentry, error) {
	if err := l.pr.check(); err != nil {
		return vfs.VirtualDentry{}, err
	}
	if err := l.pr.mayTrace(ctx); err != nil {
		return vfs.VirtualDentry{}, err
	}
	vd, _ := l.get(l.pr.p)
	if !vd.Ok() || !vd.TryIncRef() {
		return vfs.VirtualDentry{}, unix.ENOENT
	}
	return vd, nil
}

// ReadlinkFor implements vfs.ContextReadlinker: the target's path as the
// caller sees it from its root.
func (l *magicLink) ReadlinkFor(ctx *vfs.Context) (string, error) {
	if err := l.pr.check(); err != nil {
		return "", err
	}
	if err := l.pr.mayTrace(ctx); err != nil {
		return "", err
	}
	p := l.pr.p
	vd, text := l.get(p)
	if vd.Ok() {
		path, _ := l.fs.v.PathOf(l.fs.callerRoot(ctx, p.Root()), vd)
		return path, nil
	}
	if text == "" {
		return "", unix.ENOENT
	}
	return text, nil
}

// Readlink implements vfs.Vnode.Readlink, from the process's own root.
func (l *magicLink) Readlink() (string, error) { return l.ReadlinkFor(nil) }

// Open implements vfs.Vnode.Open.
func (l *magicLink) Open(flags int) (vfs.FileImpl, error) { return openLink(flags) }
