package rootfs

import (
	"fmt"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"

	"vkernel/dirfs"
	"vkernel/sentry/fsimpl/tmpfs"
	"vkernel/sentry/vfs"
)

// A guest tmpfs is a real tmpfs of the host's kernel, private to vkernel:
// a helper process mounts it in a mount namespace of its own, hands the
// sentry a descriptor of its root and exits; the namespace dies, the mount
// is detached from every tree, and the descriptor keeps the filesystem
// alive and reachable by nobody else. dirfs serves it. So size= is the
// host kernel's (ENOSPC on a native write), and every file is a real
// tmpfs file. Where no mount namespace can be made, the sentry's own
// memfd-backed tmpfs is used instead (no size limit on native writes).

// TmpfsCommand is the hidden subcommand of the mounting helper.
const TmpfsCommand = "__tmpfs"

// hostTmpfs is a private host tmpfs as a guest filesystem.
type hostTmpfs struct {
	*dirfs.FS
	options string
}

func (t *hostTmpfs) Type() string    { return "tmpfs" }
func (t *hostTmpfs) Source() string  { return "tmpfs" }
func (t *hostTmpfs) Options() string { return t.options }

// Revalidate trusts the name cache: nothing but the guest, through the
// VFS, can change a filesystem no other process can reach.
func (t *hostTmpfs) Revalidate(vfs.Vnode, string, vfs.Vnode) bool { return true }

// NewTmpfs makes a guest tmpfs with opts.
func NewTmpfs(opts tmpfs.Options) vfs.Filesystem {
	if fs, err := newHostTmpfs(opts); err == nil {
		return fs
	}
	return tmpfs.New(opts)
}

func tmpfsData(o tmpfs.Options) string {
	mode := o.Mode
	if mode == 0 {
		mode = 0o1777
	}
	d := fmt.Sprintf("mode=%o", mode)
	if o.SizeLimit > 0 {
		d += ",size=" + strconv.FormatInt(o.SizeLimit, 10)
	}
	if o.UID != 0 {
		d += ",uid=" + strconv.FormatUint(uint64(o.UID), 10)
	}
	if o.GID != 0 {
		d += ",gid=" + strconv.FormatUint(uint64(o.GID), 10)
	}
	return d
}

func newHostTmpfs(opts tmpfs.Options) (vfs.Filesystem, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(pair[0])
	child := os.NewFile(uintptr(pair[1]), "tmpfs-control")
	data := tmpfsData(opts)
	attr := &os.ProcAttr{
		Files: []*os.File{nil, nil, os.Stderr, child},
		Sys:   &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS},
	}
	if os.Getuid() != 0 {
		attr.Sys.Cloneflags |= syscall.CLONE_NEWUSER
		attr.Sys.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}}
		attr.Sys.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}}
	}
	p, err := os.StartProcess(exe, []string{"vkernel", TmpfsCommand, data}, attr)
	child.Close()
	if err != nil {
		return nil, err
	}
	defer p.Wait()
	buf := make([]byte, 16)
	oob := make([]byte, unix.CmsgSpace(4))
	_, oobn, _, _, err := unix.Recvmsg(pair[0], buf, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return nil, err
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) == 0 {
		return nil, fmt.Errorf("tmpfs helper: no descriptor")
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return nil, fmt.Errorf("tmpfs helper: no descriptor")
	}
	defer unix.Close(fds[0])
	fs, err := dirfs.New("/proc/self/fd/"+strconv.Itoa(fds[0]), dirfs.Options{Source: "tmpfs"})
	if err != nil {
		return nil, err
	}
	return &hostTmpfs{FS: fs, options: tmpfsOptionsShown(opts)}, nil
}

// tmpfsOptionsShown is what /proc/mounts shows for the options.
func tmpfsOptionsShown(o tmpfs.Options) string {
	return tmpfs.New(o).Options()
}

// RunTmpfsHelper is the helper process: in its own mount namespace it
// mounts a tmpfs with data over /tmp, sends a descriptor of its root on
// fd 3 and exits.
func RunTmpfsHelper(args []string) int {
	if len(args) != 1 {
		return 2
	}
	// Keep the new mounts out of the host's tree.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		fmt.Fprintf(os.Stderr, "vkernel: tmpfs: %v\n", err)
		return 1
	}
	if err := unix.Mount("tmpfs", "/tmp", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, args[0]); err != nil {
		fmt.Fprintf(os.Stderr, "vkernel: tmpfs: mount: %v\n", err)
		return 1
	}
	fd, err := unix.Open("/tmp", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 1
	}
	if err := unix.Sendmsg(3, []byte("fd"), unix.UnixRights(fd), nil, 0); err != nil {
		return 1
	}
	return 0
}
