package sentry

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"vkernel/hostcred"
	"vkernel/sentry/vfs"
)

// What a descriptor the guest holds is, when the sentry's table does not
// have it at that number. It was received (SCM_RIGHTS), inherited, or made
// natively (a pipe, a socket, an eventfd, a memfd). The sentry fetches it
// to act on it, and the fetched descriptor carries host root's power over
// the object: it must never be used as the sentry's own. placeFetched
// finds what it is:
//
//   - the open file description of a VFS file (a received copy of a
//     descriptor the VFS opened): the call goes through the VFS, with the
//     file's mount and the guest's credentials, as a table descriptor;
//   - an object of the kernel's internal mounts, which only a process can
//     make and no path names (pipefs, sockfs, anon_inodefs, pidfs, nsfs,
//     a memfd's shmem): the guest's own, changed under the guest's host
//     identity (hostcred), so the host checks owner and capabilities;
//   - anything else, a host file no guest mount holds (vkernel's stdio
//     redirected from a host file, a descriptor a host process sent):
//     outside every mount, so every change to it is refused.

// fetchedKind classifies a fetched descriptor.
type fetchedKind int

const (
	fetchedVFS   fetchedKind = iota // the same open file as a VFS file
	fetchedGuest                    // an object of an internal mount
	fetchedHost                     // a host object outside every mount
)

// placeFetched tells what the sentry's descriptor h, fetched from the
// guest, is; for fetchedVFS it returns the VFS file, with a reference the
// caller must drop.
func (c *Call) placeFetched(h int) (*vfs.File, fetchedKind) {
	if f := c.Task.Kernel().vfsFileOf(h); f != nil {
		return f, fetchedVFS
	}
	return nil, hostKind(h)
}

// hostKind classifies host descriptor h, which is no VFS file's (or a VFS
// file reopened through /proc/self/fd/N, which stands for the object):
// the guest's own object or a host one.
func hostKind(h int) fetchedKind {
	if internalObject(h) && !inheritedObject(h) {
		return fetchedGuest
	}
	return fetchedHost
}

// vfsFileOf returns the VFS file, in any task's table, whose host
// descriptor is the same open file description as h (kcmp KCMP_FILE).
func (k *Kernel) vfsFileOf(h int) *vfs.File {
	var st unix.Stat_t
	if unix.Fstat(h, &st) != nil {
		return nil
	}
	k.mu.Lock()
	tables := map[*FDTable]bool{}
	for _, t := range k.tasks {
		tables[t.FDs()] = true
	}
	k.mu.Unlock()
	self := os.Getpid()
	for tab := range tables {
		tab.mu.Lock()
		for _, e := range tab.files {
			hf := e.file.HostFD()
			if hf < 0 || !sameInode(hf, &st) {
				continue
			}
			if r, _, _ := unix.Syscall6(unix.SYS_KCMP, uintptr(self), uintptr(self), kcmpFile, uintptr(h), uintptr(hf), 0); r == 0 {
				e.file.IncRef()
				tab.mu.Unlock()
				return e.file
			}
		}
		tab.mu.Unlock()
	}
	return nil
}

// kcmpFile is KCMP_FILE.
const kcmpFile = 0

func sameInode(fd int, st *unix.Stat_t) bool {
	var o unix.Stat_t
	return unix.Fstat(fd, &o) == nil && o.Dev == st.Dev && o.Ino == st.Ino
}

// Magic numbers of the kernel's internal filesystems (linux/magic.h).
const (
	pipefsMagic    = 0x50495045
	sockfsMagic    = 0x534f434b
	anonInodeMagic = 0x09041934
	pidfsMagic     = 0x50494446
	nsfsMagic      = 0x6e736673
	secretmemMagic = 0x5345434d
	tmpfsMagic     = 0x01021994
	hugetlbfsMagic = 0x958458f6
)

// internalObject reports whether host descriptor h is an object of one of
// the kernel's internal mounts, which no path reaches: a pipe, a socket,
// an anonymous inode (eventfd, epoll, signalfd, timerfd, inotify, ...), a
// pidfd, a namespace, a memfd.
func internalObject(h int) bool {
	var fs unix.Statfs_t
	if unix.Fstatfs(h, &fs) != nil {
		return false
	}
	switch fs.Type {
	case pipefsMagic, sockfsMagic, anonInodeMagic, pidfsMagic, nsfsMagic, secretmemMagic:
		return true
	case tmpfsMagic, hugetlbfsMagic:
		// A memfd is on the kernel's own shmem mount, which is in no
		// mount namespace; a host tmpfs file is on a mounted one.
		name, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(h))
		return err == nil && strings.HasPrefix(name, "/memfd:") && !mountedHere(mountID(h))
	}
	return false
}

// mountID returns the id of the mount of host descriptor h (fdinfo's
// mnt_id), -1 if it cannot be read.
func mountID(h int) int {
	if v, ok := fdinfoField(h, "mnt_id"); ok {
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	return -1
}

// fdinfoField returns the value of field key in the sentry's fdinfo of
// host descriptor h; false if there is no such field (or no such
// descriptor).
func fdinfoField(h int, key string) (string, bool) {
	b, err := os.ReadFile("/proc/self/fdinfo/" + strconv.Itoa(h))
	if err != nil {
		return "", false
	}
	prefix := []byte(key + ":")
	for _, line := range bytes.Split(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, prefix); ok {
			return string(bytes.TrimSpace(v)), true
		}
	}
	return "", false
}

// mountedHere reports whether mount id is in the sentry's mount
// namespace (or cannot be told: then it counts as mounted).
func mountedHere(id int) bool {
	if id < 0 {
		return true
	}
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return true
	}
	defer f.Close()
	want := strconv.Itoa(id) + " "
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 64<<10), 1<<20)
	for s.Scan() {
		if strings.HasPrefix(s.Text(), want) {
			return true
		}
	}
	return false
}

// inherited are the host objects vkernel's own stdio names, which the
// guest inherits: pipes and sockets among them are the host's, not the
// guest's own.
var inherited struct {
	once sync.Once
	objs []unix.Stat_t
}

// inheritedObject reports whether h is one of the objects vkernel's
// stdio names.
func inheritedObject(h int) bool {
	inherited.once.Do(func() {
		for fd := 0; fd <= 2; fd++ {
			var st unix.Stat_t
			if unix.Fstat(fd, &st) == nil {
				inherited.objs = append(inherited.objs, st)
			}
		}
	})
	for i := range inherited.objs {
		if sameInode(h, &inherited.objs[i]) {
			return true
		}
	}
	return false
}

// hostIdentity is the identity the host checks a call of t's against
// (hostcred): its real, effective and filesystem ids, groups and
// effective capabilities.
func (t *Task) hostIdentity() hostcred.Identity {
	c := t.Creds
	c.mu.Lock()
	defer c.mu.Unlock()
	return hostcred.Identity{UID: c.RUID, EUID: c.EUID, FSUID: c.FSUID,
		GID: c.RGID, EGID: c.EGID, FSGID: c.FSGID,
		Groups: append([]uint32(nil), c.Groups...), Caps: c.CapEffective}
}

// asGuest runs f, a host call on an object the guest owns, under the
// calling task's host identity.
func (c *Call) asGuest(f func() error) error {
	return hostcred.Run(c.Task.hostIdentity(), f)
}
