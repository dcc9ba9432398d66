package rootfs

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"vkernel/dirfs"
	"vkernel/sentry/fsimpl/tmpfs"
	"vkernel/sentry/vfs"
)

// A guest tmpfs is a real tmpfs of the host's kernel, private to vkernel:
// a detached mount (fsmount), in no tree, that vkernel makes itself when
// it runs as host root, or else a helper process in namespaces of its own
// makes and hands the sentry by descriptor. The descriptor keeps the
// filesystem alive and reachable by nobody else. dirfs serves it. So
// size= is the host kernel's (ENOSPC on a native write), and every file
// is a real tmpfs file. Where no mount namespace can be made, the
// sentry's own memfd-backed tmpfs is used instead (no size limit on
// native writes).

// TmpfsCommand is the hidden subcommand of the mounting helper.
const TmpfsCommand = "__tmpfs"

// privateFS is a private host filesystem (tmpfs, devpts) as a guest
// filesystem.
type privateFS struct {
	*dirfs.FS
	typ string
	// options are devpts's, as shown.
	options string
	// tmpfs are a tmpfs's mount options: the root's mode, uid and gid
	// (a remount does not change them); its limits are the host's.
	tmpfs tmpfs.Options
	// exact asks the host every time (devpts: the kernel makes and removes
	// /dev/pts/N as ptys come and go).
	exact bool
}

var _ vfs.Reconfigurer = (*privateFS)(nil)

func (t *privateFS) Type() string   { return t.typ }
func (t *privateFS) Source() string { return t.typ }

// Options implements vfs.Filesystem.Options; a tmpfs's are Linux's
// shmem_show_options: size and nr_inodes, read from the host's
// superblock, unless they are the defaults (half the memory's pages),
// then mode, uid and gid.
func (t *privateFS) Options() string {
	if t.typ != "tmpfs" {
		return t.options
	}
	var o []string
	var si unix.Sysinfo_t
	if st, err := t.Root().Statfs(); err == nil && unix.Sysinfo(&si) == nil {
		def := uint64(si.Totalram) * uint64(si.Unit) / 4096 / 2
		if st.Blocks != def {
			o = append(o, "size="+strconv.FormatUint(st.Blocks*uint64(st.Bsize)/1024, 10)+"k")
		}
		if st.Files != def {
			o = append(o, "nr_inodes="+strconv.FormatUint(st.Files, 10))
		}
	}
	if rest := tmpfs.FormatOptions(tmpfs.Options{Mode: t.tmpfs.Mode, ModeGiven: t.tmpfs.ModeGiven, UID: t.tmpfs.UID, GID: t.tmpfs.GID}); rest != "" {
		o = append(o, rest)
	}
	return strings.Join(o, ",")
}

// Reconfigure implements vfs.Reconfigurer: a tmpfs remount's size= and
// nr_inodes= are the host superblock's, changed with fspick(2) and
// fsconfig(2) on it (EINVAL below what is in use, as Linux's
// shmem_reconfigure); mode=, uid= and gid= are ignored, as Linux's. The
// host asks for CAP_SYS_ADMIN over the sentry's mount namespace: a
// vkernel that is not host root gets EPERM for a change of limits (the
// limits the mount already has are no change). devpts takes no options.
func (t *privateFS) Reconfigure(data string) error {
	if t.typ != "tmpfs" {
		return nil
	}
	o, given, err := tmpfs.ParseOptions(data)
	if err != nil {
		return err
	}
	// mount(8) may pass the options the mount has (busybox does): only a
	// change needs the host.
	if st, err := t.Root().Statfs(); err == nil {
		if uint64(o.SizeLimit/4096) == st.Blocks {
			given &^= tmpfs.GivenSize
		}
		if uint64(o.Inodes) == st.Files {
			given &^= tmpfs.GivenInodes
		}
	}
	if given&(tmpfs.GivenSize|tmpfs.GivenInodes) == 0 {
		return nil
	}
	root, err := t.Root().Open(unix.O_PATH | unix.O_DIRECTORY)
	if err != nil {
		return err
	}
	defer root.Close()
	fd, err := unix.Fspick(root.HostFD(), "", unix.FSPICK_EMPTY_PATH|unix.FSPICK_CLOEXEC)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if given&tmpfs.GivenSize != 0 {
		if err := unix.FsconfigSetString(fd, "size", strconv.FormatInt(o.SizeLimit, 10)); err != nil {
			return err
		}
	}
	if given&tmpfs.GivenInodes != 0 {
		if err := unix.FsconfigSetString(fd, "nr_inodes", strconv.FormatInt(o.Inodes, 10)); err != nil {
			return err
		}
	}
	return unix.FsconfigReconfigure(fd)
}

// Revalidate trusts the name cache: nothing but the guest, through the
// VFS, can change a filesystem no other process can reach; devpts is
// asked, since its kernel changes it.
func (t *privateFS) Revalidate(parent vfs.Vnode, name string, child vfs.Vnode) bool {
	if t.exact {
		return t.FS.Revalidate(parent, name, child)
	}
	return true
}

// DevptsOptions are the options of the guest's devpts instances.
const DevptsOptions = "newinstance,ptmxmode=0666,mode=0620,gid=5"

// NewDevpts makes a private devpts instance, for /dev/pts: the guest's
// ptys are its own (nil if no mount namespace can be made).
func NewDevpts() vfs.Filesystem {
	fd, err := privateMount("devpts", DevptsOptions)
	if err != nil {
		return nil
	}
	defer unix.Close(fd)
	fs, err := dirfs.New("/proc/self/fd/"+strconv.Itoa(fd), dirfs.Options{Source: "devpts", PtyDevices: true,
		RevalidateWindow: -1})
	if err != nil {
		return nil
	}
	return &privateFS{FS: fs, typ: "devpts", options: "mode=620,ptmxmode=666,gid=5", exact: true}
}

