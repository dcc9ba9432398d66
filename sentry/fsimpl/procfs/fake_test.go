package procfs

import (
	"os"
	"slices"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"vkernel/sentry/fsimpl/tmpfs"
	"vkernel/sentry/vfs"
)

// fakeProc is a Process for tests. Its HostTID is the test binary's own
// pid, so the host figures it reads exist.
type fakeProc struct {
	pid, ppid, host int
	argv, env       []string
	exe             string
	exeVD           vfs.VirtualDentry
	root, cwd       vfs.VirtualDentry
	threads         []int
	// cred, when set, makes the process's entries its own (Owner).
	cred *vfs.Cred

	mu  sync.Mutex
	fds map[int]*vfs.File
}

func (p *fakeProc) PID() int                         { return p.pid }
func (p *fakeProc) PPID() int                        { return p.ppid }
func (p *fakeProc) HostTID() int                     { return p.host }
func (p *fakeProc) Argv() []string                   { return p.argv }
func (p *fakeProc) Environ() []string                { return p.env }
func (p *fakeProc) Root() vfs.VirtualDentry          { return p.root }
func (p *fakeProc) Cwd() vfs.VirtualDentry           { return p.cwd }
func (p *fakeProc) Exe() (string, vfs.VirtualDentry) { return p.exe, p.exeVD }
func (p *fakeProc) Loader() (placed, host string)    { return "", "" }

func (p *fakeProc) Cred() *vfs.Cred { return p.cred }

func (p *fakeProc) Threads() []Thread {
	if p.threads == nil {
		return []Thread{{p.pid, p}}
	}
	var ths []Thread
	for _, tid := range p.threads {
		ths = append(ths, Thread{tid, p})
	}
	return ths
}

func (p *fakeProc) FDs() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	var fds []int
	for n := range p.fds {
		fds = append(fds, n)
	}
	slices.Sort(fds)
	return fds
}

func (p *fakeProc) FD(n int) (*vfs.File, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f, ok := p.fds[n]
	if ok {
		f.IncRef()
	}
	return f, ok
}

// install puts f at descriptor f.HostFD(), as vkernel installs a file's
// host descriptor under the guest's number.
func (p *fakeProc) install(f *vfs.File) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fds == nil {
		p.fds = map[int]*vfs.File{}
	}
	p.fds[f.HostFD()] = f
	return f.HostFD()
}

// fakeSource is a Source over a list of fakeProcs.
type fakeSource struct {
	mu    sync.Mutex
	procs []*fakeProc
}

func (s *fakeSource) Processes() []Process {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ps []Process
	for _, p := range s.procs {
		ps = append(ps, p)
	}
	return ps
}

func (s *fakeSource) Process(pid int) Process {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.procs {
		if p.pid == pid {
			return p
		}
	}
	return nil
}

func (s *fakeSource) Caller(c any) Process {
	if p, ok := c.(*fakeProc); ok && p != nil {
		return p
	}
	return nil
}

func (s *fakeSource) CallerTID(c any) int {
	if p := s.Caller(c); p != nil {
		return p.PID()
	}
	return 0
}

func (s *fakeSource) Hostname() string { return "guest" }

func (s *fakeSource) Domainname() string { return "(none)" }

func (s *fakeSource) remove(pid int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.procs = slices.DeleteFunc(s.procs, func(p *fakeProc) bool { return p.pid == pid })
}

// env is a small guest tree: a tmpfs root holding /tmp/sub, /mnt and
// /usr/bin/prog, procfs at /proc, and process 1 (cwd /tmp, the caller)
// and 2 (a child).
type env struct {
	v     *vfs.VFS
	root  vfs.VirtualDentry
	fs    *FS
	procM *vfs.Mount
	src   *fakeSource
	p1    *fakeProc
	p2    *fakeProc
	ctx   *vfs.Context
}

