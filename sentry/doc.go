// Package sentry is vkernel's kernel proper: tasks and thread groups, their
// credentials, filesystem context (root, cwd, umask) and descriptor tables,
// and the system call table whose handlers serve the calls a guest makes
// through the VFS.
//
// The sentry never touches a guest directly: the machine (package vkernel)
// hands each intercepted call to Kernel.Handle together with the task's
// Memory and an FDInstaller, and carries the Result back. Handlers are
// therefore testable without a live guest.
//
// Lock order:
//
//	Kernel.mu
//	  FDTable.mu
//	  FSContext.mu
//
// Handlers never hold a sentry lock while calling into the VFS for a walk.
package sentry
