// Package posix is a file-system conformance suite in the manner of
// go-fuse's: Cases, a table of name → func(t, dir), each case written with
// plain golang.org/x/sys/unix calls against an empty directory and expecting
// exactly what Linux does, errno for errno. The same table runs
//
//   - natively (TestNative): each case in a fresh t.TempDir() on the host,
//     the reference; every case must pass there;
//   - in the guest (TestGuest): this very test binary (static: no cgo in
//     it) is copied into the busybox rootfs and run under vkernel with
//     -test.run '^TestInGuest$', once per filesystem, with the directory on
//     a --mount of a host temporary directory (dirfs-mount), in the --root
//     tree (dirfs-root), on a --tmpfs (a private host tmpfs served by dirfs)
//     and on the sentry's own memfd-backed tmpfs (sentry-tmpfs: --tmpfs with
//     vkernel denied CAP_SYS_ADMIN, so that it cannot mount a host tmpfs).
//     TestGuest reports one subtest per filesystem and case.
//
// A case that fails in the guest because vkernel lacks a feature, or
// differs from Linux in one it has, is listed with its filesystem and the
// reason in knownGaps (guest_test.go); such a pair must keep failing, so
// that whoever fixes it updates the map.
//
// Files: one area a file — links.go (hard links, rename), open.go (open
// flags, O_TMPFILE, O_PATH, trailing slashes, ENAMETOOLONG, ELOOP),
// times.go (utimensat, what updates which time, statx), xattr.go, lock.go
// (flock, POSIX locks against a second process, OFD locks), special.go
// (FIFOs, AF_UNIX sockets), io.go (fallocate, copy_file_range, sendfile,
// splice, the sync calls), dir.go (getdents, mkdir, rmdir, unlink, umask,
// chmod/chown, inotify); check.go holds the assertion helpers.
//
// A case needing a second process re-executes the running binary with
// POSIX_CASE_HELPER set; this package's init serves the request, so any
// binary that imports the package can run every case. Cases may change the
// umask and the working directory (and restore them): run them one at a
// time. POSIX_KEEP_GOING=1 makes a case report every unexpected result
// instead of stopping at the first (a debugging aid; later failures may
// follow from earlier ones).
//
// Run (as root, after make build rootfs):
//
//	VKERNEL_BIN=$PWD/bin/vkernel VKERNEL_ROOTFS=/var/tmp/vkernel-rootfs go test ./tests/posix/
//
// Without the two variables TestGuest skips and only the native run happens.
package posix
