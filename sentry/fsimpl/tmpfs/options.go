package tmpfs

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// pageSize is the unit tmpfs counts its size in (Linux's PAGE_SIZE).
const pageSize = 4096

// Given says which options a mount's data named (Linux's SHMEM_SEEN_*):
// a remount changes only those.
type Given uint8

const (
	// GivenSize: size= or nr_blocks=.
	GivenSize Given = 1 << iota
	// GivenInodes: nr_inodes=.
	GivenInodes
	// GivenMode, GivenUID, GivenGID: mode=, uid=, gid= (a remount
	// ignores them, as Linux's).
	GivenMode
	GivenUID
	GivenGID
)

// ParseOptions reads tmpfs's mount data as Linux's shmem_parse_one:
// size=N[kmgtpe] or N% of memory (rounded up to pages), nr_blocks=N (in
// pages), nr_inodes=N[kmgtpe], mode= (octal), uid=, gid=; huge=, mpol=,
// inode32, inode64, noswap, the quota options and the generic superblock
// flags (ro, rw, sync, ...) are accepted and ignored. Anything else is
// EINVAL.
func ParseOptions(data string) (Options, Given, error) {
	var o Options
	var given Given
	if data == "" {
		return o, 0, nil
	}
	for _, kv := range strings.Split(data, ",") {
		k, v, hasValue := strings.Cut(kv, "=")
		switch k {
		case "":
		case "size", "nr_blocks":
			n, err := parseSize(v, k == "size")
			if err != nil {
				return o, 0, unix.EINVAL
			}
			if k == "nr_blocks" {
				n *= pageSize
			}
			o.SizeLimit = (n + pageSize - 1) / pageSize * pageSize
			given |= GivenSize
		case "nr_inodes":
			n, err := parseSize(v, false)
			if err != nil {
				return o, 0, unix.EINVAL
			}
			o.Inodes = n
			given |= GivenInodes
		case "mode":
			m, err := strconv.ParseUint(v, 8, 32)
			if err != nil {
				return o, 0, unix.EINVAL
			}
			o.Mode, o.ModeGiven = uint32(m)&07777, true
			given |= GivenMode
		case "uid", "gid":
			n, err := strconv.ParseUint(v, 10, 32)
			if err != nil || n == 1<<32-1 {
				return o, 0, unix.EINVAL
			}
			if k == "uid" {
				o.UID = uint32(n)
				given |= GivenUID
			} else {
				o.GID = uint32(n)
				given |= GivenGID
			}
		case "huge", "mpol", "usrquota_block_hardlimit", "usrquota_inode_hardlimit",
			"grpquota_block_hardlimit", "grpquota_inode_hardlimit":
			if !hasValue {
				return o, 0, unix.EINVAL
			}
		case "inode32", "inode64", "noswap", "quota", "usrquota", "grpquota",
			"ro", "rw", "sync", "async", "dirsync", "lazytime", "nolazytime", "mand", "nomand", "silent":
			if hasValue {
				return o, 0, unix.EINVAL
			}
		default:
			return o, 0, unix.EINVAL
		}
	}
	return o, given, nil
}

// parseSize reads a number with an optional k, m, g, t, p or e suffix (of
// either case), as Linux's memparse; with percent, also N% of memory.
func parseSize(v string, percent bool) (int64, error) {
	if p, ok := strings.CutSuffix(v, "%"); ok && percent {
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil || n < 0 {
			return 0, unix.EINVAL
		}
		var si unix.Sysinfo_t
		if err := unix.Sysinfo(&si); err != nil {
			return 0, err
		}
		return int64(si.Totalram) * int64(si.Unit) / 100 * n, nil
	}
	shift := 0
	if v != "" {
		switch v[len(v)-1] {
		case 'k', 'K':
			shift = 10
		case 'm', 'M':
			shift = 20
		case 'g', 'G':
			shift = 30
		case 't', 'T':
			shift = 40
		case 'p', 'P':
			shift = 50
		case 'e', 'E':
			shift = 60
		}
		if shift != 0 {
			v = v[:len(v)-1]
		}
	}
	n, err := strconv.ParseInt(v, 0, 64)
	if err != nil || n < 0 || n > (1<<63-1)>>shift {
		return 0, unix.EINVAL
	}
	return n << shift, nil
}

// Reconfigure implements vfs.Reconfigurer, as Linux's shmem_reconfigure:
// size= and nr_inodes= change the limits (0 lifts them), EINVAL below
// what is in use; mode=, uid= and gid= are accepted and ignored (Linux
// sets them at the first mount only).
func (fs *FS) Reconfigure(data string) error {
	o, given, err := ParseOptions(data)
	if err != nil {
		return err
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if given&GivenSize != 0 && o.SizeLimit > 0 && usedLocked(fs.root, map[*inode]bool{}) > o.SizeLimit {
		return unix.EINVAL
	}
	if given&GivenInodes != 0 && o.Inodes > 0 && fs.inodes > o.Inodes {
		return unix.EINVAL
	}
	// As shmem_reconfigure: "cannot retroactively limit" an unlimited
	// size or inode count.
	if given&GivenSize != 0 && fs.opts.SizeLimit == 0 && o.SizeLimit > 0 ||
		given&GivenInodes != 0 && fs.opts.Inodes == 0 && o.Inodes > 0 {
		return unix.EINVAL
	}
	if given&GivenSize != 0 {
		fs.opts.SizeLimit = o.SizeLimit
	}
	if given&GivenInodes != 0 {
		fs.opts.Inodes = o.Inodes
	}
	return nil
}

// Options implements vfs.Filesystem.Options, as Linux's
// shmem_show_options: the limits that are set, the root's mode at mount
// unless 1777, uid and gid unless 0.
func (fs *FS) Options() string {
	fs.mu.Lock()
	o := fs.opts
	fs.mu.Unlock()
	return FormatOptions(o)
}

// FormatOptions returns the options o, as /proc/mounts shows them.
func FormatOptions(o Options) string {
	var s []string
	if o.SizeLimit > 0 {
		s = append(s, "size="+strconv.FormatInt((o.SizeLimit+pageSize-1)/pageSize*(pageSize/1024), 10)+"k")
	}
	if o.Inodes > 0 {
		s = append(s, "nr_inodes="+strconv.FormatInt(o.Inodes, 10))
	}
	if m := o.RootMode(); m != 0o1777 {
		s = append(s, fmt.Sprintf("mode=%03o", m))
	}
	if o.UID != 0 {
		s = append(s, "uid="+strconv.FormatUint(uint64(o.UID), 10))
	}
	if o.GID != 0 {
		s = append(s, "gid="+strconv.FormatUint(uint64(o.GID), 10))
	}
	return strings.Join(s, ",")
}
