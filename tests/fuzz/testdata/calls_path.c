/* Calls on paths: attributes, opens, the namespace's entries, xattrs. */
#include "fuzz.h"
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

unsigned pick_mode(void);
unsigned pick_id(void);
long pick_len(void);

static int pick_atflags(void)
{
	return (chance(30) ? AT_SYMLINK_NOFOLLOW : 0) | (chance(20) ? AT_EMPTY_PATH : 0);
}

long c_fchmodat(char *desc, size_t n)
{
	int d = pick_dirfd(), fl = chance(20) ? AT_SYMLINK_NOFOLLOW : 0;
	const char *p = pick_path();
	unsigned m = pick_mode();
	D("%d[%s], \"%s\", %#o, %#x", d, fd_tag(d), p, m, fl);
	return ret(syscall(SYS_fchmodat, d, p, m, fl));
}

long c_fchownat(char *desc, size_t n)
{
	int d = pick_dirfd(), fl = pick_atflags();
	const char *p = pick_path();
	unsigned u = pick_id(), g = pick_id();
	D("%d[%s], \"%s\", %d, %d, %#x", d, fd_tag(d), p, (int)u, (int)g, fl);
	return ret(fchownat(d, p, u, g, fl));
}

long c_chmod(char *desc, size_t n)
{
	const char *p = pick_path();
	unsigned m = pick_mode();
	D("\"%s\", %#o", p, m);
	return ret(chmod(p, m));
}

long c_chown(char *desc, size_t n)
{
	const char *p = pick_path();
	unsigned u = pick_id(), g = pick_id();
	int l = chance(40);
	D("%s\"%s\", %d, %d", l ? "l " : "", p, (int)u, (int)g);
	return ret(l ? lchown(p, u, g) : chown(p, u, g));
}

long c_utimensat(char *desc, size_t n)
{
	int d = pick_dirfd(), fl = pick_atflags();
	const char *p = pick_path();
	struct timespec ts[2] = {{rndn(1 << 30), 0}, {rndn(1 << 30), 0}};
	D("%d[%s], \"%s\", %#x", d, fd_tag(d), p, fl);
	return ret(utimensat(d, p, chance(20) ? NULL : ts, fl));
}

long c_truncate(char *desc, size_t n)
{
	const char *p = pick_path();
	long l = pick_len();
	D("\"%s\", %ld", p, l);
	return ret(truncate(p, l));
}

static int pick_oflags(void)
{
	static const int f[] = {O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_DIRECTORY, O_NOFOLLOW, O_PATH, O_NONBLOCK, O_CLOEXEC, O_NOATIME, O_NOCTTY, O_SYNC};
	int v = rndn(3);
	for (int i = 0; i < 3; i++)
		if (chance(50))
			v |= f[rndn(sizeof f / sizeof f[0])];
	if (chance(3))
		v = O_TMPFILE | O_RDWR;
	return v | O_NONBLOCK * chance(70); /* fifos do not block the child */
}

long c_openat(char *desc, size_t n)
{
	int d = pick_dirfd(), fl = pick_oflags();
	const char *p = pick_path();
	unsigned m = pick_mode();
	long r;
	D("%d[%s], \"%s\", %#x, %#o", d, fd_tag(d), p, fl, m);
	r = ret(openat(d, p, fl, m));
	if (r >= 0)
		pool_add(r, "%s:%s", (fl & O_PATH) ? "opath" : "path", p);
	return r;
}

long c_openat2(char *desc, size_t n)
{
	static const unsigned long res[] = {RESOLVE_BENEATH, RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS, RESOLVE_NO_XDEV, 0};
	struct open_how how = {.flags = pick_oflags(), .mode = 0644};
	int d = pick_dirfd();
	const char *p = pick_path();
	long r;

	if (!(how.flags & (O_CREAT | O_TMPFILE)))
		how.mode = 0;
	how.resolve = res[rndn(6)] | (chance(30) ? res[rndn(6)] : 0);
	D("%d[%s], \"%s\", %#llx, resolve %#llx", d, fd_tag(d), p, (unsigned long long)how.flags, (unsigned long long)how.resolve);
	r = ret(syscall(SYS_openat2, d, p, &how, sizeof how));
	if (r >= 0)
		pool_add(r, "path2:%s", p);
	return r;
}

