package sentry

import (
	"encoding/binary"
	"unsafe"

	"golang.org/x/sys/unix"
)

// sendmsg and sendmmsg. A message without an address, or with one of
// another family, is sent by the host as the guest made it (the data path
// of every connected socket). One addressed to an AF_UNIX path is sent by
// the sentry: the path resolved through the VFS as sendto's is, the data
// and control copied in once, the descriptors of SCM_RIGHTS fetched from
// the guest, SCM_CREDENTIALS checked against the caller's credentials and
// its pid made the host's. A racing thread may still put a path where the
// check saw none before the host re-reads the header: the host then
// resolves it in the guest's empty host-level root and finds nothing.

// msghdr field offsets (struct msghdr, 56 bytes) and sizes.
const (
	msghdrSize  = 56
	mmsghdrSize = 64
	// maxControl bounds a message's control data (Linux's optmem_max is
	// 20 KiB by default: more is ENOBUFS there too).
	maxControl = 64 << 10
	// maxIov is UIO_MAXIOV.
	maxIov = 1024
)

// guestMsg is a msghdr read from the guest.
type guestMsg struct {
	name, namelen, iov, iovlen, control, controllen uint64
}

func (c *Call) readMsghdr(addr uint64) (guestMsg, error) {
	var b [msghdrSize]byte
	if err := c.Mem.CopyIn(addr, b[:]); err != nil {
		return guestMsg{}, err
	}
	u := func(off int) uint64 { return binary.LittleEndian.Uint64(b[off:]) }
	return guestMsg{name: u(0), namelen: u(8) & 0xffffffff, iov: u(16), iovlen: u(24),
		control: u(32), controllen: u(40)}, nil
}

// unixAddressed reports whether m is addressed to an AF_UNIX path.
func (c *Call) unixAddressed(m guestMsg) (bool, error) {
	if m.name == 0 || m.namelen == 0 {
		return false, nil
	}
	sa, err := c.sockaddrIn(m.name, m.namelen)
	if err != nil {
		return false, err
	}
	_, ok := unixPath(sa)
	return ok, nil
}

func sysSendmsg(c *Call) Result {
	m, err := c.readMsghdr(c.Args[1])
	if err != nil {
		return Errno(err)
	}
	if ok, err := c.unixAddressed(m); err != nil || !ok {
		if err != nil {
			return Errno(err)
		}
		return Result{Continue: true}
	}
	n, err := c.sendAddressed(m, int(c.Args[2]))
	if err != nil {
		return Errno(err)
	}
	return Value(n)
}

func sysSendmmsg(c *Call) Result {
	vlen := uint64(uint32(c.Args[2]))
	if vlen > maxIov {
		vlen = maxIov
	}
	msgs := make([]guestMsg, 0, vlen)
	addressed := false
	for i := uint64(0); i < vlen; i++ {
		m, err := c.readMsghdr(c.Args[1] + i*mmsghdrSize)
		if err == nil {
			var ok bool
			ok, err = c.unixAddressed(m)
			addressed = addressed || ok
		}
		if err != nil {
			// The messages before a bad one are sent, as Linux does;
			// the bad one is the answer when it is the first.
			if i == 0 {
				return Errno(err)
			}
			break
		}
		msgs = append(msgs, m)
	}
	if !addressed {
		return Result{Continue: true}
	}
	// As Linux: the number sent, or the first error if none was.
	sent := 0
	for i, m := range msgs {
		n, err := c.sendAddressed(m, int(c.Args[3]))
		if err != nil {
			if sent == 0 {
				return Errno(err)
			}
			break
		}
		var lb [4]byte
		binary.LittleEndian.PutUint32(lb[:], uint32(n))
		if err := c.Mem.CopyOut(c.Args[1]+uint64(i)*mmsghdrSize+msghdrSize, lb[:]); err != nil {
			break
		}
		sent++
	}
	return Value(int64(sent))
}