// NewTmpfs makes a guest tmpfs with opts.
func NewTmpfs(opts tmpfs.Options) vfs.Filesystem { return newTmpfs(opts, 0) }

// newTmpfs is NewTmpfs; given names the limits asked for even when 0
// (size=0, nr_inodes=0: unlimited, rather than the host's defaults).
func newTmpfs(opts tmpfs.Options, given tmpfs.Given) vfs.Filesystem {
	if fs, err := newHostTmpfs(opts, given); err == nil {
		return fs
	}
	return tmpfs.New(opts)
}

// tmpfsData is the host's mount data for opts.
func tmpfsData(o tmpfs.Options, given tmpfs.Given) string {
	d := fmt.Sprintf("mode=%o", o.RootMode())
	if o.SizeLimit > 0 || given&tmpfs.GivenSize != 0 {
		d += ",size=" + strconv.FormatInt(o.SizeLimit, 10)
	}
	if o.UID != 0 {
		d += ",uid=" + strconv.FormatUint(uint64(o.UID), 10)
	}
	if o.GID != 0 {
		d += ",gid=" + strconv.FormatUint(uint64(o.GID), 10)
	}
	if o.Inodes > 0 || given&tmpfs.GivenInodes != 0 {
		d += ",nr_inodes=" + strconv.FormatInt(o.Inodes, 10)
	}
	return d
}

func newHostTmpfs(opts tmpfs.Options, given tmpfs.Given) (vfs.Filesystem, error) {
	fd, err := privateMount("tmpfs", tmpfsData(opts, given))
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	fs, err := dirfs.New("/proc/self/fd/"+strconv.Itoa(fd), dirfs.Options{Source: "tmpfs"})
	if err != nil {
		return nil, err
	}
	return &privateFS{FS: fs, typ: "tmpfs", tmpfs: opts}, nil
}

// privateMount makes a filesystem of fstype with data and returns the
// descriptor of its detached mount. fsopen(2) and fsmount(2) attach
// nothing to any tree, so where vkernel may mount (host root) it makes
// the mount itself; elsewhere a helper in user and mount namespaces of its
// own makes it (a process start, some milliseconds).
func privateMount(fstype, data string) (int, error) {
	if os.Getuid() == 0 {
		if fd, err := detachedMount(fstype, data, privateMountAttrs(fstype)); err == nil {
			return fd, nil
		}
	}
	exe, err := os.Executable()
	if err != nil {
		return -1, err
	}
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	defer unix.Close(pair[0])
	child := os.NewFile(uintptr(pair[1]), "tmpfs-control")
	attr := &os.ProcAttr{
		Files: []*os.File{nil, nil, os.Stderr, child},
		Sys:   &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS},
	}
	if os.Getuid() != 0 {
		attr.Sys.Cloneflags |= syscall.CLONE_NEWUSER
		attr.Sys.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}}
		attr.Sys.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}}
	}
	p, err := os.StartProcess(exe, []string{"vkernel", TmpfsCommand, fstype, data}, attr)
	child.Close()
	if err != nil {
		return -1, err
	}
	defer p.Wait()
	buf := make([]byte, 16)
	oob := make([]byte, unix.CmsgSpace(4))
	_, oobn, _, _, err := unix.Recvmsg(pair[0], buf, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return -1, err
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) == 0 {
		return -1, fmt.Errorf("%s helper: no descriptor", fstype)
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return -1, fmt.Errorf("%s helper: no descriptor", fstype)
	}
	return fds[0], nil
}

// RunTmpfsHelper is the helper process: in its own mount namespace it
// makes a filesystem (args: TYPE DATA) with fsopen(2) and fsmount(2), a
// detached mount attached nowhere, sends its descriptor on fd 3 and exits.
// The mount stays what it is as long as that descriptor: dirfs clones it,
// so that it can set the guest mount's flags on its own host mount.
func RunTmpfsHelper(args []string) int {
	if len(args) != 2 {
		return 2
	}
	fd, err := detachedMount(args[0], args[1], privateMountAttrs(args[0]))
	if err != nil {
		fmt.Fprintf(os.Stderr, "vkernel: %s: mount: %v\n", args[0], err)
		return 1
	}
	if err := unix.Sendmsg(3, []byte("fd"), unix.UnixRights(fd), nil, 0); err != nil {
		return 1
	}
	return 0
}

// privateMountAttrs are the MOUNT_ATTR_* flags of a private mount of
// fstype.
func privateMountAttrs(fstype string) int {
	if fstype == "devpts" {
		return unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NOEXEC
	}
	return unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV
}

// detachedMount makes a filesystem of fstype with mount data data
// ("a=b,c": a=b a string, c a flag) and returns a descriptor of its
// detached mount, with the MOUNT_ATTR_* attrs.
func detachedMount(fstype, data string, attrs int) (int, error) {
	fsfd, err := unix.Fsopen(fstype, unix.FSOPEN_CLOEXEC)
	if err != nil {
		return -1, err
	}
	defer unix.Close(fsfd)
	for _, o := range strings.Split(data, ",") {
		if o == "" {
			continue
		}
		if k, v, ok := strings.Cut(o, "="); ok {
			err = unix.FsconfigSetString(fsfd, k, v)
		} else {
			err = unix.FsconfigSetFlag(fsfd, o)
		}
		if err != nil {
			return -1, fmt.Errorf("%s: %w", o, err)
		}
	}
	if err := unix.FsconfigCreate(fsfd); err != nil {
		return -1, err
	}
	return unix.Fsmount(fsfd, unix.FSMOUNT_CLOEXEC, attrs)
}
