package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// A result is one side's figure for one workload.
type result struct {
	median time.Duration
	err    error
}

// The table is printed a row at a time, as the rows are measured, so its
// columns have fixed widths.
const (
	nameWidth  = 14
	timeWidth  = 9
	ratioWidth = 7
)

// header prints the column names: native's time, then each sandbox's time and
// its ratio to native, then the fastest sandbox.
func header(w io.Writer, sides []*side) {
	var b strings.Builder
	fmt.Fprintf(&b, "%-*s", nameWidth, "workload")
	for _, s := range sides {
		fmt.Fprintf(&b, " %*s", timeWidth, s.name)
		if s.name != "native" {
			fmt.Fprintf(&b, " %*s", ratioWidth, "x")
		}
	}
	fmt.Fprintf(&b, "  %s\n", "fastest sandbox")
	io.WriteString(w, b.String())
}

// row prints one workload's results, rs[i] being sides[i]'s.
func row(w io.Writer, name string, sides []*side, rs []result) {
	var native *result
	for i, s := range sides {
		if s.name == "native" && rs[i].err == nil {
			native = &rs[i]
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-*s", nameWidth, name)
	fastest := "-"
	var best time.Duration
	for i, s := range sides {
		r := rs[i]
		fmt.Fprintf(&b, " %*s", timeWidth, formatResult(r))
		if s.name == "native" {
			continue
		}
		ratio := "-"
		if r.err == nil && native != nil && native.median > 0 {
			ratio = fmt.Sprintf("%.1fx", float64(r.median)/float64(native.median))
		}
		fmt.Fprintf(&b, " %*s", ratioWidth, ratio)
		if r.err == nil && (fastest == "-" || r.median < best) {
			fastest, best = s.name, r.median
		}
	}
	fmt.Fprintf(&b, "  %s\n", fastest)
	io.WriteString(w, b.String())
}

func formatResult(r result) string {
	if r.err != nil {
		return "error"
	}
	return formatDuration(r.median)
}

// formatDuration gives d to three significant digits: 930µs, 21.7ms, 1.23s.
func formatDuration(d time.Duration) string {
	var v float64
	var unit string
	switch {
	case d < time.Millisecond:
		v, unit = float64(d)/float64(time.Microsecond), "µs"
	case d < time.Second:
		v, unit = float64(d)/float64(time.Millisecond), "ms"
	default:
		v, unit = d.Seconds(), "s"
	}
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f%s", v, unit)
	case v >= 10:
		return fmt.Sprintf("%.1f%s", v, unit)
	default:
		return fmt.Sprintf("%.2f%s", v, unit)
	}
}
