package sentry

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"vkernel/sentry/vfs"
)

// statBytes encodes attr as the x86-64 struct stat, with dev as st_dev.
func statBytes(a *vfs.Attr, dev uint64) []byte {
	st := unix.Stat_t{
		Dev: dev, Ino: a.Ino, Nlink: a.Nlink, Mode: a.Mode, Uid: a.UID, Gid: a.GID,
		Rdev: a.Rdev, Size: a.Size, Blksize: a.Blksize, Blocks: a.Blocks,
		Atim: a.Atime, Mtim: a.Mtime, Ctim: a.Ctime,
	}
	return append([]byte(nil), unsafe.Slice((*byte)(unsafe.Pointer(&st)), unsafe.Sizeof(st))...)
}

// hostStatBytes encodes a host struct stat.
func hostStatBytes(st *unix.Stat_t) []byte {
	return append([]byte(nil), unsafe.Slice((*byte)(unsafe.Pointer(st)), unsafe.Sizeof(*st))...)
}

// statxBasic is what every filesystem fills.
const statxBasic = unix.STATX_TYPE | unix.STATX_MODE | unix.STATX_NLINK | unix.STATX_UID |
	unix.STATX_GID | unix.STATX_ATIME | unix.STATX_MTIME | unix.STATX_CTIME |
	unix.STATX_INO | unix.STATX_SIZE | unix.STATX_BLOCKS

// statxBytes encodes attr as struct statx; mountRoot says the file is its
// mount's root (STATX_ATTR_MOUNT_ROOT, which every statx's mask has).
func statxBytes(a *vfs.Attr, dev uint64, mntID int, mountRoot bool) []byte {
	ts := func(t unix.Timespec) unix.StatxTimestamp {
		return unix.StatxTimestamp{Sec: t.Sec, Nsec: uint32(t.Nsec)}
	}
	mask := uint32(statxBasic | unix.STATX_MNT_ID)
	st := unix.Statx_t{
		Mask: mask, Blksize: uint32(a.Blksize), Nlink: uint32(a.Nlink), Uid: a.UID, Gid: a.GID,
		Mode: uint16(a.Mode), Ino: a.Ino, Size: uint64(a.Size), Blocks: uint64(a.Blocks),
		Atime: ts(a.Atime), Ctime: ts(a.Ctime), Mtime: ts(a.Mtime),
		Rdev_major: unix.Major(a.Rdev), Rdev_minor: unix.Minor(a.Rdev),
		Dev_major: unix.Major(dev), Dev_minor: unix.Minor(dev), Mnt_id: uint64(mntID),
		Attributes: a.Attributes, Attributes_mask: a.AttributesMask | unix.STATX_ATTR_MOUNT_ROOT,
	}
	if mountRoot {
		st.Attributes |= unix.STATX_ATTR_MOUNT_ROOT
	}
	if a.HasBtime {
		st.Mask |= unix.STATX_BTIME
		st.Btime = ts(a.Btime)
	}
	return append([]byte(nil), unsafe.Slice((*byte)(unsafe.Pointer(&st)), unsafe.Sizeof(st))...)
}

// hostStatxBytes encodes a host struct statx.
func hostStatxBytes(st *unix.Statx_t) []byte {
	return append([]byte(nil), unsafe.Slice((*byte)(unsafe.Pointer(st)), unsafe.Sizeof(*st))...)
}

// statfsBytes encodes a struct statfs.
func statfsBytes(st *unix.Statfs_t) []byte {
	return append([]byte(nil), unsafe.Slice((*byte)(unsafe.Pointer(st)), unsafe.Sizeof(*st))...)
}

// statxFromStat converts a host struct stat to struct statx.
func statxFromStat(st *unix.Stat_t) unix.Statx_t {
	ts := func(t unix.Timespec) unix.StatxTimestamp {
		return unix.StatxTimestamp{Sec: t.Sec, Nsec: uint32(t.Nsec)}
	}
	return unix.Statx_t{
		Mask: statxBasic, Blksize: uint32(st.Blksize), Nlink: uint32(st.Nlink), Uid: st.Uid, Gid: st.Gid,
		Mode: uint16(st.Mode), Ino: st.Ino, Size: uint64(st.Size), Blocks: uint64(st.Blocks),
		Atime: ts(st.Atim), Mtime: ts(st.Mtim), Ctime: ts(st.Ctim),
		Rdev_major: unix.Major(st.Rdev), Rdev_minor: unix.Minor(st.Rdev),
		Dev_major: unix.Major(st.Dev), Dev_minor: unix.Minor(st.Dev),
	}
}
