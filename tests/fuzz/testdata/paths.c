/* The path pool: names inside the guest's root and mounts, and names that
 * would land in the host's sentinel tree if a walk leaked. Every leaking
 * name goes one level up at most, into the fixture directory: a leak must
 * never reach a host directory the test does not own. */
#include "fuzz.h"

static const char *fixed[] = {
	"/fuzz/f644", "/fuzz/f600", "/fuzz/suid", "/fuzz/user644", "/fuzz/dir", "/fuzz/dir/inner",
	"/fuzz/link", "/fuzz/new1", "/fuzz/new2", "/fuzz/dir/new3", "/fuzz/mnt", "/fuzz/esc1",
	"/fuzz/esc2", "/fuzz/esc3", "new4", "dir/new5", "f644", ".", "",
	"/ro/f644", "/ro/f600", "/ro/suid", "/ro/user644", "/ro/dir", "/ro/dir/inner", "/ro/link",
	"/ro/new", "/ro/esc1", "/ro", "/rw/f644", "/rw/dir", "/rw/new1", "/rw/dir/new2", "/rw/link",
	"/rw/mnt", "/rw/esc1", "/rw/esc2", "/rw", "/tmp/t1", "/tmp/t2", "/tmp",
	"..", "/..", "/../sentinel", "/../sentinel/root644", "../sentinel/root644",
	"/ro/../sentinel/root644", "/ro/../sentinel", "/rw/../sentinel/suid",
	"/rw/../sentinel/dir/inner", "/ro/dir/../../sentinel/user644", "/rw/..", "/ro/..",
	"/proc/self/fd/0", "/proc/self/fd/1", "/proc/self/fd/2", "/proc/self/fd/3",
	"/proc/self/fd/4", "/proc/self/fd/5", "/proc/self/fd/6", "/proc/self/fd/7",
	"/proc/self/fd/8", "/proc/self/fd/9", "/proc/self/fd/10", "/proc/self/fd/12",
	"/proc/1/root", "/proc/1/root/..", "/proc/1/root/../sentinel/root644",
	"/proc/self/root/../sentinel/root644", "/proc/self/cwd", "/proc/1/cwd/..",
	"/proc/self/fd/0/..", "/proc/1/fd/0", "/proc/1/fd/1", "/proc/2/fd/0", "/proc/2/root/..",
	"/etc/passwd", "/mnt", "/dev/null", "/sentinel/root644",
};

#define HOST_MAX 8
static char host[HOST_MAX][256];
static int nhost;

void make_paths(void)
{
	static const char *rel[] = {"sentinel/root644", "sentinel", "sentinel/dir", "rw", "ro/f644", "stdio/in", "sentinel/suid"};

	for (size_t i = 0; i < sizeof rel / sizeof rel[0] && nhost < HOST_MAX; i++)
		snprintf(host[nhost++], sizeof host[0], "%s/%s", host_base, rel[i]);
}

const char *pick_path(void)
{
	if (nhost && chance(6))
		return host[rndn(nhost)];
	return fixed[rndn(sizeof fixed / sizeof fixed[0])];
}

const char *pick_mount_target(void)
{
	static const char *t[] = {"/fuzz/mnt", "/rw/mnt", "/mnt", "/ro", "/ro/dir", "/tmp", "/fuzz/dir", "/rw", "/fuzz/f644", "/proc/self/fd/0"};
	return t[rndn(sizeof t / sizeof t[0])];
}

const char *pick_mount_source(void)
{
	static const char *s[] = {"none", "tmpfs", "/ro", "/rw", "/fuzz", "/ro/dir", "/proc/1/root", "/proc/self/fd/0", "/", "/mnt", "/fuzz/esc1"};
	if (nhost && chance(30))
		return host[rndn(nhost)];
	return s[rndn(sizeof s / sizeof s[0])];
}
