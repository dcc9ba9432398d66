package sentry

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// Credentials: the getuid and setuid families, groups, capabilities and
// the prctl options about them, served from the task's Creds as Linux's
// kernel/sys.c and security/commoncap.c do.

func init() {
	register(unix.SYS_GETUID, func(c *Call) Result { return c.credVal(func(k *Creds) uint32 { return k.RUID }) })
	register(unix.SYS_GETEUID, func(c *Call) Result { return c.credVal(func(k *Creds) uint32 { return k.EUID }) })
	register(unix.SYS_GETGID, func(c *Call) Result { return c.credVal(func(k *Creds) uint32 { return k.RGID }) })
	register(unix.SYS_GETEGID, func(c *Call) Result { return c.credVal(func(k *Creds) uint32 { return k.EGID }) })
	register(unix.SYS_GETRESUID, sysGetresuid)
	register(unix.SYS_GETRESGID, sysGetresgid)
	register(unix.SYS_GETGROUPS, sysGetgroups)
	register(unix.SYS_SETUID, sysSetuid)
	register(unix.SYS_SETGID, sysSetgid)
	register(unix.SYS_SETREUID, sysSetreuid)
	register(unix.SYS_SETREGID, sysSetregid)
	register(unix.SYS_SETRESUID, sysSetresuid)
	register(unix.SYS_SETRESGID, sysSetresgid)
	register(unix.SYS_SETFSUID, sysSetfsuid)
	register(unix.SYS_SETFSGID, sysSetfsgid)
	register(unix.SYS_SETGROUPS, sysSetgroups)
	register(unix.SYS_CAPGET, sysCapget)
	register(unix.SYS_CAPSET, sysCapset)
	register(unix.SYS_PRCTL, sysPrctlCreds)
}

// noID is the uid_t/gid_t -1 that leaves an id alone.
const noID = ^uint32(0)

func (c *Call) credVal(f func(*Creds) uint32) Result {
	k := c.Task.Creds
	k.mu.Lock()
	defer k.mu.Unlock()
	return Value(int64(f(k)))
}

func (c *Call) putIDs(ids ...uint32) Result {
	for i, id := range ids {
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], id)
		if err := c.Mem.CopyOut(c.Args[i], b[:]); err != nil {
			return Errno(err)
		}
	}
	return Value(0)
}

func sysGetresuid(c *Call) Result {
	k := c.Task.Creds
	k.mu.Lock()
	r, e, s := k.RUID, k.EUID, k.SUID
	k.mu.Unlock()
	return c.putIDs(r, e, s)
}

func sysGetresgid(c *Call) Result {
	k := c.Task.Creds
	k.mu.Lock()
	r, e, s := k.RGID, k.EGID, k.SGID
	k.mu.Unlock()
	return c.putIDs(r, e, s)
}

func sysGetgroups(c *Call) Result {
	k := c.Task.Creds
	k.mu.Lock()
	groups := append([]uint32(nil), k.Groups...)
	k.mu.Unlock()
	size := int(int32(c.Args[0]))
	if size < 0 {
		return Errno(unix.EINVAL)
	}
	if size == 0 {
		return Value(int64(len(groups)))
	}
	if size < len(groups) {
		return Errno(unix.EINVAL)
	}
	b := make([]byte, 4*len(groups))
	for i, g := range groups {
		binary.LittleEndian.PutUint32(b[4*i:], g)
	}
	return ResultOf(int64(len(groups)), c.Mem.CopyOut(c.Args[1], b))
}

// setuid family. Each takes the task's Creds lock, checks, changes, and
// fixes the capabilities up.

func sysSetuid(c *Call) Result {
	uid := uint32(c.Args[0])
	if uid == noID {
		return Errno(unix.EINVAL)
	}
	k := c.Task.Creds
	k.mu.Lock()
	defer k.mu.Unlock()
	or, oe, os, ofs := k.RUID, k.EUID, k.SUID, k.FSUID
	switch {
	case k.hasCapLocked(capSetuid):
		k.RUID, k.EUID, k.SUID, k.FSUID = uid, uid, uid, uid
	case uid == k.RUID || uid == k.SUID:
		k.EUID, k.FSUID = uid, uid
	default:
		return Errno(unix.EPERM)
	}
	k.fixSetuidLocked(or, oe, os, ofs)
	return Value(0)
}

