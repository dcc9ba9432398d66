// eintr.c: calls Linux never interrupts (stat, open of a regular file,
// close, getcwd, mkdir, unlink) made while a handler without SA_RESTART
// catches a fast interval timer must never fail with EINTR; a blocking
// flock must still fail with EINTR when the timer interrupts it.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t caught;

static void handler(int sig) { (void)sig; caught++; }

static void timer(long usec, long interval) {
	struct itimerval it = {{0, interval}, {0, usec}};
	setitimer(ITIMER_REAL, &it, NULL);
}

int main(void) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler; // no SA_RESTART
	sigaction(SIGALRM, &sa, NULL);

	int eintr = 0, other = 0;
	char buf[4096];
	struct stat st;
	timer(100, 100);
	for (int i = 0; i < 3000; i++) {
		if (stat("/etc/passwd", &st) < 0) errno == EINTR ? eintr++ : other++;
		int fd = open("/etc/passwd", O_RDONLY);
		if (fd < 0) errno == EINTR ? eintr++ : other++;
		else if (close(fd) < 0) errno == EINTR ? eintr++ : other++;
		if (getcwd(buf, sizeof buf) == NULL) errno == EINTR ? eintr++ : other++;
		if (mkdir("eintr.d", 0755) < 0) errno == EINTR ? eintr++ : other++;
		if (rmdir("eintr.d") < 0) errno == EINTR ? eintr++ : other++;
	}
	timer(0, 0);
	printf("served calls: eintr=%d other=%d caught=%s\n", eintr, other, caught > 0 ? "yes" : "no");

	// A blocking flock is interruptible: EINTR without SA_RESTART.
	int fd = open("eintr.lock", O_RDWR | O_CREAT, 0644);
	int p[2];
	pipe(p);
	pid_t pid = fork();
	if (pid == 0) {
		int cfd = open("eintr.lock", O_RDWR);
		flock(cfd, LOCK_EX);
		write(p[1], "x", 1);
		pause();
		_exit(0);
	}
	read(p[0], buf, 1);
	timer(100000, 0);
	int r = flock(fd, LOCK_EX);
	printf("blocked flock: %s\n", r < 0 ? strerror(errno) : "locked");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	unlink("eintr.lock");
	return 0;
}
