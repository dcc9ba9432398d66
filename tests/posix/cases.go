package posix

import "testing"

// Cases is the conformance suite: each case runs against an empty directory
// dir, which it may fill, on any filesystem, and expects exactly what Linux
// does, errno for errno. A case may change the process's umask or working
// directory for its own duration (it restores them), so cases run one at a
// time.
var Cases = map[string]func(t *testing.T, dir string){
	"link/hard-links":           hardLinks,
	"rename/noreplace":          renameNoreplace,
	"rename/exchange":           renameExchange,
	"rename/over-dirs":          renameOverDirs,
	"rename/into-own-subtree":   renameIntoSubtree,
	"rename/type-mismatch":      renameTypeMismatch,
	"open/tmpfile-linkat":       tmpfileLinkat,
	"open/tmpfile-proc-fd":      tmpfileProcFd,
	"open/excl":                 openExcl,
	"open/creat-dangling":       openCreatDangling,
	"open/creat-mode":           openCreatMode,
	"open/append":               openAppend,
	"open/noatime":              openNoatime,
	"open/path":                 openPath,
	"open/directory":            openDirectoryOnFile,
	"open/nofollow":             openNofollow,
	"open/trunc":                openTrunc,
	"path/trailing-slash":       trailingSlash,
	"path/enametoolong":         nameTooLong,
	"path/eloop":                symlinkLoop,
	"time/utimensat":            utimensat,
	"time/updates":              fileTimes,
	"stat/statx":                statxFields,
	"xattr/user":                xattrs,
	"xattr/values":              xattrValues,
	"lock/flock":                flockCase,
	"lock/posix-two-processes":  posixLocks,
	"lock/ofd":                  ofdLocks,
	"special/fifo":              fifo,
	"special/unix-socket":       unixSocket,
	"special/unix-socket-rel":   unixSocketRelative,
	"special/unix-socket-long":  unixSocketLong,
	"special/unix-socket-names": unixSocketNames,
	"io/fallocate":              fallocate,
	"io/copy-file-range":        copyFileRange,
	"io/sendfile":               sendfile,
	"io/splice":                 splice,
	"io/sync":                   syncs,
	"dir/getdents-types":        getdentsTypes,
	"dir/getdents-seek":         getdentsSeek,
	"dir/getdents-deleted":      getdentsDeleted,
	"dir/mkdir":                 mkdirCase,
	"dir/rmdir":                 rmdirCase,
	"dir/unlink":                unlinkCase,
	"dir/umask":                 umaskCase,
	"proc/umask-in-status":      umaskProcStatus,
	"attr/chmod-chown-root":     chmodChown,
	"watch/inotify":             inotify,
}
