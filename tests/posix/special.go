package posix

import (
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// FIFOs and AF_UNIX sockets bound in the directory.

func fifo(t *testing.T, dir string) {
	setUmask(t, 0o022)
	f := p(dir, "fifo")
	ok(t, unix.Mkfifo(f, 0o666), "mkfifo")
	eqOct(t, lstat(t, f).Mode, unix.S_IFIFO|0o644, "mkfifo's mode under umask 022")
	ok(t, unix.Mknod(p(dir, "node"), unix.S_IFIFO|0o600, 0), "mknod(S_IFIFO)")
	eqOct(t, lstat(t, p(dir, "node")).Mode, unix.S_IFIFO|0o600, "mknod fifo's mode")
	fails(t, unix.Mkfifo(f, 0o666), unix.EEXIST, "mkfifo(existing)")
	// Without a reader, a non-blocking writer gets ENXIO; a reader opens.
	_, err := unix.Open(f, unix.O_WRONLY|unix.O_NONBLOCK, 0)
	fails(t, err, unix.ENXIO, "open(fifo, O_WRONLY|O_NONBLOCK) without a reader")
	r := open(t, f, unix.O_RDONLY|unix.O_NONBLOCK, 0)
	n, err := unix.Read(r, make([]byte, 8))
	ok(t, err, "read(fifo) with no writer ever")
	eq(t, n, 0, "read(fifo) with no writer: EOF")
	w := open(t, f, unix.O_WRONLY|unix.O_NONBLOCK, 0)
	_, err = unix.Read(r, make([]byte, 8))
	fails(t, err, unix.EAGAIN, "read(empty fifo) with a writer")
	_, err = unix.Write(w, []byte("through the fifo"))
	ok(t, err, "write(fifo)")
	buf := make([]byte, 64)
	n, err = unix.Read(r, buf)
	ok(t, err, "read(fifo)")
	eq(t, string(buf[:n]), "through the fifo", "data through the fifo")
	// O_RDWR never blocks and is a reader and writer.
	rw := open(t, p(dir, "node"), unix.O_RDWR, 0)
	_, err = unix.Write(rw, []byte("self"))
	ok(t, err, "write(fifo O_RDWR)")
	n, err = unix.Read(rw, buf)
	ok(t, err, "read(fifo O_RDWR)")
	eq(t, string(buf[:n]), "self", "data through an O_RDWR fifo")
	st := fstat(t, rw)
	eqOct(t, st.Mode&unix.S_IFMT, unix.S_IFIFO, "fstat(fifo fd) type")
	eq(t, st.Ino, lstat(t, p(dir, "node")).Ino, "fstat(fifo fd) ino")
	_, err = unix.Seek(rw, 0, 0)
	fails(t, err, unix.ESPIPE, "lseek(fifo)")
	// Renamed and still a fifo.
	ok(t, unix.Rename(f, p(dir, "moved")), "rename(fifo)")
	eqOct(t, lstat(t, p(dir, "moved")).Mode&unix.S_IFMT, unix.S_IFIFO, "renamed fifo's type")
	fails(t, unix.Truncate(p(dir, "moved"), 0), unix.EINVAL, "truncate(fifo)")
}

// sockaddr is path as a sockaddr_un and its length; unlike x/sys's, it
// takes a 108-byte path (no room for the NUL, which Linux accepts).
func sockaddr(path string) (*unix.RawSockaddrUnix, uintptr) {
	var sa unix.RawSockaddrUnix
	sa.Family = unix.AF_UNIX
	for i := 0; i < len(path) && i < len(sa.Path); i++ {
		sa.Path[i] = int8(path[i])
	}
	n := 2 + len(path) + 1
	if n > int(unsafe.Sizeof(sa)) {
		n = int(unsafe.Sizeof(sa))
	}
	return &sa, uintptr(n)
}

func sockcall(trap uintptr, fd int, path string) error {
	sa, n := sockaddr(path)
	_, _, e := unix.Syscall(trap, uintptr(fd), uintptr(unsafe.Pointer(sa)), n)
	if e != 0 {
		return e
	}
	return nil
}

// bindConnect binds a listening stream socket at path, connects to it,
// passes a message and checks the names both ends report.
func bindConnect(t *testing.T, path string) {
	t.Helper()
	l, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	ok(t, err, "socket")
	t.Cleanup(func() { unix.Close(l) })
	if !ok(t, sockcall(unix.SYS_BIND, l, path), "bind(%s)", path) {
		return
	}
	ok(t, unix.Listen(l, 1), "listen")
	c, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	ok(t, err, "socket")
	t.Cleanup(func() { unix.Close(c) })
	if !ok(t, sockcall(unix.SYS_CONNECT, c, path), "connect(%s)", path) {
		return
	}
	a, _, err := unix.Accept4(l, unix.SOCK_CLOEXEC)
	ok(t, err, "accept")
	t.Cleanup(func() { unix.Close(a) })
	_, err = unix.Write(c, []byte("ping"))
	ok(t, err, "write")
	buf := make([]byte, 8)
	n, err := unix.Read(a, buf)
	ok(t, err, "read")
	eq(t, string(buf[:n]), "ping", "data through the socket at %s", path)
}

// sockName is the path fd is bound (or, with peer, connected) to.
func sockName(t *testing.T, fd int, peer bool) string {
	t.Helper()
	get, what := unix.Getsockname, "getsockname"
	if peer {
		get, what = unix.Getpeername, "getpeername"
	}
	sa, err := get(fd)
	if !ok(t, err, "%s", what) {
		return ""
	}
	u, isUnix := sa.(*unix.SockaddrUnix)
	if !isUnix {
		failf(t, "%s: %T, want a *unix.SockaddrUnix", what, sa)
		return ""
	}
	return u.Name
}

// unixSocketNames: getsockname and getpeername give back the path as bound,
// absolute or relative.
func unixSocketNames(t *testing.T, dir string) {
	chdir(t, dir)
	for _, path := range []string{p(dir, "abs.sock"), "rel.sock", "./dot.sock"} {
		l, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		ok(t, err, "socket")
		defer unix.Close(l)
		ok(t, unix.Bind(l, &unix.SockaddrUnix{Name: path}), "bind(%s)", path)
		ok(t, unix.Listen(l, 1), "listen")
		eq(t, sockName(t, l, false), path, "getsockname after bind(%s)", path)
		c, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		ok(t, err, "socket")
		defer unix.Close(c)
		ok(t, unix.Connect(c, &unix.SockaddrUnix{Name: path}), "connect(%s)", path)
		eq(t, sockName(t, c, true), path, "getpeername after connect(%s)", path)
		a, _, err := unix.Accept4(l, unix.SOCK_CLOEXEC)
		ok(t, err, "accept")
		defer unix.Close(a)
		eq(t, sockName(t, a, false), path, "the accepted socket's getsockname")
	}
}

func unixSocket(t *testing.T, dir string) {
	setUmask(t, 0o022)
	s := p(dir, "sock")
	bindConnect(t, s)
	st := lstat(t, s)
	eqOct(t, st.Mode, unix.S_IFSOCK|0o755, "the socket file's mode under umask 022")
	fd := open(t, dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	for _, d := range readDirents(t, fd, 4096) {
		if d.name == "sock" {
			eq(t, d.typ, unix.DT_SOCK, "the socket's d_type")
			eq(t, d.ino, st.Ino, "the socket's d_ino")
		}
	}
	// The name is taken.
	l2, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	ok(t, err, "socket")
	defer unix.Close(l2)
	fails(t, unix.Bind(l2, &unix.SockaddrUnix{Name: s}), unix.EADDRINUSE, "bind(existing socket file)")
	writeFile(t, p(dir, "file"), "")
	fails(t, unix.Bind(l2, &unix.SockaddrUnix{Name: p(dir, "file")}), unix.EADDRINUSE, "bind(existing file)")
	fails(t, unix.Bind(l2, &unix.SockaddrUnix{Name: p(dir, "nodir", "s")}), unix.ENOENT, "bind(in a missing dir)")
	// connect to what is not a listening socket.
	c, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	ok(t, err, "socket")
	defer unix.Close(c)
	fails(t, unix.Connect(c, &unix.SockaddrUnix{Name: p(dir, "file")}), unix.ECONNREFUSED, "connect(regular file)")
	fails(t, unix.Connect(c, &unix.SockaddrUnix{Name: p(dir, "missing")}), unix.ENOENT, "connect(missing)")
	// Unlinked and bound again.
	ok(t, unix.Unlink(s), "unlink(socket)")
	bindConnect(t, s)
	// Through a symlink: connect follows it.
	symlink(t, "sock", p(dir, "lsock"))
	c2, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	ok(t, err, "socket")
	defer unix.Close(c2)
	ok(t, unix.Connect(c2, &unix.SockaddrUnix{Name: p(dir, "lsock")}), "connect(symlink to socket)")
	// A datagram socket.
	d, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	ok(t, err, "socket(SOCK_DGRAM)")
	defer unix.Close(d)
	ok(t, unix.Bind(d, &unix.SockaddrUnix{Name: p(dir, "dgram")}), "bind(dgram)")
	d2, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	ok(t, err, "socket(SOCK_DGRAM)")
	defer unix.Close(d2)
	ok(t, unix.Sendto(d2, []byte("dg"), 0, &unix.SockaddrUnix{Name: p(dir, "dgram")}), "sendto(dgram path)")
	buf := make([]byte, 8)
	n, _, err := unix.Recvfrom(d, buf, unix.MSG_DONTWAIT)
	ok(t, err, "recvfrom")
	eq(t, string(buf[:n]), "dg", "datagram")
}

func unixSocketRelative(t *testing.T, dir string) {
	mkdir(t, p(dir, "sub"))
	chdir(t, dir)
	bindConnect(t, "rel.sock")
	eqOct(t, lstat(t, p(dir, "rel.sock")).Mode&unix.S_IFMT, unix.S_IFSOCK, "rel.sock's type")
	bindConnect(t, "sub/../sub/rel2.sock")
	eqOct(t, lstat(t, p(dir, "sub", "rel2.sock")).Mode&unix.S_IFMT, unix.S_IFSOCK, "sub/rel2.sock's type")
	// Bound relative to one directory, connected from another.
	chdir(t, p(dir, "sub"))
	c, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	ok(t, err, "socket")
	defer unix.Close(c)
	ok(t, unix.Connect(c, &unix.SockaddrUnix{Name: "../rel.sock"}), "connect(../rel.sock)")
	fails(t, unix.Connect(c, &unix.SockaddrUnix{Name: "rel2.sock"}), unix.EISCONN, "a second connect")
	c2, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	ok(t, err, "socket")
	defer unix.Close(c2)
	ok(t, unix.Connect(c2, &unix.SockaddrUnix{Name: "rel2.sock"}), "connect(rel2.sock)")
}

func unixSocketLong(t *testing.T, dir string) {
	chdir(t, dir)
	// sun_path holds 108 bytes: 107 and a NUL, or 108 without one.
	for _, n := range []int{100, 107, 108} {
		name := strings.Repeat("s", n)
		bindConnect(t, name)
		eqOct(t, lstat(t, p(dir, name)).Mode&unix.S_IFMT, unix.S_IFSOCK, "the %d-byte socket's type", n)
	}
	// A long path through directories.
	sub := strings.Repeat("d", 50)
	mkdir(t, p(dir, sub))
	bindConnect(t, sub+"/"+strings.Repeat("e", 56))
}
