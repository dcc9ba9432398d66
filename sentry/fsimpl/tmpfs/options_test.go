package tmpfs

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseOptions(t *testing.T) {
	for _, c := range []struct {
		data  string
		want  Options
		given Given
		err   error
	}{
		{"", Options{}, 0, nil},
		{"size=1m,mode=0700,uid=5,gid=6", Options{SizeLimit: 1 << 20, Mode: 0o700, ModeGiven: true, UID: 5, GID: 6},
			GivenSize | GivenMode | GivenUID | GivenGID, nil},
		{"size=1000", Options{SizeLimit: 4096}, GivenSize, nil}, // whole pages
		{"size=2G", Options{SizeLimit: 2 << 30}, GivenSize, nil},
		{"nr_blocks=3", Options{SizeLimit: 3 * 4096}, GivenSize, nil},
		{"nr_inodes=2", Options{Inodes: 2}, GivenInodes, nil},
		{"nr_inodes=1k", Options{Inodes: 1024}, GivenInodes, nil},
		{"size=0,nr_inodes=0", Options{}, GivenSize | GivenInodes, nil},
		{"huge=never,inode64,noswap,rw", Options{}, 0, nil},
		{"size=lots", Options{}, 0, unix.EINVAL},
		{"size=1x", Options{}, 0, unix.EINVAL},
		{"mode=9", Options{}, 0, unix.EINVAL},
		{"mode=0", Options{ModeGiven: true}, GivenMode, nil},
		{"uid=-1", Options{}, 0, unix.EINVAL},
		{"bogus=1", Options{}, 0, unix.EINVAL},
		{"inode64=1", Options{}, 0, unix.EINVAL},
	} {
		o, given, err := ParseOptions(c.data)
		if err != c.err || err == nil && (o != c.want || given != c.given) {
			t.Errorf("ParseOptions(%q) = %+v, %b, %v; want %+v, %b, %v", c.data, o, given, err, c.want, c.given, c.err)
		}
	}
}

func TestFormatOptions(t *testing.T) {
	for _, c := range []struct {
		o    Options
		want string
	}{
		{Options{}, ""},
		{Options{Mode: 0o1777}, ""},
		{Options{SizeLimit: 1 << 20, Inodes: 2, Mode: 0o755, UID: 1, GID: 2}, "size=1024k,nr_inodes=2,mode=755,uid=1,gid=2"},
		{Options{SizeLimit: 1000, Mode: 0o700}, "size=4k,mode=700"},
	} {
		if got := FormatOptions(c.o); got != c.want {
			t.Errorf("FormatOptions(%+v) = %q, want %q", c.o, got, c.want)
		}
	}
}

// TestReconfigure follows Linux's shmem_reconfigure: the limits change,
// not below what is used; mode, uid and gid are left alone.
func TestReconfigure(t *testing.T) {
	fs := New(Options{SizeLimit: 1 << 20, Inodes: 3})
	root := fs.Root()
	_, f := create(t, root, "f", unix.O_RDWR)
	if _, err := unix.Write(f.HostFD(), make([]byte, 64<<10)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		data, want string
		err        error
	}{
		{"size=4m", "size=4096k,nr_inodes=3", nil},
		{"size=16k", "size=4096k,nr_inodes=3", unix.EINVAL}, // below what is used
		{"nr_inodes=1", "size=4096k,nr_inodes=3", unix.EINVAL},
		{"nr_inodes=2,mode=700,uid=5", "size=4096k,nr_inodes=2", nil},
		{"bogus", "size=4096k,nr_inodes=2", unix.EINVAL},
	} {
		err := fs.Reconfigure(c.data)
		if got := fs.Options(); err != c.err || got != c.want {
			t.Errorf("Reconfigure(%q) = %v, options %q; want %v, %q", c.data, err, got, c.err, c.want)
		}
	}
	if a := attr(t, root); a.Mode&07777 != 0o1777 || a.UID != 0 {
		t.Errorf("root mode %o uid %d after a remount with mode= and uid=, want 1777 0", a.Mode&07777, a.UID)
	}
	// nr_inodes counts the root: 2 is the root and f, no more.
	if _, _, err := root.Create("g", unix.O_RDWR, 0o644, cred); err != unix.ENOSPC {
		t.Errorf("Create beyond nr_inodes = %v, want ENOSPC", err)
	}
	if err := root.Mkdir("d", 0o755, cred); err != unix.ENOSPC {
		t.Errorf("Mkdir beyond nr_inodes = %v, want ENOSPC", err)
	}
	if sf, _ := root.Statfs(); sf.Files != 2 || sf.Ffree != 0 {
		t.Errorf("Statfs files %d free %d, want 2 0", sf.Files, sf.Ffree)
	}
	must(t, root.Unlink("f"))
	if _, _, err := root.Create("g", unix.O_RDWR, 0o644, cred); err != unix.ENOSPC {
		t.Errorf("Create while the unlinked f is open = %v, want ENOSPC", err)
	}
}

// TestReconfigureUnlimited: an unlimited tmpfs cannot be limited later
// (EINVAL, as shmem_reconfigure), size or inodes.
func TestReconfigureUnlimited(t *testing.T) {
	fs := New(Options{})
	for _, data := range []string{"size=1m", "nr_inodes=100"} {
		if err := fs.Reconfigure(data); err != unix.EINVAL {
			t.Errorf("Reconfigure(%q) of an unlimited tmpfs = %v, want EINVAL", data, err)
		}
	}
	if err := fs.Reconfigure("size=0"); err != nil {
		t.Errorf("Reconfigure(size=0) = %v, want nil", err)
	}
}
