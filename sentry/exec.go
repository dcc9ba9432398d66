package sentry

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

// ExecPlan is what an execve becomes once the sentry has resolved it
// through the guest's VFS: the host executes File (by descriptor) with
// Argv and Envp.
type ExecPlan struct {
	// File is what the host runs: the program, or, in command mode, the
	// ELF interpreter that will load it.
	File *vfs.File
	// Interp is a dynamic program's ELF interpreter as the guest's tree
	// resolves InterpPath, its PT_INTERP: the host's exec of File loads
	// the file found at InterpPath in the guest's host-level mount
	// namespace, where vkernel places Interp for the exec. nil for a
	// static program and in command mode.
	Interp     *vfs.File
	InterpPath string
	// loader is the command-mode form of a dynamic program's exec, for
	// where Interp cannot be placed (CommandMode).
	loader *loaderPlan
	// Argv and Envp are given to File.
	Argv, Envp []string
	// Exe is the guest path of the program (what /proc/self/exe shows),
	// ExeVD its position, referenced until Release.
	Exe   string
	ExeVD vfs.VirtualDentry
	// GuestArgv is the program's argv as the guest sees it (#! expanded),
	// for /proc/self/cmdline.
	GuestArgv []string
	// ExecFn is the file name as the guest passed it, which AT_EXECFN
	// shows ("/dev/fd/N/name" for execveat relative to a descriptor).
	ExecFn string
	// Comm is the task's name after the exec.
	Comm string
	// Prog is the program file a loader in command mode is given by name
	// (Argv[ProgArg]); nil when the program is executed itself.
	Prog    *vfs.File
	ProgArg int
	// Secure says the exec is a privileged one (secureexec): Envp has
	// lost the variables a loader must not honour then, and the loader is
	// given Prog as an open descriptor, so that no rename between the
	// sentry's check and the loader's open can swap it.
	Secure bool
	// ProgByFD says the loader is given Prog as an open descriptor for
	// another reason: Prog is a descriptor of the guest's that closes at
	// the exec (fexecve of a close-on-exec memfd), which leaves no name to
	// open. Prog is then no file of the tree, and the table does not name
	// the descriptor the program keeps.
	ProgByFD bool
	// Unreadable says the task may not read the program (an
	// execute-only file): the exec must not leave it a descriptor another
	// task could read from (UnreadableExposed).
	Unreadable bool
	// Mode, UID and GID are the program file's; NoSuid is its mount's
	// nosuid: exec honours setuid and setgid bits virtually with them.
	Mode, UID, GID uint32
	NoSuid         bool
}

// Release drops the plan's file and position.
func (p *ExecPlan) Release() {
	if p == nil {
		return
	}
	if p.File != nil {
		p.File.DecRef()
		p.File = nil
	}
	for _, f := range []**vfs.File{&p.Prog, &p.Interp} {
		if *f != nil {
			(*f).DecRef()
			*f = nil
		}
	}
	if p.ExeVD.Ok() {
		p.ExeVD.DecRef()
		p.ExeVD = vfs.VirtualDentry{}
	}
}

// Limits of exec.
const (
	maxArgs         = 1 << 17 // argv + envp entries
	maxArgBytes     = 2 << 20
	maxInterpreters = 4   // nested #! (Linux allows 4 levels)
	binprmBufSize   = 256 // bytes of a #! line Linux reads
)

