// secure.c: what a set-user-ID program run by another user sees: the
// loader's secure mode (AT_SECURE), the environment it leaves, its ids.
// Built with -DPRELOAD as a shared object, a library that announces itself
// if a loader preloads it.
#include <stdio.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <unistd.h>

#ifdef PRELOAD
__attribute__((constructor)) static void announce(void) { printf("PRELOADED euid=%d\n", geteuid()); }
#else
int main(void) {
	const char *p = getenv("LD_PRELOAD"), *l = getenv("LD_LIBRARY_PATH"), *k = getenv("KEPT");
	printf("secure=%lu ruid=%d euid=%d LD_PRELOAD=%s LD_LIBRARY_PATH=%s KEPT=%s\n",
		getauxval(AT_SECURE), getuid(), geteuid(), p ? p : "-", l ? l : "-", k ? k : "-");
	return 0;
}
#endif
