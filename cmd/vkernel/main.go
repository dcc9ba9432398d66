// Command vkernel runs Linux programs in a user-space kernel.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"

	"vkernel/vkernel"
)

func init() {
	// The stub must seize, filter and exec on the process's main thread;
	// keeping the main goroutine there costs the other commands nothing.
	runtime.LockOSThread()
}

func main() {
	vkernel.Mark("main: " + strings.Join(os.Args[1:min(len(os.Args), 2)], " "))
	if code, ok := vkernel.Hidden(os.Args); ok {
		os.Exit(code)
	}
	err := newApp().Run(preprocessArgs(os.Args))
	vkernel.Mark("exit")
	if err != nil {
		if ee, ok := err.(exitError); ok {
			os.Exit(int(ee))
		}
		fmt.Fprintf(os.Stderr, "vkernel: %v\n", err)
		os.Exit(125)
	}
}

// exitError carries the guest's exit status out of the cli's Run.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }
