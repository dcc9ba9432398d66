/* Calls on descriptors: attributes, inode ioctls, sizes, fcntl, the table. */
#include "fuzz.h"
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>

unsigned pick_mode(void);
unsigned pick_id(void);
long pick_len(void);

long c_fchmod(char *desc, size_t n)
{
	int fd = pick_fd();
	unsigned m = pick_mode();
	D("%d[%s], %#o", fd, fd_tag(fd), m);
	return ret(fchmod(fd, m));
}

long c_fchown(char *desc, size_t n)
{
	int fd = pick_fd();
	unsigned u = pick_id(), g = pick_id();
	D("%d[%s], %d, %d", fd, fd_tag(fd), (int)u, (int)g);
	return ret(fchown(fd, u, g));
}

long c_futimens(char *desc, size_t n)
{
	int fd = pick_fd();
	struct timespec ts[2] = {{rndn(1 << 30), 0}, {rndn(1 << 30), chance(30) ? UTIME_NOW : 0}};
	D("%d[%s], %ld", fd, fd_tag(fd), (long)ts[1].tv_sec);
	return ret(futimens(fd, chance(20) ? NULL : ts));
}

static unsigned pick_iflags(void)
{
	static const unsigned f[] = {FS_IMMUTABLE_FL, FS_APPEND_FL, FS_NOATIME_FL, FS_NODUMP_FL, FS_SYNC_FL, FS_NOCOW_FL, FS_PROJINHERIT_FL, FS_DIRSYNC_FL};
	unsigned v = 0;
	for (int i = 0; i < 3; i++)
		if (chance(50))
			v |= f[rndn(sizeof f / sizeof f[0])];
	return v;
}

long c_setflags(char *desc, size_t n)
{
	int fd = pick_fd();
	int v = pick_iflags();
	D("%d[%s], FS_IOC_SETFLAGS, %#x", fd, fd_tag(fd), v);
	return ret(ioctl(fd, FS_IOC_SETFLAGS, &v));
}

long c_fssetxattr(char *desc, size_t n)
{
	int fd = pick_fd();
	struct fsxattr x = {0};
	ioctl(fd, FS_IOC_FSGETXATTR, &x);
	x.fsx_xflags ^= chance(50) ? FS_XFLAG_IMMUTABLE : FS_XFLAG_APPEND;
	if (chance(30))
		x.fsx_projid = rndn(5);
	D("%d[%s], FS_IOC_FSSETXATTR, xflags %#x projid %u", fd, fd_tag(fd), x.fsx_xflags, x.fsx_projid);
	return ret(ioctl(fd, FS_IOC_FSSETXATTR, &x));
}

/* c_ioctl is a random command of a tty, inode or generic type; never the
 * 'X' (freeze, shutdown) or block-device types. */
long c_ioctl(char *desc, size_t n)
{
	static const unsigned char types[] = {'f', 'T', 'v', 0x94, 'T', 0x54};
	int fd = pick_fd();
	char buf[256];
	unsigned long cmd;

	memset(buf, rnd() & 0xff, sizeof buf);
	cmd = _IOC(rndn(4), types[rndn(sizeof types)], rndn(48), rndn(32));
	if (chance(40))
		cmd = (unsigned)(0x5400 + rndn(0x60));
	if (cmd == TIOCSTI || cmd == 0x541c) /* TIOCSTI, TIOCLINUX: refused anyway */
		cmd = FIONREAD;
	D("%d[%s], %#lx", fd, fd_tag(fd), cmd);
	return ret(ioctl(fd, cmd, buf));
}

long c_fallocate(char *desc, size_t n)
{
	static const int modes[] = {0, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, FALLOC_FL_ZERO_RANGE, FALLOC_FL_COLLAPSE_RANGE};
	int fd = pick_fd(), m = modes[rndn(5)];
	long off = rndn(8192), len = 1 + rndn(1 << 16);
	D("%d[%s], %#x, %ld, %ld", fd, fd_tag(fd), m, off, len);
	return ret(fallocate(fd, m, off, len));
}

long c_ftruncate(char *desc, size_t n)
{
	int fd = pick_fd();
	long l = pick_len();
	D("%d[%s], %ld", fd, fd_tag(fd), l);
	return ret(ftruncate(fd, l));
}

