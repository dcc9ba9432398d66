#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Edge cases of execveat and set-ID execs, each printed as a line:
 * argv[1] is a directory holding "prog" (a set-user-ID program printing its
 * euid), "link" (a symlink to it) and "script" (a #! script). */
static char *dir;

static void child_exec(const char *what, int dirfd, const char *path, int flags) {
	pid_t pid = fork();
	if (pid == 0) {
		char *argv[] = {"x", NULL}, *envp[] = {NULL};
		syscall(SYS_execveat, dirfd, path, argv, envp, flags);
		printf("%s: errno %s\n", what, strerrorname_np(errno));
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
}

static int clone_fs_exec(void *arg) {
	char p[4096];
	snprintf(p, sizeof p, "%s/prog", dir);
	char *argv[] = {"prog", "clone-fs", NULL}, *envp[] = {NULL};
	execve(p, argv, envp);
	printf("clone-fs exec: errno %s\n", strerrorname_np(errno));
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv) {
	dir = argv[1];
	int d = open(dir, O_RDONLY | O_DIRECTORY);
	setvbuf(stdout, NULL, _IONBF, 0);
	child_exec("nofollow symlink", d, "link", AT_SYMLINK_NOFOLLOW);
	
	char sp[4096];
	snprintf(sp, sizeof sp, "%s/script", dir);
	int s = open(sp, O_RDONLY | O_CLOEXEC);
	child_exec("cloexec script fd", s, "", AT_EMPTY_PATH);
	int s2 = open(sp, O_RDONLY);
	child_exec("script fd", s2, "", AT_EMPTY_PATH);
	child_exec("bad flags", d, "prog", 0x4000);
	child_exec("empty path without flag", s2, "", 0);
	/* A set-user-ID exec from a process sharing its fs context with
	 * another (CLONE_FS): Linux does not grant the uid. */
	static char stack[1 << 16];
	pid_t pid = clone(clone_fs_exec, stack + sizeof stack, CLONE_FS | SIGCHLD, NULL);
	int st;
	waitpid(pid, &st, 0);
	char p[4096];
	snprintf(p, sizeof p, "%s/prog", dir);
	pid = fork();
	if (pid == 0) {
		char *av[] = {"prog", "plain", NULL}, *ev[] = {NULL};
		execve(p, av, ev);
		_exit(1);
	}
	waitpid(pid, &st, 0);
	/* Under no_new_privs the set-user-ID bit gives nothing. */
	pid = fork();
	if (pid == 0) {
		char *av[] = {"prog", "no-new-privs", NULL}, *ev[] = {NULL};
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		execve(p, av, ev);
		_exit(1);
	}
	waitpid(pid, &st, 0);
	return 0;
}
