package vkernel

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"vkernel/rootfs"
	"vkernel/sentry"
	"vkernel/sentry/fsimpl/procfs"
	"vkernel/sentry/vfs"
	"vkernel/stats"
)

// Config is everything `vkernel run` needs.
type Config struct {
	// FS describes the guest's mount tree.
	FS rootfs.Config
	// Workdir is the guest's initial working directory ("/" if empty).
	Workdir string
	// Env is the guest's initial environment.
	Env []string
	// Argv is the program and its arguments, as the guest names them.
	Argv []string
	// Hostname is the guest's node name.
	Hostname string
	// Strace receives a line per intercepted call when set.
	Strace io.Writer
	// Stats, when set, receives at exit the report of what vkernel did
	// (package stats): served calls and their cost, dirfs's host calls,
	// the name cache, ptrace stops. Counting is on only when it is set.
	Stats io.Writer
	// Cred is the identity the guest starts with.
	Cred *sentry.Creds
	// Shares are the host directories the guest may mount with dirfs.
	Shares []string
	// Boot makes Argv the guest's init, pid 1 of the guest (vkernel boot)
	// rather than the child of an init of vkernel's own (vkernel run);
	// reboot(2) is then the machine's.
	Boot bool
	// NoReboot makes a guest reboot end vkernel with ExitRebooted instead
	// of booting again.
	NoReboot bool
	// PidsMax bounds the guest's processes and threads (a pids cgroup,
	// where the host lets vkernel make one); 0 for no bound, else at
	// least MinPidsMax.
	PidsMax int
	// PidsMaxAsked says PidsMax was asked for (--pids-max): vkernel then
	// warns, once, when it cannot enforce it.
	PidsMaxAsked bool
	// NoNetwork gives the guest a network namespace of its own with only
	// a loopback interface (--net none): no host network, no host
	// abstract unix sockets.
	NoNetwork bool
}

// ExitRebooted is vkernel boot's exit status when the guest rebooted and
// --no-reboot was given.
const ExitRebooted = 3

// initCandidates are tried in order when vkernel boot is given no --init,
// as Linux's kernel_init does.
var initCandidates = []string{"/sbin/init", "/etc/init", "/bin/init", "/bin/sh"}

// Machine is one running guest: its kernel, the notification servers, the
// tracer, and the host processes behind them.
type Machine struct {
	cfg    Config
	kernel *sentry.Kernel
	l      *listener
	pool   pool
	execs  execTable
	// initPID is the host pid of the guest's init.
	initPID int
	// cg is the guest's pids cgroup (nil for none); initMoved gives the
	// result of moving the init into it (admit).
	cg        *pidsCgroup
	initMoved chan error
	// markCookie tells the sentry's mark signals from the guest's
	// (blocked.go).
	markCookie uint64
	// interrupted holds (as keys) the threads whose blocked call was
	// answered -ERESTARTSYS for a caught signal (blocked.go): their
	// signal-delivery stop must leave it so. A thread's next served call
	// removes it (the signal went to a sibling; the call was restarted).
	interrupted sync.Map
	// blocked holds, by thread, the calls being served that may block
	// (blocked.go), for the tracer to end when their thread dies.
	blocked sync.Map

	mu sync.Mutex
	// rebootCmd is what the guest's reboot(2) asked for. Protected by mu.
	rebootCmd *sentry.RebootCommand
	// stoppedBy is the signal that ended a booted guest from outside; 0
	// while none has. Protected by mu.
	stoppedBy unix.Signal
}

// Run boots a guest from cfg, runs it to completion, and returns the
// program's exit code (128+N for a death by signal N).
func Run(cfg Config) (int, error) {
	// Only stdio reaches the guest: a descriptor vkernel inherited (a
	// shell's `9<dir`) would be a host file outside the guest's tree,
	// open in every guest process.
	if err := unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err != nil {
		return 0, fmt.Errorf("close-on-exec for inherited descriptors: %v", err)
	}
	if cfg.PidsMax < 0 || cfg.PidsMax > 0 && cfg.PidsMax < MinPidsMax {
		return 0, fmt.Errorf("--pids-max %d: vkernel needs at least %d (0: no bound)", cfg.PidsMax, MinPidsMax)
	}
	if cfg.Stats != nil {
		// Every boot of the run is counted, and reported once.
		stats.Enable()
		defer stats.Report(cfg.Stats)
	}
	for {
		code, reboot, err := boot(cfg)
		if err != nil || !reboot {
			return code, err
		}
		cfg.PidsMaxAsked = false // warned at the first boot
		if cfg.NoReboot {
			return ExitRebooted, nil
		}
	}
}

