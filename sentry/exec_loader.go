package sentry

// loaderPlan is the command-mode form of a dynamic program's exec: the
// host executes the ELF interpreter, `ld.so --argv0 ARGV0 PROGRAM ARGS...`,
// and the interpreter opens the program and its libraries through the
// sentry. It is the fallback for where the interpreter cannot be placed
// at its PT_INTERP path for the host's exec of the program (a rootless
// vkernel, an interpreter with no host mount to place, a PT_INTERP that is
// not a clean absolute path).
type loaderPlan struct {
	argv []string
	// keepProg says the plan keeps the program file (Prog): to check the
	// exec and, for a secure exec, to give the loader the checked file by
	// descriptor; progByFD that the loader is given it by descriptor in
	// any case (its own descriptor closes at the exec).
	keepProg, progByFD bool
}

// CommandMode turns the plan of a dynamic program into command mode:
// File becomes the interpreter, Prog the program. A secure exec's
// environment then loses the variables glibc's loader would drop: the
// loader, run in command mode, would remove them itself and trip over its
// own argument shuffling. A plan with no interpreter is left as it is.
func (p *ExecPlan) CommandMode() {
	if p.Interp == nil || p.loader == nil {
		return
	}
	prog := p.File
	p.File, p.Interp, p.InterpPath = p.Interp, nil, ""
	p.Argv, p.ProgArg, p.ProgByFD = p.loader.argv, 3, p.loader.progByFD
	if p.loader.keepProg {
		p.Prog = prog
	} else {
		prog.DecRef()
	}
	p.loader = nil
	if p.Secure {
		p.Envp = secureEnv(p.Envp)
	}
}
