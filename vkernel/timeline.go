package vkernel

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// debugOn is whether VKERNEL_DEBUG is set, read once.
var debugOn = os.Getenv("VKERNEL_DEBUG") != ""

// Mark logs, under VKERNEL_DEBUG, a step of the start or the teardown with
// the monotonic clock's time in milliseconds. vkernel, the init and the
// stub read the same clock (the init's time namespace is its children's,
// and starts with no offset), so their lines interleave into one timeline.
func Mark(what string) {
	if !debugOn {
		return
	}
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	fmt.Fprintf(os.Stderr, "vkernel: debug: %d.%03d ms [%d] %s\n", ts.Sec*1000+ts.Nsec/1e6, ts.Nsec/1e3%1000, os.Getpid(), what)
}
