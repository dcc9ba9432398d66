package posix

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Timestamps and statx.

// now is the current time, less a margin for filesystems that stamp with a
// coarse (jiffy) clock.
func now() unix.Timespec {
	return unix.NsecToTimespec(time.Now().Add(-20 * time.Millisecond).UnixNano())
}

func notBefore(t *testing.T, got, min unix.Timespec, what string) {
	t.Helper()
	if after(min, got) {
		t.Fatalf("%s: %s, want at least %s", what, ts(got), ts(min))
	}
}

func utimensat(t *testing.T, dir string) {
	f := p(dir, "f")
	writeFile(t, f, "x")
	a := unix.Timespec{Sec: 1_000_000_000, Nsec: 123_456_789}
	m := unix.Timespec{Sec: 1_100_000_000, Nsec: 987_654_321}
	ok(t, unix.UtimesNanoAt(unix.AT_FDCWD, f, []unix.Timespec{a, m}, 0), "utimensat(f, a, m)")
	st := stat(t, f)
	eq(t, ts(st.Atim), ts(a), "atime")
	eq(t, ts(st.Mtim), ts(m), "mtime")
	// UTIME_OMIT leaves a time alone; UTIME_NOW takes the current time.
	omit := unix.Timespec{Nsec: unix.UTIME_OMIT}
	nowT := unix.Timespec{Nsec: unix.UTIME_NOW}
	ctime := st.Ctim
	tick()
	start := now()
	ok(t, unix.UtimesNanoAt(unix.AT_FDCWD, f, []unix.Timespec{omit, nowT}, 0), "utimensat(f, OMIT, NOW)")
	st = stat(t, f)
	eq(t, ts(st.Atim), ts(a), "atime after OMIT")
	notBefore(t, st.Mtim, start, "mtime after NOW")
	if !after(st.Ctim, ctime) {
		t.Fatalf("ctime after utimensat: %s, want later than %s", ts(st.Ctim), ts(ctime))
	}
	ok(t, unix.UtimesNanoAt(unix.AT_FDCWD, f, []unix.Timespec{nowT, omit}, 0), "utimensat(f, NOW, OMIT)")
	st2 := stat(t, f)
	notBefore(t, st2.Atim, start, "atime after NOW")
	eq(t, ts(st2.Mtim), ts(st.Mtim), "mtime after OMIT")
	// Both OMIT: nothing changes, the ctime neither.
	ctime = st2.Ctim
	tick()
	ok(t, unix.UtimesNanoAt(unix.AT_FDCWD, f, []unix.Timespec{omit, omit}, 0), "utimensat(f, OMIT, OMIT)")
	eq(t, ts(stat(t, f).Ctim), ts(ctime), "ctime after OMIT, OMIT")
	// A NULL times array is NOW, NOW.
	ok(t, unix.UtimesNanoAt(unix.AT_FDCWD, f, nil, 0), "utimensat(f, NULL)")
	notBefore(t, stat(t, f).Mtim, start, "mtime after utimensat(NULL)")
	// Through a descriptor (futimens), and on a symlink itself.
	fd := open(t, f, unix.O_RDONLY, 0)
	ok(t, unix.UtimesNanoAt(fd, "", []unix.Timespec{a, a}, unix.AT_EMPTY_PATH), "utimensat(fd, \"\", AT_EMPTY_PATH)")
	eq(t, ts(stat(t, f).Mtim), ts(a), "mtime after futimens")
	symlink(t, "f", p(dir, "l"))
	ok(t, unix.UtimesNanoAt(unix.AT_FDCWD, p(dir, "l"), []unix.Timespec{m, m}, unix.AT_SYMLINK_NOFOLLOW), "utimensat(l, AT_SYMLINK_NOFOLLOW)")
	eq(t, ts(lstat(t, p(dir, "l")).Mtim), ts(m), "the symlink's mtime")
	eq(t, ts(stat(t, f).Mtim), ts(a), "the target's mtime")
	// Out-of-range nanoseconds.
	bad := unix.Timespec{Sec: 1, Nsec: 1_000_000_000}
	fails(t, unix.UtimesNanoAt(unix.AT_FDCWD, f, []unix.Timespec{bad, bad}, 0), unix.EINVAL, "utimensat(nsec = 1e9)")
	fails(t, unix.UtimesNanoAt(unix.AT_FDCWD, p(dir, "missing"), nil, 0), unix.ENOENT, "utimensat(missing)")
	// Pre-1970 times.
	neg := unix.Timespec{Sec: -1_000_000, Nsec: 5}
	ok(t, unix.UtimesNanoAt(unix.AT_FDCWD, f, []unix.Timespec{neg, neg}, 0), "utimensat(before 1970)")
	eq(t, ts(stat(t, f).Mtim), ts(neg), "a pre-1970 mtime")
}

