#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <unistd.h>

int origin_value(void);

/* Prints what a dynamic program sees of its own exec: the library found
 * through $ORIGIN, its name (comm), AT_EXECFN, AT_SECURE, /proc/self/exe,
 * the dumpable flag, its argv and /proc/self/cmdline. */
int main(int argc, char **argv) {
	char exe[4096] = "", comm[64] = "";
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) exe[n] = 0;
	FILE *f = fopen("/proc/self/comm", "r");
	if (f) { if (fgets(comm, sizeof comm, f)) comm[strcspn(comm, "\n")] = 0; fclose(f); }
	printf("value=%d comm=%s execfn=%s secure=%lu exe=%s dumpable=%d argc=%d",
	       origin_value(), comm, (char *)getauxval(AT_EXECFN), getauxval(AT_SECURE), exe,
	       prctl(PR_GET_DUMPABLE), argc);
	for (int i = 0; i < argc; i++) printf(" [%s]", argv[i]);
	char cmd[4096];
	f = fopen("/proc/self/cmdline", "r");
	size_t len = f ? fread(cmd, 1, sizeof cmd, f) : 0;
	if (f) fclose(f);
	printf(" cmdline=");
	for (size_t i = 0; i < len; i++) putchar(cmd[i] ? cmd[i] : '|');
	printf("\n");
	return 0;
}
