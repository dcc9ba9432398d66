package vkernel

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"vkernel/sentry"
	"vkernel/sentry/vfs"
)

// hintProgram looks, before the guest starts, for the mistakes whose
// errno alone would not say what is wrong, and says it: a #! script whose
// interpreter is missing (exit status 126, as a shell's "bad
// interpreter"; stop), and a --root that holds no userland (a warning).
func hintProgram(k *sentry.Kernel, root, cwd vfs.VirtualDentry, cfg Config) (code int, stop bool) {
	ctx := &vfs.Context{Root: root, Cwd: cwd, Cred: vfs.RootCred()}
	prog := cfg.Argv[0]
	if strings.Contains(prog, "/") {
		if interp, ok := k.MissingInterpreter(ctx, cwd, prog); ok {
			fmt.Fprintf(os.Stderr, "vkernel: %s: bad interpreter %s: no such file or directory in the guest\n", prog, interp)
			return 126, true
		}
	}
	if cfg.FS.Root != "" && !hasUserland(k, ctx) {
		fmt.Fprintf(os.Stderr, "vkernel: warning: --root %s holds no userland (no /bin, no /usr): "+
			"is it a root filesystem? (`make rootfs` builds Debian ones in /var/tmp/vkernel-rootfs)\n", cfg.FS.Root)
	}
	return 0, false
}

// hasUserland reports whether the guest's root has a /bin or a /usr.
func hasUserland(k *sentry.Kernel, ctx *vfs.Context) bool {
	for _, d := range []string{"/bin", "/usr"} {
		vd, err := k.VFS.Walk(ctx, ctx.Root, d, vfs.FollowFinal)
		if err == nil {
			vd.DecRef()
			return true
		}
		if err != unix.ENOENT {
			return true
		}
	}
	return false
}
