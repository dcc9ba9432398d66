package harness

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// Snapshot describes the tree under dir, one line an entry, sorted by path:
// relative path, type, permission bits (with setuid/setgid/sticky), owner, and
// per type the link count and size and a SHA-256 of the contents (regular
// files), the target (symlinks), or the device number (devices). Times, inode
// numbers and directory sizes are left out: they legitimately differ between
// two runs of the same program.
func Snapshot(dir string) ([]string, error) {
	var lines []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		var st syscall.Stat_t
		if err := syscall.Lstat(path, &st); err != nil {
			return err
		}
		perm := st.Mode & 0o7777
		line := fmt.Sprintf("%s %s %04o %d:%d", rel, typeName(st.Mode), perm, st.Uid, st.Gid)
		switch st.Mode & syscall.S_IFMT {
		case syscall.S_IFREG:
			sum, err := fileSum(path)
			if err != nil {
				return err
			}
			line += fmt.Sprintf(" nlink=%d size=%d sha256=%s", st.Nlink, st.Size, sum)
		case syscall.S_IFLNK:
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			line += " -> " + target
		case syscall.S_IFCHR, syscall.S_IFBLK:
			line += fmt.Sprintf(" nlink=%d rdev=%#x", st.Nlink, st.Rdev)
		case syscall.S_IFDIR:
		default:
			line += fmt.Sprintf(" nlink=%d", st.Nlink)
		}
		lines = append(lines, line)
		return nil
	})
	return lines, err
}

func typeName(mode uint32) string {
	switch mode & syscall.S_IFMT {
	case syscall.S_IFREG:
		return "file"
	case syscall.S_IFDIR:
		return "dir"
	case syscall.S_IFLNK:
		return "symlink"
	case syscall.S_IFIFO:
		return "fifo"
	case syscall.S_IFSOCK:
		return "socket"
	case syscall.S_IFCHR:
		return "chardev"
	case syscall.S_IFBLK:
		return "blockdev"
	}
	return fmt.Sprintf("type%#o", mode&syscall.S_IFMT)
}

func fileSum(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return fmt.Sprintf("%x", h.Sum(nil))[:16], nil
}

// DiffLines returns a readable account of how got differs from want (both
// sorted), or "" when they are equal.
func DiffLines(want, got []string) string {
	wm := map[string]bool{}
	gm := map[string]bool{}
	for _, l := range want {
		wm[l] = true
	}
	for _, l := range got {
		gm[l] = true
	}
	var out []string
	for _, l := range want {
		if !gm[l] {
			out = append(out, "- "+l)
		}
	}
	for _, l := range got {
		if !wm[l] {
			out = append(out, "+ "+l)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i][2:] < out[j][2:] })
	return strings.Join(out, "\n")
}

// FixtureTime is the modification time of every fixture entry.
var FixtureTime = time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)

// MakeFixture fills the empty directory dir with the same small tree every time:
// text and binary files, an executable script, a subdirectory tree, a symlink, a
// dangling symlink, an empty file and a hard link, with fixed modes and times.
func MakeFixture(dir string) error {
	bin := make([]byte, 16<<10)
	for i := range bin {
		bin[i] = byte(i * 7)
	}
	files := []struct {
		path string
		mode os.FileMode
		data []byte
	}{
		{"a.txt", 0o644, []byte("alpha\nbeta\ngamma\nalpha\n")},
		{"b.txt", 0o640, bytes.Repeat([]byte("one two three four\n"), 100)},
		{"empty", 0o600, nil},
		{"exec.sh", 0o755, []byte("#!/bin/sh\necho \"exec.sh: $# args: $*\"\n")},
		{"sub/c.txt", 0o644, []byte("gamma delta\nepsilon\n")},
		{"sub/deep/d.bin", 0o644, bin},
		{"sub/deep/e.txt", 0o444, []byte("read only\n")},
	}
	for _, f := range files {
		p := filepath.Join(dir, f.path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, f.data, 0o600); err != nil {
			return err
		}
		if err := os.Chmod(p, f.mode); err != nil {
			return err
		}
	}
	if err := os.Symlink("a.txt", filepath.Join(dir, "link")); err != nil {
		return err
	}
	if err := os.Symlink("nowhere", filepath.Join(dir, "dangling")); err != nil {
		return err
	}
	if err := os.Link(filepath.Join(dir, "sub/c.txt"), filepath.Join(dir, "sub/hard")); err != nil {
		return err
	}
	// Fix every time, deepest first so setting a file's time does not
	// disturb its directory's.
	var paths []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type()&fs.ModeSymlink == 0 {
			paths = append(paths, path)
		}
		return err
	})
	if err != nil {
		return err
	}
	for i := len(paths) - 1; i >= 0; i-- {
		if err := os.Chtimes(paths[i], FixtureTime, FixtureTime); err != nil {
			return err
		}
	}
	return nil
}