// boot runs the guest once; reboot reports that it asked to restart.
func boot(cfg Config) (code int, reboot bool, err error) {
	shares, err := rootfs.NewShares(cfg.Shares)
	if err != nil {
		return 0, false, err
	}
	v := vfs.New()
	var k *sentry.Kernel
	proc := func() vfs.Filesystem { return procfs.New(v, k.ProcSource()) }
	types := map[string]sentry.NewFilesystem{}
	console := stdioConsole()
	if cfg.Cred != nil {
		console.Own(cfg.Cred.RUID, cfg.Cred.RGID)
	}
	cfg.FS.Console = console
	for name, f := range rootfs.Types(shares, proc, console) {
		types[name] = f
	}
	m := &Machine{cfg: cfg, markCookie: newMarkCookie()}
	kcfg := sentry.Config{VFS: v, Hostname: cfg.Hostname, Strace: cfg.Strace, Filesystems: types}
	if cfg.Boot {
		kcfg.Reboot = m.reboot
	}
	k = sentry.NewKernel(kcfg)
	m.kernel = k
	cfg.FS.Proc = func(*vfs.VFS) vfs.Filesystem { return proc() }
	// The guest's first process starts before the tree is built, which
	// it does not need before the go, unless boot must first find the
	// guest's init in the tree.
	var g *guestStart
	if !cfg.Boot || len(cfg.Argv) > 0 {
		if g, err = m.start(); err != nil {
			return 0, false, err
		}
	}
	abandon := func() {
		if g != nil {
			g.abandon()
		}
	}
	Mark("building the mount tree")
	root, err := rootfs.Build(v, cfg.FS)
	Mark("mount tree built")
	if err != nil {
		abandon()
		return 0, false, err
	}
	cwd := root
	if cfg.Workdir != "" && cfg.Workdir != "/" {
		ctx := &vfs.Context{Root: root, Cwd: root, Cred: vfs.RootCred()}
		cwd, err = v.Walk(ctx, root, cfg.Workdir, vfs.FollowFinal|vfs.MustBeDir)
		if err != nil {
			abandon()
			return 0, false, fmt.Errorf("--workdir %s: %v in the guest", cfg.Workdir, err)
		}
	}
	if cfg.Cred == nil {
		cfg.Cred = sentry.RootCreds()
	}
	if !cfg.Boot && len(cfg.Argv) > 0 {
		if code, stop := hintProgram(k, root, cwd, cfg); stop {
			abandon()
			return code, false, nil
		}
	}
	if cfg.Boot && len(cfg.Argv) == 0 {
		ctx := &vfs.Context{Root: root, Cwd: root, Cred: vfs.RootCred()}
		for _, p := range initCandidates {
			// As Linux: a candidate that exists but cannot be executed
			// is reported, and the next one tried.
			err := k.CanExec(ctx, p)
			if err == nil {
				cfg.Argv = []string{p}
				break
			}
			if err != unix.ENOENT {
				fmt.Fprintf(os.Stderr, "vkernel: starting init: %s exists but couldn't execute it (%v)\n", p, err)
			}
		}
		if len(cfg.Argv) == 0 {
			return 0, false, fmt.Errorf("no init found in the guest (tried %s)", strings.Join(initCandidates, ", "))
		}
	}
	m.cfg = cfg
	if g == nil {
		if g, err = m.start(); err != nil {
			return 0, false, err
		}
	}
	code, err = m.run(g, root, cwd)
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case m.stoppedBy != 0 || m.rebootCmd == nil:
		return code, false, err
	case *m.rebootCmd == sentry.Restart:
		return 0, true, nil
	default:
		return 0, false, nil
	}
}

// netFlag is CLONE_NEWNET when the guest gets no network.
func (m *Machine) netFlag() uintptr {
	if m.cfg.NoNetwork {
		return syscall.CLONE_NEWNET
	}
	return 0
}

