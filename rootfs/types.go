package rootfs

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"vkernel/dirfs"
	"vkernel/sentry/fsimpl/devfs"
	"vkernel/sentry/fsimpl/tmpfs"
	"vkernel/sentry/vfs"
)

// NewFilesystem makes a filesystem for mount(2) from its source and data.
type NewFilesystem = func(source, data string) (vfs.Filesystem, error)

// Types returns the filesystem types a guest may mount: dirfs (of the
// operator's shared host directories only), tmpfs, proc and devfs
// (devtmpfs is accepted as an alias, and shown by that name). nullfs and
// bind mounts are the sentry's own. A devfs has console as
// /dev/console (none when nil). The source a mount shows is the
// sentry's business (the one given, but a dirfs's host directory).
func Types(shares *Shares, proc func() vfs.Filesystem, console *devfs.Console) map[string]NewFilesystem {
	return map[string]NewFilesystem{
		"dirfs": func(source, data string) (vfs.Filesystem, error) {
			fd, err := shares.Open(source)
			if err != nil {
				return nil, err
			}
			defer unix.Close(fd)
			fs, err := dirfs.New("/proc/self/fd/"+strconv.Itoa(fd), dirfs.Options{Source: filepath.Clean(source)})
			if err != nil {
				return nil, unix.EIO
			}
			return fs, nil
		},
		"tmpfs": func(source, data string) (vfs.Filesystem, error) {
			opts, given, err := tmpfs.ParseOptions(data)
			if err != nil {
				return nil, err
			}
			return newTmpfs(opts, given), nil
		},
		"proc": func(string, string) (vfs.Filesystem, error) { return proc(), nil },
		"devpts": func(string, string) (vfs.Filesystem, error) {
			if fs := NewDevpts(); fs != nil {
				return fs, nil
			}
			return nil, unix.ENODEV
		},
		"devfs": func(string, string) (vfs.Filesystem, error) {
			return devfs.New(console), nil
		},
		"devtmpfs": func(string, string) (vfs.Filesystem, error) {
			return devtmpfs{devfs.New(console)}, nil
		},
	}
}

// devtmpfs is devfs mounted by the name of Linux's devtmpfs, the type
// /proc/mounts then shows.
type devtmpfs struct{ *devfs.FS }

// Type implements vfs.Filesystem.Type.
func (devtmpfs) Type() string { return "devtmpfs" }

// Shares are the host directories the operator lets the guest mount with
// dirfs (`--share DIR`).
type Shares struct {
	// dirs are absolute, cleaned, with host symlinks resolved.
	dirs []string
}

// NewShares checks the shared directories.
func NewShares(dirs []string) (*Shares, error) {
	s := &Shares{}
	for _, d := range dirs {
		if !filepath.IsAbs(d) {
			return nil, &os.PathError{Op: "--share", Path: d, Err: errNotAbsolute}
		}
		r, err := filepath.EvalSymlinks(d)
		if err != nil {
			return nil, &os.PathError{Op: "--share", Path: d, Err: unwrap(err)}
		}
		st, err := os.Stat(r)
		if err != nil {
			return nil, &os.PathError{Op: "--share", Path: d, Err: unwrap(err)}
		}
		if !st.IsDir() {
			return nil, &os.PathError{Op: "--share", Path: d, Err: unix.ENOTDIR}
		}
		s.dirs = append(s.dirs, filepath.Clean(r))
	}
	return s, nil
}

type notAbsolute struct{}

func (notAbsolute) Error() string { return "not an absolute path" }

var errNotAbsolute = notAbsolute{}

// Open opens the host directory source (O_PATH) if it lies in a shared
// directory, resolving it beneath the share so that no symlink, "..", or
// rename on the host leads outside: EPERM for anything else.
func (s *Shares) Open(source string) (int, error) {
	if !filepath.IsAbs(source) {
		return -1, unix.EINVAL
	}
	try := func(p string) (int, error) {
		p = filepath.Clean(p)
		for _, d := range s.dirs {
			rel, ok := strings.CutPrefix(p, d)
			if !ok || (rel != "" && rel[0] != '/' && d != "/") {
				continue
			}
			rel = strings.TrimPrefix(rel, "/")
			if rel == "" {
				rel = "."
			}
			dfd, err := unix.Open(d, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
			if err != nil {
				return -1, err
			}
			fd, err := unix.Openat2(dfd, rel, &unix.OpenHow{
				Flags:   unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC,
				Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_MAGICLINKS,
			})
			unix.Close(dfd)
			if err == unix.EXDEV || err == unix.ELOOP {
				return -1, unix.EPERM
			}
			return fd, err
		}
		return -1, unix.EPERM
	}
	fd, err := try(source)
	if err != unix.EPERM {
		return fd, err
	}
	// A path that reaches a share through a host symlink outside it.
	if r, rerr := filepath.EvalSymlinks(source); rerr == nil && r != filepath.Clean(source) {
		return try(r)
	}
	return -1, err
}

// ParseTmpfsOptions reads tmpfs's mount data (tmpfs.ParseOptions): size=,
// nr_blocks=, nr_inodes=, mode=, uid=, gid=; huge=, inode64, noswap and
// the like are accepted and ignored.
func ParseTmpfsOptions(data string) (tmpfs.Options, error) {
	o, _, err := tmpfs.ParseOptions(data)
	return o, err
}