func newEnv(t *testing.T) *env {
	t.Helper()
	v := vfs.New()
	m := v.NewRootMount(tmpfs.New(tmpfs.Options{Mode: 0o755}), 0)
	e := &env{v: v, root: v.Root(m), src: &fakeSource{}}
	e.ctx = &vfs.Context{Root: e.root, Cwd: e.root, Cred: vfs.RootCred()}
	for _, d := range []string{"/proc", "/tmp", "/tmp/sub", "/mnt", "/usr", "/usr/bin"} {
		must(t, v.Mkdir(e.ctx, vfs.VirtualDentry{}, d, 0o755))
	}
	f, err := v.Open(e.ctx, vfs.VirtualDentry{}, "/usr/bin/prog", unix.O_CREAT|unix.O_WRONLY, 0o755)
	must(t, err)
	f.DecRef()
	e.fs = New(v, e.src)
	e.procM, err = v.MountAt(e.walk(t, "/proc"), e.fs, unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC|unix.MS_RELATIME)
	must(t, err)
	e.p1 = &fakeProc{
		pid: 1, host: os.Getpid(),
		argv: []string{"prog", "-x", ""}, env: []string{"HOME=/", "A=b"},
		exe: "/usr/bin/prog", exeVD: e.walk(t, "/usr/bin/prog"),
		root: e.root, cwd: e.walk(t, "/tmp"),
	}
	e.p2 = &fakeProc{
		pid: 2, ppid: 1, host: os.Getpid(),
		argv: []string{"/usr/bin/a-very-long-command-name"}, exe: "/usr/bin/a-very-long-command-name",
		root: e.walk(t, "/tmp"), cwd: e.walk(t, "/tmp/sub"),
	}
	e.src.procs = []*fakeProc{e.p1, e.p2}
	e.ctx.Caller = e.p1
	return e
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// walk resolves path, following a final symlink.
func (e *env) walk(t *testing.T, path string) vfs.VirtualDentry {
	t.Helper()
	vd, err := e.v.Walk(e.ctx, vfs.VirtualDentry{}, path, vfs.FollowFinal)
	if err != nil {
		t.Fatalf("Walk(%q) = %v", path, err)
	}
	return vd
}

// lwalk resolves path without following a final symlink.
func (e *env) lwalk(t *testing.T, path string) vfs.VirtualDentry {
	t.Helper()
	vd, err := e.v.Walk(e.ctx, vfs.VirtualDentry{}, path, 0)
	if err != nil {
		t.Fatalf("Walk(%q, nofollow) = %v", path, err)
	}
	return vd
}

// read opens path read-only through the VFS and returns its contents.
func (e *env) read(t *testing.T, path string) (string, error) {
	t.Helper()
	f, err := e.v.Open(e.ctx, vfs.VirtualDentry{}, path, unix.O_RDONLY, 0)
	if err != nil {
		return "", err
	}
	defer f.DecRef()
	return readFD(t, f.HostFD()), nil
}

func readFD(t *testing.T, fd int) string {
	t.Helper()
	var out []byte
	buf := make([]byte, 64<<10)
	for off := int64(0); ; {
		n, err := unix.Pread(fd, buf, off)
		if err != nil {
			t.Fatalf("pread = %v", err)
		}
		if n == 0 {
			return string(out)
		}
		out = append(out, buf[:n]...)
		off += int64(n)
	}
}

// readlink returns the text of the link at path.
func (e *env) readlink(t *testing.T, path string) (string, error) {
	t.Helper()
	vd, err := e.v.Walk(e.ctx, vfs.VirtualDentry{}, path, 0)
	if err != nil {
		return "", err
	}
	return e.v.Readlink(e.ctx, vd)
}

// names lists the directory at path, without "." and "..".
func (e *env) names(t *testing.T, path string) []string {
	t.Helper()
	ents, err := e.walk(t, path).Dentry.Vnode().Readdir()
	if err != nil {
		t.Fatalf("Readdir(%q) = %v", path, err)
	}
	var names []string
	for _, d := range ents[2:] {
		names = append(names, d.Name)
	}
	return names
}
