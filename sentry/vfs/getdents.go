package vfs

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// maxDirentBuf bounds the buffer a getdents fills in the sentry: a guest's
// count may be up to 4 GiB, and a call may return fewer records than fit.
const maxDirentBuf = 1 << 20

// DirentBufSize is the sentry's buffer size for a getdents of count
// bytes: count, at most maxDirentBuf.
func DirentBufSize(count int) int { return min(count, maxDirentBuf) }

// direntHeader is the size of linux_dirent64 before d_name: d_ino (8),
// d_off (8), d_reclen (2), d_type (1).
const direntHeader = 19

// IsHostDir says whether f is a real host directory (HostDirFile), which
// the host lists exactly.
func IsHostDir(f *File) bool {
	_, ok := f.Impl.(HostDirFile)
	return ok
}

// Getdents returns linux_dirent64 records of the directory f, at most
// size bytes; EINVAL if not even one record fits. A HostDirFile is read
// by the host; other directories are listed with Readdir from the index
// kept as the host fd's offset (d_off is the next index), so the guest's
// lseek, telldir and rewinddir on the fd work natively.
func (v *VFS) Getdents(f *File, size int) ([]byte, error) {
	if f.Flags&unix.O_PATH != 0 {
		return nil, unix.EBADF
	}
	if size <= 0 {
		return nil, unix.EINVAL
	}
	size = DirentBufSize(size)
	if IsHostDir(f) {
		buf := make([]byte, size)
		n, err := unix.Getdents(f.HostFD(), buf)
		if err != nil {
			return nil, err
		}
		return buf[:n], nil
	}
	if !f.VD.Dentry.IsDir() {
		return nil, unix.ENOTDIR
	}
	f.dirMu.Lock()
	defer f.dirMu.Unlock()
	fd := f.HostFD()
	pos, err := unix.Seek(fd, 0, unix.SEEK_CUR)
	if err != nil {
		return nil, err
	}
	ents, err := f.VD.Dentry.vnode.Readdir()
	if err != nil {
		return nil, err
	}
	if len(ents) > 0 && ents[0].Off != 0 {
		return getdentsByOff(fd, pos, ents, size)
	}
	var out []byte
	i := pos
	for ; i >= 0 && i < int64(len(ents)); i++ {
		e := &ents[i]
		reclen := (direntHeader + len(e.Name) + 1 + 7) &^ 7
		if len(out)+reclen > size {
			if len(out) == 0 {
				return nil, unix.EINVAL
			}
			break
		}
		rec := make([]byte, reclen)
		binary.NativeEndian.PutUint64(rec[0:], e.Ino)
		binary.NativeEndian.PutUint64(rec[8:], uint64(i+1))
		binary.NativeEndian.PutUint16(rec[16:], uint16(reclen))
		rec[18] = e.Type
		copy(rec[direntHeader:], e.Name)
		out = append(out, rec...)
	}
	if i != pos {
		if _, err := unix.Seek(fd, i, unix.SEEK_SET); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// getdentsByOff lists entries with stable positions: those after pos, the
// position kept as the host fd's offset being the last one returned.
func getdentsByOff(fd int, pos int64, ents []DirEntry, size int) ([]byte, error) {
	var out []byte
	last := pos
	for i := range ents {
		e := &ents[i]
		if e.Off <= pos {
			continue
		}
		reclen := (direntHeader + len(e.Name) + 1 + 7) &^ 7
		if len(out)+reclen > size {
			if len(out) == 0 {
				return nil, unix.EINVAL
			}
			break
		}
		rec := make([]byte, reclen)
		binary.NativeEndian.PutUint64(rec[0:], e.Ino)
		binary.NativeEndian.PutUint64(rec[8:], uint64(e.Off))
		binary.NativeEndian.PutUint16(rec[16:], uint16(reclen))
		rec[18] = e.Type
		copy(rec[direntHeader:], e.Name)
		out = append(out, rec...)
		last = e.Off
	}
	if last != pos {
		if _, err := unix.Seek(fd, last, unix.SEEK_SET); err != nil {
			return nil, err
		}
	}
	return out, nil
}