// PrepareExec resolves an execve or execveat: the program, #!
// interpreters and the ELF interpreter, each through the guest's VFS.
//
// fetch, when set, gives the sentry a duplicate of a guest descriptor that
// is not in the table (for an execveat of it: fexecve of a memfd).
func (k *Kernel) PrepareExec(t *Task, mem Memory, nr uintptr, args [6]uint64, fetch func(fd int) (int, error)) (*ExecPlan, error) {
	dirfd, pathAddr, argvAddr, envpAddr, at := int32(unix.AT_FDCWD), args[0], args[1], args[2], uint64(0)
	if nr == unix.SYS_EXECVEAT {
		dirfd, pathAddr, argvAddr, envpAddr, at = int32(args[0]), args[1], args[2], args[3], args[4]
	}
	if at&^(unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW) != 0 {
		return nil, unix.EINVAL
	}
	path, err := mem.ReadString(pathAddr, unix.PathMax-1)
	if err != nil {
		return nil, err
	}
	argv, err := readStrings(mem, argvAddr)
	if err != nil {
		return nil, err
	}
	envp, err := readStrings(mem, envpAddr)
	if err != nil {
		return nil, err
	}
	var refs vdRefs
	defer refs.release()
	ctx := t.Context(&refs)
	var vd vfs.VirtualDentry
	if path == "" && at&unix.AT_EMPTY_PATH != 0 && dirfd != unix.AT_FDCWD {
		f, ok := t.FDs().Get(int(dirfd))
		if !ok {
			if fetch == nil || dirfd < 0 {
				return nil, unix.EBADF
			}
			h, err := fetch(int(dirfd))
			if err != nil {
				return nil, unix.EBADF
			}
			if len(argv) == 0 {
				argv = []string{""}
			}
			p, err := k.planHostFD(ctx, &refs, h, int(dirfd), guestCloexec(t.TID(), int(dirfd)), argv, envp)
			if p != nil {
				p.ExecFn = "/dev/fd/" + strconv.Itoa(int(dirfd))
				p.Secure = t.Creds.wouldBeSecure(p.Mode, p.UID, p.GID, p.NoSuid)
			}
			return p, err
		}
		f.VD.IncRef()
		vd = refs.hold(f.VD)
		f.DecRef()
	} else {
		if path == "" {
			return nil, unix.ENOENT
		}
		start := ctx.Cwd
		if dirfd != unix.AT_FDCWD && !strings.HasPrefix(path, "/") {
			f, ok := t.FDs().Get(int(dirfd))
			if !ok {
				return nil, unix.EBADF
			}
			f.VD.IncRef()
			start = refs.hold(f.VD)
			f.DecRef()
		}
		flags := vfs.FollowFinal
		if at&unix.AT_SYMLINK_NOFOLLOW != 0 {
			flags = 0
		}
		vd, err = k.VFS.Walk(ctx, start, path, flags)
		if err != nil {
			return nil, err
		}
		refs.hold(vd)
	}
	if len(argv) == 0 {
		// Linux gives the program an argv of "" then.
		argv = []string{""}
	}
	execfn := path
	if dirfd != unix.AT_FDCWD && !strings.HasPrefix(path, "/") {
		execfn = "/dev/fd/" + strconv.Itoa(int(dirfd))
		if path != "" {
			execfn += "/" + path
		}
	}
	name, inaccessible := path, false
	if execfn != path {
		// Relative to a descriptor: the loader opens the program by the
		// same /dev/fd name (so that AT_EXECFN, which it sets to that name,
		// is Linux's), unless the descriptor closes at exec: then by its
		// absolute path.
		name = execfn
		if guestCloexec(t.TID(), int(dirfd)) {
			name, inaccessible = "", true
		}
	}
	p, err := k.planExec(ctx, &refs, vd, name, inaccessible, argv, envp, 0)
	if p != nil {
		p.Secure = t.Creds.wouldBeSecure(p.Mode, p.UID, p.GID, p.NoSuid)
		p.Unreadable = p.ExeVD.Ok() && k.VFS.Access(ctx, p.ExeVD, unix.R_OK) != nil
		p.ExecFn = execfn
		if at&unix.AT_EMPTY_PATH != 0 && path == "" {
			execfn = ""
		}
		exe, _ := k.VFS.PathOf(ctx.Root, vd)
		p.Comm = execComm(execfn, exe)
	}
	return p, err
}

