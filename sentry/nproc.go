package sentry

import (
	"os"
	"strconv"
	"sync"
	"time"
)

// RLIMIT_NPROC bookkeeping. Linux counts a user's tasks from the fork that
// makes one until its parent reaps it, and checks the count in
// copy_process. Here the check is the sentry's (sysFork), made before the
// host forks: a fork let through holds a reservation until the tracer
// registers the child (or it lapses: the fork failed), so that forks made
// at once cannot all pass one check; a process that exited is counted
// until it is reaped (its /proc entry is gone).

// nprocReservation is how long a fork let through counts without its child.
const nprocReservation = 200 * time.Millisecond

// nproc is the kernel's count beyond its live tasks.
type nproc struct {
	// check serializes sysFork's count and reservation.
	check sync.Mutex
	mu    sync.Mutex
	// reserved are the forks let through, by real uid, when.
	reserved map[uint32][]time.Time
	// zombies are processes that exited, by host pid: their real uid.
	zombies map[int]uint32
}

// reserve counts one more fork for uid.
func (n *nproc) reserve(uid uint32) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.reserved == nil {
		n.reserved = map[uint32][]time.Time{}
	}
	n.reserved[uid] = append(n.reserved[uid], time.Now())
}

// born takes a reservation of uid's back: its child is a task now.
func (n *nproc) born(uid uint32) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if r := n.reserved[uid]; len(r) > 0 {
		n.reserved[uid] = r[1:]
	}
}

// died counts process pid, of uid, until it is reaped.
func (n *nproc) died(pid int, uid uint32) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.zombies == nil {
		n.zombies = map[int]uint32{}
	}
	n.zombies[pid] = uid
}

// extra counts uid's forks in flight and unreaped processes.
func (n *nproc) extra(uid uint32) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	count := 0
	now := time.Now()
	if r := n.reserved[uid]; len(r) > 0 {
		for len(r) > 0 && now.Sub(r[0]) > nprocReservation {
			r = r[1:]
		}
		n.reserved[uid] = r
		count += len(r)
	}
	for pid, u := range n.zombies {
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err != nil {
			delete(n.zombies, pid)
			continue
		}
		if u == uid {
			count++
		}
	}
	return count
}
