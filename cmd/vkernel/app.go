package main

import (
	"fmt"
	"io"
	"os"
	"path"
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
	cli.FlagStringer = flagString // urfave/cli's help lines are a package variable
	return &cli.App{
		Name:  "vkernel",
		Usage: "run Linux programs in a user-space kernel",
		Description: "vkernel runs unmodified Linux x86-64 programs as ordinary host processes whose\n" +
			"file, namespace and identity system calls are served by vkernel's own kernel\n" +
			"(its VFS, mounts and descriptor table), so the program sees only the guest's\n" +
			"tree: a host directory (--root, served by dirfs) or, by default, the host's /\n" +
			"read-only with a private /tmp. Reads, writes and mmap run natively.",
		HideHelpCommand: true,
		// A repeatable flag takes its value whole: commas separate
		// --tmpfs options and may stand in --env values and paths.
		DisableSliceFlagSeparator: true,
		// vkernel's own errors are one line on stderr and status 125 (main):
		// a bad flag or an unknown command too, without the usage text.
		OnUsageError: usageError,
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return fmt.Errorf("unknown command %q (see vkernel --help)", c.Args().First())
			}
			return cli.ShowAppHelp(c)
		},
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

// usageError makes a flag the command cannot parse one line: the flag
// package's complaint and where the flags are listed.
func usageError(c *cli.Context, err error, _ bool) error {
	return fmt.Errorf("%v (see %s --help)", err, c.Command.HelpName)
}

// defaultFlagString is urfave/cli's help line for a flag.
var defaultFlagString = cli.FlagStringer

// flagString is a flag's help line: urfave/cli's, without the
// "[ --flag X ]" it appends to a repeatable flag (the usage says
// "repeatable"), and --strace and --stats as what they take: --strace or
// --strace=FILE (preprocessArgs turns a lone --strace into --strace=-).
func flagString(f cli.Flag) string {
	names, usage, _ := strings.Cut(defaultFlagString(f), "\t")
	if n := f.Names()[0]; optionalFile[n] {
		names = "--" + n + "[=FILE]"
	} else if sf, ok := f.(cli.DocGenerationSliceFlag); ok && sf.IsSliceFlag() {
		names, _, _ = strings.Cut(names, " [ ")
	}
	return names + "\t" + usage
}

func runCommand() *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "run a program in a guest",
		ArgsUsage: "-- PROGRAM [ARGS...]",
		// No help subcommand: `vkernel run -- help` runs a program.
		HideHelpCommand: true,
		OnUsageError:    usageError,
		Description: "Boots a guest and runs PROGRAM in it (found through the guest's PATH when it\n" +
			"has no slash). vkernel exits with the program's status, 128+N if a signal N\n" +
			"killed it, 127 if the program is not found in the guest, 126 if it cannot be\n" +
			"executed, and 125 for vkernel's own errors.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "root", Usage: "boot from host directory `DIR` (dirfs); default: the host's / read-only with a private /tmp"},
			&cli.StringSliceFlag{Name: "mount", Aliases: []string{"m"}, Usage: "mount a host directory in the guest: `HOST:GUEST[:ro]` mounts HOST at guest path GUEST, read-only with :ro (repeatable; GUEST not /: the root is --root)"},
			&cli.StringSliceFlag{Name: "tmpfs", Usage: "mount a private tmpfs at guest `PATH[:OPTS]`, OPTS as mount -t tmpfs -o takes them: size=N[k|m|g|%], nr_blocks=N, nr_inodes=N, mode=OCTAL (default 1777), uid=N, gid=N, comma-separated (repeatable; not at /)"},
			&cli.StringFlag{Name: "workdir", Aliases: []string{"w"}, Usage: "start in guest directory `DIR`", Value: "/"},
			&cli.StringSliceFlag{Name: "env", Aliases: []string{"e"}, Usage: "set `K=V` in the guest's environment (repeatable)"},
			&cli.BoolFlag{Name: "clear-env", Usage: "start from an empty environment instead of vkernel's own"},
			&cli.StringFlag{Name: "net", Value: "host", Usage: "the guest's network, `host|none`: host (the host's network and abstract unix sockets) or none (a network namespace of its own, loopback only)"},
			&cli.IntFlag{Name: "pids-max", Value: vkernel.DefaultPidsMax, Usage: "bound the guest's processes and threads to `N`, at least " + strconv.Itoa(vkernel.MinPidsMax) + " (a pids cgroup, where vkernel may make one; 0: no bound)"},
			&cli.StringFlag{Name: "user", Aliases: []string{"u"}, Usage: "run as guest user `UID[:GID]` (numeric; default 0:0, a root with every capability)"},
			&cli.StringFlag{Name: "hostname", Usage: "the guest's host `NAME`, 1 to 64 bytes (default: the host's)"},
			&cli.StringSliceFlag{Name: "share", Usage: "let the guest mount host directory `DIR` (and what is below it) with mount -t dirfs (repeatable; none by default; / gives DragonFly's semantics)"},
			&cli.StringFlag{Name: "strace", Usage: straceUsage},
			&cli.StringFlag{Name: "stats", Usage: statsUsage},
		},
		Action: runAction,
	}
}

