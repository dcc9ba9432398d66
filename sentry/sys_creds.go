package sentry

import (
	"encoding/binary"
	"slices"

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
	register(unix.SYS_PRCTL, sysPrctl)
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
	or, oe, os := k.RUID, k.EUID, k.SUID
	switch {
	case k.hasCapLocked(capSetuid):
		k.RUID, k.EUID, k.SUID, k.FSUID = uid, uid, uid, uid
	case uid == k.RUID || uid == k.SUID:
		k.EUID, k.FSUID = uid, uid
	default:
		return Errno(unix.EPERM)
	}
	k.fixSetxuidLocked(or, oe, os)
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
	or, oe, os := k.RUID, k.EUID, k.SUID
	if err := setre(&k.RUID, &k.EUID, &k.SUID, &k.FSUID, uint32(c.Args[0]), uint32(c.Args[1]), k.hasCapLocked(capSetuid)); err != nil {
		return Errno(err)
	}
	k.fixSetxuidLocked(or, oe, os)
	return Value(0)
}

func sysSetregid(c *Call) Result {
	k := c.Task.Creds
	k.mu.Lock()
	defer k.mu.Unlock()
	return Errno(setre(&k.RGID, &k.EGID, &k.SGID, &k.FSGID, uint32(c.Args[0]), uint32(c.Args[1]), k.hasCapLocked(capSetgid)))
}

