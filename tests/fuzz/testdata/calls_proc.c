/* Calls on the mount table, on processes and on credentials. */
#include "fuzz.h"
#include <grp.h>
#include <signal.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/syscall.h>

unsigned pick_id(void);

static unsigned long pick_mflags(void)
{
	static const unsigned long f[] = {MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_PRIVATE, MS_SHARED, MS_SLAVE, MS_UNBINDABLE, MS_MOVE, MS_NOATIME, MS_REC, MS_SILENT, MS_STRICTATIME};
	unsigned long v = 0;
	for (int i = 0; i < 3; i++)
		if (chance(40))
			v |= f[rndn(sizeof f / sizeof f[0])];
	return v;
}

/* c_mount: new mounts, remounts and propagation changes; no MS_BIND
 * (c_bind). */
long c_mount(char *desc, size_t n)
{
	static const char *types[] = {"tmpfs", "dirfs", "nullfs", "proc", "devfs", NULL, "ext4", "sysfs"};
	const char *src = pick_mount_source(), *dst = pick_mount_target(), *type = types[rndn(8)];
	unsigned long fl = pick_mflags();
	const char *data = chance(30) ? "size=1m" : (chance(20) ? "ro" : NULL);
	D("\"%s\", \"%s\", %s, %#lx, %s", src, dst, type ? type : "NULL", fl, data ? data : "NULL");
	return ret(mount(src, dst, type, fl, data));
}

/* c_bind: a bind or recursive bind, then maybe a remount of it. */
long c_bind(char *desc, size_t n)
{
	const char *src = chance(50) ? pick_mount_target() : pick_mount_source(), *dst = pick_mount_target();
	unsigned long fl = MS_BIND | (chance(50) ? MS_REC : 0);
	unsigned long re = MS_REMOUNT | MS_BIND | (chance(50) ? MS_RDONLY : 0) | (chance(30) ? MS_NOSUID : 0);
	long r;
	D("\"%s\", \"%s\", %#lx, then %#lx", src, dst, fl, re);
	r = ret(mount(src, dst, NULL, fl, NULL));
	if (r == 0 && chance(50))
		r = ret(mount(NULL, dst, NULL, re, NULL));
	return r;
}

long c_umount(char *desc, size_t n)
{
	static const int fl[] = {0, MNT_DETACH, MNT_FORCE, MNT_EXPIRE, UMOUNT_NOFOLLOW, MNT_DETACH | UMOUNT_NOFOLLOW};
	const char *p = chance(70) ? pick_mount_target() : pick_path();
	int f = fl[rndn(6)];
	D("\"%s\", %#x", p, f);
	return ret(umount2(p, f));
}

long c_kill(char *desc, size_t n)
{
	int p = pick_pid(), s = pick_sig();
	D("%d, %d", p, s);
	return ret(kill(p, s));
}

long c_tgkill(char *desc, size_t n)
{
	int p = pick_pid(), s = pick_sig(), tg = chance(70) ? p : pick_pid();
	if (p <= 0 || tg <= 0)
		p = tg = getpid();
	D("%d, %d, %d", tg, p, s);
	return ret(syscall(SYS_tgkill, tg, p, s));
}

long c_pidfd_signal(char *desc, size_t n)
{
	int fd = pick_fd(), s = pick_sig();
	D("%d[%s], %d", fd, fd_tag(fd), s);
	return ret(syscall(SYS_pidfd_send_signal, fd, s, NULL, 0));
}

long c_setresuid(char *desc, size_t n)
{
	unsigned a = pick_id(), b = pick_id(), c = pick_id();
	D("%d, %d, %d", (int)a, (int)b, (int)c);
	return ret(setresuid(a, b, c));
}

long c_setresgid(char *desc, size_t n)
{
	unsigned a = pick_id(), b = pick_id(), c = pick_id();
	D("%d, %d, %d", (int)a, (int)b, (int)c);
	return ret(setresgid(a, b, c));
}

long c_setuid(char *desc, size_t n)
{
	unsigned u = pick_id();
	int g = chance(50);
	D("%s%d", g ? "gid " : "", (int)u);
	return ret(g ? setgid(u) : setuid(u));
}

long c_setgroups(char *desc, size_t n)
{
	gid_t g[3] = {pick_id(), pick_id(), 0};
	int k = rndn(4);
	D("%d", k);
	return ret(setgroups(k, g));
}

long c_setfsuid(char *desc, size_t n)
{
	unsigned u = pick_id();
	int g = chance(50);
	D("%s%d", g ? "gid " : "", (int)u);
	return g ? setfsgid(u) : setfsuid(u);
}
