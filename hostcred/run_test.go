package hostcred

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func TestRunChecksAsTheGuest(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, nil, 0644); err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	user := Identity{UID: 1000, EUID: 1000, FSUID: 1000, GID: 1000, EGID: 1000, FSGID: 1000, Groups: []uint32{1000}}
	for _, tc := range []struct {
		name string
		id   Identity
		want error
	}{
		{"user", user, unix.EPERM},
		{"user with CAP_FOWNER", func() Identity { u := user; u.Caps = 1 << unix.CAP_FOWNER; return u }(), nil},
		{"root without capabilities", Identity{}, nil}, // the owner
	} {
		if got := Run(tc.id, func() error { return unix.Fchmod(fd, 0600) }); got != tc.want {
			t.Errorf("%s: fchmod = %v, want %v", tc.name, got, tc.want)
		}
	}
	if err := Run(user, func() error { return unix.Fchown(fd, 1000, -1) }); err != unix.EPERM {
		t.Errorf("user's fchown = %v, want EPERM", err)
	}
	var st unix.Stat_t
	unix.Fstat(fd, &st)
	if st.Uid != 0 || st.Mode&07777 != 0600 {
		t.Errorf("file is uid %d mode %o, want 0 and 600", st.Uid, st.Mode&07777)
	}
	// The identity never outlives its call.
	for i := 0; i < 20; i++ {
		Run(user, func() error { return nil })
	}
	if os.Geteuid() != 0 {
		t.Errorf("euid %d after Run, want 0", os.Geteuid())
	}
	if err := unix.Fchmod(fd, 0644); err != nil {
		t.Errorf("sentry's own fchmod after Run: %v", err)
	}
}
