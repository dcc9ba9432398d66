// fifointr.c: a blocking open of a fifo is interrupted by signals as
// Linux's is: a handler without SA_RESTART makes it fail with EINTR and
// leaves no reader or writer behind; with SA_RESTART the open goes on
// after the handler and meets its peer; a stop signal stops the process in
// the open, which goes on after SIGCONT; a signal to another thread of the
// process does not disturb the open; an ignored signal before a caught one
// changes nothing; an open restarted many times meets its peer, not what
// the interrupted ones left.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t caught, rtcaught;

static void handler(int sig) { (void)sig; caught++; }

static void rthandler(int sig) { (void)sig; rtcaught++; }

static void catch(int sig, int flags) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sa.sa_flags = flags;
	sigaction(sig, &sa, NULL);
}

static void msleep(long ms) {
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
	}
}

static void alarm_ms(long ms) {
	struct itimerval it = {{0, 0}, {ms / 1000, (ms % 1000) * 1000}};
	setitimer(ITIMER_REAL, &it, NULL);
}

// peer forks a child that opens the fifo with flags after ms, writes or
// reads one message, and exits.
static pid_t peer(long ms, int flags) {
	pid_t p = fork();
	if (p == 0) {
		msleep(ms);
		int fd = open("f", flags);
		if (fd < 0) _exit(1);
		char buf[8];
		if ((flags & O_ACCMODE) == O_WRONLY) _exit(write(fd, "hi", 2) == 2 ? 0 : 2);
		_exit(read(fd, buf, sizeof buf) == 2 ? 0 : 3);
	}
	return p;
}

