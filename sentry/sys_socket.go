package sentry

import (
	"encoding/binary"
	"os"
	"runtime"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

// Socket calls that carry an address. An AF_UNIX address names a guest
// path: the sentry resolves it through the VFS and performs the call itself
// on the guest's socket (the same open file description, fetched with
// pidfd_getfd), reaching the host object through /proc/self/fd so that no
// host path is ever walked; so it does with an abstract AF_UNIX address,
// for the credentials the peer records (sock_cred.go). Any other family
// names nothing of the sentry's and is the host's to judge with the guest
// process's own privileges, not the sentry's: a bind to a port below 1024
// as the sentry would have taken it on the host's network for any guest
// user. Such a call continues (nativeFamily), after the one check the
// host cannot make for the guest's credentials (a privileged port in the
// guest's own network namespace). A racing thread that rewrites the
// address into an AF_UNIX path then has the host resolve it in the guest
// process's empty host-level root: nothing is found.

func init() {
	register(unix.SYS_CONNECT, sysConnect)
	register(unix.SYS_LISTEN, sysListen)
	register(unix.SYS_SOCKETPAIR, sysSocketpair)
	register(unix.SYS_BIND, sysBind)
	register(unix.SYS_SENDTO, sysSendto)
	register(unix.SYS_SENDMSG, sysSendmsg)
	register(unix.SYS_SENDMMSG, sysSendmmsg)
	register(unix.SYS_GETSOCKNAME, sysGetsockname)
	register(unix.SYS_GETPEERNAME, sysGetpeername)
}

// maxSockaddr is sizeof(struct sockaddr_storage).
const maxSockaddr = 128

// sockaddrIn reads a socket address of length n at addr.
func (c *Call) sockaddrIn(addr, n uint64) ([]byte, error) {
	if int64(n) < 0 || n > maxSockaddr {
		return nil, unix.EINVAL
	}
	b := make([]byte, n)
	return b, c.Mem.CopyIn(addr, b)
}

// unixPath returns the path of an AF_UNIX pathname address; ok is false
// for other families, abstract and unnamed addresses.
func unixPath(sa []byte) (string, bool) {
	if len(sa) <= 2 || binary.LittleEndian.Uint16(sa) != unix.AF_UNIX || sa[2] == 0 {
		return "", false
	}
	p := sa[2:]
	for i, b := range p {
		if b == 0 {
			p = p[:i]
			break
		}
	}
	return string(p), true
}

// unixAddr makes a pathname sockaddr_un.
// (A path of 108 bytes fills sun_path without a NUL, as Linux accepts.)
func unixAddr(path string) ([]byte, error) {
	if len(path) > unixPathMax {
		return nil, unix.ENAMETOOLONG
	}
	n := len(path) + 1
	if n > unixPathMax {
		n = unixPathMax
	}
	b := make([]byte, 2+n)
	binary.LittleEndian.PutUint16(b, unix.AF_UNIX)
	copy(b[2:], path)
	return b, nil
}

// unixPathMax is the size of sockaddr_un's sun_path.
const unixPathMax = 108

// bindIn binds sock to name in the host directory dirfd. A name too long
// to follow "/proc/self/fd/N/" is bound from a thread of its own whose
// working directory is that directory (the thread is thrown away after).
func bindIn(sock, dirfd int, name string) (hostName string, err error) {
	hostName = "/proc/self/fd/" + strconv.Itoa(dirfd) + "/" + name
	if len(hostName) <= unixPathMax {
		sa, _ := unixAddr(hostName)
		return hostName, rawSockaddrCall(unix.SYS_BIND, sock, sa)
	}
	sa, err := unixAddr(name)
	if err != nil {
		return "", err
	}
	errc := make(chan error, 1)
	go func() {
		// Never unlocked: the thread, with its own cwd, ends with the
		// goroutine.
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_FS); err != nil {
			errc <- err
			return
		}
		if err := unix.Fchdir(dirfd); err != nil {
			errc <- err
			return
		}
		errc <- rawSockaddrCall(unix.SYS_BIND, sock, sa)
	}()
	return name, <-errc
}