// planExec plans the exec of vd, named path, with argv; depth counts #!
// levels. inaccessible says the file has no name its interpreter could
// open after the exec (Linux's BINPRM_FLAGS_PATH_INACCESSIBLE: execveat
// relative to a close-on-exec descriptor), which a #! script needs. The
// positions it walks to are held by refs.
func (k *Kernel) planExec(ctx *vfs.Context, refs *vdRefs, vd vfs.VirtualDentry, path string, inaccessible bool, argv, envp []string, depth int) (*ExecPlan, error) {
	f, err := k.openExecutable(ctx, vd)
	if err != nil {
		return nil, err
	}
	exe, _ := k.VFS.PathOf(ctx.Root, vd)
	hdr := make([]byte, binprmBufSize)
	n, _ := unix.Pread(f.HostFD(), hdr, 0)
	hdr = hdr[:n]
	switch {
	case bytes.HasPrefix(hdr, []byte("#!")):
		f.DecRef()
		if inaccessible {
			return nil, unix.ENOENT
		}
		script := path
		if script == "" {
			script = exe
		}
		return k.planScript(ctx, refs, hdr, script, argv, envp, depth)
	case bytes.HasPrefix(hdr, []byte(elf.ELFMAG)):
		interp, err := elfInterp(f.HostFD(), hdr)
		if err != nil {
			f.DecRef()
			return nil, err
		}
		a, _, err := k.VFS.Stat(vd)
		if err != nil {
			f.DecRef()
			return nil, err
		}
		vd.IncRef() // the plan's, dropped by Release
		plan := &ExecPlan{File: f, Argv: argv, Envp: envp, Exe: exe, ExeVD: vd, GuestArgv: argv,
			Mode: a.Mode, UID: a.UID, GID: a.GID, NoSuid: vd.Mount.Flags()&unix.MS_NOSUID != 0}
		if interp == "" {
			return plan, nil
		}
		// A dynamic program: the host executes it, loading the interpreter
		// the guest's tree names (placed for the exec), or, where that
		// cannot be, runs the interpreter in command mode.
		ivd, err := k.VFS.Walk(ctx, ctx.Root, interp, vfs.FollowFinal)
		if err != nil {
			plan.Release()
			if err == unix.ENOENT {
				return nil, unix.ENOENT
			}
			return nil, err
		}
		refs.hold(ivd)
		ifile, err := k.openExecutable(ctx, ivd)
		if err != nil {
			plan.Release()
			return nil, err
		}
		plan.Interp, plan.InterpPath = ifile, interp
		// In command mode the loader opens the program by this name,
		// relative to the cwd as execve's was; without a slash it would
		// search library paths.
		prog := path
		if prog == "" {
			prog = exe
		} else if !strings.Contains(prog, "/") {
			prog = "./" + prog
		}
		plan.loader = &loaderPlan{argv: append([]string{interp, "--argv0", argv[0], prog}, argv[1:]...), keepProg: true}
		return plan, nil
	}
	f.DecRef()
	return nil, unix.ENOEXEC
}

// planScript plans the exec of a #! script whose first bytes are hdr,
// named script for its interpreter, at #! level depth: the interpreter is
// walked in the guest (relative to the cwd if relative) and run as
// `interp [arg] script args...`, up to maxInterpreters levels (ELOOP).
func (k *Kernel) planScript(ctx *vfs.Context, refs *vdRefs, hdr []byte, script string, argv, envp []string, depth int) (*ExecPlan, error) {
	if depth >= maxInterpreters {
		return nil, unix.ELOOP
	}
	interp, arg, err := parseShebang(hdr)
	if err != nil {
		return nil, err
	}
	ivd, err := k.VFS.Walk(ctx, ctx.Cwd, interp, vfs.FollowFinal)
	if err != nil {
		return nil, err
	}
	refs.hold(ivd)
	nargv := []string{interp}
	if arg != "" {
		nargv = append(nargv, arg)
	}
	nargv = append(append(nargv, script), argv[1:]...)
	return k.planExec(ctx, refs, ivd, interp, false, nargv, envp, depth+1)
}

// openExecutable checks that vd may be executed and opens it for the
// sentry to read. Execute permission is the task's to have; read
// permission is not needed (Linux's exec reads the file itself, so a
// 0711 program runs), and the file is opened with the sentry's.
func (k *Kernel) openExecutable(ctx *vfs.Context, vd vfs.VirtualDentry) (*vfs.File, error) {
	a, _, err := k.VFS.Stat(vd)
	if err != nil {
		return nil, err
	}
	switch a.Type() {
	case unix.S_IFREG:
	case unix.S_IFLNK:
		// Not followed: AT_SYMLINK_NOFOLLOW (open_exec's O_NOFOLLOW).
		return nil, unix.ELOOP
	default:
		return nil, unix.EACCES
	}
	if vd.Mount.Flags()&unix.MS_NOEXEC != 0 {
		return nil, unix.EACCES
	}
	if err := k.VFS.Access(ctx, vd, unix.X_OK); err != nil {
		return nil, err
	}
	return k.VFS.OpenAt(&vfs.Context{Root: ctx.Root, Cwd: ctx.Cwd}, vd, unix.O_RDONLY)
}