/* c_fcntl: the commands that send no signal. */
long c_fcntl(char *desc, size_t n)
{
	int fd = pick_fd(), cmd;
	long arg, r;
	switch (rndn(5)) {
	case 0: cmd = F_SETFL; arg = (chance(50) ? O_NONBLOCK : 0) | (chance(20) ? O_APPEND : 0) | (chance(10) ? O_NOATIME : 0); break;
	case 1: cmd = F_SETFD; arg = rndn(2); break;
	case 2: cmd = F_SETPIPE_SZ; arg = 4096 << rndn(6); break;
	case 3: cmd = F_ADD_SEALS; arg = rndn(32); break;
	default: cmd = F_DUPFD; arg = rndn(64); break;
	}
	D("%d[%s], %d, %ld", fd, fd_tag(fd), cmd, arg);
	r = ret(fcntl(fd, cmd, arg));
	if (cmd == F_DUPFD && r >= 0)
		pool_add(r, "dup:%s", fd_tag(fd));
	return r;
}

/* c_setown: the commands that make the host kernel signal a descriptor's
 * owner: F_SETOWN, F_SETSIG, O_ASYNC, leases, dnotify. */
long c_setown(char *desc, size_t n)
{
	int fd = pick_fd(), cmd;
	long arg;
	switch (rndn(5)) {
	case 0: cmd = F_SETOWN; arg = pick_pid(); break;
	case 1: cmd = F_SETSIG; arg = pick_sig(); break;
	case 2: cmd = F_SETFL; arg = O_ASYNC | (chance(50) ? O_NONBLOCK : 0); break;
	case 3: cmd = F_SETLEASE; arg = rndn(3); break;
	default: cmd = F_NOTIFY; arg = rnd() & 0x8000003f; break;
	}
	D("%d[%s], %d, %ld", fd, fd_tag(fd), cmd, arg);
	return ret(fcntl(fd, cmd, arg));
}

long c_dup(char *desc, size_t n)
{
	int fd = pick_fd(), to = chance(50) ? pick_fd() : (int)rndn(48);
	char tag[48];
	long r;

	if (to == sock_pair[0] || to == sock_pair[1])
		to = 47;
	snprintf(tag, sizeof tag, "dup:%s", fd_tag(fd));
	D("%d[%s], %d", fd, fd_tag(fd), to);
	r = ret(chance(50) ? dup2(fd, to) : dup3(fd, to, O_CLOEXEC));
	if (r >= 0)
		pool_add(r, "%s", tag);
	return r;
}

long c_close(char *desc, size_t n)
{
	int fd = pick_fd();
	if (fd == sock_pair[0] || fd == sock_pair[1] || chance(50))
		return -EAGAIN; /* keep the pool from emptying */
	D("%d[%s]", fd, fd_tag(fd));
	pool_del(fd);
	return ret(close(fd));
}

long c_sendfd(char *desc, size_t n)
{
	int fd = pick_fd();
	char tag[48];
	long r;

	snprintf(tag, sizeof tag, "recv:%s", fd_tag(fd));
	D("%d[%s]", fd, fd_tag(fd));
	r = send_recv(fd);
	if (r >= 0)
		pool_add(r, "%s", tag);
	return r;
}

static const char *pick_xname(void)
{
	static const char *x[] = {"user.fuzz", "trusted.fuzz", "security.capability", "system.posix_acl_access", "security.fuzz", "user.a"};
	return x[rndn(sizeof x / sizeof x[0])];
}

long c_fsetxattr(char *desc, size_t n)
{
	int fd = pick_fd();
	const char *x = pick_xname();
	char v[32];
	memset(v, rnd() & 0xff, sizeof v);
	v[0] = 2; /* a plausible version byte for ACLs and capabilities */
	D("%d[%s], %s", fd, fd_tag(fd), x);
	return ret(fsetxattr(fd, x, v, 4 + rndn(28), 0));
}

long c_fremovexattr(char *desc, size_t n)
{
	int fd = pick_fd();
	const char *x = pick_xname();
	D("%d[%s], %s", fd, fd_tag(fd), x);
	return ret(fremovexattr(fd, x));
}

long c_write(char *desc, size_t n)
{
	int fd = pick_fd();
	D("%d[%s]", fd, fd_tag(fd));
	return ret(pwrite(fd, "fuzzdata\n", 9, rndn(8192)));
}

long c_fchdir(char *desc, size_t n)
{
	int fd = pick_fd();
	D("%d[%s]", fd, fd_tag(fd));
	return ret(fchdir(fd));
}
