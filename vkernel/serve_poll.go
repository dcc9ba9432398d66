package vkernel

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/abi/linux"
)

// mayBlock are the calls whose service can wait on something the guest
// controls (opening a fifo or a terminal, connecting or sending on a
// socket). Those not interruptible are answered by a goroutine of their
// own, so that they stall no other call. Everything else is answered on
// the receiving goroutine, which saves a handoff per call: the open
// family too, until the sentry says the open may block (a fifo, a
// device: blockedCall.Block), when another goroutine takes the receiving
// over and this one keeps the call.
var mayBlock = map[int32]bool{
	unix.SYS_OPEN: true, unix.SYS_OPENAT: true, unix.SYS_OPENAT2: true, unix.SYS_CREAT: true,
	unix.SYS_CONNECT: true, unix.SYS_SENDTO: true, unix.SYS_SENDMSG: true, unix.SYS_SENDMMSG: true,
	unix.SYS_MOUNT: true, unix.SYS_IOCTL: true,
}

// interruptible are the calls of mayBlock whose wait a caught signal
// interrupts (blocked.go): the sentry can take back an open's fifo
// rendezvous, not a connect or a send the host has.
var interruptible = map[int32]bool{
	unix.SYS_OPEN: true, unix.SYS_OPENAT: true, unix.SYS_OPENAT2: true, unix.SYS_CREAT: true,
}

// servePolled receives notifications through Go's network poller: the
// goroutine waits in epoll with the rest of the runtime rather than in a
// blocking ioctl, which spares the scheduler a thread handoff and a
// context switch per call.
func (m *Machine) servePolled() error {
	if err := unix.SetNonblock(m.l.fd, true); err != nil {
		return err
	}
	f := os.NewFile(uintptr(m.l.fd), "seccomp-listener")
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	go m.receive(rc)
	return nil
}

// receive receives and answers notifications on the listener rc until it
// goes away, or until a call it serves blocks: another receive goroutine
// then takes over.
func (m *Machine) receive(rc syscall.RawConn) {
	handoff := func() { go m.receive(rc) }
	n := new(linux.SeccompNotif)
	for {
		var rerr error
		err := rc.Read(func(fd uintptr) bool {
			for {
				pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
				if k, _ := unix.Poll(pfd, 0); k <= 0 {
					// Nothing pending: wait for the poller.
					return false
				}
				if pfd[0].Revents&unix.POLLIN == 0 {
					rerr = unix.EPIPE
					return true
				}
				rerr = m.l.recv(n)
				if rerr != unix.ENOENT {
					return true
				}
				// The caller died before we took its call; others may
				// be pending: look again rather than wait for an edge.
			}
		})
		if err != nil || (rerr != nil && rerr != unix.EINTR) {
			return
		}
		if rerr != nil {
			continue
		}
		t0 := servedCalls.Start()
		if mayBlock[n.Data.Nr] && !interruptible[n.Data.Nr] {
			go m.handle(n, t0, nil)
			n = new(linux.SeccompNotif)
			continue
		}
		if m.handle(n, t0, handoff) {
			return
		}
	}
}
