package vkernel

import (
	"unsafe"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/abi/linux"
)

// ioctls of the seccomp listener not named by x/sys/unix.
const (
	notifIDValid = 0x40082102 // SECCOMP_IOCTL_NOTIF_ID_VALID
	notifAddFD   = 0x40182103 // SECCOMP_IOCTL_NOTIF_ADDFD
)

// addFD is struct seccomp_notif_addfd.
type addFD struct {
	ID         uint64
	Flags      uint32
	SrcFD      uint32
	NewFD      uint32
	NewFDFlags uint32
}

// listener is the seccomp user-notification descriptor of a guest.
type listener struct {
	fd int
}

func (l *listener) ioctl(req uintptr, arg unsafe.Pointer) (uintptr, error) {
	for {
		r, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(l.fd), req, uintptr(arg))
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return 0, e
		}
		return r, nil
	}
}

// recv waits for the next notification. ENOENT means the caller died
// before it could be received; try again.
func (l *listener) recv(n *linux.SeccompNotif) error {
	*n = linux.SeccompNotif{}
	_, err := l.ioctl(linux.SECCOMP_IOCTL_NOTIF_RECV, unsafe.Pointer(n))
	return err
}

// send answers notification id.
func (l *listener) send(id uint64, val int64, errno unix.Errno, cont bool) error {
	resp := linux.SeccompNotifResp{ID: id, Val: val, Error: -int32(errno)}
	if cont {
		resp.Flags = unix.SECCOMP_USER_NOTIF_FLAG_CONTINUE
	}
	_, err := l.ioctl(linux.SECCOMP_IOCTL_NOTIF_SEND, unsafe.Pointer(&resp))
	return err
}

// valid reports whether notification id is still pending: the caller has
// not died (and its thread id not been reused) since it was received.
func (l *listener) valid(id uint64) bool {
	_, err := l.ioctl(notifIDValid, unsafe.Pointer(&id))
	return err == nil
}

// addfd installs a new reference to hostFD in the caller of notification
// id: at the lowest free number, or at `at` (replacing it) when at >= 0.
func (l *listener) addfd(id uint64, hostFD, at int, cloexec bool) (int, error) {
	a := addFD{ID: id, SrcFD: uint32(hostFD)}
	if at >= 0 {
		a.Flags |= unix.SECCOMP_ADDFD_FLAG_SETFD
		a.NewFD = uint32(at)
	}
	if cloexec {
		a.NewFDFlags = unix.O_CLOEXEC
	}
	r, err := l.ioctl(notifAddFD, unsafe.Pointer(&a))
	return int(r), err
}

// setSyncWakeUp asks the kernel to switch to the notifying thread on the
// answering CPU (SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP).
func (l *listener) setSyncWakeUp() error {
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(l.fd), linux.SECCOMP_IOCTL_NOTIF_SET_FLAGS, unix.SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP)
	if e != 0 {
		return e
	}
	return nil
}
