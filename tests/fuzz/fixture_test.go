package fuzz

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"vkernel/tests/harness"
)

// fixture is one mode's host directory, beside the rootfs cache:
//
//	BASE/root      a copy of the busybox tree: the guest's /, with /fuzz
//	               (the fuzzer's playground) and /vkfuzz (the fuzzer)
//	BASE/sentinel  the sentinel tree, one `..` above the guest's root
//	BASE/ro        mounted at /ro, read-only
//	BASE/rw        mounted at /rw, and shared (mount -t dirfs)
//	BASE/log       mounted at /log: the children's logs
//	BASE/stdio     in (the guest's stdin), out (its stdout)
type fixture struct {
	base string
}

func (f fixture) path(rel string) string { return filepath.Join(f.base, rel) }

// entry is one file of a fixture tree.
type entry struct {
	name     string
	mode     os.FileMode // with os.ModeDir, os.ModeSymlink (target in data)
	uid, gid int
	data     string
}

// tree is what the sentinel, :ro and playground trees hold: files of
// various modes and owners (root's 0644 and 0600, a setuid root program,
// one of the guest user's), a directory, and symlinks (one inside, some
// that lead one level up toward the sentinel tree).
var tree = []entry{
	{"root644", 0o644, 0, 0, "root's 0644 file\n"},
	{"f644", 0o644, 0, 0, "another 0644 file\n"},
	{"f600", 0o600, 0, 0, "root's secret\n"},
	{"suid", 0o4755 | os.ModeSetuid, 0, 0, "\x7fELF not really\n"},
	{"user644", 0o644, 1000, 1000, "the guest user's file\n"},
	{"dir", 0o755 | os.ModeDir, 0, 0, ""},
	{"dir/inner", 0o644, 0, 0, "inside the directory\n"},
	{"mnt", 0o755 | os.ModeDir, 0, 0, ""},
	{"link", os.ModeSymlink, 0, 0, "root644"},
	{"esc1", os.ModeSymlink, 0, 0, "../sentinel/root644"},
	{"esc2", os.ModeSymlink, 0, 0, "/../sentinel"},
	{"esc3", os.ModeSymlink, 0, 0, "/proc/1/root/../sentinel/suid"},
}

func makeTree(dir string, dirMode os.FileMode) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.Chmod(dir, dirMode); err != nil {
		return err
	}
	for _, e := range tree {
		p := filepath.Join(dir, e.name)
		var err error
		switch {
		case e.mode&os.ModeDir != 0:
			err = os.Mkdir(p, e.mode.Perm())
		case e.mode&os.ModeSymlink != 0:
			err = os.Symlink(e.data, p)
		default:
			err = os.WriteFile(p, []byte(e.data), 0o600)
			if err == nil {
				err = unix.Chmod(p, uint32(e.mode.Perm())|modeBits(e.mode))
			}
		}
		if err == nil {
			err = os.Lchown(p, e.uid, e.gid)
		}
		if err == nil && e.mode&os.ModeSymlink == 0 {
			err = unix.Lsetxattr(p, "user.keep", []byte("sentinel"), 0)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func modeBits(m os.FileMode) uint32 {
	if m&os.ModeSetuid != 0 {
		return unix.S_ISUID
	}
	return 0
}

// newFixture builds a fresh fixture for one mode.
func newFixture(rootfs, fuzzer, name string) (fixture, error) {
	f := fixture{filepath.Join(filepath.Dir(rootfs), fmt.Sprintf("vkernel-fuzz-%s-%d", name, os.Getpid()))}
	removeFixture(f.base)
	if err := os.Mkdir(f.base, 0o755); err != nil {
		return f, err
	}
	if err := harness.CopyRootfs(rootfs, f.path("root")); err != nil {
		return f, err
	}
	steps := []func() error{
		func() error { return makeTree(f.path("sentinel"), 0o755) },
		func() error { return makeTree(f.path("ro"), 0o755) },
		func() error { return makeTree(f.path("rw"), 0o777) },
		func() error { return makeTree(f.path("root/fuzz"), 0o777) },
		func() error { return os.Chown(f.path("root/fuzz"), 1000, 1000) },
		func() error { return os.MkdirAll(f.path("log"), 0o777) },
		func() error { return os.Chmod(f.path("log"), 0o777) },
		func() error { return os.MkdirAll(f.path("root/ro"), 0o755) },
		func() error { return os.MkdirAll(f.path("root/rw"), 0o755) },
		func() error { return os.MkdirAll(f.path("root/log"), 0o755) },
		func() error { return os.MkdirAll(f.path("root/mnt"), 0o755) },
		func() error { return os.MkdirAll(f.path("stdio"), 0o755) },
		func() error {
			return os.WriteFile(f.path("stdio/in"), []byte("the guest's stdin, root's 0644\n"), 0o644)
		},
		func() error { return os.WriteFile(f.path("stdio/out"), nil, 0o644) },
		func() error { return unix.Setxattr(f.path("stdio/in"), "user.keep", []byte("stdin"), 0) },
		func() error { return copyFile(fuzzer, f.path("root/vkfuzz"), 0o755) },
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return f, err
		}
	}
	return f, nil
}

func copyFile(src, dst string, mode os.FileMode) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, mode)
}

// watched is what must not change: the sentinel and :ro trees, the fixture
// directory itself, stdin entirely and stdout but for its content.
func (f fixture) watched() watched {
	return watched{
		trees:   []string{f.path("sentinel"), f.path("ro")},
		entries: []string{f.base, f.path("stdio"), f.path("stdio/in")},
		meta:    []string{f.path("stdio/out")},
	}
}

// The inode flags that make removal fail (linux/fs.h).
const (
	immutableFL = 0x10
	appendFL    = 0x20
)

// removeFixture removes dir, first clearing the immutable and append-only
// flags a guest may have set on what it was allowed to change.
func removeFixture(dir string) {
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !(d.Type().IsRegular() || d.IsDir()) {
			return nil
		}
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil
		}
		defer unix.Close(fd)
		if v, err := unix.IoctlGetUint32(fd, unix.FS_IOC_GETFLAGS); err == nil && v&(immutableFL|appendFL) != 0 {
			unix.IoctlSetPointerInt(fd, unix.FS_IOC_SETFLAGS, int(v&^(immutableFL|appendFL)))
		}
		return nil
	})
	os.RemoveAll(dir)
}

// removeStale removes the fixtures of earlier runs whose process is gone.
func removeStale(rootfs string) {
	matches, _ := filepath.Glob(filepath.Join(filepath.Dir(rootfs), "vkernel-fuzz-*"))
	for _, m := range matches {
		i := strings.LastIndexByte(m, '-')
		pid, err := strconv.Atoi(m[i+1:])
		if err != nil || pid == os.Getpid() {
			continue
		}
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); os.IsNotExist(err) {
			removeFixture(m)
		}
	}
}
