// fsize.c: RLIMIT_FSIZE bounds every way of growing a file (truncate of a
// path, ftruncate, fallocate, write) with EFBIG and SIGXFSZ, ignored,
// caught, blocked or left to its default action; shrinking a file that is
// past the limit, or growing it up to the limit, is allowed.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t caught;

static void count(int sig) {
	(void)sig;
	caught++;
}

static const char *res(long r) { return r >= 0 ? "ok" : strerror(errno); }

static void limit(rlim_t soft) {
	struct rlimit rl = {soft, RLIM_INFINITY};
	setrlimit(RLIMIT_FSIZE, &rl);
}

static long size(void) {
	struct stat st;
	return stat("f", &st) == 0 ? (long)st.st_size : -1;
}

// tries grows and shrinks f every way, printing each result, the size
// and how many SIGXFSZ were caught so far.
static void tries(const char *how) {
	int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644);
	long r;
	limit(1000);
	caught = 0;
	r = truncate("f", 2000);
	printf("%s: truncate beyond: %s size %ld caught %d\n", how, res(r), size(), caught);
	limit(RLIM_INFINITY);
	ftruncate(fd, 5000);
	limit(1000);
	r = truncate("f", 3000);
	printf("%s: truncate shrinking, past the limit: %s size %ld caught %d\n", how, res(r), size(), caught);
	r = truncate("f", 4000);
	printf("%s: truncate growing, past the limit: %s size %ld caught %d\n", how, res(r), size(), caught);
	r = truncate("f", 1000);
	printf("%s: truncate to the limit: %s size %ld caught %d\n", how, res(r), size(), caught);
	r = truncate("f", 1001);
	printf("%s: truncate one past: %s size %ld caught %d\n", how, res(r), size(), caught);
	r = ftruncate(fd, 2000);
	printf("%s: ftruncate beyond: %s size %ld caught %d\n", how, res(r), size(), caught);
	r = fallocate(fd, 0, 0, 2000);
	printf("%s: fallocate beyond: %s size %ld caught %d\n", how, res(r), size(), caught);
	r = pwrite(fd, "x", 1, 1000);
	printf("%s: pwrite beyond: %s size %ld caught %d\n", how, res(r), size(), caught);
	r = truncate("f", 10);
	printf("%s: truncate below: %s size %ld caught %d\n", how, res(r), size(), caught);
	close(fd);
	fd = open("f", O_RDWR | O_TRUNC);
	printf("%s: open O_TRUNC: %s size %ld caught %d\n", how, res(fd), size(), caught);
	close(fd);
	limit(RLIM_INFINITY);
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	signal(SIGXFSZ, SIG_IGN);
	tries("ignored");
	signal(SIGXFSZ, count);
	tries("caught");

	// Blocked: the signal waits, pending, until it is unblocked.
	sigset_t xfsz, pending;
	sigemptyset(&xfsz);
	sigaddset(&xfsz, SIGXFSZ);
	sigprocmask(SIG_BLOCK, &xfsz, NULL);
	limit(1000);
	caught = 0;
	long r = truncate("f", 2000);
	sigpending(&pending);
	printf("blocked: truncate beyond: %s caught %d pending %d\n", res(r), caught, sigismember(&pending, SIGXFSZ));
	sigprocmask(SIG_UNBLOCK, &xfsz, NULL);
	printf("blocked: after unblocking: caught %d\n", caught);
	limit(RLIM_INFINITY);

	// The default action ends the process.
	pid_t p = fork();
	if (p == 0) {
		struct rlimit none = {0, 0};
		setrlimit(RLIMIT_CORE, &none);
		signal(SIGXFSZ, SIG_DFL);
		limit(1000);
		truncate("f", 2000);
		printf("default: still running\n");
		_exit(0);
	}
	int st;
	waitpid(p, &st, 0);
	printf("default: %s %d\n", WIFSIGNALED(st) ? "killed by" : "exit", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	printf("size %ld\n", size());
	unlink("f");
	return 0;
}
