package posix

import (
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// sys makes a raw system call and returns its error (nil for success).
func sys(nr uintptr, a ...uintptr) (uintptr, error) {
	var args [6]uintptr
	copy(args[:], a)
	r, _, e := unix.Syscall6(nr, args[0], args[1], args[2], args[3], args[4], args[5])
	if e != 0 {
		return r, e
	}
	return r, nil
}

func cstr(s string) uintptr {
	b, _ := unix.BytePtrFromString(s)
	return uintptr(unsafe.Pointer(b))
}

// errnoEdges: the errnos of edge cases whose order of checks Linux fixes.
func errnoEdges(t *testing.T, dir string) {
	f := p(dir, "f")
	fd, err := unix.Open(f, unix.O_CREAT|unix.O_RDWR, 0o644)
	if !ok(t, err, "open(%s, O_CREAT)", f) {
		return
	}
	buf := make([]byte, 64)
	_, err = sys(unix.SYS_READLINK, cstr(""), uintptr(unsafe.Pointer(&buf[0])), 64)
	fails(t, err, unix.ENOENT, `readlink("")`)
	_, err = sys(unix.SYS_FCHMODAT, ^uintptr(0), cstr(""), 0o644)
	fails(t, err, unix.ENOENT, `fchmodat(-1, "", 0644)`)
	// A closed descriptor: EBADF for the f*xattr calls.
	unix.Close(fd)
	_, err = sys(unix.SYS_FGETXATTR, uintptr(fd), cstr("user.x"), uintptr(unsafe.Pointer(&buf[0])), 64)
	fails(t, err, unix.EBADF, "fgetxattr(closed)")
	_, err = sys(unix.SYS_FLISTXATTR, uintptr(fd), uintptr(unsafe.Pointer(&buf[0])), 64)
	fails(t, err, unix.EBADF, "flistxattr(closed)")
	_, err = sys(unix.SYS_FSETXATTR, uintptr(fd), cstr("user.x"), uintptr(unsafe.Pointer(&buf[0])), 1, 0)
	fails(t, err, unix.EBADF, "fsetxattr(closed)")
	_, err = sys(unix.SYS_FREMOVEXATTR, uintptr(fd), cstr("user.x"))
	fails(t, err, unix.EBADF, "fremovexattr(closed)")
	// A pipe's extended attributes: the user namespace is for regular
	// files and directories only.
	var pp [2]int
	if ok(t, unix.Pipe2(pp[:], unix.O_CLOEXEC), "pipe2") {
		_, err = sys(unix.SYS_FGETXATTR, uintptr(pp[0]), cstr("user.x"), uintptr(unsafe.Pointer(&buf[0])), 64)
		fails(t, err, unix.ENODATA, "fgetxattr(pipe, user.x)")
		_, err = sys(unix.SYS_FSETXATTR, uintptr(pp[0]), cstr("user.x"), uintptr(unsafe.Pointer(&buf[0])), 1, 0)
		fails(t, err, unix.EPERM, "fsetxattr(pipe, user.x)")
		n, err := sys(unix.SYS_FLISTXATTR, uintptr(pp[0]), uintptr(unsafe.Pointer(&buf[0])), 64)
		if ok(t, err, "flistxattr(pipe)") {
			eq(t, n, 0, "flistxattr(pipe) length")
		}
		unix.Close(pp[0])
		unix.Close(pp[1])
	}
	// setxattr checks its flags before it reads the name.
	_, err = sys(unix.SYS_SETXATTR, cstr(f), 0, uintptr(unsafe.Pointer(&buf[0])), 1, 0x10)
	fails(t, err, unix.EINVAL, "setxattr(f, NULL, flags 0x10)")
	// Both times UTIME_OMIT: nothing to do, not even the lookup.
	ts := []unix.Timespec{{Nsec: unix.UTIME_OMIT}, {Nsec: unix.UTIME_OMIT}}
	_, err = sys(unix.SYS_UTIMENSAT, atFDCWD, cstr(p(dir, "missing")), uintptr(unsafe.Pointer(&ts[0])), 0)
	ok(t, err, "utimensat(missing, {UTIME_OMIT, UTIME_OMIT})")
	// Legacy getdents (78): linux_dirent records, d_type in the last byte.
	d, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if !ok(t, err, "open(dir)") {
		return
	}
	defer unix.Close(d)
	dbuf := make([]byte, 4096)
	n, err := sys(unix.SYS_GETDENTS, uintptr(d), uintptr(unsafe.Pointer(&dbuf[0])), uintptr(len(dbuf)))
	if !ok(t, err, "getdents(dir)") {
		return
	}
	names := map[string]byte{}
	for off := 0; off < int(n); {
		reclen := int(*(*uint16)(unsafe.Pointer(&dbuf[off+16])))
		if reclen == 0 {
			failf(t, "getdents: a record of length 0")
			return
		}
		name := dbuf[off+18 : off+reclen-1]
		for i, c := range name {
			if c == 0 {
				name = name[:i]
				break
			}
		}
		names[string(name)] = dbuf[off+reclen-1]
		off += reclen
	}
	eq(t, len(names), 3, "getdents entries (., .., f): %v", names)
	eq(t, names["f"], byte(unix.DT_REG), "getdents d_type of f")
	eq(t, names["."], byte(unix.DT_DIR), "getdents d_type of .")
	unix.Seek(d, 0, 0)
	_, err = sys(unix.SYS_GETDENTS, uintptr(d), uintptr(unsafe.Pointer(&dbuf[0])), 8)
	fails(t, err, unix.EINVAL, "getdents with an 8-byte buffer")
	_, err = sys(unix.SYS_GETDENTS, uintptr(d), uintptr(unsafe.Pointer(&dbuf[0])), 0)
	fails(t, err, unix.EINVAL, "getdents with no buffer")
	_, err = sys(unix.SYS_GETDENTS64, uintptr(d), uintptr(unsafe.Pointer(&dbuf[0])), 0)
	fails(t, err, unix.EINVAL, "getdents64 with no buffer")
	// A count far beyond the buffer: the records fit in what is there.
	unix.Seek(d, 0, 0)
	n, err = sys(unix.SYS_GETDENTS64, uintptr(d), uintptr(unsafe.Pointer(&dbuf[0])), 1<<30)
	if ok(t, err, "getdents64 with a 1 GiB count") && n == 0 {
		failf(t, "getdents64 with a 1 GiB count: no records")
	}
}

// atFDCWD is AT_FDCWD as a system call argument.
var atFDCWD = func() uintptr { v := unix.AT_FDCWD; return uintptr(v) }()
