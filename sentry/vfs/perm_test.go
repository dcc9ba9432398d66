package vfs

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestPermissions(t *testing.T) {
	e := newEnv(t)
	fs := e.fs
	fs.add("priv", unix.S_IFDIR|0700, 0, 0)
	fs.add("priv/x", unix.S_IFREG|0644, 0, 0)
	fs.add("pub", unix.S_IFDIR|0755, 0, 0)
	fs.add("pub/secret", unix.S_IFREG|0600, 0, 0)
	fs.add("pub/mine", unix.S_IFREG|0644, 1000, 1000)
	fs.add("pub/shared", unix.S_IFREG|0666, 0, 0)
	fs.add("pub/grp", unix.S_IFREG|0640, 0, 50)
	fs.add("tmp", unix.S_IFDIR|01777, 0, 0)
	fs.add("tmp/theirs", unix.S_IFREG|0666, 2000, 2000)
	fs.add("tmp/ours", unix.S_IFREG|0644, 1000, 1000)
	fs.add("home", unix.S_IFDIR|0755, 1000, 1000)
	fs.add("home/f", unix.S_IFREG|0644, 1000, 1000)
	fs.add("noexec", unix.S_IFREG|0644, 0, 0)
	fs.add("exec", unix.S_IFREG|0744, 0, 0)
	u := e.as(user(1000, 50))
	none := VirtualDentry{}
	open := func(ctx *Context, path string, flags int) error {
		f, err := e.v.Open(ctx, none, path, flags, 0644)
		if err == nil {
			f.DecRef()
		}
		return err
	}
	vd := func(p string) VirtualDentry { return e.mustWalk(p, 0) }
	now := unix.Timespec{Nsec: unix.UTIME_NOW}
	readSearch := e.as(&Cred{UID: 1000, GID: 1000, CapEffective: 1 << capDacReadSearch})
	for _, tc := range []struct {
		what string
		err  error
		want error
	}{
		{"walk through 0700 dir", func() error { _, err := e.v.Walk(u, none, "/priv/x", 0); return err }(), unix.EACCES},
		{"walk through 0700 dir as root", func() error { _, err := e.v.Walk(e.ctx, none, "/priv/x", 0); return err }(), nil},
		{"read 0600 file", open(u, "/pub/secret", unix.O_RDONLY), unix.EACCES},
		{"read 0644 file", open(u, "/pub/mine", unix.O_RDONLY), nil},
		{"write others' 0666 file", open(u, "/pub/shared", unix.O_RDWR), nil},
		{"read group 0640 file", open(u, "/pub/grp", unix.O_RDONLY), nil},
		{"write group 0640 file", open(u, "/pub/grp", unix.O_WRONLY), unix.EACCES},
		{"O_PATH of unreadable file", open(u, "/pub/secret", unix.O_PATH), nil},
		{"create in 0755 root dir", open(u, "/pub/new", unix.O_CREAT|unix.O_WRONLY), unix.EACCES},
		{"create in own dir", open(u, "/home/new", unix.O_CREAT|unix.O_WRONLY), nil},
		{"mkdir in 0755 root dir", e.v.Mkdir(u, none, "/pub/d", 0755), unix.EACCES},
		{"unlink in 0755 root dir", e.v.Unlink(u, none, "/pub/mine"), unix.EACCES},
		{"unlink others' in sticky dir", e.v.Unlink(u, none, "/tmp/theirs"), unix.EPERM},
		{"rename others' in sticky dir", e.v.Rename(u, none, "/tmp/theirs", none, "/tmp/x", 0), unix.EPERM},
		{"unlink own in sticky dir", e.v.Unlink(u, none, "/tmp/ours"), nil},
		{"unlink others' in sticky dir as root", e.v.Unlink(e.ctx, none, "/tmp/theirs"), nil},
		{"chmod others' file", e.v.Setattr(u, vd("/pub/shared"), &SetAttr{Mask: SetMode, Mode: 0777}), unix.EPERM},
		{"chmod own file", e.v.Setattr(u, vd("/home/f"), &SetAttr{Mask: SetMode, Mode: 0600}), nil},
		{"chown own file", e.v.Setattr(u, vd("/home/f"), &SetAttr{Mask: SetUID, UID: 0}), unix.EPERM},
		{"chgrp own file to own group", e.v.Setattr(u, vd("/home/f"), &SetAttr{Mask: SetGID, GID: 50}), nil},
		{"chgrp own file to other group", e.v.Setattr(u, vd("/home/f"), &SetAttr{Mask: SetGID, GID: 7}), unix.EPERM},
		{"chown as root", e.v.Setattr(e.ctx, vd("/pub/shared"), &SetAttr{Mask: SetUID, UID: 5}), nil},
		{"utimes others' file", e.v.Setattr(u, vd("/pub/grp"), &SetAttr{Mask: SetMtime, Mtime: unix.Timespec{Sec: 1}}), unix.EPERM},
		{"touch others' unwritable file", e.v.Setattr(u, vd("/pub/grp"), &SetAttr{Mask: SetAtime | SetMtime, Atime: now, Mtime: now}), unix.EACCES},
		{"touch others' writable file", e.v.Setattr(u, vd("/pub/shared"), &SetAttr{Mask: SetAtime | SetMtime, Atime: now, Mtime: now}), nil},
		{"truncate unwritable file", e.v.Setattr(u, vd("/pub/grp"), &SetAttr{Mask: SetSize}), unix.EACCES},
		{"truncate dir", e.v.Setattr(e.ctx, vd("/pub"), &SetAttr{Mask: SetSize}), unix.EISDIR},
		{"access X on 0644 as root", e.v.Access(e.ctx, vd("/noexec"), unix.X_OK), unix.EACCES},
		{"access X on 0744 as root", e.v.Access(e.ctx, vd("/exec"), unix.X_OK), nil},
		{"access W on 0600 as root", e.v.Access(e.ctx, vd("/pub/secret"), unix.W_OK), nil},
		{"access R as user", e.v.Access(u, vd("/pub/secret"), unix.R_OK), unix.EACCES},
		{"access X on 0744 as user", e.v.Access(u, vd("/exec"), unix.X_OK), unix.EACCES},
		{"read-search reads 0600", open(readSearch, "/pub/secret", unix.O_RDONLY), nil},
		{"read-search writes 0600", open(readSearch, "/pub/secret", unix.O_WRONLY), unix.EACCES},
		{"read-search walks 0700", func() error { _, err := e.v.Walk(readSearch, none, "/priv/x", 0); return err }(), nil},
		{"user xattr set on others' file", e.v.Setxattr(u, vd("/pub/grp"), "user.k", []byte("v"), 0), unix.EACCES},
		{"user xattr set on own file", e.v.Setxattr(u, vd("/home/f"), "user.k", []byte("v"), 0), nil},
		{"trusted xattr get as user", func() error { _, err := e.v.Getxattr(u, vd("/home/f"), "trusted.k", nil); return err }(), unix.ENODATA},
		{"trusted xattr set as user", e.v.Setxattr(u, vd("/home/f"), "trusted.k", nil, 0), unix.EPERM},
		{"unknown xattr namespace", e.v.Setxattr(e.ctx, vd("/home/f"), "bogus.k", nil, 0), unix.EOPNOTSUPP},
		{"hard link to others' unreadable file", e.v.Link(u, none, "/pub/secret", 0, none, "/home/l"), unix.EPERM},
	} {
		check(t, tc.what, tc.err, tc.want)
	}
	if n, err := e.v.Getxattr(u, vd("/home/f"), "user.k", make([]byte, 8)); n != 1 || err != nil {
		t.Errorf("Getxattr(user.k) = %d, %v; want 1", n, err)
	}
	// chown clears set-id bits of a file.
	fs.add("suid", unix.S_IFREG|06755, 0, 0)
	check(t, "chown suid", e.v.Setattr(e.ctx, vd("/suid"), &SetAttr{Mask: SetUID, UID: 3}), nil)
	if attr, _, _ := e.v.Stat(vd("/suid")); attr.Mode&07777 != 0755 {
		t.Errorf("mode after chown = %o, want 0755", attr.Mode&07777)
	}
}

