package devfs

import (
	"golang.org/x/sys/unix"

	"vkernel/sentry/fsimpl/tmpfs"
	"vkernel/sentry/vfs"
)

// FS is a devfs instance: a tmpfs holding device nodes.
type FS struct {
	*tmpfs.FS
}

var _ vfs.Filesystem = (*FS)(nil)

// devices are the host device nodes mirrored, by name under /dev.
var devices = []string{"null", "zero", "full", "random", "urandom", "tty"}

// symlinks are devfs's symbolic links and their targets.
var symlinks = []struct{ name, target string }{
	{"fd", "/proc/self/fd"},
	{"stdin", "/proc/self/fd/0"},
	{"stdout", "/proc/self/fd/1"},
	{"stderr", "/proc/self/fd/2"},
	{"ptmx", "pts/ptmx"},
}

// dirs are devfs's directories and their modes.
var dirs = []struct {
	name string
	mode uint32
}{
	{"pts", 0o755},
	{"shm", 0o1777},
}

// New makes a populated devfs. A host device that is missing or is not a
// character device is left out. With console, /dev/console is that
// terminal (crw------- of the guest's first user).
func New(console *Console) *FS {
	fs := &FS{tmpfs.New(tmpfs.Options{Mode: 0o755})}
	if console != nil {
		fs.AddDevice(console.st.Rdev, console.open)
	}
	root := fs.Root()
	root0 := vfs.RootCred()
	if console != nil {
		root.Mknod("console", unix.S_IFCHR|0o600, console.st.Rdev, &vfs.Cred{UID: console.uid, GID: console.gid})
	}
	for _, name := range devices {
		var st unix.Stat_t
		if unix.Stat("/dev/"+name, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFCHR {
			continue
		}
		owner := &vfs.Cred{UID: st.Uid, GID: st.Gid}
		if root.Mknod(name, st.Mode&(unix.S_IFMT|07777), st.Rdev, owner) != nil {
			continue
		}
		if v, err := root.Lookup(name); err == nil {
			v.Setattr(&vfs.SetAttr{Mask: vfs.SetAtime | vfs.SetMtime, Atime: st.Atim, Mtime: st.Mtim})
			v.Release()
		}
	}
	for _, l := range symlinks {
		root.Symlink(l.name, l.target, root0)
	}
	for _, d := range dirs {
		root.Mkdir(d.name, d.mode, root0)
	}
	return fs
}

// Type implements vfs.Filesystem.Type.
func (fs *FS) Type() string { return "devfs" }

// Source implements vfs.Filesystem.Source.
func (fs *FS) Source() string { return "devfs" }

// Options implements vfs.Filesystem.Options.
func (fs *FS) Options() string { return "mode=755" }
