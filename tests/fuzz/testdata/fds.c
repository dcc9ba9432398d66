/* The descriptor pool: descriptors of every origin a child starts with, and
 * SCM_RIGHTS to itself. */
#include "fuzz.h"
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>

struct fdent pool[POOL_MAX];
int npool;
int sock_pair[2] = {-1, -1};
int grandchild = -1;

void pool_add(int fd, const char *fmt, ...)
{
	va_list ap;
	int i;

	if (fd < 0)
		return;
	for (i = 0; i < npool && pool[i].fd != fd; i++)
		;
	if (i == npool) {
		if (npool == POOL_MAX) {
			/* Full: the new descriptor replaces a random one. */
			i = rndn(POOL_MAX);
			if (pool[i].fd > 2 && pool[i].fd != sock_pair[0] && pool[i].fd != sock_pair[1])
				close(pool[i].fd);
		} else
			npool++;
	}
	pool[i].fd = fd;
	va_start(ap, fmt);
	vsnprintf(pool[i].tag, sizeof pool[i].tag, fmt, ap);
	va_end(ap);
}

void pool_del(int fd)
{
	for (int i = 0; i < npool; i++)
		if (pool[i].fd == fd) {
			pool[i] = pool[--npool];
			return;
		}
}

const char *fd_tag(int fd)
{
	for (int i = 0; i < npool; i++)
		if (pool[i].fd == fd)
			return pool[i].tag;
	return "?";
}

/* pick_fd is mostly a pool descriptor, sometimes a small number or a bad
 * one. */
int pick_fd(void)
{
	if (npool && chance(92))
		return pool[rndn(npool)].fd;
	if (chance(50))
		return rndn(40);
	return chance(50) ? -1 : 10000;
}

/* pick_dirfd is AT_FDCWD or a descriptor. */
int pick_dirfd(void) { return chance(50) ? AT_FDCWD : pick_fd(); }

/* send_recv sends fd to the child itself over SCM_RIGHTS and returns the
 * received copy, or -errno. */
int send_recv(int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = {0}, b = 'x';
	struct iovec iov = {&b, 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	int got;

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof fd);
	if (sendmsg(sock_pair[0], &m, MSG_DONTWAIT) < 0)
		return -errno;
	memset(cbuf, 0, sizeof cbuf);
	m.msg_controllen = sizeof cbuf;
	if (recvmsg(sock_pair[1], &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) < 0)
		return -errno;
	c = CMSG_FIRSTHDR(&m);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -EBADMSG;
	memcpy(&got, CMSG_DATA(c), sizeof got);
	return got;
}

static void open_add(const char *path, int flags)
{
	int fd = open(path, flags, 0644);
	pool_add(fd, "%s:%s", (flags & O_PATH) ? "opath" : "path", path);
}

/* recv_add opens path and keeps only the copy received over SCM_RIGHTS. */
static void recv_add(const char *path, int flags)
{
	int fd = open(path, flags), r;

	if (fd < 0)
		return;
	r = send_recv(fd);
	close(fd);
	if (r >= 0)
		pool_add(r, "recv:%s", path);
}

void make_fds(void)
{
	static const struct { const char *p; int fl; } opens[] = {
		{"/ro/f644", O_RDONLY}, {"/ro/suid", O_RDONLY}, {"/ro/dir", O_RDONLY | O_DIRECTORY},
		{"/ro/f600", O_RDONLY}, {"/rw/f644", O_RDWR}, {"/rw/dir", O_RDONLY | O_DIRECTORY},
		{"/fuzz/f644", O_RDWR}, {"/fuzz/suid", O_RDONLY}, {"/fuzz/dir", O_RDONLY | O_DIRECTORY},
		{"/", O_RDONLY | O_DIRECTORY}, {"/etc/passwd", O_RDONLY}, {"/tmp", O_RDONLY | O_DIRECTORY},
		{"/proc/self/fd/0", O_RDONLY}, {"/proc/1/root", O_RDONLY | O_DIRECTORY},
	};
	static const char *opaths[] = {"/ro/f644", "/ro/dir", "/rw", "/fuzz", "/proc/1/root", "/proc/self/fd/0", "/fuzz/esc1"};
	int p[2], e;

	pool_add(0, "stdin");
	pool_add(1, "stdout");
	pool_add(2, "stderr");
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sock_pair) == 0) {
		pool_add(sock_pair[0], "socketpair");
		pool_add(sock_pair[1], "socketpair");
	}
	for (size_t i = 0; i < sizeof opens / sizeof opens[0]; i++)
		if (chance(70))
			open_add(opens[i].p, opens[i].fl);
	for (size_t i = 0; i < sizeof opaths / sizeof opaths[0]; i++)
		if (chance(50))
			open_add(opaths[i], O_PATH | (chance(30) ? O_NOFOLLOW : 0));
	for (size_t i = 0; i < sizeof opens / sizeof opens[0]; i++)
		if (chance(50))
			recv_add(opens[i].p, opens[i].fl);
	for (int fd = 0; fd < 3; fd++) {
		e = send_recv(fd);
		pool_add(e, "recv:%s", fd == 0 ? "stdin" : fd == 1 ? "stdout" : "stderr");
		pool_add(dup(fd), "dup:%d", fd);
	}
	if (pipe2(p, O_CLOEXEC) == 0) {
		pool_add(p[0], "pipe-r");
		pool_add(p[1], "pipe-w");
	}
	pool_add(socket(AF_UNIX, SOCK_STREAM, 0), "unix-stream");
	pool_add(socket(AF_INET, SOCK_DGRAM, 0), "udp");
	pool_add(socket(AF_INET6, SOCK_STREAM, 0), "tcp6");
	e = memfd_create("fuzz", chance(50) ? MFD_ALLOW_SEALING : 0);
	pool_add(e, "memfd");
	if (e >= 0) {
		if (ftruncate(e, 4096) == 0)
			pool_add(send_recv(e), "recv:memfd");
	}
	pool_add(eventfd(0, EFD_NONBLOCK), "eventfd");
	pool_add(syscall(SYS_pidfd_open, getpid(), 0), "pidfd:self");
	pool_add(syscall(SYS_pidfd_open, 1, 0), "pidfd:1");
	grandchild = fork();
	if (grandchild == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		alarm(20);
		for (;;)
			pause();
	}
	if (grandchild > 0)
		pool_add(syscall(SYS_pidfd_open, grandchild, 0), "pidfd:grandchild");
}
