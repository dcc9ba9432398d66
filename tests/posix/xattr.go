package posix

import (
	"sort"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// Extended attributes in the user namespace.

func xattrList(t *testing.T, path string) []string {
	t.Helper()
	n, err := unix.Listxattr(path, nil)
	ok(t, err, "listxattr(%s, size 0)", path)
	buf := make([]byte, n)
	m, err := unix.Listxattr(path, buf)
	ok(t, err, "listxattr(%s)", path)
	eq(t, m, n, "listxattr size vs size query")
	var user []string
	for _, name := range strings.Split(strings.TrimSuffix(string(buf[:m]), "\x00"), "\x00") {
		if strings.HasPrefix(name, "user.") {
			user = append(user, name)
		}
	}
	sort.Strings(user)
	return user
}

func xattrs(t *testing.T, dir string) {
	f := p(dir, "f")
	writeFile(t, f, "")
	ok(t, unix.Setxattr(f, "user.a", []byte("alpha"), 0), "setxattr(user.a)")
	ok(t, unix.Setxattr(f, "user.empty", nil, 0), "setxattr(user.empty, empty value)")
	buf := make([]byte, 64)
	n, err := unix.Getxattr(f, "user.a", buf)
	ok(t, err, "getxattr(user.a)")
	eq(t, string(buf[:n]), "alpha", "user.a")
	n, err = unix.Getxattr(f, "user.a", nil)
	ok(t, err, "getxattr(user.a, size 0)")
	eq(t, n, 5, "user.a's size")
	n, err = unix.Getxattr(f, "user.empty", buf)
	ok(t, err, "getxattr(user.empty)")
	eq(t, n, 0, "user.empty's size")
	eq(t, strings.Join(xattrList(t, f), ","), "user.a,user.empty", "listxattr")

	_, err = unix.Getxattr(f, "user.a", make([]byte, 4))
	fails(t, err, unix.ERANGE, "getxattr into a 4-byte buffer")
	_, err = unix.Listxattr(f, make([]byte, 3))
	fails(t, err, unix.ERANGE, "listxattr into a 3-byte buffer")
	_, err = unix.Getxattr(f, "user.missing", buf)
	fails(t, err, unix.ENODATA, "getxattr(user.missing)")

	fails(t, unix.Setxattr(f, "user.a", []byte("x"), unix.XATTR_CREATE), unix.EEXIST, "setxattr(user.a, XATTR_CREATE)")
	fails(t, unix.Setxattr(f, "user.b", []byte("x"), unix.XATTR_REPLACE), unix.ENODATA, "setxattr(user.b, XATTR_REPLACE)")
	ok(t, unix.Setxattr(f, "user.a", []byte("A"), unix.XATTR_REPLACE), "setxattr(user.a, XATTR_REPLACE)")
	ok(t, unix.Setxattr(f, "user.b", []byte("beta"), unix.XATTR_CREATE), "setxattr(user.b, XATTR_CREATE)")
	n, _ = unix.Getxattr(f, "user.a", buf)
	eq(t, string(buf[:n]), "A", "user.a after XATTR_REPLACE")
	fails(t, unix.Setxattr(f, "user.c", nil, unix.XATTR_CREATE|unix.XATTR_REPLACE), unix.ENODATA, "setxattr(CREATE|REPLACE) of a missing name")
	fails(t, unix.Setxattr(f, "user.c", nil, 4), unix.EINVAL, "setxattr(unknown flag)")

	ok(t, unix.Removexattr(f, "user.a"), "removexattr(user.a)")
	fails(t, unix.Removexattr(f, "user.a"), unix.ENODATA, "removexattr(user.a) again")
	eq(t, strings.Join(xattrList(t, f), ","), "user.b,user.empty", "listxattr after removexattr")

	// Limits: a value over 64 KiB, a name over 255 bytes, an empty name.
	fails(t, unix.Setxattr(f, "user.big", make([]byte, 65537), 0), unix.E2BIG, "setxattr(65537-byte value)")
	fails(t, unix.Setxattr(f, "user."+strings.Repeat("n", 251), nil, 0), unix.ERANGE, "setxattr(256-byte name)")
	fails(t, unix.Setxattr(f, "", nil, 0), unix.ERANGE, "setxattr(empty name)")
	fails(t, unix.Setxattr(f, "nonamespace", nil, 0), unix.EOPNOTSUPP, "setxattr(no namespace)")
	_, err = unix.Getxattr(f, "bogus.x", buf)
	fails(t, err, unix.EOPNOTSUPP, "getxattr(bogus.x)")

	// Through a descriptor, on a directory, and not on a symlink.
	fd := open(t, f, unix.O_RDONLY, 0)
	ok(t, unix.Fsetxattr(fd, "user.fd", []byte("via fd"), 0), "fsetxattr")
	n, err = unix.Fgetxattr(fd, "user.fd", buf)
	ok(t, err, "fgetxattr")
	eq(t, string(buf[:n]), "via fd", "user.fd")
	ok(t, unix.Fremovexattr(fd, "user.fd"), "fremovexattr")
	mkdir(t, p(dir, "d"))
	ok(t, unix.Setxattr(p(dir, "d"), "user.d", []byte("dir"), 0), "setxattr on a directory")
	eq(t, strings.Join(xattrList(t, p(dir, "d")), ","), "user.d", "the directory's xattrs")
	symlink(t, "f", p(dir, "l"))
	fails(t, unix.Lsetxattr(p(dir, "l"), "user.l", []byte("x"), 0), unix.EPERM, "lsetxattr(user.*) on a symlink")
	n, err = unix.Getxattr(p(dir, "l"), "user.b", buf)
	ok(t, err, "getxattr through a symlink")
	eq(t, string(buf[:n]), "beta", "user.b through the symlink")
	_, err = unix.Getxattr(p(dir, "missing"), "user.b", buf)
	fails(t, err, unix.ENOENT, "getxattr(missing)")
}

func xattrValues(t *testing.T, dir string) {
	f := p(dir, "f")
	writeFile(t, f, "")
	// A binary value with NULs, small enough for ext4's one xattr block
	// alongside the names below.
	val := make([]byte, 1000)
	for i := range val {
		val[i] = byte(i)
	}
	ok(t, unix.Setxattr(f, "user.bin", val, 0), "setxattr(1000-byte binary value)")
	buf := make([]byte, 8192)
	n, err := unix.Getxattr(f, "user.bin", buf)
	ok(t, err, "getxattr(user.bin)")
	eq(t, string(buf[:n]), string(val), "user.bin")
	// Many names.
	for i := 0; i < 20; i++ {
		ok(t, unix.Setxattr(f, "user.n"+string(rune('a'+i)), []byte{byte(i)}, 0), "setxattr #%d", i)
	}
	eq(t, len(xattrList(t, f)), 21, "number of user xattrs")
	// Xattrs follow the inode across a rename and a hard link.
	ok(t, unix.Rename(f, p(dir, "g")), "rename")
	ok(t, unix.Link(p(dir, "g"), p(dir, "h")), "link")
	n, err = unix.Getxattr(p(dir, "h"), "user.na", buf)
	ok(t, err, "getxattr through the new link")
	eq(t, n, 1, "user.na's size through the link")
	// Setting one changes the ctime.
	c := stat(t, p(dir, "g")).Ctim
	tick()
	ok(t, unix.Setxattr(p(dir, "g"), "user.t", []byte("t"), 0), "setxattr")
	if !after(stat(t, p(dir, "g")).Ctim, c) {
		t.Fatalf("ctime after setxattr: not updated")
	}
}