// setres sets real, effective and saved ids as setresuid/setresgid do.
// A call that would change nothing (each id -1 or the current one, the
// effective also the filesystem one) returns at once, as Linux 6.x's: the
// filesystem id is then not reset.
func setres(r, e, s, fs *uint32, nr, ne, ns uint32, priv bool) error {
	if (nr == noID || nr == *r) && (ne == noID || (ne == *e && ne == *fs)) && (ns == noID || ns == *s) {
		return nil
	}
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
	or, oe, os := k.RUID, k.EUID, k.SUID
	if err := setres(&k.RUID, &k.EUID, &k.SUID, &k.FSUID, uint32(c.Args[0]), uint32(c.Args[1]), uint32(c.Args[2]), k.hasCapLocked(capSetuid)); err != nil {
		return Errno(err)
	}
	k.fixSetxuidLocked(or, oe, os)
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
	if uid != noID && uid != old && (uid == k.RUID || uid == k.EUID || uid == k.SUID || k.hasCapLocked(capSetuid)) {
		k.FSUID = uid
		k.fixSetfsuidLocked(old)
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

// setgroups checks CAP_SETGID first, then the size, then reads the list,
// which it keeps sorted (groups_sort), as Linux's.
func sysSetgroups(c *Call) Result {
	k := c.Task.Creds
	k.mu.Lock()
	priv := k.hasCapLocked(capSetgid)
	k.mu.Unlock()
	if !priv {
		return Errno(unix.EPERM)
	}
	n := uint32(c.Args[0])
	if n > ngroupsMax {
		return Errno(unix.EINVAL)
	}
	b := make([]byte, 4*n)
	if n > 0 {
		if err := c.Mem.CopyIn(c.Args[1], b); err != nil {
			return Errno(err)
		}
	}
	groups := make([]uint32, n)
	for i := range groups {
		groups[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	slices.Sort(groups)
	k.mu.Lock()
	defer k.mu.Unlock()
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
	// The pid is a thread's id (find_task_by_vpid): a process's names its
	// leader.
	t := c.Task
	if pid != 0 && int(pid) != t.GuestTID() {
		if t = t.Kernel().threadByGuestTID(int(pid)); t == nil {
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
	// Only the calling thread's own id (task_pid_vnr(current)) or 0.
	if pid != 0 && int(pid) != c.Task.GuestTID() {
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
	// Bits past CAP_LAST_CAP are dropped (mk_kernel_cap).
	e, p, i = e&allCaps, p&allCaps, i&allCaps
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
	prGetKeepcaps   = unix.PR_GET_KEEPCAPS
	prSetKeepcaps   = unix.PR_SET_KEEPCAPS
	prCapbsetRead   = unix.PR_CAPBSET_READ
	prCapbsetDrop   = unix.PR_CAPBSET_DROP
	prGetSecurebits = unix.PR_GET_SECUREBITS
	prSetSecurebits = unix.PR_SET_SECUREBITS
	prSetNoNewPrivs = unix.PR_SET_NO_NEW_PRIVS
	prGetNoNewPrivs = unix.PR_GET_NO_NEW_PRIVS
	prCapAmbient    = unix.PR_CAP_AMBIENT
	capAmbientIsSet = unix.PR_CAP_AMBIENT_IS_SET
	capAmbientRaise = unix.PR_CAP_AMBIENT_RAISE
	capAmbientLower = unix.PR_CAP_AMBIENT_LOWER
	capAmbientClear = unix.PR_CAP_AMBIENT_CLEAR_ALL
	lastCap         = unix.CAP_LAST_CAP
)

// PrctlCredOptions are the prctl options about credentials, which the
// filter sends to the sentry (the rest run natively).
var PrctlCredOptions = []uintptr{prGetKeepcaps, prSetKeepcaps, prCapbsetRead, prCapbsetDrop,
	prGetSecurebits, prSetSecurebits, prSetNoNewPrivs, prGetNoNewPrivs, prCapAmbient}

// validCap is Linux's cap_valid.
func validCap(n uint64) bool { return n <= lastCap }

// sysPrctlCreds serves the options of Linux's cap_task_prctl and
// PR_GET/SET_NO_NEW_PRIVS (kernel/sys.c), with their errno order.
func sysPrctlCreds(c *Call) Result {
	k := c.Task.Creds
	k.mu.Lock()
	defer k.mu.Unlock()
	arg2, arg3, arg4, arg5 := c.Args[1], c.Args[2], c.Args[3], c.Args[4]
	switch int(int32(c.Args[0])) {
	case prGetKeepcaps:
		return boolValue(k.Securebits&secbitKeepCaps != 0)
	case prSetKeepcaps:
		if arg2 > 1 {
			return Errno(unix.EINVAL)
		}
		if k.Securebits&secbitKeepCapsLocked != 0 {
			return Errno(unix.EPERM)
		}
		if arg2 == 1 {
			k.Securebits |= secbitKeepCaps
		} else {
			k.Securebits &^= secbitKeepCaps
		}
		return Value(0)
	case prCapbsetRead:
		if !validCap(arg2) {
			return Errno(unix.EINVAL)
		}
		return Value(int64(k.CapBounding >> arg2 & 1))
	case prCapbsetDrop:
		// cap_prctl_drop: the capability before the argument.
		if !k.hasCapLocked(capSetpcap) {
			return Errno(unix.EPERM)
		}
		if !validCap(arg2) {
			return Errno(unix.EINVAL)
		}
		k.CapBounding &^= 1 << arg2
		return Value(0)
	case prGetSecurebits:
		return Value(int64(k.Securebits))
	case prSetSecurebits:
		return Errno(k.setSecurebitsLocked(arg2))
	case prSetNoNewPrivs:
		if arg2 != 1 || arg3 != 0 || arg4 != 0 || arg5 != 0 {
			return Errno(unix.EINVAL)
		}
		k.NoNewPrivs = true
		return Value(0)
	case prGetNoNewPrivs:
		if arg2 != 0 || arg3 != 0 || arg4 != 0 || arg5 != 0 {
			return Errno(unix.EINVAL)
		}
		return boolValue(k.NoNewPrivs)
	case prCapAmbient:
		return k.capAmbientLocked(arg2, arg3, arg4, arg5)
	}
	return Result{Continue: true}
}

func boolValue(b bool) Result {
	if b {
		return Value(1)
	}
	return Value(0)
}

// setSecurebitsLocked is PR_SET_SECUREBITS: no change to a locked bit, no
// unlocking, no unknown bit (all EPERM); and CAP_SETPCAP, unless the call
// changes something and only the unprivileged bits and their locks.
//
// Preconditions: c.mu is held.
func (c *Creds) setSecurebitsLocked(arg uint64) error {
	old := uint64(c.Securebits)
	if (old&secureAllLocks)>>1&(old^arg) != 0 || old&secureAllLocks&^arg != 0 ||
		arg&^(secureAllLocks|secureAllBits) != 0 {
		return unix.EPERM
	}
	if !c.hasCapLocked(capSetpcap) {
		changed := old ^ arg
		// A call that changes nothing is denied, for legacy's sake.
		if changed == 0 || changed&^(secureAllUnprivileged|secureAllUnprivileged<<1) != 0 {
			return unix.EPERM
		}
	}
	c.Securebits = uint32(arg)
	return nil
}

// capAmbientLocked is PR_CAP_AMBIENT: CLEAR_ALL with no other argument;
// otherwise a valid capability and no arg4 or arg5 (EINVAL), and a raise
// only of what is permitted and inheritable, without
// SECBIT_NO_CAP_AMBIENT_RAISE (EPERM).
//
// Preconditions: c.mu is held.
func (c *Creds) capAmbientLocked(op, n, arg4, arg5 uint64) Result {
	if op == capAmbientClear {
		if n != 0 || arg4 != 0 || arg5 != 0 {
			return Errno(unix.EINVAL)
		}
		c.CapAmbient = 0
		return Value(0)
	}
	if !validCap(n) || arg4 != 0 || arg5 != 0 {
		return Errno(unix.EINVAL)
	}
	switch op {
	case capAmbientIsSet:
		return Value(int64(c.CapAmbient >> n & 1))
	case capAmbientRaise:
		if c.CapPermitted>>n&1 == 0 || c.CapInheritable>>n&1 == 0 || c.Securebits&secbitNoCapAmbientRaise != 0 {
			return Errno(unix.EPERM)
		}
		c.CapAmbient |= 1 << n
		return Value(0)
	case capAmbientLower:
		c.CapAmbient &^= 1 << n
		return Value(0)
	}
	return Errno(unix.EINVAL)
}
