// comm.c: the task's name after exec (by the name it was run by, a
// symlink's included) and after PR_SET_NAME, through prctl and procfs.
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

static void show(const char *when) {
	char name[17] = {0}, proc[64] = {0};
	prctl(PR_GET_NAME, name);
	FILE *f = fopen("/proc/self/comm", "r");
	if (f) {
		fgets(proc, sizeof proc, f);
		fclose(f);
	}
	proc[strcspn(proc, "\n")] = 0;
	printf("%s: prctl=%s proc=%s\n", when, name, proc);
}

int main(void) {
	show("exec");
	prctl(PR_SET_NAME, "a-name-longer-than-fifteen");
	show("set");
	return 0;
}
