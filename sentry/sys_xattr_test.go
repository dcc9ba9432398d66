package sentry

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"
)

func TestSecurityXattr(t *testing.T) {
	k, task := newTestKernel(t, RootCreds())
	mem := newFakeMemory()
	fdcwd := int64(unix.AT_FDCWD)
	at := uint64(fdcwd)
	f := mem.str("/f")
	if r := call(k, task, mem, unix.SYS_OPENAT, at, f, unix.O_CREAT|unix.O_WRONLY, 0o666); r.Errno != 0 {
		t.Fatalf("create: %v", r.Errno)
	}
	if r := call(k, task, mem, unix.SYS_CHOWN, f, 1000, 1000); r.Errno != 0 {
		t.Fatalf("chown: %v", r.Errno)
	}
	v2 := make([]byte, 20) // struct vfs_cap_data, VFS_CAP_REVISION_2 | effective
	binary.LittleEndian.PutUint32(v2, 0x02000001)
	bad, short, good := mem.str("v"), mem.put(v2[:16]), mem.put(v2)
	sec, caps, user := mem.str("security.vk"), mem.str("security.capability"), mem.str("user.vk")
	owner := UserCreds(1000, 1000)
	// What the capability checks let through reaches the tmpfs, which
	// keeps no security.* attribute.
	const passed = unix.EOPNOTSUPP
	for _, tc := range []struct {
		name  string
		creds *Creds
		nr    uintptr
		args  []uint64
		errno unix.Errno
	}{
		{"owner sets security.*", owner, unix.SYS_SETXATTR, []uint64{f, sec, bad, 1, 0}, unix.EPERM},
		{"owner removes security.*", owner, unix.SYS_REMOVEXATTR, []uint64{f, sec}, unix.EPERM},
		{"owner sets user.*", owner, unix.SYS_SETXATTR, []uint64{f, user, bad, 1, 0}, 0},
		{"owner sets a bad security.capability", owner, unix.SYS_SETXATTR, []uint64{f, caps, bad, 1, 0}, unix.EINVAL},
		{"owner sets a short security.capability", owner, unix.SYS_SETXATTR, []uint64{f, caps, short, 16, 0}, unix.EINVAL},
		{"owner sets security.capability", owner, unix.SYS_SETXATTR, []uint64{f, caps, good, 20, 0}, unix.EPERM},
		{"owner sets an empty security.capability", owner, unix.SYS_SETXATTR, []uint64{f, caps, bad, 0, 0}, passed},
		{"owner removes security.capability", owner, unix.SYS_REMOVEXATTR, []uint64{f, caps}, unix.EPERM},
		{"root sets security.*", RootCreds(), unix.SYS_SETXATTR, []uint64{f, sec, bad, 1, 0}, passed},
		{"root sets security.capability", RootCreds(), unix.SYS_SETXATTR, []uint64{f, caps, good, 20, 0}, passed},
		{"root removes security.capability", RootCreds(), unix.SYS_REMOVEXATTR, []uint64{f, caps}, passed},
		{"root removes security.*", RootCreds(), unix.SYS_REMOVEXATTR, []uint64{f, sec}, passed},
	} {
		task.Creds = tc.creds
		if r := call(k, task, mem, tc.nr, tc.args...); r.Errno != tc.errno {
			t.Errorf("%s: got %v, want %v", tc.name, r.Errno, tc.errno)
		}
	}
}
