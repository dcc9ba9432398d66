package vkernel

import (
	"fmt"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/bpf"
	"gvisor.dev/gvisor/pkg/seccomp"

	"vkernel/sentry"
)

// sysExecMarker is the system call number the exec rewrite turns a guest's
// execve into, so that the kernel re-runs the filter and sends the sentry a
// notification through which it can install the program's descriptor (see
// exec.go). No Linux system call has this number.
const sysExecMarker = 0xbeef

// traceExec is the RET_TRACE data the filter attaches to execve/execveat.
const traceExec = 1

// tiocGptPeer is TIOCGPTPEER: it opens a pty's slave by descriptor, which
// the descriptor table must see.
const tiocGptPeer = 0x5441

// tiocLinux is TIOCLINUX, which x/sys/unix does not name.
const tiocLinux = 0x541C

// cloneNamespaceFlags are the clone flags that would make host namespaces.
const cloneNamespaceFlags = unix.CLONE_NEWNS | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC |
	unix.CLONE_NEWUSER | unix.CLONE_NEWPID | unix.CLONE_NEWNET | unix.CLONE_NEWCGROUP |
	unix.CLONE_NEWTIME

// nativeSyscalls run on the host untouched: the data path, memory, time,
// signals, and descriptors the guest makes itself (pipes, sockets). None of
// them names a host path or changes what the sentry's descriptor table
// knows.
var nativeSyscalls = []uintptr{
	unix.SYS_READ, unix.SYS_WRITE, unix.SYS_READV, unix.SYS_WRITEV,
	unix.SYS_PREAD64, unix.SYS_PWRITE64, unix.SYS_PREADV, unix.SYS_PWRITEV,
	unix.SYS_PREADV2, unix.SYS_PWRITEV2, unix.SYS_LSEEK,
	unix.SYS_MMAP, unix.SYS_MPROTECT, unix.SYS_MUNMAP, unix.SYS_MREMAP, unix.SYS_MSYNC,
	unix.SYS_MINCORE, unix.SYS_MADVISE, unix.SYS_BRK, unix.SYS_MLOCK, unix.SYS_MLOCK2,
	unix.SYS_MUNLOCK, unix.SYS_MLOCKALL, unix.SYS_MUNLOCKALL, unix.SYS_MSEAL,
	unix.SYS_PKEY_ALLOC, unix.SYS_PKEY_FREE, unix.SYS_PKEY_MPROTECT,
	unix.SYS_RT_SIGACTION, unix.SYS_RT_SIGPROCMASK, unix.SYS_RT_SIGRETURN,
	unix.SYS_RT_SIGPENDING, unix.SYS_RT_SIGTIMEDWAIT,
	unix.SYS_RT_SIGSUSPEND, unix.SYS_SIGALTSTACK,
	unix.SYS_PIPE, unix.SYS_PIPE2, unix.SYS_SELECT, unix.SYS_PSELECT6, unix.SYS_POLL,
	unix.SYS_PPOLL, unix.SYS_EPOLL_CREATE, unix.SYS_EPOLL_CREATE1, unix.SYS_EPOLL_CTL,
	unix.SYS_EPOLL_WAIT, unix.SYS_EPOLL_PWAIT, unix.SYS_EPOLL_PWAIT2,
	unix.SYS_SCHED_YIELD, unix.SYS_NANOSLEEP, unix.SYS_CLOCK_NANOSLEEP,
	unix.SYS_GETITIMER, unix.SYS_SETITIMER, unix.SYS_ALARM, unix.SYS_PAUSE,
	unix.SYS_GETPID, unix.SYS_GETPPID, unix.SYS_GETTID,
	unix.SYS_SOCKET, unix.SYS_ACCEPT, unix.SYS_ACCEPT4,
	unix.SYS_RECVFROM, unix.SYS_RECVMSG, unix.SYS_RECVMMSG, unix.SYS_SHUTDOWN,
	unix.SYS_SETSOCKOPT, unix.SYS_GETSOCKOPT,
	unix.SYS_EXIT, unix.SYS_EXIT_GROUP,
	unix.SYS_WAIT4, unix.SYS_WAITID,

	unix.SYS_FALLOCATE, unix.SYS_SYNC, unix.SYS_SYNC_FILE_RANGE,
	unix.SYS_FADVISE64, unix.SYS_READAHEAD, unix.SYS_COPY_FILE_RANGE,
	unix.SYS_SENDFILE, unix.SYS_SPLICE, unix.SYS_TEE, unix.SYS_VMSPLICE,
	unix.SYS_GETRLIMIT, unix.SYS_SETRLIMIT, unix.SYS_GETRUSAGE,
	unix.SYS_GETTIMEOFDAY, unix.SYS_CLOCK_GETTIME, unix.SYS_CLOCK_GETRES,
	unix.SYS_TIME, unix.SYS_TIMES, unix.SYS_SYSINFO, unix.SYS_UNAME,
	unix.SYS_GETPGID, unix.SYS_SETPGID, unix.SYS_GETSID, unix.SYS_SETSID, unix.SYS_GETPGRP,
	unix.SYS_PRCTL, unix.SYS_ARCH_PRCTL, unix.SYS_PERSONALITY,
	unix.SYS_FUTEX, unix.SYS_FUTEX_WAITV, unix.SYS_FUTEX_WAKE, unix.SYS_FUTEX_WAIT,
	unix.SYS_FUTEX_REQUEUE, unix.SYS_SET_ROBUST_LIST, unix.SYS_GET_ROBUST_LIST,
	unix.SYS_SET_TID_ADDRESS, unix.SYS_RSEQ, unix.SYS_MEMBARRIER, unix.SYS_GETRANDOM,
	unix.SYS_MEMFD_CREATE, unix.SYS_EVENTFD, unix.SYS_EVENTFD2, unix.SYS_SIGNALFD,
	unix.SYS_SIGNALFD4, unix.SYS_TIMERFD_CREATE, unix.SYS_TIMERFD_SETTIME,
	unix.SYS_TIMERFD_GETTIME, unix.SYS_INOTIFY_INIT, unix.SYS_INOTIFY_INIT1,
	unix.SYS_INOTIFY_RM_WATCH,
	unix.SYS_TIMER_CREATE, unix.SYS_TIMER_SETTIME, unix.SYS_TIMER_GETTIME,
	unix.SYS_TIMER_GETOVERRUN, unix.SYS_TIMER_DELETE,
	unix.SYS_SCHED_GETPARAM,
	unix.SYS_SCHED_GETSCHEDULER, unix.SYS_SCHED_GET_PRIORITY_MAX,
	unix.SYS_SCHED_GET_PRIORITY_MIN, unix.SYS_SCHED_RR_GET_INTERVAL,
	unix.SYS_SCHED_GETAFFINITY,
	unix.SYS_SCHED_GETATTR,
	unix.SYS_IOPRIO_GET, unix.SYS_GETCPU,
	unix.SYS_RESTART_SYSCALL, unix.SYS_SET_MEMPOLICY, unix.SYS_GET_MEMPOLICY,
	unix.SYS_MBIND, unix.SYS_MQ_OPEN, unix.SYS_MQ_UNLINK, unix.SYS_MQ_TIMEDSEND,
	unix.SYS_MQ_TIMEDRECEIVE, unix.SYS_MQ_NOTIFY, unix.SYS_MQ_GETSETATTR,
	unix.SYS_SHMGET, unix.SYS_SHMAT, unix.SYS_SHMCTL, unix.SYS_SHMDT,
	unix.SYS_SEMGET, unix.SYS_SEMOP, unix.SYS_SEMCTL, unix.SYS_SEMTIMEDOP,
	unix.SYS_MSGGET, unix.SYS_MSGSND, unix.SYS_MSGRCV, unix.SYS_MSGCTL,
	unix.SYS_IO_SETUP, unix.SYS_IO_DESTROY, unix.SYS_IO_GETEVENTS, unix.SYS_IO_SUBMIT,
	unix.SYS_IO_CANCEL, unix.SYS_IO_PGETEVENTS,
	unix.SYS_PIDFD_OPEN, unix.SYS_SECCOMP,
	unix.SYS_LANDLOCK_CREATE_RULESET, unix.SYS_LANDLOCK_ADD_RULE,
	unix.SYS_LANDLOCK_RESTRICT_SELF, unix.SYS_CACHESTAT,
}