const straceUsage = "log every intercepted call, decoded, with its result: --strace alone to stderr, --strace=FILE to FILE (FILE only after =: --strace FILE would run FILE as the program)"

const statsUsage = "at exit, report what vkernel did: served calls by system call with their count and cost, calls answered CONTINUE and ENOSYS, dirfs's host calls per vnode operation, the name cache's hits, misses and revalidations, ptrace stops; --stats alone to stderr, --stats=FILE to FILE (FILE only after =)"

// optionalFile are the flags that take FILE only after "=": alone, they
// mean stderr.
var optionalFile = map[string]bool{"strace": true, "stats": true}

// preprocessArgs lets --strace and --stats stand alone: `--strace` means
// stderr.
func preprocessArgs(args []string) []string {
	out := make([]string, 0, len(args))
	seenDash := false
	for _, a := range args {
		if a == "--" {
			seenDash = true
		}
		if !seenDash && strings.HasPrefix(a, "--") && optionalFile[a[2:]] {
			a += "=-"
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
		PidsMax: c.Int("pids-max"),
		Workdir: c.String("workdir"),
		Argv:    argv,
		Cred:    sentry.RootCreds(),
	}
	if !strings.HasPrefix(cfg.Workdir, "/") {
		return fmt.Errorf("--workdir %q: not an absolute path", cfg.Workdir)
	}
	if c.IsSet("user") {
		cred, err := parseUser(c.String("user"))
		if err != nil {
			return err
		}
		cfg.Cred = cred
	}
	if c.IsSet("root") {
		root, err := rootFlag(c)
		if err != nil {
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
	for _, s := range c.StringSlice("tmpfs") {
		t, err := rootfs.ParseTmpfs(s)
		if err != nil {
			return err
		}
		cfg.FS.Tmpfs = append(cfg.FS.Tmpfs, t)
	}
	// Non-nil even when empty: a nil Env would give the guest vkernel's
	// own environment (os.StartProcess).
	cfg.Env = []string{}
	if !c.Bool("clear-env") {
		cfg.Env = os.Environ()
	}
	return start(c, cfg)
}

func bootCommand() *cli.Command {
	return &cli.Command{
		Name:            "boot",
		Usage:           "boot a guest userland: its init as the guest's pid 1",
		ArgsUsage:       " ",
		HideHelpCommand: true,
		OnUsageError:    usageError,
		Description: "Boots the userland in host directory --root (served by dirfs): its init (--init,\n" +
			"else /sbin/init, /etc/init, /bin/init, /bin/sh, as Linux does) runs as the\n" +
			"guest's pid 1 with the console on vkernel's stdio. The guest's poweroff or\n" +
			"halt ends vkernel with status 0 once every guest process is gone; its reboot\n" +
			"boots it again, or ends vkernel with status 3 under --no-reboot. If init\n" +
			"exits, vkernel exits with its status. Killing vkernel kills the guest.",
		Flags: []cli.Flag{
			// Required, but checked by bootAction: urfave/cli would print the usage.
			&cli.StringFlag{Name: "root", Usage: "boot the userland in host directory `DIR` (required)"},
			&cli.StringFlag{Name: "init", Usage: "run guest program `PATH` as init"},
			&cli.StringSliceFlag{Name: "share", Usage: "let the guest mount host directory `DIR` (and what is below it) with mount -t dirfs (repeatable)"},
			&cli.StringSliceFlag{Name: "mount", Aliases: []string{"m"}, Usage: "mount a host directory in the guest: `HOST:GUEST[:ro]` mounts HOST at guest path GUEST, read-only with :ro (repeatable; GUEST not /: the root is --root)"},
			&cli.StringFlag{Name: "hostname", Usage: "the guest's host `NAME`, 1 to 64 bytes (default: the host's)"},
			&cli.StringSliceFlag{Name: "env", Aliases: []string{"e"}, Usage: "add `K=V` to init's environment (repeatable)"},
			&cli.StringFlag{Name: "net", Value: "host", Usage: "the guest's network, `host|none`: host (the host's network and abstract unix sockets) or none (a network namespace of its own, loopback only)"},
			&cli.IntFlag{Name: "pids-max", Value: vkernel.DefaultPidsMax, Usage: "bound the guest's processes and threads to `N`, at least " + strconv.Itoa(vkernel.MinPidsMax) + " (a pids cgroup, where vkernel may make one; 0: no bound)"},
			&cli.BoolFlag{Name: "no-reboot", Usage: "exit with status 3 when the guest reboots, instead of booting it again"},
			&cli.StringFlag{Name: "strace", Usage: straceUsage},
			&cli.StringFlag{Name: "stats", Usage: statsUsage},
		},
		Action: bootAction,
	}
}

func bootAction(c *cli.Context) error {
	if c.Args().Len() > 0 {
		return fmt.Errorf("boot: unexpected arguments %q (the guest's init is --init)", c.Args().Slice())
	}
	if !c.IsSet("root") {
		return fmt.Errorf("boot: --root DIR is required (see vkernel boot --help)")
	}
	root, err := rootFlag(c)
	if err != nil {
		return err
	}
	cfg := vkernel.Config{
		Boot:     true,
		NoReboot: c.Bool("no-reboot"),
		PidsMax:  c.Int("pids-max"),
		Cred:     sentry.RootCreds(),
		Shares:   c.StringSlice("share"),
		// The environment Linux gives init.
		Env: []string{"HOME=/", "TERM=linux"},
	}
	cfg.FS.Root = root
	cfg.FS.Bare = true
	if c.IsSet("init") {
		p := c.String("init")
		if !path.IsAbs(p) {
			return fmt.Errorf("--init %q: not an absolute path", p)
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

// rootFlag reads a given --root: an existing host directory.
func rootFlag(c *cli.Context) (string, error) {
	root := c.String("root")
	if root == "" {
		return "", fmt.Errorf(`--root "": want a host directory`)
	}
	return root, rootfs.CheckRoot(root)
}

// maxHostname is Linux's bound on a node name (__NEW_UTS_LEN).
const maxHostname = 64

// hostnameFlag reads --hostname: "" when not given (the host's name stays),
// else 1 to maxHostname bytes, as sethostname(2) takes.
func hostnameFlag(c *cli.Context) (string, error) {
	h := c.String("hostname")
	switch {
	case !c.IsSet("hostname"):
	case h == "":
		return "", fmt.Errorf(`--hostname "": want a name of 1 to %d bytes`, maxHostname)
	case len(h) > maxHostname:
		return "", fmt.Errorf("--hostname %q: %d bytes, want at most %d", h, len(h), maxHostname)
	}
	return h, nil
}

// outputTo opens the destination of flag name (--strace, --stats), when
// given, into *w: "-" (the flag alone) is stderr, anything else a file.
func outputTo(c *cli.Context, name string, w *io.Writer) (func(), error) {
	dest := c.String(name)
	switch {
	case !c.IsSet(name):
		return func() {}, nil
	case dest == "":
		return nil, fmt.Errorf(`--%s="": want --%s alone (stderr) or --%s=FILE`, name, name, name)
	case dest == "-":
		*w = os.Stderr
		return func() {}, nil
	}
	f, err := os.Create(dest)
	if err != nil {
		return nil, fmt.Errorf("--%s: %v", name, err)
	}
	*w = f
	return func() { f.Close() }, nil
}

// mergeEnv sets each K=V of set in base, replacing an earlier K. The result
// is never nil: an empty environment stays empty.
func mergeEnv(base, set []string) ([]string, error) {
	out := append(make([]string, 0, len(base)+len(set)), base...)
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
		return nil, fmt.Errorf("--user %q: want numeric UID[:GID]", s)
	}
	gid := uid
	if hasGID {
		if gid, err = strconv.ParseUint(gs, 10, 32); err != nil || gid == 1<<32-1 {
			return nil, fmt.Errorf("--user %q: want numeric UID[:GID]", s)
		}
	}
	return sentry.UserCreds(uint32(uid), uint32(gid)), nil
}

// start finishes cfg with the flags run and boot share (--env, --net,
// --hostname, --strace, --stats) and runs the guest; the guest's exit status
// becomes vkernel's.
func start(c *cli.Context, cfg vkernel.Config) error {
	switch n := c.String("net"); n {
	case "host":
	case "none":
		cfg.NoNetwork = true
	default:
		return fmt.Errorf("--net %s: want host or none", n)
	}
	cfg.PidsMaxAsked = c.IsSet("pids-max")
	env, err := mergeEnv(cfg.Env, c.StringSlice("env"))
	if err != nil {
		return err
	}
	cfg.Env = env
	if cfg.Hostname, err = hostnameFlag(c); err != nil {
		return err
	}
	closeStrace, err := outputTo(c, "strace", &cfg.Strace)
	if err != nil {
		return err
	}
	defer closeStrace()
	closeStats, err := outputTo(c, "stats", &cfg.Stats)
	if err != nil {
		return err
	}
	defer closeStats()
	code, err := vkernel.Run(cfg)
	if err != nil {
		return err
	}
	if code != 0 {
		return exitError(code)
	}
	return nil
}
