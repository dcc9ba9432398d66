package posix

import (
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// fallocate, copy_file_range, sendfile, splice and the sync calls.

func fallocate(t *testing.T, dir string) {
	f := p(dir, "f")
	fd := open(t, f, unix.O_RDWR|unix.O_CREAT, 0o644)
	ok(t, unix.Fallocate(fd, 0, 0, 1<<20), "fallocate(0, 1 MiB)")
	st := fstat(t, fd)
	eq(t, st.Size, 1<<20, "size after fallocate")
	if st.Blocks < (1<<20)/512 {
		t.Fatalf("blocks after fallocate: %d, want at least %d", st.Blocks, (1<<20)/512)
	}
	ok(t, unix.Fallocate(fd, unix.FALLOC_FL_KEEP_SIZE, 1<<20, 1<<20), "fallocate(KEEP_SIZE) past the end")
	eq(t, fstat(t, fd).Size, 1<<20, "size after fallocate(KEEP_SIZE)")
	_, err := unix.Pwrite(fd, []byte(strings.Repeat("z", 8192)), 0)
	ok(t, err, "pwrite")
	ok(t, unix.Fallocate(fd, unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, 0, 4096), "fallocate(PUNCH_HOLE)")
	buf := make([]byte, 8192)
	_, err = unix.Pread(fd, buf, 0)
	ok(t, err, "pread")
	eq(t, string(buf[:4096]), strings.Repeat("\x00", 4096), "the punched range")
	eq(t, string(buf[4096:]), strings.Repeat("z", 4096), "after the punched range")
	eq(t, fstat(t, fd).Size, 1<<20, "size after PUNCH_HOLE")
	fails(t, unix.Fallocate(fd, unix.FALLOC_FL_PUNCH_HOLE, 0, 4096), unix.EOPNOTSUPP, "fallocate(PUNCH_HOLE without KEEP_SIZE)")
	fails(t, unix.Fallocate(fd, 0, 0, 0), unix.EINVAL, "fallocate(len 0)")
	fails(t, unix.Fallocate(fd, 0, -1, 10), unix.EINVAL, "fallocate(offset -1)")
	rfd := open(t, f, unix.O_RDONLY, 0)
	fails(t, unix.Fallocate(rfd, 0, 0, 10), unix.EBADF, "fallocate(O_RDONLY fd)")
	dfd := open(t, dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	fails(t, unix.Fallocate(dfd, 0, 0, 10), unix.EBADF, "fallocate(dir fd)")
}

func copyFileRange(t *testing.T, dir string) {
	src, dst := p(dir, "src"), p(dir, "dst")
	writeFile(t, src, "0123456789abcdef")
	in := open(t, src, unix.O_RDONLY, 0)
	out := open(t, dst, unix.O_WRONLY|unix.O_CREAT, 0o644)
	n, err := unix.CopyFileRange(in, nil, out, nil, 4, 0)
	ok(t, err, "copy_file_range(4)")
	eq(t, n, 4, "bytes copied")
	eq(t, readFile(t, dst), "0123", "dst after the first copy")
	offIn, offOut := int64(10), int64(8)
	n, err = unix.CopyFileRange(in, &offIn, out, &offOut, 100, 0)
	ok(t, err, "copy_file_range at offsets")
	eq(t, n, 6, "bytes copied to the end of src")
	eq(t, offIn, 16, "off_in after the copy")
	eq(t, offOut, 14, "off_out after the copy")
	eq(t, readFile(t, dst), "0123\x00\x00\x00\x00abcdef", "dst after the second copy")
	cur, _ := unix.Seek(in, 0, 1)
	eq(t, cur, 4, "src offset unchanged by an explicit off_in")
	n, err = unix.CopyFileRange(in, &offIn, out, nil, 10, 0)
	ok(t, err, "copy_file_range at EOF")
	eq(t, n, 0, "bytes copied at EOF")
	// Within one file, overlapping ranges are refused.
	rw := open(t, src, unix.O_RDWR, 0)
	a, b := int64(0), int64(2)
	_, err = unix.CopyFileRange(rw, &a, rw, &b, 4, 0)
	fails(t, err, unix.EINVAL, "copy_file_range of overlapping ranges")
	a, b = 0, 8
	n, err = unix.CopyFileRange(rw, &a, rw, &b, 4, 0)
	ok(t, err, "copy_file_range within a file")
	eq(t, n, 4, "bytes copied within the file")
	eq(t, readFile(t, src), "012345670123cdef", "src after copying within it")
	_, err = unix.CopyFileRange(in, nil, out, nil, 4, 1)
	fails(t, err, unix.EINVAL, "copy_file_range(flags 1)")
	_, err = unix.CopyFileRange(out, nil, in, nil, 4, 0)
	fails(t, err, unix.EBADF, "copy_file_range from a write-only fd")
	dfd := open(t, dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	_, err = unix.CopyFileRange(dfd, nil, out, nil, 4, 0)
	fails(t, err, unix.EISDIR, "copy_file_range from a directory")
}

func sendfile(t *testing.T, dir string) {
	writeFile(t, p(dir, "src"), "hello, sendfile")
	in := open(t, p(dir, "src"), unix.O_RDONLY, 0)
	out := open(t, p(dir, "dst"), unix.O_WRONLY|unix.O_CREAT, 0o644)
	off := int64(7)
	n, err := unix.Sendfile(out, in, &off, 100)
	ok(t, err, "sendfile with an offset")
	eq(t, n, 8, "bytes sent")
	eq(t, off, 15, "offset after sendfile")
	cur, _ := unix.Seek(in, 0, 1)
	eq(t, cur, 0, "in's offset unchanged with an explicit offset")
	n, err = unix.Sendfile(out, in, nil, 5)
	ok(t, err, "sendfile without an offset")
	eq(t, n, 5, "bytes sent")
	cur, _ = unix.Seek(in, 0, 1)
	eq(t, cur, 5, "in's offset advanced")
	cur, _ = unix.Seek(out, 0, 1)
	eq(t, cur, 13, "out's offset advanced")
	eq(t, readFile(t, p(dir, "dst")), "sendfilehello", "dst")
	// To a pipe, and to a socket.
	var pfd [2]int
	ok(t, unix.Pipe2(pfd[:], unix.O_CLOEXEC), "pipe2")
	defer unix.Close(pfd[0])
	defer unix.Close(pfd[1])
	off = 0
	n, err = unix.Sendfile(pfd[1], in, &off, 5)
	ok(t, err, "sendfile to a pipe")
	buf := make([]byte, 16)
	m, _ := unix.Read(pfd[0], buf)
	eq(t, string(buf[:m]), "hello", "through the pipe")
	fails(t, func() error { _, err := unix.Sendfile(in, out, nil, 5); return err }(), unix.EBADF, "sendfile from a write-only fd")
}

func splice(t *testing.T, dir string) {
	writeFile(t, p(dir, "src"), "spliced data")
	in := open(t, p(dir, "src"), unix.O_RDONLY, 0)
	out := open(t, p(dir, "dst"), unix.O_WRONLY|unix.O_CREAT, 0o644)
	var pfd [2]int
	ok(t, unix.Pipe2(pfd[:], unix.O_CLOEXEC), "pipe2")
	defer unix.Close(pfd[0])
	defer unix.Close(pfd[1])
	off := int64(8)
	n, err := unix.Splice(in, &off, pfd[1], nil, 100, 0)
	ok(t, err, "splice(file -> pipe)")
	eq(t, n, 4, "bytes spliced in")
	eq(t, off, 12, "offset after splice")
	n, err = unix.Splice(in, nil, pfd[1], nil, 8, 0)
	ok(t, err, "splice(file -> pipe) at the file offset")
	eq(t, n, 8, "bytes spliced")
	n, err = unix.Splice(pfd[0], nil, out, nil, 100, 0)
	ok(t, err, "splice(pipe -> file)")
	eq(t, n, 12, "bytes spliced out")
	eq(t, readFile(t, p(dir, "dst")), "dataspliced ", "dst")
	// tee between pipes, vmsplice-free.
	var q [2]int
	ok(t, unix.Pipe2(q[:], unix.O_CLOEXEC), "pipe2")
	defer unix.Close(q[0])
	defer unix.Close(q[1])
	unix.Write(pfd[1], []byte("tee"))
	n, err = unix.Tee(pfd[0], q[1], 3, 0)
	ok(t, err, "tee")
	eq(t, n, 3, "bytes teed")
	_, err = unix.Splice(in, nil, out, nil, 4, 0)
	fails(t, err, unix.EINVAL, "splice(file -> file)")
	dfd := open(t, dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	_, err = unix.Splice(dfd, nil, pfd[1], nil, 4, 0)
	fails(t, err, unix.EINVAL, "splice from a directory")
}

func syncs(t *testing.T, dir string) {
	fd := open(t, p(dir, "f"), unix.O_RDWR|unix.O_CREAT, 0o644)
	_, err := unix.Write(fd, []byte("durable"))
	ok(t, err, "write")
	ok(t, unix.Fsync(fd), "fsync")
	ok(t, unix.Fdatasync(fd), "fdatasync")
	ok(t, unix.Syncfs(fd), "syncfs")
	ok(t, unix.SyncFileRange(fd, 0, 0, unix.SYNC_FILE_RANGE_WRITE), "sync_file_range")
	rfd := open(t, p(dir, "f"), unix.O_RDONLY, 0)
	ok(t, unix.Fsync(rfd), "fsync(O_RDONLY fd)")
	dfd := open(t, dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	ok(t, unix.Fsync(dfd), "fsync(dir)")
	ok(t, unix.Syncfs(dfd), "syncfs(dir)")
	pfd := open(t, p(dir, "f"), unix.O_PATH, 0)
	fails(t, unix.Fsync(pfd), unix.EBADF, "fsync(O_PATH fd)")
	fails(t, unix.Fdatasync(pfd), unix.EBADF, "fdatasync(O_PATH fd)")
	fails(t, unix.Syncfs(pfd), unix.EBADF, "syncfs(O_PATH fd)")
	unix.Sync()
	eq(t, readFile(t, p(dir, "f")), "durable", "contents after the syncs")
}
