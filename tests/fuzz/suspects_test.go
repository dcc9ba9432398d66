package fuzz

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// suspects lists the children's logged successful calls that name what
// changed, as the fuzzer tags it: stdin and stdout by their descriptors
// (and /proc/self/fd/N), a sentinel entry by "sentinel", a :ro entry by
// its guest path. At most a few per changed entry.
func suspects(f fixture, diff string) string {
	want := map[string][]string{}
	for _, l := range strings.Split(diff, "\n") {
		path, _, ok := strings.Cut(strings.TrimLeft(l, "-+ "), ": ")
		if !ok {
			continue
		}
		rel, err := filepath.Rel(f.base, path)
		if err != nil {
			continue
		}
		switch {
		case rel == "stdio/in":
			want[rel] = []string{"stdin", "fd/0", "dup:0"}
		case rel == "stdio/out":
			want[rel] = []string{"stdout", "fd/1", "dup:1"}
		case strings.HasPrefix(rel, "ro/") || rel == "ro":
			want[rel] = []string{"/" + rel + "]", "/" + rel + "\"", "/" + rel + ","}
		default:
			want[rel] = []string{"sentinel", "/..", "esc", "/proc/1/root", "/proc/2/root"}
		}
	}
	logs, _ := filepath.Glob(f.path("log/*.log"))
	sort.Strings(logs)
	var out []string
	for rel, keys := range want {
		n := 0
		for _, lf := range logs {
			for _, l := range grep(lf, keys, 8-n) {
				out = append(out, fmt.Sprintf("%s: %s: %s", rel, filepath.Base(lf), l))
				n++
			}
			if n >= 8 {
				break
			}
		}
	}
	if len(out) == 0 {
		return "(none logged: see " + f.path("log") + ")"
	}
	return strings.Join(out, "\n")
}

// grep returns up to max lines of file holding any of keys, skipping the
// calls that change no inode.
func grep(file string, keys []string, max int) []string {
	fh, err := os.Open(file)
	if err != nil {
		return nil
	}
	defer fh.Close()
	var out []string
	sc := bufio.NewScanner(fh)
	for sc.Scan() && len(out) < max {
		l := sc.Text()
		if quiet(l) {
			continue
		}
		for _, k := range keys {
			if strings.Contains(l, k) {
				out = append(out, l)
				break
			}
		}
	}
	return out
}

// quiet calls move descriptors or signals, never an inode.
func quiet(line string) bool {
	for _, c := range []string{" dup(", " close(", " sendfd(", " fcntl(", " fchdir(", " chdir(", " kill(", " tgkill("} {
		if strings.Contains(line, c) {
			return true
		}
	}
	return false
}