// fileTimes: what a write, a read, chmod, link, rename, truncate and
// unlink change, as Linux does.
func fileTimes(t *testing.T, dir string) {
	f := p(dir, "f")
	writeFile(t, f, "0123456789")
	age(t, f)
	st := stat(t, f)
	c0 := st.Ctim
	tick()
	// A write: mtime and ctime, not atime.
	writeAt(t, f, 0, "x")
	st = stat(t, f)
	eq(t, ts(st.Atim), ts(old), "atime after a write")
	if !after(st.Mtim, old) || !after(st.Ctim, c0) {
		t.Fatalf("after a write: mtime %s ctime %s, want both updated", ts(st.Mtim), ts(st.Ctim))
	}
	// chmod: ctime only.
	age(t, f)
	c1 := stat(t, f).Ctim
	tick()
	ok(t, unix.Chmod(f, 0o600), "chmod")
	st = stat(t, f)
	eq(t, ts(st.Mtim), ts(old), "mtime after chmod")
	eq(t, ts(st.Atim), ts(old), "atime after chmod")
	if !after(st.Ctim, c1) {
		t.Fatalf("ctime after chmod: %s, want later than %s", ts(st.Ctim), ts(c1))
	}
	// link: the file's ctime, the directory's mtime and ctime.
	age(t, dir)
	c2, dc := st.Ctim, stat(t, dir).Ctim
	tick()
	ok(t, unix.Link(f, p(dir, "g")), "link")
	st = stat(t, f)
	eq(t, ts(st.Mtim), ts(old), "mtime after link")
	if !after(st.Ctim, c2) {
		t.Fatalf("ctime after link: %s, want later than %s", ts(st.Ctim), ts(c2))
	}
	ds := stat(t, dir)
	if !after(ds.Mtim, old) || !after(ds.Ctim, dc) {
		t.Fatalf("dir after link: mtime %s ctime %s, want both updated", ts(ds.Mtim), ts(ds.Ctim))
	}
	// rename: the file's ctime; both directories' mtime.
	mkdir(t, p(dir, "sub"))
	age(t, dir)
	age(t, p(dir, "sub"))
	c3 := st.Ctim
	tick()
	ok(t, unix.Rename(f, p(dir, "sub", "f")), "rename")
	st = stat(t, p(dir, "sub", "f"))
	eq(t, ts(st.Mtim), ts(old), "mtime after rename")
	if !after(st.Ctim, c3) {
		t.Fatalf("ctime after rename: %s, want later than %s", ts(st.Ctim), ts(c3))
	}
	if !after(stat(t, dir).Mtim, old) || !after(stat(t, p(dir, "sub")).Mtim, old) {
		t.Fatalf("after rename: the old and new parents' mtimes %s %s, want both updated",
			ts(stat(t, dir).Mtim), ts(stat(t, p(dir, "sub")).Mtim))
	}
	// unlink of one link: the inode's ctime.
	c4 := st.Ctim
	tick()
	ok(t, unix.Unlink(p(dir, "g")), "unlink(g)")
	if st = stat(t, p(dir, "sub", "f")); !after(st.Ctim, c4) {
		t.Fatalf("ctime after unlinking another link: %s, want later than %s", ts(st.Ctim), ts(c4))
	}
	// truncate: mtime and ctime.
	age(t, p(dir, "sub", "f"))
	ok(t, unix.Truncate(p(dir, "sub", "f"), 3), "truncate")
	if !after(stat(t, p(dir, "sub", "f")).Mtim, old) {
		t.Fatalf("mtime after truncate: not updated")
	}
	// A read updates an atime older than the mtime (relatime).
	age(t, p(dir, "sub", "f"))
	ok(t, unix.UtimesNanoAt(unix.AT_FDCWD, p(dir, "sub", "f"), []unix.Timespec{old, {Nsec: unix.UTIME_NOW}}, 0), "utimensat")
	readFile(t, p(dir, "sub", "f"))
	if !after(stat(t, p(dir, "sub", "f")).Atim, old) {
		t.Fatalf("atime after a read: not updated")
	}
	// Creating a file in a directory: the directory's mtime and ctime.
	age(t, dir)
	writeFile(t, p(dir, "new"), "")
	if !after(stat(t, dir).Mtim, old) {
		t.Fatalf("dir mtime after a create: not updated")
	}
	// A new file's three times are equal.
	st = stat(t, p(dir, "new"))
	eq(t, ts(st.Atim), ts(st.Mtim), "new file atime vs mtime")
	eq(t, ts(st.Ctim), ts(st.Mtim), "new file ctime vs mtime")
}