func sysSetgid(c *Call) Result {
	gid := uint32(c.Args[0])
	if gid == noID {
		return Errno(unix.EINVAL)
	}
	k := c.Task.Creds
	k.mu.Lock()
	defer k.mu.Unlock()
	switch {
	case k.hasCapLocked(capSetgid):
		k.RGID, k.EGID, k.SGID, k.FSGID = gid, gid, gid, gid
	case gid == k.RGID || gid == k.SGID:
		k.EGID, k.FSGID = gid, gid
	default:
		return Errno(unix.EPERM)
	}
	return Value(0)
}

// setre sets real and effective ids as setreuid/setregid do; priv is
// whether the task holds the capability.
func setre(r, e *uint32, s, fs *uint32, nr, ne uint32, priv bool) error {
	or, oe, os := *r, *e, *s
	if nr != noID && nr != or && nr != oe && !priv {
		return unix.EPERM
	}
	if ne != noID && ne != or && ne != oe && ne != os && !priv {
		return unix.EPERM
	}
	if nr != noID {
		*r = nr
	}
	if ne != noID {
		*e = ne
	}
	if nr != noID || (ne != noID && ne != or) {
		*s = *e
	}
	*fs = *e
	return nil
}

func sysSetreuid(c *Call) Result {
	k := c.Task.Creds
	k.mu.Lock()
	defer k.mu.Unlock()
	or, oe, os, ofs := k.RUID, k.EUID, k.SUID, k.FSUID
	if err := setre(&k.RUID, &k.EUID, &k.SUID, &k.FSUID, uint32(c.Args[0]), uint32(c.Args[1]), k.hasCapLocked(capSetuid)); err != nil {
		return Errno(err)
	}
	k.fixSetuidLocked(or, oe, os, ofs)
	return Value(0)
}

func sysSetregid(c *Call) Result {
	k := c.Task.Creds
	k.mu.Lock()
	defer k.mu.Unlock()
	return Errno(setre(&k.RGID, &k.EGID, &k.SGID, &k.FSGID, uint32(c.Args[0]), uint32(c.Args[1]), k.hasCapLocked(capSetgid)))
}

// setres sets real, effective and saved ids as setresuid/setresgid do.
func setres(r, e, s, fs *uint32, nr, ne, ns uint32, priv bool) error {
	ok := func(id uint32) bool { return id == noID || priv || id == *r || id == *e || id == *s }
	if !ok(nr) || !ok(ne) || !ok(ns) {
		return unix.EPERM
	}
	if nr != noID {
		*r = nr
	}
	if ne != noID {
		*e = ne
	}
	if ns != noID {
		*s = ns
	}
	*fs = *e
	return nil
}

func sysSetresuid(c *Call) Result {
	k := c.Task.Creds
	k.mu.Lock()
	defer k.mu.Unlock()
	or, oe, os, ofs := k.RUID, k.EUID, k.SUID, k.FSUID
	if err := setres(&k.RUID, &k.EUID, &k.SUID, &k.FSUID, uint32(c.Args[0]), uint32(c.Args[1]), uint32(c.Args[2]), k.hasCapLocked(capSetuid)); err != nil {
		return Errno(err)
	}
	k.fixSetuidLocked(or, oe, os, ofs)
	return Value(0)
}

func sysSetresgid(c *Call) Result {
	k := c.Task.Creds
	k.mu.Lock()
	defer k.mu.Unlock()
	return Errno(setres(&k.RGID, &k.EGID, &k.SGID, &k.FSGID, uint32(c.Args[0]), uint32(c.Args[1]), uint32(c.Args[2]), k.hasCapLocked(capSetgid)))
}

// setfsuid always returns the old fsuid, and changes it only when allowed.
func sysSetfsuid(c *Call) Result {
	uid := uint32(c.Args[0])
	k := c.Task.Creds
	k.mu.Lock()
	defer k.mu.Unlock()
	old := k.FSUID
	if uid != noID && (uid == k.RUID || uid == k.EUID || uid == k.SUID || uid == k.FSUID || k.hasCapLocked(capSetuid)) {
		or, oe, os := k.RUID, k.EUID, k.SUID
		k.FSUID = uid
		k.fixSetuidLocked(or, oe, os, old)
	}
	return Value(int64(old))
}

