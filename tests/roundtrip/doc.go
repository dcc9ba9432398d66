// Package roundtrip measures the bare cost of a served call, the floor of
// every metadata workload: the same loop of umask calls (testdata/loop.c,
// each one a served call that does no work under vkernel) natively,
// under a minimal C supervisor of seccomp user notifications
// (testdata/supervisor.c: RECV and SEND on a thread blocked in the ioctl,
// synchronous wake-ups), and under vkernel, in one run:
//
//	go test -run - -bench RoundTrip ./tests/roundtrip/
//
// (VKERNEL_BIN and VKERNEL_ROOTFS as for the guest tests; `make bench`
// runs it too). Each reports ns/call; the difference between the C
// supervisor and vkernel is what the sentry's receiving path adds to the
// mechanism (docs/performance.md).
package roundtrip