// signalled handles a signal sent to vkernel. Under run it goes to the
// guest's init, which passes it to the program. A booted guest's init
// gives SIGTERM, SIGINT and SIGHUP meanings of its own (busybox init
// reboots on SIGTERM; another may ignore it), so those end the machine at
// once, as a virtual machine's monitor does, and vkernel exits with
// 128+N; the other forwarded signals reach init (busybox's powers off on
// SIGUSR2, halts on SIGUSR1).
func (m *Machine) signalled(sig unix.Signal) {
	if m.cfg.Boot && (sig == unix.SIGTERM || sig == unix.SIGINT || sig == unix.SIGHUP) {
		m.mu.Lock()
		if m.stoppedBy == 0 {
			m.stoppedBy = sig
		}
		m.mu.Unlock()
		unix.Kill(m.initPID, unix.SIGKILL)
		return
	}
	unix.Kill(m.initPID, sig)
}

// reboot carries out the guest's reboot(2): the guest's pid 1 is killed,
// which ends every guest process, and boot reports what was asked.
func (m *Machine) reboot(cmd sentry.RebootCommand) {
	m.mu.Lock()
	if m.rebootCmd == nil {
		m.rebootCmd = &cmd
	}
	m.mu.Unlock()
	unix.Kill(m.initPID, unix.SIGKILL)
}

// guestStart is the guest's first process, started before the mount tree
// is built (start), and what goes with it.
type guestStart struct {
	ctl  int
	cg   *pidsCgroup
	init *os.Process
}

// start makes the control socket and the pids cgroup and starts the
// guest's first process (the init; under boot the stub), which goes into
// the cgroup while its runtime starts (admit). Nothing it does before the
// sentry's go needs the mount tree, which boot builds meanwhile.
func (m *Machine) start() (*guestStart, error) {
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	ctl, child := pair[0], pair[1]
	if err := unix.SetsockoptInt(ctl, unix.SOL_SOCKET, unix.SO_PASSCRED, 1); err != nil {
		unix.Close(ctl)
		unix.Close(child)
		return nil, fmt.Errorf("control socket: %w", err)
	}
	// The os.File owns the child's end: closing it by number as well
	// would let its finalizer close a reused descriptor later.
	childFile := os.NewFile(uintptr(child), "control")
	cg := newPidsCgroup(m.cfg.PidsMax)
	Mark("pids cgroup made")
	if cg == nil && m.cfg.PidsMax > 0 && m.cfg.PidsMaxAsked {
		fmt.Fprintf(os.Stderr, "vkernel: warning: --pids-max %d is not enforced: no pids cgroup can be made (not root, or no pids controller)\n", m.cfg.PidsMax)
	}
	initProc, err := m.startInit(childFile)
	Mark("init started")
	childFile.Close()
	if err != nil {
		unix.Close(ctl)
		cg.remove()
		return nil, err
	}
	m.initPID = initProc.Pid
	// The init goes into the cgroup while its runtime starts and it
	// starts the stub; the stub follows when it says hello (admit).
	m.cg = cg
	m.initMoved = make(chan error, 1)
	go func() {
		m.initMoved <- cg.move(initProc.Pid)
		Mark("init in the pids cgroup")
	}()
	return &guestStart{ctl: ctl, cg: cg, init: initProc}, nil
}

// abandon ends a guest that was started but will not run (the mount tree
// could not be built): the init's death ends every process of its pid
// namespace.
func (g *guestStart) abandon() {
	g.init.Kill()
	g.init.Wait()
	unix.Close(g.ctl)
	g.cg.remove()
}

func (m *Machine) run(g *guestStart, root, cwd vfs.VirtualDentry) (int, error) {
	ctl, cg, initProc := g.ctl, g.cg, g.init
	defer unix.Close(ctl)
	defer cg.remove()
	if !m.cfg.Boot {
		m.kernel.SetInit(initProc.Pid, root)
	}

	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, forwardedSignals...)
	defer signal.Stop(sigs)
	go func() {
		for s := range sigs {
			m.signalled(s.(syscall.Signal))
		}
	}()

	type result struct {
		code int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		// Every ptrace request comes from this thread.
		runtime.LockOSThread()
		code, err := m.trace(ctl, root, cwd)
		done <- result{code, err}
	}()
	r := <-done
	Mark("guest gone")
	restoreTerminal()
	m.mu.Lock()
	if m.stoppedBy != 0 {
		r.code = 128 + int(m.stoppedBy)
	}
	m.mu.Unlock()
	if u := m.kernel.Unimplemented(); len(u) > 0 && m.cfg.Strace != nil {
		fmt.Fprintf(m.cfg.Strace, "vkernel: calls answered ENOSYS (not implemented): %s\n", strings.Join(u, " "))
	}
	return r.code, r.err
}

