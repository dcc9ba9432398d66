// dgram.c: datagrams to an AF_UNIX path with sendmsg and sendmmsg (a
// relative path, a descriptor passed with SCM_RIGHTS, credentials named
// or not) and sendto, received by a socket that passes credentials.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int srv;

static void receive(const char *what) {
	char data[64] = {0};
	char control[CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(struct ucred))];
	struct iovec iov = {data, sizeof data - 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
	ssize_t n = recvmsg(srv, &m, MSG_DONTWAIT);
	if (n < 0) {
		printf("%s: recvmsg: %s\n", what, strerror(errno));
		return;
	}
	char fdtext[32] = "none", cred[64] = "none";
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_type == SCM_RIGHTS) {
			int fd;
			memcpy(&fd, CMSG_DATA(c), sizeof fd);
			ssize_t k = pread(fd, fdtext, sizeof fdtext - 1, 0);
			fdtext[k > 0 ? k : 0] = 0;
			fdtext[strcspn(fdtext, "\n")] = 0;
			close(fd);
		}
		if (c->cmsg_type == SCM_CREDENTIALS) {
			struct ucred u;
			memcpy(&u, CMSG_DATA(c), sizeof u);
			snprintf(cred, sizeof cred, "pid %s, uid %u, gid %u", u.pid == getpid() ? "mine" : "other", u.uid, u.gid);
		}
	}
	printf("%s: %zd bytes %s, fd reads %s, creds %s\n", what, n, data, fdtext, cred);
}

int main(void) {
	unlink("srv");
	srv = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	strcpy(a.sun_path, "srv");
	if (bind(srv, (struct sockaddr *)&a, sizeof a) < 0) {
		perror("bind");
		return 1;
	}
	int one = 1;
	setsockopt(srv, SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
	int cli = socket(AF_UNIX, SOCK_DGRAM, 0);

	// sendmsg with a descriptor and no credentials.
	int file = open("note", O_RDWR | O_CREAT | O_TRUNC, 0600);
	write(file, "passed\n", 7);
	char text[] = "one";
	struct iovec iov[2] = {{text, 2}, {text + 2, 1}};
	char control[CMSG_SPACE(sizeof(int))];
	struct msghdr m = {.msg_name = &a, .msg_namelen = sizeof a, .msg_iov = iov, .msg_iovlen = 2,
	                   .msg_control = control, .msg_controllen = sizeof control};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &file, sizeof file);
	printf("sendmsg: %zd\n", sendmsg(cli, &m, 0));
	receive("sendmsg");

	// sendmsg naming its own credentials, then someone else's pid.
	char ccontrol[CMSG_SPACE(sizeof(struct ucred))];
	struct ucred u = {getpid(), getuid(), getgid()};
	m.msg_control = ccontrol;
	m.msg_controllen = sizeof ccontrol;
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_CREDENTIALS;
	c->cmsg_len = CMSG_LEN(sizeof u);
	memcpy(CMSG_DATA(c), &u, sizeof u);
	iov[0].iov_base = "tw";
	iov[1].iov_base = "o";
	printf("sendmsg creds: %zd\n", sendmsg(cli, &m, 0));
	receive("sendmsg creds");
	u.pid = 99999;
	memcpy(CMSG_DATA(c), &u, sizeof u);
	ssize_t r = sendmsg(cli, &m, 0);
	printf("sendmsg another pid: %zd %s\n", r, r < 0 ? strerror(errno) : "");

	// sendmmsg: two datagrams.
	struct iovec v1 = {"three", 5}, v2 = {"four", 4};
	struct mmsghdr mm[2] = {
	    {.msg_hdr = {.msg_name = &a, .msg_namelen = sizeof a, .msg_iov = &v1, .msg_iovlen = 1}},
	    {.msg_hdr = {.msg_name = &a, .msg_namelen = sizeof a, .msg_iov = &v2, .msg_iovlen = 1}},
	};
	int k = sendmmsg(cli, mm, 2, 0);
	printf("sendmmsg: %d, lengths %u %u\n", k, mm[0].msg_len, mm[1].msg_len);
	receive("sendmmsg 1");
	receive("sendmmsg 2");

	// sendto.
	printf("sendto: %zd\n", sendto(cli, "five", 4, 0, (struct sockaddr *)&a, sizeof a));
	receive("sendto");

	// To a path where nothing listens.
	strcpy(a.sun_path, "nobody");
	r = sendmsg(cli, &(struct msghdr){.msg_name = &a, .msg_namelen = sizeof a, .msg_iov = &v1, .msg_iovlen = 1}, 0);
	printf("sendmsg to nobody: %zd %s\n", r, r < 0 ? strerror(errno) : "");
	return 0;
}
