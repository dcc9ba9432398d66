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
