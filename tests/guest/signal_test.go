package guest

import (
	"path/filepath"
	"testing"
)

// TestSignalsRestartServedCalls runs testdata/eintr.c natively and in the
// guest: a handler without SA_RESTART catching a 100 µs timer must not make
// stat, open, close, getcwd, mkdir or rmdir fail with EINTR (the guest's
// served calls wait for the sentry, and a signal before the sentry took
// the call must restart it), while a blocking flock still fails with
// EINTR, as Linux.
func TestSignalsRestartServedCalls(t *testing.T) {
	root := needRootfs(t, "bookworm")
	host, guest := workDir(t, root, "eintr")
	buildC(t, "eintr.c", filepath.Join(host, "eintr"), "-static")
	sameAsNative(t, root, []string{"/bin/sh", "-c", "cd " + guest + " && ./eintr"}, "eintr=0 other=0 caught=yes")
}

// TestFatalSignalBlockedOpen: a fatal signal ends a process blocked in an
// open the sentry serves (a fifo with no writer), natively and in the
// guest: SIGTERM from another process, and an alarm.
func TestFatalSignalBlockedOpen(t *testing.T) {
	root := needRootfs(t, "bookworm")
	_, guest := workDir(t, root, "fifokill")
	sameAsNative(t, root, []string{"/bin/sh", "-c", "cd " + guest + ` && mkfifo f
cat f & pid=$!
sleep 0.3; kill $pid; wait $pid; echo "cat killed: $?"
perl -e 'alarm 1; open(F, "<", "f"); print "opened\n"'; echo "alarm: $?"`}, "cat killed: 143\nalarm: 142\n")
}

// TestSignalBlockedFifoOpen runs testdata/fifointr.c natively and in the
// guest: a caught signal interrupts a blocking fifo open as Linux's
// SA_RESTART says (EINTR leaving no reader or writer behind, or a restart
// that meets the peer), a stop signal stops the process in it, and a
// signal another thread takes leaves it alone.
func TestSignalBlockedFifoOpen(t *testing.T) {
	root := needRootfs(t, "bookworm")
	host, guest := workDir(t, root, "fifointr")
	buildC(t, "fifointr.c", filepath.Join(host, "fifointr"), "-static", "-pthread")
	sameAsNative(t, root, []string{"/bin/sh", "-c", "cd " + guest + " && ./fifointr"}, `reader, no SA_RESTART: -1 Interrupted system call caught=1
after the reader: reader left: no, writer left: no
writer, no SA_RESTART: -1 Interrupted system call caught=1
after the writer: reader left: no, writer left: no
reader, SA_RESTART: opened caught=1 read=2 hi peer=0
writer, SA_RESTART: opened caught=1 wrote=2 peer=0
stopped in the open: yes
after SIGCONT: wrote=2 reader=0
other thread's signal: opened caught=1 read=2 hi peer=0
ignored then caught: -1 Interrupted system call caught=1
restarted 15 times: opened read=2 hi caught=15 peer=0
real-time signals caught: 0
`)
	// A process killed in a blocked open leaves no reader behind: a
	// writer that comes after waits for one, as on Linux.
	_, dir := workDir(t, root, "fifokilled")
	sameAsNative(t, root, []string{"/bin/sh", "-c", "cd " + dir + ` && rm -f g && mkfifo g
cat g & p=$!; sleep 0.3; kill -9 $p; wait $p
timeout 1 sh -c 'echo hi > g'; echo "writer: $?"`}, "writer: 124\n")
}