// startInit starts the guest's pid 1 in new pid, user, UTS and IPC
// namespaces; without them (no privilege for a user namespace) the guest
// runs among host pids, with a warning.
func (m *Machine) startInit(ctl *os.File) (*os.Process, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding the vkernel binary: %w", err)
	}
	first := initCommand
	if m.cfg.Boot {
		// The guest's own init is pid 1: the stub becomes it.
		first = stubCommand
	}
	argv := []string{"vkernel", first, "--hostname", m.cfg.Hostname}
	if max, fileMax := raiseNofile(); max > 0 {
		argv = append(argv, "--nofile-max", strconv.FormatUint(max, 10))
		m.kernel.SetFileMax(int64(fileMax))
	}
	if m.cfg.NoNetwork {
		argv = append(argv, "--loopback")
	}
	argv = append(append(argv, "--"), m.cfg.Argv...)
	attr := &os.ProcAttr{
		Dir:   "/",
		Env:   m.cfg.Env,
		Files: []*os.File{os.Stdin, os.Stdout, os.Stderr, ctl},
		Sys: &syscall.SysProcAttr{
			// Mount, cgroup and time namespaces of their own too: no
			// namespace of the host's is left to open through the init
			// (a pidfd's namespace ioctls, /proc/PID/ns at the host level).
			Cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWUSER | syscall.CLONE_NEWUTS | syscall.CLONE_NEWIPC |
				syscall.CLONE_NEWNS | syscall.CLONE_NEWCGROUP | m.netFlag(),
			Unshareflags:               unix.CLONE_NEWTIME,
			UidMappings:                []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1<<32 - 1}},
			GidMappings:                []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1<<32 - 1}},
			GidMappingsEnableSetgroups: true,
			Pdeathsig:                  syscall.SIGKILL,
		},
	}
	if uid, gid := os.Getuid(), os.Getgid(); uid != 0 {
		attr.Sys.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: uid, Size: 1}}
		attr.Sys.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: gid, Size: 1}}
		attr.Sys.GidMappingsEnableSetgroups = false
	}
	p, err := os.StartProcess(exe, argv, attr)
	if err != nil && attr.Sys.Unshareflags != 0 {
		// A kernel without time namespaces (before 5.6): the rest still
		// holds, the time namespace is the host's.
		attr.Sys.Unshareflags = 0
		p, err = os.StartProcess(exe, argv, attr)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "vkernel: warning: no pid namespace (%v); the guest sees host pids\n", err)
		// Nor a UTS namespace: the guest's host name is the host's.
		m.kernel.HostUTS()
		attr.Sys.Cloneflags, attr.Sys.Unshareflags = 0, 0
		attr.Sys.UidMappings, attr.Sys.GidMappings = nil, nil
		p, err = os.StartProcess(exe, argv, attr)
	}
	if err != nil {
		return nil, fmt.Errorf("starting the guest: %w", err)
	}
	return p, nil
}

// trace seizes the guest's first process, takes its seccomp listener,
// starts the notification servers and runs the tracer until the guest is
// gone. It runs on a locked thread: the tracer must be waiting for stops
// as soon as the stub is seized (a signal stops a traced thread until its
// tracer resumes it), so the rest of the handshake runs beside it.
func (m *Machine) trace(ctl int, root, cwd vfs.VirtualDentry) (int, error) {
	t := newTracer(m)
	t.initPID = m.initPID
	stub, err := m.seize(ctl, t)
	if err != nil {
		// The guest never started; wait for the init to go.
		t.loop()
		return 125, err
	}
	t.mainPID = stub
	// The task exists before the stub can make a call the sentry serves:
	// the listener is not served before the servers start, below.
	m.kernel.NewInitTask(stub, root, cwd, m.cfg.Cred, m.stdioFDs(root))
	herr := make(chan error, 1)
	go func() { herr <- m.takeListener(ctl, stub) }()
	t.loop()
	if err := <-herr; err != nil && !t.mainDone {
		return 125, err
	}
	if !t.mainDone {
		return 125, errors.New("the guest's main process vanished")
	}
	return ExitCode(t.mainStatus), nil
}

