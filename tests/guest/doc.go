// Package guest holds vkernel's guest-level tests: real Linux programs from a
// busybox and a Debian bookworm root filesystem, run under `vkernel run --root`.
//
//   - diff_test.go, cases_test.go: the differential suite. Each case is a shell
//     script run natively (chroot, see package harness) and in the guest, each in
//     a fresh copy of the same fixture under ROOTFS/work/<case>-<side>; status,
//     stdout, stderr and the resulting tree (names, types, modes, owners, link
//     counts, sizes, contents, symlink targets — not times or inode numbers)
//     must match. TestDifferentialDeterminism runs every case natively twice, so
//     a case that leaks times or pids fails there and not as a guest bug.
//   - cli_test.go: the `vkernel run` contract: 127 and its message for a missing
//     program, 126 for a foreign-arch ELF, one-line errors for bad input, the
//     --workdir/--env/--clear-env/--hostname/--mount/--tmpfs flags, the default
//     root, stdio pass-through.
//
// Run with `make test`, or by hand (as root):
//
//	scripts/build-rootfs.sh /var/tmp/vkernel-rootfs
//	VKERNEL_BIN=$PWD/bin/vkernel VKERNEL_ROOTFS=/var/tmp/vkernel-rootfs go test ./tests/...
//
// Without VKERNEL_BIN or a built rootfs the tests skip, saying why.
// VKTEST_SHOW=1 with -v logs both sides of every differential case.
package guest
