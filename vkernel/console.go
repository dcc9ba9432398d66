package vkernel

import (
	"golang.org/x/sys/unix"

	"vkernel/sentry"
	"vkernel/sentry/fsimpl/devfs"
	"vkernel/sentry/vfs"
)

// stdioConsole returns the terminal on vkernel's stdin, stdout or stderr
// (the first that is one), which becomes the guest's /dev/console; nil
// when none is a terminal.
func stdioConsole() *devfs.Console {
	for fd := 0; fd <= 2; fd++ {
		if c := devfs.NewConsole(fd); c != nil {
			return c
		}
	}
	return nil
}

// stdioFDs makes the first guest process's descriptor table: the guest's
// stdin, stdout and stderr that are the console stand at /dev/console, so
// that fstat, readlink of /proc/self/fd/N and ttyname name the terminal
// as the guest sees it. Other stdio (pipes, files) is the host's, as any
// descriptor the guest did not open through the VFS.
func (m *Machine) stdioFDs(root vfs.VirtualDentry) *sentry.FDTable {
	fds := sentry.NewFDTable()
	console := m.cfg.FS.Console
	if console == nil {
		return fds
	}
	ctx := &vfs.Context{Root: root, Cwd: root, Cred: vfs.RootCred()}
	vd, err := m.kernel.VFS.Walk(ctx, root, "/dev/console", 0)
	if err != nil {
		return fds
	}
	defer vd.DecRef()
	if a, _, err := m.kernel.VFS.Stat(vd); err != nil || a.Type() != unix.S_IFCHR {
		return fds
	}
	for fd := 0; fd <= 2; fd++ {
		if !console.Is(fd) {
			continue
		}
		if f, err := console.File(vd, fd); err == nil {
			fds.Install(fd, f)
		}
	}
	return fds
}
