package stats

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// on says counting is enabled (Enable).
var on atomic.Bool

// epoch anchors Now; started is when Enable was first called (Now units).
var (
	epoch   = time.Now()
	started atomic.Int64
)

// Enable turns counting on, for good. What happened before is not counted.
func Enable() {
	if on.CompareAndSwap(false, true) {
		started.Store(Now())
	}
}

// On reports whether counting is enabled.
func On() bool { return on.Load() }

// Now returns monotonic nanoseconds since the package started; never 0.
func Now() int64 { return int64(time.Since(epoch)) + 1 }

// section is one part of the report.
type section interface {
	write(w io.Writer)
}

// registry holds the sections, by kind, in registration order.
var registry struct {
	mu     sync.Mutex
	calls  []*Calls
	ops    []*Ops
	groups []*Group
}

// Counter is a count that only grows.
type Counter struct {
	n atomic.Uint64
}

// Inc counts one, when counting is on.
func (c *Counter) Inc() {
	if on.Load() {
		c.n.Add(1)
	}
}

// Add counts n, when counting is on.
func (c *Counter) Add(n uint64) {
	if on.Load() {
		c.n.Add(n)
	}
}

// Value returns the count.
func (c *Counter) Value() uint64 { return c.n.Load() }

// Group is a section of named counters.
type Group struct {
	title string

	mu sync.Mutex
	// names and counters are in the order Counter made them. Protected by
	// mu.
	names    []string
	counters []*Counter
	notes    []string
}

// NewGroup registers a section of counters called title.
func NewGroup(title string) *Group {
	g := &Group{title: title}
	registry.mu.Lock()
	registry.groups = append(registry.groups, g)
	registry.mu.Unlock()
	return g
}

// Counter makes a counter of g called name.
func (g *Group) Counter(name string) *Counter {
	c := new(Counter)
	g.mu.Lock()
	g.names = append(g.names, name)
	g.counters = append(g.counters, c)
	g.mu.Unlock()
	return c
}

// Note adds a line of text printed under g's counters.
func (g *Group) Note(text string) {
	g.mu.Lock()
	g.notes = append(g.notes, text)
	g.mu.Unlock()
}

func (g *Group) write(w io.Writer) {
	g.mu.Lock()
	defer g.mu.Unlock()
	fmt.Fprintf(w, "%s\n", g.title)
	width := 0
	for _, n := range g.names {
		width = max(width, len(n))
	}
	for i, n := range g.names {
		fmt.Fprintf(w, "  %-*s %10d\n", width, n, g.counters[i].Value())
	}
	for _, n := range g.notes {
		fmt.Fprintf(w, "  %s\n", n)
	}
}

// Outcome is how a served call was answered.
type Outcome uint8

const (
	// Answered: a value, the call succeeded.
	Answered Outcome = iota
	// Failed: an errno other than ENOSYS.
	Failed
	// Continued: SECCOMP_USER_NOTIF_FLAG_CONTINUE, the host ran the call.
	Continued
	// NotImplemented: ENOSYS.
	NotImplemented
)

// callRow counts the calls of one number.
type callRow struct {
	n, ns, failed, cont, enosys atomic.Uint64
}

// Calls is a section of calls by number, each with its count, outcomes
// and cost.
type Calls struct {
	title string
	name  func(nr int) string
	rows  []callRow
}

// NewCalls registers a section called title for call numbers 0 to size-1;
// name names a number in the report.
func NewCalls(title string, size int, name func(nr int) string) *Calls {
	c := &Calls{title: title, name: name, rows: make([]callRow, size)}
	registry.mu.Lock()
	registry.calls = append(registry.calls, c)
	registry.mu.Unlock()
	return c
}

// Start returns the time a call starts, for Done; 0 when counting is off,
// without reading the clock.
func (c *Calls) Start() int64 {
	if !on.Load() {
		return 0
	}
	return Now()
}

// Done counts one call of number nr, begun at start (Start) and answered
// as o. A start of 0 (counting was off) or a number out of range counts
// nothing.
func (c *Calls) Done(nr int, start int64, o Outcome) {
	if start == 0 || nr < 0 || nr >= len(c.rows) {
		return
	}
	d := Now() - start
	r := &c.rows[nr]
	r.n.Add(1)
	r.ns.Add(uint64(max(d, 0)))
	switch o {
	case Failed:
		r.failed.Add(1)
	case Continued:
		r.cont.Add(1)
	case NotImplemented:
		r.enosys.Add(1)
	}
}

// CallCount is one row of a Calls section, for tests and reports.
type CallCount struct {
	Name                            string
	Calls, Failed, Continued, NoSys uint64
	Total                           time.Duration
}

// Mean returns the mean cost of a call.
func (r CallCount) Mean() time.Duration {
	if r.Calls == 0 {
		return 0
	}
	return r.Total / time.Duration(r.Calls)
}

// Rows returns the numbers called at least once, by total time, the
// longest first.
func (c *Calls) Rows() []CallCount {
	var rows []CallCount
	for i := range c.rows {
		r := &c.rows[i]
		n := r.n.Load()
		if n == 0 {
			continue
		}
		rows = append(rows, CallCount{Name: c.name(i), Calls: n, Failed: r.failed.Load(),
			Continued: r.cont.Load(), NoSys: r.enosys.Load(), Total: time.Duration(r.ns.Load())})
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Total != rows[j].Total {
			return rows[i].Total > rows[j].Total
		}
		return rows[i].Name < rows[j].Name
	})
	return rows
}

