package guest

import (
	"path/filepath"
	"testing"
)

// TestFileSizeLimit runs testdata/fsize.c natively and in the guest:
// RLIMIT_FSIZE bounds truncate (served), ftruncate, fallocate and write
// (native) alike, with EFBIG and SIGXFSZ ignored, caught, blocked or
// fatal; shrinking a file past the limit is allowed.
func TestFileSizeLimit(t *testing.T) {
	root := needRootfs(t, "bookworm")
	host, guest := workDir(t, root, "fsize")
	buildC(t, "fsize.c", filepath.Join(host, "fsize"), "-static")
	sameAsNative(t, root, []string{"/bin/sh", "-c", "cd " + guest + " && ./fsize"}, `ignored: truncate beyond: File too large size 0 caught 0
ignored: truncate shrinking, past the limit: ok size 3000 caught 0
ignored: truncate growing, past the limit: File too large size 3000 caught 0
ignored: truncate to the limit: ok size 1000 caught 0
ignored: truncate one past: File too large size 1000 caught 0
ignored: ftruncate beyond: File too large size 1000 caught 0
ignored: fallocate beyond: File too large size 1000 caught 0
ignored: pwrite beyond: File too large size 1000 caught 0
ignored: truncate below: ok size 10 caught 0
ignored: open O_TRUNC: ok size 0 caught 0
caught: truncate beyond: File too large size 0 caught 1
caught: truncate shrinking, past the limit: ok size 3000 caught 1
caught: truncate growing, past the limit: File too large size 3000 caught 2
caught: truncate to the limit: ok size 1000 caught 2
caught: truncate one past: File too large size 1000 caught 3
caught: ftruncate beyond: File too large size 1000 caught 4
caught: fallocate beyond: File too large size 1000 caught 5
caught: pwrite beyond: File too large size 1000 caught 6
caught: truncate below: ok size 10 caught 6
caught: open O_TRUNC: ok size 0 caught 6
blocked: truncate beyond: File too large caught 0 pending 1
blocked: after unblocking: caught 1
default: killed by 25
size 0
`)
}
