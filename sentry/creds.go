package sentry

import (
	"sync"

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

// allCaps is every capability Linux 6.x defines (0..40).
const allCaps = uint64(1)<<41 - 1

// Capabilities the sentry checks by number.
const (
	capChown          = 0
	capDacOverride    = 1
	capDacReadSearch  = 2
	capFowner         = 3
	capFsetid         = 4
	capSetgid         = 6
	capSetuid         = 7
	capSetpcap        = 8
	capLinuxImmutable = 9
	capMknod          = 27
	capMacOverride    = 33
)

// fsCaps are the capabilities that follow the fsuid (cap_task_fix_setuid).
const fsCaps = 1<<capChown | 1<<capDacOverride | 1<<capDacReadSearch | 1<<capFowner |
	1<<capFsetid | 1<<capLinuxImmutable | 1<<capMknod | 1<<capMacOverride

// Securebits.
const (
	secbitNoroot        = 1 << 0
	secbitNoSetuidFixup = 1 << 2
	secbitKeepCaps      = 1 << 4
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

// fixSetuidLocked adjusts capabilities after the uids changed from old
// (ruid, euid, suid, fsuid), as Linux's cap_task_fix_setuid.
//
// Preconditions: c.mu is held.
func (c *Creds) fixSetuidLocked(or, oe, os, ofs uint32) {
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
	if ofs == 0 && c.FSUID != 0 {
		c.CapEffective &^= fsCaps
	}
	if ofs != 0 && c.FSUID == 0 {
		c.CapEffective |= c.CapPermitted & fsCaps
	}
}

// execLocked transforms the identity at exec of a file owned by
// fileUID:fileGID with mode, on a mount with nosuid or not, as Linux's
// bprm creds (no file capabilities).
//
// Preconditions: c.mu is held.
func (c *Creds) execLocked(mode, fileUID, fileGID uint32, nosuid bool) {
	if !nosuid && !c.NoNewPrivs {
		if mode&04000 != 0 {
			c.EUID = fileUID
		}
		if mode&02000 != 0 && mode&00010 != 0 {
			c.EGID = fileGID
		}
	}
	c.FSUID, c.SUID = c.EUID, c.EUID
	c.FSGID, c.SGID = c.EGID, c.EGID
	if c.Securebits&secbitNoroot == 0 && (c.EUID == 0 || c.RUID == 0) {
		// Root: the file is taken to have every capability.
		c.CapPermitted = (c.CapInheritable | c.CapBounding) & allCaps
		c.CapAmbient = 0
	} else {
		c.CapPermitted = c.CapAmbient
	}
	if c.EUID == 0 && c.Securebits&secbitNoroot == 0 {
		c.CapEffective = c.CapPermitted
	} else {
		c.CapEffective = c.CapAmbient
	}
	c.Securebits &^= secbitKeepCaps
}
