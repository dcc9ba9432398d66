package tmpfs

import (
	"testing"

	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

func TestTmpfile(t *testing.T) {
	fs := New(Options{})
	root := fs.Root()
	must(t, root.Mkdir("sgid", 0o2777, &vfs.Cred{UID: 0, GID: 50}))
	sgid := lookup(t, root, "sgid")
	must(t, root.Mkdir("gone", 0o755, cred))
	gone := lookup(t, root, "gone")
	must(t, root.Rmdir("gone"))
	file, _ := create(t, root, "file", unix.O_RDWR)
	for _, tc := range []struct {
		what     string
		dir      vfs.Vnode
		flags    int
		mode     uint32
		err      error
		gid      uint32
		link     string
		linkErr  error
		unlinked bool // unlink the name again, then try to link once more
	}{
		{"linkable", root, unix.O_RDWR, 0o640, nil, 1000, "named", nil, true},
		{"wronly", root, unix.O_WRONLY, 0o600, nil, 1000, "w", nil, false},
		{"O_EXCL", root, unix.O_RDWR | unix.O_EXCL, 0o600, nil, 1000, "never", unix.ENOENT, false},
		{"existing name", root, unix.O_RDWR, 0o600, nil, 1000, "file", unix.EEXIST, false},
		{"setgid directory's group", sgid, unix.O_RDWR, 0o600, nil, 50, "", nil, false},
		{"a file", file, unix.O_RDWR, 0o600, unix.ENOTDIR, 0, "", nil, false},
		{"removed directory", gone, unix.O_RDWR, 0o600, unix.ENOENT, 0, "", nil, false},
	} {
		t.Run(tc.what, func(t *testing.T) {
			vn, f, err := tc.dir.(vfs.TmpfileMaker).Tmpfile(tc.flags, tc.mode, cred)
			if err != tc.err {
				t.Fatalf("Tmpfile = %v, want %v", err, tc.err)
			}
			if err != nil {
				return
			}
			n := vn.(*inode)
			a := attr(t, vn)
			if a.Nlink != 0 || a.Mode != unix.S_IFREG|tc.mode || a.UID != cred.UID || a.GID != tc.gid {
				t.Errorf("nlink %d mode %o owner %d:%d; want 0, %o, %d:%d", a.Nlink, a.Mode, a.UID, a.GID,
					unix.S_IFREG|tc.mode, cred.UID, tc.gid)
			}
			fl, err := unix.FcntlInt(uintptr(f.HostFD()), unix.F_GETFL, 0)
			must(t, err)
			if fl&unix.O_ACCMODE != tc.flags&unix.O_ACCMODE {
				t.Errorf("host flags %#x, want the access mode of %#x", fl, tc.flags)
			}
			if _, err := unix.Write(f.HostFD(), []byte("data")); err != nil {
				t.Fatalf("write = %v", err)
			}
			ents, _ := tc.dir.Readdir()
			for _, e := range ents {
				if e.Ino == a.Ino {
					t.Errorf("directory lists it as %q", e.Name)
				}
			}
			if tc.link != "" {
				if err := tc.dir.Link(tc.link, vn); err != tc.linkErr {
					t.Errorf("Link(%q) = %v, want %v", tc.link, err, tc.linkErr)
				}
				if tc.linkErr == nil {
					c, err := tc.dir.Lookup(tc.link)
					if err != nil || c != vn || attr(t, vn).Nlink != 1 {
						t.Errorf("Link(%q) does not name the tmpfile with one link (%v)", tc.link, err)
					}
					if err == nil {
						c.Release()
					}
				}
			}
			if tc.unlinked {
				must(t, tc.dir.Unlink(tc.link))
				if err := tc.dir.Link("again", vn); err != unix.ENOENT {
					t.Errorf("Link after unlinking = %v, want ENOENT", err)
				}
			}
			f.Close()
			vn.Release()
			fs.mu.Lock()
			freed := n.memfd < 0
			fs.mu.Unlock()
			if freed != (tc.linkErr != nil || tc.link == "" || tc.unlinked) {
				t.Errorf("memfd freed = %v after the last reference", freed)
			}
		})
	}
}
