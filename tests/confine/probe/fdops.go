package main

import (
	"os"
	"strconv"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Operations on descriptors of every origin (confine's hostile cases):
//
//	fdattr N OP          OP on the inherited descriptor N
//	recvattr PATH OP     open PATH O_RDONLY, pass the descriptor to itself
//	                     with SCM_RIGHTS, close the original, OP on the copy
//	pipeattr OP          OP on a pipe the guest made
//	reopenattr N OP      OP on /proc/self/fd/N opened O_RDONLY
//
// OP is fchmod (04777), fchown (1234:1234), futimens (1 s), fsetflags
// (FS_IOC_SETFLAGS with FS_NODUMP_FL added), fimmutable (FS_IMMUTABLE_FL
// added), ftruncate (0) or fallocate (1 MiB).
//
//	sigio PID SIG        a pipe whose owner is PID (F_SETOWN; -PID a group)
//	                     with F_SETSIG SIG and O_ASYNC, then written to:
//	                     the result is F_SETOWN's
//	setuid UID           setuid(UID), every thread
//	flood DIR N SECS     raise the soft RLIMIT_NOFILE to the hard one, then
//	                     create and hold open up to N files in DIR; prints
//	                     "ok OPENED[ ERRNO]" and holds them SECS seconds
//	mknodreg DIR N SECS  mknod(S_IFREG) N files in DIR; prints "ok N" and
//	                     waits SECS seconds
//	ioctl PATH CMD       ioctl(CMD, hex) with a zeroed buffer on PATH opened
//	                     O_RDONLY
//	nsioctl NS CMD       ioctl(CMD, hex) on the caller's namespace NS
//	                     (the pidfd index 1..10 of PIDFD_GET_*_NAMESPACE)
//	bindtcp PORT         bind a TCP socket to 127.0.0.1:PORT
//	pidfdns PID|self     pidfd_open(PID), then each PIDFD_GET_*_NAMESPACE
//	                     ioctl; DETAIL lists NAME=ok|ERRNO
func fdOp(f []string) (string, bool) {
	arg := func(i int) string {
		if i < len(f) {
			return f[i]
		}
		return ""
	}
	switch f[0] {
	case "fdattr":
		fd, _ := strconv.Atoi(arg(1))
		return result("", attrOp(fd, arg(2))), true
	case "recvattr":
		fd, err := unix.Open(arg(1), unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
		if err != nil {
			return "open " + errName(err), true
		}
		got, err := passToSelf(fd)
		unix.Close(fd)
		if err != nil {
			return "pass " + errName(err), true
		}
		defer unix.Close(got)
		return result("", attrOp(got, arg(2))), true
	case "reopenattr":
		fd, err := unix.Open("/proc/self/fd/"+arg(1), unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
		if err != nil {
			return "open " + errName(err), true
		}
		defer unix.Close(fd)
		return result("", attrOp(fd, arg(2))), true
	case "pipeattr":
		var p [2]int
		if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
			return "pipe " + errName(err), true
		}
		defer unix.Close(p[0])
		defer unix.Close(p[1])
		return result("", attrOp(p[0], arg(1))), true
	case "sigio":
		pid, _ := strconv.Atoi(arg(1))
		sig, _ := strconv.Atoi(arg(2))
		return result("", sigio(pid, sig)), true
	case "setuid":
		uid, _ := strconv.Atoi(arg(1))
		return result("", syscall.Setuid(uid)), true
	case "flood":
		n, _ := strconv.Atoi(arg(2))
		secs, _ := strconv.ParseFloat(arg(3), 64)
		return flood(arg(1), n, time.Duration(secs*float64(time.Second))), true
	case "mknodreg":
		n, _ := strconv.Atoi(arg(2))
		secs, _ := strconv.ParseFloat(arg(3), 64)
		for i := 0; i < n; i++ {
			if err := unix.Mknod(arg(1)+"/m"+strconv.Itoa(i), unix.S_IFREG|0o644, 0); err != nil {
				return "mknod " + errName(err), true
			}
		}
		os.Stdout.WriteString("mknodreg: ok\n")
		time.Sleep(time.Duration(secs * float64(time.Second)))
		return "ok", true
	case "ioctl":
		cmd, _ := strconv.ParseUint(arg(2), 16, 32)
		fd, err := unix.Open(arg(1), unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
		if err != nil {
			return "open " + errName(err), true
		}
		defer unix.Close(fd)
		var buf [256]byte
		_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(cmd), uintptr(unsafe.Pointer(&buf[0])))
		if e != 0 {
			return errName(e), true
		}
		return "ok", true
	case "nsioctl":
		which, _ := strconv.Atoi(arg(1))
		cmd, _ := strconv.ParseUint(arg(2), 16, 32)
		pfd, err := unix.PidfdOpen(unix.Getpid(), 0)
		if err != nil {
			return "pidfd_open " + errName(err), true
		}
		defer unix.Close(pfd)
		ns, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(pfd), uintptr(0xff00+which), 0)
		if e != 0 {
			return "ns " + errName(e), true
		}
		defer unix.Close(int(ns))
		r, _, e := unix.Syscall(unix.SYS_IOCTL, ns, uintptr(cmd), 0)
		if e != 0 {
			return errName(e), true
		}
		if cmd == 0xb701 || cmd == 0xb702 {
			unix.Close(int(r))
		}
		return "ok", true
	case "bindtcp":
		port, _ := strconv.Atoi(arg(1))
		s, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return "socket " + errName(err), true
		}
		defer unix.Close(s)
		return result("", unix.Bind(s, &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}})), true
	case "pidfdns":
		pid, _ := strconv.Atoi(arg(1))
		if arg(1) == "self" {
			pid = unix.Getpid()
		}
		return pidfdNamespaces(pid), true
	}
	return "", false
}

