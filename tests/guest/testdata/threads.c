// threads.c: /proc/self/task lists every thread of the process, each
// task/<tid> describes its own thread (comm set by PR_SET_NAME, the pid in
// stat and status), and /proc/thread-self is the caller's own.
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static pthread_barrier_t named, done;
static pid_t tids[2];

static int self_is_thread_self(void) {
	char link[64], want[64];
	ssize_t n = readlink("/proc/thread-self", link, sizeof link - 1);
	if (n < 0) return 0;
	link[n] = 0;
	snprintf(want, sizeof want, "%d/task/%d", getpid(), gettid());
	return strcmp(link, want) == 0;
}

static void *worker(void *arg) {
	int i = (int)(long)arg;
	char name[16];
	snprintf(name, sizeof name, "worker-%d", i);
	prctl(PR_SET_NAME, name);
	tids[i] = gettid();
	printf("worker %d: thread-self is its own: %s\n", i, self_is_thread_self() ? "yes" : "no");
	fflush(stdout);
	pthread_barrier_wait(&named);
	pthread_barrier_wait(&done);
	return NULL;
}

static void read_line(const char *path, char *buf, size_t n) {
	buf[0] = 0;
	FILE *f = fopen(path, "r");
	if (!f) return;
	if (fgets(buf, n, f)) buf[strcspn(buf, "\n")] = 0;
	fclose(f);
}

static const char *who(int tid) {
	if (tid == getpid()) return "leader";
	if (tid == tids[0]) return "worker 0";
	if (tid == tids[1]) return "worker 1";
	return "stranger";
}

int main(void) {
	pthread_barrier_init(&named, NULL, 2);
	pthread_barrier_init(&done, NULL, 3);
	pthread_t th[2];
	for (long i = 0; i < 2; i++) {
		pthread_create(&th[i], NULL, worker, (void *)i);
		pthread_barrier_wait(&named);
	}
	printf("leader: thread-self is its own: %s\n", self_is_thread_self() ? "yes" : "no");
	// Naming another thread writes its task/<tid>/comm.
	int rc = pthread_setname_np(th[1], "renamed-1");
	char got[16] = "";
	pthread_getname_np(th[1], got, sizeof got);
	printf("pthread_setname_np: %d, getname: %s\n", rc, got);
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.') continue;
		int tid = atoi(e->d_name);
		char path[128], comm[64], stat[256], status[4096];
		snprintf(path, sizeof path, "/proc/self/task/%d/comm", tid);
		read_line(path, comm, sizeof comm);
		snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
		read_line(path, stat, sizeof stat);
		int spid = atoi(stat);
		int tgid = 0, pid = 0;
		snprintf(path, sizeof path, "/proc/self/task/%d/status", tid);
		FILE *f = fopen(path, "r");
		while (f && fgets(status, sizeof status, f)) {
			sscanf(status, "Tgid: %d", &tgid);
			sscanf(status, "Pid: %d", &pid);
		}
		if (f) fclose(f);
		printf("%s: comm %s, stat pid is the tid: %s, status Pid/Tgid: %s\n", who(tid), comm,
		       spid == tid ? "yes" : "no", pid == tid && tgid == getpid() ? "yes" : "no");
		n++;
	}
	closedir(d);
	printf("threads: %d\n", n);

	// /proc/<tid> of a thread: found, describing the thread, not listed.
	char path[64], line[256];
	int listed = 0, pid = 0, tgid = 0;
	snprintf(path, sizeof path, "/proc/%d/status", tids[1]);
	FILE *f = fopen(path, "r");
	while (f && fgets(line, sizeof line, f)) {
		sscanf(line, "Tgid: %d", &tgid);
		sscanf(line, "Pid: %d", &pid);
	}
	if (f) fclose(f);
	d = opendir("/proc");
	while ((e = readdir(d)))
		if (atoi(e->d_name) == tids[1]) listed = 1;
	closedir(d);
	printf("/proc/<tid>: %s, Pid/Tgid: %s, listed: %s\n", f ? "found" : "not found",
	       pid == tids[1] && tgid == getpid() ? "yes" : "no", listed ? "yes" : "no");
	pthread_barrier_wait(&done);
	for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
	return 0;
}
