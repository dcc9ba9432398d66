package interp

import "testing"

func TestCleanPath(t *testing.T) {
	for p, want := range map[string]bool{
		"/lib64/ld-linux-x86-64.so.2": true,
		"/lib/ld-musl-x86_64.so.1":    true,
		"/":                           false,
		"":                            false,
		"lib64/ld.so":                 false,
		"/lib64/../etc/passwd":        false,
		"/lib64/./ld.so":              false,
		"/lib64//ld.so":               false,
		"/lib64/ld.so/":               false,
		"/lib\x00/ld.so":              false,
	} {
		if got := CleanPath(p); got != want {
			t.Errorf("CleanPath(%q) = %v, want %v", p, got, want)
		}
	}
}
