package sentry

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestAccessRealIDs(t *testing.T) {
	k, task := newTestKernel(t, RootCreds())
	mem := newFakeMemory()
	fdcwd := int64(unix.AT_FDCWD)
	at := uint64(fdcwd)
	secret, dir, inDir := mem.str("/secret"), mem.str("/priv"), mem.str("/priv/f")
	other, inOther := mem.str("/other"), mem.str("/other/f")
	for _, s := range []struct {
		nr   uintptr
		args []uint64
	}{
		{unix.SYS_OPENAT, []uint64{at, secret, unix.O_CREAT | unix.O_WRONLY, 0o600}},
		{unix.SYS_MKDIR, []uint64{dir, 0o700}},
		{unix.SYS_OPENAT, []uint64{at, inDir, unix.O_CREAT | unix.O_WRONLY, 0o644}},
		{unix.SYS_MKDIR, []uint64{other, 0o700}},
		{unix.SYS_OPENAT, []uint64{at, inOther, unix.O_CREAT | unix.O_WRONLY, 0o644}},
		{unix.SYS_CHOWN, []uint64{other, 1000, 1000}},
	} {
		if r := call(k, task, mem, s.nr, s.args...); r.Errno != 0 {
			t.Fatalf("setup %d: %v", s.nr, r.Errno)
		}
	}
	// A set-user-ID root program run by uid 1000.
	suid := withIDs(RootCreds(), 1000, 0, 1000, 1000)
	noEff := RootCreds()
	noEff.CapEffective = 0
	for _, tc := range []struct {
		name  string
		creds *Creds
		nr    uintptr
		args  []uint64
		errno unix.Errno
	}{
		{"access as the real uid", suid, unix.SYS_ACCESS, []uint64{secret, unix.R_OK}, unix.EACCES},
		{"faccessat as the real uid", suid, unix.SYS_FACCESSAT, []uint64{at, secret, unix.R_OK}, unix.EACCES},
		{"faccessat2 as the real uid", suid, unix.SYS_FACCESSAT2, []uint64{at, secret, unix.R_OK, 0}, unix.EACCES},
		{"faccessat2 AT_EACCESS", suid, unix.SYS_FACCESSAT2, []uint64{at, secret, unix.R_OK, unix.AT_EACCESS}, 0},
		{"the walk as the real uid", suid, unix.SYS_ACCESS, []uint64{inDir, unix.F_OK}, unix.EACCES},
		{"the walk AT_EACCESS", suid, unix.SYS_FACCESSAT2, []uint64{at, inDir, unix.F_OK, unix.AT_EACCESS}, 0},
		{"root with permitted only", noEff, unix.SYS_ACCESS, []uint64{inOther, unix.R_OK}, 0},
		{"root with permitted only, AT_EACCESS", noEff, unix.SYS_FACCESSAT2, []uint64{at, inOther, unix.R_OK, unix.AT_EACCESS}, unix.EACCES},
	} {
		task.Creds = tc.creds
		if r := call(k, task, mem, tc.nr, tc.args...); r.Errno != tc.errno {
			t.Errorf("%s: got %v, want %v", tc.name, r.Errno, tc.errno)
		}
	}
}
