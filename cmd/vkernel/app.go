package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"vkernel/rootfs"
	"vkernel/sentry"
	"vkernel/vkernel"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func newApp() *cli.App {
	return &cli.App{
		Name:  "vkernel",
		Usage: "run Linux programs in a user-space kernel",
		Description: "vkernel runs unmodified Linux x86-64 programs as ordinary host processes whose\n" +
			"file, namespace and identity system calls are served by vkernel's own kernel\n" +
			"(its VFS, mounts and descriptor table), so the program sees only the guest's\n" +
			"tree: a host directory (--root, served by dirfs) or, by default, the host's /\n" +
			"read-only with a private /tmp. Reads, writes and mmap run natively.",
		HideHelpCommand: true,
		Commands: []*cli.Command{
			runCommand(),
			bootCommand(),
			{
				Name:  "version",
				Usage: "print vkernel's version",
				Action: func(c *cli.Context) error {
					fmt.Println("vkernel", version)
					return nil
				},
			},
		},
		ExitErrHandler: func(*cli.Context, error) {},
	}
}

func runCommand() *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "run a program in a guest",
		ArgsUsage: "-- PROGRAM [ARGS...]",
		Description: "Boots a guest and runs PROGRAM in it (found through the guest's PATH when it\n" +
			"has no slash). vkernel exits with the program's status, 128+N if a signal N\n" +
			"killed it, 127 if the program is not found in the guest, 126 if it cannot be\n" +
			"executed, and 125 for vkernel's own errors.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "root", Usage: "boot from host directory `DIR` (dirfs); default: the host's / read-only with a private /tmp"},
			&cli.StringSliceFlag{Name: "mount", Usage: "mount host directory HOST at guest path GUEST, read-only with :ro (repeatable)", Aliases: []string{"m"}},
			&cli.StringSliceFlag{Name: "tmpfs", Usage: "mount a private tmpfs at guest `PATH` (repeatable)"},
			&cli.StringFlag{Name: "workdir", Aliases: []string{"w"}, Usage: "start in guest directory `DIR`", Value: "/"},
			&cli.StringSliceFlag{Name: "env", Aliases: []string{"e"}, Usage: "set `K=V` in the guest's environment (repeatable)"},
			&cli.BoolFlag{Name: "clear-env", Usage: "start from an empty environment instead of vkernel's own"},
			&cli.StringFlag{Name: "net", Value: "host", Usage: "the guest's network: `host` (the host's network and abstract unix sockets) or none (a network namespace of its own, loopback only)"},
			&cli.IntFlag{Name: "pids-max", Value: vkernel.DefaultPidsMax, Usage: "bound the guest's processes and threads to `N` (a pids cgroup; 0: no bound)"},
			&cli.StringFlag{Name: "user", Aliases: []string{"u"}, Usage: "run as guest user `UID[:GID]` (numeric; default 0:0, a root with every capability)"},
			&cli.StringFlag{Name: "hostname", Usage: "the guest's host `NAME` (default: the host's)"},
			&cli.StringSliceFlag{Name: "share", Usage: "let the guest mount host directory `DIR` (and what is below it) with mount -t dirfs (repeatable; none by default; / gives DragonFly's semantics)"},
			&cli.StringFlag{Name: "strace", Usage: "log every intercepted call, decoded, with its result: --strace alone to stderr, --strace=FILE to FILE"},
		},
		Action: runAction,
	}
}

// preprocessArgs lets --strace stand alone: `--strace` means stderr.
func preprocessArgs(args []string) []string {
	out := make([]string, 0, len(args))
	seenDash := false
	for _, a := range args {
		if a == "--" {
			seenDash = true
		}
		if !seenDash && a == "--strace" {
			a = "--strace=-"
		}
		out = append(out, a)
	}
	return out
}

func runAction(c *cli.Context) error {
	argv := c.Args().Slice()
	if len(argv) == 0 {
		return fmt.Errorf("run: no program given (usage: vkernel run [flags] -- PROGRAM [ARGS...])")
	}
	cfg := vkernel.Config{
		PidsMax:  c.Int("pids-max"),
		Workdir:  c.String("workdir"),
		Hostname: c.String("hostname"),
		Argv:     argv,
		Cred:     sentry.RootCreds(),
	}
	if !strings.HasPrefix(cfg.Workdir, "/") {
		return fmt.Errorf("--workdir %s: not an absolute path", cfg.Workdir)
	}
	if u := c.String("user"); u != "" {
		cred, err := parseUser(u)
		if err != nil {
			return err
		}
		cfg.Cred = cred
	}
	if root := c.String("root"); root != "" {
		if err := rootfs.CheckRoot(root); err != nil {
			return err
		}
		cfg.FS.Root = root
	}
	for _, s := range c.StringSlice("mount") {
		m, err := rootfs.ParseMount(s)
		if err != nil {
			return err
		}
		cfg.FS.Mounts = append(cfg.FS.Mounts, m)
	}
	cfg.Shares = c.StringSlice("share")
	if _, err := rootfs.NewShares(cfg.Shares); err != nil {
		return err
	}
	for _, t := range c.StringSlice("tmpfs") {
		if !strings.HasPrefix(t, "/") {
			return fmt.Errorf("--tmpfs %s: not an absolute path", t)
		}
		cfg.FS.Tmpfs = append(cfg.FS.Tmpfs, t)
	}
	if !c.Bool("clear-env") {
		cfg.Env = os.Environ()
	}
	return start(c, cfg)
}

