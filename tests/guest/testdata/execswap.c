// execswap.c: a thread swaps, with dup2, every descriptor above its own
// file's for its own file, while the main thread execs a set-user-ID root
// program: the descriptor the exec runs by must never become another file
// (which would run as root). Run as "execswap race SETUID OTHER"; the
// programs themselves are this file run as "PROGRAM run" (built with
// -DEVIL for the other one).
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int evil;

static void *swapper(void *a) {
	(void)a;
	for (;;)
		for (int n = evil + 1; n <= evil + 3; n++)
			if (fcntl(n, F_GETFD) >= 0) dup2(evil, n);
	return NULL;
}

int main(int argc, char **argv) {
	if (argc > 1 && strcmp(argv[1], "run") == 0) {
#ifdef EVIL
		printf("EVIL euid=%d\n", geteuid());
#else
		printf("legit euid=%d\n", geteuid());
#endif
		return 0;
	}
	if (argc < 4) return 2;
	evil = open(argv[3], O_RDONLY);
	pthread_t t;
	pthread_create(&t, NULL, swapper, NULL);
	usleep(1000);
	char *av[] = {argv[2], "run", NULL};
	execv(argv[2], av);
	perror("execv");
	return 1;
}
