// memexec.c: fexecve of descriptors the program made itself (memfds):
// the program itself (the build decides static or dynamic) from a memfd
// without close-on-exec and from one with it; a #! script
// from a memfd (run as /dev/fd/N); the same script from a close-on-exec
// memfd (ENOENT: the interpreter could not open it); what the new image
// sees as /proc/self/exe, comm and argv.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int memfd(const char *name, unsigned flags, const char *from, const char *text) {
	int m = memfd_create(name, flags);
	if (from) {
		int src = open(from, O_RDONLY);
		char buf[65536];
		ssize_t n;
		while ((n = read(src, buf, sizeof buf)) > 0) write(m, buf, n);
		close(src);
	} else {
		write(m, text, strlen(text));
	}
	return m;
}

static void run(const char *what, int m) {
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		char *av[] = {"renamed", "child", NULL};
		fexecve(m, av, environ);
		printf("%s: fexecve: %s\n", what, strerror(errno));
		fflush(stdout);
		_exit(1);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("%s: status %d\n", what, WEXITSTATUS(st));
}

int main(int argc, char **argv) {
	if (argc > 1) {
		char exe[256] = {0}, comm[17] = {0};
		readlink("/proc/self/exe", exe, sizeof exe - 1);
		prctl(PR_GET_NAME, comm);
		printf("  argv0=%s exe=%s comm=%s\n", argv[0], exe, comm);
		return 0;
	}
	int m = memfd("self", 0, "/proc/self/exe", NULL);
	run("program", m);
	close(m);
	m = memfd("self-cloexec", MFD_CLOEXEC, "/proc/self/exe", NULL);
	run("program, close-on-exec", m);
	close(m);
	m = memfd("script", 0, NULL, "#!/bin/sh\necho \"  script $0 $1\"\n");
	run("script", m);
	close(m);
	m = memfd("script-cloexec", MFD_CLOEXEC, NULL, "#!/bin/sh\necho \"  script $0 $1\"\n");
	run("script, close-on-exec", m);
	close(m);
	return 0;
}
