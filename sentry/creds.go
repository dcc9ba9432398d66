package sentry

import (
	"sync"

	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

// Creds is a task's identity, analogous to Linux's struct cred. The host
// process keeps its own (root in the guest's user namespace, with
// NO_NEW_PRIVS); these are the ones the sentry checks and reports.
type Creds struct {
	mu sync.Mutex
	// All fields are protected by mu.
	RUID, EUID, SUID, FSUID uint32
	RGID, EGID, SGID, FSGID uint32
	Groups                  []uint32
	CapEffective            uint64
	CapPermitted            uint64
	CapInheritable          uint64
	CapBounding             uint64
	CapAmbient              uint64
	// Securebits are prctl(PR_SET_SECUREBITS)'s bits; KeepCaps is
	// SECBIT_KEEP_CAPS as PR_SET_KEEPCAPS sets it.
	Securebits uint32
	// NoNewPrivs is the guest's PR_SET_NO_NEW_PRIVS (the host's is always
	// set): exec then honours no setuid or setgid bit.
	NoNewPrivs bool
}

// allCaps is every capability Linux 6.x defines (0..CAP_LAST_CAP, 40):
// its CAP_VALID_MASK.
const allCaps = uint64(1)<<(unix.CAP_LAST_CAP+1) - 1

// Capabilities the sentry checks by number (linux/capability.h).
const (
	capChown          = unix.CAP_CHOWN
	capDacOverride    = unix.CAP_DAC_OVERRIDE
	capDacReadSearch  = unix.CAP_DAC_READ_SEARCH
	capFowner         = unix.CAP_FOWNER
	capFsetid         = unix.CAP_FSETID
	capSetgid         = unix.CAP_SETGID
	capSetuid         = unix.CAP_SETUID
	capSetpcap        = unix.CAP_SETPCAP
	capLinuxImmutable = unix.CAP_LINUX_IMMUTABLE
	capMknod          = unix.CAP_MKNOD
	capSetfcap        = unix.CAP_SETFCAP
	capMacOverride    = unix.CAP_MAC_OVERRIDE
	capLease          = unix.CAP_LEASE
)

// fsCaps are the capabilities that follow the fsuid, Linux's CAP_FS_SET
// (CAP_FS_MASK and CAP_LINUX_IMMUTABLE).
const fsCaps = 1<<capChown | 1<<capDacOverride | 1<<capDacReadSearch | 1<<capFowner |
	1<<capFsetid | 1<<capLinuxImmutable | 1<<capMknod | 1<<capMacOverride

// Securebits (linux/securebits.h): the lock of each bit is the bit above it.
const (
	secbitNoroot              = 1 << 0
	secbitNoSetuidFixup       = 1 << 2
	secbitKeepCaps            = 1 << 4
	secbitKeepCapsLocked      = 1 << 5
	secbitNoCapAmbientRaise   = 1 << 6
	secbitExecRestrictFile    = 1 << 8
	secbitExecDenyInteractive = 1 << 10

	// secureAllBits and secureAllLocks are Linux's SECURE_ALL_BITS and
	// SECURE_ALL_LOCKS; secureAllUnprivileged, SECURE_ALL_UNPRIVILEGED,
	// are the bits (Linux 6.14+) a task may set on itself without
	// CAP_SETPCAP, restrictions user space enforces on itself.
	secureAllBits = secbitNoroot | secbitNoSetuidFixup | secbitKeepCaps |
		secbitNoCapAmbientRaise | secbitExecRestrictFile | secbitExecDenyInteractive
	secureAllLocks        = secureAllBits << 1
	secureAllUnprivileged = secbitExecRestrictFile | secbitExecDenyInteractive
)

// RootCreds returns the identity of a guest root with full capabilities.
func RootCreds() *Creds {
	return &Creds{CapEffective: allCaps, CapPermitted: allCaps, CapBounding: allCaps}
}

// UserCreds returns the identity of user uid:gid, as login would make it:
// root gets every capability, anyone else none.
func UserCreds(uid, gid uint32) *Creds {
	c := &Creds{RUID: uid, EUID: uid, SUID: uid, FSUID: uid, RGID: gid, EGID: gid, SGID: gid, FSGID: gid,
		Groups: []uint32{gid}, CapBounding: allCaps}
	if uid == 0 {
		c.CapEffective, c.CapPermitted = allCaps, allCaps
	}
	return c
}

// wouldBeSecure reports whether an exec of a file with mode, owner and
// group, nosuid or not, would be a secure one (execLocked's answer), with
// nothing changed.
func (c *Creds) wouldBeSecure(mode, fileUID, fileGID uint32, nosuid bool) bool {
	n := c.Fork()
	return n.execLocked(mode, fileUID, fileGID, nosuid, false)
}

// Fork returns a copy for a new task.
func (c *Creds) Fork() *Creds {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := &Creds{RUID: c.RUID, EUID: c.EUID, SUID: c.SUID, FSUID: c.FSUID,
		RGID: c.RGID, EGID: c.EGID, SGID: c.SGID, FSGID: c.FSGID,
		Groups:       append([]uint32(nil), c.Groups...),
		CapEffective: c.CapEffective, CapPermitted: c.CapPermitted,
		CapInheritable: c.CapInheritable, CapBounding: c.CapBounding, CapAmbient: c.CapAmbient,
		Securebits: c.Securebits, NoNewPrivs: c.NoNewPrivs}
	return n
}

// VFS returns the identity the VFS checks permissions against.
func (c *Creds) VFS() *vfs.Cred {
	c.mu.Lock()
	defer c.mu.Unlock()
	return &vfs.Cred{UID: c.FSUID, GID: c.FSGID, Groups: append([]uint32(nil), c.Groups...), CapEffective: c.CapEffective}
}

// hasCapLocked reports whether capability cap is effective.
//
// Preconditions: c.mu is held.
func (c *Creds) hasCapLocked(cap int) bool { return c.CapEffective&(1<<uint(cap)) != 0 }

// fixSetxuidLocked adjusts capabilities after setuid, setreuid or
// setresuid changed the uids from old (ruid, euid, suid), as Linux's
// cap_task_fix_setuid (cap_emulate_setxuid); the fsuid is not looked at.
//
// Preconditions: c.mu is held.
func (c *Creds) fixSetxuidLocked(or, oe, os uint32) {
	if c.Securebits&secbitNoSetuidFixup != 0 {
		return
	}
	if (or == 0 || oe == 0 || os == 0) && c.RUID != 0 && c.EUID != 0 && c.SUID != 0 {
		if c.Securebits&secbitKeepCaps == 0 {
			c.CapPermitted, c.CapEffective = 0, 0
		}
		c.CapAmbient = 0
	}
	if oe == 0 && c.EUID != 0 {
		c.CapEffective = 0
	}
	if oe != 0 && c.EUID == 0 {
		c.CapEffective = c.CapPermitted
	}
}

// fixSetfsuidLocked adjusts the effective capabilities after setfsuid
// changed the fsuid from ofs, as Linux's cap_task_fix_setuid
// (LSM_SETID_FS): CAP_FS_SET leaves with fsuid 0 and comes back, within
// the permitted set, with it.
//
// Preconditions: c.mu is held.
func (c *Creds) fixSetfsuidLocked(ofs uint32) {
	if c.Securebits&secbitNoSetuidFixup != 0 {
		return
	}
	if ofs == 0 && c.FSUID != 0 {
		c.CapEffective &^= fsCaps
	}
	if ofs != 0 && c.FSUID == 0 {
		c.CapEffective |= c.CapPermitted & fsCaps
	}
}

// inGroupLocked reports whether gid is the fsgid or a supplementary
// group, as Linux's in_group_p.
//
// Preconditions: c.mu is held.
func (c *Creds) inGroupLocked(gid uint32) bool {
	if gid == c.FSGID {
		return true
	}
	for _, g := range c.Groups {
		if g == gid {
			return true
		}
	}
	return false
}

// execLocked transforms the identity at exec of a file owned by
// fileUID:fileGID with mode, on a mount with nosuid or not, as Linux's
// bprm_fill_uid and cap_bprm_creds_from_file (6.15+) without file
// capabilities, which the sentry does not read.
//
// Preconditions: c.mu is held.
//
// unsafeShare is Linux's LSM_UNSAFE_SHARE: the task's filesystem context
// is shared with another process (CLONE_FS).
func (c *Creds) execLocked(mode, fileUID, fileGID uint32, nosuid, unsafeShare bool) (secure bool) {
	oldEUID, oldPermitted, oldEffective := c.EUID, c.CapPermitted, c.CapEffective
	oldRUID, oldRGID := c.RUID, c.RGID
	// bprm_fill_uid: the set-id bits, unless nosuid or no_new_privs.
	if !nosuid && !c.NoNewPrivs {
		if mode&unix.S_ISUID != 0 {
			c.EUID = fileUID
		}
		if mode&(unix.S_ISGID|unix.S_IXGRP) == unix.S_ISGID|unix.S_IXGRP {
			c.EGID = fileGID
		}
	}
	// handle_privileged_root: root's file is taken to have every
	// capability (pP' = bounding | inheritable), effective if the euid
	// is 0; anyone else's none.
	var permitted uint64
	effective := false
	if c.Securebits&secbitNoroot == 0 {
		if c.EUID == 0 || c.RUID == 0 {
			permitted = c.CapBounding | c.CapInheritable
		}
		effective = c.EUID == 0
	}
	// An exec that changes the euid, or an egid the task is not in, is a
	// set-id one. An unsafe one (no_new_privs, or a filesystem context
	// shared with another process; the guest has no ptrace), or one that
	// would gain permitted capabilities, gets no more than the task had
	// (cap_bprm_creds_from_file): the old permitted set at most, and the
	// real ids under no_new_privs or without CAP_SETUID.
	idChanged := c.EUID != oldEUID || !c.inGroupLocked(c.EGID)
	if (c.NoNewPrivs || unsafeShare) && (idChanged || permitted&^oldPermitted != 0) {
		if c.NoNewPrivs || oldEffective&(1<<unix.CAP_SETUID) == 0 {
			c.EUID, c.EGID = c.RUID, c.RGID
		}
		permitted &= oldPermitted
	}
	c.SUID, c.FSUID = c.EUID, c.EUID
	c.SGID, c.FSGID = c.EGID, c.EGID
	// A set-id exec cancels the ambient set; what is left of it is added
	// to the permitted set, and is the effective one unless root's file
	// is effective.
	if idChanged {
		c.CapAmbient = 0
	}
	c.CapPermitted = (permitted | c.CapAmbient) & allCaps
	if effective {
		c.CapEffective = c.CapPermitted
	} else {
		c.CapEffective = c.CapAmbient
	}
	c.Securebits &^= secbitKeepCaps
	// bprm->secureexec, which the loader sees as AT_SECURE: a set-id
	// exec (even one downgraded above), new effective ids other than the
	// old real ones, or one that gives a non-root real user capabilities.
	return idChanged || c.EUID != oldRUID || c.EGID != oldRGID ||
		c.RUID != 0 && (effective || c.CapPermitted&^c.CapAmbient != 0)
}

// dumpOwner returns the owner procfs gives the task's entries, as Linux's
// task_dump_owner: the effective uid and gid.
func (c *Creds) dumpOwner() *vfs.Cred {
	c.mu.Lock()
	defer c.mu.Unlock()
	return &vfs.Cred{UID: c.EUID, GID: c.EGID}
}

// accessVFS returns the identity access and faccessat (without
// AT_EACCESS) check against, as Linux's access_override_creds: the real
// uid and gid as fsuid and fsgid and, unless SECBIT_NO_SETUID_FIXUP, the
// permitted capabilities for a real root and none for anyone else.
func (c *Creds) accessVFS() *vfs.Cred {
	c.mu.Lock()
	defer c.mu.Unlock()
	caps := c.CapEffective
	if c.Securebits&secbitNoSetuidFixup == 0 {
		caps = 0
		if c.RUID == 0 {
			caps = c.CapPermitted
		}
	}
	return &vfs.Cred{UID: c.RUID, GID: c.RGID, Groups: append([]uint32(nil), c.Groups...), CapEffective: caps}
}

// ids are a task's real, effective and saved user and group ids.
type ids struct {
	ruid, euid, suid, rgid, egid, sgid uint32
}

func (t *Task) ids() ids {
	if t == nil {
		return ids{} // vkernel's init: root's
	}
	c := t.Creds
	c.mu.Lock()
	defer c.mu.Unlock()
	return ids{c.RUID, c.EUID, c.SUID, c.RGID, c.EGID, c.SGID}
}

func (t *Task) hasCap(cp int) bool {
	c := t.Creds
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hasCapLocked(cp)
}
