// procroot.c: /proc shows paths from the reader's root. Run in a
// directory holding a subdirectory "sub" (with "sub/inside") and a file
// "outside": the program maps both, keeps a descriptor of /proc, and
// chroots into sub; its links and maps then name what is under the new
// root from there, and what is outside it by its full path from the real
// root. A child that stays outside is seen the same way. Natively the
// real root is not the test's tree (the harness chroots into it): the
// full paths are printed with the old root's path, as seen from the new
// root, replaced by "<old root>".
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static int proc;

// oldRoot is the path of the root before the chroot, from the new root
// ("" for the real root); set once chrooted.
static char oldRoot[4096];
static int chrooted;

// fix returns path with oldRoot replaced when it names something in the
// test's tree outside the new root ("/work/...").
static const char *fix(const char *path) {
	static char buf[8192];
	if (!chrooted) return path;
	const char *unreach = "";
	if (strncmp(path, "(unreachable)", 13) == 0) {
		unreach = "(unreachable)";
		path += 13;
	}
	size_t n = strlen(oldRoot);
	if (strncmp(path, oldRoot, n) == 0 && strncmp(path + n, "/work", 5) == 0 &&
	    (path[n + 5] == '/' || path[n + 5] == 0)) {
		snprintf(buf, sizeof buf, "%s<old root>%s", unreach, path + n);
		return buf;
	}
	snprintf(buf, sizeof buf, "%s%s", unreach, path);
	return buf;
}

// shown is name as printed: a pid is "<pid>".
static const char *shown(const char *name) {
	static char buf[128];
	if (name[0] < '0' || name[0] > '9') return name;
	snprintf(buf, sizeof buf, "<pid>%s", strchr(name, '/'));
	return buf;
}

static void showLink(const char *who, const char *name) {
	char buf[4096];
	ssize_t n = readlinkat(proc, name, buf, sizeof buf - 1);
	if (n < 0) {
		printf("%s: %s: %s\n", who, shown(name), strerror(errno));
		return;
	}
	buf[n] = 0;
	printf("%s: %s -> %s\n", who, shown(name), fix(buf));
}

// maps prints the names of the file-backed mappings of /proc/<name>/maps
// (or smaps), each once, in order.
static void maps(const char *who, const char *name) {
	int fd = openat(proc, name, O_RDONLY);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "r");
	if (f == NULL) {
		printf("%s: %s: %s\n", who, name, strerror(errno));
		return;
	}
	char line[4096], last[4096] = "";
	while (fgets(line, sizeof line, f) != NULL) {
		char *p = strchr(line, '/');
		if (p == NULL || strchr(line, '-') == NULL || strchr(line, '-') > p) continue;
		if (strncmp(p, "/memfd:", 7) == 0) continue;
		line[strcspn(line, "\n")] = 0;
		if (strcmp(p, last) == 0) continue;
		strcpy(last, p);
		printf("%s: %s: %s\n", who, shown(name), fix(p));
	}
	fclose(f);
}

static void mountpoints(const char *who, const char *name) {
	int fd = openat(proc, name, O_RDONLY);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "r");
	if (f == NULL) {
		printf("%s: %s: %s\n", who, name, strerror(errno));
		return;
	}
	char line[4096];
	int n = 0;
	while (fgets(line, sizeof line, f) != NULL) n++;
	printf("%s: %s: %d lines\n", who, name, n);
	fclose(f);
}

static void cwd(const char *who) {
	char buf[4096];
	if (getcwd(buf, sizeof buf) == NULL) {
		printf("%s: getcwd: %s\n", who, strerror(errno));
		return;
	}
	printf("%s: getcwd: %s\n", who, fix(buf));
}

static void show(const char *who, int in, int out) {
	char name[64];
	showLink(who, "self/exe");
	showLink(who, "self/cwd");
	showLink(who, "self/root");
	snprintf(name, sizeof name, "self/fd/%d", in);
	showLink(who, name);
	snprintf(name, sizeof name, "self/fd/%d", out);
	showLink(who, name);
	maps(who, "self/maps");
	maps(who, "self/smaps");
	cwd(who);
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	proc = open("/proc", O_RDONLY | O_DIRECTORY);
	int in = open("sub/inside", O_RDONLY);
	int out = open("outside", O_RDONLY);
	if (proc < 0 || in < 0 || out < 0) {
		perror("open");
		return 1;
	}
	mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, in, 0);
	mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, out, 0);
	int ready[2], done[2];
	pipe(ready);
	pipe(done);
	pid_t child = fork();
	if (child == 0) {
		// Stays outside, for the chrooted parent to look at.
		char c;
		write(ready[1], "r", 1);
		read(done[0], &c, 1);
		_exit(0);
	}
	char c, name[64];
	read(ready[0], &c, 1);
	show("before", in, out);
	int old = open("/", O_PATH | O_DIRECTORY);
	if (chroot("sub") != 0) {
		perror("chroot");
		return 1;
	}
	snprintf(name, sizeof name, "self/fd/%d", old);
	ssize_t n = readlinkat(proc, name, oldRoot, sizeof oldRoot - 1);
	oldRoot[n < 0 ? 0 : n] = 0;
	if (strcmp(oldRoot, "/") == 0) oldRoot[0] = 0;
	chrooted = 1;
	show("chrooted, cwd outside", in, out);
	chdir("/");
	show("chrooted", in, out);
	mountpoints("chrooted", "self/mountinfo");
	mountpoints("chrooted", "self/mounts");
	snprintf(name, sizeof name, "%d/exe", child);
	showLink("chrooted, the child's", name);
	snprintf(name, sizeof name, "%d/cwd", child);
	showLink("chrooted, the child's", name);
	snprintf(name, sizeof name, "%d/maps", child);
	maps("chrooted, the child's", name);
	write(done[1], "d", 1);
	waitpid(child, NULL, 0);
	return 0;
}
