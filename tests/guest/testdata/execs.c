// execs: the ways a program can be executed, for TestExecForms. Each step
// prints what the program sees of itself, then moves to the next form.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

static void show(const char *step, char **argv) {
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[n > 0 ? n : 0] = 0;
	printf("%s: argv0=%s execfn=%s exe=%s\n", step, argv[0],
	       (char *)getauxval(AT_EXECFN), exe);
	fflush(stdout);
}

int main(int argc, char **argv, char **envp) {
	const char *step = argc > 1 ? argv[1] : "start";
	char *next[] = {argv[0], NULL, NULL};
	show(step, argv);
	if (!strcmp(step, "start")) {
		next[1] = "proc-self-exe";
		execve("/proc/self/exe", next, envp);
	} else if (!strcmp(step, "proc-self-exe")) {
		int dir = open(".", O_PATH | O_DIRECTORY);
		next[1] = "execveat-dirfd";
		syscall(SYS_execveat, dir, "execs", next, envp, 0);
	} else if (!strcmp(step, "execveat-dirfd")) {
		int fd = open("execs", O_PATH);
		next[1] = "fexecve-opath";
		syscall(SYS_execveat, fd, "", next, envp, AT_EMPTY_PATH);
	} else if (!strcmp(step, "fexecve-opath")) {
		next[1] = "script";
		execve("./script1", next, envp);
	} else {
		return 0;
	}
	perror(step);
	return 1;
}
