/* The fuzzer's parent: keeps CHILDREN children making random calls until
 * TIME seconds have passed, each bounded by alarm() and by the parent's own
 * deadline, and reports on fd 2.
 *
 * usage: fuzz seed=N time=SECONDS children=K ops=N base=HOSTDIR log=DIR
 *             [calls=a,b,...] [skip=a,b,...] [only=SLOT:GEN] [nocont=1]
 *
 * nocont=1: the parent does not SIGCONT stopped children (to tell a hang
 * of the sentry's kill from one of the children).
 */
#include "fuzz.h"
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

int parent_pid;
const char *host_base = "/nonexistent";

#define MAX_CHILDREN 16
#define MAX_CALLS 64
#define REPORT_FD 900
#define CHILD_SECS 8

/* What the children share with the parent: counts, and each child's call
 * in progress (for a report when it hangs). */
struct shared {
	long ok[MAX_CALLS], total[MAX_CALLS];
	char cur[MAX_CHILDREN][320];
};
static struct shared *sh;
static int enabled[MAX_CALLS], nenabled;
static unsigned long long seed;
static const char *logdir = "/log";
static int ops = 3000, nocont;

static void report(const char *fmt, ...)
{
	char b[1024];
	va_list ap;
	int len, off = 0;

	va_start(ap, fmt);
	len = vsnprintf(b, sizeof b, fmt, ap);
	va_end(ap);
	if (len > (int)sizeof b - 1)
		len = sizeof b - 1;
	/* A child may have made the shared pipe non-blocking. */
	for (int tries = 0; off < len && tries < 1000; tries++) {
		int w = write(REPORT_FD, b + off, len - off);
		if (w > 0)
			off += w;
		else if (w < 0 && errno != EAGAIN && errno != EINTR)
			break;
		else
			usleep(1000);
	}
}

static int listed(const char *list, const char *name)
{
	size_t l = strlen(name);
	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, ',');
		size_t k = e ? (size_t)(e - p) : strlen(p);
		if (k == l && strncmp(p, name, l) == 0)
			return 1;
		p = e ? e + 1 : NULL;
	}
	return 0;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void child(int slot, int gen)
{
	char path[128], line[512];
	int fd;
	long logged = 0;

	for (int s = 1; s < 65; s++)
		signal(s, SIG_DFL);
	setpgid(0, 0);
	close(REPORT_FD);
	alarm(CHILD_SECS);
	rnd_seed(mix(seed, (uint64_t)slot << 32 | gen));
	snprintf(path, sizeof path, "%s/c%dg%d.log", logdir, slot, gen);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd >= 0 && dup3(fd, 800 + slot, O_CLOEXEC) >= 0) {
		close(fd);
		fd = 800 + slot;
	}
	if (chdir("/fuzz") < 0) {
		// An earlier child (as the user who owns it) took /fuzz's
		// permissions away: give them back, or work from /.
		chmod("/fuzz", 0777);
		if (chdir("/fuzz") < 0 && chdir("/") < 0)
			_exit(3);
	}
	make_fds();
	for (int i = 0; i < ops; i++) {
		struct call *c = &calls[enabled[rndn(nenabled)]];
		char *desc = sh->cur[slot];
		long r;

		snprintf(desc, sizeof sh->cur[slot], "(setting up %s)", c->name);
		r = c->fn(desc, sizeof sh->cur[slot]);
		__atomic_add_fetch(&sh->total[c - calls], 1, __ATOMIC_RELAXED);
		if (r < 0)
			continue;
		__atomic_add_fetch(&sh->ok[c - calls], 1, __ATOMIC_RELAXED);
		if (fd >= 0 && logged < (16 << 20)) {
			int len = snprintf(line, sizeof line, "#%d %s(%s) = %ld\n", i, c->name, desc, r);
			if (write(fd, line, len) > 0)
				logged += len;
		}
	}
	_exit(0);
}

struct slot {
	int pid, gen, stopped;
	double start;
};

static void spawn(struct slot *s, int i)
{
	int pid = fork();
	if (pid == 0)
		child(i, s->gen);
	if (pid > 0) {
		s->pid = pid;
		s->start = now();
	}
}

