package sentry

import (
	"bytes"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// RLIMIT_FSIZE for the size changes the sentry makes on a guest's behalf
// (truncate of a path). Its own host calls are made under vkernel's
// limits, so the guest's are checked here, as Linux's inode_newsize_ok:
// growing a file past the soft limit is EFBIG, and SIGXFSZ goes to the
// caller. The guest's limits are its host process's (setrlimit and
// prlimit of the caller's own run on the host), read with prlimit. The
// calls that change a size natively (ftruncate, fallocate, write) meet
// the limit in the host kernel.

// fileSizeOK checks a growth of a file from size old to size new
// against the caller's RLIMIT_FSIZE.
func (c *Call) fileSizeOK(old, new int64) error {
	if new <= old {
		return nil
	}
	var lim unix.Rlimit
	if err := unix.Prlimit(c.Task.TID(), unix.RLIMIT_FSIZE, nil, &lim); err != nil {
		return nil // the caller is gone
	}
	if lim.Cur == unix.RLIM_INFINITY || uint64(new) <= lim.Cur {
		return nil
	}
	sendSIGXFSZ(c.Task)
	return unix.EFBIG
}

// sendSIGXFSZ signals t's process as Linux's send_sig(SIGXFSZ, current):
// the calling thread takes the signal on its return from the call unless
// it blocks it, and then another thread of the process may. The sentry
// sends from outside the guest's pid namespace, so the receiver sees pid
// 0 as the sender (Linux: the process itself), and a thread-directed
// SI_TKILL where Linux gives SI_USER.
func sendSIGXFSZ(t *Task) {
	if !blocks(t.TID(), unix.SIGXFSZ) {
		unix.Tgkill(t.TG.TGID(), t.TID(), unix.SIGXFSZ)
		return
	}
	unix.Kill(t.TG.TGID(), unix.SIGXFSZ)
}

// blocks reports whether host thread tid blocks sig (its status's
// SigBlk).
func blocks(tid int, sig unix.Signal) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(tid) + "/status")
	if err != nil {
		return false
	}
	i := bytes.Index(b, []byte("\nSigBlk:\t"))
	if i < 0 {
		return false
	}
	rest := b[i+9:]
	if j := bytes.IndexByte(rest, '\n'); j >= 0 {
		rest = rest[:j]
	}
	mask, _ := strconv.ParseUint(string(rest), 16, 64)
	return mask&(1<<(sig-1)) != 0
}
