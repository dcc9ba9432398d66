package vkernel

import (
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// The sentry's descriptor budget. The sentry holds host descriptors for
// every guest process: one per open VFS file, one per cached dirfs vnode.
// With the limit vkernel was started with (often 1024 soft, a few
// thousand hard), one guest process opening many files used it up, and
// every other process of the guest then failed. Linux fails only that
// process, at its own RLIMIT_NOFILE, which the kernel applies to the
// guest's installs (SECCOMP_IOCTL_NOTIF_ADDFD runs in the guest's
// context). So the sentry raises its own limit to the host's maximum
// (fs.nr_open) at start, and the guest's first process gets back the
// limit vkernel was started with.

// sentryReserve is what the sentry keeps for itself beyond two
// descriptors per guest open: the name cache's unreferenced vnodes (the
// VFS keeps up to 4096) and its own files, sockets and pidfds.
const sentryReserve = 4096 + 1024

// raiseNofile raises the sentry's RLIMIT_NOFILE to fs.nr_open and
// returns the hard limit the guest's first process gets, and the guest's
// file-max (Kernel.SetFileMax): the most VFS files the sentry can carry,
// two host descriptors each (the file and its vnode) beside
// sentryReserve. The limit is the one vkernel was started with, or three
// quarters of file-max when the sentry could not raise its own enough to
// carry a guest process at that limit: then one guest process meets
// EMFILE at its own limit while the others go on opening files, the guest
// as a whole ENFILE at file-max (as Linux's fs.file-max), and the sentry
// always has descriptors left for the rest. 0: unknown.
func raiseNofile() (guest, fileMax uint64) {
	var lim unix.Rlimit
	if unix.Prlimit(0, unix.RLIMIT_NOFILE, nil, &lim) != nil {
		return 0, 0
	}
	guest = lim.Max
	if b, err := os.ReadFile("/proc/sys/fs/nr_open"); err == nil {
		if nr, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err == nil && nr > lim.Max {
			if unix.Prlimit(0, unix.RLIMIT_NOFILE, &unix.Rlimit{Cur: nr, Max: nr}, nil) == nil {
				lim = unix.Rlimit{Cur: nr, Max: nr}
			}
		}
	}
	if lim.Cur <= 2*sentryReserve {
		return guest, 0
	}
	fileMax = (lim.Cur - sentryReserve) / 2
	// One process at its limit leaves the others room to open files.
	return min(guest, fileMax*3/4), fileMax
}

// restoreNofile gives the guest's first process the hard limit max,
// raiseNofile's (the sentry's raised one was inherited when the Go runtime
// had not changed the soft limit, which it otherwise restores for
// children), the soft one no higher.
func restoreNofile(max uint64) {
	var lim unix.Rlimit
	if max == 0 || unix.Prlimit(0, unix.RLIMIT_NOFILE, nil, &lim) != nil || lim.Max <= max {
		return
	}
	cur := lim.Cur
	if cur > max {
		cur = max
	}
	unix.Prlimit(0, unix.RLIMIT_NOFILE, &unix.Rlimit{Cur: cur, Max: max}, nil)
}
