package posix

import (
	"sort"
	"testing"
)

// caseNames is Cases' names, sorted.
func caseNames() []string {
	var names []string
	for name := range Cases {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// TestNative runs every case on the host, each in a fresh t.TempDir(): the
// reference the guest runs are held to.
func TestNative(t *testing.T) {
	for _, name := range caseNames() {
		t.Run(name, func(t *testing.T) { Cases[name](t, t.TempDir()) })
	}
}
