// Package interp makes a dynamic program's ELF interpreter visible to the
// host kernel's exec.
//
// The host executes a guest program itself, from the descriptor of the
// file the sentry resolved (so it write-denies it, maps it, and names the
// process after it), and the kernel then opens the program's PT_INTERP by
// path, in the guest process's host-level mount namespace. That namespace
// has an empty, read-only tmpfs for its root (vkernel/stub.go): nothing
// there. So for each exec the sentry places the interpreter the guest's
// own tree resolves at that path, as a bind mount of the interpreter's
// host file, made by a thread of the sentry that has joined the guest's
// mount namespace (a Placer).
//
// A Spot is one PT_INTERP path. It holds one file at a time; an exec holds
// the spot from before its execveat until the kernel has loaded the
// interpreter (the exec event) or failed, and an exec wanting another file
// at a held spot waits for the holders to finish: no exec ever loads an
// interpreter other than the one the sentry resolved for it. A spot keeps
// its file after its last holder, so the next exec of a program with the
// same interpreter, nearly every exec, costs no mount operation.
//
// Where a placement cannot be made (vkernel without CAP_SYS_ADMIN, an
// interpreter with no host mount, such as a tmpfs file's memfd, a
// PT_INTERP that is not a clean absolute path, or a guest past MaxSpots
// distinct paths) the caller runs the interpreter in command mode instead
// (sentry.ExecPlan.CommandMode).
package interp
