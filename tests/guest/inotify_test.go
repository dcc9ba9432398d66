package guest

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// inotifyScript watches /shared for creations and prints each name (perl,
// which bookworm's minbase has, through raw syscalls: inotify_init=253,
// inotify_add_watch=254; IN_CREATE=0x100).
const inotifyScript = `
my $fd = syscall(253); my $p = "/shared";
syscall(254, $fd, $p, 0x100) >= 0 or die "watch: $!";
$| = 1; print "ready\n";
open(my $i, "<&=", $fd) or die; my $buf;
my $n = sysread($i, $buf, 4096);
my ($w, $m, $c, $l) = unpack("iIII", $buf);
print "created ", unpack("Z*", substr($buf, 16, $l)), "\n";
`

// TestInotifyHostChanges: a guest watching a dirfs directory hears of a
// file the host creates there.
func TestInotifyHostChanges(t *testing.T) {
	bin := needBin(t)
	root := needRootfs(t, "bookworm")
	share := t.TempDir()
	cmd := exec.Command(bin, "run", "--root", root, "--mount", share+":/shared", "--", "/usr/bin/perl", "-e", inotifyScript)
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	lines := make(chan string, 4)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	next := func() string {
		select {
		case l := <-lines:
			return l
		case <-time.After(10 * time.Second):
			return "(timeout)"
		}
	}
	if l := next(); l != "ready" {
		t.Fatalf("guest said %q, want ready", l)
	}
	if err := os.WriteFile(filepath.Join(share, "from-host"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if l := next(); strings.TrimSpace(l) != "created from-host" {
		t.Errorf("guest heard %q, want \"created from-host\"", l)
	}
}
