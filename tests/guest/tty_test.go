package guest

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
)

// TestTerminalInterrupt runs a guest on a terminal: the program gets the
// terminal's foreground, so the keyboard's Ctrl-C reaches it (and not
// vkernel), it sees a terminal on its stdio, named /dev/console, and
// vkernel exits with its status.
func TestTerminalInterrupt(t *testing.T) {
	bin := needBin(t)
	root := needRootfs(t, "bookworm")
	cmd := exec.Command(bin, "run", "--root", root, "--clear-env", "--env", "PATH=/usr/bin:/bin", "--",
		"/bin/bash", "-c", `trap 'echo got-INT; exit 7' INT; [ -t 0 ] && [ -t 1 ] && echo tty-ok; echo "name $(tty)"; [ /dev/console -ef /proc/self/fd/0 ] && echo console-ok; echo ready; while :; do sleep 0.05; done`)
	tty, err := pty.Start(cmd)
	if err != nil {
		t.Fatalf("pty: %v", err)
	}
	defer tty.Close()
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(tty)
		for sc.Scan() {
			lines <- strings.TrimSpace(sc.Text())
		}
		close(lines)
	}()
	expect := func(want string) {
		t.Helper()
		deadline := time.After(20 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("terminal closed before %q", want)
				}
				// The terminal echoes ^C before the program's answer.
				if strings.TrimPrefix(l, "^C") == want {
					return
				}
			case <-deadline:
				cmd.Process.Kill()
				t.Fatalf("no %q on the terminal", want)
			}
		}
	}
	expect("tty-ok")
	// ttyname finds the terminal: /dev/console, as the descriptor is.
	expect("name /dev/console")
	expect("console-ok")
	expect("ready")
	if _, err := tty.Write([]byte{3}); err != nil { // Ctrl-C
		t.Fatal(err)
	}
	expect("got-INT")
	err = cmd.Wait()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 7 {
		t.Fatalf("vkernel exited with %v, want status 7", err)
	}
}

// TestSignalForwarding sends SIGTERM to vkernel: the guest program gets it.
func TestSignalForwarding(t *testing.T) {
	bin := needBin(t)
	root := needRootfs(t, "bookworm")
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP} {
		cmd := exec.Command(bin, "run", "--root", root, "--", "/bin/bash", "-c",
			`trap 'echo got-sig; exit 9' TERM INT HUP; echo ready; while :; do sleep 0.05; done`)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		if !sc.Scan() || sc.Text() != "ready" {
			cmd.Process.Kill()
			t.Fatalf("%v: no ready line", sig)
		}
		cmd.Process.Signal(sig)
		got := ""
		if sc.Scan() {
			got = sc.Text()
		}
		err = cmd.Wait()
		ee, ok := err.(*exec.ExitError)
		if got != "got-sig" || !ok || ee.ExitCode() != 9 {
			t.Errorf("%v: guest printed %q, vkernel exited %v; want got-sig and status 9", sig, got, err)
		}
	}
}