// sendAddressed sends guest message m from the sentry on the caller's
// socket (its first argument), an AF_UNIX path translated.
func (c *Call) sendAddressed(m guestMsg, flags int) (int64, error) {
	var h int
	var hsa []byte
	if m.name == 0 || m.namelen == 0 {
		// One of a batch without an address.
		var err error
		if h, err = c.socketFD(int(c.fd(0))); err != nil {
			return 0, err
		}
		defer unix.Close(h)
	} else {
		var done func()
		var err error
		if h, hsa, done, err = c.addressedSocket(m.name, m.namelen); err != nil {
			return 0, err
		}
		defer done()
	}
	data, err := c.gatherIov(m.iov, m.iovlen)
	if err != nil {
		return 0, err
	}
	control, fds, hasCreds, err := c.hostControl(m.control, m.controllen)
	defer func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}()
	if err != nil {
		return 0, err
	}
	if hasCreds {
		n, err := sendHost(h, hsa, data, control, flags)
		if err == unix.EPERM {
			// A sentry that is not host root may name no other
			// process's credentials: the receiver gets the sentry's.
			return sendHost(h, hsa, data, withoutCredentials(control), flags)
		}
		return n, err
	}
	return c.sendAsCaller(h, hsa, data, control, flags)
}

// withoutCredentials returns control without its SCM_CREDENTIALS message.
func withoutCredentials(control []byte) []byte {
	msgs, err := unix.ParseSocketControlMessage(control)
	if err != nil {
		return control
	}
	var out []byte
	for _, cm := range msgs {
		if cm.Header.Level == unix.SOL_SOCKET && cm.Header.Type == unix.SCM_CREDENTIALS {
			continue
		}
		out = append(out, cmsg(int(cm.Header.Level), int(cm.Header.Type), cm.Data)...)
	}
	return out
}

// sendAsCaller sends a message that names no credentials to an AF_UNIX
// address: a receiver that passes credentials gets the sender's, so they
// are the caller's, not the sentry's (when the host lets the sentry name
// them).
func (c *Call) sendAsCaller(h int, hsa, data, control []byte, flags int) (int64, error) {
	withCreds := append(control[:len(control):len(control)], unix.UnixCredentials(c.defaultCredentials())...)
	n, err := sendHost(h, hsa, data, withCreds, flags)
	if err != unix.EPERM {
		return n, err
	}
	return sendHost(h, hsa, data, control, flags)
}

// defaultCredentials are what Linux sends for a caller that names none:
// its pid and real ids.
func (c *Call) defaultCredentials() *unix.Ucred {
	cr := c.Task.Creds
	cr.mu.Lock()
	defer cr.mu.Unlock()
	return &unix.Ucred{Pid: int32(c.Task.TG.TGID()), Uid: cr.RUID, Gid: cr.RGID}
}

// sendHost sends one message on host socket h.
func sendHost(h int, hsa, data, control []byte, flags int) (int64, error) {
	var iov unix.Iovec
	if len(data) > 0 {
		iov.Base = &data[0]
		iov.SetLen(len(data))
	}
	hdr := unix.Msghdr{Iov: &iov, Iovlen: 1, Namelen: uint32(len(hsa))}
	if len(hsa) > 0 {
		hdr.Name = &hsa[0]
	}
	if len(control) > 0 {
		hdr.Control = &control[0]
		hdr.SetControllen(len(control))
	}
	r, _, e := unix.Syscall(unix.SYS_SENDMSG, uintptr(h), uintptr(unsafe.Pointer(&hdr)), uintptr(flags|unix.MSG_NOSIGNAL))
	if e != 0 {
		return 0, e
	}
	return int64(r), nil
}

// gatherIov copies in the data of an iovec array (at most maxSend bytes:
// a datagram that large is EMSGSIZE on Linux too).
func (c *Call) gatherIov(addr, n uint64) ([]byte, error) {
	if n > maxIov {
		return nil, unix.EMSGSIZE
	}
	vec := make([]byte, 16*n)
	if err := c.Mem.CopyIn(addr, vec); err != nil {
		return nil, err
	}
	var data []byte
	for i := uint64(0); i < n; i++ {
		base, l := binary.LittleEndian.Uint64(vec[16*i:]), binary.LittleEndian.Uint64(vec[16*i+8:])
		if int64(l) < 0 {
			return nil, unix.EINVAL
		}
		if uint64(len(data))+l > maxSend {
			return nil, unix.EMSGSIZE
		}
		if l == 0 {
			continue
		}
		b := make([]byte, l)
		if err := c.Mem.CopyIn(base, b); err != nil {
			return nil, err
		}
		data = append(data, b...)
	}
	return data, nil
}

