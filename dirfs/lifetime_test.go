package dirfs

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

// openFDs counts the process's open descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// lifetimeTree makes dirs directories of files files each, a symlink in
// each directory to its first file, and returns the host directory.
func lifetimeTree(t *testing.T, dirs, files int) string {
	t.Helper()
	root := t.TempDir()
	for d := 0; d < dirs; d++ {
		dir := filepath.Join(root, fmt.Sprintf("d%d", d))
		must(t, os.Mkdir(dir, 0o755))
		for f := 0; f < files; f++ {
			must(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%d", f)), []byte("x"), 0o644))
		}
		must(t, os.Symlink("f0", filepath.Join(dir, "link")))
	}
	return root
}

// TestLifetimeUnderEviction runs walks, stats, opens, readlinks and ".."
// walks from many goroutines over a dirfs tree while a tiny name cache
// evicts constantly and another goroutine creates, renames and removes
// names. No operation on a name that exists may fail (in particular not
// with EBADF: no vnode is Released while in use), and the host
// descriptors held stay bounded by the cache, with the garbage collector
// off: vnodes are Released by reference counting, not by the GC. Run
// with -race.
func TestLifetimeUnderEviction(t *testing.T) {
	const (
		dirs    = 8
		files   = 64
		limit   = 16
		workers = 8
		rounds  = 1500
	)
	root := lifetimeTree(t, dirs, files)
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	base := openFDs(t)

	fs, err := New(root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	v := vfs.New()
	v.SetCacheLimit(limit)
	m := v.NewRootMount(fs, 0)
	top := v.Root(m)
	ctx := &vfs.Context{Root: top, Cwd: top, Cred: vfs.RootCred()}

	// Descriptors the VFS may hold: the root, the cache (plus the
	// directories its entries keep), and one O_PATH per in-flight walk
	// step and open file in each worker.
	bound := base + 1 + 2*limit + dirs + workers*4 + 8
	var maxFDs atomic.Int64
	var failures atomic.Int64
	fail := func(format string, args ...any) {
		if failures.Add(1) <= 10 {
			t.Errorf(format, args...)
		}
	}
	sample := func() {
		n := int64(openFDs(t))
		for {
			old := maxFDs.Load()
			if n <= old || maxFDs.CompareAndSwap(old, n) {
				return
			}
		}
	}

	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				d, f := (i*7+w)%dirs, (i*13+w*5)%files
				p := fmt.Sprintf("/d%d/f%d", d, f)
				switch i % 6 {
				case 0: // walk + stat
					vd, err := v.Walk(ctx, vfs.VirtualDentry{}, p, vfs.FollowFinal)
					if err != nil {
						fail("Walk(%s) = %v", p, err)
						continue
					}
					if _, _, err := v.Stat(vd); err != nil {
						fail("Stat(%s) = %v", p, err)
					}
					vd.DecRef()
				case 1: // open, read through the host fd, close
					f, err := v.Open(ctx, vfs.VirtualDentry{}, p, unix.O_RDONLY, 0)
					if err != nil {
						fail("Open(%s) = %v", p, err)
						continue
					}
					var b [1]byte
					if n, err := unix.Pread(f.HostFD(), b[:], 0); n != 1 || err != nil {
						fail("pread(%s) = %d, %v", p, n, err)
					}
					f.DecRef()
				case 2: // through a symlink and "..", and up from a held directory
					q := fmt.Sprintf("/d%d/../d%d/link", d, (d+1)%dirs)
					vd, err := v.Walk(ctx, vfs.VirtualDentry{}, q, vfs.FollowFinal)
					if err != nil {
						fail("Walk(%s) = %v", q, err)
						continue
					}
					if _, _, err := v.Stat(vd); err != nil {
						fail("Stat(%s) = %v", q, err)
					}
					vd.DecRef()
					dvd, err := v.Walk(ctx, vfs.VirtualDentry{}, fmt.Sprintf("/d%d", d), 0)
					if err != nil {
						fail("Walk(/d%d) = %v", d, err)
						continue
					}
					up, err := v.Walk(ctx, dvd, "../d0/f1", 0)
					if err != nil {
						fail("Walk(d%d/../d0/f1) = %v", d, err)
					} else {
						if _, _, err := v.Stat(up); err != nil {
							fail("Stat(d0/f1) = %v", err)
						}
						up.DecRef()
					}
					dvd.DecRef()
				case 3: // a directory held as a start, its children walked
					dvd, err := v.Walk(ctx, vfs.VirtualDentry{}, fmt.Sprintf("/d%d", d), vfs.FollowFinal)
					if err != nil {
						fail("Walk(/d%d) = %v", d, err)
						continue
					}
					for k := 0; k < 4; k++ {
						c, err := v.Walk(ctx, dvd, fmt.Sprintf("f%d", (f+k)%files), 0)
						if err != nil {
							fail("Walk(d%d/f%d) = %v", d, (f+k)%files, err)
							continue
						}
						if _, err := v.Readlink(ctx, c); err != unix.EINVAL {
							fail("Readlink(regular file) = %v, want EINVAL", err)
						}
						c.DecRef()
					}
					dvd.DecRef()
				case 4: // O_PATH open of a directory, then its listing
					f, err := v.Open(ctx, vfs.VirtualDentry{}, fmt.Sprintf("/d%d", d), unix.O_RDONLY|unix.O_DIRECTORY, 0)
					if err != nil {
						fail("Open(/d%d) = %v", d, err)
						continue
					}
					if _, err := f.VD.Dentry.Vnode().Readdir(); err != nil {
						fail("Readdir(/d%d) = %v", d, err)
					}
					f.DecRef()
				case 5:
					sample()
				}
			}
		}(w)
	}
	// Names that come and go, so that revalidation and invalidation drop
	// entries while the workers use their neighbours.
	stop := make(chan struct{})
	var churn sync.WaitGroup
	churn.Add(1)
	go func() {
		defer churn.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			p := fmt.Sprintf("/d%d/tmp", i%dirs)
			f, err := v.Open(ctx, vfs.VirtualDentry{}, p, unix.O_CREAT|unix.O_WRONLY, 0o644)
			if err != nil {
				fail("create %s = %v", p, err)
				continue
			}
			f.DecRef()
			if err := v.Rename(ctx, vfs.VirtualDentry{}, p, vfs.VirtualDentry{}, p+"2", 0); err != nil {
				fail("rename %s = %v", p, err)
			}
			if err := v.Unlink(ctx, vfs.VirtualDentry{}, p+"2"); err != nil {
				fail("unlink %s2 = %v", p, err)
			}
			// Behind the VFS's back, as the host would.
			os.Remove(filepath.Join(root, fmt.Sprintf("d%d", (i+1)%dirs), "ghost"))
			os.WriteFile(filepath.Join(root, fmt.Sprintf("d%d", i%dirs), "ghost"), nil, 0o644)
		}
	}()
	wg.Wait()
	close(stop)
	churn.Wait()
	sample()

	if got := maxFDs.Load(); got > int64(bound) {
		t.Errorf("open descriptors peaked at %d, want at most %d (base %d, cache limit %d)", got, bound, base, limit)
	}
	if n := failures.Load(); n > 0 {
		t.Errorf("%d operations failed", n)
	}
	// Everything is unreferenced now: evicting all of it closes every
	// descriptor but the root's.
	v.SetCacheLimit(1)
	for i := 0; i < 4; i++ {
		vd, err := v.Walk(ctx, vfs.VirtualDentry{}, fmt.Sprintf("/x%d", i), 0)
		if err == nil {
			vd.DecRef()
		}
	}
	if got := openFDs(t); got > base+1+dirs+2 {
		t.Errorf("after eviction %d descriptors open, want at most %d", got, base+1+dirs+2)
	}
}

