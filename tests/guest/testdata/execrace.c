// execrace.c: execs racing in one process.
//   - Two threads exec at once with an environment too big for Linux
//     (200 KB in one string): both must fail with E2BIG, and the process
//     must go on normally (its next mmap an mmap), 40 times.
//   - 40 threads each vfork a child on a small stack in their memory,
//     which execs with a 20 KB environment, 5 rounds: no byte of the
//     parent's memory may change, and every child must run.
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define CANARY (64 << 10)
#define STACK (16 << 10)
#define NT 40

static char *self, *huge;
static char env20k[20000];
static pthread_barrier_t bar;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int bad;
static long changed, failed;

static void tooBig(void) {
	char *av[] = {self, "ran", NULL}, *ev[] = {huge, NULL};
	long r = syscall(SYS_execve, self, av, ev);
	int e = errno;
	void *p = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r != -1 || e != E2BIG || p == MAP_FAILED) {
		pthread_mutex_lock(&mu);
		bad++;
		pthread_mutex_unlock(&mu);
	}
	if (p != MAP_FAILED) munmap(p, 4096);
}

static void *twin(void *a) {
	(void)a;
	pthread_barrier_wait(&bar);
	tooBig();
	return NULL;
}

static int child(void *a) {
	(void)a;
	char *av[] = {self, "ran", NULL}, *ev[] = {env20k, NULL};
	execve(self, av, ev);
	_exit(127);
}

static void *spawner(void *a) {
	(void)a;
	unsigned char *mem = malloc(CANARY + STACK);
	for (int r = 0; r < 5; r++) {
		memset(mem, 0xa5, CANARY + STACK);
		pthread_barrier_wait(&bar);
		pid_t pid = clone(child, mem + CANARY + STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
		int st = 0;
		waitpid(pid, &st, 0);
		int c = 0;
		for (int i = 0; i < CANARY; i++) c += mem[i] != 0xa5;
		pthread_mutex_lock(&mu);
		changed += c;
		failed += !WIFEXITED(st) || WEXITSTATUS(st) != 0;
		pthread_mutex_unlock(&mu);
	}
	free(mem);
	return NULL;
}

int main(int argc, char **argv) {
	if (argc > 1) return 0;
	self = argv[0];
	huge = malloc(200000);
	memcpy(huge, "B=", 2);
	memset(huge + 2, 'x', 200000 - 3);
	huge[199999] = 0;
	memcpy(env20k, "E=", 2);
	memset(env20k + 2, 'y', sizeof env20k - 3);
	for (int i = 0; i < 40; i++) {
		pthread_t t;
		pthread_barrier_init(&bar, NULL, 2);
		pthread_create(&t, NULL, twin, NULL);
		pthread_barrier_wait(&bar);
		tooBig();
		pthread_join(t, NULL);
		pthread_barrier_destroy(&bar);
	}
	printf("racing failed execs: %d went wrong\n", bad);
	pthread_t t[NT];
	pthread_barrier_init(&bar, NULL, NT);
	for (int i = 0; i < NT; i++) pthread_create(&t[i], NULL, spawner, NULL);
	for (int i = 0; i < NT; i++) pthread_join(t[i], NULL);
	printf("racing vforks: parent bytes changed %ld, children failed %ld\n", changed, failed);
	return 0;
}
