package rootfs

import (
	"fmt"
	"path"
	"strings"

	"vkernel/sentry/fsimpl/tmpfs"
)

// Tmpfs is a private tmpfs at a guest path (--tmpfs PATH[:OPTIONS]).
type Tmpfs struct {
	Guest   string
	Options tmpfs.Options
	// Given names the limits asked for even when 0 (size=0: unlimited).
	Given tmpfs.Given
}

// tmpfsFlagOptions are the options --tmpfs takes, as mount -t tmpfs -o
// reads them.
var tmpfsFlagOptions = []string{"size", "nr_blocks", "nr_inodes", "mode", "uid", "gid"}

// ParseTmpfs reads --tmpfs PATH[:OPTIONS]: an absolute guest path other
// than /, then, after the first colon, tmpfs options separated by commas
// (size=N[kmg...] or N%, nr_blocks=, nr_inodes=, mode= in octal, uid=,
// gid=), each read as Linux's tmpfs reads it. The root is mode 1777
// unless mode= says otherwise.
func ParseTmpfs(s string) (Tmpfs, error) {
	p, opts, _ := strings.Cut(s, ":")
	if !path.IsAbs(p) {
		return Tmpfs{}, fmt.Errorf("--tmpfs %q: not an absolute path", s)
	}
	if path.Clean(p) == "/" {
		return Tmpfs{}, fmt.Errorf("--tmpfs %s: cannot mount over the guest's root (the root is --root DIR)", s)
	}
	t := Tmpfs{Guest: path.Clean(p)}
	for _, kv := range strings.Split(opts, ",") {
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok || v == "" || !contains(tmpfsFlagOptions, k) {
			return Tmpfs{}, fmt.Errorf("--tmpfs %s: bad option %q (want %s=VALUE)", s, kv, strings.Join(tmpfsFlagOptions, "=, "))
		}
		if _, _, err := tmpfs.ParseOptions(kv); err != nil {
			return Tmpfs{}, fmt.Errorf("--tmpfs %s: bad value in %q", s, kv)
		}
	}
	o, given, err := tmpfs.ParseOptions(opts)
	if err != nil {
		return Tmpfs{}, fmt.Errorf("--tmpfs %s: bad options", s)
	}
	t.Options, t.Given = o, given
	return t, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