static int reap(pid_t p) {
	int st;
	waitpid(p, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

// leftovers tells whether the fifo still has a reader or a writer.
static void leftovers(const char *what) {
	int w = open("f", O_WRONLY | O_NONBLOCK);
	int werr = errno;
	int r = open("f", O_RDONLY | O_NONBLOCK);
	char c;
	ssize_t n = read(r, &c, 1);
	printf("%s: reader left: %s, writer left: %s\n", what,
	       w >= 0 ? "yes" : werr == ENXIO ? "no" : strerror(werr),
	       n == 0 ? "no" : n < 0 && errno == EAGAIN ? "yes" : "?");
	if (w >= 0) close(w);
	close(r);
}

static volatile pid_t opener_tid;
static volatile int opener_fd = -2, opener_errno;

static void *opener(void *arg) {
	(void)arg;
	opener_tid = gettid();
	int fd = open("f", O_RDONLY);
	opener_errno = errno;
	opener_fd = fd;
	return NULL;
}

static void *sleeper(void *arg) {
	(void)arg;
	for (;;) pause();
	return NULL;
}

int main(void) {
	unlink("f");
	if (mkfifo("f", 0600) < 0) {
		perror("mkfifo");
		return 1;
	}

	// Real-time signals are caught: none must come but the guest's own.
	struct sigaction rt;
	memset(&rt, 0, sizeof rt);
	rt.sa_handler = rthandler;
	for (int s = SIGRTMIN; s <= SIGRTMAX; s++) sigaction(s, &rt, NULL);

	// No SA_RESTART: EINTR, for a reader and for a writer.
	catch(SIGALRM, 0);
	alarm_ms(200);
	int fd = open("f", O_RDONLY);
	printf("reader, no SA_RESTART: %d %s caught=%d\n", fd, fd < 0 ? strerror(errno) : "", caught);
	leftovers("after the reader");
	caught = 0;
	alarm_ms(200);
	fd = open("f", O_WRONLY);
	printf("writer, no SA_RESTART: %d %s caught=%d\n", fd, fd < 0 ? strerror(errno) : "", caught);
	leftovers("after the writer");

	// SA_RESTART: the open goes on and meets its peer.
	catch(SIGALRM, SA_RESTART);
	caught = 0;
	pid_t p = peer(700, O_WRONLY);
	alarm_ms(200);
	fd = open("f", O_RDONLY);
	char buf[8] = {0};
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
	printf("reader, SA_RESTART: %s caught=%d read=%zd %s peer=%d\n", fd >= 0 ? "opened" : strerror(errno), caught, n, buf, reap(p));
	close(fd);
	caught = 0;
	p = peer(700, O_RDONLY);
	alarm_ms(200);
	fd = open("f", O_WRONLY);
	n = fd >= 0 ? write(fd, "hi", 2) : -1;
	printf("writer, SA_RESTART: %s caught=%d wrote=%zd peer=%d\n", fd >= 0 ? "opened" : strerror(errno), caught, n, reap(p));
	close(fd);

	// A stop signal stops a process blocked in the open.
	p = fork();
	if (p == 0) {
		int fd = open("f", O_RDONLY);
		char buf[8];
		_exit(fd >= 0 && read(fd, buf, sizeof buf) == 2 ? 0 : 1);
	}
	msleep(200);
	kill(p, SIGSTOP);
	int st;
	waitpid(p, &st, WUNTRACED);
	printf("stopped in the open: %s\n", WIFSTOPPED(st) ? "yes" : "no");
	kill(p, SIGCONT);
	fd = open("f", O_WRONLY);
	n = write(fd, "hi", 2);
	close(fd);
	printf("after SIGCONT: wrote=%zd reader=%d\n", n, reap(p));

	// A signal another thread takes leaves the open alone.
	catch(SIGUSR1, 0);
	caught = 0;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_t th;
	pthread_create(&th, NULL, sleeper, NULL); // SIGUSR1 unblocked there
	pthread_sigmask(SIG_BLOCK, &set, NULL);   // and blocked here
	p = peer(600, O_WRONLY);
	pid_t k = fork();
	if (k == 0) {
		msleep(200);
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	fd = open("f", O_RDONLY);
	memset(buf, 0, sizeof buf);
	n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
	reap(k);
	printf("other thread's signal: %s caught=%d read=%zd %s peer=%d\n", fd >= 0 ? "opened" : strerror(errno), caught, n, buf, reap(p));
	// An ignored signal, then a caught one without SA_RESTART, to a thread
	// blocked in the open: EINTR.
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	signal(SIGUSR1, SIG_IGN);
	catch(SIGUSR2, 0);
	caught = 0;
	pthread_t op;
	pthread_create(&op, NULL, opener, NULL);
	msleep(300);
	syscall(SYS_tgkill, getpid(), opener_tid, SIGUSR1);
	syscall(SYS_tgkill, getpid(), opener_tid, SIGUSR2);
	for (int i = 0; i < 40 && opener_fd == -2; i++) msleep(50);
	if (opener_fd == -2) {
		printf("ignored then caught: still blocked\n");
		close(open("f", O_WRONLY | O_NONBLOCK));
	}
	pthread_join(op, NULL);
	printf("ignored then caught: %d %s caught=%d\n", opener_fd, opener_fd < 0 ? strerror(opener_errno) : "", caught);
	if (opener_fd >= 0) close(opener_fd);

	// SA_RESTART and a signal every 60 ms: the open restarts each time and
	// meets the writer that comes after a second.
	catch(SIGUSR2, SA_RESTART);
	caught = 0;
	opener_fd = -2;
	pthread_create(&op, NULL, opener, NULL);
	msleep(100);
	for (int i = 0; i < 15; i++) {
		syscall(SYS_tgkill, getpid(), opener_tid, SIGUSR2);
		msleep(60);
	}
	p = peer(0, O_WRONLY);
	pthread_join(op, NULL);
	memset(buf, 0, sizeof buf);
	n = opener_fd >= 0 ? read(opener_fd, buf, sizeof buf - 1) : -1;
	printf("restarted 15 times: %s read=%zd %s caught=%d peer=%d\n", opener_fd >= 0 ? "opened" : strerror(opener_errno), n, buf,
	       caught, reap(p));

	printf("real-time signals caught: %d\n", rtcaught);
	return 0;
}
