package guest

import (
	"path/filepath"
	"testing"
)

// TestThreadCreds runs testdata/threadcreds.c natively and in the guest:
// a raw setresuid in one thread changes that thread's credentials only;
// every check on what the thread does then (ownership, modes, signals,
// /proc) uses them while the main thread stays root, and a thread, a
// process or a program the thread makes starts with them. A process whose
// leader has exited is signalled as its leader's.
func TestThreadCreds(t *testing.T) {
	root := needRootfs(t, "bookworm")
	host, guest := workDir(t, root, "threadcreds")
	buildC(t, "threadcreds.c", filepath.Join(host, "threadcreds"), "-static", "-pthread")
	sameAsNative(t, root, []string{"/bin/sh", "-c", "cd " + guest + " && ./threadcreds"}, `thread: getresuid 1000 1000 1000, getuid 1000
thread: fchown own file: ok
thread: fchown root's file: Operation not permitted
thread: chmod root's file: Operation not permitted
thread: open root's 0600 file: Permission denied
thread: kill root's process: Operation not permitted
thread: kill root's process whose leader exited: Operation not permitted
thread: truncate root's file: Permission denied
thread: mkdir in root's 0755 dir: Permission denied
thread: /proc/self/status Uid:	0	0	0	0
thread: own task status Uid:	1000	1000	1000	1000
thread: thread-self status Uid:	1000	1000	1000	1000
thread: capget of the process: ok, effective: some
thread: capget of the thread: ok, effective: none
thread: capset of the process: Operation not permitted
thread: capset of the thread: ok
thread: readlink own cwd: ok
thread: readlink root's cwd: Permission denied
thread of the thread: getresuid 1000 1000 1000, getuid 1000
thread of the thread: open root's 0600 file: Permission denied
child of the thread: getresuid 1000 1000 1000, getuid 1000
child of the thread: chmod root's file: Operation not permitted
main: getresuid 0 0 0, getuid 0
main: fchown own file: ok
main: fchown root's file: ok
main: chmod root's file: ok
main: open root's 0600 file: ok
main: kill root's process: ok
main: kill root's process whose leader exited: ok
main: truncate root's file: ok
main: mkdir in root's 0755 dir: ok
main: /proc/self/status Uid:	0	0	0	0
main: own task status Uid:	0	0	0	0
main: thread-self status Uid:	0	0	0	0
main: capget of the process: ok, effective: some
main: capget of the thread: ok, effective: some
main: capset of the process: ok
main: capset of the thread: ok
main: readlink own cwd: ok
main: readlink root's cwd: ok
main: setresuid(0, 2000, 0) by glibc: ok
other thread after glibc's setresuid: getresuid 0 2000 0, getuid 0
main: setresuid(0, 0, 0) by glibc: ok
main: getresuid 0 0 0, getuid 0
exec from the thread: getresuid 1000 1000 1000, getuid 1000
exec from the thread: /proc/self/status Uid:	1000	1000	1000	1000
exec child: status 0
`)
}
