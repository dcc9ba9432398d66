// Package stats counts what vkernel's layers do, for `vkernel run --stats`:
// the calls the notification servers serve, by system call, with their
// cost; the host calls dirfs makes, by vnode operation; the name cache's
// hits, misses and revalidations; the tracer's ptrace stops.
//
// It is a leaf: it imports nothing of vkernel, and every layer that counts
// (vkernel, sentry/vfs, dirfs) imports it. A layer registers its counters
// by name once, as package variables, and counts into them; Report writes
// every registered section.
//
// # Cost
//
// Counting is off until Enable, and stays on once enabled. Off, a count
// is one atomic load and a predictable branch, and Start reads no clock:
// nothing is written, so counters shared by every CPU cause no cache-line
// traffic. On, a count is one atomic add, and a timed call reads the
// monotonic clock twice (time.Since, a vDSO call).
//
// # Sections
//
//	Calls    per system call number: calls, errors, CONTINUE answers,
//	         ENOSYS answers, total and mean time; sorted by total time
//	Ops      operations of a layer and the host calls each makes, so that
//	         host calls per operation can be read off
//	Group    named counters, printed in the order they were made
//
// Report prints the Calls sections first, then the Ops sections, then the
// Groups, each kind in the order the sections were registered.
//
// Lock order: registry.mu, then a section's mu. Counting takes no lock.
package stats
