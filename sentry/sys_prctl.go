package sentry

import (
	"bytes"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// PrctlOptions are the prctl options the filter sends to the sentry: the
// credential ones (sys_creds.go), the task's name and the dumpable flag,
// which exec decides from the guest's ids. The rest run natively.
var PrctlOptions = append([]uintptr{unix.PR_SET_NAME, unix.PR_GET_NAME, unix.PR_GET_DUMPABLE,
	unix.PR_SET_DUMPABLE}, PrctlCredOptions...)

func sysPrctl(c *Call) Result {
	switch int(int32(c.Args[0])) {
	case unix.PR_SET_NAME:
		return sysSetName(c)
	case unix.PR_GET_NAME:
		var buf [taskCommLen + 1]byte
		copy(buf[:taskCommLen], c.Task.Comm())
		return Errno(c.Mem.CopyOut(c.Args[1], buf[:]))
	case unix.PR_GET_DUMPABLE:
		if c.Task.TG.undumpable.Load() {
			return Value(0)
		}
		return Value(1)
	case unix.PR_SET_DUMPABLE:
		// SUID_DUMP_DISABLE or SUID_DUMP_USER only.
		if c.Args[1] > 1 {
			return Errno(unix.EINVAL)
		}
		c.Task.TG.undumpable.Store(c.Args[1] == 0)
		return Value(0)
	}
	return sysPrctlCreds(c)
}

// taskCommLen is TASK_COMM_LEN less its NUL.
const taskCommLen = 15

// sysSetName is PR_SET_NAME: up to 15 bytes of a string, as Linux's
// strncpy_from_user into the task's comm.
func sysSetName(c *Call) Result {
	buf := make([]byte, taskCommLen)
	// The string may end before a page that is not mapped: read byte
	// by byte only when the whole read fails.
	if err := c.Mem.CopyIn(c.Args[1], buf); err != nil {
		for i := range buf {
			if err := c.Mem.CopyIn(c.Args[1]+uint64(i), buf[i:i+1]); err != nil {
				return Errno(unix.EFAULT)
			}
			if buf[i] == 0 {
				break
			}
		}
	}
	if i := bytes.IndexByte(buf, 0); i >= 0 {
		buf = buf[:i]
	}
	c.Task.SetComm(string(buf))
	return Value(0)
}

// Comm returns the task's name (Linux's task->comm): the base name of
// what it last executed, or what PR_SET_NAME gave it.
func (t *Task) Comm() string {
	t.commMu.Lock()
	defer t.commMu.Unlock()
	return t.comm
}

// SetComm names the task, cut to 15 bytes.
func (t *Task) SetComm(name string) {
	if len(name) > taskCommLen {
		name = name[:taskCommLen]
	}
	t.commMu.Lock()
	t.comm = name
	t.commMu.Unlock()
}

// execComm is the name an exec gives the task, as Linux 6.18's
// begin_new_exec: the base name of the file name execve was given (the
// script's for a #! script; "/dev/fd/N/name" relative to a descriptor), or,
// for an execveat of a descriptor itself (AT_EMPTY_PATH, filename ""), the
// file's own name (the base of its path exe).
func execComm(filename, exe string) string {
	if filename == "" {
		filename = exe
	}
	return path.Base(strings.TrimSuffix(filename, " (deleted)"))
}
