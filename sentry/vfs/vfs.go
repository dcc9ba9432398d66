package vfs

import (
	"container/list"
	"sync"
)

// Limits of the path walk, as Linux's.
const (
	// MaxSymlinks is how many symlinks one walk follows before ELOOP.
	MaxSymlinks = 40
	// PathMax is PATH_MAX: a path of this length or more is ENAMETOOLONG.
	PathMax = 4096
	// NameMax is NAME_MAX: a longer component is ENAMETOOLONG.
	NameMax = 255
	// cacheMax bounds the name cache's LRU of cached dentries.
	cacheMax = 4096
)

// VFS is the mount table and the name cache: the part of the kernel that
// turns paths into vnodes. It knows no task; a Context carries what a walk
// needs from the caller.
type VFS struct {
	// renameMu is held for writing while dentries change parent or name
	// (Rename), and for reading by whoever follows parent pointers
	// (".." in a walk, PathOf, LRU eviction).
	renameMu sync.RWMutex

	// mountMu protects the mount table below and every Mount's mutable
	// fields.
	mountMu sync.RWMutex
	// mounts lists the attached mounts in mount order. Protected by mountMu.
	mounts []*Mount
	// mountsAt maps a mount point (parent mount, dentry) to the mounts
	// stacked there, topmost last. Protected by mountMu.
	mountsAt map[mountKey][]*Mount
	// roots holds one root dentry per mounted filesystem, so that every
	// mount of a filesystem shares its dentries. Protected by mountMu.
	roots map[Filesystem]*fsRoot
	// nextID and nextDev allocate Mount.ID and the minor of Mount.Dev.
	// Protected by mountMu.
	nextID  int
	nextDev uint32

	// lruMu protects lru and every Dentry's lruElem.
	lruMu sync.Mutex
	// lru holds every cached dentry but filesystem roots, most recently
	// used first. Protected by lruMu.
	lru list.List
	// cacheLimit is the size above which the LRU is shrunk. Protected by
	// lruMu.
	cacheLimit int
}

// fsRoot is the root dentry of a mounted filesystem, its superblock, and
// how many mounts use it.
type fsRoot struct {
	d      *Dentry
	sb     *superBlock
	mounts int
	// host is the mount a HostMounter's host mount follows: its first,
	// until it is unmounted.
	host *Mount
	// shared is set once the filesystem has had a second mount.
	shared bool
}

// New returns an empty VFS: no mounts, an empty name cache.
func New() *VFS {
	return &VFS{
		mountsAt:   make(map[mountKey][]*Mount),
		roots:      make(map[Filesystem]*fsRoot),
		nextID:     1,
		nextDev:    1,
		cacheLimit: cacheMax,
	}
}

// SetCacheLimit sets the size above which the name cache is shrunk (at
// least 1), for tests that want eviction under pressure.
func (v *VFS) SetCacheLimit(n int) {
	v.lruMu.Lock()
	defer v.lruMu.Unlock()
	v.cacheLimit = max(n, 1)
}

// cred returns ctx's credentials, root's if ctx has none.
func (ctx *Context) cred() *Cred {
	if ctx == nil || ctx.Cred == nil {
		return RootCred()
	}
	return ctx.Cred
}
