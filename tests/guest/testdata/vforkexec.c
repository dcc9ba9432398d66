// vforkexec.c: a vfork child on a small stack in its parent's memory
// execs with a 20 KB environment, as posix_spawn does. The exec must not
// write anything in the parent's memory; the new program must get its
// arguments and environment intact.
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CANARY (128 << 10)
#define STACK (16 << 10)

static char *self;
static char big[20000];

static int child(void *arg) {
	(void)arg;
	char *argv[] = {self, "exec'd", NULL};
	char *envp[] = {big, "SMALL=1", NULL};
	execve(self, argv, envp);
	_exit(127);
}

int main(int argc, char **argv) {
	if (argc > 1) {
		const char *b = getenv("BIG");
		printf("%s: BIG=%zu SMALL=%s\n", argv[1], b ? strlen(b) : 0, getenv("SMALL"));
		return 0;
	}
	self = argv[0];
	memcpy(big, "BIG=", 4);
	memset(big + 4, 'x', sizeof big - 5);
	unsigned char *mem = malloc(CANARY + STACK);
	memset(mem, 0xa5, CANARY + STACK);
	// Twice: the second exec finds what the first left, if anything.
	for (int round = 0; round < 2; round++) {
		fflush(stdout);
		pid_t pid = clone(child, mem + CANARY + STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
		int st;
		waitpid(pid, &st, 0);
		int changed = 0;
		for (int i = 0; i < CANARY; i++) changed += mem[i] != 0xa5;
		printf("status %d, parent bytes changed: %d\n", WEXITSTATUS(st), changed);
	}
	return 0;
}
