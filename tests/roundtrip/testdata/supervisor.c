/* The floor of a served call: a minimal C supervisor of seccomp user
 * notifications. It forks a child that installs a filter sending umask to
 * the supervisor (everything else allowed), takes the child's listener
 * (pidfd_getfd), asks for synchronous wake-ups unless argv[2] is "async",
 * and answers each notification with 0 (RECV, SEND), as vkernel answers a
 * call that does no work, while the child makes argv[1] calls and prints
 * the nanoseconds they took. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP 1
#endif

int main(int argc, char **argv) {
	long n = argc > 1 ? atol(argv[1]) : 100000;
	int sync = !(argc > 2 && strcmp(argv[2], "async") == 0);
	int up[2], go[2];
	if (pipe(up) || pipe(go)) return 1;
	pid_t pid = fork();
	if (pid == 0) {
		struct sock_filter f[] = {
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_umask, 0, 1),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		};
		struct sock_fprog prog = {sizeof f / sizeof f[0], f};
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		int l = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
		if (l < 0) { perror("seccomp"); _exit(1); }
		write(up[1], &l, sizeof l);
		char c;
		read(go[0], &c, 1);
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		for (long i = 0; i < n; i++) umask(022);
		clock_gettime(CLOCK_MONOTONIC, &b);
		printf("%lld\n", (long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec));
		fflush(stdout);
		_exit(0);
	}
	int lnum;
	if (read(up[0], &lnum, sizeof lnum) != sizeof lnum) return 1;
	int pfd = syscall(SYS_pidfd_open, pid, 0);
	int l = syscall(SYS_pidfd_getfd, pfd, lnum, 0);
	if (l < 0) { perror("pidfd_getfd"); return 1; }
	if (sync) {
		__u64 flags = SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP;
		if (ioctl(l, SECCOMP_IOCTL_NOTIF_SET_FLAGS, flags) < 0) perror("SET_FLAGS");
	}
	write(go[1], "g", 1);
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;
	for (long i = 0; i < n; i++) {
		memset(&req, 0, sizeof req);
		if (ioctl(l, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
			if (errno == EINTR) { i--; continue; }
			perror("RECV");
			break;
		}
		memset(&resp, 0, sizeof resp);
		resp.id = req.id;
		if (ioctl(l, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT) perror("SEND");
	}
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
