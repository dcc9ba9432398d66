package dirfs

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

// TestCreateAsCred: objects a guest user makes are the user's from the
// start, as Linux makes them: owner, group (the directory's under a
// set-group-ID directory), exact mode whatever the host umask, S_ISGID
// dropped for a creator outside the group, and no chown after, so the
// ctime is the mtime.
func TestCreateAsCred(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs host root")
	}
	fs, dir := newTestFS(t, Options{})
	must(t, os.Chmod(dir, 0o777))
	sg := filepath.Join(dir, "sg")
	must(t, os.Mkdir(sg, 0o777))
	must(t, os.Chown(sg, 0, 999))
	must(t, unix.Chmod(sg, 0o2777))
	user := &vfs.Cred{UID: 1234, GID: 5678, Groups: []uint32{42}}
	root := fs.Root()
	sgv := lookup(t, root, "sg")
	for _, c := range []struct {
		what     string
		dir      vfs.Vnode
		make     func(d vfs.Vnode) error
		name     string
		mode     uint32
		uid, gid uint32
	}{
		{"file", root, func(d vfs.Vnode) error {
			v, f, err := d.Create("f", unix.O_RDWR, 0o666, user)
			if err == nil {
				f.Close()
				v.Release()
			}
			return err
		}, "f", unix.S_IFREG | 0o666, 1234, 5678},
		{"dir", root, func(d vfs.Vnode) error { return d.Mkdir("d", 0o777, user) }, "d", unix.S_IFDIR | 0o777, 1234, 5678},
		{"fifo", root, func(d vfs.Vnode) error { return d.Mknod("p", unix.S_IFIFO|0o666, 0, user) }, "p", unix.S_IFIFO | 0o666, 1234, 5678},
		{"symlink", root, func(d vfs.Vnode) error { return d.Symlink("l", "f", user) }, "l", unix.S_IFLNK | 0o777, 1234, 5678},
		{"file in a setgid dir, setgid asked, not a member", sgv, func(d vfs.Vnode) error {
			v, f, err := d.Create("f", unix.O_RDWR, 0o2777, user)
			if err == nil {
				f.Close()
				v.Release()
			}
			return err
		}, "f", unix.S_IFREG | 0o777, 1234, 999},
		{"dir in a setgid dir", sgv, func(d vfs.Vnode) error { return d.Mkdir("d", 0o755, user) }, "d", unix.S_IFDIR | 0o2755, 1234, 999},
	} {
		t.Run(c.what, func(t *testing.T) {
			must(t, c.make(c.dir))
			a := attr(t, lookup(t, c.dir, c.name))
			if a.Mode != c.mode || a.UID != c.uid || a.GID != c.gid {
				t.Errorf("mode %o owner %d:%d, want %o %d:%d", a.Mode, a.UID, a.GID, c.mode, c.uid, c.gid)
			}
			if a.Ctime != a.Mtime {
				t.Errorf("ctime %v, mtime %v: want equal", a.Ctime, a.Mtime)
			}
		})
	}
	// Where the host refuses the user (a directory only root may write),
	// the object is still made, and given to the user after.
	closed := filepath.Join(dir, "closed")
	must(t, os.Mkdir(closed, 0o755))
	must(t, lookup(t, root, "closed").Mkdir("x", 0o700, user))
	if a := attr(t, lookup(t, lookup(t, root, "closed"), "x")); a.UID != 1234 || a.Mode&07777 != 0o700 {
		t.Errorf("made in a root-only directory: owner %d mode %o, want 1234 and 700", a.UID, a.Mode&07777)
	}
}
