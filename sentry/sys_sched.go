package sentry

import (
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Calls that act on another process's limits, priority or scheduling.
// The host would let any guest process act on any other (they are all
// root in the guest's user namespace), so when one names another process
// (the filter lets the caller's own through natively) the sentry checks
// the permission as Linux does with the guest's credentials, then lets
// the host make the call. setpriority and getpriority for a user, whose
// processes the host cannot tell apart, are the sentry's: it finds them
// by their guest real uid.

func init() {
	register(unix.SYS_PRLIMIT64, sysPrlimit64)
	register(unix.SYS_SCHED_SETAFFINITY, sysSchedSet)
	register(unix.SYS_SCHED_SETPARAM, sysSchedSet)
	register(unix.SYS_SCHED_SETSCHEDULER, sysSchedSet)
	register(unix.SYS_SCHED_SETATTR, sysSchedSet)
	register(unix.SYS_IOPRIO_SET, sysIoprioSet)
	register(unix.SYS_SETPRIORITY, sysSetpriority)
	register(unix.SYS_GETPRIORITY, sysGetpriority)
}

// ids are a task's real, effective and saved user and group ids.
type ids struct {
	ruid, euid, suid, rgid, egid, sgid uint32
}

func (t *Task) ids() ids {
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

// target returns the task whose guest id is tid (a thread or a process);
// nil when there is none, and the host then answers ESRCH.
func (c *Call) target(tid int) *Task {
	if tid <= 0 {
		return nil
	}
	return c.Task.Kernel().threadByGuestTID(tid)
}

// sysPrlimit64 checks check_prlimit_permission: the caller's real uid is
// every uid of the target and its real gid every gid, or it has
// CAP_SYS_RESOURCE.
func sysPrlimit64(c *Call) Result {
	t := c.target(int(int32(c.Args[0])))
	if t == nil || t == c.Task || c.Task.hasCap(unix.CAP_SYS_RESOURCE) {
		return continued
	}
	me, them := c.Task.ids(), t.ids()
	if me.ruid == them.ruid && me.ruid == them.euid && me.ruid == them.suid &&
		me.rgid == them.rgid && me.rgid == them.egid && me.rgid == them.sgid {
		return continued
	}
	return Errno(unix.EPERM)
}

// sameOwner is check_same_owner: the caller's effective uid is the
// target's real or effective one.
func (c *Call) sameOwner(t *Task) bool {
	me, them := c.Task.ids(), t.ids()
	return me.euid == them.euid || me.euid == them.ruid
}

// sysSchedSet checks the sched_set* calls on another task: the same
// owner, or CAP_SYS_NICE.
func sysSchedSet(c *Call) Result {
	t := c.target(int(int32(c.Args[0])))
	if t == nil || t == c.Task || c.sameOwner(t) || c.Task.hasCap(unix.CAP_SYS_NICE) {
		return continued
	}
	return Errno(unix.EPERM)
}

// ioprio_set's and setpriority's "which".
const (
	ioprioWhoProcess = 1
	prioProcess      = 0
	prioPgrp         = 1
	prioUser         = 2
)

// sysIoprioSet checks ioprio_set on another process: the target's real
// uid is the caller's real or effective one, or CAP_SYS_NICE. A process
// group or a user is left to the host.
func sysIoprioSet(c *Call) Result {
	if c.Args[0] != ioprioWhoProcess {
		return continued
	}
	t := c.target(int(int32(c.Args[1])))
	if t == nil || t == c.Task || c.Task.hasCap(unix.CAP_SYS_NICE) {
		return continued
	}
	me, them := c.Task.ids(), t.ids()
	if them.ruid == me.euid || them.ruid == me.ruid {
		return continued
	}
	return Errno(unix.EPERM)
}

// mayRenice is set_one_prio_perm: the target's real or effective uid is
// the caller's effective one, or CAP_SYS_NICE.
func (c *Call) mayRenice(t *Task) bool {
	if t == c.Task || c.Task.hasCap(unix.CAP_SYS_NICE) {
		return true
	}
	me, them := c.Task.ids(), t.ids()
	return them.ruid == me.euid || them.euid == me.euid
}

// prioTargets returns the threads setpriority and getpriority act on for
// a process group or a user (who 0: the caller's own).
func (c *Call) prioTargets(which, who int) []*Task {
	k := c.Task.Kernel()
	if which == prioPgrp && who == 0 {
		who = nsStatus(c.Task.TID, "NSpgid")
	}
	if which == prioUser && who == 0 {
		who = int(c.Task.ids().ruid)
	}
	var out []*Task
	for _, l := range k.Tasks() {
		for _, t := range l.TG.Threads() {
			switch {
			case which == prioPgrp && nsStatus(t.TID, "NSpgid") == who,
				which == prioUser && int(t.ids().ruid) == who:
				out = append(out, t)
			}
		}
	}
	return out
}

func sysSetpriority(c *Call) Result {
	which, who, prio := int(int32(c.Args[0])), int(int32(c.Args[1])), int(int32(c.Args[2]))
	switch which {
	case prioProcess:
		t := c.target(who)
		if t == nil || c.mayRenice(t) {
			return continued
		}
		return Errno(unix.EPERM)
	case prioPgrp, prioUser:
	default:
		return continued // EINVAL
	}
	targets := c.prioTargets(which, who)
	if which == prioPgrp {
		all := true
		for _, t := range targets {
			all = all && c.mayRenice(t)
		}
		if all {
			return continued
		}
	}
	// As Linux's setpriority: ESRCH when nothing matches; each permitted
	// thread is reniced, and a refusal is the answer.
	prio = min(max(prio, -20), 19)
	err := error(unix.ESRCH)
	for _, t := range targets {
		switch {
		case !c.mayRenice(t):
			err = unix.EPERM
		case prio < niceOf(t.TID) && !c.Task.hasCap(unix.CAP_SYS_NICE):
			err = unix.EACCES
		default:
			if e := unix.Setpriority(prioProcess, t.TID, prio); e != nil {
				err = e
			} else if err == unix.ESRCH {
				err = nil
			}
		}
	}
	return Errno(err)
}

// sysGetpriority answers for a user: the highest priority (20 - nice) of
// its threads. A process or a process group is the host's.
func sysGetpriority(c *Call) Result {
	which, who := int(int32(c.Args[0])), int(int32(c.Args[1]))
	if which != prioUser {
		return continued
	}
	best := 0
	for _, t := range c.prioTargets(which, who) {
		best = max(best, 20-niceOf(t.TID))
	}
	if best == 0 {
		return Errno(unix.ESRCH)
	}
	return Value(int64(best))
}

// niceOf reads host task tid's nice value (field 19 of its stat).
func niceOf(tid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(tid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+1:]
	}
	f := strings.Fields(s)
	// f[0] is field 3 (the state): the nice value, field 19, is f[16].
	if len(f) < 17 {
		return 0
	}
	n, _ := strconv.Atoi(f[16])
	return n
}
