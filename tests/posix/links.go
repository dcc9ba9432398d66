package posix

import (
	"testing"

	"golang.org/x/sys/unix"
)

// Hard links and rename.

func hardLinks(t *testing.T, dir string) {
	f, g, h := p(dir, "f"), p(dir, "g"), p(dir, "h")
	writeFile(t, f, "data")
	fd := open(t, f, unix.O_RDONLY, 0)
	ok(t, unix.Link(f, g), "link(f, g)")
	sf, sg := stat(t, f), stat(t, g)
	eq(t, sg.Ino, sf.Ino, "g's ino")
	eq(t, sg.Dev, sf.Dev, "g's dev")
	eq(t, sf.Nlink, 2, "f's nlink after link")
	eq(t, fstat(t, fd).Nlink, 2, "fstat nlink after link")
	fails(t, unix.Link(f, g), unix.EEXIST, "link(f, existing g)")
	fails(t, unix.Link(p(dir, "missing"), h), unix.ENOENT, "link(missing, h)")
	mkdir(t, p(dir, "d"))
	fails(t, unix.Link(p(dir, "d"), h), unix.EPERM, "link(dir, h)")

	ok(t, unix.Unlink(f), "unlink(f)")
	eq(t, stat(t, g).Nlink, 1, "g's nlink after unlink(f)")
	eq(t, fstat(t, fd).Nlink, 1, "fstat nlink after unlink(f)")
	eq(t, readFile(t, g), "data", "g's contents")

	ok(t, unix.Link(g, h), "link(g, h)")
	// rename between two links to the same inode does nothing: both stay.
	ok(t, unix.Rename(h, g), "rename(h, g) (same inode)")
	eq(t, stat(t, h).Nlink, 2, "h's nlink after rename(h, g)")
	eq(t, stat(t, g).Nlink, 2, "g's nlink after rename(h, g)")
	ok(t, unix.Rename(h, p(dir, "k")), "rename(h, k)")
	absent(t, h)
	eq(t, stat(t, p(dir, "k")).Nlink, 2, "k's nlink after rename")
	// rename over another file drops that file's link.
	writeFile(t, p(dir, "other"), "other")
	ofd := open(t, p(dir, "other"), unix.O_RDONLY, 0)
	ok(t, unix.Rename(p(dir, "k"), p(dir, "other")), "rename(k, other)")
	eq(t, fstat(t, ofd).Nlink, 0, "replaced file's nlink")
	eq(t, stat(t, g).Nlink, 2, "g's nlink after rename over other")
	eq(t, stat(t, p(dir, "other")).Ino, stat(t, g).Ino, "other's ino")
	ok(t, unix.Unlink(g), "unlink(g)")
	eq(t, fstat(t, fd).Nlink, 1, "nlink after unlink(g)")
	ok(t, unix.Unlink(p(dir, "other")), "unlink(other)")
	eq(t, fstat(t, fd).Nlink, 0, "nlink after the last unlink")
	// linkat of a symlink links the symlink itself without AT_SYMLINK_FOLLOW.
	writeFile(t, p(dir, "t"), "")
	symlink(t, "t", p(dir, "s"))
	ok(t, unix.Linkat(unix.AT_FDCWD, p(dir, "s"), unix.AT_FDCWD, p(dir, "s2"), 0), "linkat(s, s2)")
	eq(t, lstat(t, p(dir, "s2")).Mode&unix.S_IFMT, unix.S_IFLNK, "s2's type")
	eq(t, lstat(t, p(dir, "s2")).Ino, lstat(t, p(dir, "s")).Ino, "s2's ino")
	ok(t, unix.Linkat(unix.AT_FDCWD, p(dir, "s"), unix.AT_FDCWD, p(dir, "t2"), unix.AT_SYMLINK_FOLLOW), "linkat(s, t2, FOLLOW)")
	eq(t, lstat(t, p(dir, "t2")).Ino, lstat(t, p(dir, "t")).Ino, "t2's ino")
}

func renameNoreplace(t *testing.T, dir string) {
	a, b := p(dir, "a"), p(dir, "b")
	writeFile(t, a, "a")
	writeFile(t, b, "b")
	fails(t, unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_NOREPLACE), unix.EEXIST, "renameat2(a, b, NOREPLACE)")
	eq(t, readFile(t, a), "a", "a after the failed rename")
	eq(t, readFile(t, b), "b", "b after the failed rename")
	symlink(t, "nowhere", p(dir, "dangling"))
	fails(t, unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, p(dir, "dangling"), unix.RENAME_NOREPLACE), unix.EEXIST, "renameat2(a, dangling, NOREPLACE)")
	ok(t, unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, p(dir, "c"), unix.RENAME_NOREPLACE), "renameat2(a, c, NOREPLACE)")
	absent(t, a)
	eq(t, readFile(t, p(dir, "c")), "a", "c")
	fails(t, unix.Renameat2(unix.AT_FDCWD, p(dir, "c"), unix.AT_FDCWD, b, unix.RENAME_NOREPLACE|unix.RENAME_EXCHANGE), unix.EINVAL, "renameat2(NOREPLACE|EXCHANGE)")
	fails(t, unix.Renameat2(unix.AT_FDCWD, p(dir, "c"), unix.AT_FDCWD, b, 1<<30), unix.EINVAL, "renameat2(unknown flag)")
}