// hostSocketPath resolves the guest path of an existing socket to a host
// address: /proc/self/fd/N of the sentry's O_PATH descriptor for it. The
// caller closes the returned file once the call is made.
func (c *Call) hostSocketPath(path string) ([]byte, *vfs.File, error) {
	v := c.Task.Kernel().VFS
	ctx := c.ctx()
	vd, err := v.Walk(ctx, ctx.Cwd, path, vfs.FollowFinal)
	if err != nil {
		return nil, nil, err
	}
	c.refs.hold(vd)
	a, _, err := v.Stat(vd)
	if err != nil {
		return nil, nil, err
	}
	if a.Type() != unix.S_IFSOCK {
		return nil, nil, unix.ECONNREFUSED
	}
	if rs, ok := vd.Mount.FS.(interface{ RefusesSockets() bool }); ok && rs.RefusesSockets() {
		return nil, nil, unix.EACCES
	}
	if err := v.Access(ctx, vd, unix.W_OK); err != nil {
		return nil, nil, err
	}
	f, err := v.OpenAt(ctx, vd, unix.O_PATH)
	if err != nil {
		return nil, nil, err
	}
	sa, err := unixAddr("/proc/self/fd/" + strconv.Itoa(f.HostFD()))
	if err != nil {
		f.DecRef()
		return nil, nil, err
	}
	return sa, f, nil
}

// translate turns a guest socket address into the one the sentry uses.
func (c *Call) translate(sa []byte) ([]byte, func(), error) {
	p, ok := unixPath(sa)
	if !ok {
		return sa, func() {}, nil
	}
	hsa, f, err := c.hostSocketPath(p)
	if err != nil {
		return nil, nil, err
	}
	return hsa, f.DecRef, nil
}

func rawSockaddrCall(nr uintptr, fd int, sa []byte) error {
	var p unsafe.Pointer
	if len(sa) > 0 {
		p = unsafe.Pointer(&sa[0])
	}
	_, _, e := unix.Syscall(nr, uintptr(fd), uintptr(p), uintptr(len(sa)))
	if e != 0 {
		return e
	}
	return nil
}

// socketFD fetches the guest's socket descriptor.
func (c *Call) socketFD(fd int) (int, error) {
	if _, ok := c.Task.FDs().Get(fd); ok {
		return -1, unix.ENOTSOCK
	}
	h, err := c.FDs.Fetch(fd)
	if err != nil {
		return -1, unix.EBADF
	}
	return h, nil
}

// addressedSocket fetches the guest's socket (argument 0) and reads and
// translates the address at addr; done closes both.
func (c *Call) addressedSocket(addr, n uint64) (h int, hsa []byte, done func(), err error) {
	sa, err := c.sockaddrIn(addr, n)
	if err != nil {
		return -1, nil, nil, err
	}
	if h, err = c.socketFD(int(c.fd(0))); err != nil {
		return -1, nil, nil, err
	}
	hsa, release, err := c.translate(sa)
	if err != nil {
		unix.Close(h)
		return -1, nil, nil, err
	}
	return h, hsa, func() { release(); unix.Close(h) }, nil
}

// nativeFamily reports whether the address of length n at addr is not an
// AF_UNIX one (or too short to say): the host serves the call itself.
func (c *Call) nativeFamily(addr, n uint64) (bool, []byte, error) {
	sa, err := c.sockaddrIn(addr, n)
	if err != nil {
		return false, nil, err
	}
	return len(sa) < 2 || binary.LittleEndian.Uint16(sa) != unix.AF_UNIX, sa, nil
}

// unprivilegedPortStart is net.ipv4.ip_unprivileged_port_start's default.
const unprivilegedPortStart = 1024

// privilegedPort reports whether sa is an IPv4 or IPv6 address with a
// port below unprivilegedPortStart (but 0).
func privilegedPort(sa []byte) bool {
	if len(sa) < 4 {
		return false
	}
	switch binary.LittleEndian.Uint16(sa) {
	case unix.AF_INET, unix.AF_INET6:
		port := binary.BigEndian.Uint16(sa[2:])
		return port != 0 && port < unprivilegedPortStart
	}
	return false
}

