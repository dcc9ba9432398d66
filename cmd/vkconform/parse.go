package main

import (
	"regexp"
	"strings"
)

// Outcome is what happened to one test (or subtest).
type Outcome string

const (
	OK         Outcome = "ok"
	XFail      Outcome = "expected failure"
	Fail       Outcome = "FAIL"
	Error      Outcome = "ERROR"
	XPass      Outcome = "unexpected success"
	Skipped    Outcome = "skipped"
	SubFailed  Outcome = "FAIL(subtests)"
	NoOutcome  Outcome = "no outcome" // started, never finished (crash, timeout)
	NotPresent Outcome = "absent"     // not run on this side at all
)

// Class folds an outcome into the three counts the table shows.
func (o Outcome) Class() string {
	switch o {
	case OK, XFail:
		return "pass"
	case Skipped:
		return "skip"
	case NotPresent:
		return "absent"
	}
	return "fail"
}

// Result is one test's outcome as parsed from `python3 -m test -v` output.
type Result struct {
	ID      string // test.test_os.FileTests.test_access; a subtest adds " (params)"
	Outcome Outcome
	Detail  string // the skip reason
	Sub     bool   // a subtest entry
}

// Parsed is a module's run.
type Parsed struct {
	Results []Result
	// Summary is regrtest's verdict line ("SUCCESS", "FAILURE", "ENV CHANGED",
	// ...), "" when it never printed one.
	Summary string
}

// descRE matches unittest's verbose description: "name (dotted.id)" and what
// follows; two leading spaces mark a subtest.
var descRE = regexp.MustCompile(`^(  )?(\w+) \(((?:\w+\.)+\w+)\)(.*)$`)

var summaryRE = regexp.MustCompile(`^== Tests result: (.*) ==$`)

// status recognizes an outcome word at the end of a line's tail.
func status(tail string) (Outcome, string, bool) {
	t := strings.TrimRight(tail, " \r")
	switch t {
	case "ok":
		return OK, "", true
	case "FAIL":
		return Fail, "", true
	case "ERROR":
		return Error, "", true
	case "expected failure":
		return XFail, "", true
	case "unexpected success":
		return XPass, "", true
	}
	if t == "skipped" || strings.HasPrefix(t, "skipped ") {
		return Skipped, strings.TrimPrefix(strings.TrimPrefix(t, "skipped"), " "), true
	}
	// Output the test wrote without a newline, then the word.
	for _, o := range []Outcome{OK, Fail, Error} {
		if strings.HasSuffix(t, " "+string(o)) {
			return o, "", true
		}
	}
	return "", "", false
}

// key names a test by its dotted id; an error holder ("setUpClass
// (test.test_x.C)") keeps its name in front.
func key(name, dotted string) string {
	if strings.HasSuffix(dotted, "."+name) {
		return dotted
	}
	return name + " (" + dotted + ")"
}

// Parse reads the output of `python3 -m test -v`.
func Parse(out string) Parsed {
	var p Parsed
	idx := map[string]int{}
	set := func(r Result) {
		if i, ok := idx[r.ID]; ok {
			p.Results[i] = r // a rerun or a later word wins
			return
		}
		idx[r.ID] = len(p.Results)
		p.Results = append(p.Results, r)
	}
	pending := "" // the top-level test waiting for its word
	pendingSubFail := false
	finish := func() {
		if pending == "" {
			return
		}
		o := NoOutcome
		if pendingSubFail {
			o = SubFailed
		}
		set(Result{ID: pending, Outcome: o})
		pending, pendingSubFail = "", false
	}
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimRight(line, "\r")
		if m := summaryRE.FindStringSubmatch(line); m != nil {
			p.Summary = m[1]
			continue
		}
		if m := descRE.FindStringSubmatch(line); m != nil {
			id := key(m[2], m[3])
			rest := m[4]
			if m[1] != "" { // subtest: "  name (id) [msg] (params) ... WORD"
				i := strings.LastIndex(rest, " ... ")
				if i < 0 {
					continue
				}
				params := strings.TrimSpace(rest[:i])
				if o, d, ok := status(rest[i+5:]); ok {
					set(Result{ID: id + " " + params, Outcome: o, Detail: d, Sub: true})
					if o.Class() == "fail" && pending == id {
						pendingSubFail = true
					}
				}
				continue
			}
			finish()
			if i := strings.Index(rest, " ... "); i >= 0 {
				if o, d, ok := status(rest[i+5:]); ok {
					set(Result{ID: id, Outcome: o, Detail: d})
					continue
				}
			}
			pending = id
			continue
		}
		if pending == "" {
			continue
		}
		tail := line
		if i := strings.LastIndex(line, " ... "); i >= 0 {
			tail = line[i+5:]
		}
		if o, d, ok := status(tail); ok {
			if o == OK && pendingSubFail {
				o = SubFailed
			}
			set(Result{ID: pending, Outcome: o, Detail: d})
			pending, pendingSubFail = "", false
		}
	}
	finish()
	return p
}

// Counts are a module's top-level pass/fail/skip counts.
type Counts struct{ Pass, Fail, Skip int }

func (p Parsed) Counts() Counts {
	var c Counts
	for _, r := range p.Results {
		if r.Sub {
			continue
		}
		switch r.Outcome.Class() {
		case "pass":
			c.Pass++
		case "skip":
			c.Skip++
		default:
			c.Fail++
		}
	}
	return c
}
