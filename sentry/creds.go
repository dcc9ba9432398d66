package sentry

import (
	"sync"

	"vkernel/sentry/vfs"
)

// Creds is a task's identity, analogous to Linux's struct cred.
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
}

// allCaps is every capability Linux 6.x defines (0..40).
const allCaps = uint64(1)<<41 - 1

// RootCreds returns the identity of a guest root with full capabilities.
func RootCreds() *Creds {
	return &Creds{CapEffective: allCaps, CapPermitted: allCaps, CapBounding: allCaps}
}

// UserCreds returns the identity of an unprivileged user uid:gid.
func UserCreds(uid, gid uint32) *Creds {
	if uid == 0 {
		c := RootCreds()
		c.RGID, c.EGID, c.SGID, c.FSGID = gid, gid, gid, gid
		return c
	}
	return &Creds{RUID: uid, EUID: uid, SUID: uid, FSUID: uid, RGID: gid, EGID: gid, SGID: gid, FSGID: gid, CapBounding: allCaps}
}

// Fork returns a copy for a new task.
func (c *Creds) Fork() *Creds {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := &Creds{RUID: c.RUID, EUID: c.EUID, SUID: c.SUID, FSUID: c.FSUID,
		RGID: c.RGID, EGID: c.EGID, SGID: c.SGID, FSGID: c.FSGID,
		Groups:       append([]uint32(nil), c.Groups...),
		CapEffective: c.CapEffective, CapPermitted: c.CapPermitted,
		CapInheritable: c.CapInheritable, CapBounding: c.CapBounding}
	return n
}

// VFS returns the identity the VFS checks permissions against.
func (c *Creds) VFS() *vfs.Cred {
	c.mu.Lock()
	defer c.mu.Unlock()
	return &vfs.Cred{UID: c.FSUID, GID: c.FSGID, Groups: append([]uint32(nil), c.Groups...), CapEffective: c.CapEffective}
}