long c_mkdir(char *desc, size_t n)
{
	int d = pick_dirfd();
	const char *p = pick_path();
	D("%d[%s], \"%s\"", d, fd_tag(d), p);
	return ret(mkdirat(d, p, pick_mode()));
}

long c_rename(char *desc, size_t n)
{
	static const unsigned fl[] = {0, RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT};
	int d1 = pick_dirfd(), d2 = pick_dirfd();
	const char *a = pick_path(), *b = pick_path();
	unsigned f = chance(70) ? 0 : fl[rndn(4)];
	D("%d, \"%s\", %d, \"%s\", %#x", d1, a, d2, b, f);
	return ret(syscall(SYS_renameat2, d1, a, d2, b, f));
}

long c_unlink(char *desc, size_t n)
{
	int d = pick_dirfd(), fl = chance(30) ? AT_REMOVEDIR : 0;
	const char *p = pick_path();
	D("%d[%s], \"%s\", %#x", d, fd_tag(d), p, fl);
	return ret(unlinkat(d, p, fl));
}

long c_link(char *desc, size_t n)
{
	int d1 = pick_dirfd(), d2 = pick_dirfd(), fl = chance(30) ? AT_SYMLINK_FOLLOW : (chance(20) ? AT_EMPTY_PATH : 0);
	const char *a = pick_path(), *b = pick_path();
	D("%d[%s], \"%s\", %d, \"%s\", %#x", d1, fd_tag(d1), a, d2, b, fl);
	return ret(linkat(d1, a, d2, b, fl));
}

long c_symlink(char *desc, size_t n)
{
	int d = pick_dirfd();
	const char *t = pick_path(), *p = pick_path();
	D("\"%s\", %d, \"%s\"", t, d, p);
	return ret(symlinkat(t, d, p));
}

long c_mknod(char *desc, size_t n)
{
	static const unsigned types[] = {S_IFIFO, S_IFREG, S_IFSOCK, S_IFCHR, S_IFCHR, S_IFBLK};
	static const unsigned minors[] = {3, 5, 7, 8, 9};
	int d = pick_dirfd();
	const char *p = pick_path();
	unsigned t = types[rndn(6)], m = pick_mode();
	/* Only harmless devices: null, zero, full, random, urandom; loop0. */
	dev_t dev = t == S_IFBLK ? makedev(7, 0) : makedev(1, minors[rndn(5)]);
	D("%d[%s], \"%s\", %#o, %u:%u", d, fd_tag(d), p, t | m, major(dev), minor(dev));
	return ret(mknodat(d, p, t | m, dev));
}

long c_setxattr(char *desc, size_t n)
{
	static const char *x[] = {"user.fuzz", "trusted.fuzz", "security.capability", "system.posix_acl_access", "security.fuzz"};
	const char *p = pick_path(), *name = x[rndn(5)];
	char v[32];
	int l = chance(40);
	memset(v, rnd() & 0xff, sizeof v);
	v[0] = 2;
	D("%s\"%s\", %s", l ? "l " : "", p, name);
	return ret(l ? lsetxattr(p, name, v, 4 + rndn(28), 0) : setxattr(p, name, v, 4 + rndn(28), 0));
}

long c_removexattr(char *desc, size_t n)
{
	static const char *x[] = {"user.fuzz", "trusted.fuzz", "security.capability", "system.posix_acl_access", "user.keep"};
	const char *p = pick_path(), *name = x[rndn(5)];
	int l = chance(40);
	D("%s\"%s\", %s", l ? "l " : "", p, name);
	return ret(l ? lremovexattr(p, name) : removexattr(p, name));
}

long c_chdir(char *desc, size_t n)
{
	const char *p = pick_path();
	D("\"%s\"", p);
	return ret(chdir(p));
}

long c_chroot(char *desc, size_t n)
{
	const char *p = pick_path();
	D("\"%s\"", p);
	return ret(chroot(p));
}