// hostControl copies in a message's control data and makes it the host's:
// SCM_RIGHTS carries the sentry's duplicates of the guest's descriptors
// (returned, for the caller to close), SCM_CREDENTIALS the caller's host
// pid, when the guest named its own.
func (c *Call) hostControl(addr, n uint64) (control []byte, fds []int, creds bool, err error) {
	if n == 0 {
		return nil, nil, false, nil
	}
	if n > maxControl {
		return nil, nil, false, unix.ENOBUFS
	}
	b := make([]byte, n)
	if err := c.Mem.CopyIn(addr, b); err != nil {
		return nil, nil, false, err
	}
	msgs, err := unix.ParseSocketControlMessage(b)
	if err != nil {
		return nil, nil, false, unix.EINVAL
	}
	var out []byte
	for _, cm := range msgs {
		if cm.Header.Level != unix.SOL_SOCKET {
			out = append(out, cmsg(int(cm.Header.Level), int(cm.Header.Type), cm.Data)...)
			continue
		}
		switch cm.Header.Type {
		case unix.SCM_RIGHTS:
			var host []int
			for i := 0; i+4 <= len(cm.Data); i += 4 {
				fd, err := c.FDs.Fetch(int(int32(binary.LittleEndian.Uint32(cm.Data[i:]))))
				if err != nil {
					return nil, fds, false, unix.EBADF
				}
				fds = append(fds, fd)
				host = append(host, fd)
			}
			out = append(out, unix.UnixRights(host...)...)
		case unix.SCM_CREDENTIALS:
			cred, err := c.hostCredentials(cm.Data)
			if err != nil {
				return nil, fds, false, err
			}
			out = append(out, unix.UnixCredentials(cred)...)
			creds = true
		default:
			out = append(out, cmsg(unix.SOL_SOCKET, int(cm.Header.Type), cm.Data)...)
		}
	}
	return out, fds, creds, nil
}

// hostCredentials checks SCM_CREDENTIALS as Linux's scm_check_creds does,
// against the caller's guest credentials, and gives the caller's pid as
// the host's.
func (c *Call) hostCredentials(data []byte) (*unix.Ucred, error) {
	if len(data) < unix.SizeofUcred {
		return nil, unix.EINVAL
	}
	pid := int32(binary.LittleEndian.Uint32(data[0:]))
	uid, gid := binary.LittleEndian.Uint32(data[4:]), binary.LittleEndian.Uint32(data[8:])
	cr := c.Task.Creds
	cr.mu.Lock()
	okUID := uid == cr.RUID || uid == cr.EUID || uid == cr.SUID || cr.hasCapLocked(unix.CAP_SETUID)
	okGID := gid == cr.RGID || gid == cr.EGID || gid == cr.SGID || cr.hasCapLocked(unix.CAP_SETGID)
	admin := cr.hasCapLocked(unix.CAP_SYS_ADMIN)
	cr.mu.Unlock()
	host := c.Task.TG.TGID()
	if int(pid) != c.Task.PID() {
		if !admin {
			return nil, unix.EPERM
		}
		t := c.Task.Kernel().TaskByGuestPID(int(pid))
		if t == nil {
			return nil, unix.ESRCH
		}
		host = t.TG.TGID()
	}
	if !okUID || !okGID {
		return nil, unix.EPERM
	}
	return &unix.Ucred{Pid: int32(host), Uid: uid, Gid: gid}, nil
}

// cmsg builds one control message.
func cmsg(level, typ int, data []byte) []byte {
	b := make([]byte, unix.CmsgSpace(len(data)))
	h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
	h.Level, h.Type = int32(level), int32(typ)
	h.SetLen(unix.CmsgLen(len(data)))
	copy(b[unix.CmsgLen(0):], data)
	return b
}
