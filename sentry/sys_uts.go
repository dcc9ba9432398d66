package sentry

import (
	"golang.org/x/sys/unix"
)

// The guest's UTS namespace is a host one of its own (CLONE_NEWUTS), so
// uname(2) runs natively. sethostname(2) and setdomainname(2) are served:
// the host would let any guest process change the names (every guest
// process is root in its user namespace), so the sentry checks the
// guest's CAP_SYS_ADMIN, keeps the name for /proc/sys/kernel, and lets the
// host make the change.

func init() {
	register(unix.SYS_SETHOSTNAME, sysSethostname)
	register(unix.SYS_SETDOMAINNAME, sysSetdomainname)
}

// newUTSLen is Linux's __NEW_UTS_LEN: the longest name, without its NUL.
const newUTSLen = 64

func sysSethostname(c *Call) Result { return setUTSName(c, &c.Task.Kernel().hostname) }

func sysSetdomainname(c *Call) Result { return setUTSName(c, &c.Task.Kernel().domainname) }

// setUTSName serves sethostname and setdomainname (kernel/sys.c): the
// capability first, then the length, then the copy.
func setUTSName(c *Call, name *string) Result {
	if !c.Task.Creds.VFS().HasCap(unix.CAP_SYS_ADMIN) || c.Task.Kernel().hostUTS.Load() {
		return Errno(unix.EPERM)
	}
	n := int64(int32(c.Args[1]))
	if n < 0 || n > newUTSLen {
		return Errno(unix.EINVAL)
	}
	buf := make([]byte, n)
	if err := c.Mem.CopyIn(c.Args[0], buf); err != nil {
		return Errno(err)
	}
	k := c.Task.Kernel()
	k.utsMu.Lock()
	*name = string(buf)
	k.utsMu.Unlock()
	return Result{Continue: true}
}

// HostUTS records that the guest shares the host's UTS namespace (no
// namespace could be made): its sethostname and setdomainname are then
// EPERM, so that it never renames the host.
func (k *Kernel) HostUTS() { k.hostUTS.Store(true) }

// Hostname returns the guest's node name.
func (k *Kernel) Hostname() string {
	k.utsMu.Lock()
	defer k.utsMu.Unlock()
	return k.hostname
}

// Domainname returns the guest's NIS domain name.
func (k *Kernel) Domainname() string {
	k.utsMu.Lock()
	defer k.utsMu.Unlock()
	return k.domainname
}

// hostUTS returns the host's node and domain names, which a new UTS
// namespace starts with.
func hostUTS() (node, domain string) {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return "", "(none)"
	}
	return unix.ByteSliceToString(u.Nodename[:]), unix.ByteSliceToString(u.Domainname[:])
}