int main(int argc, char **argv)
{
	int secs = 10, nchildren = 4, only_slot = -1, only_gen = 0, st;
	const char *only = NULL, *callsl = NULL, *skip = NULL;
	struct slot slots[MAX_CHILDREN] = {{0}};
	long spawned = 0, hung = 0, nreaped = 0;
	double end;

	seed = time(NULL) ^ getpid();
	for (int i = 1; i < argc; i++) {
		char *v = strchr(argv[i], '=');
		if (!v)
			continue;
		*v++ = 0;
		if (!strcmp(argv[i], "seed")) seed = strtoull(v, NULL, 0);
		else if (!strcmp(argv[i], "time")) secs = atoi(v);
		else if (!strcmp(argv[i], "children")) nchildren = atoi(v);
		else if (!strcmp(argv[i], "ops")) ops = atoi(v);
		else if (!strcmp(argv[i], "base")) host_base = v;
		else if (!strcmp(argv[i], "log")) logdir = v;
		else if (!strcmp(argv[i], "calls") && *v) callsl = v;
		else if (!strcmp(argv[i], "skip") && *v) skip = v;
		else if (!strcmp(argv[i], "only") && *v) only = v;
		else if (!strcmp(argv[i], "nocont")) nocont = atoi(v);
	}
	if (nchildren < 1 || nchildren > MAX_CHILDREN)
		nchildren = 4;
	if (only && sscanf(only, "%d:%d", &only_slot, &only_gen) == 2 && only_slot >= 0 && only_slot < MAX_CHILDREN)
		nchildren = only_slot + 1;
	for (int i = 0; i < ncalls && i < MAX_CALLS; i++)
		if ((!callsl || listed(callsl, calls[i].name)) && !listed(skip, calls[i].name))
			enabled[nenabled++] = i;
	if (dup2(2, REPORT_FD) < 0 || nenabled == 0) {
		fprintf(stderr, "fuzz: no calls to make (calls=%s skip=%s)\n", callsl ? callsl : "", skip ? skip : "");
		return 2;
	}
	sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 2;
	/* Only SIGCHLD and what cannot be caught reach the parent. */
	for (int s = 1; s < 65; s++)
		if (s != SIGCHLD)
			signal(s, SIG_IGN);
	parent_pid = getpid();
	make_paths();
	report("fuzz: seed %llu time %ds children %d ops %d calls %d%s%s\n", seed, secs, nchildren, ops, nenabled,
	       only ? " only " : "", only ? only : "");
	end = now() + secs;
	for (double cont = 0;;) {
		int running = 0;
		double t = now();
		for (int i = 0; i < nchildren; i++) {
			struct slot *s = &slots[i];
			if (s->pid > 0) {
				running++;
				if (t >= end && !s->stopped) {
					kill(-s->pid, SIGKILL);
					kill(s->pid, SIGKILL);
					s->stopped = 1;
				}
				if (t - s->start > CHILD_SECS + 4) {
					report("fuzz: child %d gen %d overran, stuck in %.300s; killed\n", i, s->gen, sh->cur[i]);
					kill(-s->pid, SIGKILL);
					kill(s->pid, SIGKILL);
					s->start = t; /* report it once every few seconds at most */
					hung++;
				}
			} else if (t < end && (only_slot < 0 || (i == only_slot && spawned == 0))) {
				if (only_slot >= 0)
					s->gen = only_gen;
				spawn(s, i);
				spawned++;
				running++;
			}
		}
		if (nocont == 0 && t - cont > 0.2) {
			/* A child that stopped itself goes on. */
			for (int i = 0; i < nchildren; i++)
				if (slots[i].pid > 0)
					kill(-slots[i].pid, SIGCONT);
			cont = t;
		}
		if (t >= end && running == 0)
			break;
		if (t >= end + CHILD_SECS + 10) {
			report("fuzz: children still running %.0fs after the end\n", t - end);
			break;
		}
		if (only_slot >= 0 && spawned && running == 0)
			break;
		int pid = waitpid(-1, &st, WNOHANG);
		if (pid <= 0) {
			usleep(20000);
			continue;
		}
		for (int i = 0; i < nchildren; i++)
			if (slots[i].pid == pid) {
				slots[i].pid = 0;
				slots[i].stopped = 0;
				slots[i].gen++;
				nreaped++;
			}
	}
	long tot = 0, ok = 0;
	char b[4096];
	int off = 0;
	for (int i = 0; i < nenabled; i++) {
		int c = enabled[i];
		tot += sh->total[c];
		ok += sh->ok[c];
		off += snprintf(b + off, sizeof b - off, " %s=%ld/%ld", calls[c].name, sh->ok[c], sh->total[c]);
		if (off >= (int)sizeof b)
			break;
	}
	report("fuzz: calls %ld ok %ld children %ld hung %ld; ok/made:%s\n", tot, ok, spawned, hung, b);
	report("fuzz: done seed %llu\n", seed);
	return 0;
}
