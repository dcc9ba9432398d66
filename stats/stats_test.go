package stats

import (
	"strings"
	"sync"
	"testing"
	"time"
)

// Counting is off until Enable: these run in order, off first.
func TestOffCountsNothing(t *testing.T) {
	if On() {
		t.Skip("counting already on")
	}
	g := NewGroup("off group")
	c := g.Counter("things")
	c.Inc()
	c.Add(3)
	calls := NewCalls("off calls", 4, func(nr int) string { return "call" })
	start := calls.Start()
	if start != 0 {
		t.Errorf("Start with counting off: got %d, want 0", start)
	}
	calls.Done(1, start, Answered)
	ops := NewOps("off ops", []string{"op"}, []string{"host"})
	ops.Op(0)
	ops.Host(0, 0)
	if c.Value() != 0 || len(calls.Rows()) != 0 || ops.Count(0) != 0 || ops.HostCount(0, 0) != 0 {
		t.Errorf("counted with counting off: counter %d, calls %v, ops %d/%d",
			c.Value(), calls.Rows(), ops.Count(0), ops.HostCount(0, 0))
	}
	var b strings.Builder
	Report(&b)
	if !strings.HasPrefix(b.String(), "vkernel stats: counting was off\n") {
		t.Errorf("report with counting off:\n%s", b.String())
	}
}

func TestCounting(t *testing.T) {
	Enable()
	names := map[int]string{0: "read", 1: "write", 2: "open"}
	calls := NewCalls("served calls", 3, func(nr int) string { return names[nr] })
	ops := NewOps("fs host calls", []string{"lookup", "getattr", "unused"}, []string{"openat2", "fstat", "statx"})
	g := NewGroup("cache")
	hits, misses := g.Counter("hits"), g.Counter("misses")
	g.Note("attributes: not cached")

	// Concurrent counting, as the servers do (run with -race).
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				s := calls.Start()
				calls.Done(0, s, Answered)
				calls.Done(1, s, Continued)
				ops.Op(0)
				ops.Host(0, 0)
				ops.Host(0, 1)
				hits.Inc()
			}
		})
	}
	wg.Wait()
	s := calls.Start()
	time.Sleep(2 * time.Millisecond)
	calls.Done(2, s, Failed)
	calls.Done(2, calls.Start(), NotImplemented)
	calls.Done(7, calls.Start(), Answered) // out of range: ignored
	misses.Add(5)
	ops.Op(1)
	ops.Host(1, 2)

	rows := calls.Rows()
	if len(rows) != 3 || rows[0].Name != "open" {
		t.Fatalf("rows %+v: want 3, open (slept in) first", rows)
	}
	want := map[string]CallCount{
		"read":  {Calls: 800},
		"write": {Calls: 800, Continued: 800},
		"open":  {Calls: 2, Failed: 1, NoSys: 1},
	}
	for _, r := range rows {
		w := want[r.Name]
		if r.Calls != w.Calls || r.Failed != w.Failed || r.Continued != w.Continued || r.NoSys != w.NoSys {
			t.Errorf("%s: got %+v, want %+v", r.Name, r, w)
		}
	}
	if rows[0].Total < 2*time.Millisecond || rows[0].Mean() != rows[0].Total/2 {
		t.Errorf("open: total %v mean %v, want >= 2ms and half", rows[0].Total, rows[0].Mean())
	}
	if got := ops.Count(0); got != 800 {
		t.Errorf("lookups: got %d, want 800", got)
	}
	if got := ops.HostCount(0, 1); got != 800 {
		t.Errorf("lookup fstats: got %d, want 800", got)
	}
	if hits.Value() != 800 || misses.Value() != 5 {
		t.Errorf("hits %d misses %d, want 800 5", hits.Value(), misses.Value())
	}

	var b strings.Builder
	Report(&b)
	out := b.String()
	// Compared with runs of spaces as one, so that the columns may move.
	flat := strings.Join(strings.Fields(strings.ReplaceAll(out, "\n", " | ")), " ")
	for _, line := range []string{
		"served calls: 1602 calls,",
		"; 800 answered CONTINUE, 1 ENOSYS",
		"| write 800 0 800 0 ",
		"fs host calls: 801 operations, 1601 host calls",
		"| lookup 800 1600 2.00 openat2=800 fstat=800 |",
		"| getattr 1 1 1.00 statx=1 |",
		"| total 801 1601 2.00 openat2=800 fstat=800 statx=1 |",
		"| cache | hits 800 | misses 5 | attributes: not cached |",
	} {
		if !strings.Contains(flat, line) {
			t.Errorf("report lacks %q:\n%s", line, out)
		}
	}
	if strings.Contains(out, "unused") {
		t.Errorf("report shows an operation never counted:\n%s", out)
	}
	// Calls sections come before Ops, Ops before Groups.
	if i, j, k := strings.Index(out, "served calls:"), strings.Index(out, "fs host calls:"), strings.Index(out, "\ncache\n"); !(i < j && j < k) {
		t.Errorf("sections out of order (%d %d %d):\n%s", i, j, k, out)
	}
}

// The cost of counting, off and on: a counter, and a timed call.
func BenchmarkCounting(b *testing.B) {
	g := NewGroup("bench")
	c := g.Counter("n")
	calls := NewCalls("bench calls", 1, func(int) string { return "call" })
	was := on.Load()
	defer on.Store(was)
	for _, enabled := range []bool{false, true} {
		on.Store(enabled)
		name := map[bool]string{false: "off", true: "on"}[enabled]
		b.Run(name+"/counter", func(b *testing.B) {
			for b.Loop() {
				c.Inc()
			}
		})
		b.Run(name+"/call", func(b *testing.B) {
			for b.Loop() {
				calls.Done(0, calls.Start(), Answered)
			}
		})
	}
}
