// Package rootfs builds a guest's initial mount tree from vkernel's
// configuration: the root (a dirfs of a host directory, or the embedded
// default: the host's / read-only), /proc, /dev, /dev/shm, a private /tmp
// for the default root, and the operator's --mount and --tmpfs mounts.
package rootfs

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"

	"vkernel/dirfs"
	"vkernel/sentry/fsimpl/devfs"
	"vkernel/sentry/fsimpl/tmpfs"
	"vkernel/sentry/vfs"
)

// Mount is one --mount HOST:GUEST[:ro].
type Mount struct {
	Host, Guest string
	ReadOnly    bool
}

// Config describes the tree.
type Config struct {
	// Root is the host directory the guest boots from; empty for the
	// embedded default (the host's / read-only with a private /tmp).
	Root string
	// Mounts are host directories mounted at guest paths.
	Mounts []Mount
	// Tmpfs are the private tmpfs mounts (--tmpfs), each at a guest path.
	Tmpfs []Tmpfs
	// Proc makes the guest's procfs; nil for none.
	Proc func(v *vfs.VFS) vfs.Filesystem
	// Bare leaves /proc and /dev/shm unmounted, for a booted userland
	// that mounts them itself (/dev is there, as Linux's devtmpfs).
	Bare bool
	// Console, when vkernel was given a terminal, is /dev/console in
	// every devfs.
	Console *devfs.Console
}

// ParseMount parses a --mount argument, HOST:GUEST[:ro|:rw]: host directory
// HOST (absolute, existing) at guest path GUEST (absolute, not the guest's
// root, which is --root's), read-only with :ro; :rw, the default, is
// accepted too.
func ParseMount(s string) (Mount, error) {
	parts := strings.Split(s, ":")
	var m Mount
	switch {
	case len(parts) == 3 && (parts[2] == "ro" || parts[2] == "rw"):
		m.ReadOnly = parts[2] == "ro"
	case len(parts) != 2:
		return m, fmt.Errorf("--mount %s: want HOST:GUEST[:ro]", s)
	}
	m.Host, m.Guest = parts[0], parts[1]
	if !path.IsAbs(m.Host) {
		return m, fmt.Errorf("--mount %s: the host directory %q is not an absolute path", s, m.Host)
	}
	if !path.IsAbs(m.Guest) {
		return m, fmt.Errorf("--mount %s: the guest path %q is not an absolute path", s, m.Guest)
	}
	if path.Clean(m.Guest) == "/" {
		return m, fmt.Errorf("--mount %s: cannot mount over the guest's root (the root is --root DIR)", s)
	}
	st, err := os.Stat(m.Host)
	if err != nil {
		return m, fmt.Errorf("--mount %s: %v", s, unwrap(err))
	}
	if !st.IsDir() {
		return m, fmt.Errorf("--mount %s: %s is not a directory", s, m.Host)
	}
	return m, nil
}

// CheckRoot checks a --root directory.
func CheckRoot(dir string) error {
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("--root %s: %v", dir, unwrap(err))
	}
	if !st.IsDir() {
		return fmt.Errorf("--root %s: not a directory", dir)
	}
	return nil
}