func sysConnect(c *Call) Result {
	if native, _, err := c.nativeFamily(c.Args[1], c.Args[2]); err != nil {
		return Errno(err)
	} else if native {
		return continued
	}
	h, hsa, done, err := c.addressedSocket(c.Args[1], c.Args[2])
	if err != nil {
		return Errno(err)
	}
	defer done()
	var cerr error
	if err := c.asCaller(false, func() { cerr = rawSockaddrCall(unix.SYS_CONNECT, h, hsa) }); err != nil {
		return Errno(err)
	}
	return Errno(cerr)
}

// sysListen records the caller as the listener (sock_cred.go) when it is
// not the guest's root; the host listens as the guest asked otherwise.
func sysListen(c *Call) Result {
	if c.Task.isRoot() {
		return continued
	}
	h, err := c.socketFD(int(c.fd(0)))
	if err != nil {
		return Errno(err)
	}
	defer unix.Close(h)
	var lerr error
	if err := c.asCaller(false, func() { lerr = unix.Listen(h, int(int32(c.Args[1]))) }); err != nil {
		return Errno(err)
	}
	return Errno(lerr)
}

// sysSocketpair makes an AF_UNIX pair as the caller (sock_cred.go) when it
// is not the guest's root; the host makes the others.
func sysSocketpair(c *Call) Result {
	domain, typ, proto := int(int32(c.Args[0])), int(int32(c.Args[1])), int(int32(c.Args[2]))
	if domain != unix.AF_UNIX || c.Task.isRoot() || os.Geteuid() != 0 {
		return continued
	}
	var out [8]byte
	if err := c.Mem.CopyOut(c.Args[3], out[:]); err != nil {
		// EFAULT before any descriptor exists, as Linux.
		return Errno(err)
	}
	// Both descriptors or neither, as Linux: EMFILE before the first is
	// installed when there is no room for the second.
	var lim unix.Rlimit
	if unix.Prlimit(c.Task.TID(), unix.RLIMIT_NOFILE, nil, &lim) == nil {
		first, err := c.lowestFreeFD(0, int(lim.Cur))
		if err == nil {
			_, err = c.lowestFreeFD(first+1, int(lim.Cur))
		}
		if err != nil {
			return Errno(unix.EMFILE)
		}
	}
	var fds [2]int
	var perr error
	if err := c.asCaller(true, func() { fds, perr = unix.Socketpair(domain, typ|unix.SOCK_CLOEXEC, proto) }); err != nil {
		return Errno(err)
	}
	if perr != nil {
		return Errno(perr)
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	for i, h := range fds {
		n, err := c.FDs.Install(h, -1, typ&unix.SOCK_CLOEXEC != 0)
		if err != nil {
			return Errno(err)
		}
		binary.LittleEndian.PutUint32(out[4*i:], uint32(n))
	}
	return Errno(c.Mem.CopyOut(c.Args[3], out[:]))
}

func sysBind(c *Call) Result {
	native, sa, err := c.nativeFamily(c.Args[1], c.Args[2])
	if err != nil {
		return Errno(err)
	}
	if native {
		if privilegedPort(sa) && !c.Task.hasCap(unix.CAP_NET_BIND_SERVICE) {
			if h, err := c.socketFD(int(c.fd(0))); err == nil {
				unix.Close(h)
				return Errno(unix.EACCES)
			}
		}
		return continued
	}
	h, err := c.socketFD(int(c.fd(0)))
	if err != nil {
		return Errno(err)
	}
	defer unix.Close(h)
	p, ok := unixPath(sa)
	if !ok {
		return Errno(rawSockaddrCall(unix.SYS_BIND, h, sa))
	}
	// A new socket file: bind under the parent's host directory.
	v := c.Task.Kernel().VFS
	ctx := c.ctx()
	parent, name, _, err := v.WalkParent(ctx, ctx.Cwd, p, vfs.FollowFinal)
	if err != nil {
		return Errno(err)
	}
	c.refs.hold(parent)
	if parent.Mount.ReadOnly() {
		return Errno(unix.EROFS)
	}
	if err := v.Access(ctx, parent, unix.W_OK|unix.X_OK); err != nil {
		return Errno(err)
	}
	if sb, ok := parent.Dentry.Vnode().(vfs.SocketBinder); ok {
		// A directory with no host directory (the sentry's tmpfs).
		hostName, err := sb.BindSocket(name, h, 0o777&^ctx.Umask, ctx.Cred)
		v.Forget(parent, name)
		if err == nil {
			c.Task.Kernel().sockNames.Store(hostName, p)
		}
		return Errno(err)
	}
	f, err := v.OpenAt(ctx, parent, unix.O_PATH)
	if err != nil {
		return Errno(err)
	}
	defer f.DecRef()
	hostName, err := bindIn(h, f.HostFD(), name)
	if err == nil {
		// The host made it as vkernel's user: make it the guest's. A
		// failure leaves a bound socket with the host's owner, as a
		// filesystem that cannot store owners would.
		ownBoundSocket(f.HostFD(), name, ctx.Cred, ctx.Umask)
	}
	v.Forget(parent, name) // made by the host, not the VFS
	if err == nil {
		// getsockname and getpeername show the guest's name, not ours.
		c.Task.Kernel().sockNames.Store(hostName, p)
	}
	return Errno(err)
}

// sysGetsockname and sysGetpeername answer from the guest's socket and
// give an AF_UNIX name the sentry bound back its guest path.
func sysGetsockname(c *Call) Result { return c.sockName(unix.SYS_GETSOCKNAME) }
func sysGetpeername(c *Call) Result { return c.sockName(unix.SYS_GETPEERNAME) }

func (c *Call) sockName(nr uintptr) Result {
	var lb [4]byte
	if err := c.Mem.CopyIn(c.Args[2], lb[:]); err != nil {
		return Errno(err)
	}
	ulen := int32(binary.LittleEndian.Uint32(lb[:]))
	if ulen < 0 {
		return Errno(unix.EINVAL)
	}
	h, err := c.socketFD(int(c.fd(0)))
	if err != nil {
		return Errno(err)
	}
	defer unix.Close(h)
	buf := make([]byte, maxSockaddr)
	n := uint32(len(buf))
	_, _, e := unix.Syscall(nr, uintptr(h), uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&n)))
	if e != 0 {
		return Errno(e)
	}
	sa := buf[:n]
	if p, ok := unixPath(sa); ok {
		if g, ok := c.Task.Kernel().sockNames.Load(p); ok {
			if gsa, err := unixAddr(g.(string)); err == nil {
				sa = gsa
			}
		}
	}
	out := sa
	if int(ulen) < len(out) {
		out = out[:ulen]
	}
	if err := c.Mem.CopyOut(c.Args[1], out); err != nil {
		return Errno(err)
	}
	binary.LittleEndian.PutUint32(lb[:], uint32(len(sa)))
	return Errno(c.Mem.CopyOut(c.Args[2], lb[:]))
}

