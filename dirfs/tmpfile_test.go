package dirfs

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

func TestTmpfile(t *testing.T) {
	fs, dir := newTestFS(t, Options{})
	root := fs.Root()
	sub := lookup(t, root, "sub")
	file := lookup(t, root, "file")
	ro, _ := newTestFS(t, Options{ReadOnly: true})
	guest := &vfs.Cred{UID: 1000, GID: 1001}
	for _, tc := range []struct {
		what    string
		dir     vfs.Vnode
		flags   int
		mode    uint32
		cred    *vfs.Cred
		err     error
		link    string // a name to link it to, if any
		linkErr error
	}{
		{"rdwr, linked", sub, unix.O_RDWR, 0o640, vfs.RootCred(), nil, "named", nil},
		{"wronly, linked", root, unix.O_WRONLY, 0o600, vfs.RootCred(), nil, "w", nil},
		{"umask-stripped bits restored", sub, unix.O_RDWR, 0o777, vfs.RootCred(), nil, "", nil},
		{"guest owner", sub, unix.O_RDWR, 0o600, guest, nil, "mine", nil},
		{"append", sub, unix.O_WRONLY | unix.O_APPEND, 0o600, vfs.RootCred(), nil, "", nil},
		{"O_EXCL never linkable", sub, unix.O_RDWR | unix.O_EXCL, 0o600, vfs.RootCred(), nil, "never", unix.ENOENT},
		{"existing name", sub, unix.O_RDWR, 0o600, vfs.RootCred(), nil, "inner", unix.EEXIST},
		{"rdonly", sub, unix.O_RDONLY, 0o600, vfs.RootCred(), unix.EINVAL, "", nil},
		{"not a directory", file, unix.O_RDWR, 0o600, vfs.RootCred(), unix.ENOTDIR, "", nil},
		{"read-only export", ro.Root(), unix.O_RDWR, 0o600, vfs.RootCred(), unix.EROFS, "", nil},
	} {
		t.Run(tc.what, func(t *testing.T) {
			vn, f, err := tc.dir.(vfs.TmpfileMaker).Tmpfile(tc.flags, tc.mode, tc.cred)
			if err != tc.err {
				t.Fatalf("Tmpfile = %v, want %v", err, tc.err)
			}
			if err != nil {
				return
			}
			defer vn.Release()
			defer f.Close()
			if _, ok := f.(vfs.HostDirFile); ok {
				t.Errorf("the file is a HostDirFile")
			}
			a := attr(t, vn)
			if a.Nlink != 0 || a.Mode != unix.S_IFREG|tc.mode {
				t.Errorf("nlink %d mode %o, want 0 and %o", a.Nlink, a.Mode, unix.S_IFREG|tc.mode)
			}
			if fs.hostRoot && (a.UID != tc.cred.UID || a.GID != tc.cred.GID) {
				t.Errorf("owner %d:%d, want %d:%d", a.UID, a.GID, tc.cred.UID, tc.cred.GID)
			}
			var st unix.Stat_t
			must(t, unix.Fstat(f.HostFD(), &st))
			if st.Ino != a.Ino {
				t.Errorf("the open file is ino %d, the vnode %d", st.Ino, a.Ino)
			}
			fl, err := unix.FcntlInt(uintptr(f.HostFD()), unix.F_GETFL, 0)
			must(t, err)
			if fl&unix.O_ACCMODE != tc.flags&unix.O_ACCMODE || fl&unix.O_APPEND != tc.flags&unix.O_APPEND {
				t.Errorf("host flags %#x, want those of %#x", fl, tc.flags)
			}
			if _, err := unix.Write(f.HostFD(), []byte("data")); err != nil {
				t.Fatalf("write = %v", err)
			}
			// Nothing in the host directory names it.
			hostDir := dir
			if tc.dir == sub {
				hostDir = filepath.Join(dir, "sub")
			}
			ents, err := os.ReadDir(hostDir)
			must(t, err)
			for _, e := range ents {
				var est unix.Stat_t
				if unix.Lstat(filepath.Join(hostDir, e.Name()), &est) == nil && est.Ino == a.Ino {
					t.Errorf("host directory lists it as %q before any link", e.Name())
				}
			}
			if tc.link == "" {
				return
			}
			err = tc.dir.Link(tc.link, vn)
			if err != tc.linkErr {
				t.Fatalf("Link(%q) = %v, want %v", tc.link, err, tc.linkErr)
			}
			hostPath := filepath.Join(hostDir, tc.link)
			if err != nil {
				if tc.linkErr == unix.ENOENT {
					if _, err := os.Lstat(hostPath); !os.IsNotExist(err) {
						t.Errorf("%s exists after a failed link: %v", hostPath, err)
					}
				}
				return
			}
			got, err := os.ReadFile(hostPath)
			if err != nil || string(got) != "data" {
				t.Errorf("host %s = %q, %v; want the data", hostPath, got, err)
			}
			if a := attr(t, vn); a.Nlink != 1 {
				t.Errorf("nlink after Link = %d, want 1", a.Nlink)
			}
			if c := lookup(t, tc.dir, tc.link); c.ino != vn.(*node).ino {
				t.Errorf("Lookup(%q) is ino %d, want %d", tc.link, c.ino, vn.(*node).ino)
			}
		})
	}
}

