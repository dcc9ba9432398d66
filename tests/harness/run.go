// Package harness runs programs in a guest root filesystem two ways — natively,
// chrooted into the tree, and under `vkernel run --root` — and captures what they
// did, so that tests and benchmarks can compare the two. It also snapshots
// directory trees for comparison (tree.go).
//
// The environment names what to run against:
//
//	VKERNEL_BIN     the vkernel binary (make test: $(CURDIR)/bin/vkernel)
//	VKERNEL_ROOTFS  the cache dir scripts/build-rootfs.sh fills, holding
//	                busybox/ and bookworm/ (default /var/tmp/vkernel-rootfs)
//
// Native runs need root: they chroot, inside a private mount namespace
// (unshare(1)) with the host's /proc and /dev mounted over the rootfs' so that
// df, /dev/null and /dev/fd work in the busybox tree, whose /dev is empty.
package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// GuestPATH is the PATH both sides run with.
const GuestPATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// GuestEnv is the whole environment both sides run with.
var GuestEnv = []string{"PATH=" + GuestPATH, "HOME=/root", "LANG=C"}

// DefaultTimeout bounds one run when a Spec gives none.
const DefaultTimeout = 60 * time.Second

// DefaultRootfsCache is where scripts/build-rootfs.sh puts the trees by default.
const DefaultRootfsCache = "/var/tmp/vkernel-rootfs"

// Result is what one run did.
type Result struct {
	Stdout, Stderr string
	// Status is the exit status, 128+N when the process was killed by signal N,
	// as a shell reports it; -1 when it could not be started.
	Status   int
	Duration time.Duration
	TimedOut bool
	// Err is set when the process could not be started or waited for.
	Err error
}

func (r *Result) String() string {
	return fmt.Sprintf("status %d\n--- stdout:\n%s--- stderr:\n%s", r.Status, r.Stdout, r.Stderr)
}

// Spec says how to run one program.
type Spec struct {
	Argv    []string
	Stdin   io.Reader     // nil: /dev/null
	Stdout  io.Writer     // nil: captured into Result.Stdout
	Timeout time.Duration // 0: DefaultTimeout
	// Extra vkernel run flags placed before "--" (guest runs only).
	Flags []string
}

// Bin returns $VKERNEL_BIN if it names an executable file.
func Bin() (string, error) {
	bin := os.Getenv("VKERNEL_BIN")
	if bin == "" {
		return "", errors.New("VKERNEL_BIN is not set (make test sets it)")
	}
	fi, err := os.Stat(bin)
	if err != nil {
		return "", fmt.Errorf("VKERNEL_BIN: %v", err)
	}
	if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		return "", fmt.Errorf("VKERNEL_BIN=%s is not an executable file", bin)
	}
	return bin, nil
}

// Rootfs returns the tree NAME ("busybox", "bookworm") under $VKERNEL_ROOTFS if it
// was built completely (its stamp file exists).
func Rootfs(name string) (string, error) {
	cache := os.Getenv("VKERNEL_ROOTFS")
	if cache == "" {
		return "", errors.New("VKERNEL_ROOTFS is not set (make test sets it; scripts/build-rootfs.sh builds it)")
	}
	dir := filepath.Join(cache, name)
	if _, err := os.Stat(dir + ".stamp"); err != nil {
		return "", fmt.Errorf("rootfs %s is not built (run scripts/build-rootfs.sh %s)", dir, cache)
	}
	return dir, nil
}

// CanNative reports why native runs are impossible here, or nil.
func CanNative() error {
	if os.Geteuid() != 0 {
		return errors.New("native runs chroot and need root")
	}
	for _, p := range []string{"unshare", "mount", "chroot"} {
		if _, err := exec.LookPath(p); err != nil {
			return fmt.Errorf("native runs need %s(8) on the host: %v", p, err)
		}
	}
	return nil
}

// nativeWrapper runs "$@" chrooted into $1 in a private mount namespace with the
// host's /proc and /dev in place. The mounts vanish with the namespace.
const nativeWrapper = `set -e
r=$1; shift
mount -t proc proc "$r/proc"
mount --rbind /dev "$r/dev"
exec chroot "$r" "$@"`

// NativeCmd is the host command that runs argv chrooted into rootfs.
func NativeCmd(rootfs string, argv []string) []string {
	return append([]string{"unshare", "--mount", "--propagation", "private", "--",
		"/bin/sh", "-c", nativeWrapper, "sh", rootfs}, argv...)
}

// GuestCmd is the host command that runs argv under vkernel with rootfs as root.
func GuestCmd(bin, rootfs string, flags, argv []string) []string {
	cmd := []string{bin, "run"}
	if rootfs != "" {
		cmd = append(cmd, "--root", rootfs)
	}
	cmd = append(cmd, "--clear-env")
	for _, e := range GuestEnv {
		cmd = append(cmd, "--env", e)
	}
	cmd = append(cmd, flags...)
	cmd = append(cmd, "--")
	return append(cmd, argv...)
}

// RunNative runs s.Argv chrooted into rootfs.
func RunNative(rootfs string, s Spec) *Result {
	return Run(NativeCmd(rootfs, s.Argv), GuestEnv, s)
}

// RunGuest runs s.Argv under bin with rootfs as the guest root ("" for vkernel's
// default root).
func RunGuest(bin, rootfs string, s Spec) *Result {
	return Run(GuestCmd(bin, rootfs, s.Flags, s.Argv), os.Environ(), s)
}

// Run runs the host command cmd with env, in its own process group, which is
// killed when s.Timeout passes.
func Run(cmd []string, env []string, s Spec) *Result {
	timeout := s.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c := exec.CommandContext(ctx, cmd[0], cmd[1:]...)
	c.Env = env
	c.Dir = "/"
	c.Stdin = s.Stdin
	var stdout, stderr bytes.Buffer
	c.Stdout = &stdout
	if s.Stdout != nil {
		c.Stdout = s.Stdout
	}
	c.Stderr = &stderr
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.Cancel = func() error { return syscall.Kill(-c.Process.Pid, syscall.SIGKILL) }
	c.WaitDelay = 5 * time.Second
	start := time.Now()
	err := c.Run()
	r := &Result{
		Stdout:   stdout.String(),
		Stderr:   stderr.String(),
		Duration: time.Since(start),
		TimedOut: ctx.Err() != nil,
		Status:   -1,
	}
	// The process group may outlive its leader (daemonised children).
	if c.Process != nil {
		_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
	}
	if c.ProcessState != nil {
		ws := c.ProcessState.Sys().(syscall.WaitStatus)
		switch {
		case ws.Exited():
			r.Status = ws.ExitStatus()
		case ws.Signaled():
			r.Status = 128 + int(ws.Signal())
		}
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		r.Err = err
	}
	if r.TimedOut {
		r.Err = fmt.Errorf("timed out after %v: %s", timeout, strings.Join(cmd, " "))
	}
	return r
}
