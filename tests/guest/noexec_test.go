package guest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoexecMappings runs testdata/noexec.c natively and in the guest: on a
// tmpfs and a bind mount mounted or remounted noexec, mmap PROT_EXEC of a
// file is EPERM, mprotect PROT_EXEC of a PROT_READ mapping EACCES, exec
// EACCES, while PROT_READ maps; a remount changes what a descriptor opened
// before it may map; a bind remounted without noexec of a noexec tmpfs
// maps and runs its files; everything works on a plain directory. mmap
// and mprotect are native: it is the host's mount that refuses.
func TestNoexecMappings(t *testing.T) {
	root := needRootfs(t, "busybox")
	host, guest := workDir(t, root, "noexec")
	buildC(t, "noexec.c", filepath.Join(host, "noexec"), "-static")
	run := func(side string, f func(*testing.T, string, []string, string) string) string {
		if err := os.Mkdir(filepath.Join(host, side), 0o755); err != nil {
			t.Fatal(err)
		}
		return f(t, root, []string{guest + "/noexec", guest + "/" + side}, "")
	}
	native := run("native", func(t *testing.T, root string, argv []string, in string) string {
		r := runNative(t, root, argv, in)
		return r.Stdout + r.Stderr
	})
	for _, want := range []string{
		"plain                  mmap-rx ok     mprotect-rx ok     mmap-r ok     exec ok\n",
		"tmpfs-noexec           mmap-rx EPERM  mprotect-rx EACCES mmap-r ok     exec EACCES\n",
		"tmpfs-open-before      mmap-rx EPERM\n",
		"tmpfs-bind-exec        mmap-rx ok     mprotect-rx ok     mmap-r ok     exec ok\n",
		"bind-noexec            mmap-rx EPERM  mprotect-rx EACCES mmap-r ok     exec EACCES\n",
	} {
		if !strings.Contains(native, want) {
			t.Fatalf("native run lacks %q:\n%s", want, native)
		}
	}
	got := run("guest", func(t *testing.T, root string, argv []string, in string) string {
		r := runGuest(t, root, argv, in)
		return r.Stdout + r.Stderr
	})
	if got != native {
		t.Errorf("native:\n%s\nguest:\n%s", native, got)
	}
}

// TestNoexecDirfs: a dirfs of a shared directory mounted noexec in the
// guest refuses mmap PROT_EXEC, mprotect PROT_EXEC and exec of its files,
// and a remount without noexec gives them back; the same directory
// shared through --mount :ro maps, runs and refuses writes.
func TestNoexecDirfs(t *testing.T) {
	root := needRootfs(t, "busybox")
	host, guest := workDir(t, root, "noexecdirfs")
	buildC(t, "noexec.c", filepath.Join(host, "noexec"), "-static")
	share := t.TempDir()
	if err := os.Chmod(share, 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(host, "noexec"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(share, "prog"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	p := guest + "/noexec probe"
	script := `set -e
mkdir -p /mnt/nx /mnt/ro
mount -t dirfs -o noexec ` + share + ` /mnt/nx
` + p + ` dirfs-noexec /mnt/nx/prog
mount -o remount,exec /mnt/nx
` + p + ` dirfs-remount-exec /mnt/nx/prog
` + p + ` mount-ro /ro/prog
touch /ro/x 2>/dev/null || echo ro-refused
`
	r := runGuestFlags(t, root, []string{"--share", share, "--mount", share + ":/ro:ro"}, []string{"/bin/sh", "-c", script}, "")
	want := "dirfs-noexec           mmap-rx EPERM  mprotect-rx EACCES mmap-r ok     exec EACCES\n" +
		"dirfs-remount-exec     mmap-rx ok     mprotect-rx ok     mmap-r ok     exec ok\n" +
		"mount-ro               mmap-rx ok     mprotect-rx ok     mmap-r ok     exec ok\n" +
		"ro-refused\n"
	if r.Stdout != want || r.Status != 0 {
		t.Errorf("got:\n%s\nwant stdout:\n%s", r, want)
	}
}
