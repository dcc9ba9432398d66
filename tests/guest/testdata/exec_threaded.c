/* Execs argv[1] while a second thread runs: a thread that could read the
 * program file from the descriptor the exec is carried out by. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#include <errno.h>
#include <string.h>
static void *spin(void *a) { for (;;) pause(); return 0; }
int main(int c, char **v) {
	pthread_t t; pthread_create(&t, 0, spin, 0);
	char *av[] = {v[1], "from-thread", 0};
	execv(v[1], av);
	printf("execv: %s\n", strerror(errno));
	return 0;
}
