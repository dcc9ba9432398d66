package fuzz

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// entryState is one line describing a host entry: type and mode, owner,
// size, link count, times (mtime and ctime: ctime moves on any change of
// the inode, even one undone), inode flags (FS_IOC_GETFLAGS), extended
// attributes, and the content's hash or the link's target. With meta
// only, the line keeps what must not change on a file the guest may
// write: mode, owner, flags and xattrs.
func entryState(path string, meta bool) string {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		return "gone: " + err.Error()
	}
	s := fmt.Sprintf("mode=%#o owner=%d:%d", st.Mode, st.Uid, st.Gid)
	if !meta {
		s += fmt.Sprintf(" size=%d nlink=%d mtime=%d.%09d ctime=%d.%09d",
			st.Size, st.Nlink, st.Mtim.Sec, st.Mtim.Nsec, st.Ctim.Sec, st.Ctim.Nsec)
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG, unix.S_IFDIR:
		s += " flags=" + inodeFlags(path)
	}
	s += " xattrs=" + xattrs(path)
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		if !meta {
			s += " sha256=" + hashFile(path)
		}
	case unix.S_IFLNK:
		t, _ := os.Readlink(path)
		s += " -> " + t
	}
	return s
}

// inodeFlags opens only regular files and directories (never a device),
// without following a link.
func inodeFlags(path string) string {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return "?" + err.Error()
	}
	defer unix.Close(fd)
	v, err := unix.IoctlGetUint32(fd, unix.FS_IOC_GETFLAGS)
	if err != nil {
		return "?" + err.Error()
	}
	return fmt.Sprintf("%#x", v)
}

func xattrs(path string) string {
	buf := make([]byte, 4096)
	n, err := unix.Llistxattr(path, buf)
	if err != nil {
		return "?" + err.Error()
	}
	var out []string
	for _, name := range strings.Split(string(buf[:n]), "\x00") {
		if name == "" {
			continue
		}
		v := make([]byte, 4096)
		m, err := unix.Lgetxattr(path, name, v)
		if err != nil {
			out = append(out, name+"=?"+err.Error())
			continue
		}
		out = append(out, name+"="+hex.EncodeToString(v[:m]))
	}
	sort.Strings(out)
	return "[" + strings.Join(out, ",") + "]"
}

func hashFile(path string) string {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err != nil {
		return "?" + err.Error()
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "?" + err.Error()
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// watched is what the run must leave exactly as it was: trees (every entry
// under each) and single entries, and files of which only the metadata
// counts.
type watched struct {
	trees, entries, meta []string
}

// record returns one line per watched entry, "path: state", sorted.
func (w watched) record() []string {
	var lines []string
	add := func(path string, meta bool) {
		lines = append(lines, path+": "+entryState(path, meta))
	}
	for _, tree := range w.trees {
		err := filepath.WalkDir(tree, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				lines = append(lines, path+": walk: "+err.Error())
				return nil
			}
			add(path, false)
			return nil
		})
		if err != nil {
			lines = append(lines, tree+": walk: "+err.Error())
		}
	}
	for _, e := range w.entries {
		add(e, false)
	}
	for _, e := range w.meta {
		add(e, true)
	}
	sort.Strings(lines)
	return lines
}