func sysSetfsgid(c *Call) Result {
	gid := uint32(c.Args[0])
	k := c.Task.Creds
	k.mu.Lock()
	defer k.mu.Unlock()
	old := k.FSGID
	if gid != noID && (gid == k.RGID || gid == k.EGID || gid == k.SGID || gid == k.FSGID || k.hasCapLocked(capSetgid)) {
		k.FSGID = gid
	}
	return Value(int64(old))
}

// ngroupsMax is NGROUPS_MAX.
const ngroupsMax = 65536

func sysSetgroups(c *Call) Result {
	n := int(int32(c.Args[0]))
	if n < 0 || n > ngroupsMax {
		return Errno(unix.EINVAL)
	}
	b := make([]byte, 4*n)
	if n > 0 {
		if err := c.Mem.CopyIn(c.Args[1], b); err != nil {
			return Errno(err)
		}
	}
	k := c.Task.Creds
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.hasCapLocked(capSetgid) {
		return Errno(unix.EPERM)
	}
	groups := make([]uint32, n)
	for i := range groups {
		groups[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	k.Groups = groups
	return Value(0)
}

// Capability header versions.
const (
	capV1 = 0x19980330
	capV2 = 0x20071026
	capV3 = 0x20080522
)

// capHeader reads the capget/capset header: the number of 32-bit data
// structs the version carries, and the pid (0: the caller).
func (c *Call) capHeader() (words int, pid int32, err error) {
	var h [8]byte
	if err := c.Mem.CopyIn(c.Args[0], h[:]); err != nil {
		return 0, 0, err
	}
	switch binary.LittleEndian.Uint32(h[:]) {
	case capV1:
		words = 1
	case capV2, capV3:
		words = 2
	default:
		// Linux writes its preferred version back and answers EINVAL.
		binary.LittleEndian.PutUint32(h[:], capV3)
		c.Mem.CopyOut(c.Args[0], h[:4])
		return 0, 0, unix.EINVAL
	}
	return words, int32(binary.LittleEndian.Uint32(h[4:])), nil
}

func sysCapget(c *Call) Result {
	words, pid, err := c.capHeader()
	if err != nil {
		if c.Args[1] == 0 && err == unix.EINVAL {
			return Value(0)
		}
		return Errno(err)
	}
	t := c.Task
	if pid != 0 && int(pid) != t.PID() {
		if t = t.Kernel().TaskByGuestPID(int(pid)); t == nil {
			return Errno(unix.ESRCH)
		}
	}
	if c.Args[1] == 0 {
		return Value(0)
	}
	k := t.Creds
	k.mu.Lock()
	e, p, i := k.CapEffective, k.CapPermitted, k.CapInheritable
	k.mu.Unlock()
	b := make([]byte, 12*words)
	for w := 0; w < words; w++ {
		binary.LittleEndian.PutUint32(b[12*w:], uint32(e>>(32*w)))
		binary.LittleEndian.PutUint32(b[12*w+4:], uint32(p>>(32*w)))
		binary.LittleEndian.PutUint32(b[12*w+8:], uint32(i>>(32*w)))
	}
	return Errno(c.Mem.CopyOut(c.Args[1], b))
}

func sysCapset(c *Call) Result {
	words, pid, err := c.capHeader()
	if err != nil {
		return Errno(err)
	}
	if pid != 0 && int(pid) != c.Task.PID() {
		return Errno(unix.EPERM)
	}
	b := make([]byte, 12*words)
	if err := c.Mem.CopyIn(c.Args[1], b); err != nil {
		return Errno(err)
	}
	var e, p, i uint64
	for w := 0; w < words; w++ {
		e |= uint64(binary.LittleEndian.Uint32(b[12*w:])) << (32 * w)
		p |= uint64(binary.LittleEndian.Uint32(b[12*w+4:])) << (32 * w)
		i |= uint64(binary.LittleEndian.Uint32(b[12*w+8:])) << (32 * w)
	}
	k := c.Task.Creds
	k.mu.Lock()
	defer k.mu.Unlock()
	// cap_capset: no new permitted; inheritable within the old
	// inheritable and permitted (any with CAP_SETPCAP) and the bounding
	// set; effective within the new permitted.
	if p&^k.CapPermitted != 0 || e&^p != 0 {
		return Errno(unix.EPERM)
	}
	limit := k.CapInheritable | k.CapPermitted
	if k.hasCapLocked(capSetpcap) {
		limit = allCaps
	}
	if i&^limit != 0 || i&^(k.CapInheritable|k.CapBounding) != 0 {
		return Errno(unix.EPERM)
	}
	k.CapEffective, k.CapPermitted, k.CapInheritable = e, p, i
	k.CapAmbient &= p & i
	return Value(0)
}

// prctl options the filter sends to the sentry.
const (
	prGetKeepcaps     = 7
	prSetKeepcaps     = 8
	prCapbsetRead     = 23
	prCapbsetDrop     = 24
	prGetSecurebits   = 27
	prSetSecurebits   = 28
	prSetNoNewPrivs   = 38
	prGetNoNewPrivs   = 39
	prCapAmbient      = 47
	capAmbientIsSet   = 1
	capAmbientRaise   = 2
	capAmbientLower   = 3
	capAmbientClear   = 4
	lastCap           = 40
	securebitsAllowed = 0x3f
)

// PrctlCredOptions are the prctl options about credentials, which the
// filter sends to the sentry (the rest run natively).
var PrctlCredOptions = []uintptr{prGetKeepcaps, prSetKeepcaps, prCapbsetRead, prCapbsetDrop,
	prGetSecurebits, prSetSecurebits, prSetNoNewPrivs, prGetNoNewPrivs, prCapAmbient}

func sysPrctlCreds(c *Call) Result {
	k := c.Task.Creds
	k.mu.Lock()
	defer k.mu.Unlock()
	arg := c.Args[1]
	validCap := func(n uint64) bool { return n <= lastCap }
	switch int(int32(c.Args[0])) {
	case prGetKeepcaps:
		if k.Securebits&secbitKeepCaps != 0 {
			return Value(1)
		}
		return Value(0)
	case prSetKeepcaps:
		if arg > 1 {
			return Errno(unix.EINVAL)
		}
		if arg == 1 {
			k.Securebits |= secbitKeepCaps
		} else {
			k.Securebits &^= secbitKeepCaps
		}
		return Value(0)
	case prCapbsetRead:
		if !validCap(arg) {
			return Errno(unix.EINVAL)
		}
		return Value(int64(k.CapBounding >> arg & 1))
	case prCapbsetDrop:
		if !validCap(arg) {
			return Errno(unix.EINVAL)
		}
		if !k.hasCapLocked(capSetpcap) {
			return Errno(unix.EPERM)
		}
		k.CapBounding &^= 1 << arg
		return Value(0)
	case prGetSecurebits:
		return Value(int64(k.Securebits))
	case prSetSecurebits:
		if !k.hasCapLocked(capSetpcap) {
			return Errno(unix.EPERM)
		}
		if arg&^securebitsAllowed != 0 {
			return Errno(unix.EINVAL)
		}
		k.Securebits = uint32(arg)
		return Value(0)
	case prSetNoNewPrivs:
		if arg != 1 || c.Args[2] != 0 || c.Args[3] != 0 || c.Args[4] != 0 {
			return Errno(unix.EINVAL)
		}
		k.NoNewPrivs = true
		return Value(0)
	case prGetNoNewPrivs:
		if k.NoNewPrivs {
			return Value(1)
		}
		return Value(0)
	case prCapAmbient:
		n := c.Args[2]
		switch arg {
		case capAmbientIsSet:
			if !validCap(n) {
				return Errno(unix.EINVAL)
			}
			return Value(int64(k.CapAmbient >> n & 1))
		case capAmbientRaise:
			if !validCap(n) {
				return Errno(unix.EINVAL)
			}
			if k.CapPermitted>>n&1 == 0 || k.CapInheritable>>n&1 == 0 {
				return Errno(unix.EPERM)
			}
			k.CapAmbient |= 1 << n
			return Value(0)
		case capAmbientLower:
			if !validCap(n) {
				return Errno(unix.EINVAL)
			}
			k.CapAmbient &^= 1 << n
			return Value(0)
		case capAmbientClear:
			k.CapAmbient = 0
			return Value(0)
		}
		return Errno(unix.EINVAL)
	}
	return Result{Continue: true}
}
