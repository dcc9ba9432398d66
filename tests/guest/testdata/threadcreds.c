// threadcreds.c: credentials are per thread. Run as root: a thread that
// makes the raw setresuid(1000) call changes its own identity only, and
// every check on what it does afterwards (ownership, modes, signals,
// /proc) uses that identity, while the main thread stays root. A thread or
// process it creates starts as 1000, and so does a program it executes.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t victim, headless;

static const char *res(long r) { return r >= 0 ? "ok" : strerror(errno); }

// statusUid returns the Uid line of a /proc status file.
static const char *statusUid(const char *path) {
	static char line[256];
	FILE *f = fopen(path, "r");
	if (f == NULL) return strerror(errno);
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, "Uid:", 4) == 0) {
			fclose(f);
			line[strcspn(line, "\n")] = 0;
			return line;
		}
	}
	fclose(f);
	return "no Uid";
}

static void ids(const char *who) {
	uid_t r, e, s;
	syscall(SYS_getresuid, &r, &e, &s);
	printf("%s: getresuid %d %d %d, getuid %ld\n", who, r, e, s, syscall(SYS_getuid));
}

// tries makes the served calls whose checks depend on the caller's
// identity, printing each result.
static void tries(const char *who) {
	char path[64];
	ids(who);
	int fd = open("own", O_RDONLY);
	printf("%s: fchown own file: %s\n", who, res(fchown(fd, 1000, -1)));
	close(fd);
	fd = open("rootfile", O_RDONLY);
	printf("%s: fchown root's file: %s\n", who, res(fchown(fd, 1000, -1)));
	fchown(fd, 0, 0);
	close(fd);
	printf("%s: chmod root's file: %s\n", who, res(chmod("rootfile", 0640)));
	chmod("rootfile", 0644);
	fd = open("secret", O_RDONLY);
	printf("%s: open root's 0600 file: %s\n", who, res(fd));
	if (fd >= 0) close(fd);
	printf("%s: kill root's process: %s\n", who, res(kill(victim, 0)));
	printf("%s: kill root's process whose leader exited: %s\n", who, res(kill(headless, 0)));
	printf("%s: truncate root's file: %s\n", who, res(truncate("rootfile", 0)));
	printf("%s: mkdir in root's 0755 dir: %s\n", who, res(mkdir("rootdir/x", 0755)));
	rmdir("rootdir/x");
	printf("%s: /proc/self/status %s\n", who, statusUid("/proc/self/status"));
	snprintf(path, sizeof path, "/proc/self/task/%d/status", gettid());
	printf("%s: own task status %s\n", who, statusUid(path));
	snprintf(path, sizeof path, "/proc/thread-self/status");
	printf("%s: thread-self status %s\n", who, statusUid(path));
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, getpid()};
	struct __user_cap_data_struct d[2];
	long r = syscall(SYS_capget, &h, d);
	printf("%s: capget of the process: %s, effective: %s\n", who, res(r), d[0].effective ? "some" : "none");
	h.pid = gettid();
	r = syscall(SYS_capget, &h, d);
	printf("%s: capget of the thread: %s, effective: %s\n", who, res(r), d[0].effective ? "some" : "none");
	h.pid = getpid();
	printf("%s: capset of the process: %s\n", who, res(syscall(SYS_capset, &h, d)));
	h.pid = gettid();
	printf("%s: capset of the thread: %s\n", who, res(syscall(SYS_capset, &h, d)));
	char buf[256];
	ssize_t n = readlink("/proc/self/cwd", buf, sizeof buf);
	printf("%s: readlink own cwd: %s\n", who, res(n));
	snprintf(path, sizeof path, "/proc/%d/cwd", victim);
	n = readlink(path, buf, sizeof buf);
	printf("%s: readlink root's cwd: %s\n", who, res(n));
}

static void *forever(void *arg) {
	int *fd = arg;
	write(*fd, "r", 1);
	for (;;) pause();
	return NULL;
}

static void *grandchild(void *arg) {
	(void)arg;
	ids("thread of the thread");
	int fd = open("secret", O_RDONLY);
	printf("thread of the thread: open root's 0600 file: %s\n", res(fd));
	return NULL;
}

static void *thread(void *arg) {
	(void)arg;
	if (syscall(SYS_setresuid, 1000, 1000, 1000) != 0) {
		perror("setresuid");
		exit(1);
	}
	tries("thread");
	pthread_t t;
	pthread_create(&t, NULL, grandchild, NULL);
	pthread_join(t, NULL);
	pid_t p = fork();
	if (p == 0) {
		ids("child of the thread");
		printf("child of the thread: chmod root's file: %s\n", res(chmod("rootfile", 0640)));
		_exit(0);
	}
	waitpid(p, NULL, 0);
	return NULL;
}

static int sync1[2], sync2[2];

// sleeper waits while the main thread calls glibc's setresuid, which
// makes every thread change, then says what it is.
static void *sleeper(void *arg) {
	(void)arg;
	char c;
	write(sync1[1], "x", 1);
	read(sync2[0], &c, 1);
	ids("other thread after glibc's setresuid");
	return NULL;
}

static void *execer(void *arg) {
	(void)arg;
	syscall(SYS_setresuid, 1000, 1000, 1000);
	execl("/proc/self/exe", "threadcreds", "exec", (char *)NULL);
	perror("exec");
	_exit(1);
}

int main(int argc, char **argv) {
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc > 1) {
		ids("exec from the thread");
		printf("exec from the thread: /proc/self/status %s\n", statusUid("/proc/self/status"));
		return 0;
	}
	int fd = open("own", O_CREAT | O_WRONLY | O_TRUNC, 0644);
	fchown(fd, 1000, 1000);
	close(fd);
	close(open("rootfile", O_CREAT | O_WRONLY | O_TRUNC, 0644));
	close(open("secret", O_CREAT | O_WRONLY | O_TRUNC, 0600));
	mkdir("rootdir", 0755);
	pipe(sync1);
	pipe(sync2);
	victim = fork();
	if (victim == 0) {
		for (;;) pause();
	}
	int ready[2];
	pipe(ready);
	headless = fork();
	if (headless == 0) {
		pthread_t t;
		pthread_create(&t, NULL, forever, &ready[1]);
		pthread_exit(NULL);
	}
	char r;
	read(ready[0], &r, 1);
	usleep(100000); // the leader's exit
	pthread_t t;
	pthread_create(&t, NULL, thread, NULL);
	pthread_join(t, NULL);
	tries("main");
	pthread_create(&t, NULL, sleeper, NULL);
	char c;
	read(sync1[0], &c, 1);
	printf("main: setresuid(0, 2000, 0) by glibc: %s\n", res(setresuid(0, 2000, 0)));
	write(sync2[1], "x", 1);
	pthread_join(t, NULL);
	printf("main: setresuid(0, 0, 0) by glibc: %s\n", res(setresuid(0, 0, 0)));
	ids("main");
	kill(victim, SIGKILL);
	waitpid(victim, NULL, 0);
	kill(headless, SIGKILL);
	waitpid(headless, NULL, 0);
	pid_t p = fork();
	if (p == 0) {
		pthread_create(&t, NULL, execer, NULL);
		for (;;) pause();
	}
	int st;
	waitpid(p, &st, 0);
	printf("exec child: status %d\n", WEXITSTATUS(st));
	rmdir("rootdir");
	return 0;
}