func unwrap(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// Build makes the mount tree in v and returns the root.
func Build(v *vfs.VFS, cfg Config) (vfs.VirtualDentry, error) {
	var rootFS vfs.Filesystem
	var rootFlags uint64
	var err error
	if cfg.Root == "" {
		var fs *dirfs.FS
		fs, err = dirfs.New("/", dirfs.Options{ReadOnly: true})
		rootFS = &hostRoot{fs}
		rootFlags = unix.MS_RDONLY
	} else {
		if err := CheckRoot(cfg.Root); err != nil {
			return vfs.VirtualDentry{}, err
		}
		// The source names the directory absolutely, as mount(8) shows a
		// relative device.
		src, aerr := filepath.Abs(cfg.Root)
		if aerr != nil {
			src = cfg.Root
		}
		rootFS, err = dirfs.New(cfg.Root, dirfs.Options{Source: src})
	}
	if err != nil {
		return vfs.VirtualDentry{}, fmt.Errorf("the root: %w", err)
	}
	root := v.Root(v.NewRootMount(rootFS, rootFlags))
	b := &builder{v: v, root: root, ctx: &vfs.Context{Root: root, Cwd: root, Cred: vfs.RootCred(), Umask: 022}}

	if cfg.Root == "" {
		b.mirrorHostMounts()
	}
	// The kernel's own filesystems, where the tree has a place for them.
	if cfg.Proc != nil && !cfg.Bare {
		b.mountIfPresent("/proc", cfg.Proc(v), unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC)
	}
	devOK := b.mountIfPresent("/dev", devfs.New(cfg.Console), unix.MS_NOSUID)
	if devOK {
		if pts := NewDevpts(); pts != nil {
			b.mountIfPresent("/dev/pts", pts, unix.MS_NOSUID|unix.MS_NOEXEC)
		}
	}
	if devOK && !cfg.Bare {
		b.mountIfPresent("/dev/shm", NewTmpfs(tmpfs.Options{Mode: 01777}), unix.MS_NOSUID|unix.MS_NODEV)
	}
	if cfg.Root == "" {
		b.mountIfPresent("/tmp", NewTmpfs(tmpfs.Options{Mode: 01777}), unix.MS_NOSUID|unix.MS_NODEV)
	}

	// The operator's mounts, parents before children.
	type req struct {
		guest string
		fs    vfs.Filesystem
		flags uint64
	}
	var reqs []req
	for _, m := range cfg.Mounts {
		fs, err := dirfs.New(m.Host, dirfs.Options{ReadOnly: m.ReadOnly})
		if err != nil {
			return vfs.VirtualDentry{}, fmt.Errorf("--mount %s: %w", m.Host, err)
		}
		var flags uint64
		if m.ReadOnly {
			flags = unix.MS_RDONLY
		}
		reqs = append(reqs, req{path.Clean(m.Guest), fs, flags})
	}
	for _, t := range cfg.Tmpfs {
		if !path.IsAbs(t.Guest) {
			return vfs.VirtualDentry{}, fmt.Errorf("--tmpfs %s: not an absolute path", t.Guest)
		}
		reqs = append(reqs, req{path.Clean(t.Guest), newTmpfs(t.Options, t.Given), unix.MS_NOSUID | unix.MS_NODEV})
	}
	sort.SliceStable(reqs, func(i, j int) bool {
		return strings.Count(reqs[i].guest, "/") < strings.Count(reqs[j].guest, "/")
	})
	for _, r := range reqs {
		at, err := b.mountPoint(r.guest)
		if err == unix.EROFS && cfg.Root == "" {
			return vfs.VirtualDentry{}, fmt.Errorf("mounting at %s: no such directory on the default root, the host's / read-only, "+
				"where none can be made: mount on a directory the host has, or below /tmp (a private tmpfs), or boot from --root DIR", r.guest)
		}
		if err != nil {
			return vfs.VirtualDentry{}, fmt.Errorf("mounting at %s: %v in the guest", r.guest, err)
		}
		if _, err := v.MountAt(at, r.fs, r.flags); err != nil {
			return vfs.VirtualDentry{}, fmt.Errorf("mounting at %s: %v", r.guest, err)
		}
	}
	return root, nil
}

type builder struct {
	v    *vfs.VFS
	root vfs.VirtualDentry
	ctx  *vfs.Context
}

// mountIfPresent mounts fs on dir if the tree has that directory.
func (b *builder) mountIfPresent(dir string, fs vfs.Filesystem, flags uint64) bool {
	at, err := b.v.Walk(b.ctx, b.root, dir, vfs.FollowFinal|vfs.MustBeDir)
	if err != nil {
		return false
	}
	_, err = b.v.MountAt(at, fs, flags)
	return err == nil
}

// mountPoint finds dir in the tree, making it (and its parents) if it is
// missing and the tree is writable there, as container runtimes do.
func (b *builder) mountPoint(dir string) (vfs.VirtualDentry, error) {
	at, err := b.v.Walk(b.ctx, b.root, dir, vfs.FollowFinal|vfs.MustBeDir)
	if err != unix.ENOENT {
		return at, err
	}
	if parent := path.Dir(dir); parent != dir {
		if _, err := b.mountPoint(parent); err != nil {
			return vfs.VirtualDentry{}, err
		}
	}
	if err := b.v.Mkdir(b.ctx, b.root, dir, 0755); err != nil && err != unix.EEXIST {
		return vfs.VirtualDentry{}, err
	}
	return b.v.Walk(b.ctx, b.root, dir, vfs.FollowFinal|vfs.MustBeDir)
}

// hostRoot is the embedded default root: the host's / read-only. The
// host's unix sockets live there too (a container runtime's, a desktop
// bus): the guest may see them, not connect to them.
type hostRoot struct{ *dirfs.FS }

// RefusesSockets tells the sentry to refuse connect(2) to pathname sockets
// of this filesystem (EACCES).
func (*hostRoot) RefusesSockets() bool { return true }
