package sentry

import (
	"bytes"
	"encoding/binary"
	"os"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"

	"vkernel/hostcred"
)

// A descriptor's owner: the process, thread or process group that SIGIO
// and SIGURG go to (F_SETOWN, F_SETOWN_EX; FIOSETOWN and SIOCSPGRP on a
// socket). Linux records the setter's real and effective uids with the
// owner and, at each signal, sends it only to the targets sigio_perm
// allows: a setter whose euid is root, or whose real or effective uid is a
// target's real or saved one. Natively the host would record host root (a
// guest process is root in the guest's user namespace) and let any guest
// user signal any guest process, vkernel's init among them. So the sentry
// sets the owner itself, on its duplicate of the descriptor, with the
// guest's ids translated to the host's pid namespace:
//
//   - a target outside the guest (vkernel's init) is refused (EPERM);
//   - when sigio_perm allows the caller every target, the owner is set
//     with the sentry's identity, and the host delivers;
//   - otherwise it is set from a thread with the caller's real and
//     effective uids (hostcred), which the host compares with the
//     targets' host uids, root's for every guest process: nothing is
//     delivered, as Linux delivers nothing to those targets. A caller
//     whose real uid is root but not permitted gets EPERM instead (the
//     host would let its owner through).
//
// The check is made when the owner is set; Linux makes it at each signal,
// so a target whose ids change later is judged by its ids of then.

// Owner types of F_SETOWN_EX (linux/fcntl.h).
const (
	fOwnerTID  = 0
	fOwnerPID  = 1
	fOwnerPGRP = 2
	fSetownEx  = 15
	fioSetown  = 0x8901
	siocSpgrp  = 0x8902
)

// ownerTarget is an owner to set: Linux's (type, pid).
type ownerTarget struct {
	typ int // fOwnerTID, fOwnerPID or fOwnerPGRP
	id  int // guest id; 0 clears the owner
}

// sysSetown serves F_SETOWN (who: a pid, or a group as -pgid).
func (c *Call) sysSetown(fd int, who int32) Result {
	t := ownerTarget{typ: fOwnerPID, id: int(who)}
	if who < 0 {
		if who == -1<<31 {
			return Errno(unix.EINVAL)
		}
		t = ownerTarget{typ: fOwnerPGRP, id: int(-who)}
	}
	return c.setOwner(fd, t, func(h, host int) error {
		if t.typ == fOwnerPGRP {
			host = -host
		}
		_, err := unix.FcntlInt(uintptr(h), unix.F_SETOWN, host)
		return err
	})
}

// sysSetownEx serves F_SETOWN_EX.
func (c *Call) sysSetownEx(fd int, addr uint64) Result {
	var b [8]byte
	if err := c.Mem.CopyIn(addr, b[:]); err != nil {
		return Errno(unix.EFAULT)
	}
	t := ownerTarget{typ: int(int32(binary.LittleEndian.Uint32(b[0:]))), id: int(int32(binary.LittleEndian.Uint32(b[4:])))}
	if t.typ != fOwnerTID && t.typ != fOwnerPID && t.typ != fOwnerPGRP {
		return Errno(unix.EINVAL)
	}
	return c.setOwner(fd, t, func(h, host int) error {
		ex := [2]int32{int32(t.typ), int32(host)} // struct f_owner_ex
		_, _, e := unix.Syscall(unix.SYS_FCNTL, uintptr(h), fSetownEx, uintptr(unsafe.Pointer(&ex[0])))
		if e != 0 {
			return e
		}
		return nil
	})
}

// sysSocketSetown serves FIOSETOWN and SIOCSPGRP (an int at addr, as
// F_SETOWN's argument); the host answers them for sockets only.
func (c *Call) sysSocketSetown(fd int, cmd uint32, addr uint64) Result {
	var b [4]byte
	if err := c.Mem.CopyIn(addr, b[:]); err != nil {
		return Errno(unix.EFAULT)
	}
	who := int32(binary.LittleEndian.Uint32(b[:]))
	t := ownerTarget{typ: fOwnerPID, id: int(who)}
	if who < 0 {
		t = ownerTarget{typ: fOwnerPGRP, id: int(-int64(who))}
	}
	return c.setOwner(fd, t, func(h, host int) error {
		if t.typ == fOwnerPGRP {
			host = -host
		}
		v := int32(host)
		_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(h), uintptr(cmd), uintptr(unsafe.Pointer(&v)))
		if e != 0 {
			return e
		}
		return nil
	})
}

// setOwner resolves t, checks it and calls set with the sentry's
// duplicate of fd and the target's host id, as the sentry or as the
// caller (see above).
func (c *Call) setOwner(fd int, t ownerTarget, set func(h, host int) error) Result {
	if c.opath(fd) {
		return Errno(unix.EBADF)
	}
	h, closeH, err := c.hostFD(fd)
	if err != nil {
		return Errno(err)
	}
	if closeH {
		defer unix.Close(h)
	}
	if t.id == 0 {
		return Errno(set(h, 0))
	}
	host, targets, err := c.ownerTargets(t)
	if err != nil {
		return Errno(err)
	}
	me := c.Task.ids()
	permitted := true
	for _, tt := range targets {
		them := tt.ids()
		if !(me.euid == 0 || me.euid == them.suid || me.euid == them.ruid || me.ruid == them.suid || me.ruid == them.ruid) {
			permitted = false
		}
	}
	if permitted {
		return Errno(set(h, host))
	}
	if me.ruid == 0 {
		return Errno(unix.EPERM)
	}
	id := hostcred.Identity{UID: me.ruid, EUID: me.euid, FSUID: me.euid, GID: me.rgid, EGID: me.egid, FSGID: me.egid}
	return Errno(hostcred.Run(id, func() error { return set(h, host) }))
}

// ownerTargets translates t into the host's id (a thread's or process's
// host id; a group's host pgid) and the guest tasks it names. ESRCH: no
// such process or group; EPERM: one of vkernel's own processes.
func (c *Call) ownerTargets(t ownerTarget) (host int, targets []*Task, err error) {
	k := c.Task.Kernel()
	if t.typ == fOwnerPGRP {
		for _, m := range c.group(t.id) {
			if pg := hostPgid(m.hostTID); pg > 0 {
				host = pg
			}
			targets = append(targets, m.task)
		}
		if host != 0 {
			return host, targets, nil
		}
		// No such group: Linux still takes any pid that exists (the
		// group is empty, nothing is ever delivered).
	}
	if task := k.threadByGuestTID(t.id); task != nil {
		if t.typ == fOwnerPGRP {
			return task.TID(), nil, nil
		}
		return task.TID(), []*Task{task}, nil
	}
	if k.initThread(t.id) != 0 {
		return 0, nil, unix.EPERM
	}
	return 0, nil, unix.ESRCH
}

// hostPgid returns host task tid's process group in the host's pid
// namespace (stat's fifth field), 0 if it cannot be read.
func hostPgid(tid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(tid) + "/stat")
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 3 {
		return 0
	}
	n, _ := strconv.Atoi(string(f[2]))
	return n
}
