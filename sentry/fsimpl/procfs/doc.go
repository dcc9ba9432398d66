// Package procfs is the guest's /proc, analogous to Linux's fs/proc and
// gVisor's fsimpl/proc.
//
// procfs never imports the sentry. It reads guest processes through the
// Source and Process interfaces it defines, which the sentry's Kernel and
// its processes implement, and mounts through the vfs.VFS it is given.
//
// # The tree
//
//	/proc/self, thread-self     symlinks whose text is the caller's pid
//	                            ("<pid>", "<pid>/task/<pid>"): vfs.ContextReadlinker
//	/proc/mounts                symlink to self/mounts
//	/proc/<pid>/                one per Source.Processes()
//	    cmdline, environ        Argv, Environ: each string NUL-terminated
//	    comm                    base name of Exe, 15 bytes
//	    stat, status            the host's /proc/<HostTID>/... with the guest's
//	                            pid, ppid and comm; pgrp and session mapped to
//	                            guest pids, 0 outside the guest; TracerPid 0
//	    statm, limits           the host's, as is
//	    mounts, mountinfo       from vfs.Mounts(), seen from the process's root
//	    exe, cwd, root          magic links (vfs.MagicLink) to the position;
//	                            readlink is its path from the caller's root
//	    fd/N                    magic link: a file of the sentry's table leads to
//	                            its position; any other descriptor reads as the
//	                            host's text ("pipe:[7]") and opening it reopens
//	                            the host object
//	    fdinfo/N                the host's, with the guest's mnt_id
//	    task/<tid>/             as /proc/<pid>/ without task/
//	/proc/cpuinfo, meminfo, stat, uptime, loadavg, version
//	                            the host's, copied at open
//	/proc/filesystems           vkernel's filesystem types
//	/proc/sys/kernel/hostname   Source.Hostname()
//	/proc/sys/kernel/{ostype,osrelease,pid_max,ngroups_max},
//	/proc/sys/fs/{file-max,nr_open}   the host's
//
// # Files
//
// Every open file needs a host descriptor (vfs.FileImpl.HostFD). A
// generated file's contents are made at Open and written to a memfd that is
// then sealed (F_SEAL_WRITE|F_SEAL_GROW|F_SEAL_SHRINK|F_SEAL_SEAL) and
// reopened read-only through /proc/self/fd; the guest gets that reopened
// descriptor and reads it natively, and the seals forbid writes even
// through a writable reopen. Contents are a snapshot taken at open, as
// Linux's seq_file is at the first read. Directories and O_PATH opens get a
// vfs placeholder descriptor; the sentry lists directories through Readdir.
//
// Everything is read-only: opening for write is EACCES; creating is EACCES
// and mkdir, mknod, symlink, link, unlink, rmdir, rename and setattr are
// EPERM, as Linux's procfs answers (it has no such operations).
//
// Attributes: directories dr-xr-xr-x, files -r--r--r-- of size 0, links
// lrwxrwxrwx (fd/N links show their descriptor's access, lr-x------), all
// owned by root, unless the Process implements Owner: its entries are then
// its owner's, environ, fd/ and fdinfo/ are private to the owner, and only
// the owner or CAP_SYS_PTRACE may follow or read its magic links (Linux's
// ptrace_may_access, simplified to fsuid and fsgid); inode numbers are a hash of the entry's path, so stable;
// times are the process's start (else the mount's). statfs says
// PROC_SUPER_MAGIC.
//
// # Host objects behind fd/N
//
// A descriptor not in the sentry's table reads as the host's readlink of
// /proc/<HostTID>/fd/N. Its text is never walked: a host path names the
// host's tree. Opening it reopens the host object through that link
// (Linux's reopen semantics: a pipe's read end reopens writable). For a
// host file or device (text starting with "/"), the reopen gets no more
// access than the descriptor holds, a directory is refused (EACCES) and
// O_PATH gets a placeholder, since the host checks the vkernel's
// credentials and a host directory descriptor would lead out of the
// guest's tree.
//
// # Processes come and go
//
// A pid directory holds the Process it was looked up for and its HostTID;
// once Source no longer has that process (or has another under the pid),
// everything below answers ENOENT (ESRCH for an open). Host figures are
// read by HostTID, so liveness is checked again after reading: a tid the
// host reused once the process was reaped is never reported. Revalidate makes
// the name cache look pid and tid directories, fd/N and fdinfo/N, and
// names missing from those dynamic directories up afresh each time;
// fixed entries are cached.
//
// Lock order: none. Vnodes are immutable once made; proc.startOnce guards
// the one lazily computed figure.
package procfs
