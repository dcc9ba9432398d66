// nproc.c: RLIMIT_NPROC bounds an unprivileged user's processes; root is
// exempt.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t child(void) {
	pid_t p = fork();
	if (p == 0) {
		pause();
		_exit(0);
	}
	return p;
}

static void report(const char *what, pid_t p) {
	printf("%s: %s\n", what, p > 0 ? "forked" : strerror(errno));
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	struct rlimit one = {1, 2}, two = {2, 2};
	setrlimit(RLIMIT_NPROC, &one);
	pid_t r = child();
	report("root, limit 1", r);
	kill(r, SIGKILL);
	waitpid(r, NULL, 0);
	pid_t u = fork();
	if (u == 0) {
		if (setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000)) _exit(1);
		setrlimit(RLIMIT_NPROC, &one);
		pid_t a = child();
		report("user, limit 1", a);
		setrlimit(RLIMIT_NPROC, &two);
		a = child();
		report("user, limit 2, first", a);
		pid_t b = child();
		report("user, limit 2, second", b);
		pid_t v = vfork();
		if (v == 0) _exit(0);
		report("user, limit 2, vfork", v);
		kill(a, SIGKILL);
		waitpid(a, NULL, 0);
		b = child();
		report("user, limit 2, after a wait", b);
		if (b > 0) {
			kill(b, SIGKILL);
			waitpid(b, NULL, 0);
		}
		// A child that exited but is not reaped yet still counts.
		pid_t z = fork();
		if (z == 0) _exit(0);
		usleep(200000);
		b = child();
		report("user, limit 2, an unreaped child", b);
		if (b > 0) {
			kill(b, SIGKILL);
			waitpid(b, NULL, 0);
		}
		waitpid(z, NULL, 0);
		b = child();
		report("user, limit 2, once reaped", b);
		if (b > 0) kill(b, SIGKILL);
		_exit(0);
	}
	int st;
	waitpid(u, &st, 0);
	return 0;
}
