package harness

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// CopyRootfs copies the rootfs tree src into a new directory dst (cp -a),
// leaving out what the test packages create in the shared tree meanwhile
// (work/, confine-*, posix-*). The busybox tree's symlinks are absolute
// (bin/sh -> /bin/busybox): a test must not write through one in the
// copy, which would write the host's file.
func CopyRootfs(src, dst string) error {
	if err := os.Mkdir(dst, 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		n := e.Name()
		if n == "work" || strings.HasPrefix(n, "confine-") || strings.HasPrefix(n, "posix-") {
			continue
		}
		if out, err := exec.Command("cp", "-a", filepath.Join(src, n), dst).CombinedOutput(); err != nil {
			return fmt.Errorf("copying %s: %v\n%s", filepath.Join(src, n), err, out)
		}
	}
	return nil
}
