/* The random-syscall fuzzer's shared declarations (see ../doc.go). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A descriptor the child holds, with where it came from ("path:/ro/f644",
 * "recv:stdin", "pipe", ...), for the log. */
struct fdent {
	int fd;
	char tag[48];
};

#define POOL_MAX 48
extern struct fdent pool[POOL_MAX];
extern int npool;

/* One call the fuzzer can make: fn fills desc with its arguments and returns
 * the result, -errno on failure. */
struct call {
	const char *name;
	long (*fn)(char *desc, size_t n);
};
extern struct call calls[];
extern int ncalls;

/* The configuration, from argv (main.c). */
extern int parent_pid;		/* never signalled */
extern const char *host_base;	/* the host directory holding the guest's root */
extern int sock_pair[2];	/* SCM_RIGHTS to oneself (fds.c) */
extern int grandchild;		/* a process of the child's own, for pidfds */

/* rand.c */
void rnd_seed(uint64_t s);
uint64_t rnd(void);
uint64_t rndn(uint64_t n);
int chance(int percent);
uint64_t mix(uint64_t a, uint64_t b);

/* fds.c */
void pool_add(int fd, const char *fmt, ...);
void pool_del(int fd);
const char *fd_tag(int fd);
int pick_fd(void);
int pick_dirfd(void);
int send_recv(int fd);
void make_fds(void);

/* paths.c */
const char *pick_path(void);
const char *pick_mount_target(void);
const char *pick_mount_source(void);
void make_paths(void);

/* calls.c */
long ret(long r);
int pick_pid(void);
int pick_sig(void);

#define D(...) snprintf(desc, n, __VA_ARGS__)