// parseShebang reads "#!interp [arg]" as Linux does: one optional
// argument, the rest of the line included, trailing blanks dropped.
func parseShebang(hdr []byte) (interp, arg string, err error) {
	line := hdr[2:]
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	s := strings.Trim(string(line), " \t")
	if s == "" {
		return "", "", unix.ENOEXEC
	}
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		return s[:i], strings.Trim(s[i:], " \t"), nil
	}
	return s, "", nil
}

// elfInterp checks an x86-64 ELF header and returns its PT_INTERP, if any.
func elfInterp(fd int, hdr []byte) (string, error) {
	if len(hdr) < 64 || hdr[elf.EI_CLASS] != byte(elf.ELFCLASS64) || hdr[elf.EI_DATA] != byte(elf.ELFDATA2LSB) {
		return "", unix.ENOEXEC
	}
	le := binary.LittleEndian
	if elf.Machine(le.Uint16(hdr[18:])) != elf.EM_X86_64 {
		return "", unix.ENOEXEC
	}
	typ := elf.Type(le.Uint16(hdr[16:]))
	if typ != elf.ET_EXEC && typ != elf.ET_DYN {
		return "", unix.ENOEXEC
	}
	phoff, phentsize, phnum := le.Uint64(hdr[32:]), int(le.Uint16(hdr[54:])), int(le.Uint16(hdr[56:]))
	if phentsize < 56 || phnum > 1024 {
		return "", unix.ENOEXEC
	}
	ph := make([]byte, phentsize*phnum)
	if n, err := unix.Pread(fd, ph, int64(phoff)); err != nil || n != len(ph) {
		return "", unix.ENOEXEC
	}
	for i := 0; i < phnum; i++ {
		p := ph[i*phentsize:]
		if elf.ProgType(le.Uint32(p)) != elf.PT_INTERP {
			continue
		}
		off, size := le.Uint64(p[8:]), le.Uint64(p[32:])
		if size < 2 || size > unix.PathMax {
			return "", unix.ENOEXEC
		}
		b := make([]byte, size)
		if n, err := unix.Pread(fd, b, int64(off)); err != nil || n != len(b) {
			return "", unix.ENOEXEC
		}
		return string(bytes.TrimRight(b, "\x00")), nil
	}
	return "", nil
}

// readStrings reads a NULL-terminated array of string pointers.
func readStrings(mem Memory, addr uint64) ([]string, error) {
	if addr == 0 {
		return nil, nil
	}
	var out []string
	total := 0
	var word [8]byte
	for i := 0; ; i++ {
		if i >= maxArgs {
			return nil, unix.E2BIG
		}
		if err := mem.CopyIn(addr+uint64(8*i), word[:]); err != nil {
			return nil, err
		}
		p := binary.LittleEndian.Uint64(word[:])
		if p == 0 {
			return out, nil
		}
		s, err := mem.ReadString(p, maxArgBytes)
		if err == unix.ENAMETOOLONG {
			return nil, unix.E2BIG
		}
		if err != nil {
			return nil, err
		}
		total += len(s) + 1
		if total > maxArgBytes {
			return nil, unix.E2BIG
		}
		out = append(out, s)
	}
}

