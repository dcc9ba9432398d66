package vkernel

import (
	"strconv"

	"golang.org/x/sys/unix"
)

// Between the marker's ADDFD and the execveat, the descriptors the sentry
// installed are numbers in the guest's table, which another thread of the
// process (before it is held), a process sharing the table, or a served
// call finishing could make name another file: the exec would then run
// that file with the credentials planned for the checked one. So at the
// exec event, before the new image runs and before ExecDone grants
// anything, the exec is checked: the file the host executed must be the
// planned one, and the descriptor a secure exec's loader will open the
// program by (progFD, whose table is the new image's own now: Linux
// unshares it at exec) must still be the planned program. An exec that
// fails the check is killed.

// kcmpFile is KCMP_FILE.
const kcmpFile = 0

// sameFile reports whether guest thread tid's descriptor fd and the
// sentry's descriptor own are the same open file description.
func sameFile(tid, fd, own int) bool {
	r, _, e := unix.Syscall6(unix.SYS_KCMP, uintptr(tid), uintptr(unix.Getpid()), kcmpFile, uintptr(fd), uintptr(own), 0)
	return e == 0 && r == 0
}

// execChecks reports whether the exec of s that thread tid just made ran
// what the sentry planned.
func execChecks(tid int, s *execState) bool {
	var exe, want unix.Stat_t
	if unix.Stat("/proc/"+strconv.Itoa(tid)+"/exe", &exe) != nil || unix.Fstat(s.plan.File.HostFD(), &want) != nil {
		return false
	}
	if exe.Dev != want.Dev || exe.Ino != want.Ino {
		return false
	}
	if s.progFD >= 0 && !sameFile(tid, s.progFD, s.plan.Prog.HostFD()) {
		return false
	}
	return true
}
