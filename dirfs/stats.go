package dirfs

import "vkernel/stats"

// What dirfs counts for --stats (package stats): each vnode operation, and
// each host call made for it, where it is made, so that the report shows
// host calls per operation (doc.go's table, measured). The creator
// thread's own identity switches (creator.go) are not counted.

// op is a vnode operation, a row of the report.
type op int

const (
	opLookup op = iota
	opRevalidate
	opGetattr
	opSetattr
	opReaddir
	opOpen
	opFileClose
	opReadlink
	opXattr
	opStatfs
	opCreate
	opTmpfile
	opMkdir
	opMknod
	opSymlink
	opLink
	opUnlink
	opRmdir
	opRename
	opOwn
	opRelease
	numOps
)

var opNames = [numOps]string{
	opLookup: "lookup", opRevalidate: "revalidate", opGetattr: "getattr", opSetattr: "setattr",
	opReaddir: "readdir", opOpen: "open", opFileClose: "file close", opReadlink: "readlink",
	opXattr: "xattr", opStatfs: "statfs", opCreate: "create", opTmpfile: "tmpfile",
	opMkdir: "mkdir", opMknod: "mknod", opSymlink: "symlink", opLink: "link",
	opUnlink: "unlink", opRmdir: "rmdir", opRename: "rename",
	opOwn: "own (after create)", opRelease: "release",
}

// hostCall is a kind of host system call, a column of the report.
type hostCall int

const (
	hOpenat2 hostCall = iota
	hOpen             // open of a /proc/self/fd magic link
	hFstat
	hStatx
	hFstatat
	hGetdents
	hClose
	hReadlinkat
	hFchownat
	hFchmodat
	hFtruncate
	hUtimensat
	hXattr
	hMkdirat
	hMknodat
	hSymlinkat
	hLinkat
	hUnlinkat
	hRenameat2
	hFstatfs
	numHostCalls
)

var hostCallNames = [numHostCalls]string{
	hOpenat2: "openat2", hOpen: "open", hFstat: "fstat", hStatx: "statx", hFstatat: "fstatat",
	hGetdents: "getdents64", hClose: "close", hReadlinkat: "readlinkat", hFchownat: "fchownat",
	hFchmodat: "fchmodat", hFtruncate: "ftruncate", hUtimensat: "utimensat", hXattr: "xattr",
	hMkdirat: "mkdirat", hMknodat: "mknodat", hSymlinkat: "symlinkat", hLinkat: "linkat",
	hUnlinkat: "unlinkat", hRenameat2: "renameat2", hFstatfs: "fstatfs",
}

var opStats = stats.NewOps("dirfs host calls by vnode operation", opNames[:], hostCallNames[:])

// count counts one vnode operation o.
func count(o op) { opStats.Op(int(o)) }

// host counts one host call h made for operation o.
func host(o op, h hostCall) { opStats.Host(int(o), int(h)) }