func renameExchange(t *testing.T, dir string) {
	f, d := p(dir, "f"), p(dir, "d")
	writeFile(t, f, "file")
	mkdir(t, d)
	writeFile(t, p(d, "inner"), "inner")
	fi, di := stat(t, f).Ino, stat(t, d).Ino
	ok(t, unix.Renameat2(unix.AT_FDCWD, f, unix.AT_FDCWD, d, unix.RENAME_EXCHANGE), "renameat2(f, d, EXCHANGE)")
	sf, sd := lstat(t, f), lstat(t, d)
	eq(t, sf.Mode&unix.S_IFMT, unix.S_IFDIR, "f's type after the exchange")
	eq(t, sd.Mode&unix.S_IFMT, unix.S_IFREG, "d's type after the exchange")
	eq(t, sf.Ino, di, "f's ino after the exchange")
	eq(t, sd.Ino, fi, "d's ino after the exchange")
	eq(t, readFile(t, d), "file", "d's contents")
	eq(t, readFile(t, p(f, "inner")), "inner", "f/inner")
	fails(t, unix.Renameat2(unix.AT_FDCWD, f, unix.AT_FDCWD, p(dir, "missing"), unix.RENAME_EXCHANGE), unix.ENOENT, "renameat2(f, missing, EXCHANGE)")
	// Across directories: the entries trade places.
	mkdir(t, p(dir, "x"))
	writeFile(t, p(dir, "x", "y"), "y")
	ok(t, unix.Renameat2(unix.AT_FDCWD, d, unix.AT_FDCWD, p(dir, "x", "y"), unix.RENAME_EXCHANGE), "renameat2(d, x/y, EXCHANGE)")
	eq(t, readFile(t, d), "y", "d after the second exchange")
	eq(t, readFile(t, p(dir, "x", "y")), "file", "x/y after the second exchange")
	// A directory cannot be exchanged into its own subtree.
	fails(t, unix.Renameat2(unix.AT_FDCWD, f, unix.AT_FDCWD, p(f, "inner"), unix.RENAME_EXCHANGE), unix.EINVAL, "renameat2(f, f/inner, EXCHANGE)")
}

func renameOverDirs(t *testing.T, dir string) {
	a, b, c := p(dir, "a"), p(dir, "b"), p(dir, "c")
	mkdir(t, a)
	writeFile(t, p(a, "x"), "x")
	mkdir(t, b)
	mkdir(t, c)
	writeFile(t, p(c, "y"), "y")
	ai := stat(t, a).Ino
	// Over an empty directory: replaced.
	ok(t, unix.Rename(a, b), "rename(a, empty b)")
	absent(t, a)
	eq(t, stat(t, b).Ino, ai, "b's ino")
	eq(t, readFile(t, p(b, "x")), "x", "b/x")
	// Over a non-empty directory: ENOTEMPTY, nothing moves.
	fails(t, unix.Rename(b, c), unix.ENOTEMPTY, "rename(b, non-empty c)")
	eq(t, readFile(t, p(c, "y")), "y", "c/y")
	eq(t, readFile(t, p(b, "x")), "x", "b/x")
	// A directory onto itself: nothing happens.
	ok(t, unix.Rename(b, b), "rename(b, b)")
	// The parent's link count follows directories moving in and out.
	mkdir(t, p(dir, "sub"))
	n := stat(t, dir).Nlink
	ok(t, unix.Rename(b, p(dir, "sub", "b")), "rename(b, sub/b)")
	eq(t, stat(t, dir).Nlink, n-1, "dir's nlink after moving b out")
	eq(t, stat(t, p(dir, "sub")).Nlink, 3, "sub's nlink after moving b in")
	// "." and ".." as the last component.
	fails(t, unix.Rename(p(c, "."), p(dir, "z")), unix.EBUSY, "rename(c/., z)")
	fails(t, unix.Rename(p(dir, "z"), p(c, ".")), unix.EBUSY, "rename(missing, c/.)")
	fails(t, unix.Rename(c, p(dir, "sub", "b", "..")), unix.EBUSY, "rename(c, sub/b/..)")
}

func renameIntoSubtree(t *testing.T, dir string) {
	a := p(dir, "a")
	mkdir(t, a)
	mkdir(t, p(a, "b"))
	fails(t, unix.Rename(a, p(a, "b", "c")), unix.EINVAL, "rename(a, a/b/c)")
	fails(t, unix.Rename(a, p(a, "c")), unix.EINVAL, "rename(a, a/c)")
	fails(t, unix.Rename(a, p(a, "b")), unix.EINVAL, "rename(a, a/b)")
	// The other way round: a/b over its ancestor a, which is not empty.
	fails(t, unix.Rename(p(a, "b"), a), unix.ENOTEMPTY, "rename(a/b, a)")
	eq(t, stat(t, p(a, "b")).Mode&unix.S_IFMT, unix.S_IFDIR, "a/b still there")
}

func renameTypeMismatch(t *testing.T, dir string) {
	f, d := p(dir, "f"), p(dir, "d")
	writeFile(t, f, "f")
	mkdir(t, d)
	fails(t, unix.Rename(f, d), unix.EISDIR, "rename(file, dir)")
	fails(t, unix.Rename(d, f), unix.ENOTDIR, "rename(dir, file)")
	symlink(t, "d", p(dir, "ld"))
	fails(t, unix.Rename(d, p(dir, "ld")), unix.ENOTDIR, "rename(dir, symlink to dir)")
	// A symlink to a directory is not a directory: a file replaces it.
	ok(t, unix.Rename(f, p(dir, "ld")), "rename(file, symlink to dir)")
	eq(t, lstat(t, p(dir, "ld")).Mode&unix.S_IFMT, unix.S_IFREG, "ld's type")
	fails(t, unix.Rename(p(dir, "missing"), p(dir, "x")), unix.ENOENT, "rename(missing, x)")
	fails(t, unix.Rename(p(dir, "ld"), p(dir, "nodir", "x")), unix.ENOENT, "rename(ld, nodir/x)")
	fails(t, unix.Rename(p(dir, "ld"), p(dir, "ld", "x")), unix.ENOTDIR, "rename(ld, file/x)")
}