// maxSend bounds what one sendto carries through the sentry.
const maxSend = 1 << 20

func sysSendto(c *Call) Result {
	if native, _, err := c.nativeFamily(c.Args[4], c.Args[5]); err != nil {
		return Errno(err)
	} else if native {
		return continued
	}
	h, hsa, done, err := c.addressedSocket(c.Args[4], c.Args[5])
	if err != nil {
		return Errno(err)
	}
	defer done()
	n := c.Args[2]
	if n > maxSend {
		n = maxSend
	}
	buf := make([]byte, n)
	if err := c.Mem.CopyIn(c.Args[1], buf); err != nil {
		return Errno(err)
	}
	if len(hsa) > 2 && binary.LittleEndian.Uint16(hsa) == unix.AF_UNIX {
		r, err := c.sendAsCaller(h, hsa, buf, nil, int(c.Args[3]))
		if err != nil {
			return Errno(err)
		}
		return Value(r)
	}
	var bp, sp unsafe.Pointer
	if len(buf) > 0 {
		bp = unsafe.Pointer(&buf[0])
	}
	if len(hsa) > 0 {
		sp = unsafe.Pointer(&hsa[0])
	}
	r, _, e := unix.Syscall6(unix.SYS_SENDTO, uintptr(h), uintptr(bp), uintptr(len(buf)),
		uintptr(c.Args[3]|unix.MSG_NOSIGNAL), uintptr(sp), uintptr(len(hsa)))
	if e != 0 {
		return Errno(e)
	}
	return Value(int64(r))
}