func TestPlaceholderFD(t *testing.T) {
	a, err := PlaceholderFD(unix.O_RDONLY | unix.O_DIRECTORY)
	if err != nil {
		t.Fatalf("PlaceholderFD = %v", err)
	}
	defer unix.Close(a)
	b, err := PlaceholderFD(unix.O_RDONLY)
	if err != nil {
		t.Fatalf("PlaceholderFD = %v", err)
	}
	defer unix.Close(b)
	if _, err := unix.Read(a, make([]byte, 8)); err != unix.EISDIR {
		t.Errorf("read(placeholder) = %v, want EISDIR", err)
	}
	unix.Seek(a, 7, unix.SEEK_SET)
	if off, _ := unix.Seek(b, 0, unix.SEEK_CUR); off != 0 {
		t.Errorf("placeholders share an offset: %d", off)
	}
	p, err := PlaceholderFD(unix.O_PATH)
	if err != nil {
		t.Fatalf("PlaceholderFD(O_PATH) = %v", err)
	}
	unix.Close(p)
}

func TestGetdents(t *testing.T) {
	e := newEnv(t)
	e.fs.mkdir("d")
	want := []string{".", ".."}
	for i := 0; i < 30; i++ {
		name := "file-with-a-long-name-" + itoa(100+i)
		e.fs.file("d/" + name)
		want = append(want, name)
	}
	f, err := e.v.Open(e.ctx, VirtualDentry{}, "/d", unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.DecRef()
	if _, err := e.v.Getdents(f, 20); err != unix.EINVAL {
		t.Errorf("Getdents(20 bytes) = %s, want EINVAL", errno(err))
	}
	read := func() []string {
		var names []string
		for {
			buf, err := e.v.Getdents(f, 256)
			if err != nil {
				t.Fatalf("Getdents = %v", err)
			}
			if len(buf) == 0 {
				return names
			}
			if len(buf) > 256 {
				t.Fatalf("Getdents returned %d bytes, asked 256", len(buf))
			}
			for off := 0; off < len(buf); {
				reclen := int(buf[off+16]) | int(buf[off+17])<<8
				name := buf[off+19 : off+reclen]
				for i, c := range name {
					if c == 0 {
						name = name[:i]
						break
					}
				}
				names = append(names, string(name))
				off += reclen
			}
		}
	}
	got := read()
	if len(got) != len(want) || got[0] != "." || got[len(got)-1] != want[len(want)-1] {
		t.Errorf("Getdents listed %d names, want %d", len(got), len(want))
	}
	unix.Seek(f.HostFD(), 0, unix.SEEK_SET) // rewinddir, done by the guest natively
	if again := read(); len(again) != len(want) {
		t.Errorf("after rewind Getdents listed %d names, want %d", len(again), len(want))
	}
	p, err := e.v.Open(e.ctx, VirtualDentry{}, "/d", unix.O_PATH, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer p.DecRef()
	if _, err := e.v.Getdents(p, 4096); err != unix.EBADF {
		t.Errorf("Getdents(O_PATH) = %s, want EBADF", errno(err))
	}
}
