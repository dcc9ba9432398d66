package vfs

import (
	"fmt"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// oTmpfile is Linux's __O_TMPFILE alone, without O_DIRECTORY.
const oTmpfile = unix.O_TMPFILE &^ unix.O_DIRECTORY

// tmpfileEnv is an env with: /d (0755), /open (0777), /f, /ld -> d,
// /plain (a filesystem without Tmpfile) and /ro (a read-only mount).
func tmpfileEnv(t *testing.T) *env {
	e := newEnv(t)
	e.fs.mkdir("d")
	e.fs.add("open", unix.S_IFDIR|0777, 0, 0)
	e.fs.file("f")
	e.fs.symlink("ld", "d")
	e.fs.mkdir("plain")
	e.fs.mkdir("ro")
	plain := newMemFS(t, "plain")
	plain.noTmpfile = true
	if _, err := e.v.MountAt(e.mustWalk("/plain", 0), plain, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := e.v.MountAt(e.mustWalk("/ro", 0), newMemFS(t, "ro"), unix.MS_RDONLY); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestTmpfileOpen(t *testing.T) {
	e := tmpfileEnv(t)
	u := user(1000)
	for _, tc := range []struct {
		what  string
		ctx   *Context
		path  string
		flags int
		mode  uint32
		err   error
		owner uint32 // for successes: the file's uid (and gid)
		perm  uint32 // and permission bits
	}{
		{"rdwr", e.ctx, "/d", unix.O_TMPFILE | unix.O_RDWR, 0666, nil, 0, 0644},
		{"wronly", e.ctx, "/d", unix.O_TMPFILE | unix.O_WRONLY, 0600, nil, 0, 0600},
		{"accmode 3", e.ctx, "/d", unix.O_TMPFILE | unix.O_ACCMODE, 0600, nil, 0, 0600},
		{"excl", e.ctx, "/d", unix.O_TMPFILE | unix.O_EXCL | unix.O_RDWR, 0640, nil, 0, 0640},
		{"setuid bits kept", e.ctx, "/d", unix.O_TMPFILE | unix.O_RDWR, 04755, nil, 0, 04755},
		{"mode 0 still writable", e.ctx, "/d", unix.O_TMPFILE | unix.O_RDWR, 0, nil, 0, 0},
		{"trailing slash", e.ctx, "/d/", unix.O_TMPFILE | unix.O_RDWR, 0600, nil, 0, 0600},
		{"through a symlink", e.ctx, "/ld", unix.O_TMPFILE | unix.O_RDWR, 0600, nil, 0, 0600},
		{"user in a 0777 dir", e.as(u), "/open", unix.O_TMPFILE | unix.O_RDWR, 0666, nil, 1000, 0644},
		{"rdonly", e.ctx, "/d", unix.O_TMPFILE | unix.O_RDONLY, 0600, unix.EINVAL, 0, 0},
		{"no O_DIRECTORY", e.ctx, "/d", oTmpfile | unix.O_RDWR, 0600, unix.EINVAL, 0, 0},
		{"with O_CREAT", e.ctx, "/d", unix.O_TMPFILE | unix.O_CREAT | unix.O_RDWR, 0600, unix.EINVAL, 0, 0},
		{"a file", e.ctx, "/f", unix.O_TMPFILE | unix.O_RDWR, 0600, unix.ENOTDIR, 0, 0},
		{"missing", e.ctx, "/missing", unix.O_TMPFILE | unix.O_RDWR, 0600, unix.ENOENT, 0, 0},
		{"missing parent", e.ctx, "/missing/x", unix.O_TMPFILE | unix.O_RDWR, 0600, unix.ENOENT, 0, 0},
		{"symlink, O_NOFOLLOW", e.ctx, "/ld", unix.O_TMPFILE | unix.O_NOFOLLOW | unix.O_RDWR, 0600, unix.ENOTDIR, 0, 0},
		{"user in a 0755 dir", e.as(u), "/d", unix.O_TMPFILE | unix.O_RDWR, 0600, unix.EACCES, 0, 0},
		{"filesystem cannot", e.ctx, "/plain", unix.O_TMPFILE | unix.O_RDWR, 0600, unix.EOPNOTSUPP, 0, 0},
		{"read-only mount", e.ctx, "/ro", unix.O_TMPFILE | unix.O_RDWR, 0600, unix.EROFS, 0, 0},
	} {
		t.Run(tc.what, func(t *testing.T) {
			var before int64
			d, derr := e.walk(tc.path, FollowFinal)
			if derr == nil {
				before = d.Dentry.refs.Load()
			}
			f, err := e.v.Open(tc.ctx, VirtualDentry{}, tc.path, tc.flags, tc.mode)
			check(t, "Open", err, tc.err)
			if err != nil {
				return
			}
			attr, _, err := e.v.Stat(f.VD)
			if err != nil {
				t.Fatalf("Stat = %v", err)
			}
			if attr.Nlink != 0 || attr.Mode != unix.S_IFREG|tc.perm || attr.UID != tc.owner || attr.GID != tc.owner {
				t.Errorf("attr = nlink %d mode %o uid %d gid %d; want nlink 0 mode %o owner %d",
					attr.Nlink, attr.Mode, attr.UID, attr.GID, unix.S_IFREG|tc.perm, tc.owner)
			}
			dir := strings.TrimSuffix(e.path(d), "/")
			if want := fmt.Sprintf("%s/#%d (deleted)", dir, attr.Ino); e.path(f.VD) != want {
				t.Errorf("path = %q, want %q", e.path(f.VD), want)
			}
			if f.VD.Dentry.parent != d.Dentry || f.VD.Mount != d.Mount {
				t.Errorf("the file's dentry is not under the directory")
			}
			// O_ACCMODE (3) opens for neither reading nor writing, but
			// asks for both permissions: allowed, as Linux.
			if _, err := unix.Write(f.HostFD(), []byte("x")); err != nil && tc.flags&unix.O_ACCMODE != unix.O_ACCMODE {
				t.Errorf("write = %v", err)
			}
			if f.Flags&unix.O_ACCMODE != tc.flags&unix.O_ACCMODE {
				t.Errorf("Flags = %#x, want the access mode of %#x", f.Flags, tc.flags)
			}
			// Nothing names it.
			if ents, _ := d.Dentry.vnode.Readdir(); len(ents) > 2 && tc.path != "/" {
				for _, ent := range ents[2:] {
					if strings.HasPrefix(ent.Name, "#") {
						t.Errorf("directory lists %q", ent.Name)
					}
				}
			}
			name := fmt.Sprintf("#%d", attr.Ino)
			if _, err := e.walk(strings.TrimSuffix(tc.path, "/")+"/"+name, 0); err != unix.ENOENT {
				t.Errorf("Walk(#ino) = %s, want ENOENT", errno(err))
			}
			e.v.Forget(d, name) // the negative entry holds d
			released := e.fs.released.Load()
			f.DecRef()
			if got := e.fs.released.Load(); got != released+1 {
				t.Errorf("closing released %d vnodes, want 1", got-released)
			}
			if after := d.Dentry.refs.Load(); after != before {
				t.Errorf("directory refs %d after close, want %d", after, before)
			}
		})
	}

	// O_PATH beats O_TMPFILE (open(2) drops the rest): the directory.
	f, err := e.v.Open(e.ctx, VirtualDentry{}, "/d", unix.O_PATH|unix.O_TMPFILE|unix.O_RDWR, 0)
	if err != nil || f.VD.Dentry != e.mustWalk("/d", 0).Dentry {
		t.Errorf("Open(O_PATH|O_TMPFILE) = %v, want the directory", err)
	}
	if err == nil {
		f.DecRef()
	}
}

func TestTmpfileLink(t *testing.T) {
	e := tmpfileEnv(t)
	none := VirtualDentry{}
	open := func(flags int) *File {
		t.Helper()
		f, err := e.v.Open(e.ctx, none, "/d", unix.O_TMPFILE|flags, 0600)
		if err != nil {
			t.Fatalf("Open(O_TMPFILE|%#x) = %v", flags, err)
		}
		return f
	}
	linkable, excl := open(unix.O_RDWR), open(unix.O_RDWR|unix.O_EXCL)
	defer linkable.DecRef()
	defer excl.DecRef()
	viaProc, viaProcExcl := open(unix.O_WRONLY), open(unix.O_WRONLY|unix.O_EXCL)
	defer viaProc.DecRef()
	defer viaProcExcl.DecRef()
	magic := func(f *File) func(*Context) (VirtualDentry, error) {
		return func(*Context) (VirtualDentry, error) { f.VD.IncRef(); return f.VD, nil }
	}
	e.fs.add("fd3", unix.S_IFLNK|0777, 0, 0).magic = magic(viaProc)
	e.fs.add("fd4", unix.S_IFLNK|0777, 0, 0).magic = magic(viaProcExcl)
	for _, tc := range []struct {
		what    string
		f       *File // when set, linked with EmptyPath from it
		oldPath string
		flags   int
		newPath string
		err     error
	}{
		{"empty path", linkable, "", EmptyPath, "/d/named", nil},
		{"empty path, existing name", linkable, "", EmptyPath, "/d/named", unix.EEXIST},
		{"empty path, a second name", linkable, "", EmptyPath, "/open/second", nil},
		{"empty path, O_EXCL", excl, "", EmptyPath, "/d/never", unix.ENOENT},
		{"empty path, other mount", linkable, "", EmptyPath, "/plain/x", unix.EXDEV},
		{"without EmptyPath", linkable, "", 0, "/d/x", unix.ENOENT},
		{"proc link", nil, "/fd3", FollowFinal, "/d/proc", nil},
		{"proc link again", nil, "/fd3", FollowFinal, "/d/proc2", nil},
		{"proc link, O_EXCL", nil, "/fd4", FollowFinal, "/d/never", unix.ENOENT},
	} {
		start := none
		if tc.f != nil {
			start = tc.f.VD
		}
		check(t, "Link "+tc.what, e.v.Link(e.ctx, start, tc.oldPath, tc.flags, none, tc.newPath), tc.err)
	}
	for _, tc := range []struct {
		f     *File
		nlink uint64
		names []string
	}{
		{linkable, 2, []string{"/d/named", "/open/second"}},
		{viaProc, 2, []string{"/d/proc", "/d/proc2"}},
		{excl, 0, nil},
		{viaProcExcl, 0, nil},
	} {
		attr, _, err := e.v.Stat(tc.f.VD)
		if err != nil || attr.Nlink != tc.nlink {
			t.Errorf("nlink = %d, %v; want %d", attr.Nlink, err, tc.nlink)
		}
		for _, name := range tc.names {
			vd, err := e.v.Walk(e.ctx, none, name, 0)
			if err != nil {
				t.Errorf("Walk(%s) = %v", name, err)
				continue
			}
			if vd.Dentry.vnode.(*memVnode).n != tc.f.VD.Dentry.vnode.(*memVnode).n {
				t.Errorf("%s is not the tmpfile", name)
			}
			vd.DecRef()
		}
		// The file's own position stays the unnamed, deleted one.
		if p := e.path(tc.f.VD); !strings.HasPrefix(p, "/d/#") || !strings.HasSuffix(p, " (deleted)") {
			t.Errorf("path after linking = %q", p)
		}
	}
	if _, err := e.walk("/d/never", 0); err != unix.ENOENT {
		t.Errorf("Walk(/d/never) = %s, want ENOENT", errno(err))
	}
	// Once linked and unlinked again it is an ordinary deleted file:
	// linkable no more.
	check(t, "Unlink named", e.v.Unlink(e.ctx, none, "/d/named"), nil)
	check(t, "Unlink second", e.v.Unlink(e.ctx, none, "/open/second"), nil)
	check(t, "Link after unlinking", e.v.Link(e.ctx, linkable.VD, "", EmptyPath, none, "/d/back"), unix.ENOENT)
}
