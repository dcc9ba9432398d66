package sentry

import (
	"slices"

	"vkernel/sentry/fsimpl/procfs"
	"vkernel/sentry/vfs"
)

// ProcSource is the kernel as procfs reads it.
func (k *Kernel) ProcSource() procfs.Source { return procSource{k} }

type procSource struct{ k *Kernel }

func (s procSource) Processes() []procfs.Process {
	var out []procfs.Process
	if init := s.k.initProc(); init != nil {
		out = append(out, init)
	}
	for _, t := range s.k.Tasks() {
		if t.PID() > 0 {
			out = append(out, procProcess{t})
		}
	}
	return out
}

func (s procSource) Process(pid int) procfs.Process {
	if init := s.k.initProc(); init != nil && pid == 1 {
		return init
	}
	if t := s.k.TaskByGuestPID(pid); t != nil {
		return procProcess{t}
	}
	if t := s.k.threadByGuestTID(pid); t != nil {
		return procProcess{t}
	}
	return nil
}

// Caller implements procfs.Source.Caller: the calling thread, whose root
// and cwd are its own (a thread may unshare them) and whose PID is its
// process's.
func (s procSource) Caller(caller any) procfs.Process {
	if t, ok := caller.(*Task); ok && t != nil {
		return procProcess{t}
	}
	return nil
}

func (s procSource) CallerTID(caller any) int {
	if t, ok := caller.(*Task); ok && t != nil {
		return t.GuestTID()
	}
	return 0
}

func (s procSource) Hostname() string { return s.k.Hostname() }

func (s procSource) Domainname() string { return s.k.Domainname() }

// procProcess is a thread group as procfs sees it, through its leader, or
// one thread (task/<tid>, and the caller), with the thread's credentials,
// comm, root and cwd.
type procProcess struct{ t *Task }

var (
	_ procfs.Process    = procProcess{}
	_ procfs.Owner      = procProcess{}
	_ procfs.Identified = procProcess{}
)

func (p procProcess) Identity() procfs.Identity {
	_, _, umask := p.t.FS().Get()
	c := p.t.Creds
	c.mu.Lock()
	defer c.mu.Unlock()
	return procfs.Identity{
		UIDs:       [4]uint32{c.RUID, c.EUID, c.SUID, c.FSUID},
		GIDs:       [4]uint32{c.RGID, c.EGID, c.SGID, c.FSGID},
		Groups:     append([]uint32(nil), c.Groups...),
		Caps:       [5]uint64{c.CapInheritable, c.CapPermitted, c.CapEffective, c.CapBounding, c.CapAmbient},
		NoNewPrivs: c.NoNewPrivs,
		Umask:      umask,
	}
}

func (p procProcess) Comm() string { return p.t.Comm() }

func (p procProcess) SetComm(name string) { p.t.SetComm(name) }

func (p procProcess) PID() int { return p.t.PID() }
func (p procProcess) PPID() int {
	// A process whose parent is no task is vkernel's init's child.
	if ppid := p.t.TG.ParentPID(); ppid != 0 || p.t.k.initProc() == nil {
		return ppid
	}
	return 1
}
func (p procProcess) HostTID() int      { return p.t.TID() }
func (p procProcess) Argv() []string    { return p.t.TG.Argv() }
func (p procProcess) Environ() []string { return p.t.TG.Environ() }
func (p procProcess) Cred() *vfs.Cred   { return p.t.Creds.dumpOwner() }
func (p procProcess) FDs() []int        { return p.t.FDs().FDs() }

func (p procProcess) FD(n int) (*vfs.File, bool) { return p.t.FDs().Get(n) }

// Threads implements procfs.Process.Threads: the leader, then the others
// by tid.
func (p procProcess) Threads() []procfs.Thread {
	leader := p.t.TG.Leader()
	var ths []procfs.Thread
	for _, t := range p.t.TG.Threads() {
		ths = append(ths, procfs.Thread{TID: t.GuestTID(), P: procProcess{t}})
	}
	slices.SortFunc(ths, func(a, b procfs.Thread) int {
		al, bl := a.P.(procProcess).t == leader, b.P.(procProcess).t == leader
		if al != bl {
			if al {
				return -1
			}
			return 1
		}
		return a.TID - b.TID
	})
	return ths
}

func (p procProcess) Exe() (string, vfs.VirtualDentry) { return p.t.TG.Exe() }

func (p procProcess) Loader() (placed, host string) { return p.t.TG.Loader() }

func (p procProcess) Root() vfs.VirtualDentry {
	root, _, _ := p.t.FS().Get()
	return root
}

func (p procProcess) Cwd() vfs.VirtualDentry {
	_, cwd, _ := p.t.FS().Get()
	return cwd
}

// SetInit records vkernel's own init (vkernel run): the guest's pid 1, a
// host process that is not a task (it makes no served calls), with host
// id hostPID and the guest's root. procfs shows it, as Linux shows a
// container's init.
func (k *Kernel) SetInit(hostPID int, root vfs.VirtualDentry) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.init = &initProcess{hostPID: hostPID, root: root}
}

func (k *Kernel) initProc() *initProcess {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.init
}

// initProcess is vkernel's init as procfs sees it.
type initProcess struct {
	hostPID int
	root    vfs.VirtualDentry
}

var (
	_ procfs.Process = (*initProcess)(nil)
	_ procfs.Opaque  = (*initProcess)(nil)
)

// Opaque implements procfs.Opaque: the init's descriptors and mappings
// are vkernel's.
func (p *initProcess) Opaque() {}

// initName is the init's name in cmdline, comm and status.
const initName = "vkernel-init"

func (p *initProcess) PID() int                         { return 1 }
func (p *initProcess) PPID() int                        { return 0 }
func (p *initProcess) HostTID() int                     { return p.hostPID }
func (p *initProcess) Argv() []string                   { return []string{initName} }
func (p *initProcess) Environ() []string                { return nil }
func (p *initProcess) Exe() (string, vfs.VirtualDentry) { return "", vfs.VirtualDentry{} }
func (p *initProcess) Loader() (placed, host string)    { return "", "" }
func (p *initProcess) Root() vfs.VirtualDentry          { return p.root }
func (p *initProcess) Cwd() vfs.VirtualDentry           { return p.root }
func (p *initProcess) FDs() []int                       { return nil }
func (p *initProcess) FD(int) (*vfs.File, bool)         { return nil, false }
func (p *initProcess) Threads() []procfs.Thread         { return []procfs.Thread{{TID: 1, P: p}} }
