package sentry

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"
)

// Each case here was checked against Linux 6.18 with a C probe, natively
// and in the guest.

const chown = 1 << capChown

// withIDs returns a copy of c with ruid/euid and rgid/egid changed (saved
// and filesystem ids following the effective ones).
func withIDs(c *Creds, ruid, euid, rgid, egid uint32) *Creds {
	c.RUID, c.EUID, c.SUID, c.FSUID = ruid, euid, euid, euid
	c.RGID, c.EGID, c.SGID, c.FSGID = rgid, egid, egid, egid
	return c
}

func TestExecCreds(t *testing.T) {
	// user is uid 1000 (groups 0) with CAP_CHOWN permitted, inheritable,
	// effective and ambient, as after KEEP_CAPS, setresuid, capset and
	// PR_CAP_AMBIENT_RAISE.
	user := func() *Creds {
		c := withIDs(RootCreds(), 1000, 1000, 0, 0)
		c.Groups = []uint32{0}
		c.CapEffective, c.CapPermitted, c.CapInheritable, c.CapAmbient = chown, chown, chown, chown
		return c
	}
	// rootAmb is root with CAP_CHOWN inheritable and ambient.
	rootAmb := func() *Creds {
		c := RootCreds()
		c.CapInheritable, c.CapAmbient = chown, chown
		return c
	}
	for _, tc := range []struct {
		name           string
		creds          *Creds
		mode, uid, gid uint32
		nosuid         bool
		euid, egid     uint32
		eff, perm, amb uint64
		securebits     uint32
	}{
		{name: "root", creds: RootCreds(), mode: 0755,
			eff: allCaps, perm: allCaps},
		{name: "root without capabilities, no_new_privs", creds: func() *Creds {
			c := RootCreds()
			c.CapEffective, c.CapPermitted, c.NoNewPrivs = 0, 0, true
			return c
		}(), mode: 0755},
		{name: "root without capabilities", creds: func() *Creds {
			c := RootCreds()
			c.CapEffective, c.CapPermitted = 0, 0
			return c
		}(), mode: 0755, eff: allCaps, perm: allCaps},
		{name: "root keeps ambient", creds: rootAmb(), mode: 0755,
			eff: allCaps, perm: allCaps, amb: chown},
		{name: "root execs setgid, group not its own", creds: rootAmb(), mode: 02755, gid: 50,
			egid: 50, eff: allCaps, perm: allCaps},
		{name: "ruid 1000 euid 0 keeps ambient", creds: withIDs(rootAmb(), 1000, 0, 0, 0), mode: 0755,
			eff: allCaps, perm: allCaps, amb: chown},
		{name: "user keeps ambient", creds: user(), mode: 0755,
			euid: 1000, eff: chown, perm: chown, amb: chown},
		{name: "user execs setgid", creds: user(), mode: 02755, gid: 50,
			euid: 1000, egid: 50},
		{name: "user execs setgid of a group of its own", creds: func() *Creds {
			c := user()
			c.Groups = []uint32{0, 50}
			return c
		}(), mode: 02755, gid: 50, euid: 1000, egid: 50, eff: chown, perm: chown, amb: chown},
		{name: "user execs setgid without group x", creds: user(), mode: 02745, gid: 50,
			euid: 1000, eff: chown, perm: chown, amb: chown},
		{name: "user execs setuid root", creds: user(), mode: 04755,
			eff: allCaps, perm: allCaps},
		{name: "user execs setuid root, nosuid", creds: user(), mode: 04755, nosuid: true,
			euid: 1000, eff: chown, perm: chown, amb: chown},
		{name: "user execs setuid root, no_new_privs", creds: func() *Creds {
			c := user()
			c.NoNewPrivs = true
			return c
		}(), mode: 04755, euid: 1000, eff: chown, perm: chown, amb: chown},
		{name: "egid outside groups, no_new_privs", creds: func() *Creds {
			c := rootAmb()
			c.Groups = nil
			c.EGID, c.SGID, c.NoNewPrivs = 5, 5, true
			return c
		}(), mode: 0755, eff: allCaps, perm: allCaps},
		{name: "SECBIT_NOROOT", creds: func() *Creds {
			c := rootAmb()
			c.Securebits = secbitNoroot | secbitKeepCaps
			return c
		}(), mode: 0755, eff: chown, perm: chown, amb: chown, securebits: secbitNoroot},
	} {
		c := tc.creds
		c.mu.Lock()
		_ = c.execLocked(tc.mode, tc.uid, tc.gid, tc.nosuid, false)
		c.mu.Unlock()
		if c.EUID != tc.euid || c.SUID != tc.euid || c.FSUID != tc.euid ||
			c.EGID != tc.egid || c.SGID != tc.egid || c.FSGID != tc.egid {
			t.Errorf("%s: euid/suid/fsuid %d/%d/%d egid/sgid/fsgid %d/%d/%d, want %d and %d",
				tc.name, c.EUID, c.SUID, c.FSUID, c.EGID, c.SGID, c.FSGID, tc.euid, tc.egid)
		}
		if c.CapEffective != tc.eff || c.CapPermitted != tc.perm || c.CapAmbient != tc.amb {
			t.Errorf("%s: eff %x perm %x amb %x, want %x %x %x",
				tc.name, c.CapEffective, c.CapPermitted, c.CapAmbient, tc.eff, tc.perm, tc.amb)
		}
		if c.Securebits != tc.securebits {
			t.Errorf("%s: securebits %#x, want %#x", tc.name, c.Securebits, tc.securebits)
		}
	}
}

