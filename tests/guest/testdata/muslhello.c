// muslhello.c: a program of another C library (musl, linked dynamically:
// its loader is /lib/ld-musl-x86_64.so.1): its argv, its /proc/self/exe,
// a file written and read back, and an exec of itself.
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
	char exe[256] = {0};
	readlink("/proc/self/exe", exe, sizeof exe - 1);
	printf("argv0=%s argc=%d exe=%s\n", argv[0], argc, exe);
	if (argc > 1)
		return 0;
	int fd = open("/tmp/musl-note", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	write(fd, "musl\n", 5);
	close(fd);
	char buf[16] = {0};
	fd = open("/tmp/musl-note", O_RDONLY);
	read(fd, buf, sizeof buf - 1);
	close(fd);
	unlink("/tmp/musl-note");
	printf("read back: %s", buf);
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		execl("/bin/muslhello", "again", "child", (char *)NULL);
		_exit(127);
	}
	int st;
	waitpid(p, &st, 0);
	printf("child status %d\n", WEXITSTATUS(st));
	return 0;
}