func (c *Calls) write(w io.Writer) {
	rows := c.Rows()
	var sum CallCount
	width := len("total")
	for _, r := range rows {
		sum.Calls += r.Calls
		sum.Failed += r.Failed
		sum.Continued += r.Continued
		sum.NoSys += r.NoSys
		sum.Total += r.Total
		width = max(width, len(r.Name))
	}
	fmt.Fprintf(w, "%s: %d calls, %v, %v a call; %d answered CONTINUE, %d ENOSYS\n",
		c.title, sum.Calls, dur(sum.Total), dur(sum.Mean()), sum.Continued, sum.NoSys)
	if len(rows) == 0 {
		return
	}
	line := func(name, calls, failed, cont, nosys, mean, total string) {
		fmt.Fprintf(w, "  %-*s %8s %8s %8s %7s %10s %10s\n", width, name, calls, failed, cont, nosys, mean, total)
	}
	line("syscall", "calls", "errors", "continue", "enosys", "mean", "total")
	for _, r := range rows {
		line(r.Name, itoa(r.Calls), itoa(r.Failed), itoa(r.Continued), itoa(r.NoSys), dur(r.Mean()), dur(r.Total))
	}
	line("total", itoa(sum.Calls), itoa(sum.Failed), itoa(sum.Continued), itoa(sum.NoSys), dur(sum.Mean()), dur(sum.Total))
}

// Ops is a section of a layer's operations and the host calls each makes.
type Ops struct {
	title string
	ops   []string
	calls []string
	// n counts operations; host counts host calls, op*len(calls)+call.
	n    []atomic.Uint64
	host []atomic.Uint64
}

// NewOps registers a section called title for the operations ops and the
// host calls calls, both named by index.
func NewOps(title string, ops, calls []string) *Ops {
	o := &Ops{title: title, ops: ops, calls: calls,
		n: make([]atomic.Uint64, len(ops)), host: make([]atomic.Uint64, len(ops)*len(calls))}
	registry.mu.Lock()
	registry.ops = append(registry.ops, o)
	registry.mu.Unlock()
	return o
}

// Op counts one operation op, when counting is on.
func (o *Ops) Op(op int) {
	if on.Load() {
		o.n[op].Add(1)
	}
}

// Host counts one host call made for operation op, when counting is on.
func (o *Ops) Host(op, call int) {
	if on.Load() {
		o.host[op*len(o.calls)+call].Add(1)
	}
}

// Count returns the number of operations op counted.
func (o *Ops) Count(op int) uint64 { return o.n[op].Load() }

// HostCount returns the number of host calls call made for op.
func (o *Ops) HostCount(op, call int) uint64 { return o.host[op*len(o.calls)+call].Load() }

func (o *Ops) write(w io.Writer) {
	var ops, hosts uint64
	width := len("total")
	for i, name := range o.ops {
		width = max(width, len(name))
		ops += o.n[i].Load()
	}
	byCall := make([]uint64, len(o.calls))
	for i := range o.host {
		v := o.host[i].Load()
		hosts += v
		byCall[i%len(o.calls)] += v
	}
	fmt.Fprintf(w, "%s: %d operations, %d host calls\n", o.title, ops, hosts)
	line := func(name, n, h, per, by string) {
		fmt.Fprintf(w, "%s\n", strings.TrimRight(fmt.Sprintf("  %-*s %8s %10s %7s  %s", width, name, n, h, per, by), " "))
	}
	if ops == 0 && hosts == 0 {
		return
	}
	line("op", "ops", "host calls", "per op", "host calls by kind")
	for i, name := range o.ops {
		n := o.n[i].Load()
		var h uint64
		var by []string
		for j, call := range o.calls {
			if v := o.host[i*len(o.calls)+j].Load(); v > 0 {
				h += v
				by = append(by, fmt.Sprintf("%s=%d", call, v))
			}
		}
		if n == 0 && h == 0 {
			continue
		}
		line(name, itoa(n), itoa(h), ratio(h, n), strings.Join(by, " "))
	}
	var by []string
	for j, call := range o.calls {
		if byCall[j] > 0 {
			by = append(by, fmt.Sprintf("%s=%d", call, byCall[j]))
		}
	}
	line("total", itoa(ops), itoa(hosts), ratio(hosts, ops), strings.Join(by, " "))
}

// Report writes every registered section to w, with the time counted.
func Report(w io.Writer) {
	registry.mu.Lock()
	var secs []section
	for _, c := range registry.calls {
		secs = append(secs, c)
	}
	for _, o := range registry.ops {
		secs = append(secs, o)
	}
	for _, g := range registry.groups {
		secs = append(secs, g)
	}
	registry.mu.Unlock()
	var b strings.Builder
	if s := started.Load(); s != 0 {
		fmt.Fprintf(&b, "vkernel stats: %v counted\n", dur(time.Duration(Now()-s)))
	} else {
		b.WriteString("vkernel stats: counting was off\n")
	}
	for _, s := range secs {
		b.WriteByte('\n')
		s.write(&b)
	}
	io.WriteString(w, b.String())
}

func itoa(v uint64) string { return fmt.Sprint(v) }

// ratio formats a/b with two decimals, "-" when b is 0.
func ratio(a, b uint64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", float64(a)/float64(b))
}

// dur formats d with three significant digits or so.
func dur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	case d >= time.Microsecond:
		return d.Round(100 * time.Nanosecond).String()
	default:
		return d.String()
	}
}