func TestCapConstants(t *testing.T) {
	// linux/capability.h.
	for _, tc := range []struct {
		name      string
		got, want int
	}{
		{"CAP_MAC_OVERRIDE", capMacOverride, 32},
		{"CAP_SETFCAP", capSetfcap, 31},
		{"CAP_LINUX_IMMUTABLE", capLinuxImmutable, 9},
		{"CAP_MKNOD", capMknod, 27},
		{"CAP_SETPCAP", capSetpcap, 8},
		{"CAP_LAST_CAP", lastCap, 40},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %d, want %d", tc.name, tc.got, tc.want)
		}
	}
	// CAP_FS_SET: bits 0-4, 9, 27 and 32.
	if fsCaps != 0x1_0800_021f {
		t.Errorf("fsCaps = %#x, want %#x", uint64(fsCaps), uint64(0x1_0800_021f))
	}
}

func TestFixSetuid(t *testing.T) {
	// setfsuid away from 0 drops CAP_FS_SET; a later setresuid that sets
	// fsuid back to 0 does not raise it (only setfsuid does).
	c := RootCreds()
	c.mu.Lock()
	c.FSUID = 1000
	c.fixSetfsuidLocked(0)
	if want := allCaps &^ fsCaps; c.CapEffective != want {
		t.Errorf("after setfsuid(1000): eff %x, want %x", c.CapEffective, want)
	}
	c.FSUID = 0
	c.fixSetxuidLocked(0, 0, 0)
	if want := allCaps &^ fsCaps; c.CapEffective != want {
		t.Errorf("after setresuid(-1, 0, -1): eff %x, want %x", c.CapEffective, want)
	}
	c.mu.Unlock()
	// setresuid that changes nothing leaves the fsuid alone.
	r, e, s, fs := uint32(0), uint32(0), uint32(0), uint32(1000)
	if err := setres(&r, &e, &s, &fs, noID, noID, noID, false); err != nil || fs != 1000 {
		t.Errorf("no-op setresuid: fsuid %d, %v; want 1000", fs, err)
	}
	if err := setres(&r, &e, &s, &fs, noID, 0, noID, false); err != nil || fs != 0 {
		t.Errorf("setresuid(-1, 0, -1): fsuid %d, %v; want 0", fs, err)
	}
}

func TestAccessVFS(t *testing.T) {
	for _, tc := range []struct {
		name     string
		creds    *Creds
		uid, gid uint32
		caps     uint64
	}{
		{"setuid root run by a user", withIDs(RootCreds(), 1000, 0, 100, 0), 1000, 100, 0},
		{"root without effective", func() *Creds {
			c := RootCreds()
			c.CapEffective = 0
			return c
		}(), 0, 0, allCaps},
		{"SECBIT_NO_SETUID_FIXUP", func() *Creds {
			c := withIDs(RootCreds(), 1000, 0, 0, 0)
			c.Securebits = secbitNoSetuidFixup
			c.CapEffective = chown
			return c
		}(), 1000, 0, chown},
	} {
		v := tc.creds.accessVFS()
		if v.UID != tc.uid || v.GID != tc.gid || v.CapEffective != tc.caps {
			t.Errorf("%s: uid %d gid %d caps %x, want %d %d %x", tc.name, v.UID, v.GID, v.CapEffective, tc.uid, tc.gid, tc.caps)
		}
	}
}

// prctlStep is one prctl call and what it must return.
type prctlStep struct {
	name  string
	args  []uint64
	val   int64
	errno unix.Errno
}

