package guest

import (
	"path/filepath"
	"testing"
)

// TestCloseOnExec runs testdata/cloexec.c natively and in the guest: the
// close-on-exec flags are the kernel's (F_SETFD, FIOCLEX and FIONCLEX run
// natively), and after the exec the sentry's table holds exactly the
// descriptors the kernel kept: each still walks and stats as its file, and
// a pipe in a freed number is a pipe.
func TestCloseOnExec(t *testing.T) {
	root := needRootfs(t, "bookworm")
	host, guest := workDir(t, root, "cloexec")
	buildC(t, "cloexec.c", filepath.Join(host, "cloexec"), "-static")
	sameAsNative(t, root, []string{"/bin/sh", "-c", "cd " + guest + " && ./cloexec"}, "pipe at 4 5")
}
