package interp

import (
	"errors"
	"fmt"
	"path"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// Placer places interpreters in one guest's host-level mount namespace.
// Its methods may be called from any goroutine.
type Placer struct {
	mu sync.Mutex
	// The fields below are protected by mu.
	// started says the thread was asked for; failed that the namespace
	// could not be joined: every Prepare then fails.
	started, failed bool
	// nsIno is the joined namespace's inode.
	nsIno uint64
	// ops runs functions on the thread that joined the namespace.
	ops chan func()
	// root is the namespace's root; rwRoot a writable clone of it, where
	// the spots' mount points are made.
	root, rwRoot int
	spots        map[string]*Spot
}

// Spot is one PT_INTERP path and the interpreter placed there.
type Spot struct {
	path string
	// dev and ino name the placed file's host inode; placed says there
	// is one. holders counts the execs relying on it. Protected by the
	// Placer's mu.
	dev, ino uint64
	placed   bool
	holders  int
}

// Claim is one exec's hold on a spot, from Prepare to Release.
type Claim struct {
	spot     *Spot
	dev, ino uint64
	// clone is a detached mount of the interpreter, made by Prepare when
	// the spot held another file; -1 when none is needed or it was used.
	clone int
	held  bool
}

// scoped resolves a path below its starting directory only, through no
// symlink and no other mount: the placer's walks in the guest's root.
const scoped = unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS | unix.RESOLVE_NO_XDEV

// MaxSpots bounds the spots of a guest: a guest making programs with
// ever new PT_INTERP paths gets command mode past it, not ever more mounts
// and sentry memory.
const MaxSpots = 64

// CleanPath says whether p can be a spot: an absolute path with no empty,
// "." or ".." component, of at most PATH_MAX bytes.
func CleanPath(p string) bool {
	return len(p) > 1 && len(p) < unix.PathMax && p[0] == '/' && path.Clean(p) == p &&
		!strings.ContainsRune(p, 0)
}

// Prepare readies the placement of the host file interp at path p for an
// exec by guest thread tid, whose mount namespace is the guest's: the
// spot's mount point exists, and, unless the spot holds the same file, a
// detached mount of interp is made. It returns nil when no placement can
// be made (command mode). It does not hold the spot (Acquire does).
func (pl *Placer) Prepare(tid int, p string, interp int) *Claim {
	if !CleanPath(p) {
		return nil
	}
	var st unix.Stat_t
	if unix.Fstat(interp, &st) != nil {
		return nil
	}
	spot, err := pl.spot(tid, p)
	if err != nil {
		return nil
	}
	c := &Claim{spot: spot, dev: st.Dev, ino: st.Ino, clone: -1}
	pl.mu.Lock()
	same := spot.placed && spot.dev == c.dev && spot.ino == c.ino
	pl.mu.Unlock()
	if !same {
		if c.clone, err = cloneFile(interp); err != nil {
			return nil
		}
	}
	return c
}

// cloneFile makes a detached mount of the host file fd.
func cloneFile(fd int) (int, error) {
	return unix.OpenTree(fd, "", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_EMPTY_PATH)
}

// Acquire holds c's spot for its exec, placing c's file there if the spot
// holds another that no exec relies on. It reports false when the spot is
// held with another file (the exec must wait for a Release) or the
// placement failed (err set: the exec cannot go on).
func (pl *Placer) Acquire(c *Claim) (ok bool, err error) {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	s := c.spot
	if c.held {
		return true, nil
	}
	if s.placed && s.dev == c.dev && s.ino == c.ino {
		s.holders++
		c.held = true
		return true, nil
	}
	if s.holders > 0 {
		return false, nil
	}
	if c.clone < 0 {
		// Prepared when the spot held this very file, which another file
		// has since replaced: the file was clonable then.
		return false, errors.New("interp: no detached mount of the interpreter")
	}
	clone := c.clone
	c.clone = -1
	err = pl.onThread(func() error {
		defer unix.Close(clone)
		if s.placed {
			if err := unix.Unmount(s.path, unix.MNT_DETACH); err != nil && err != unix.EINVAL {
				return fmt.Errorf("unmounting %s: %w", s.path, err)
			}
			s.placed = false
		}
		target, err := unix.Openat2(pl.root, s.path[1:], &unix.OpenHow{
			Flags: unix.O_PATH | unix.O_NOFOLLOW | unix.O_CLOEXEC, Resolve: scoped})
		if err != nil {
			return fmt.Errorf("the mount point %s: %w", s.path, err)
		}
		defer unix.Close(target)
		return unix.MoveMount(clone, "", target, "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH)
	})
	if err != nil {
		return false, err
	}
	s.dev, s.ino, s.placed = c.dev, c.ino, true
	s.holders++
	c.held = true
	return true, nil
}

// Release ends c's hold and frees what Prepare made. c may be nil.
func (pl *Placer) Release(c *Claim) {
	if c == nil {
		return
	}
	pl.mu.Lock()
	if c.held {
		c.spot.holders--
		c.held = false
	}
	pl.mu.Unlock()
	if c.clone >= 0 {
		unix.Close(c.clone)
		c.clone = -1
	}
}

// spot returns the spot at p, making its mount point (and the thread, on
// first use) as needed.
func (pl *Placer) spot(tid int, p string) (*Spot, error) {
	if err := pl.start(tid); err != nil {
		return nil, err
	}
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if s := pl.spots[p]; s != nil {
		return s, nil
	}
	if len(pl.spots) >= MaxSpots {
		return nil, unix.ENOSPC
	}
	if err := pl.onThread(func() error { return makeMountPoint(pl.rwRoot, p) }); err != nil {
		return nil, err
	}
	s := &Spot{path: p}
	pl.spots[p] = s
	return s, nil
}

// makeMountPoint makes the directories of p and an empty file at p,
// below root (a writable clone of the namespace's root: what it makes
// shows in the read-only root too).
func makeMountPoint(root int, p string) error {
	parts := strings.Split(p[1:], "/")
	dir, err := unix.Dup(root)
	if err != nil {
		return err
	}
	defer func() { unix.Close(dir) }()
	for i, name := range parts {
		if i == len(parts)-1 {
			f, err := unix.Openat2(dir, name, &unix.OpenHow{Flags: unix.O_CREAT | unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_CLOEXEC,
				Mode: 0o444, Resolve: scoped})
			if err != nil {
				return fmt.Errorf("making %s: %w", p, err)
			}
			unix.Close(f)
			return nil
		}
		if err := unix.Mkdirat(dir, name, 0o555); err != nil && err != unix.EEXIST {
			return fmt.Errorf("making %s: %w", p, err)
		}
		next, err := unix.Openat2(dir, name, &unix.OpenHow{
			Flags: unix.O_PATH | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC, Resolve: scoped})
		if err != nil {
			return fmt.Errorf("making %s: %w", p, err)
		}
		unix.Close(dir)
		dir = next
	}
	return nil
}

// start joins the mount namespace of guest thread tid on a thread of
// its own, once; a guest whose namespace differs from the one joined (no
// guest can make another at the host level) is refused.
func (pl *Placer) start(tid int) error {
	nsPath := "/proc/" + strconv.Itoa(tid) + "/ns/mnt"
	var st unix.Stat_t
	if err := unix.Stat(nsPath, &st); err != nil {
		return err
	}
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if pl.failed {
		return unix.EPERM
	}
	if pl.started {
		if st.Ino != pl.nsIno {
			return unix.EXDEV
		}
		return nil
	}
	// The thread may be gone meanwhile: that is no reason to give up.
	ns, err := unix.Open(nsPath, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(ns)
	if err := unix.Fstat(ns, &st); err != nil {
		return err
	}
	pl.started, pl.nsIno, pl.ops, pl.spots = true, st.Ino, make(chan func()), map[string]*Spot{}
	ready := make(chan error)
	nsDup, err := unix.Dup(ns)
	if err != nil {
		pl.failed = true
		return err
	}
	go pl.thread(nsDup, ready)
	if err := <-ready; err != nil {
		pl.failed = true
		return err
	}
	return nil
}

// thread joins namespace ns and runs the Placer's operations. It never
// returns to the Go scheduler's pool: the thread dies with its goroutine
// at vkernel's exit, as a thread in another namespace must.
func (pl *Placer) thread(ns int, ready chan<- error) {
	runtime.LockOSThread()
	err := joinNS(ns)
	unix.Close(ns)
	var root, rw int
	if err == nil {
		root, err = unix.Open("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	}
	if err == nil {
		rw, err = writableRoot()
	}
	if err != nil {
		ready <- err
		return
	}
	pl.root, pl.rwRoot = root, rw
	ready <- nil
	for op := range pl.ops {
		op()
	}
}

// joinNS moves the calling thread, whose filesystem context must be its
// own, into mount namespace ns.
func joinNS(ns int) error {
	if err := unix.Unshare(unix.CLONE_FS); err != nil {
		return fmt.Errorf("unshare(CLONE_FS): %w", err)
	}
	if err := unix.Setns(ns, unix.CLONE_NEWNS); err != nil {
		return fmt.Errorf("setns: %w", err)
	}
	return nil
}

// writableRoot returns a writable detached clone of the namespace's root.
func writableRoot() (int, error) {
	root, err := unix.OpenTree(unix.AT_FDCWD, "/", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if err != nil {
		return -1, fmt.Errorf("open_tree(/): %w", err)
	}
	if err := unix.MountSetattr(root, "", unix.AT_EMPTY_PATH, &unix.MountAttr{Attr_clr: unix.MOUNT_ATTR_RDONLY}); err != nil {
		unix.Close(root)
		return -1, fmt.Errorf("mount_setattr: %w", err)
	}
	return root, nil
}

// onThread runs f on the thread in the namespace and returns its error.
func (pl *Placer) onThread(f func() error) error {
	done := make(chan error, 1)
	pl.ops <- func() { done <- f() }
	return <-done
}
