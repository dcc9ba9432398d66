// noexec: what a mount's noexec does to a file's mappings and to exec,
// on a tmpfs and on a bind mount, each mounted noexec, remounted, and
// bound again with other flags. Run as root in an empty directory DIR
// (argv[1]); with argv[1] "child" it is the program exec'd and exits 0;
// "probe LABEL FILE" reports on FILE only.
//
// For each place it copies itself there and reports mmap PROT_READ|
// PROT_EXEC (EPERM on noexec), mmap PROT_READ then mprotect PROT_EXEC
// (EACCES: VM_MAYEXEC is not set), mmap PROT_READ (ok) and execve
// (EACCES).
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *ename(int e) {
	switch (e) {
	case 0: return "ok";
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case ENOENT: return "ENOENT";
	case EINVAL: return "EINVAL";
	case ENODEV: return "ENODEV";
	}
	static char b[32];
	snprintf(b, sizeof b, "errno%d", e);
	return b;
}

static void die(const char *what) {
	printf("%s: %s\n", what, ename(errno));
	exit(1);
}

static void copy(const char *from, const char *to) {
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	char buf[65536];
	ssize_t n;
	if (in < 0 || out < 0)
		die(to);
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, n) != n)
			die("write");
	close(in);
	close(out);
}

static int mmapErr(int fd, int prot) {
	void *p = mmap(0, 4096, prot, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return errno;
	munmap(p, 4096);
	return 0;
}

static int mprotectErr(int fd) {
	void *p = mmap(0, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return errno;
	int e = mprotect(p, 4096, PROT_READ | PROT_EXEC) ? errno : 0;
	munmap(p, 4096);
	return e;
}

static int execErr(const char *path) {
	pid_t pid = fork();
	if (pid == 0) {
		execl(path, path, "child", (char *)0);
		_exit(100 + errno);
	}
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) && WEXITSTATUS(st) >= 100 ? WEXITSTATUS(st) - 100 : 0;
}

// probe reports what file path allows.
static void probe(const char *label, const char *path) {
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		die(path);
	printf("%-22s mmap-rx %-6s mprotect-rx %-6s mmap-r %-6s exec %s\n", label,
	       ename(mmapErr(fd, PROT_READ | PROT_EXEC)), ename(mprotectErr(fd)),
	       ename(mmapErr(fd, PROT_READ)), ename(execErr(path)));
	close(fd);
}

static void mnt(const char *src, const char *dst, const char *type, unsigned long flags) {
	if (mount(src, dst, type, flags, 0))
		die(dst);
}

int main(int argc, char **argv) {
	if (argc < 2)
		return 2;
	if (!strcmp(argv[1], "child"))
		return 0;
	if (!strcmp(argv[1], "probe") && argc == 4) {
		probe(argv[2], argv[3]);
		return 0;
	}
	if (chdir(argv[1]))
		die(argv[1]);
	const char *self = "/proc/self/exe";
	setvbuf(stdout, 0, _IONBF, 0);

	mkdir("plain", 0755);
	copy(self, "plain/prog");
	probe("plain", "plain/prog");

	// A tmpfs mounted noexec, then remounted exec and noexec again; a
	// descriptor opened before the remount follows it.
	mkdir("t", 0755);
	mnt("tmpfs", "t", "tmpfs", MS_NOEXEC);
	copy(self, "t/prog");
	probe("tmpfs-noexec", "t/prog");
	mnt(0, "t", 0, MS_REMOUNT);
	probe("tmpfs-remount-exec", "t/prog");
	int early = open("t/prog", O_RDONLY);
	mnt(0, "t", 0, MS_REMOUNT | MS_NOEXEC);
	probe("tmpfs-remount-noexec", "t/prog");
	printf("%-22s mmap-rx %s\n", "tmpfs-open-before", ename(mmapErr(early, PROT_READ | PROT_EXEC)));
	close(early);

	// A bind of the noexec tmpfs is noexec; remounted without noexec it
	// is not, while the tmpfs stays noexec.
	mkdir("tb", 0755);
	mnt("t", "tb", 0, MS_BIND);
	probe("tmpfs-bind", "tb/prog");
	mnt(0, "tb", 0, MS_REMOUNT | MS_BIND);
	probe("tmpfs-bind-exec", "tb/prog");
	probe("tmpfs-after-bind", "t/prog");

	// A bind of a plain directory, remounted noexec (mount --bind -o
	// noexec); the directory itself stays as it was.
	mkdir("b", 0755);
	mnt("plain", "b", 0, MS_BIND);
	mnt(0, "b", 0, MS_REMOUNT | MS_BIND | MS_NOEXEC);
	probe("bind-noexec", "b/prog");
	copy(self, "b/new");
	probe("bind-noexec-new", "b/new");
	probe("plain-after-bind", "plain/prog");
	mnt(0, "b", 0, MS_REMOUNT | MS_BIND);
	probe("bind-remount-exec", "b/prog");

	umount("b");
	umount("tb");
	umount("t");
	return 0;
}
