// peercred.c: the credentials a Unix socket records of its maker
// (SO_PEERCRED's uid and gid) on both sides of a connection and of a pair,
// run as root and as a user.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void show(const char *who, int fd) {
	struct ucred u;
	socklen_t l = sizeof u;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &u, &l) < 0) {
		perror(who);
		return;
	}
	printf("%s: peer uid %u gid %u\n", who, u.uid, u.gid);
}

int main(void) {
	unlink("s");
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	strcpy(a.sun_path, "s");
	if (bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 1) < 0) {
		perror("bind/listen");
		return 1;
	}
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	if (connect(c, (struct sockaddr *)&a, sizeof a) < 0) {
		perror("connect");
		return 1;
	}
	int s = accept(l, NULL, NULL);
	show("server side", s);
	show("client side", c);
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		perror("socketpair");
		return 1;
	}
	show("socketpair", sv[1]);
	printf("pair close-on-exec: %s\n", fcntl(sv[0], F_GETFD) & FD_CLOEXEC ? "yes" : "no");
	unlink("s");

	// Room for one descriptor only: EMFILE, and none is made.
	for (int fd = 3; fd < 64; fd++) close(fd);
	struct rlimit r = {4, 4};
	setrlimit(RLIMIT_NOFILE, &r);
	int p[2];
	int rc = socketpair(AF_UNIX, SOCK_STREAM, 0, p);
	const char *why = rc < 0 ? strerror(errno) : "made";
	printf("socketpair with room for one: %s, fd 3 %s\n", why, fcntl(3, F_GETFD) < 0 ? "free" : "taken");
	return 0;
}
