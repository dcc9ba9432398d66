package confine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestEmptyHostRoot: at the host level a guest process lives in a mount
// namespace whose root is an empty tmpfs, so that nothing the host kernel
// might resolve natively for it (a check-then-use race in a served call)
// reaches a host path.
func TestEmptyHostRoot(t *testing.T) {
	marker := "hostroot-marker-" + filepath.Base(t.TempDir())
	cmd := startHost(t, env.bin, "run", "--root", env.rootfs, "--", "/bin/sh", "-c", "sleep 3; : "+marker)
	_ = cmd
	var pid string
	for i := 0; i < 100 && pid == ""; i++ {
		time.Sleep(20 * time.Millisecond)
		ents, _ := os.ReadDir("/proc")
		for _, e := range ents {
			b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
			if err == nil && strings.Contains(string(b), marker) && !strings.Contains(string(b), "vkernel") {
				pid = e.Name()
			}
		}
	}
	if pid == "" {
		t.Fatal("the guest's shell did not show up among the host's processes")
	}
	ents, err := os.ReadDir(filepath.Join("/proc", pid, "root"))
	if err != nil {
		t.Fatalf("reading the guest's host-level root: %v", err)
	}
	if len(ents) != 0 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("the guest's host-level root holds %v, want nothing", names)
	}
	mi, _ := os.ReadFile(filepath.Join("/proc", pid, "mountinfo"))
	if n := strings.Count(strings.TrimSpace(string(mi)), "\n") + 1; n != 1 {
		t.Errorf("the guest's host-level mount namespace has %d mounts, want 1:\n%s", n, mi)
	}
}
