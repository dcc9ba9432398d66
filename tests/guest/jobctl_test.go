package guest

import (
	"bufio"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
)

// TestJobControl runs vkernel from an interactive shell on a terminal, as
// a user does: Ctrl-Z stops the guest's program and vkernel with it, so
// the shell gets the terminal back and reports the job stopped; fg
// continues both, the program in the foreground again, where Ctrl-C
// reaches it.
func TestJobControl(t *testing.T) {
	bin := needBin(t)
	root := needRootfs(t, "bookworm")
	shell, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash on the host")
	}
	cmd := exec.Command(shell, "--norc", "--noprofile", "-i")
	cmd.Env = []string{"PS1=prompt$ ", "TERM=dumb", "PATH=/usr/bin:/bin"}
	tty, err := pty.Start(cmd)
	if err != nil {
		t.Fatalf("pty: %v", err)
	}
	defer func() {
		tty.Close()
		cmd.Process.Kill()
		cmd.Wait()
	}()
	out := make(chan string, 64)
	go func() {
		r := bufio.NewReader(tty)
		var b strings.Builder
		for {
			c, err := r.ReadByte()
			if err != nil {
				close(out)
				return
			}
			b.WriteByte(c)
			if c == '\n' || strings.HasSuffix(b.String(), "prompt$ ") {
				out <- b.String()
				b.Reset()
			}
		}
	}()
	var seen strings.Builder
	expect := func(want string) {
		t.Helper()
		deadline := time.After(20 * time.Second)
		for {
			select {
			case s, ok := <-out:
				if !ok {
					t.Fatalf("terminal closed before %q; it showed:\n%s", want, seen.String())
				}
				seen.WriteString(s)
				if strings.Contains(s, want) {
					return
				}
			case <-deadline:
				t.Fatalf("no %q on the terminal; it showed:\n%s", want, seen.String())
			}
		}
	}
	send := func(s string) {
		t.Helper()
		if _, err := tty.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	expect("prompt$ ")
	// The markers are quoted apart in the command, so that the terminal's
	// echo of the command line does not match them: only the program's
	// output does, once it runs in the foreground.
	send(bin + " run --root " + root + ` -- /bin/bash -c 'trap "echo got-""INT; exit 7" INT; echo sta""rted; while :; do sleep 0.05; done'` + "\n")
	expect("started")
	send("\x1a") // Ctrl-Z
	expect("Stopped")
	expect("prompt$ ")
	send("echo shell-back\n")
	expect("shell-back")
	send("fg\n")
	time.Sleep(500 * time.Millisecond)
	send("\x03") // Ctrl-C, to the program in the foreground again
	expect("got-INT")
	expect("prompt$ ")
	send("echo status $?\n")
	expect("status 7")
}
