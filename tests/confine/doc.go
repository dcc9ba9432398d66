// Package confine holds vkernel's confinement and lifecycle tests: each test
// fails if the guest escapes.
//
// The guest side is probe/ (package main), built statically once per run
// into a fixture directory inside the busybox rootfs (ROOTFS/busybox/
// confine-PID, the guest's /confine-PID). Each probe argument is one
// operation and prints one line, "OP: ok[ DETAIL]" or "OP: ERRNO", that the
// tests assert on.
//
// On the host, a secret directory sits beside the rootfs (ROOTFS/
// confine-secret-PID: one level above the guest's root, where a `..` that
// leaks would land) with a file holding a unique marker, a static program,
// and the host directories the tests --mount into the guest (so that `..`
// above a mount's root lands in it too). Every guest run's output is checked
// for the marker, besides the per-operation assertions.
//
//   - confine_test.go: absolute and relative symlinks, `..` above the root
//     and above a mount, /proc/self/{root,cwd,fd/N}, dirfds from another
//     mount, openat2's RESOLVE_* flags, a host-side rename race, :ro mounts
//     and the default root (every writing call fails, the host tree is
//     unchanged), device nodes, io_uring/ptrace/process_vm_readv and stacked
//     seccomp filters, host processes and signals.
//   - lifecycle_test.go: exit statuses, signal forwarding, no guest process
//     outlives vkernel, many children, output floods, stdio through pipes
//     and files.
//
// Run with `make test`, or by hand (as root), after `make build rootfs`:
//
//	VKERNEL_BIN=$PWD/bin/vkernel VKERNEL_ROOTFS=/var/tmp/vkernel-rootfs go test ./tests/confine/
package confine