// ExecDone records that t now runs the image plan describes: the
// descriptors the kernel closed at exec (close-on-exec) are gone and the
// table is the process's own.
//
// It reports whether the exec is a secure one (Linux's secureexec: a
// set-id exec, or one that gives capabilities to a non-root real user),
// which the new image must be told through AT_SECURE.
func (k *Kernel) ExecDone(t *Task, p *ExecPlan) (secure bool) {
	// Before the exec's own unsharing: is the context shared with another
	// process?
	share := t.sharesFSWithOthers()
	t.unshareFDs()
	t.FDs().DropClosed(t.TID())
	t.unshareFS()
	var loaderHost string
	if p.Interp != nil {
		loaderHost, _ = os.Readlink("/proc/self/fd/" + strconv.Itoa(p.Interp.HostFD()))
	}
	t.TG.setExec(p.Exe, p.ExeVD, p.GuestArgv, p.Envp, p.InterpPath, loaderHost)
	t.SetComm(p.Comm)
	// would_dump: a program the task may not read leaves it undumpable.
	unreadable := false
	if p.ExeVD.Ok() {
		var refs vdRefs
		unreadable = k.VFS.Access(t.Context(&refs), p.ExeVD, unix.R_OK) != nil
		refs.release()
	}
	t.Creds.mu.Lock()
	secure = t.Creds.execLocked(p.Mode, p.UID, p.GID, p.NoSuid, share)
	idChanged := t.Creds.EUID != t.Creds.RUID || t.Creds.EGID != t.Creds.RGID
	t.Creds.mu.Unlock()
	// begin_new_exec: dumpable unless the ids differ after the exec or
	// the file was unreadable (suid_dumpable is 0: not dumpable).
	t.TG.undumpable.Store(unreadable || idChanged)
	k.TraceExec(t, unix.SYS_EXECVE, [6]uint64{}, p, nil)
	return secure
}

// CanExec reports why the guest program at path (walked from ctx's root)
// could not be executed, or nil when it could: the checks an execve of it
// would make, with nothing run. vkernel boot uses it to pass over an init
// candidate that exists but cannot run, as Linux's kernel_init does.
func (k *Kernel) CanExec(ctx *vfs.Context, path string) error {
	var refs vdRefs
	defer refs.release()
	vd, err := k.VFS.Walk(ctx, ctx.Root, path, vfs.FollowFinal)
	if err != nil {
		return err
	}
	refs.hold(vd)
	p, err := k.planExec(ctx, &refs, vd, path, false, []string{path}, nil, 0)
	if p != nil {
		p.Release()
	}
	return err
}

// MissingInterpreter reports the #! interpreter of the script at path
// (walked from cwd) when the script exists and its interpreter does not:
// for a message that names it, as shells' "bad interpreter" does.
func (k *Kernel) MissingInterpreter(ctx *vfs.Context, cwd vfs.VirtualDentry, path string) (string, bool) {
	vd, err := k.VFS.Walk(ctx, cwd, path, vfs.FollowFinal)
	if err != nil {
		return "", false
	}
	defer vd.DecRef()
	if a, _, err := k.VFS.Stat(vd); err != nil || a.Type() != unix.S_IFREG {
		return "", false // a fifo or a device is not opened here
	}
	f, err := k.VFS.OpenAt(ctx, vd, unix.O_RDONLY|unix.O_NONBLOCK)
	if err != nil {
		return "", false
	}
	hdr := make([]byte, binprmBufSize)
	n, _ := unix.Pread(f.HostFD(), hdr, 0)
	f.DecRef()
	if !bytes.HasPrefix(hdr[:n], []byte("#!")) {
		return "", false
	}
	interp, _, err := parseShebang(hdr[:n])
	if err != nil {
		return "", false
	}
	ivd, err := k.VFS.Walk(ctx, cwd, interp, vfs.FollowFinal)
	if err != nil {
		return interp, err == unix.ENOENT
	}
	ivd.DecRef()
	return "", false
}

// UnreadableExposed reports whether carrying out plan p for task t would
// let a task read a program it may only execute: the host executes the
// program from a descriptor installed in the guest, which a sibling
// thread or a process sharing the table could read from before the exec
// replaces the table, and in command mode the loader opens it by name or
// is given it by descriptor. Linux reads such a program only inside the
// kernel; the sentry then refuses the exec (EACCES), which Linux would
// not for a single-threaded caller.
func (p *ExecPlan) UnreadableExposed(t *Task) bool {
	return p.Unreadable && (p.Interp == nil && p.Prog != nil || t.FDs().Shared())
}
