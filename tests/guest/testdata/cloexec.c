// cloexec: close-on-exec flags set every way (O_CLOEXEC, F_SETFD,
// FIOCLEX, FIONCLEX, dup3), then an exec: which descriptors the new image
// has, what each is (fstat, a walk relative to it, its /proc link), and
// what the numbers freed hold once reused by a pipe.
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

static void show(int fd) {
	int fl = fcntl(fd, F_GETFD);
	if (fl < 0) {
		printf("%d: closed\n", fd);
		return;
	}
	struct stat st;
	char link[256] = "";
	char p[64];
	snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(p, link, sizeof link - 1);
	if (n > 0)
		link[n] = 0;
	if (strncmp(link, "pipe:", 5) == 0)
		strcpy(link, "pipe");
	fstat(fd, &st);
	int sub = openat(fd, ".", O_RDONLY | O_DIRECTORY);
	printf("%d: cloexec=%d type=%o link=%s walk=%s\n", fd, fl & FD_CLOEXEC, st.st_mode & S_IFMT, link,
	       sub >= 0 ? "ok" : "fails");
	if (sub >= 0)
		close(sub);
}

int main(int argc, char **argv) {
	if (argc > 1) {
		for (int fd = 3; fd <= 9; fd++)
			show(fd);
		int p[2];
		pipe(p);
		printf("pipe at %d %d\n", p[0], p[1]);
		show(p[0]);
		show(p[1]);
		return 0;
	}
	open("/", O_RDONLY | O_DIRECTORY);                 // 3: kept
	open("/etc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);   // 4: closed
	int u = open("/usr", O_RDONLY | O_DIRECTORY);      // 5: F_SETFD on
	fcntl(u, F_SETFD, FD_CLOEXEC);
	int b = open("/bin", O_RDONLY | O_DIRECTORY | O_CLOEXEC); // 6: FIONCLEX
	ioctl(b, FIONCLEX);
	int s = open("/sbin", O_RDONLY | O_DIRECTORY);     // 7: FIOCLEX, F_SETFD off
	ioctl(s, FIOCLEX);
	fcntl(s, F_SETFD, 0);
	dup2(3, 8);                                        // 8: FIOCLEX
	ioctl(8, FIOCLEX);
	dup3(u, 9, O_CLOEXEC);                             // 9: FIONCLEX
	ioctl(9, FIONCLEX);
	for (int fd = 3; fd <= 9; fd++)
		show(fd);
	execl("/proc/self/exe", argv[0], "child", (char *)0);
	perror("exec");
	return 1;
}