// TestTmpfileVFS opens O_TMPFILE through the VFS on a dirfs mount, names
// it with linkat(AT_EMPTY_PATH), and checks that closing it leaves no
// host descriptor behind.
func TestTmpfileVFS(t *testing.T) {
	fs, dir := newTestFS(t, Options{})
	v := vfs.New()
	m := v.NewRootMount(fs, 0)
	r := v.Root(m)
	ctx := &vfs.Context{Root: r, Cwd: r, Cred: vfs.RootCred(), Umask: 0o022}
	none := vfs.VirtualDentry{}
	fds := openFDs(t)
	for i, excl := range []bool{false, true, false} {
		flags := unix.O_TMPFILE | unix.O_RDWR
		if excl {
			flags |= unix.O_EXCL
		}
		f, err := v.Open(ctx, none, "/sub", flags, 0o666)
		if err != nil {
			t.Fatalf("Open(O_TMPFILE) = %v", err)
		}
		a, _, err := v.Stat(f.VD)
		if err != nil || a.Nlink != 0 || a.Mode != unix.S_IFREG|0o644 {
			t.Errorf("Stat = nlink %d mode %o, %v; want 0, %o", a.Nlink, a.Mode, err, unix.S_IFREG|0o644)
		}
		if p, _ := v.PathOf(r, f.VD); p != fmt.Sprintf("/sub/#%d (deleted)", a.Ino) {
			t.Errorf("PathOf = %q", p)
		}
		unix.Write(f.HostFD(), []byte("tmp"))
		name := fmt.Sprintf("/sub/t%d", i)
		err = v.Link(ctx, f.VD, "", vfs.EmptyPath, none, name)
		want := error(nil)
		if excl {
			want = unix.ENOENT
		}
		if err != want {
			t.Errorf("Link(%s) = %v, want %v", name, err, want)
		}
		if err == nil {
			if got, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(got) != "tmp" {
				t.Errorf("host %s = %q, %v", name, got, err)
			}
			vd, err := v.Walk(ctx, none, name, 0)
			if err != nil {
				t.Errorf("Walk(%s) = %v", name, err)
			} else {
				vd.DecRef()
			}
		}
		f.DecRef()
	}
	// The cache keeps /sub and the names looked up in it; drop them.
	sub, err := v.Walk(ctx, none, "/sub", 0)
	must(t, err)
	for _, name := range []string{"t0", "t1", "t2"} {
		v.Forget(sub, name)
	}
	sub.DecRef()
	v.Forget(r, "sub")
	if got := openFDs(t); got != fds {
		t.Errorf("%d host descriptors open after closing, %d before", got, fds)
	}
}
