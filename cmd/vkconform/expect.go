package main

import (
	"bufio"
	"os"
	"regexp"
	"strings"
)

// Known is one entry of docs/conformance.md's "Known differences" section:
//
//   - `test.test_os.FileTests.test_x` [root] (ok → FAIL): reason
//
// The id may end in "*" (a prefix: every test under it); the mode in brackets
// ("root", "user") limits the entry to that run, none means both. What follows
// the id is free text, the reason.
type Known struct {
	ID     string
	Mode   string
	Reason string
	used   bool
}

var knownRE = regexp.MustCompile("^[-*] `([^`]+)`(?:\\s*\\[(root|user)\\])?\\s*(.*)$")

// LoadKnown reads the Known differences section of the markdown file path.
func LoadKnown(path string) ([]*Known, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var ks []*Known
	in := false
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			in = strings.HasPrefix(strings.ToLower(line), "## known differences")
			continue
		}
		if !in {
			continue
		}
		if m := knownRE.FindStringSubmatch(line); m != nil {
			ks = append(ks, &Known{ID: m[1], Mode: m[2], Reason: strings.TrimSpace(m[3])})
		}
	}
	return ks, sc.Err()
}

// Match finds the entry explaining a difference of test id in mode.
func Match(ks []*Known, id, mode string) *Known {
	for _, k := range ks {
		if k.Mode != "" && k.Mode != mode {
			continue
		}
		if k.ID == id || (strings.HasSuffix(k.ID, "*") && strings.HasPrefix(id, strings.TrimSuffix(k.ID, "*"))) {
			return k
		}
	}
	return nil
}