func runPrctl(t *testing.T, who string, creds *Creds, steps []prctlStep) {
	t.Helper()
	k, task := newTestKernel(t, creds)
	mem := newFakeMemory()
	for _, s := range steps {
		r := call(k, task, mem, unix.SYS_PRCTL, s.args...)
		if r.Errno != s.errno || (s.errno == 0 && r.Val != s.val) {
			t.Errorf("%s: %s: got %d, %v; want %d, %v", who, s.name, r.Val, r.Errno, s.val, s.errno)
		}
	}
}

func TestPrctlSecurebits(t *testing.T) {
	root := RootCreds()
	root.CapInheritable = chown
	const set, amb = unix.PR_SET_SECUREBITS, unix.PR_CAP_AMBIENT
	runPrctl(t, "root", root, []prctlStep{
		{"unknown bit", []uint64{set, 0x1000}, 0, unix.EPERM},
		{"NO_CAP_AMBIENT_RAISE", []uint64{set, secbitNoCapAmbientRaise}, 0, 0},
		{"raise under it", []uint64{amb, unix.PR_CAP_AMBIENT_RAISE, capChown}, 0, unix.EPERM},
		{"clear", []uint64{set, 0}, 0, 0},
		{"raise", []uint64{amb, unix.PR_CAP_AMBIENT_RAISE, capChown}, 0, 0},
		{"NO_CAP_AMBIENT_RAISE locked", []uint64{set, 0xc0}, 0, 0},
		{"change a locked bit", []uint64{set, 0x80}, 0, unix.EPERM},
		{"unlock", []uint64{set, 0x40}, 0, unix.EPERM},
		{"KEEP_CAPS locked", []uint64{set, 0xf0}, 0, 0},
		{"PR_SET_KEEPCAPS 0", []uint64{unix.PR_SET_KEEPCAPS, 0}, 0, unix.EPERM},
		{"PR_SET_KEEPCAPS 2", []uint64{unix.PR_SET_KEEPCAPS, 2}, 0, unix.EINVAL},
		{"same again", []uint64{set, 0xf0}, 0, 0},
		{"the exec bits", []uint64{set, 0xff0}, 0, 0},
		{"get", []uint64{unix.PR_GET_SECUREBITS}, 0xff0, 0},
		{"PR_GET_KEEPCAPS", []uint64{unix.PR_GET_KEEPCAPS}, 1, 0},
	})
	runPrctl(t, "user", UserCreds(1000, 1000), []prctlStep{
		{"nothing changes", []uint64{set, 0}, 0, unix.EPERM},
		{"KEEP_CAPS", []uint64{set, secbitKeepCaps}, 0, unix.EPERM},
		{"unknown bit", []uint64{set, 0x1000}, 0, unix.EPERM},
		{"EXEC_RESTRICT_FILE", []uint64{set, secbitExecRestrictFile}, 0, 0},
		{"the same again", []uint64{set, secbitExecRestrictFile}, 0, unix.EPERM},
		{"EXEC_DENY_INTERACTIVE too", []uint64{set, 0x500}, 0, 0},
		{"and KEEP_CAPS", []uint64{set, 0x510}, 0, unix.EPERM},
		{"EXEC_RESTRICT_FILE locked", []uint64{set, 0x300}, 0, 0},
		{"unset a locked bit", []uint64{set, 0x200}, 0, unix.EPERM},
		{"all exec bits and locks", []uint64{set, 0xf00}, 0, 0},
		{"PR_SET_KEEPCAPS", []uint64{unix.PR_SET_KEEPCAPS, 1}, 0, 0},
		{"get", []uint64{unix.PR_GET_SECUREBITS}, 0xf10, 0},
	})
}

