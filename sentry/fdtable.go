package sentry

import (
	"sort"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

// fdEntry is one descriptor the VFS owns.
type fdEntry struct {
	file *vfs.File
}

// FDTable maps a task's descriptor numbers to the VFS files behind them,
// analogous to Linux's struct files_struct.
//
// Descriptors are real host descriptors in the guest; the table records
// which of them the VFS opened, so that fd-identity calls (fstat, fchdir,
// getdents64, /proc/self/fd) are answered from the VFS. Descriptors the
// guest made natively (pipes, sockets, eventfds) are not in the table; the
// sentry reaches those through FDInstaller.Fetch.
type FDTable struct {
	mu sync.Mutex
	// files is protected by mu.
	files map[int]fdEntry
	// refs counts the tasks sharing the table. Protected by mu.
	refs int
}

// NewFDTable returns an empty table.
func NewFDTable() *FDTable { return &FDTable{files: map[int]fdEntry{}, refs: 1} }

// Install records that guest descriptor fd is f. The table takes over the
// caller's reference to f; what fd held before is dropped.
func (t *FDTable) Install(fd int, f *vfs.File) {
	t.mu.Lock()
	old, had := t.files[fd]
	t.files[fd] = fdEntry{file: f}
	t.mu.Unlock()
	if had {
		old.file.DecRef()
	}
}

// Get returns the file at fd, with a reference the caller must drop.
func (t *FDTable) Get(fd int) (*vfs.File, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.files[fd]
	if !ok {
		return nil, false
	}
	e.file.IncRef()
	return e.file, true
}

// Remove forgets fd.
func (t *FDTable) Remove(fd int) {
	t.mu.Lock()
	e, ok := t.files[fd]
	delete(t.files, fd)
	t.mu.Unlock()
	if ok {
		e.file.DecRef()
	}
}

// RemoveRange forgets every fd in [lo, hi].
func (t *FDTable) RemoveRange(lo, hi uint64) {
	var drop []*vfs.File
	t.mu.Lock()
	for fd, e := range t.files {
		if uint64(fd) >= lo && uint64(fd) <= hi {
			drop = append(drop, e.file)
			delete(t.files, fd)
		}
	}
	t.mu.Unlock()
	for _, f := range drop {
		f.DecRef()
	}
}

// DropClosed forgets the descriptors host task tid no longer has, as
// exec leaves it: the close-on-exec flags are the guest's to set natively
// (F_SETFD, FIOCLEX, FIONCLEX, O_CLOEXEC), and the kernel, which has
// closed the flagged ones by the exec event, is asked which remain. Every
// other change to a number is served (open, dup, close), so a number the
// guest still has is the file the table says.
func (t *FDTable) DropClosed(tid int) {
	var drop []*vfs.File
	t.mu.Lock()
	for fd, e := range t.files {
		if !guestHasFD(tid, fd) {
			drop = append(drop, e.file)
			delete(t.files, fd)
		}
	}
	t.mu.Unlock()
	for _, f := range drop {
		f.DecRef()
	}
}

// guestHasFD reports whether host task tid has descriptor fd open (kcmp
// of the descriptor with itself: EBADF when there is none).
func guestHasFD(tid, fd int) bool {
	_, _, e := unix.Syscall6(unix.SYS_KCMP, uintptr(tid), uintptr(tid), kcmpFile, uintptr(fd), uintptr(fd), 0)
	switch e {
	case 0:
		return true
	case unix.EBADF:
		return false
	}
	// kcmp refused: the process's descriptor directory says.
	var st unix.Stat_t
	return unix.Lstat("/proc/"+strconv.Itoa(tid)+"/fd/"+strconv.Itoa(fd), &st) == nil
}

// FDs returns the numbers in the table, sorted.
func (t *FDTable) FDs() []int {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]int, 0, len(t.files))
	for fd := range t.files {
		out = append(out, fd)
	}
	sort.Ints(out)
	return out
}

// Share returns t with one more sharer (CLONE_FILES).
// Shared reports whether another task shares the table (a thread, or a
// process cloned with CLONE_FILES).
func (t *FDTable) Shared() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.refs > 1
}

func (t *FDTable) Share() *FDTable {
	t.mu.Lock()
	t.refs++
	t.mu.Unlock()
	return t
}

// Fork returns a copy of t, as fork without CLONE_FILES makes.
func (t *FDTable) Fork() *FDTable {
	n := NewFDTable()
	t.mu.Lock()
	defer t.mu.Unlock()
	for fd, e := range t.files {
		e.file.IncRef()
		n.files[fd] = e
	}
	return n
}

// DecRef drops a sharer; the last one drops every file.
func (t *FDTable) DecRef() {
	t.mu.Lock()
	t.refs--
	var drop []*vfs.File
	if t.refs == 0 {
		for fd, e := range t.files {
			drop = append(drop, e.file)
			delete(t.files, fd)
		}
	}
	t.mu.Unlock()
	for _, f := range drop {
		f.DecRef()
	}
}
