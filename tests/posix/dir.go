package posix

import (
	"encoding/binary"
	"fmt"
	"sort"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Directories: listing, mkdir, rmdir, unlink, umask, ownership.

// dirent is one getdents64 record.
type dirent struct {
	ino  uint64
	off  int64
	typ  uint8
	name string
}

func (d dirent) String() string { return fmt.Sprintf("%s(type %d)", d.name, d.typ) }

// parseDirents decodes a getdents64 buffer.
func parseDirents(buf []byte) []dirent {
	var out []dirent
	for len(buf) >= 19 {
		reclen := int(binary.LittleEndian.Uint16(buf[16:18]))
		name := buf[19:reclen]
		if i := strings.IndexByte(string(name), 0); i >= 0 {
			name = name[:i]
		}
		out = append(out, dirent{
			ino:  binary.LittleEndian.Uint64(buf[0:8]),
			off:  int64(binary.LittleEndian.Uint64(buf[8:16])),
			typ:  buf[18],
			name: string(name),
		})
		buf = buf[reclen:]
	}
	return out
}

// readDirents reads fd's entries to the end, bufsize bytes a call.
func readDirents(t *testing.T, fd, bufsize int) []dirent {
	t.Helper()
	var all []dirent
	buf := make([]byte, bufsize)
	for {
		n, err := unix.Getdents(fd, buf)
		if err != nil {
			ok(t, err, "getdents64")
			return all
		}
		if n == 0 {
			return all
		}
		all = append(all, parseDirents(buf[:n])...)
	}
}

// names lists dir without "." and "..", sorted.
func names(t *testing.T, dir string) []string {
	t.Helper()
	fd := open(t, dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	defer unix.Close(fd)
	var out []string
	for _, d := range readDirents(t, fd, 4096) {
		if d.name != "." && d.name != ".." {
			out = append(out, d.name)
		}
	}
	sort.Strings(out)
	return out
}

func sortedNames(ds []dirent) string {
	var n []string
	for _, d := range ds {
		n = append(n, d.name)
	}
	sort.Strings(n)
	return strings.Join(n, ",")
}

func getdentsTypes(t *testing.T, dir string) {
	writeFile(t, p(dir, "file"), "")
	mkdir(t, p(dir, "dir"))
	symlink(t, "file", p(dir, "link"))
	ok(t, unix.Mkfifo(p(dir, "fifo"), 0o644), "mkfifo")
	// (DT_SOCK is checked in special/unix-socket.)
	fd := open(t, dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	ents := readDirents(t, fd, 4096)
	want := map[string]uint8{".": unix.DT_DIR, "..": unix.DT_DIR, "file": unix.DT_REG, "dir": unix.DT_DIR,
		"link": unix.DT_LNK, "fifo": unix.DT_FIFO}
	eq(t, sortedNames(ents), ".,..,dir,fifo,file,link", "entries")
	for _, d := range ents {
		if d.typ != want[d.name] {
			t.Errorf("%s: d_type %d, want %d", d.name, d.typ, want[d.name])
		}
		if d.name != ".." {
			eq(t, d.ino, lstat(t, p(dir, d.name)).Ino, "%s's d_ino", d.name)
		}
	}
	// A buffer too small for one entry.
	_, err := unix.Getdents(fd, make([]byte, 8))
	// At the end of the directory there is nothing to return, so no error.
	ok(t, err, "getdents64 at the end with a tiny buffer")
	_, err = unix.Seek(fd, 0, 0)
	ok(t, err, "lseek(dir, 0)")
	_, err = unix.Getdents(fd, make([]byte, 8))
	fails(t, err, unix.EINVAL, "getdents64 with an 8-byte buffer")
	// Not a directory.
	ffd := open(t, p(dir, "file"), unix.O_RDONLY, 0)
	_, err = unix.Getdents(ffd, make([]byte, 4096))
	fails(t, err, unix.ENOTDIR, "getdents64 on a file")
}

func getdentsSeek(t *testing.T, dir string) {
	for i := 0; i < 40; i++ {
		writeFile(t, p(dir, fmt.Sprintf("f%02d", i)), "")
	}
	fd := open(t, dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	// Small reads: several getdents calls, no entry lost or repeated.
	all := readDirents(t, fd, 128)
	eq(t, len(all), 42, "entries read 128 bytes at a time")
	seen := map[string]bool{}
	for _, d := range all {
		if seen[d.name] {
			t.Fatalf("%s listed twice", d.name)
		}
		seen[d.name] = true
	}
	// rewinddir: lseek to 0 lists the same entries again, and one created
	// since.
	writeFile(t, p(dir, "late"), "")
	off, err := unix.Seek(fd, 0, 0)
	ok(t, err, "lseek(dir, 0, SEEK_SET)")
	eq(t, off, 0, "lseek result")
	again := readDirents(t, fd, 4096)
	eq(t, len(again), 43, "entries after rewinding, with one created since")
	if !strings.Contains(","+sortedNames(again)+",", ",late,") {
		t.Fatalf("after rewinding: %v, want late listed", again)
	}
	// seekdir: the d_off of an entry resumes right after it.
	for _, k := range []int{0, 5, 20, len(again) - 2} {
		_, err = unix.Seek(fd, again[k].off, 0)
		ok(t, err, "lseek(dir, d_off of entry %d)", k)
		rest := readDirents(t, fd, 4096)
		if fmt.Sprint(rest) != fmt.Sprint(again[k+1:]) {
			t.Fatalf("after seeking to entry %d's d_off: %v, want %v", k, rest, again[k+1:])
		}
	}
	// telldir: lseek(SEEK_CUR) after a partial read is the last d_off.
	_, err = unix.Seek(fd, 0, 0)
	ok(t, err, "lseek(dir, 0)")
	buf := make([]byte, 100)
	n, err := unix.Getdents(fd, buf)
	ok(t, err, "getdents64")
	part := parseDirents(buf[:n])
	cur, err := unix.Seek(fd, 0, 1)
	ok(t, err, "lseek(dir, 0, SEEK_CUR)")
	eq(t, cur, part[len(part)-1].off, "telldir after a partial read")
	// Removing an entry not yet read: it is not listed; the others are.
	_, err = unix.Seek(fd, 0, 0)
	ok(t, err, "lseek(dir, 0)")
	ok(t, unix.Unlink(p(dir, "f39")), "unlink(f39)")
	eq(t, len(readDirents(t, fd, 4096)), 42, "entries after an unlink and a rewind")
}

func getdentsDeleted(t *testing.T, dir string) {
	d := p(dir, "d")
	mkdir(t, d)
	fd := open(t, d, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	ok(t, unix.Rmdir(d), "rmdir")
	_, err := unix.Getdents(fd, make([]byte, 4096))
	fails(t, err, unix.ENOENT, "getdents64 of a removed directory")
	eq(t, fstat(t, fd).Nlink, 0, "a removed directory's nlink")
	_, err = unix.Openat(fd, "x", unix.O_CREAT|unix.O_WRONLY, 0o644)
	fails(t, err, unix.ENOENT, "create in a removed directory")
}

func mkdirCase(t *testing.T, dir string) {
	setUmask(t, 0o022)
	d := p(dir, "d")
	n := stat(t, dir).Nlink
	ok(t, unix.Mkdir(d, 0o777), "mkdir")
	st := stat(t, d)
	eqOct(t, st.Mode, unix.S_IFDIR|0o755, "mode under umask 022")
	eq(t, st.Nlink, 2, "a new directory's nlink")
	eq(t, stat(t, dir).Nlink, n+1, "the parent's nlink after mkdir")
	fails(t, unix.Mkdir(d, 0o755), unix.EEXIST, "mkdir(existing dir)")
	writeFile(t, p(dir, "f"), "")
	fails(t, unix.Mkdir(p(dir, "f"), 0o755), unix.EEXIST, "mkdir(existing file)")
	symlink(t, "nowhere", p(dir, "dangling"))
	fails(t, unix.Mkdir(p(dir, "dangling"), 0o755), unix.EEXIST, "mkdir(dangling symlink)")
	absent(t, p(dir, "nowhere"))
	fails(t, unix.Mkdir(p(dir, "missing", "x"), 0o755), unix.ENOENT, "mkdir(missing/x)")
	fails(t, unix.Mkdir(p(dir, "f", "x"), 0o755), unix.ENOTDIR, "mkdir(file/x)")
	fails(t, unix.Mkdir(p(d, "."), 0o755), unix.EEXIST, "mkdir(d/.)")
	fails(t, unix.Mkdir(p(d, ".."), 0o755), unix.EEXIST, "mkdir(d/..)")
	// setgid and sticky bits are kept; a setgid parent passes setgid on.
	ok(t, unix.Mkdir(p(dir, "s"), 0o3777), "mkdir(mode 03777)")
	eqOct(t, stat(t, p(dir, "s")).Mode&0o7777, 0o1755, "mkdir(03777) mode: sticky kept, setgid not given")
	ok(t, unix.Chmod(d, 0o2755), "chmod(d, 02755)")
	ok(t, unix.Mkdir(p(d, "child"), 0o755), "mkdir(d/child)")
	eqOct(t, stat(t, p(d, "child")).Mode&0o7777, 0o2755, "a setgid parent's new subdirectory")
	fd := open(t, d, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	ok(t, unix.Mkdirat(fd, "at", 0o700), "mkdirat")
	eqOct(t, stat(t, p(d, "at")).Mode, unix.S_IFDIR|0o2700, "mkdirat's mode")
}

func rmdirCase(t *testing.T, dir string) {
	d := p(dir, "d")
	mkdir(t, d)
	writeFile(t, p(d, "f"), "")
	n := stat(t, dir).Nlink
	fails(t, unix.Rmdir(d), unix.ENOTEMPTY, "rmdir(non-empty)")
	fails(t, unix.Rmdir(p(d, ".")), unix.EINVAL, "rmdir(d/.)")
	fails(t, unix.Rmdir(p(d, "..")), unix.ENOTEMPTY, "rmdir(d/..)")
	fails(t, unix.Rmdir(p(d, "f")), unix.ENOTDIR, "rmdir(file)")
	fails(t, unix.Rmdir(p(dir, "missing")), unix.ENOENT, "rmdir(missing)")
	symlink(t, "d", p(dir, "ld"))
	fails(t, unix.Rmdir(p(dir, "ld")), unix.ENOTDIR, "rmdir(symlink to dir)")
	chdir(t, d)
	fails(t, unix.Rmdir("."), unix.EINVAL, "rmdir(\".\")")
	ok(t, unix.Unlink(p(d, "f")), "unlink(d/f)")
	ok(t, unix.Rmdir(d), "rmdir(d) (the working directory)")
	eq(t, stat(t, dir).Nlink, n-1, "the parent's nlink after rmdir")
	absent(t, d)
	// The removed working directory: getcwd fails, creating in it too.
	buf := make([]byte, 4096)
	_, err := unix.Getcwd(buf)
	fails(t, err, unix.ENOENT, "getcwd in a removed directory")
	_, err = unix.Open("new", unix.O_CREAT|unix.O_WRONLY, 0o644)
	fails(t, err, unix.ENOENT, "create in a removed working directory")
}

func unlinkCase(t *testing.T, dir string) {
	mkdir(t, p(dir, "d"))
	fails(t, unix.Unlink(p(dir, "d")), unix.EISDIR, "unlink(dir)")
	fails(t, unix.Unlinkat(unix.AT_FDCWD, p(dir, "d"), 0), unix.EISDIR, "unlinkat(dir, 0)")
	ok(t, unix.Unlinkat(unix.AT_FDCWD, p(dir, "d"), unix.AT_REMOVEDIR), "unlinkat(dir, AT_REMOVEDIR)")
	writeFile(t, p(dir, "f"), "data")
	fails(t, unix.Unlinkat(unix.AT_FDCWD, p(dir, "f"), unix.AT_REMOVEDIR), unix.ENOTDIR, "unlinkat(file, AT_REMOVEDIR)")
	fails(t, unix.Unlinkat(unix.AT_FDCWD, p(dir, "f"), 1), unix.EINVAL, "unlinkat(unknown flag)")
	fails(t, unix.Unlink(p(dir, "missing")), unix.ENOENT, "unlink(missing)")
	fails(t, unix.Unlink(p(dir, "f", "x")), unix.ENOTDIR, "unlink(file/x)")
	// A symlink is removed, not its target.
	symlink(t, "f", p(dir, "l"))
	ok(t, unix.Unlink(p(dir, "l")), "unlink(symlink)")
	eq(t, readFile(t, p(dir, "f")), "data", "the target after unlinking the link")
	// An open file outlives its name.
	fd := open(t, p(dir, "f"), unix.O_RDWR, 0)
	ok(t, unix.Unlink(p(dir, "f")), "unlink(open file)")
	absent(t, p(dir, "f"))
	_, err := unix.Pwrite(fd, []byte("DATA"), 0)
	ok(t, err, "write to an unlinked file")
	buf := make([]byte, 8)
	n, _ := unix.Pread(fd, buf, 0)
	eq(t, string(buf[:n]), "DATA", "an unlinked file's contents")
	eq(t, fstat(t, fd).Nlink, 0, "an unlinked file's nlink")
	// A name made again is a new file.
	writeFile(t, p(dir, "f"), "new")
	eq(t, readFile(t, p(dir, "f")), "new", "the new f")
	fails(t, unix.Unlink(dir+"/."), unix.EISDIR, "unlink(dir/.)")
}

func umaskCase(t *testing.T, dir string) {
	setUmask(t, 0o027)
	eq(t, unix.Umask(0o027), 0o027, "umask reads back")
	fd := open(t, p(dir, "f"), unix.O_CREAT|unix.O_WRONLY, 0o666)
	eqOct(t, fstat(t, fd).Mode, unix.S_IFREG|0o640, "file 0666 under umask 027")
	ok(t, unix.Mkdir(p(dir, "d"), 0o777), "mkdir")
	eqOct(t, stat(t, p(dir, "d")).Mode, unix.S_IFDIR|0o750, "dir 0777 under umask 027")
	ok(t, unix.Mknod(p(dir, "fifo"), unix.S_IFIFO|0o666, 0), "mknod")
	eqOct(t, lstat(t, p(dir, "fifo")).Mode, unix.S_IFIFO|0o640, "fifo 0666 under umask 027")
	symlink(t, "f", p(dir, "l"))
	eqOct(t, lstat(t, p(dir, "l")).Mode, unix.S_IFLNK|0o777, "a symlink ignores the umask")
	unix.Umask(0o077)
	fd2 := open(t, p(dir, "g"), unix.O_CREAT|unix.O_WRONLY, 0o666)
	eqOct(t, fstat(t, fd2).Mode, unix.S_IFREG|0o600, "file 0666 under umask 077")
	unix.Umask(0)
	fd3 := open(t, p(dir, "h"), unix.O_CREAT|unix.O_WRONLY, 0o777)
	eqOct(t, fstat(t, fd3).Mode, unix.S_IFREG|0o777, "file 0777 under umask 0")
	// chmod is not masked.
	unix.Umask(0o777)
	ok(t, unix.Chmod(p(dir, "h"), 0o666), "chmod")
	eqOct(t, stat(t, p(dir, "h")).Mode, unix.S_IFREG|0o666, "chmod under umask 0777")
}

// umaskProcStatus: /proc/self/status shows the umask (Linux 4.7+).
func umaskProcStatus(t *testing.T, dir string) {
	for _, mask := range []int{0o777, 0o027, 0} {
		setUmask(t, mask)
		want := fmt.Sprintf("Umask:\t%04o", mask)
		line := "no Umask line"
		for _, l := range strings.Split(readFile(t, "/proc/self/status"), "\n") {
			if strings.HasPrefix(l, "Umask:") {
				line = l
			}
		}
		eq(t, line, want, "/proc/self/status after umask(%04o)", mask)
	}
}

func chmodChown(t *testing.T, dir string) {
	if unix.Geteuid() != 0 {
		t.Skip("needs root")
	}
	f := p(dir, "f")
	writeFile(t, f, "")
	ok(t, unix.Chmod(f, 0o4755|0o2000), "chmod(06755)")
	eqOct(t, stat(t, f).Mode&0o7777, 0o6755, "mode after chmod(06755)")
	ok(t, unix.Chown(f, 1234, 5678), "chown(1234, 5678)")
	st := stat(t, f)
	eq(t, st.Uid, 1234, "uid")
	eq(t, st.Gid, 5678, "gid")
	// chown of an executable clears setuid and setgid.
	eqOct(t, st.Mode&0o7777, 0o0755, "mode after chown (setuid, setgid cleared)")
	ok(t, unix.Chown(f, -1, 42), "chown(-1, 42)")
	st = stat(t, f)
	eq(t, st.Uid, 1234, "uid after chown(-1, 42)")
	eq(t, st.Gid, 42, "gid after chown(-1, 42)")
	// lchown changes the link, not the target.
	symlink(t, "f", p(dir, "l"))
	ok(t, unix.Lchown(p(dir, "l"), 7, 8), "lchown")
	eq(t, lstat(t, p(dir, "l")).Uid, 7, "the link's uid")
	eq(t, stat(t, f).Uid, 1234, "the target's uid after lchown")
	ok(t, unix.Fchownat(unix.AT_FDCWD, p(dir, "l"), 9, 9, 0), "fchownat(l, follow)")
	eq(t, stat(t, f).Uid, 9, "the target's uid after fchownat through the link")
	// fchmod and fchown through a descriptor.
	fd := open(t, f, unix.O_RDONLY, 0)
	ok(t, unix.Fchmod(fd, 0o640), "fchmod")
	ok(t, unix.Fchown(fd, 0, 0), "fchown")
	st = fstat(t, fd)
	eqOct(t, st.Mode&0o7777, 0o640, "mode after fchmod")
	eq(t, st.Uid, 0, "uid after fchown")
	// Root reads a 000 file and writes into a 000 directory.
	ok(t, unix.Chmod(f, 0), "chmod(0)")
	readFile(t, f)
	mkdir(t, p(dir, "d"))
	ok(t, unix.Chmod(p(dir, "d"), 0), "chmod(d, 0)")
	writeFile(t, p(dir, "d", "x"), "")
	// chmod of a symlink itself is not supported on Linux.
	err := unix.Fchmodat(unix.AT_FDCWD, p(dir, "l"), 0o600, unix.AT_SYMLINK_NOFOLLOW)
	fails(t, err, unix.EOPNOTSUPP, "fchmodat(symlink, AT_SYMLINK_NOFOLLOW)")
	fails(t, unix.Chmod(p(dir, "missing"), 0o644), unix.ENOENT, "chmod(missing)")
	fails(t, unix.Chown(p(dir, "missing"), 0, 0), unix.ENOENT, "chown(missing)")
}

func inotify(t *testing.T, dir string) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	ok(t, err, "inotify_init1")
	defer unix.Close(fd)
	_, err = unix.InotifyAddWatch(fd, dir, unix.IN_CREATE|unix.IN_DELETE|unix.IN_MOVED_FROM|unix.IN_MOVED_TO)
	ok(t, err, "inotify_add_watch(dir)")
	writeFile(t, p(dir, "a"), "")
	ok(t, unix.Rename(p(dir, "a"), p(dir, "b")), "rename")
	ok(t, unix.Unlink(p(dir, "b")), "unlink")
	buf := make([]byte, 4096)
	n, err := unix.Read(fd, buf)
	ok(t, err, "read(inotify)")
	var got []string
	for off := 0; off+unix.SizeofInotifyEvent <= n; {
		ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
		name := strings.TrimRight(string(buf[off+unix.SizeofInotifyEvent:off+unix.SizeofInotifyEvent+int(ev.Len)]), "\x00")
		got = append(got, fmt.Sprintf("%#x %s", ev.Mask, name))
		off += unix.SizeofInotifyEvent + int(ev.Len)
	}
	want := []string{
		fmt.Sprintf("%#x a", unix.IN_CREATE), fmt.Sprintf("%#x a", unix.IN_MOVED_FROM),
		fmt.Sprintf("%#x b", unix.IN_MOVED_TO), fmt.Sprintf("%#x b", unix.IN_DELETE),
	}
	eq(t, strings.Join(got, "; "), strings.Join(want, "; "), "inotify events")
}

// setidKill: what clears the set-user-ID and set-group-ID bits, as
// Linux: a chown, even chown(f, -1, -1) and even by root, clears
// set-user-ID (and set-group-ID with group execute) and moves the ctime;
// a truncation (truncate, O_TRUNC) clears them unless the caller has
// CAP_FSETID (root has).
func setidKill(t *testing.T, dir string) {
	root := unix.Geteuid() == 0
	f := p(dir, "f")
	writeFile(t, f, "data")
	ok(t, unix.Chmod(f, 0o6755), "chmod(06755)")
	c0 := stat(t, f).Ctim
	tick()
	ok(t, unix.Chown(f, -1, -1), "chown(-1, -1)")
	st := stat(t, f)
	eqOct(t, st.Mode&0o7777, 0o0755, "mode after chown(-1, -1)")
	if !after(st.Ctim, c0) {
		t.Fatalf("ctime after chown(-1, -1): %s, want later than %s", ts(st.Ctim), ts(c0))
	}
	want := uint32(0o0755)
	if root {
		want = 0o6755
	}
	ok(t, unix.Chmod(f, 0o6755), "chmod(06755)")
	ok(t, unix.Truncate(f, 1), "truncate")
	eqOct(t, stat(t, f).Mode&0o7777, want, "mode after truncate")
	ok(t, unix.Chmod(f, 0o6755), "chmod(06755)")
	fd := open(t, f, unix.O_WRONLY|unix.O_TRUNC, 0)
	unix.Close(fd)
	eqOct(t, stat(t, f).Mode&0o7777, want, "mode after open(O_TRUNC)")
	// Set-group-ID without group execute stays for a member of the group.
	ok(t, unix.Chmod(f, 0o2745), "chmod(02745)")
	ok(t, unix.Truncate(f, 0), "truncate")
	eqOct(t, stat(t, f).Mode&0o7777, 0o2745, "mode 02745 after truncate by a member")
}
