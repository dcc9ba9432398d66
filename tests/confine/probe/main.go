// Command probe is the guest side of the confinement tests (package
// tests/confine). It is built statically (CGO_ENABLED=0) and run inside a
// vkernel guest; each argument is one operation, its fields separated by
// single spaces, and each operation prints exactly one line:
//
//	OP ARGS: ok[ DETAIL]
//	OP ARGS: ERRNO-NAME
//
// so that the test can assert on what the guest could and could not do. A
// handful of operations (exec, seccomp-exec) replace the process and print
// nothing of their own when they succeed; "race" prints a summary line.
//
// Operations (PATH is a guest path):
//
//	read PATH                   open O_RDONLY, read; DETAIL is the content, %q
//	stat PATH / lstat PATH      DETAIL is "mode=%o size=%d"
//	readlink PATH               DETAIL is the target
//	ls PATH                     DETAIL is the sorted names, comma-separated
//	open PATH FLAGS             FLAGS: wronly,rdwr,creat,trunc,append,excl,dir,path
//	openat DIR REL              openat(open(DIR, O_RDONLY|O_DIRECTORY), REL), read
//	openat2 DIR REL RESOLVE     RESOLVE: none or beneath,inroot,nosymlinks,nomagiclinks,noxdev
//	fdpath DIR REL              read /proc/self/fd/N/REL, N an O_RDONLY fd on DIR
//	creat PATH | truncate PATH | mkdir PATH | rmdir PATH | unlink PATH
//	mknod-blk PATH | mknod-chr PATH | mkfifo PATH
//	rename FROM TO | link FROM TO | symlink TARGET LINK
//	chmod PATH | chown PATH | utimes PATH | setxattr PATH | removexattr PATH
//	fsetflags PATH              ioctl(FS_IOC_SETFLAGS, flags|NODUMP) on an O_RDONLY fd
//	writefd PATH                open O_RDONLY, then write(2) to the descriptor
//	iouring                     io_uring_setup
//	ptrace PID | vmread PID     PTRACE_ATTACH / process_vm_readv on PID
//	kill PID SIG                kill(2)
//	seccomp-listener PATH       install a filter with its own listener that
//	                            sends openat to it, answer CONTINUE, read PATH
//	seccomp-exec PATH           install a filter returning RET_TRACE|0 for
//	                            execve, then execve(PATH)
//	exec PATH [ARGS...]         execve(PATH, [PATH ARGS...]), "+" in ARGS for a space
//	race PATH SECONDS           read PATH in a loop; "ok N reads, contents: ..."
//	pids                        the numeric names in /proc, comma-separated
//	ignore-term                 ignore SIGTERM from now on
//	echo WORDS                  print WORDS (a marker)
package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

func main() {
	for _, op := range os.Args[1:] {
		fmt.Printf("%s: %s\n", op, run(strings.Fields(op)))
	}
}

// result formats an outcome.
func result(detail string, err error) string {
	if err != nil {
		return errName(err)
	}
	if detail == "" {
		return "ok"
	}
	return "ok " + detail
}

func errName(err error) string {
	var e syscall.Errno
	if errors.As(err, &e) {
		if n := unix.ErrnoName(e); n != "" {
			return n
		}
		return fmt.Sprintf("errno%d", int(e))
	}
	return "error " + strings.ReplaceAll(err.Error(), "\n", " ")
}

func readFD(fd int) (string, error) {
	buf := make([]byte, 4096)
	n, err := unix.Read(fd, buf)
	if err != nil {
		return "", err
	}
	return strconv.Quote(string(buf[:n])), nil
}

func readPath(path string) (string, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", err
	}
	defer unix.Close(fd)
	return readFD(fd)
}

func openDir(path string) (int, error) {
	return unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
}

