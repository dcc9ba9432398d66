package sentry

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// How --strace shows an argument.
type argKind uint8

const (
	argHex  argKind = iota // the default
	argFD                  // a descriptor: decimal, AT_FDCWD
	argInt                 // a signed decimal
	argMode                // octal
	argOpen                // open(2) flags
	argAt                  // AT_* flags
	argPath                // a path string (from register's paths)
	argOmit                // not an argument of this call
)

// argKinds names the arguments of the calls --strace shows most; each
// list covers the call's arguments, the rest are left out.
var argKinds = map[uintptr][]argKind{
	unix.SYS_OPEN:       {argPath, argOpen, argMode},
	unix.SYS_OPENAT:     {argFD, argPath, argOpen, argMode},
	unix.SYS_CREAT:      {argPath, argMode},
	unix.SYS_CLOSE:      {argFD},
	unix.SYS_DUP:        {argFD},
	unix.SYS_DUP2:       {argFD, argFD},
	unix.SYS_DUP3:       {argFD, argFD, argOpen},
	unix.SYS_FSTAT:      {argFD, argHex},
	unix.SYS_STAT:       {argPath, argHex},
	unix.SYS_LSTAT:      {argPath, argHex},
	unix.SYS_NEWFSTATAT: {argFD, argPath, argHex, argAt},
	unix.SYS_STATX:      {argFD, argPath, argAt, argHex, argHex},
	unix.SYS_ACCESS:     {argPath, argInt},
	unix.SYS_FACCESSAT:  {argFD, argPath, argInt},
	unix.SYS_FACCESSAT2: {argFD, argPath, argInt, argAt},
	unix.SYS_READLINK:   {argPath, argHex, argInt},
	unix.SYS_READLINKAT: {argFD, argPath, argHex, argInt},
	unix.SYS_MKDIR:      {argPath, argMode},
	unix.SYS_MKDIRAT:    {argFD, argPath, argMode},
	unix.SYS_UNLINK:     {argPath},
	unix.SYS_UNLINKAT:   {argFD, argPath, argAt},
	unix.SYS_RMDIR:      {argPath},
	unix.SYS_RENAME:     {argPath, argPath},
	unix.SYS_RENAMEAT:   {argFD, argPath, argFD, argPath},
	unix.SYS_RENAMEAT2:  {argFD, argPath, argFD, argPath, argHex},
	unix.SYS_CHDIR:      {argPath},
	unix.SYS_FCHDIR:     {argFD},
	unix.SYS_CHMOD:      {argPath, argMode},
	unix.SYS_FCHMOD:     {argFD, argMode},
	unix.SYS_FCHMODAT:   {argFD, argPath, argMode},
	unix.SYS_GETDENTS64: {argFD, argHex, argInt},
	unix.SYS_GETDENTS:   {argFD, argHex, argInt},
	unix.SYS_GETCWD:     {argHex, argInt},
	unix.SYS_UMASK:      {argMode},
	unix.SYS_FCNTL:      {argFD, argInt, argHex},
	unix.SYS_IOCTL:      {argFD, argHex, argHex},
	unix.SYS_CONNECT:    {argFD, argHex, argInt},
	unix.SYS_BIND:       {argFD, argHex, argInt},
}

var openFlagNames = []struct {
	bit  int
	name string
}{
	{unix.O_CREAT, "O_CREAT"}, {unix.O_EXCL, "O_EXCL"}, {unix.O_NOCTTY, "O_NOCTTY"},
	{unix.O_TRUNC, "O_TRUNC"}, {unix.O_APPEND, "O_APPEND"}, {unix.O_NONBLOCK, "O_NONBLOCK"},
	{unix.O_DSYNC, "O_DSYNC"}, {unix.O_DIRECT, "O_DIRECT"}, {unix.O_LARGEFILE, "O_LARGEFILE"},
	{unix.O_DIRECTORY, "O_DIRECTORY"}, {unix.O_NOFOLLOW, "O_NOFOLLOW"}, {unix.O_NOATIME, "O_NOATIME"},
	{unix.O_CLOEXEC, "O_CLOEXEC"}, {unix.O_PATH, "O_PATH"}, {0x400000, "__O_TMPFILE"},
}

// atFlagNames are the AT_* bits that mean the same in every call. Bit
// 0x200 does not: see at0x200.
var atFlagNames = []struct {
	bit  int
	name string
}{
	{unix.AT_SYMLINK_NOFOLLOW, "AT_SYMLINK_NOFOLLOW"},
	{unix.AT_SYMLINK_FOLLOW, "AT_SYMLINK_FOLLOW"}, {unix.AT_NO_AUTOMOUNT, "AT_NO_AUTOMOUNT"},
	{unix.AT_EMPTY_PATH, "AT_EMPTY_PATH"},
}

// at0x200 names AT_* bit 0x200 in call nr: Linux gives it to
// AT_REMOVEDIR (unlinkat) and AT_EACCESS (faccessat2) alike; "" where
// the call gives it no name (it is shown in hex).
func at0x200(nr uintptr) string {
	switch nr {
	case unix.SYS_UNLINKAT:
		return "AT_REMOVEDIR"
	case unix.SYS_FACCESSAT, unix.SYS_FACCESSAT2:
		return "AT_EACCESS"
	}
	return ""
}

// formatArg shows argument v of kind k.
func formatArg(c *Call, i int, k argKind) string {
	v := c.Args[i]
	switch k {
	case argFD:
		if int32(v) == unix.AT_FDCWD {
			return "AT_FDCWD"
		}
		return strconv.Itoa(int(int32(v)))
	case argInt:
		return strconv.Itoa(int(int32(v)))
	case argMode:
		return fmt.Sprintf("%#o", uint32(v))
	case argPath:
		if s, err := c.Mem.ReadString(v, unix.PathMax); err == nil {
			return strconv.Quote(s)
		}
		return fmt.Sprintf("%#x", v)
	case argOpen:
		f := int(int32(v))
		parts := []string{[]string{"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"}[f&unix.O_ACCMODE]}
		f &^= unix.O_ACCMODE
		for _, n := range openFlagNames {
			if f&n.bit == n.bit && n.bit != 0 {
				parts = append(parts, n.name)
				f &^= n.bit
			}
		}
		if f != 0 {
			parts = append(parts, fmt.Sprintf("%#x", f))
		}
		return strings.Join(parts, "|")
	case argAt:
		f := int(int32(v))
		var parts []string
		for _, n := range atFlagNames {
			if f&n.bit != 0 {
				parts = append(parts, n.name)
				f &^= n.bit
			}
		}
		if name := at0x200(c.Nr); name != "" && f&0x200 != 0 {
			parts = append(parts, name)
			f &^= 0x200
		}
		if f != 0 || len(parts) == 0 {
			parts = append(parts, fmt.Sprintf("%#x", f))
		}
		return strings.Join(parts, "|")
	}
	return fmt.Sprintf("%#x", v)
}

// straceContinued stands for the result of a call the sentry checked and
// continued (Result.Continue): the host runs it once the notification is
// answered, so its result is not known here.
const straceContinued = "? (continued: run by the host, result not seen)"
