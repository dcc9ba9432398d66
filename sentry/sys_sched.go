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
// the host make the call. For a user, whose processes the host cannot tell
// apart, or for the caller's process group when it is outside the guest's
// pid namespace (it holds host processes), the sentry finds the targets
// itself (by guest real uid, by guest process group) and acts on each.

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

// target returns the task whose guest id is tid (a thread or a process,
// vkernel's init's included); false when there is none, and the host then
// answers ESRCH.
func (c *Call) target(tid int) (*Task, bool) {
	if tid <= 0 {
		return nil, false
	}
	t, ok := c.task(tid)
	return t.task, ok
}

// sysPrlimit64 checks check_prlimit_permission: the caller's real uid is
// every uid of the target and its real gid every gid, or it has
// CAP_SYS_RESOURCE.
func sysPrlimit64(c *Call) Result {
	t, ok := c.target(int(int32(c.Args[0])))
	if !ok || t == c.Task || c.Task.hasCap(unix.CAP_SYS_RESOURCE) {
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
	t, ok := c.target(int(int32(c.Args[0])))
	if !ok || t == c.Task || c.sameOwner(t) || c.Task.hasCap(unix.CAP_SYS_NICE) {
		return continued
	}
	return Errno(unix.EPERM)
}

// ioprio_set's and setpriority's "which".
const (
	ioprioWhoProcess = 1
	ioprioWhoPgrp    = 2
	ioprioWhoUser    = 3
	ioprioClassRT    = 1
	prioProcess      = 0
	prioPgrp         = 1
	prioUser         = 2
)

// sysIoprioSet checks ioprio_set on another process: the target's real
// uid is the caller's real or effective one, or CAP_SYS_NICE. A process
// group whose members are all permitted is the host's; the others (a
// user, whose processes the host cannot tell apart, a group outside the
// guest's pid namespace) are set by the sentry, thread by thread.
func sysIoprioSet(c *Call) Result {
	which, who, prio := int(int32(c.Args[0])), int(int32(c.Args[1])), int(int32(c.Args[2]))
	switch which {
	case ioprioWhoProcess:
		t, ok := c.target(who)
		if !ok || t == c.Task || c.mayIoprio(t) {
			return continued
		}
		return Errno(unix.EPERM)
	case ioprioWhoPgrp, ioprioWhoUser:
	default:
		return continued // EINVAL
	}
	if class, data := prio>>13, prio&0x1fff; class > 3 || (class == 1 || class == 2) && data >= 8 {
		return Errno(unix.EINVAL) // ioprio_check_cap: checked before any target
	}
	if prio>>13 == ioprioClassRT {
		// The host refuses the real-time class to every guest process
		// (it asks for CAP_SYS_ADMIN or CAP_SYS_NICE over the host).
		return Errno(unix.EPERM)
	}
	pwhich := prioPgrp
	if which == ioprioWhoUser {
		pwhich = prioUser
	}
	targets := c.prioTargets(pwhich, who)
	if which == ioprioWhoPgrp && c.hostMayDo(who, targets, c.mayIoprio) {
		return continued
	}
	// As Linux: ESRCH when nothing matches, the first refusal ends it.
	if len(targets) == 0 {
		return Errno(unix.ESRCH)
	}
	for _, t := range targets {
		if !c.mayIoprio(t) {
			return Errno(unix.EPERM)
		}
		if _, _, e := unix.Syscall(unix.SYS_IOPRIO_SET, ioprioWhoProcess, uintptr(t.TID()), uintptr(prio)); e != 0 {
			return Errno(e)
		}
	}
	return Value(0)
}

// mayIoprio is set_task_ioprio's check.
func (c *Call) mayIoprio(t *Task) bool {
	if c.Task.hasCap(unix.CAP_SYS_NICE) {
		return true
	}
	me, them := c.Task.ids(), t.ids()
	return them.ruid == me.euid || them.ruid == me.ruid
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
		who = nsStatus(c.Task.TID(), "NSpgid")
	}
	if which == prioUser && who == 0 {
		who = int(c.Task.ids().ruid)
	}
	var out []*Task
	for _, l := range k.Tasks() {
		for _, t := range l.TG.Threads() {
			switch {
			case which == prioPgrp && nsStatus(t.TID(), "NSpgid") == who,
				which == prioUser && int(t.ids().ruid) == who:
				out = append(out, t)
			}
		}
	}
	return out
}

// ownGroup returns the process group a call's who names (0: the
// caller's) and whether it is in the guest's pid namespace; the caller's
// may not be (a booted guest before its init's setsid), and the host must
// then not be asked: its group holds host processes.
func (c *Call) ownGroup(who int) (int, bool) {
	if who != 0 {
		return who, true
	}
	pgrp := nsStatus(c.Task.TID(), "NSpgid")
	return pgrp, pgrp != 0
}

// hostMayDo reports whether a call on process group who, whose threads
// are targets, can be left to the host: the group is in the guest's pid
// namespace, and the caller may act on every member.
func (c *Call) hostMayDo(who int, targets []*Task, may func(*Task) bool) bool {
	if _, visible := c.ownGroup(who); !visible {
		return false
	}
	for _, t := range targets {
		if !may(t) {
			return false
		}
	}
	return true
}

func sysSetpriority(c *Call) Result {
	which, who, prio := int(int32(c.Args[0])), int(int32(c.Args[1])), int(int32(c.Args[2]))
	switch which {
	case prioProcess:
		t, ok := c.target(who)
		if !ok || c.mayRenice(t) {
			return continued
		}
		return Errno(unix.EPERM)
	case prioPgrp, prioUser:
	default:
		return continued // EINVAL
	}
	targets := c.prioTargets(which, who)
	if which == prioPgrp && c.hostMayDo(who, targets, c.mayRenice) {
		return continued
	}
	// As Linux's setpriority: ESRCH when nothing matches; each permitted
	// thread is reniced, and a refusal is the answer. Lowering the nice
	// value is as the host allows a guest process: within RLIMIT_NICE
	// (CAP_SYS_NICE is a capability over the host, which no guest process
	// has).
	prio = min(max(prio, -20), 19)
	err := error(unix.ESRCH)
	for _, t := range targets {
		switch {
		case !c.mayRenice(t):
			err = unix.EPERM
		case prio < niceOf(t.TID()) && !mayLowerNice(t.TID(), prio):
			err = unix.EACCES
		default:
			if e := unix.Setpriority(prioProcess, t.TID(), prio); e != nil {
				err = e
			} else if err == unix.ESRCH {
				err = nil
			}
		}
	}
	return Errno(err)
}

// mayLowerNice is Linux's can_nice without CAP_SYS_NICE: nice value prio
// is within host task tid's RLIMIT_NICE.
func mayLowerNice(tid, prio int) bool {
	var lim unix.Rlimit
	if unix.Prlimit(tid, unix.RLIMIT_NICE, nil, &lim) != nil {
		return false
	}
	return lim.Cur == unix.RLIM_INFINITY || uint64(20-prio) <= lim.Cur
}

// sysGetpriority answers for a process group and a user: the highest
// priority (20 - nice) of their threads. A named group in the guest's pid
// namespace is the host's to answer.
func sysGetpriority(c *Call) Result {
	which, who := int(int32(c.Args[0])), int(int32(c.Args[1]))
	if which != prioUser && which != prioPgrp {
		return continued
	}
	if _, visible := c.ownGroup(who); which == prioPgrp && visible {
		return continued
	}
	best := 0
	for _, t := range c.prioTargets(which, who) {
		best = max(best, 20-niceOf(t.TID()))
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