// refusedSyscalls never run on the host, whatever the guest asks: they
// would bypass seccomp (io_uring), reach other processes' memory or the
// host kernel, or use the new mount API (ENOSYS makes tools fall back to
// mount(2), which the sentry serves).
var refusedSyscalls = map[uintptr]unix.Errno{
	unix.SYS_IO_URING_SETUP: unix.ENOSYS, unix.SYS_IO_URING_ENTER: unix.ENOSYS,
	unix.SYS_IO_URING_REGISTER: unix.ENOSYS,
	unix.SYS_PTRACE:            unix.EPERM, unix.SYS_PROCESS_VM_READV: unix.EPERM,
	unix.SYS_PROCESS_VM_WRITEV: unix.EPERM, unix.SYS_PIDFD_GETFD: unix.EPERM,
	unix.SYS_OPEN_BY_HANDLE_AT: unix.EPERM, unix.SYS_NAME_TO_HANDLE_AT: unix.EOPNOTSUPP,
	unix.SYS_BPF: unix.EPERM, unix.SYS_PERF_EVENT_OPEN: unix.EACCES,
	unix.SYS_KEXEC_LOAD: unix.EPERM, unix.SYS_KEXEC_FILE_LOAD: unix.EPERM,
	unix.SYS_INIT_MODULE: unix.EPERM, unix.SYS_FINIT_MODULE: unix.EPERM,
	unix.SYS_DELETE_MODULE: unix.EPERM,
	unix.SYS_KEYCTL:        unix.ENOSYS, unix.SYS_ADD_KEY: unix.ENOSYS, unix.SYS_REQUEST_KEY: unix.ENOSYS,
	unix.SYS_USERFAULTFD: unix.EPERM,
	unix.SYS_FSOPEN:      unix.ENOSYS, unix.SYS_FSMOUNT: unix.ENOSYS, unix.SYS_FSCONFIG: unix.ENOSYS,
	unix.SYS_OPEN_TREE: unix.ENOSYS, unix.SYS_MOVE_MOUNT: unix.ENOSYS,
	unix.SYS_MOUNT_SETATTR: unix.ENOSYS, unix.SYS_FSPICK: unix.ENOSYS,
	unix.SYS_IOPL: unix.EPERM, unix.SYS_IOPERM: unix.EPERM,
	unix.SYS_PROCESS_MADVISE: unix.EPERM, unix.SYS_KCMP: unix.EPERM,
	unix.SYS_FANOTIFY_INIT: unix.EPERM, unix.SYS_SETNS: unix.EPERM,
	unix.SYS_MODIFY_LDT: unix.ENOSYS, unix.SYS_LOOKUP_DCOOKIE: unix.EPERM,
	unix.SYS_MIGRATE_PAGES: unix.EPERM, unix.SYS_MOVE_PAGES: unix.EPERM,
}