// TestReleasedNodeIsEBADF checks that a node used after Release fails
// with EBADF and touches no descriptor: not its own (closed) number, nor
// whatever the host gave that number to since.
func TestReleasedNodeIsEBADF(t *testing.T) {
	fs, dir := newTestFS(t, Options{})
	v, err := fs.root.Lookup("sub")
	if err != nil {
		t.Fatal(err)
	}
	n := v.(*node)
	old := n.fd
	n.Release()
	// The number is free again: the next open reuses it for an unrelated
	// directory, which a stale *at() call would act on.
	other, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(other)
	if other != old {
		t.Logf("descriptor %d not reused (got %d); checking EBADF only", old, other)
	}
	if _, err := n.Lookup("file"); err != unix.EBADF {
		t.Errorf("Lookup after Release = %v, want EBADF (not the reused descriptor's file)", err)
	}
	if _, err := n.Getattr(); err != unix.EBADF {
		t.Errorf("Getattr after Release = %v, want EBADF", err)
	}
	if err := n.Mkdir("x", 0o755, nil); err != unix.EBADF {
		t.Errorf("Mkdir after Release = %v, want EBADF", err)
	}
	if fs.Revalidate(n, "file", nil) {
		t.Errorf("Revalidate through a Released parent = true")
	}
	if _, err := os.Stat(filepath.Join(dir, "x")); !os.IsNotExist(err) {
		t.Errorf("Mkdir after Release made %s/x on the host", dir)
	}
	n.Release() // a second Release does nothing

	// An operation in flight keeps the descriptor open past Release.
	v, err = fs.root.Lookup("sub")
	if err != nil {
		t.Fatal(err)
	}
	n = v.(*node)
	fd, err := n.use()
	if err != nil {
		t.Fatal(err)
	}
	n.Release()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		t.Errorf("fstat of a descriptor in use after Release = %v, want it still open", err)
	}
	n.done()
	if err := unix.Fstat(fd, &st); err != unix.EBADF {
		t.Errorf("fstat after the last operation ended = %v, want EBADF (closed)", err)
	}
}

