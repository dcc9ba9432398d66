package vfs

import (
	"runtime"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestNegativeEntries(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < 3; i++ {
		if _, err := e.walk("/x", 0); err != unix.ENOENT {
			t.Fatalf("Walk(/x) = %s, want ENOENT", errno(err))
		}
	}
	if got := e.fs.lookups.Load(); got != 1 {
		t.Errorf("Lookup calls for a missing name walked 3 times = %d, want 1 (negative entry)", got)
	}
	e.mkdir("/x", 0755)
	if _, err := e.walk("/x", 0); err != nil {
		t.Errorf("Walk(/x) after mkdir = %s: negative entry not invalidated", errno(err))
	}
	check(t, "Rmdir", e.v.Rmdir(e.ctx, VirtualDentry{}, "/x"), nil)
	if _, err := e.walk("/x", 0); err != unix.ENOENT {
		t.Errorf("Walk(/x) after rmdir = %s, want ENOENT", errno(err))
	}
	for _, op := range []func() error{
		func() error { return e.v.Symlink(e.ctx, "t", VirtualDentry{}, "/s") },
		func() error { return e.v.Mknod(e.ctx, VirtualDentry{}, "/n", unix.S_IFIFO|0644, 0) },
		func() error { e.create("/c", 0644); return nil },
	} {
		if err := op(); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"/s", "/n", "/c"} {
		if _, err := e.walk(p, 0); err != nil {
			t.Errorf("Walk(%s) after creating it = %s", p, errno(err))
		}
	}
	check(t, "Link", e.v.Link(e.ctx, VirtualDentry{}, "/c", 0, VirtualDentry{}, "/c2"), nil)
	if _, err := e.walk("/c2", 0); err != nil {
		t.Errorf("Walk(/c2) after link = %s", errno(err))
	}
	check(t, "Unlink", e.v.Unlink(e.ctx, VirtualDentry{}, "/c"), nil)
	if _, err := e.walk("/c", 0); err != unix.ENOENT {
		t.Errorf("Walk(/c) after unlink = %s", errno(err))
	}
}

// waitReleased runs the garbage collector until fs released want vnodes.
func waitReleased(t *testing.T, fs *memFS, want int64) {
	t.Helper()
	for i := 0; i < 100 && fs.released.Load() < want; i++ {
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	if got := fs.released.Load(); got < want {
		t.Errorf("released vnodes = %d, want at least %d", got, want)
	}
}

func TestRevalidate(t *testing.T) {
	e := newEnv(t)
	e.fs.file("f")
	first := e.mustWalk("/f", 0)
	firstVnode := first.Dentry.vnode.(*memVnode)
	first = VirtualDentry{}
	n := e.fs.lookups.Load()
	e.mustWalk("/f", 0)
	if e.fs.lookups.Load() != n {
		t.Errorf("a valid cached entry was looked up again")
	}
	e.fs.mu.Lock()
	e.fs.stale["f"] = true
	e.fs.mu.Unlock()
	second := e.mustWalk("/f", 0)
	if e.fs.lookups.Load() != n+1 {
		t.Errorf("a stale entry was not looked up again")
	}
	if second.Dentry.vnode == Vnode(firstVnode) {
		t.Errorf("the stale dentry is still used")
	}
	// The stale vnode is released once nothing references its dentry.
	waitReleased(t, e.fs, 1)
	if !firstVnode.released.Load() {
		t.Errorf("the stale vnode was not the one released")
	}
	if second.Dentry.vnode.(*memVnode).released.Load() {
		t.Errorf("the live vnode was released")
	}

	// A stale negative entry too.
	if _, err := e.walk("/g", 0); err != unix.ENOENT {
		t.Fatal(err)
	}
	e.fs.file("g") // behind the VFS's back, as the host would
	if _, err := e.walk("/g", 0); err != unix.ENOENT {
		t.Errorf("Walk(/g) = %s before revalidation fails, want the cached ENOENT", errno(err))
	}
	e.fs.mu.Lock()
	e.fs.stale["g"] = true
	e.fs.mu.Unlock()
	if _, err := e.walk("/g", 0); err != nil {
		t.Errorf("Walk(/g) after revalidation failed = %s, want ok", errno(err))
	}
}

func TestLRU(t *testing.T) {
	e := newEnv(t)
	e.v.cacheLimit = 16
	e.fs.mkdir("d")
	for i := 0; i < 200; i++ {
		e.fs.file("d/f" + itoa(i))
	}
	f, err := e.v.Open(e.ctx, VirtualDentry{}, "/d/f0", unix.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.DecRef()
	for i := 0; i < 200; i++ {
		e.mustWalk("/d/f"+itoa(i), 0)
	}
	e.v.lruMu.Lock()
	n := e.v.lru.Len()
	e.v.lruMu.Unlock()
	if n > 2*e.v.cacheLimit {
		t.Errorf("cache holds %d entries, limit %d", n, e.v.cacheLimit)
	}
	// The pinned dentry stays cached; evicted vnodes are released.
	if e.mustWalk("/d/f0", 0).Dentry != f.VD.Dentry {
		t.Errorf("an open file's dentry was evicted")
	}
	waitReleased(t, e.fs, 150)
	if f.VD.Dentry.vnode.(*memVnode).released.Load() {
		t.Errorf("an open file's vnode was released")
	}
}

// TestConcurrent runs walks, creations, renames and removals at once; run
// with -race.
func TestConcurrent(t *testing.T) {
	e := newEnv(t)
	e.v.cacheLimit = 32
	e.fs.mkdir("a")
	e.fs.mkdir("b")
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			name := "n" + itoa(g)
			for i := 0; i < 200; i++ {
				e.v.Mkdir(e.ctx, VirtualDentry{}, "/a/"+name, 0755)
				f, err := e.v.Open(e.ctx, VirtualDentry{}, "/a/"+name+"/f", unix.O_CREAT|unix.O_RDWR, 0644)
				if err == nil {
					e.v.PathOf(e.v.Root(e.root), f.VD)
					f.DecRef()
				}
				e.v.Rename(e.ctx, VirtualDentry{}, "/a/"+name, VirtualDentry{}, "/b/"+name, 0)
				e.walk("/b/"+name+"/../../a/"+name+"/f", 0)
				e.v.Rename(e.ctx, VirtualDentry{}, "/b/"+name, VirtualDentry{}, "/a/"+name, 0)
				e.v.Unlink(e.ctx, VirtualDentry{}, "/a/"+name+"/f")
				e.v.Rmdir(e.ctx, VirtualDentry{}, "/a/"+name)
				e.walk("/a/x"+itoa(i), 0)
			}
		}(g)
	}
	wg.Wait()
	for g := 0; g < 8; g++ {
		if _, err := e.walk("/a/n"+itoa(g), 0); err != unix.ENOENT {
			t.Errorf("Walk(/a/n%d) after the storm = %s, want ENOENT", g, errno(err))
		}
	}
}