func TestPrctlErrnos(t *testing.T) {
	const amb = unix.PR_CAP_AMBIENT
	steps := func(dropErrno unix.Errno) []prctlStep {
		return []prctlStep{
			{"PR_CAPBSET_DROP 99", []uint64{unix.PR_CAPBSET_DROP, 99}, 0, dropErrno},
			{"PR_CAPBSET_READ 99", []uint64{unix.PR_CAPBSET_READ, 99}, 0, unix.EINVAL},
			{"ambient IS_SET arg4", []uint64{amb, unix.PR_CAP_AMBIENT_IS_SET, 0, 1}, 0, unix.EINVAL},
			{"ambient IS_SET arg5", []uint64{amb, unix.PR_CAP_AMBIENT_IS_SET, 0, 0, 1}, 0, unix.EINVAL},
			{"ambient LOWER arg4", []uint64{amb, unix.PR_CAP_AMBIENT_LOWER, 0, 1}, 0, unix.EINVAL},
			{"ambient RAISE arg4", []uint64{amb, unix.PR_CAP_AMBIENT_RAISE, 0, 1}, 0, unix.EINVAL},
			{"ambient CLEAR_ALL arg3", []uint64{amb, unix.PR_CAP_AMBIENT_CLEAR_ALL, 1}, 0, unix.EINVAL},
			{"ambient CLEAR_ALL arg5", []uint64{amb, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 1}, 0, unix.EINVAL},
			{"ambient unknown op", []uint64{amb, 9, 0}, 0, unix.EINVAL},
			{"ambient IS_SET 99", []uint64{amb, unix.PR_CAP_AMBIENT_IS_SET, 99}, 0, unix.EINVAL},
			{"PR_GET_NO_NEW_PRIVS arg2", []uint64{unix.PR_GET_NO_NEW_PRIVS, 1}, 0, unix.EINVAL},
			{"PR_GET_NO_NEW_PRIVS arg5", []uint64{unix.PR_GET_NO_NEW_PRIVS, 0, 0, 0, 1}, 0, unix.EINVAL},
			{"PR_GET_NO_NEW_PRIVS", []uint64{unix.PR_GET_NO_NEW_PRIVS}, 0, 0},
			{"PR_SET_NO_NEW_PRIVS 2", []uint64{unix.PR_SET_NO_NEW_PRIVS, 2}, 0, unix.EINVAL},
			{"PR_SET_NO_NEW_PRIVS", []uint64{unix.PR_SET_NO_NEW_PRIVS, 1}, 0, 0},
			{"PR_GET_NO_NEW_PRIVS after", []uint64{unix.PR_GET_NO_NEW_PRIVS}, 1, 0},
		}
	}
	runPrctl(t, "root", RootCreds(), steps(unix.EINVAL))
	runPrctl(t, "user", UserCreds(1000, 1000), steps(unix.EPERM))
}

func TestSetgroups(t *testing.T) {
	groups := func(gs ...uint32) []byte {
		b := make([]byte, 4*len(gs))
		for i, g := range gs {
			binary.LittleEndian.PutUint32(b[4*i:], g)
		}
		return b
	}
	for _, who := range []struct {
		name  string
		creds *Creds
		// errnos for a size of -1, 65537, a NULL list and a good one.
		neg, big, null, ok unix.Errno
	}{
		{"root", RootCreds(), unix.EINVAL, unix.EINVAL, unix.EFAULT, 0},
		{"user", UserCreds(1000, 1000), unix.EPERM, unix.EPERM, unix.EPERM, unix.EPERM},
	} {
		k, task := newTestKernel(t, who.creds)
		mem := newFakeMemory()
		list := mem.put(groups(5, 3, 1, 3))
		for _, tc := range []struct {
			name  string
			args  []uint64
			errno unix.Errno
		}{
			{"size -1", []uint64{uint64(^uint32(0)), list}, who.neg},
			{"size 65537", []uint64{65537, list}, who.big},
			{"NULL list", []uint64{1, 0}, who.null},
			{"5 3 1 3", []uint64{4, list}, who.ok},
		} {
			if r := call(k, task, mem, unix.SYS_SETGROUPS, tc.args...); r.Errno != tc.errno {
				t.Errorf("%s: setgroups %s: got %v, want %v", who.name, tc.name, r.Errno, tc.errno)
			}
		}
		if who.ok != 0 {
			continue
		}
		out := mem.put(make([]byte, 16))
		r := call(k, task, mem, unix.SYS_GETGROUPS, 4, out)
		b, _ := mem.slice(out, 16)
		if want := groups(1, 3, 3, 5); r.Val != 4 || string(b) != string(want) {
			t.Errorf("%s: getgroups: %d %v, want 4 %v (sorted)", who.name, r.Val, b, want)
		}
	}
}

func TestCapsetDropsUnknownBits(t *testing.T) {
	k, task := newTestKernel(t, RootCreds())
	mem := newFakeMemory()
	hdr := mem.put([]byte{0x22, 0x05, 0x08, 0x20, 0, 0, 0, 0}) // _LINUX_CAPABILITY_VERSION_3
	data := make([]byte, 24)
	for w := 0; w < 2; w++ {
		binary.LittleEndian.PutUint32(data[12*w:], ^uint32(0))   // effective
		binary.LittleEndian.PutUint32(data[12*w+4:], ^uint32(0)) // permitted
	}
	if r := call(k, task, mem, unix.SYS_CAPSET, hdr, mem.put(data)); r.Errno != 0 {
		t.Fatalf("capset with bits past CAP_LAST_CAP: %v", r.Errno)
	}
	if task.Creds.CapPermitted != allCaps || task.Creds.CapEffective != allCaps {
		t.Errorf("after capset: perm %x eff %x, want %x", task.Creds.CapPermitted, task.Creds.CapEffective, allCaps)
	}
}
