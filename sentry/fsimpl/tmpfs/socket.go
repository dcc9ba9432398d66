package tmpfs

import (
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

var _ vfs.SocketBinder = (*inode)(nil)

// BindSocket implements vfs.SocketBinder: the guest's socket sock is bound
// on the host in a private temporary directory, as a fifo is made
// (hostFifo); the node keeps an O_PATH descriptor of the socket file, whose
// name and directory are removed at once. connect reaches the socket
// through that descriptor (an O_PATH open of the node reopens it), and
// getsockname shows the host name, which the sentry maps back.
func (n *inode) BindSocket(name string, sock int, mode uint32, cred *vfs.Cred) (string, error) {
	n.fs.mu.Lock()
	err := n.canAddLocked(name)
	n.fs.mu.Unlock()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "vkernel-sock-")
	if err != nil {
		return "", unix.EIO
	}
	defer os.Remove(dir)
	host := filepath.Join(dir, "s")
	if err := unix.Bind(sock, &unix.SockaddrUnix{Name: host}); err != nil {
		return "", errnoOf(err)
	}
	defer unix.Unlink(host)
	fd, err := unix.Open(host, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", errnoOf(err)
	}
	n.fs.mu.Lock()
	defer n.fs.mu.Unlock()
	c, err := n.addLocked(name, unix.S_IFSOCK|mode&07777, cred)
	if err != nil {
		unix.Close(fd)
		return "", err
	}
	c.sock = fd
	return host, nil
}

// canAddLocked returns the errno for a new name in directory n: EADDRINUSE
// for one that exists, as bind(2) gives.
//
// Preconditions: n.fs.mu is held.
func (n *inode) canAddLocked(name string) error {
	switch {
	case n.children == nil:
		return unix.ENOTDIR
	case n.nlink == 0:
		return unix.ENOENT
	case n.children[name] != nil:
		return unix.EADDRINUSE
	}
	return nil
}
