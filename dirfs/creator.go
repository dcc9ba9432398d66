package dirfs

import (
	"runtime"
	"sync"

	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

// The creator makes host objects (files, directories, nodes, symlinks) as
// the guest credential that asked for them. Making them as vkernel's user
// and fixing owner and mode after (own) is what Linux never does: the
// chown and chmod move the ctime past the mtime, and the set-group-ID rules
// of a new object (the directory's group under a set-group-ID directory,
// S_ISGID dropped for a creator outside the group) would have to be
// redone by hand. So, when vkernel runs as host root, a thread of its own
// takes the guest's fsuid, fsgid and supplementary groups for the one
// call (setfsuid, setfsgid and setgroups act on the calling thread only)
// and has umask 0 (its FS context is unshared), and the host creates the
// object exactly as Linux would for that credential. What the host then
// refuses that user (the guest's capabilities let it through the sentry's
// checks) is made the old way.

// creatorReq is one call for the creator thread.
type creatorReq struct {
	cred *vfs.Cred // nil: as vkernel's own user
	call func() error
	done chan creatorRes
}

type creatorRes struct {
	err error
	// as reports that make ran with cred's identity and umask 0.
	as bool
}

var creator struct {
	once sync.Once
	reqs chan creatorReq // nil when the thread could not be set up
}

// fallBack serves reqs as vkernel's own user once the creator thread is
// gone (as false: own fixes what needs fixing).
func fallBack(reqs chan creatorReq) {
	for r := range reqs {
		r.done <- creatorRes{err: r.call(), as: false}
	}
}

// startCreator starts the creator thread, once.
func startCreator() chan creatorReq {
	creator.once.Do(func() {
		ready := make(chan bool)
		reqs := make(chan creatorReq)
		go creatorLoop(reqs, ready)
		if <-ready {
			creator.reqs = reqs
		}
	})
	return creator.reqs
}

// creatorLoop is the creator thread. It never unlocks its OS thread: if it
// cannot get its own identity back, the thread ends with the goroutine.
func creatorLoop(reqs chan creatorReq, ready chan<- bool) {
	runtime.LockOSThread()
	if unix.Unshare(unix.CLONE_FS) != nil {
		ready <- false
		return
	}
	unix.Umask(0)
	groups, err := unix.Getgroups()
	if err != nil {
		ready <- false
		return
	}
	uid, gid := unix.Getuid(), unix.Getgid()
	ready <- true
	for r := range reqs {
		if r.cred == nil {
			r.done <- creatorRes{err: r.call(), as: true}
			continue
		}
		if !takeCred(r.cred) {
			if !restoreCred(uid, gid, groups) {
				go fallBack(reqs)
				r.done <- creatorRes{err: unix.EIO}
				return
			}
			r.done <- creatorRes{err: r.call(), as: false}
			continue
		}
		err := r.call()
		if !restoreCred(uid, gid, groups) {
			// Never serve another call with a stranger's identity: the
			// thread ends with this goroutine, still locked.
			go fallBack(reqs)
			r.done <- creatorRes{err: err, as: true}
			return
		}
		r.done <- creatorRes{err: err, as: true}
	}
}

// takeCred gives the calling thread cred's filesystem identity.
func takeCred(cred *vfs.Cred) bool {
	groups := make([]int, len(cred.Groups))
	for i, g := range cred.Groups {
		groups[i] = int(g)
	}
	if unix.Setgroups(groups) != nil {
		return false
	}
	unix.Setfsgid(int(cred.GID))
	unix.Setfsuid(int(cred.UID))
	// setfs[ug]id answer the former id, never an error: read them back.
	fsgid, _ := unix.SetfsgidRetGid(-1)
	fsuid, _ := unix.SetfsuidRetUid(-1)
	return fsgid == int(cred.GID) && fsuid == int(cred.UID)
}

// restoreCred gives the calling thread back vkernel's identity.
func restoreCred(uid, gid int, groups []int) bool {
	unix.Setfsuid(uid)
	unix.Setfsgid(gid)
	fsgid, _ := unix.SetfsgidRetGid(-1)
	fsuid, _ := unix.SetfsuidRetUid(-1)
	return unix.Setgroups(groups) == nil && fsuid == uid && fsgid == gid
}

// create runs call, a host call that makes one object with permission
// bits mode, so that the object is cred's with mode as Linux gives it; it
// reports whether it did, so that own has nothing to fix. call runs once,
// or, when the host refuses cred's identity (EACCES, EPERM), twice.
func (fs *FS) create(cred *vfs.Cred, mode uint32, call func() error) (as bool, err error) {
	if !fs.needOwn(mode, cred) {
		return false, call()
	}
	reqs := startCreator()
	if reqs == nil {
		return false, call()
	}
	var c *vfs.Cred
	if fs.hostRoot && cred != nil && (cred.UID != fs.euid || cred.GID != fs.egid) {
		c = cred
	}
	done := make(chan creatorRes, 1)
	reqs <- creatorReq{cred: c, call: call, done: done}
	r := <-done
	if r.as && (r.err == unix.EACCES || r.err == unix.EPERM) && c != nil {
		return false, call()
	}
	return r.as, r.err
}
