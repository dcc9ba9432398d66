package sentry

import (
	"bytes"
	"debug/elf"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

// planHostFD plans an execveat(fd, "", AT_EMPTY_PATH) of a descriptor the
// guest made itself or was given (a memfd: fexecve), which is no position
// in the guest's tree: the file is checked and read through h, the
// sentry's duplicate of it (taken over). A static program is executed by
// the descriptor itself. A dynamic program's loader and a #! script's
// interpreter need a name for it that lives through the exec:
// /dev/fd/N, which Linux gives a script too. A close-on-exec descriptor has
// none after the exec: a script is then ENOENT, as Linux; a dynamic
// program's loader is given a descriptor of its own that stays open
// (ProgByFD: Linux's kernel maps the program itself, and its loader needs
// no name), which the program keeps.
func (k *Kernel) planHostFD(ctx *vfs.Context, refs *vdRefs, h, fd int, cloexec bool, argv, envp []string) (*ExecPlan, error) {
	keep := false
	defer func() {
		if !keep {
			unix.Close(h)
		}
	}()
	var st unix.Stat_t
	if err := unix.Fstat(h, &st); err != nil {
		return nil, unix.EBADF
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, unix.EACCES
	}
	attr := vfs.Attr{Mode: st.Mode, UID: st.Uid, GID: st.Gid}
	if err := vfs.MayExec(ctx.Cred, &attr); err != nil {
		return nil, err
	}
	hdr := make([]byte, binprmBufSize)
	n, _ := unix.Pread(h, hdr, 0)
	hdr = hdr[:n]
	name := "/dev/fd/" + strconv.Itoa(fd)
	switch {
	case bytes.HasPrefix(hdr, []byte("#!")):
		if cloexec {
			return nil, unix.ENOENT
		}
		return k.planScript(ctx, refs, hdr, name, argv, envp, 0)
	case bytes.HasPrefix(hdr, []byte(elf.ELFMAG)):
		interp, err := elfInterp(h, hdr)
		if err != nil {
			return nil, err
		}
		exe, comm := hostExeName(h)
		// Set-id bits are not honoured: the host file's owner is the
		// host's (a memfd's is the guest's root), not a guest identity.
		plan := &ExecPlan{Argv: argv, Envp: envp, Exe: exe, Comm: comm, GuestArgv: argv,
			Mode: st.Mode, UID: st.Uid, GID: st.Gid, NoSuid: true}
		if interp == "" {
			keep = true
			plan.File = vfs.NewFileAt(ctx.Root, unix.O_RDONLY, hostFD(h))
			return plan, nil
		}
		ivd, err := k.VFS.Walk(ctx, ctx.Root, interp, vfs.FollowFinal)
		if err != nil {
			return nil, err
		}
		refs.hold(ivd)
		if plan.Interp, err = k.openExecutable(ctx, ivd); err != nil {
			return nil, err
		}
		keep = true
		plan.File, plan.InterpPath = vfs.NewFileAt(ctx.Root, unix.O_RDONLY, hostFD(h)), interp
		// In command mode a descriptor that stays open is named; one that
		// closes at the exec is given to the loader as a descriptor of its
		// own.
		plan.loader = &loaderPlan{argv: append([]string{interp, "--argv0", argv[0], name}, argv[1:]...),
			keepProg: cloexec, progByFD: cloexec}
		return plan, nil
	}
	return nil, unix.ENOEXEC
}

// hostExeName returns what /proc/self/exe shows for a program run from a
// descriptor with no place in the tree: a memfd's own name
// ("/memfd:NAME (deleted)"), else nothing (a host path would tell the
// guest about the host); and its comm, the file's name (Linux 6.18 names
// an AT_EMPTY_PATH exec by the dentry).
func hostExeName(h int) (exe, comm string) {
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlink("/proc/self/fd/"+strconv.Itoa(h), buf)
	if err != nil {
		return "", ""
	}
	target := string(buf[:n])
	comm = execComm(target, "")
	if strings.HasPrefix(target, "/memfd:") {
		return target, comm
	}
	return "", comm
}

// guestCloexec reports whether guest thread tid's descriptor fd closes at
// exec (the flags line of its fdinfo): the kernel keeps the flag.
func guestCloexec(tid, fd int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(tid) + "/fdinfo/" + strconv.Itoa(fd))
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "flags:"); ok {
			flags, err := strconv.ParseUint(strings.TrimSpace(v), 8, 64)
			return err == nil && flags&unix.O_CLOEXEC != 0
		}
	}
	return false
}

// hostFD is a host descriptor as a vfs.FileImpl.
type hostFD int

func (f hostFD) HostFD() int  { return int(f) }
func (f hostFD) Close() error { return unix.Close(int(f)) }
