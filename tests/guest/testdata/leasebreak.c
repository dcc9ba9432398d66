// leasebreak: an open that breaks another process's lease (fcntl(2)
// F_SETLEASE) waits until the holder gives the lease up, here by closing
// its descriptor once SIGIO tells it of the break; the holder's own calls
// meanwhile (an open, the close) are not held up by the waiting open. An
// O_NONBLOCK open fails at once instead.
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void onio(int sig) { (void)sig; }

int main(void) {
	int fd = open("leased", O_CREAT | O_TRUNC | O_WRONLY, 0644);
	if (fd < 0 || write(fd, "x", 1) != 1) {
		perror("leased");
		return 1;
	}
	close(fd);
	int ready[2];
	if (pipe(ready)) {
		perror("pipe");
		return 1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		sigset_t io, old;
		sigemptyset(&io);
		sigaddset(&io, SIGIO);
		sigprocmask(SIG_BLOCK, &io, &old);
		struct sigaction sa = {.sa_handler = onio};
		sigaction(SIGIO, &sa, NULL);
		int lfd = open("leased", O_RDONLY);
		if (lfd < 0 || fcntl(lfd, F_SETLEASE, F_RDLCK)) {
			perror("holder: F_SETLEASE");
			_exit(1);
		}
		write(ready[1], "r", 1);
		sigsuspend(&old);
		// Served calls while the breaker waits.
		int other = open("/etc/passwd", O_RDONLY);
		close(other);
		close(lfd);
		_exit(other >= 0 ? 0 : 2);
	}
	char c;
	if (read(ready[0], &c, 1) != 1) {
		fprintf(stderr, "no holder\n");
		return 1;
	}
	double t0 = now();
	int wfd = open("leased", O_WRONLY);
	double waited = now() - t0;
	int st;
	waitpid(pid, &st, 0);
	printf("breaker: %s, waited under 5s: %s\n", wfd >= 0 ? "opened" : "failed", waited < 5 ? "yes" : "no");
	printf("holder: exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	// A breaker that does not wait: O_NONBLOCK fails at once.
	close(wfd);
	pid = fork();
	if (pid == 0) {
		int lfd = open("leased", O_RDONLY);
		if (lfd < 0 || fcntl(lfd, F_SETLEASE, F_RDLCK)) {
			perror("holder 2: F_SETLEASE");
			close(ready[1]);
			_exit(1);
		}
		write(ready[1], "r", 1);
		pause();
		_exit(0);
	}
	if (read(ready[0], &c, 1) != 1) {
		fprintf(stderr, "no holder 2\n");
		return 1;
	}
	wfd = open("leased", O_WRONLY | O_NONBLOCK);
	printf("O_NONBLOCK breaker: %s\n", wfd >= 0 ? "opened" : "EWOULDBLOCK");
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return 0;
}
