// openstat: the cost of one served call, timed inside the guest.
//
//	openstat open N [PATH]   N open+close pairs of PATH (/etc/passwd)
//	openstat stat N [PATH]   N stats of PATH
//	openstat close N         N closes of a descriptor that is not open
//
// It prints the mean time of one iteration. Build it static and put it in
// the guest's root (docs/performance.md, Opens):
//
//	gcc -O2 -static -o ROOT/openstat bench/loops/openstat.c
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

int main(int argc, char **argv) {
	if (argc < 3) {
		fprintf(stderr, "usage: openstat open|stat|close N [PATH]\n");
		return 2;
	}
	const char *mode = argv[1];
	int n = atoi(argv[2]);
	const char *path = argc > 3 ? argv[3] : "/etc/passwd";
	struct stat st;
	double t0 = now();
	for (int i = 0; i < n; i++) {
		if (!strcmp(mode, "open")) {
			int fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0) {
				perror("open");
				return 1;
			}
			close(fd);
		} else if (!strcmp(mode, "stat")) {
			if (stat(path, &st)) {
				perror("stat");
				return 1;
			}
		} else if (!strcmp(mode, "close")) {
			close(1000);
		} else {
			fprintf(stderr, "openstat: unknown mode %s\n", mode);
			return 2;
		}
	}
	printf("%s %.2f us\n", mode, (now() - t0) / n);
	return 0;
}