func statxFields(t *testing.T, dir string) {
	f := p(dir, "f")
	writeFile(t, f, "hello statx")
	ok(t, unix.UtimesNanoAt(unix.AT_FDCWD, f, []unix.Timespec{old, old}, 0), "utimensat")
	st := stat(t, f)
	var sx unix.Statx_t
	ok(t, unix.Statx(unix.AT_FDCWD, f, 0, unix.STATX_BASIC_STATS|unix.STATX_BTIME, &sx), "statx(f)")
	eq(t, sx.Mask&unix.STATX_BASIC_STATS, unix.STATX_BASIC_STATS, "statx mask has the basic stats")
	eq(t, sx.Ino, st.Ino, "stx_ino")
	eq(t, uint64(sx.Nlink), st.Nlink, "stx_nlink")
	eq(t, sx.Uid, st.Uid, "stx_uid")
	eq(t, sx.Gid, st.Gid, "stx_gid")
	eqOct(t, uint32(sx.Mode), st.Mode, "stx_mode")
	eq(t, int64(sx.Size), st.Size, "stx_size")
	eq(t, int64(sx.Blocks), st.Blocks, "stx_blocks")
	eq(t, int64(sx.Blksize), int64(st.Blksize), "stx_blksize")
	eq(t, unix.Mkdev(sx.Dev_major, sx.Dev_minor), st.Dev, "stx_dev")
	eq(t, sx.Mtime.Sec, old.Sec, "stx_mtime.tv_sec")
	eq(t, int64(sx.Mtime.Nsec), old.Nsec, "stx_mtime.tv_nsec")
	eq(t, sx.Atime.Sec, old.Sec, "stx_atime.tv_sec")
	eq(t, sx.Ctime.Sec, st.Ctim.Sec, "stx_ctime.tv_sec")
	eq(t, int64(sx.Ctime.Nsec), st.Ctim.Nsec, "stx_ctime.tv_nsec")
	if sx.Mask&unix.STATX_BTIME != 0 && sx.Btime.Sec > st.Ctim.Sec {
		t.Fatalf("stx_btime %d after stx_ctime %d", sx.Btime.Sec, st.Ctim.Sec)
	}
	// STATX_ATTR_MOUNT_ROOT is in every mask, and set for a mount's root
	// only ("/" is one).
	if sx.Attributes_mask&unix.STATX_ATTR_MOUNT_ROOT == 0 || sx.Attributes&unix.STATX_ATTR_MOUNT_ROOT != 0 {
		t.Fatalf("f: stx_attributes %#x mask %#x, want MOUNT_ROOT in the mask only", sx.Attributes, sx.Attributes_mask)
	}
	var sr unix.Statx_t
	ok(t, unix.Statx(unix.AT_FDCWD, "/", 0, unix.STATX_BASIC_STATS, &sr), "statx(/)")
	if sr.Attributes&unix.STATX_ATTR_MOUNT_ROOT == 0 {
		t.Fatalf("/: stx_attributes %#x, want MOUNT_ROOT", sr.Attributes)
	}
	// Through a descriptor, and of a symlink itself.
	fd := open(t, f, unix.O_RDONLY, 0)
	var sf unix.Statx_t
	ok(t, unix.Statx(fd, "", unix.AT_EMPTY_PATH, unix.STATX_INO|unix.STATX_SIZE, &sf), "statx(fd, \"\", AT_EMPTY_PATH)")
	eq(t, sf.Ino, st.Ino, "statx(fd) ino")
	eq(t, sf.Mask&(unix.STATX_INO|unix.STATX_SIZE), unix.STATX_INO|unix.STATX_SIZE, "statx(fd) mask")
	symlink(t, "f", p(dir, "l"))
	var sl unix.Statx_t
	ok(t, unix.Statx(unix.AT_FDCWD, p(dir, "l"), unix.AT_SYMLINK_NOFOLLOW, unix.STATX_TYPE|unix.STATX_SIZE, &sl), "statx(l, AT_SYMLINK_NOFOLLOW)")
	eqOct(t, uint32(sl.Mode)&unix.S_IFMT, unix.S_IFLNK, "statx(symlink) type")
	eq(t, sl.Size, 1, "statx(symlink) size")
	var sd unix.Statx_t
	ok(t, unix.Statx(unix.AT_FDCWD, p(dir, "l"), 0, unix.STATX_TYPE, &sd), "statx(l)")
	eqOct(t, uint32(sd.Mode)&unix.S_IFMT, unix.S_IFREG, "statx(symlink, follow) type")
	// A directory.
	ok(t, unix.Statx(unix.AT_FDCWD, dir, 0, unix.STATX_ALL, &sd), "statx(dir)")
	eqOct(t, uint32(sd.Mode)&unix.S_IFMT, unix.S_IFDIR, "statx(dir) type")
	// Errors.
	fails(t, unix.Statx(unix.AT_FDCWD, f, 0, unix.STATX__RESERVED, &sx), unix.EINVAL, "statx(STATX__RESERVED)")
	fails(t, unix.Statx(unix.AT_FDCWD, f, 0x8000_0000, unix.STATX_BASIC_STATS, &sx), unix.EINVAL, "statx(unknown flag)")
	fails(t, unix.Statx(unix.AT_FDCWD, p(dir, "missing"), 0, unix.STATX_BASIC_STATS, &sx), unix.ENOENT, "statx(missing)")
	fails(t, unix.Statx(unix.AT_FDCWD, "", 0, unix.STATX_BASIC_STATS, &sx), unix.ENOENT, "statx(\"\") without AT_EMPTY_PATH")
	// AT_STATX_DONT_SYNC and FORCE_SYNC are accepted.
	ok(t, unix.Statx(unix.AT_FDCWD, f, unix.AT_STATX_DONT_SYNC, unix.STATX_SIZE, &sx), "statx(AT_STATX_DONT_SYNC)")
	ok(t, unix.Statx(unix.AT_FDCWD, f, unix.AT_STATX_FORCE_SYNC, unix.STATX_SIZE, &sx), "statx(AT_STATX_FORCE_SYNC)")
	fails(t, unix.Statx(unix.AT_FDCWD, f, unix.AT_STATX_DONT_SYNC|unix.AT_STATX_FORCE_SYNC, unix.STATX_SIZE, &sx), unix.EINVAL, "statx(DONT_SYNC|FORCE_SYNC)")
}
