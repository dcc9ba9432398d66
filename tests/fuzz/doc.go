// Package fuzz is vkernel's random-syscall fuzzer (make fuzz): a C program
// of its own (testdata/*.c, built with gcc -static) makes random but
// plausible system calls in a throwaway guest, for a bounded time, as the
// guest's root and as user 1000:1000, and the test fails if the guest
// reached the host.
//
// The fuzzer (testdata/main.c) keeps a few children running, each with a
// seed derived from the run's seed, its slot and its generation, bounded
// by alarm() and by the parent's own deadline; a child that ends is
// replaced. A child starts with descriptors of every origin (fds.c): files
// opened by path through the VFS, O_PATH, copies of them received over
// SCM_RIGHTS from itself, the inherited stdio (host files the test opened)
// and copies of it, pipes, sockets, a socketpair, memfd, eventfd, pidfds.
// It then picks calls from calls.c's table (attributes, inode ioctls,
// sizes, fcntl including F_SETOWN, F_SETSIG and O_ASYNC, dup and close,
// opens, the namespace, xattrs, mounts, signals, credentials) on
// descriptors of the pool and on names of paths.c: inside the root and
// the mounts, and names that would land in the host's sentinel tree if a
// walk leaked (`..`, symlinks, /proc/self/fd/N, /proc/1/root). A child
// never signals the parent; the parent ignores every signal it can and
// continues stopped children. Each child logs its successful calls in
// /log (a --mount of the fixture's log/), tagged with where each
// descriptor came from.
//
// The driver (fuzz_test.go) builds a fixture beside the rootfs cache
// (fixture_test.go): a copy of the busybox tree as the guest's root, a
// sentinel tree one `..` above it (files of various modes and owners,
// root's 0644 and 0600, a setuid file, a directory, symlinks), a tree
// mounted read-only, one mounted read-write and shared, and the stdio
// files: stdin a root-owned 0644 file outside the root, stdout a file.
// It records every watched entry (state_test.go: mode, owner, size, link
// count, mtime and ctime, FS_IOC_GETFLAGS flags, xattrs, content hash;
// stdout's metadata only) and fails on
//
//   - any change to the sentinel tree, the :ro tree, or the stdio files,
//     listing the logged calls that may have made it (suspects_test.go);
//   - a sentry crash ("panic:", "goroutine ", "fatal error" on stderr);
//   - vkernel's status 125, or the guest ending before the fuzzer's
//     parent reported "fuzz: done" (its init killed, say);
//   - a hang: the run is killed after its time plus 90s;
//   - a host process left behind (procs_test.go: the test is a subreaper,
//     so an orphan of vkernel's tree becomes its child).
//
// A guest call failing is never a failure: the fuzzer expects most of
// them to. The environment (config_test.go): VKERNEL_FUZZ_TIME per mode
// (default 60s), VKERNEL_FUZZ_SEED (printed on every run; a failure
// prints its replay command), VKERNEL_FUZZ_CALLS and VKERNEL_FUZZ_SKIP
// (comma-separated call names, to narrow a finding or leave out a known
// one), VKERNEL_FUZZ_CHILDREN, VKERNEL_FUZZ_MODES (root,user) and
// VKERNEL_FUZZ_ONLY=SLOT:GEN (replay one child of a seed alone). The
// calls a child makes depend only on its seed and on what earlier calls
// returned, so a replay repeats a finding when the children's timing does
// not matter.
//
// While a class of findings is being fixed, leave its calls out to see the
// rest pass: for instance VKERNEL_FUZZ_SKIP=setown,kill,tgkill,pidfd_signal
// (signals reaching vkernel's init), mount,bind,umount (hangs), and
// fchmod,fchown,fchownat,futimens,utimensat,setflags,fssetxattr (attribute
// changes on received and inherited descriptors).
//
// Run with `make fuzz` (FUZZ_TIME=3600s for a long run), or by hand, as
// root, after `make build rootfs`:
//
//	VKERNEL_BIN=$PWD/bin/vkernel VKERNEL_ROOTFS=/var/tmp/vkernel-rootfs go test -v ./tests/fuzz/
package fuzz
