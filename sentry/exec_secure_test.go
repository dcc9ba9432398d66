package sentry

import (
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

func TestSecureEnv(t *testing.T) {
	got := secureEnv([]string{"PATH=/bin", "LD_PRELOAD=/x.so", "LD_PRELOADX=1", "TMPDIR=/t", "GLIBC_TUNABLES=a", "HOME=/"})
	if want := []string{"PATH=/bin", "LD_PRELOADX=1", "HOME=/"}; !slices.Equal(got, want) {
		t.Errorf("secureEnv = %q, want %q", got, want)
	}
}

// TestWouldBeSecure: Linux's secureexec for a set-user-ID program run by
// a user (secure), by root (not), and a plain program (not); nothing
// changes in the credentials asked.
func TestWouldBeSecure(t *testing.T) {
	user, root := UserCreds(1000, 1000), RootCreds()
	for _, c := range []struct {
		what string
		cr   *Creds
		mode uint32
		want bool
	}{
		{"setuid root, by a user", user, unix.S_IFREG | unix.S_ISUID | 0o755, true},
		{"setuid root, by a user, nosuid", user, unix.S_IFREG | unix.S_ISUID | 0o755, false},
		{"setuid root, by root", root, unix.S_IFREG | unix.S_ISUID | 0o755, false},
		{"plain, by a user", user, unix.S_IFREG | 0o755, false},
	} {
		nosuid := c.what == "setuid root, by a user, nosuid"
		if got := c.cr.wouldBeSecure(c.mode, 0, 0, nosuid); got != c.want {
			t.Errorf("%s: %v, want %v", c.what, got, c.want)
		}
	}
	if user.EUID != 1000 || user.CapPermitted != 0 {
		t.Errorf("wouldBeSecure changed the credentials: euid %d permitted %#x", user.EUID, user.CapPermitted)
	}
}
