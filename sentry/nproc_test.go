package sentry

import "testing"

// TestNprocCount: reservations count until born or lapsed; an empty
// count needs no set-up.
func TestNprocCount(t *testing.T) {
	var n nproc
	if got := n.extra(1000); got != 0 {
		t.Fatalf("empty: %d", got)
	}
	n.reserve(1000)
	n.reserve(1000)
	if got := n.extra(1000); got != 2 {
		t.Errorf("two reserved: %d", got)
	}
	n.born(1000)
	if got := n.extra(1000); got != 1 {
		t.Errorf("one born: %d", got)
	}
	n.died(1<<30, 1000) // no such process: pruned as reaped
	if got := n.extra(1000); got != 1 {
		t.Errorf("a reaped zombie counted: %d", got)
	}
}
