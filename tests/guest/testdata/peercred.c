// peercred.c: the credentials a Unix socket records of its maker
// (SO_PEERCRED's uid and gid) on both sides of a connection and of a pair,
// run as root and as a user.
#define _GNU_SOURCE
#include <fcntl.h>
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
	return 0;
}
