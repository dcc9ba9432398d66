package procfs

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

// /proc/<pid>/maps and smaps are the host's, whose file names are host
// paths: the files the guest maps are host files the sentry opened (dirfs
// serves host directories). Each name is given back as the guest sees it:
// the mount whose host directory holds the file (same host device, longest
// host path) turns the host path into the guest's, and its device number
// replaces the host's. A name no mount holds (a memfd of the sentry's
// tmpfs, an anonymous region's [heap], [stack], [vdso]) is left as it is;
// a host path that no mount holds is not shown at all. Names are given
// from the reader's root, as Linux's d_path: the reader's root directory
// and the mounts below it come first, then the whole tree's, so a file
// outside the reader's root shows its full path.

func genMaps(n *node) ([]byte, error) { return hostMaps(n, "maps") }

func genSmaps(n *node) ([]byte, error) { return hostMaps(n, "smaps") }

func hostMaps(n *node, name string) ([]byte, error) {
	if opaque(n.pr.p) {
		return nil, nil
	}
	b, err := readHost(hostProc(n.pr.hostTID, name))
	if err != nil {
		return nil, err
	}
	root := n.readerRoot
	if !root.Ok() {
		root = n.pr.p.Root()
	}
	hp := hostPrefixes(n.fs.v, root)
	if root, ok := treeRoot(n.fs.v); ok {
		hp = append(hp, hostPrefixes(n.fs.v, root)...)
	}
	defer hp.close()
	placed, loaderHost := n.pr.p.Loader()
	var out bytes.Buffer
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if line == "" {
			continue
		}
		out.WriteString(hp.mapsLine(line, placed, loaderHost))
	}
	return out.Bytes(), nil
}

// treeRoot is the root of the mount tree: the first mount with no parent.
func treeRoot(v *vfs.VFS) (vfs.VirtualDentry, bool) {
	for _, m := range v.Mounts() {
		if m.Parent == nil {
			return v.Root(m), true
		}
	}
	return vfs.VirtualDentry{}, false
}

// hostPrefix is a visible mount whose root is the host directory dir on
// host device hostDev. dir is the path the host shows, relative to the
// host mount the filesystem serves it through: a dirfs's own detached
// clone, whose root reads as "/", so that two dirfs of one host device
// can show the same names; root, the mount's root opened, tells them
// apart by inode.
type hostPrefix struct {
	dir     string
	hostDev uint64
	point   string // its mount point, from the reader's root
	dev     uint64 // the mount's st_dev in the guest
	root    *vfs.File
}

type prefixes []hostPrefix

// hostPrefixes returns the mounts of v visible from root that serve host
// directories and, when root is not a mount's root (a chroot into a
// directory), root itself as "/".
func hostPrefixes(v *vfs.VFS, root vfs.VirtualDentry) prefixes {
	ctx := &vfs.Context{Root: root, Cwd: root, Cred: vfs.RootCred()}
	var ps prefixes
	add := func(vd vfs.VirtualDentry, point string, dev uint64) {
		f, err := v.OpenAt(ctx, vd, unix.O_PATH|unix.O_DIRECTORY)
		if err != nil {
			return
		}
		var st unix.Stat_t
		dir, err := readlinkFD(f.HostFD())
		if err == nil && strings.HasPrefix(dir, "/") && unix.Fstat(f.HostFD(), &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR {
			ps = append(ps, hostPrefix{dir: dir, hostDev: st.Dev, point: point, dev: dev, root: f})
			return
		}
		f.DecRef()
	}
	if root.Ok() && root.Dentry != root.Mount.Root {
		add(root, "/", root.Mount.Dev)
	}
	for _, vm := range visibleMounts(v, root) {
		add(v.Root(vm.m), vm.point, vm.m.Dev)
	}
	return ps
}

// close drops the mount roots ps holds open.
func (ps prefixes) close() {
	for _, p := range ps {
		p.root.DecRef()
	}
}

// holds reports whether the host file rest (relative to p's root) is
// inode ino, looked up beneath the root without following a symlink.
func (p hostPrefix) holds(rest string, ino uint64) bool {
	if rest == "" {
		rest = "."
	}
	fd, err := unix.Openat2(p.root.HostFD(), rest, &unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_NOFOLLOW | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	})
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	return unix.Fstat(fd, &st) == nil && st.Ino == ino
}

