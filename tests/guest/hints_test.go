package guest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vkernel/tests/harness"
)

// TestHints: the mistakes whose errno alone would not say what is wrong
// get a message that does: a #! script whose interpreter is missing names
// it (status 126, as a shell's "bad interpreter"), a --root with no
// userland is said to be one, and a mount point the read-only default
// root cannot hold suggests where to mount instead.
func TestHints(t *testing.T) {
	bin := needBin(t)
	root := needRootfs(t, "bookworm")
	host, guest := workDir(t, root, "hints")
	script := filepath.Join(host, "script")
	if err := os.WriteFile(script, []byte("#!/no/such/interp\necho hi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	for _, tc := range []struct {
		name   string
		args   []string
		status int
		want   string
	}{
		{"bad-interpreter", []string{"run", "--root", root, "--", guest + "/script"}, 126,
			"vkernel: " + guest + "/script: bad interpreter /no/such/interp: no such file or directory in the guest\n"},
		{"empty-root", []string{"run", "--root", empty, "--", "sh"}, 127,
			"vkernel: warning: --root " + empty + " holds no userland (no /bin, no /usr)"},
		{"readonly-default-root", []string{"run", "--mount", empty + ":/vkernel-no-such-dir", "--", "/bin/true"}, 125,
			"below /tmp (a private tmpfs), or boot from --root DIR\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := harness.Run(append([]string{bin}, tc.args...), os.Environ(), harness.Spec{})
			if r.Err != nil {
				t.Fatalf("%v\n%s", r.Err, r)
			}
			if r.Status != tc.status || !strings.Contains(r.Stderr, tc.want) {
				t.Errorf("status %d, want %d, and stderr with %q:\n%s", r.Status, tc.status, tc.want, r)
			}
		})
	}
}