// seize runs the first half of the control protocol (see stub.go): it
// learns the stub's pid, seizes it and lets it go on.
func (m *Machine) seize(ctl int, t *tracer) (int, error) {
	buf := make([]byte, 64)
	oob := make([]byte, unix.CmsgSpace(unix.SizeofUcred))
	// Under run, the init's ready comes too, before or after the hello:
	// the go waits for both.
	pid, ready := 0, m.cfg.Boot
	for pid == 0 || !ready {
		n, oobn, _, _, err := unix.Recvmsg(ctl, buf, oob, 0)
		if err == nil && !ready && string(buf[:n]) == msgReady {
			ready = true
			continue
		}
		Mark("hello")
		if err != nil || pid != 0 || string(buf[:n]) != msgHello {
			return 0, fmt.Errorf("the guest's stub did not start (%v)", err)
		}
		cmsgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err != nil || len(cmsgs) == 0 {
			return 0, fmt.Errorf("the stub's credentials: %v", err)
		}
		cred, err := unix.ParseUnixCredentials(&cmsgs[0])
		if err != nil {
			return 0, fmt.Errorf("the stub's credentials: %v", err)
		}
		pid = int(cred.Pid)
	}
	if err := m.admit(pid); err != nil {
		unix.Kill(m.initPID, unix.SIGKILL)
		return 0, err
	}
	if _, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SEIZE, uintptr(pid), 0, ptraceOptions, 0, 0); e != 0 {
		return 0, fmt.Errorf("ptrace: %w", e)
	}
	t.started[pid] = true
	if _, err := unix.Write(ctl, []byte(msgGo)); err != nil {
		return 0, err
	}
	Mark("stub seized")
	return pid, nil
}

// admit puts the guest's first processes into the pids cgroup and bounds
// it, before the stub (pid) is let go on. The init (under boot, the stub
// itself) was born outside the cgroup and moved in as soon as it was
// started; the stub, the init's only child, was born before or after
// that move, so it is moved too. Both are vkernel's code and have made no
// process but the stub: once both are in, with all their threads (move),
// every guest process is born inside, as the stub makes the first one
// only after the go that follows. The bound is written last, so that
// neither move can fail on it.
func (m *Machine) admit(stub int) error {
	if err := <-m.initMoved; err != nil {
		return fmt.Errorf("moving the guest into its pids cgroup: %w", err)
	}
	if stub != m.initPID {
		if err := m.cg.move(stub); err != nil {
			return fmt.Errorf("moving the guest into its pids cgroup: %w", err)
		}
	}
	Mark("stub in the pids cgroup")
	if err := m.cg.limit(); err != nil {
		return fmt.Errorf("--pids-max %d: %v", m.cfg.PidsMax, err)
	}
	return nil
}

// takeListener runs the second half: the stub reports its listener's
// number, the sentry takes the listener and starts serving it.
func (m *Machine) takeListener(ctl, pid int) error {
	buf := make([]byte, 64)
	n, err := unix.Read(ctl, buf)
	if err != nil {
		return fmt.Errorf("the stub's listener: %w", err)
	}
	num, ok := strings.CutPrefix(string(buf[:n]), "listener ")
	lnum, err := strconv.Atoi(num)
	if !ok || err != nil {
		return fmt.Errorf("the stub did not report its listener (%q)", buf[:n])
	}
	pfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return fmt.Errorf("pidfd_open: %w", err)
	}
	lfd, err := unix.PidfdGetfd(pfd, lnum, 0)
	unix.Close(pfd)
	if err != nil {
		return fmt.Errorf("taking the seccomp listener: %w", err)
	}
	m.l = &listener{fd: lfd}
	// Wake the guest thread on the answering CPU (Linux 6.6+): one cross-CPU
	// wakeup less per served call. Older kernels refuse; that is fine.
	if err := m.l.setSyncWakeUp(); err != nil {
		debugf("sync wake-up: %v", err)
	}
	Mark("listener taken")
	if err := m.servePolled(); err != nil {
		// Without the poller, a pool of servers blocked in the ioctl.
		debugf("polled notifications: %v", err)
		m.startServers()
	}
	return nil
}

// mainExited is told when the guest's main process has exited.
func (m *Machine) mainExited(ws unix.WaitStatus) {}

// restoreTerminal gives the terminal's foreground back to vkernel's
// process group, which the init gave to the guest.
func restoreTerminal() {
	if _, err := unix.IoctlGetTermios(0, unix.TCGETS); err != nil {
		return
	}
	signal.Ignore(unix.SIGTTOU)
	defer signal.Reset(unix.SIGTTOU)
	unix.IoctlSetPointerInt(0, unix.TIOCSPGRP, unix.Getpgrp())
}
