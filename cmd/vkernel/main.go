package main

import (
	_ "github.com/urfave/cli/v2"
	_ "golang.org/x/sys/unix"
	_ "gvisor.dev/gvisor/pkg/abi/linux"
	_ "gvisor.dev/gvisor/pkg/bpf"
	_ "gvisor.dev/gvisor/pkg/seccomp"
)

func main() {}