// attrOp changes the inode behind fd as op says.
func attrOp(fd int, op string) error {
	switch op {
	case "fchmod":
		return unix.Fchmod(fd, 0o4777)
	case "fchown":
		return unix.Fchown(fd, 1234, 1234)
	case "futimens":
		return unix.UtimesNanoAt(fd, "", []unix.Timespec{{Sec: 1}, {Sec: 1}}, unix.AT_EMPTY_PATH)
	case "fsetflags", "fimmutable":
		flags, err := unix.IoctlGetInt(fd, unix.FS_IOC_GETFLAGS)
		if err != nil {
			return err
		}
		add := 0x40 // FS_NODUMP_FL
		if op == "fimmutable" {
			add = 0x10 // FS_IMMUTABLE_FL
		}
		return unix.IoctlSetPointerInt(fd, unix.FS_IOC_SETFLAGS, flags|add)
	case "lease":
		// A read lease, given up at once if granted.
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETLEASE, unix.F_RDLCK); err != nil {
			return err
		}
		_, err := unix.FcntlInt(uintptr(fd), unix.F_SETLEASE, unix.F_UNLCK)
		return err
	case "ftruncate":
		return unix.Ftruncate(fd, 0)
	case "fallocate":
		return unix.Fallocate(fd, 0, 0, 1<<20)
	}
	return unix.EINVAL
}

// passToSelf sends fd over a socket pair and returns the descriptor
// received.
func passToSelf(fd int) (int, error) {
	sp, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	defer unix.Close(sp[0])
	defer unix.Close(sp[1])
	if err := unix.Sendmsg(sp[0], []byte{0}, unix.UnixRights(fd), nil, 0); err != nil {
		return -1, err
	}
	buf := make([]byte, 1)
	oob := make([]byte, unix.CmsgSpace(4))
	_, oobn, _, _, err := unix.Recvmsg(sp[1], buf, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return -1, err
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) == 0 {
		return -1, unix.EBADMSG
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) == 0 {
		return -1, unix.EBADMSG
	}
	return fds[0], nil
}

// pidfdNamespaces tries each namespace ioctl of a pidfd of pid.
func pidfdNamespaces(pid int) string {
	pfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return "pidfd_open " + errName(err)
	}
	defer unix.Close(pfd)
	out := "ok"
	for _, ns := range []struct {
		name string
		nr   uintptr
	}{{"cgroup", 0xff01}, {"ipc", 0xff02}, {"mnt", 0xff03}, {"net", 0xff04},
		{"pid", 0xff05}, {"pid4children", 0xff06}, {"time", 0xff07},
		{"time4children", 0xff08}, {"user", 0xff09}, {"uts", 0xff0a}} {
		r, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(pfd), ns.nr, uintptr(unsafe.Pointer(nil)))
		if e != 0 {
			out += " " + ns.name + "=" + errName(e)
			continue
		}
		unix.Close(int(r))
		out += " " + ns.name + "=ok"
	}
	return out
}

// sigio makes pid the owner of a pipe's read end with signal sig, and
// makes the pipe readable.
func sigio(pid, sig int) error {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		return err
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	_, err := unix.FcntlInt(uintptr(p[0]), unix.F_SETOWN, pid)
	unix.FcntlInt(uintptr(p[0]), unix.F_SETSIG, sig)
	unix.FcntlInt(uintptr(p[0]), unix.F_SETFL, unix.O_ASYNC|unix.O_NONBLOCK)
	unix.Write(p[1], []byte("x"))
	time.Sleep(50 * time.Millisecond)
	return err
}

// flood holds up to n new files of dir open for d.
func flood(dir string, n int, d time.Duration) string {
	var lim unix.Rlimit
	unix.Getrlimit(unix.RLIMIT_NOFILE, &lim)
	lim.Cur = lim.Max
	unix.Setrlimit(unix.RLIMIT_NOFILE, &lim)
	opened, last := 0, error(nil)
	for i := 0; i < n; i++ {
		fd, err := unix.Open(dir+"/f"+strconv.Itoa(i), unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC, 0o600)
		if err != nil {
			last = err
			break
		}
		_ = fd
		opened++
	}
	out := "ok " + strconv.Itoa(opened)
	if last != nil {
		out += " " + errName(last)
	}
	os.Stdout.WriteString("flood: " + out + "\n")
	time.Sleep(d)
	return out
}