func readlinkFD(fd int) (string, error) {
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlink("/proc/self/fd/"+strconv.Itoa(fd), buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

// guest returns the guest path and device of the host file path, inode
// ino on host device hostDev; ok false when no mount holds it. Of the
// mounts whose host directory holds path, the one with the longest is
// taken; where there are several, the longest that holds inode ino there.
func (ps prefixes) guest(path string, hostDev, ino uint64) (string, uint64, bool) {
	best, n := -1, 0
	for i, p := range ps {
		if p.hostDev != hostDev || !under(path, p.dir) {
			continue
		}
		n++
		if best < 0 || len(p.dir) > len(ps[best].dir) {
			best = i
		}
	}
	if best < 0 {
		return "", 0, false
	}
	if n > 1 {
		held := -1
		for i, p := range ps {
			if p.hostDev == hostDev && under(path, p.dir) && (held < 0 || len(p.dir) > len(ps[held].dir)) &&
				p.holds(relTo(path, p.dir), ino) {
				held = i
			}
		}
		if held >= 0 {
			best = held
		}
	}
	p := ps[best]
	rest := relTo(path, p.dir)
	switch {
	case rest == "":
		return p.point, p.dev, true
	case p.point == "/":
		return "/" + rest, p.dev, true
	}
	return p.point + "/" + rest, p.dev, true
}

// relTo returns path, which is dir or below it, relative to dir ("" for
// dir itself).
func relTo(path, dir string) string {
	return strings.TrimPrefix(strings.TrimPrefix(path, dir), "/")
}

// under reports whether path is dir or below it.
func under(path, dir string) bool {
	if dir == "/" {
		return true
	}
	return path == dir || strings.HasPrefix(path, dir+"/")
}

// mapsLine rewrites one maps (or smaps header) line:
//
//	start-end perms offset major:minor inode   path
//
// Other smaps lines ("Size: ...") are returned as they are. A name that is
// placed, where the interpreter was placed for the exec in the guest's
// host-level mount namespace, is loaderHost's.
func (ps prefixes) mapsLine(line, placed, loaderHost string) string {
	f := strings.Fields(line)
	if len(f) < 6 || !strings.Contains(f[0], "-") || !strings.Contains(f[3], ":") || !strings.HasPrefix(f[5], "/") {
		return line
	}
	maj, err1 := strconv.ParseUint(f[3][:strings.IndexByte(f[3], ':')], 16, 32)
	min, err2 := strconv.ParseUint(f[3][strings.IndexByte(f[3], ':')+1:], 16, 32)
	if err1 != nil || err2 != nil {
		return line
	}
	start := strings.Index(line, f[5])
	path := strings.TrimSuffix(line[start:], "\n")
	suffix := ""
	if p, ok := strings.CutSuffix(path, " (deleted)"); ok {
		path, suffix = p, " (deleted)"
	}
	if placed != "" && path == placed && loaderHost != "" {
		path = loaderHost
	}
	ino, _ := strconv.ParseUint(f[4], 10, 64)
	gpath, dev, ok := ps.guest(path, unix.Mkdev(uint32(maj), uint32(min)), ino)
	if !ok {
		if strings.HasPrefix(path, "/memfd:") {
			return line // a memfd's name is no host path
		}
		// A host path no mount of the guest holds is never shown.
		gpath, dev, suffix = "", 0, ""
	}
	head := fmt.Sprintf("%s %s %s %02x:%02x %s", f[0], f[1], f[2], unix.Major(dev), unix.Minor(dev), f[4])
	if gpath == "" {
		return head + " \n"
	}
	// The kernel pads the name to a fixed column (show_map_vma).
	if pad := start - len(head); pad > 0 {
		head += strings.Repeat(" ", pad)
	} else {
		head += " "
	}
	return head + gpath + suffix + "\n"
}