// TestRevalidateWindow checks the trade-off doc.go states: a host change
// behind the VFS's back is seen once the window has passed, a change
// through the VFS at once, and a negative window checks every use.
func TestRevalidateWindow(t *testing.T) {
	for _, tc := range []struct {
		window time.Duration
		trust  bool // a host change within the window goes unseen
	}{
		{200 * time.Millisecond, true},
		{-1, false},
	} {
		root := t.TempDir()
		must(t, os.WriteFile(filepath.Join(root, "h"), nil, 0o644))
		must(t, os.WriteFile(filepath.Join(root, "g"), nil, 0o644))
		fs, err := New(root, Options{RevalidateWindow: tc.window})
		if err != nil {
			t.Fatal(err)
		}
		v := vfs.New()
		top := v.Root(v.NewRootMount(fs, 0))
		ctx := &vfs.Context{Root: top, Cwd: top, Cred: vfs.RootCred()}
		exists := func(p string) bool {
			vd, err := v.Walk(ctx, vfs.VirtualDentry{}, p, 0)
			if err == nil {
				vd.DecRef()
			}
			return err == nil
		}
		if !exists("/h") || !exists("/g") {
			t.Fatal("tree not found")
		}
		must(t, os.Remove(filepath.Join(root, "h"))) // behind the VFS's back
		start := time.Now()
		seen := !exists("/h")
		if time.Since(start) < tc.window && seen == tc.trust {
			t.Errorf("window %v: host removal seen at once = %v, want %v", tc.window, seen, !tc.trust)
		}
		must(t, v.Unlink(ctx, vfs.VirtualDentry{}, "/g"))
		if exists("/g") {
			t.Errorf("window %v: a name the guest removed is still found", tc.window)
		}
		if tc.window > 0 {
			time.Sleep(tc.window + 10*time.Millisecond)
		}
		if exists("/h") {
			t.Errorf("window %v: host removal unseen after the window", tc.window)
		}
	}
}