func bootCommand() *cli.Command {
	return &cli.Command{
		Name:      "boot",
		Usage:     "boot a guest userland: its init as the guest's pid 1",
		ArgsUsage: " ",
		Description: "Boots the userland in host directory --root (served by dirfs): its init (--init,\n" +
			"else /sbin/init, /etc/init, /bin/init, /bin/sh, as Linux does) runs as the\n" +
			"guest's pid 1 with the console on vkernel's stdio. The guest's poweroff or\n" +
			"halt ends vkernel with status 0 once every guest process is gone; its reboot\n" +
			"boots it again, or ends vkernel with status 3 under --no-reboot. If init\n" +
			"exits, vkernel exits with its status. Killing vkernel kills the guest.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "root", Usage: "boot the userland in host directory `DIR` (required)", Required: true},
			&cli.StringFlag{Name: "init", Usage: "run guest program `PATH` as init"},
			&cli.StringSliceFlag{Name: "share", Usage: "let the guest mount host directory `DIR` (and what is below it) with mount -t dirfs (repeatable)"},
			&cli.StringSliceFlag{Name: "mount", Aliases: []string{"m"}, Usage: "mount host directory HOST at guest path GUEST, read-only with :ro (repeatable)"},
			&cli.StringFlag{Name: "hostname", Usage: "the guest's host `NAME` (default: the host's)"},
			&cli.StringSliceFlag{Name: "env", Aliases: []string{"e"}, Usage: "add `K=V` to init's environment (repeatable)"},
			&cli.StringFlag{Name: "net", Value: "host", Usage: "the guest's network: `host` (the host's network and abstract unix sockets) or none (a network namespace of its own, loopback only)"},
			&cli.IntFlag{Name: "pids-max", Value: vkernel.DefaultPidsMax, Usage: "bound the guest's processes and threads to `N` (a pids cgroup; 0: no bound)"},
			&cli.BoolFlag{Name: "no-reboot", Usage: "exit with status 3 when the guest reboots, instead of booting it again"},
			&cli.StringFlag{Name: "strace", Usage: "log every intercepted call, decoded, with its result: --strace alone to stderr, --strace=FILE to FILE"},
		},
		Action: bootAction,
	}
}

func bootAction(c *cli.Context) error {
	if c.Args().Len() > 0 {
		return fmt.Errorf("boot: unexpected arguments %q (the guest's init is --init)", c.Args().Slice())
	}
	root := c.String("root")
	if err := rootfs.CheckRoot(root); err != nil {
		return err
	}
	cfg := vkernel.Config{
		Boot:     true,
		NoReboot: c.Bool("no-reboot"),
		PidsMax:  c.Int("pids-max"),
		Hostname: c.String("hostname"),
		Cred:     sentry.RootCreds(),
		Shares:   c.StringSlice("share"),
		// The environment Linux gives init.
		Env: []string{"HOME=/", "TERM=linux"},
	}
	cfg.FS.Root = root
	cfg.FS.Bare = true
	if p := c.String("init"); p != "" {
		if !strings.HasPrefix(p, "/") {
			return fmt.Errorf("--init %s: not an absolute path", p)
		}
		cfg.Argv = []string{p}
	}
	if _, err := rootfs.NewShares(cfg.Shares); err != nil {
		return err
	}
	for _, s := range c.StringSlice("mount") {
		m, err := rootfs.ParseMount(s)
		if err != nil {
			return err
		}
		cfg.FS.Mounts = append(cfg.FS.Mounts, m)
	}
	return start(c, cfg)
}

// straceTo opens --strace's destination ("-": stderr) into cfg.
func straceTo(dest string, cfg *vkernel.Config) (func(), error) {
	switch dest {
	case "":
		return func() {}, nil
	case "-":
		cfg.Strace = os.Stderr
		return func() {}, nil
	}
	f, err := os.Create(dest)
	if err != nil {
		return nil, fmt.Errorf("--strace: %v", err)
	}
	cfg.Strace = f
	return func() { f.Close() }, nil
}

// mergeEnv sets each K=V of set in base, replacing an earlier K.
func mergeEnv(base, set []string) ([]string, error) {
	out := append([]string(nil), base...)
	for _, kv := range set {
		k, _, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--env %s: want K=V", kv)
		}
		replaced := false
		for i, e := range out {
			if ek, _, _ := strings.Cut(e, "="); ek == k {
				out[i] = kv
				replaced = true
				break
			}
		}
		if !replaced {
			out = append(out, kv)
		}
	}
	return out, nil
}

// parseUser reads --user UID[:GID]; the gid defaults to the uid.
func parseUser(s string) (*sentry.Creds, error) {
	us, gs, hasGID := strings.Cut(s, ":")
	uid, err := strconv.ParseUint(us, 10, 32)
	if err != nil || uid == 1<<32-1 {
		return nil, fmt.Errorf("--user %s: want numeric UID[:GID]", s)
	}
	gid := uid
	if hasGID {
		if gid, err = strconv.ParseUint(gs, 10, 32); err != nil || gid == 1<<32-1 {
			return nil, fmt.Errorf("--user %s: want numeric UID[:GID]", s)
		}
	}
	return sentry.UserCreds(uint32(uid), uint32(gid)), nil
}

// start finishes cfg with the flags run and boot share (--env, --net,
// --strace) and runs the guest; the guest's exit status becomes vkernel's.
func start(c *cli.Context, cfg vkernel.Config) error {
	switch n := c.String("net"); n {
	case "host":
	case "none":
		cfg.NoNetwork = true
	default:
		return fmt.Errorf("--net %s: want host or none", n)
	}
	env, err := mergeEnv(cfg.Env, c.StringSlice("env"))
	if err != nil {
		return err
	}
	cfg.Env = env
	closeStrace, err := straceTo(c.String("strace"), &cfg)
	if err != nil {
		return err
	}
	defer closeStrace()
	code, err := vkernel.Run(cfg)
	if err != nil {
		return err
	}
	if code != 0 {
		return exitError(code)
	}
	return nil
}
