package sentry

import (
	"golang.org/x/sys/unix"
)

func init() {
	register(unix.SYS_REBOOT, sysReboot)
}

// RebootCommand is what reboot(2) asked the machine to do.
type RebootCommand int

// The reboot commands the machine carries out.
const (
	PowerOff RebootCommand = iota
	Halt
	Restart
)

// The other second magic numbers Linux accepts.
const (
	rebootMagic2A = 85072278
	rebootMagic2B = 369367448
	rebootMagic2C = 537993216
)

// capSysBoot is CAP_SYS_BOOT.
const capSysBoot = 22

// sysReboot emulates reboot(2) for the machine: power-off and halt end the
// guest, restart boots it again. The host never sees the call (in a pid
// namespace it would kill the guest's init).
func sysReboot(c *Call) Result {
	magic1, magic2, cmd := uint32(c.Args[0]), uint32(c.Args[1]), uint32(c.Args[2])
	if magic1 != unix.LINUX_REBOOT_MAGIC1 || (magic2 != unix.LINUX_REBOOT_MAGIC2 &&
		magic2 != rebootMagic2A && magic2 != rebootMagic2B && magic2 != rebootMagic2C) {
		return Errno(unix.EINVAL)
	}
	if !c.Task.Creds.VFS().HasCap(capSysBoot) {
		return Errno(unix.EPERM)
	}
	k := c.Task.Kernel()
	switch cmd {
	case unix.LINUX_REBOOT_CMD_CAD_ON, unix.LINUX_REBOOT_CMD_CAD_OFF:
		return Value(0)
	case unix.LINUX_REBOOT_CMD_POWER_OFF, unix.LINUX_REBOOT_CMD_HALT, unix.LINUX_REBOOT_CMD_RESTART:
	default:
		return Errno(unix.EINVAL)
	}
	if k.reboot == nil {
		return Errno(unix.EPERM)
	}
	switch cmd {
	case unix.LINUX_REBOOT_CMD_POWER_OFF:
		k.reboot(PowerOff)
	case unix.LINUX_REBOOT_CMD_HALT:
		k.reboot(Halt)
	default:
		k.reboot(Restart)
	}
	// The machine is going down; the caller does not come back.
	return Value(0)
}
