package dirfs

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

// benchRoot is the tree the lookup benchmarks walk: the bookworm rootfs
// of make test and make bench (VKERNEL_ROOTFS/bookworm).
func benchRoot(b *testing.B) string {
	cache := os.Getenv("VKERNEL_ROOTFS")
	if cache == "" {
		cache = "/var/tmp/vkernel-rootfs"
	}
	root := filepath.Join(cache, "bookworm")
	if _, err := os.Stat(filepath.Join(root, "usr")); err != nil {
		b.Skipf("no rootfs at %s: %v", root, err)
	}
	return root
}

// benchPaths lists every path under root/usr, as guest paths.
func benchPaths(b *testing.B, root string) []string {
	var paths []string
	err := filepath.WalkDir(filepath.Join(root, "usr"), func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		paths = append(paths, "/"+rel)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return paths
}

func benchVFS(b *testing.B, root string) (*vfs.VFS, *vfs.Context) {
	fs, err := New(root, Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	v := vfs.New()
	top := v.Root(v.NewRootMount(fs, 0))
	return v, &vfs.Context{Root: top, Cwd: top, Cred: vfs.RootCred()}
}

// BenchmarkWalkStatUsr is `ls -lR /usr`'s pattern: an lstat of every path
// under /usr by its absolute name, the name cache warm after the first
// pass (/usr holds more entries than the cache: some evict). One op is
// one path.
func BenchmarkWalkStatUsr(b *testing.B) {
	root := benchRoot(b)
	paths := benchPaths(b, root)
	v, ctx := benchVFS(b, root)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := paths[i%len(paths)]
		vd, err := v.Walk(ctx, vfs.VirtualDentry{}, p, 0)
		if err != nil {
			b.Fatalf("Walk(%s) = %v", p, err)
		}
		if _, _, err := v.Stat(vd); err != nil {
			b.Fatalf("Stat(%s) = %v", p, err)
		}
		vd.DecRef()
	}
}

// BenchmarkWalkStatUsrCold is BenchmarkWalkStatUsr with a cache too small
// to keep anything between passes: every component below a held
// directory is looked up afresh (find's first visit of each name).
func BenchmarkWalkStatUsrCold(b *testing.B) {
	root := benchRoot(b)
	paths := benchPaths(b, root)
	v, ctx := benchVFS(b, root)
	v.SetCacheLimit(64)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := paths[i%len(paths)]
		vd, err := v.Walk(ctx, vfs.VirtualDentry{}, p, 0)
		if err != nil {
			b.Fatalf("Walk(%s) = %v", p, err)
		}
		if _, _, err := v.Stat(vd); err != nil {
			b.Fatalf("Stat(%s) = %v", p, err)
		}
		vd.DecRef()
	}
}

// served is the vfs.Interrupt of a served call that never blocks here.
type served struct{}

func (served) Done() <-chan struct{} { return nil }
func (served) Waiting(bool)          {}
func (served) Block()                {}

// BenchmarkOpenCached is a served open(2) and close(2) of /etc/passwd, the
// name cache warm: the walk (within the revalidation window, mostly no
// host call), the permission check's Getattr (statx), the reopen through
// /proc/self/fd with O_NONBLOCK, F_SETFL, and the close of the host
// descriptor. The guest's round trip and ADDFD are not in it.
func BenchmarkOpenCached(b *testing.B) {
	root := benchRoot(b)
	v, ctx := benchVFS(b, root)
	ctx.Interrupt = served{}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, err := v.Open(ctx, vfs.VirtualDentry{}, "/etc/passwd", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			b.Fatalf("Open = %v", err)
		}
		f.DecRef()
	}
}

// BenchmarkStatCached is a served stat(2) of /etc/passwd, the name cache
// warm: the walk and Getattr (statx).
func BenchmarkStatCached(b *testing.B) {
	root := benchRoot(b)
	v, ctx := benchVFS(b, root)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		vd, err := v.Walk(ctx, vfs.VirtualDentry{}, "/etc/passwd", vfs.FollowFinal)
		if err != nil {
			b.Fatalf("Walk = %v", err)
		}
		if _, _, err := v.Stat(vd); err != nil {
			b.Fatalf("Stat = %v", err)
		}
		vd.DecRef()
	}
}