// low32 matches an int-typed argument: the kernel ignores the upper half,
// so the filter must too.
func low32(v uintptr) seccomp.ValueMatcher { return seccomp.MaskedEqual(0xffffffff, v) }

// argIn matches when argument i is one of vals (low 32 bits).
func argIn(i int, vals ...uintptr) seccomp.SyscallRule {
	var or seccomp.Or
	for _, v := range vals {
		var pa seccomp.PerArg
		for j := range pa[:6] {
			pa[j] = seccomp.AnyValue{}
		}
		pa[i] = low32(v)
		or = append(or, pa)
	}
	return or
}

// nativeIoctlRule matches the ioctls that run natively: those of the
// types sentry.NativeIoctlTypes and the commands sentry.NativeIoctls.
func nativeIoctlRule() seccomp.SyscallRule {
	or := argIn(1, sentry.NativeIoctls...).(seccomp.Or)
	for _, typ := range sentry.NativeIoctlTypes {
		var pa seccomp.PerArg
		for j := range pa[:6] {
			pa[j] = seccomp.AnyValue{}
		}
		pa[1] = seccomp.MaskedEqual(0xff00, typ)
		or = append(or, pa)
	}
	return or
}

// BuildFilter returns the guest's seccomp program. The first matching rule
// set decides; everything no set matches is sent to the sentry, which
// serves it or answers ENOSYS (and counts it).
func BuildFilter() ([]bpf.Instruction, error) {
	trace := seccomp.MakeSyscallRules(map[uintptr]seccomp.SyscallRule{
		unix.SYS_EXECVE:   seccomp.MatchAll{},
		unix.SYS_EXECVEAT: seccomp.MatchAll{},
	})
	notify := seccomp.MakeSyscallRules(map[uintptr]seccomp.SyscallRule{
		sysExecMarker: seccomp.MatchAll{},
		// The commands that create descriptors (close-on-exec flags are the
		// kernel's: exec asks it), and F_GETFL for O_PATH stand-ins,
		// which the descriptor table must see.
		// F_SETOWN and F_SETOWN_EX (and the sockets' FIOSETOWN and
		// SIOCSPGRP, 0x8901 and 0x8902) direct signals, which the sentry
		// checks.
		unix.SYS_FCNTL: argIn(1, unix.F_DUPFD, unix.F_DUPFD_CLOEXEC, unix.F_GETFL,
			unix.F_SETOWN, unix.F_SETOWN_EX, unix.F_SETLEASE),
		unix.SYS_IOCTL: argIn(1, append(append([]uintptr{tiocGptPeer,
			0x8901, 0x8902}, sentry.InodeIoctls...), append(sentry.PidfdNamespaceIoctls(), sentry.ServedIoctls()...)...)...),
		// The options about credentials, which are the sentry's.
		unix.SYS_PRCTL: argIn(0, sentry.PrctlOptions...),
	})
	// TIOCSTI and TIOCLINUX would type into the host's terminal.
	deny := seccomp.MakeSyscallRules(map[uintptr]seccomp.SyscallRule{
		unix.SYS_IOCTL: argIn(1, unix.TIOCSTI, tiocLinux),
	})
	sets := []seccomp.RuleSet{
		{Rules: trace, Action: seccomp.Trace.Code(traceExec)},
		{Rules: notify, Action: seccomp.UserNotify},
		{Rules: deny, Action: seccomp.ReturnError.Code(uint16(unix.EPERM))},
	}
	byErrno := map[unix.Errno]seccomp.SyscallRules{}
	for nr, e := range refusedSyscalls {
		if _, ok := byErrno[e]; !ok {
			byErrno[e] = seccomp.NewSyscallRules()
		}
		byErrno[e].Set(nr, seccomp.MatchAll{})
	}
	for e, rules := range byErrno {
		sets = append(sets, seccomp.RuleSet{Rules: rules, Action: seccomp.ReturnError.Code(uint16(e))})
	}

	native := seccomp.NewSyscallRules()
	for _, nr := range nativeSyscalls {
		native.Set(nr, seccomp.MatchAll{})
	}
	native.Set(unix.SYS_FCNTL, seccomp.MatchAll{})
	// The ioctls known to be the guest's business (sentry/sys_ioctl.go);
	// any other goes to the sentry, which answers ENOTTY for it.
	native.Set(unix.SYS_IOCTL, nativeIoctlRule())
	// clone of a thread without namespace flags; a new process is checked
	// against RLIMIT_NPROC, namespace flags are EPERM (sentry/sys_proc.go).
	native.Set(unix.SYS_CLONE, seccomp.PerArg{seccomp.MaskedEqual(cloneNamespaceFlags|unix.CLONE_THREAD, unix.CLONE_THREAD)})
	// Limits, priority and scheduling of the caller itself; for another
	// process the sentry checks the permission (sentry/sys_sched.go).
	self := seccomp.PerArg{low32(0)}
	for _, nr := range []uintptr{unix.SYS_PRLIMIT64, unix.SYS_SCHED_SETAFFINITY, unix.SYS_SCHED_SETPARAM,
		unix.SYS_SCHED_SETSCHEDULER, unix.SYS_SCHED_SETATTR} {
		native.Set(nr, self)
	}
	native.Set(unix.SYS_IOPRIO_SET, seccomp.PerArg{low32(1), low32(0)})  // IOPRIO_WHO_PROCESS, 0
	native.Set(unix.SYS_SETPRIORITY, seccomp.PerArg{low32(0), low32(0)}) // PRIO_PROCESS, 0
	// getpriority of a process; a group's (the caller's own may be outside
	// the guest's pid namespace) and a user's are the sentry's.
	native.Set(unix.SYS_GETPRIORITY, seccomp.PerArg{low32(0)})
	// send(2) on a connected socket; with an address the sentry checks it.
	native.Set(unix.SYS_SENDTO, seccomp.PerArg{seccomp.AnyValue{}, seccomp.AnyValue{},
		seccomp.AnyValue{}, seccomp.AnyValue{}, seccomp.EqualTo(0)})
	sets = append(sets, seccomp.RuleSet{Rules: native, Action: seccomp.Allow})

	prog := &seccomp.Program{
		RuleSets: sets,
		Options: seccomp.ProgramOptions{
			DefaultAction: seccomp.UserNotify,
			BadArchAction: seccomp.KillProcess,
			HotSyscalls:   []uintptr{unix.SYS_READ, unix.SYS_WRITE, unix.SYS_FUTEX, unix.SYS_MMAP},
		},
	}
	insns, _, err := prog.Build()
	if err != nil {
		return nil, fmt.Errorf("building the seccomp filter: %w", err)
	}
	return insns, nil
}
