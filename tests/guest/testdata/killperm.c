// killperm.c: who may signal whom. Run as root: a root "victim" and an
// unprivileged user (1000) that tries every way of signalling it, and its
// own child in the victim's process group.
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sys/resource.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got[65];

static void count(int sig) { got[sig]++; }

static void catch(int sig) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = count;
	sa.sa_flags = SA_RESTART;
	sigaction(sig, &sa, NULL);
}

static const char *res(long r) { return r == 0 ? "ok" : strerror(errno); }

static int tidpipe[2];

static void *idle(void *arg) {
	int *fd = arg;
	pid_t tid = gettid();
	write(*fd, &tid, sizeof tid);
	for (;;) pause();
	return NULL;
}

// waiter counts SIGUSR1, SIGUSR2 and SIGCONT until SIGTERM, then exits
// with them as digits; it says it is ready on fd.
static int waiter(int fd) {
	catch(SIGUSR1);
	catch(SIGUSR2);
	catch(SIGCONT);
	sigset_t none, term;
	sigemptyset(&none);
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, NULL);
	write(fd, "r", 1);
	int s;
	sigwait(&term, &s);
	return got[SIGUSR1] * 100 + got[SIGUSR2] * 10 + got[SIGCONT];
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	int ready[2];
	pipe(ready);
	pipe(tidpipe);
	pid_t victim = fork();
	if (victim == 0) {
		setpgid(0, 0);
		pthread_t th;
		pthread_create(&th, NULL, idle, &tidpipe[1]);
		_exit(waiter(ready[1]));
	}
	pid_t vthread;
	read(tidpipe[0], &vthread, sizeof vthread);
	char c;
	read(ready[0], &c, 1);

	pid_t user = fork();
	if (user == 0) {
		if (setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000)) {
			perror("setresuid");
			_exit(1);
		}
		printf("kill: %s\n", res(kill(victim, SIGUSR1)));
		printf("kill 0: %s\n", res(kill(victim, 0)));
		printf("kill SIGCONT, same session: %s\n", res(kill(victim, SIGCONT)));
		printf("tgkill: %s\n", res(syscall(SYS_tgkill, victim, victim, SIGUSR1)));
		printf("tkill: %s\n", res(syscall(SYS_tkill, victim, SIGUSR1)));
		siginfo_t si;
		memset(&si, 0, sizeof si);
		si.si_code = SI_QUEUE;
		printf("rt_sigqueueinfo: %s\n", res(syscall(SYS_rt_sigqueueinfo, victim, SIGUSR1, &si)));
		int pfd = syscall(SYS_pidfd_open, victim, 0);
		printf("pidfd_send_signal: %s\n", res(syscall(SYS_pidfd_send_signal, pfd, SIGUSR1, NULL, 0)));
		printf("kill a pid that is not: %s\n", res(kill(99999, SIGUSR1)));
		printf("kill by the id of its other thread: %s\n", res(kill(vthread, SIGUSR1)));
		printf("kill init: %s\n", res(kill(1, SIGTERM)));
		struct rlimit rl;
		printf("prlimit init: %s\n", res(prlimit(1, RLIMIT_NOFILE, NULL, &rl)));

		// The user's own child, in the victim's process group.
		int r2[2];
		pipe(r2);
		pid_t own = fork();
		if (own == 0) {
			setpgid(0, victim);
			_exit(waiter(r2[1]));
		}
		read(r2[0], &c, 1);
		printf("kill the group (own child and victim): %s\n", res(kill(-victim, SIGUSR1)));
		printf("kill -1: %s\n", res(kill(-1, SIGUSR2)));
		usleep(100000);
		printf("kill own child: %s\n", res(kill(own, SIGTERM)));
		int st;
		waitpid(own, &st, 0);
		printf("own child got (usr1 usr2 cont): %03d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
		_exit(0);
	}
	int st;
	waitpid(user, &st, 0);
	kill(victim, SIGTERM);
	waitpid(victim, &st, 0);
	printf("victim got (usr1 usr2 cont): %03d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
	return 0;
}