var openFlags = map[string]int{
	"rdonly": unix.O_RDONLY, "wronly": unix.O_WRONLY, "rdwr": unix.O_RDWR,
	"creat": unix.O_CREAT, "trunc": unix.O_TRUNC, "append": unix.O_APPEND,
	"excl": unix.O_EXCL, "dir": unix.O_DIRECTORY, "path": unix.O_PATH,
	"nofollow": unix.O_NOFOLLOW,
}

var resolveFlags = map[string]uint64{
	"none": 0, "beneath": unix.RESOLVE_BENEATH, "inroot": unix.RESOLVE_IN_ROOT,
	"nosymlinks": unix.RESOLVE_NO_SYMLINKS, "nomagiclinks": unix.RESOLVE_NO_MAGICLINKS,
	"noxdev": unix.RESOLVE_NO_XDEV,
}

func run(f []string) string {
	if len(f) == 0 {
		return "error empty op"
	}
	arg := func(i int) string {
		if i < len(f) {
			return f[i]
		}
		return ""
	}
	switch f[0] {
	case "echo":
		return strings.Join(f[1:], " ")
	case "read":
		return result(readPath(arg(1)))
	case "stat", "lstat":
		var st unix.Stat_t
		var err error
		if f[0] == "stat" {
			err = unix.Stat(arg(1), &st)
		} else {
			err = unix.Lstat(arg(1), &st)
		}
		return result(fmt.Sprintf("mode=%o size=%d", st.Mode, st.Size), err)
	case "readlink":
		buf := make([]byte, 4096)
		n, err := unix.Readlink(arg(1), buf)
		if err != nil {
			return errName(err)
		}
		return "ok " + string(buf[:n])
	case "ls":
		d, err := os.Open(arg(1))
		if err != nil {
			return errName(err)
		}
		defer d.Close()
		names, err := d.Readdirnames(-1)
		sort.Strings(names)
		return result(strings.Join(names, ","), err)
	case "pids":
		d, err := os.Open("/proc")
		if err != nil {
			return errName(err)
		}
		defer d.Close()
		names, err := d.Readdirnames(-1)
		var pids []int
		for _, n := range names {
			if p, e := strconv.Atoi(n); e == nil {
				pids = append(pids, p)
			}
		}
		sort.Ints(pids)
		var s []string
		for _, p := range pids {
			s = append(s, strconv.Itoa(p))
		}
		return result(strings.Join(s, ","), err)
	case "open":
		flags := unix.O_CLOEXEC
		for _, n := range strings.Split(arg(2), ",") {
			v, ok := openFlags[n]
			if !ok {
				return "error unknown flag " + n
			}
			flags |= v
		}
		fd, err := unix.Open(arg(1), flags, 0o644)
		if err != nil {
			return errName(err)
		}
		unix.Close(fd)
		return "ok"
	case "openat", "openat2", "fdpath":
		dfd, err := openDir(arg(1))
		if err != nil {
			return "dir " + errName(err)
		}
		defer unix.Close(dfd)
		var fd int
		switch f[0] {
		case "openat":
			fd, err = unix.Openat(dfd, arg(2), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		case "fdpath":
			fd, err = unix.Open(fmt.Sprintf("/proc/self/fd/%d/%s", dfd, arg(2)), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		case "openat2":
			how := unix.OpenHow{Flags: unix.O_RDONLY | unix.O_CLOEXEC}
			for _, n := range strings.Split(arg(3), ",") {
				v, ok := resolveFlags[n]
				if !ok {
					return "error unknown resolve flag " + n
				}
				how.Resolve |= v
			}
			fd, err = unix.Openat2(dfd, arg(2), &how)
		}
		if err != nil {
			return errName(err)
		}
		defer unix.Close(fd)
		return result(readFD(fd))
	case "creat":
		fd, err := unix.Creat(arg(1), 0o644)
		if err == nil {
			unix.Close(fd)
		}
		return result("", err)
	case "truncate":
		return result("", unix.Truncate(arg(1), 0))
	case "mkdir":
		return result("", unix.Mkdir(arg(1), 0o755))
	case "rmdir":
		return result("", unix.Rmdir(arg(1)))
	case "unlink":
		return result("", unix.Unlink(arg(1)))
	case "mknod-blk":
		return result("", unix.Mknod(arg(1), unix.S_IFBLK|0o600, int(unix.Mkdev(7, 0))))
	case "mknod-chr":
		return result("", unix.Mknod(arg(1), unix.S_IFCHR|0o600, int(unix.Mkdev(1, 1))))
	case "mkfifo":
		return result("", unix.Mkfifo(arg(1), 0o644))
	case "rename":
		return result("", unix.Rename(arg(1), arg(2)))
	case "link":
		return result("", unix.Link(arg(1), arg(2)))
	case "symlink":
		return result("", unix.Symlink(arg(1), arg(2)))
	case "chmod":
		return result("", unix.Chmod(arg(1), 0o777))
	case "chown":
		return result("", unix.Chown(arg(1), 1234, 1234))
	case "utimes":
		return result("", unix.Utimes(arg(1), []unix.Timeval{{Sec: 1}, {Sec: 1}}))
	case "setxattr":
		return result("", unix.Setxattr(arg(1), "user.vkconfine", []byte("x"), 0))
	case "removexattr":
		return result("", unix.Removexattr(arg(1), "user.vkconfine"))
	case "fsetflags":
		fd, err := unix.Open(arg(1), unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
		if err != nil {
			return "open " + errName(err)
		}
		defer unix.Close(fd)
		flags, err := unix.IoctlGetInt(fd, unix.FS_IOC_GETFLAGS)
		if err != nil {
			return "getflags " + errName(err)
		}
		return result("", unix.IoctlSetPointerInt(fd, unix.FS_IOC_SETFLAGS, flags|0x40)) // FS_NODUMP_FL
	case "writefd":
		fd, err := unix.Open(arg(1), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return "open " + errName(err)
		}
		defer unix.Close(fd)
		_, err = unix.Write(fd, []byte("guest was here\n"))
		return result("", err)
	case "iouring":
		var params [120]byte
		fd, _, e := unix.Syscall(unix.SYS_IO_URING_SETUP, 4, uintptr(unsafe.Pointer(&params[0])), 0)
		if e != 0 {
			return errName(e)
		}
		unix.Close(int(fd))
		return "ok"
	case "ptrace":
		pid, _ := strconv.Atoi(arg(1))
		_, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_ATTACH, uintptr(pid), 0, 0, 0, 0)
		if e != 0 {
			return errName(e)
		}
		return "ok"
	case "vmread":
		pid, _ := strconv.Atoi(arg(1))
		var b [8]byte
		var x uint64 = 42
		local := []unix.Iovec{{Base: &b[0], Len: 8}}
		remote := []unix.RemoteIovec{{Base: uintptr(unsafe.Pointer(&x)), Len: 8}}
		_, err := unix.ProcessVMReadv(pid, local, remote, 0)
		return result("", err)
	case "kill":
		pid, _ := strconv.Atoi(arg(1))
		sig, _ := strconv.Atoi(arg(2))
		return result("", unix.Kill(pid, syscall.Signal(sig)))
	case "ignore-term":
		signal.Ignore(syscall.SIGTERM)
		return "ok"
	case "exec":
		return errName(unix.Exec(arg(1), execArgv(f[1:]), os.Environ()))
	case "seccomp-exec":
		return seccompExec(arg(1), execArgv(f[1:]))
	case "seccomp-listener":
		return seccompListener(arg(1))
	case "race":
		secs, _ := strconv.ParseFloat(arg(2), 64)
		return race(arg(1), time.Duration(secs*float64(time.Second)))
	}
	if out, ok := fdOp(f); ok {
		return out
	}
	return "error unknown op " + f[0]
}

// execArgv is argv for exec ops: each argument after the path, with "+"
// standing for a space, so that the new program can be the probe again with
// operations of its own.
func execArgv(f []string) []string {
	argv := []string{f[0]}
	for _, a := range f[1:] {
		argv = append(argv, strings.ReplaceAll(a, "+", " "))
	}
	return argv
}

// race reads path over and over for d and summarises what it saw.
func race(path string, d time.Duration) string {
	seen := map[string]int{}
	n := 0
	for end := time.Now().Add(d); time.Now().Before(end); n++ {
		s, err := readPath(path)
		if err != nil {
			s = errName(err)
		}
		seen[s]++
	}
	var keys []string
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return fmt.Sprintf("ok %d reads, contents: %s", n, strings.Join(keys, " "))
}

// Classic BPF, as seccomp takes it.
type sockFilter struct {
	code   uint16
	jt, jf uint8
	k      uint32
}

type sockFprog struct {
	len    uint16
	filter *sockFilter
}

const (
	bpfLdWAbs = 0x20 // BPF_LD|BPF_W|BPF_ABS
	bpfJeqK   = 0x15 // BPF_JMP|BPF_JEQ|BPF_K
	bpfRetK   = 0x06 // BPF_RET|BPF_K

	retAllow     = 0x7fff0000
	retTrace     = 0x7ff00000
	retUserNotif = 0x7fc00000

	notifRecv = 0xc0502100 // SECCOMP_IOCTL_NOTIF_RECV
	notifSend = 0xc0182101 // SECCOMP_IOCTL_NOTIF_SEND
)

// installFilter sends syscall nr (and nr2) to action, allows the rest.
func installFilter(nr, nr2 uint32, action uint32, flags uintptr) (int, error) {
	prog := []sockFilter{
		{code: bpfLdWAbs, k: 0},
		{code: bpfJeqK, jt: 2, k: nr},
		{code: bpfJeqK, jt: 1, k: nr2},
		{code: bpfRetK, k: retAllow},
		{code: bpfRetK, k: action},
	}
	fp := sockFprog{len: uint16(len(prog)), filter: &prog[0]}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return -1, err
	}
	r, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, flags, uintptr(unsafe.Pointer(&fp)))
	runtime.KeepAlive(prog)
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

// seccompExec stacks a filter whose RET_TRACE carries another tracer datum
// than vkernel's, then execs path: the exec must still be vkernel's.
func seccompExec(path string, argv []string) string {
	if _, err := installFilter(unix.SYS_EXECVE, unix.SYS_EXECVEAT, retTrace, unix.SECCOMP_FILTER_FLAG_TSYNC); err != nil {
		return "seccomp " + errName(err)
	}
	return "exec " + errName(unix.Exec(path, argv, os.Environ()))
}

// seccompListener stacks a filter with a listener of its own that gets
// openat, answers CONTINUE from another thread, and reads path on the
// filtered thread: the open must still be vkernel's.
func seccompListener(path string) string {
	type out struct {
		s string
	}
	ch := make(chan out)
	go func() {
		runtime.LockOSThread() // the filter binds this thread only; never unlocked
		lfd, err := installFilter(unix.SYS_OPENAT, unix.SYS_OPEN, retUserNotif, unix.SECCOMP_FILTER_FLAG_NEW_LISTENER)
		if err != nil {
			ch <- out{"seccomp " + errName(err)}
			return
		}
		go func() {
			runtime.LockOSThread()
			for {
				var req [80]byte
				if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(lfd), notifRecv, uintptr(unsafe.Pointer(&req[0]))); e != 0 {
					if e == unix.EINTR {
						continue
					}
					return
				}
				var resp [24]byte
				copy(resp[:8], req[:8])                   // id
				*(*uint32)(unsafe.Pointer(&resp[20])) = 1 // SECCOMP_USER_NOTIF_FLAG_CONTINUE
				unix.Syscall(unix.SYS_IOCTL, uintptr(lfd), notifSend, uintptr(unsafe.Pointer(&resp[0])))
			}
		}()
		ch <- out{"listener " + result(readPath(path))}
	}()
	return (<-ch).s
}