// TestKillPermission runs testdata/killperm.c natively and in the guest:
// an unprivileged user may not signal root's process by any call (kill,
// tgkill, tkill, rt_sigqueueinfo, pidfd_send_signal), but may send it
// SIGCONT within its session; a group kill reaches only the user's own
// process, and kill(-1) too.
func TestKillPermission(t *testing.T) {
	root := needRootfs(t, "bookworm")
	host, guest := workDir(t, root, "killperm")
	buildC(t, "killperm.c", filepath.Join(host, "killperm"), "-static", "-pthread")
	sameAsNative(t, root, []string{"/bin/sh", "-c", "cd " + guest + " && ./killperm"}, `kill: Operation not permitted
kill 0: Operation not permitted
kill SIGCONT, same session: ok
tgkill: Operation not permitted
tkill: Operation not permitted
rt_sigqueueinfo: Operation not permitted
pidfd_send_signal: Operation not permitted
kill a pid that is not: No such process
kill by the id of its other thread: Operation not permitted
kill init: Operation not permitted
prlimit init: Operation not permitted
kill the group (own child and victim): ok
kill -1: ok
kill own child: ok
own child got (usr1 usr2 cont): 110
victim got (usr1 usr2 cont): 001
`)
}

// TestPriorityPermission runs testdata/prioperm.c natively and in the
// guest: an unprivileged user may not change root's process's limits,
// priority, affinity, scheduler or I/O priority (nor read its limits), but
// may its own child's; PRIO_USER finds the user's processes by uid.
func TestPriorityPermission(t *testing.T) {
	root := needRootfs(t, "bookworm")
	host, guest := workDir(t, root, "prioperm")
	buildC(t, "prioperm.c", filepath.Join(host, "prioperm"), "-static")
	sameAsNative(t, root, []string{"/bin/sh", "-c", "cd " + guest + " && ./prioperm"}, `root's: prlimit get: Operation not permitted
root's: prlimit set: Operation not permitted
root's: setpriority: Operation not permitted
root's: sched_setaffinity: Operation not permitted
root's: sched_setscheduler: Operation not permitted
root's: ioprio_set: Operation not permitted
own: prlimit get: ok
own: prlimit set: ok
own: setpriority: ok
own: sched_setaffinity: ok
own: sched_setscheduler: ok
own: ioprio_set: ok
setpriority user: ok
getpriority user: 7 
own child's nice: 7
setpriority uid 2000: No such process
root's nice: 0
`)
}

// TestNproc runs testdata/nproc.c natively and in the guest:
// RLIMIT_NPROC bounds an unprivileged user's fork and vfork (EAGAIN), and
// root is exempt.
func TestNproc(t *testing.T) {
	root := needRootfs(t, "bookworm")
	host, guest := workDir(t, root, "nproc")
	buildC(t, "nproc.c", filepath.Join(host, "nproc"), "-static")
	sameAsNative(t, root, []string{"/bin/sh", "-c", "cd " + guest + " && ./nproc"}, `root, limit 1: forked
user, limit 1: Resource temporarily unavailable
user, limit 2, first: forked
user, limit 2, second: Resource temporarily unavailable
user, limit 2, vfork: Resource temporarily unavailable
user, limit 2, after a wait: forked
user, limit 2, an unreaped child: Resource temporarily unavailable
user, limit 2, once reaped: forked
`)
}

// TestInitThreads: vkernel's init (pid 1 under run) is root's, and so are
// its threads, whose ids the guest can name: a user can neither signal
// them (SIGTERM to any would end the program: init forwards it) nor change
// their limits or priority. They are the ids below the program's own (the
// first guest process, which is root's too).
func TestInitThreads(t *testing.T) {
	root := needRootfs(t, "bookworm")
	script := `first=$$; setpriv --reuid=1000 --regid=1000 --clear-groups sh -c '
for t in $(seq 1 $(($1 - 1))); do
  perl -e "exit(syscall(234, 1, $t, 15) == 0 ? 0 : 1)" && echo "tgkill 1 $t: allowed"
  prlimit --pid $t --nofile=5:5 2>/dev/null && echo "prlimit $t: allowed"
  renice -n 10 -p $t >/dev/null 2>&1 && echo "renice $t: allowed"
done; echo alive' sh $first`
	r := runGuest(t, root, []string{"/bin/sh", "-c", script}, "")
	if r.Status != 0 || r.Stdout != "alive\n" {
		t.Errorf("a user acted on vkernel's init:\n%s", r)
	}
}
