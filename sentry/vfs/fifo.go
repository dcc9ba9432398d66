package vfs

import (
	"time"

	"golang.org/x/sys/unix"
)

// A blocking open of a fifo waits for the other end (fifo(7)); the
// filesystems wait in the host kernel, where no signal of the guest's
// reaches. So the VFS waits on a goroutine of its own, and when the caller
// gives up (Context.Interrupt: a signal interrupted it) it ends the wait
// as Linux ends it for a signal: the waiter leaves the fifo as if it had
// never come. For that the sentry plays the other end for an instant: a
// non-blocking open of the opposite mode wakes the waiter (an opening
// reader counts as one while it waits, and so does a writer), and both
// descriptors are closed before the caller is answered. Other openers
// waiting for the same end at that instant are woken too, where Linux's
// would go on waiting: a reader then reads end of file, a writer's open
// succeeds and its first write meets no reader (EPIPE).

// fifoCancelRetry is how long to wait for the waiter to have begun its
// wait, which a writer's non-blocking open needs (ENXIO before).
const fifoCancelRetry = time.Millisecond

// openFifo opens fifo vnode vn with flags, giving up with EINTR when intr
// says so.
func openFifo(intr Interrupt, vn Vnode, flags int) (FileImpl, error) {
	acc := flags & unix.O_ACCMODE
	if intr == nil || flags&unix.O_NONBLOCK != 0 || acc == unix.O_RDWR {
		return vn.Open(flags)
	}
	type result struct {
		impl FileImpl
		err  error
	}
	done := make(chan result, 1)
	go func() {
		impl, err := vn.Open(flags)
		done <- result{impl, err}
	}()
	intr.Waiting(true)
	select {
	case r := <-done:
		intr.Waiting(false)
		return r.impl, r.err
	case <-intr.Done():
	}
	peerFlags := unix.O_RDONLY | unix.O_NONBLOCK
	if acc == unix.O_RDONLY {
		peerFlags = unix.O_WRONLY | unix.O_NONBLOCK
	}
	discard := func(r result) {
		if r.impl != nil {
			r.impl.Close()
		}
	}
	for {
		peer, err := vn.Open(peerFlags)
		if err == nil {
			discard(<-done)
			peer.Close()
			return nil, unix.EINTR
		}
		if err != unix.ENXIO {
			// The other end cannot be played (the host refuses vkernel
			// that access): the wait is left to end by itself.
			go func() { discard(<-done) }()
			return nil, unix.EINTR
		}
		select {
		case r := <-done:
			discard(r)
			return nil, unix.EINTR
		case <-time.After(fifoCancelRetry):
		}
	}
}
