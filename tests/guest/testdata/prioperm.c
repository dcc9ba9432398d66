// prioperm.c: an unprivileged user acting on root's process's limits,
// priority and scheduling (EPERM), on its own child (allowed), and on
// every process of a user by uid.
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *res(long r) { return r >= 0 ? "ok" : strerror(errno); }

static pid_t sleeper(void) {
	pid_t p = fork();
	if (p == 0) {
		pause();
		_exit(0);
	}
	return p;
}

static void try(const char *who, pid_t p) {
	struct rlimit rl;
	printf("%s: prlimit get: %s\n", who, res(prlimit(p, RLIMIT_NOFILE, NULL, &rl)));
	rl.rlim_cur = 64;
	printf("%s: prlimit set: %s\n", who, res(prlimit(p, RLIMIT_NOFILE, &rl, NULL)));
	errno = 0;
	printf("%s: setpriority: %s\n", who, res(setpriority(PRIO_PROCESS, p, 5)));
	cpu_set_t set;
	CPU_ZERO(&set);
	sched_getaffinity(p, sizeof set, &set);
	printf("%s: sched_setaffinity: %s\n", who, res(sched_setaffinity(p, sizeof set, &set)));
	struct sched_param sp = {0};
	printf("%s: sched_setscheduler: %s\n", who, res(sched_setscheduler(p, SCHED_OTHER, &sp)));
	printf("%s: ioprio_set: %s\n", who, res(syscall(SYS_ioprio_set, 1, p, (2 << 13) | 4)));
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	pid_t rootp = sleeper();
	pid_t user = fork();
	if (user == 0) {
		if (setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000)) _exit(1);
		try("root's", rootp);
		pid_t own = sleeper();
		try("own", own);
		// Every process of uid 1000 (this one and its child): nice 7.
		printf("setpriority user: %s\n", res(setpriority(PRIO_USER, 1000, 7)));
		errno = 0;
		int pr = getpriority(PRIO_USER, 1000);
		printf("getpriority user: %d %s\n", pr, errno ? strerror(errno) : "");
		errno = 0;
		printf("own child's nice: %d\n", getpriority(PRIO_PROCESS, own));
		printf("setpriority uid 2000: %s\n", res(setpriority(PRIO_USER, 2000, 1)));
		kill(own, SIGKILL);
		waitpid(own, NULL, 0);
		_exit(0);
	}
	int st;
	waitpid(user, &st, 0);
	errno = 0;
	printf("root's nice: %d\n", getpriority(PRIO_PROCESS, rootp));
	kill(rootp, SIGKILL);
	waitpid(rootp, NULL, 0);
	return 0;
}
