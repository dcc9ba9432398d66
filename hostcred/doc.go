// Package hostcred runs a host system call under a guest task's identity.
//
// The sentry is host root. A host call it makes for a guest with its own
// identity carries root's power over the object, whatever the guest may
// do: one forgotten check in the sentry and a guest user changes a host
// file. So the calls whose permission the host can judge by itself (the
// owner checks of fchmod, fchown, futimens and the inode ioctls; who a
// SIGIO owner may signal) are made on a thread of their own that has taken
// the guest's identity: its real, effective and filesystem ids, its
// supplementary groups, and, as its effective capabilities, the guest's
// (never more than the sentry's own). The host kernel then makes the
// checks Linux would make for the guest, and the sentry's own checks come
// on top: a check the sentry forgot fails closed.
//
// Each call gets a fresh OS thread, locked and never unlocked, so that it
// ends with the call's goroutine whatever identity it was left with; no
// other goroutine ever runs with a guest's identity. Setting up the thread
// costs a few tens of microseconds, paid only by these rare calls.
//
// Identities apply to one thread only (the raw setresuid, setgroups,
// setfsuid and capset calls act on the calling thread; libc's broadcast to
// every thread is not used). SECBIT_NO_SETUID_FIXUP is set first so that
// leaving uid 0 does not drop the permitted set the effective one is then
// chosen from.
//
// A vkernel that is not host root cannot take another identity, and needs
// none: the host already bounds its guests by its own user. Run then calls
// f as it is.
package hostcred
