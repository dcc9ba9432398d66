package main

import "testing"

const sample = `== CPython 3.11.2
0:00:00 load avg: 4.38 [1/1] test_x failed
test_a (test.test_x.C.test_a) ... ok
test_b (test.test_x.C.test_b) ... FAIL
test_c (test.test_x.C.test_c) ... skipped 'no reason'
test_d (test.test_x.C.test_d)
The docstring. ... ok
test_e (test.test_x.C.test_e) ... some output
more output
ERROR
test_f (test.test_x.C.test_f) ... 
  test_f (test.test_x.C.test_f) (i=1) ... FAIL
  test_f (test.test_x.C.test_f) (i=2) ... skipped 'sub'
test_g (test.test_x.C.test_g) ... expected failure
setUpClass (test.test_x.D) ... ERROR
test_h (test.test_x.C.test_h) ... printed ok
test_i (test.test_x.C.test_i) ... 
== Tests result: FAILURE ==
`

func TestParse(t *testing.T) {
	p := Parse(sample)
	want := map[string]Outcome{
		"test.test_x.C.test_a":       OK,
		"test.test_x.C.test_b":       Fail,
		"test.test_x.C.test_c":       Skipped,
		"test.test_x.C.test_d":       OK,
		"test.test_x.C.test_e":       Error,
		"test.test_x.C.test_f (i=1)": Fail,
		"test.test_x.C.test_f (i=2)": Skipped,
		"test.test_x.C.test_f":       SubFailed,
		"test.test_x.C.test_g":       XFail,
		"setUpClass (test.test_x.D)": Error,
		"test.test_x.C.test_h":       OK,
		"test.test_x.C.test_i":       NoOutcome,
	}
	got := map[string]Outcome{}
	for _, r := range p.Results {
		got[r.ID] = r.Outcome
	}
	for id, o := range want {
		if got[id] != o {
			t.Errorf("%s: got %q, want %q", id, got[id], o)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d results, want %d: %v", len(got), len(want), got)
	}
	if p.Summary != "FAILURE" {
		t.Errorf("summary %q", p.Summary)
	}
	if c := p.Counts(); c != (Counts{Pass: 4, Fail: 5, Skip: 1}) {
		t.Errorf("counts %+v", c)
	}
}

func TestKnownMatch(t *testing.T) {
	ks := []*Known{{ID: "test.test_x.C.test_a"}, {ID: "test.test_y.*", Mode: "user"}}
	if Match(ks, "test.test_x.C.test_a", "root") == nil {
		t.Error("exact id")
	}
	if Match(ks, "test.test_y.D.test_b", "root") != nil || Match(ks, "test.test_y.D.test_b", "user") == nil {
		t.Error("prefix with mode")
	}
}
