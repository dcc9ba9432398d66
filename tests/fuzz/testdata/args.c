/* Random but plausible arguments. */
#include "fuzz.h"
#include <signal.h>

long ret(long r) { return r < 0 ? -errno : r; }

unsigned pick_mode(void)
{
	static const unsigned m[] = {0, 0644, 0600, 0777, 04755, 06777, 02755, 01777, 0444, 0111};
	return chance(80) ? m[rndn(sizeof m / sizeof m[0])] : (unsigned)rndn(010000);
}

unsigned pick_id(void)
{
	static const unsigned id[] = {0, 1000, 1001, 65534, (unsigned)-1, 1, 0};
	return chance(90) ? id[rndn(sizeof id / sizeof id[0])] : (unsigned)rnd();
}

long pick_len(void)
{
	static const long l[] = {0, 1, 4096, 1 << 20, -1, 12345};
	return l[rndn(sizeof l / sizeof l[0])];
}

/* pick_pid is a guest process the child may signal: never the fuzzer's
 * parent or its group, nor -1 (every process). */
int pick_pid(void)
{
	int p;

	for (;;) {
		switch (rndn(7)) {
		case 0: p = 1; break;
		case 1: p = getpid(); break;
		case 2: p = grandchild; break;
		case 3: p = 0; break;
		case 4: p = -getpid(); break;
		case 5: p = -(int)rndn(64); break;
		default: p = 2 + rndn(64); break;
		}
		if (p != parent_pid && p != -parent_pid && p != -1 && p != -getpgid(parent_pid))
			return p;
	}
}

int pick_sig(void)
{
	/* Mostly signals that neither stop nor end the child (they end it
	 * sometimes: the parent starts another). */
	static const int mild[] = {0, SIGCHLD, SIGWINCH, SIGURG, SIGCONT};
	if (chance(60))
		return mild[rndn(sizeof mild / sizeof mild[0])];
	static const int s[] = {0, SIGIO, SIGURG, SIGUSR1, SIGTERM, SIGKILL, SIGSTOP, SIGCONT, SIGHUP, SIGINT, SIGCHLD, SIGWINCH, 40, SIGSEGV};
	return chance(85) ? s[rndn(sizeof s / sizeof s[0])] : (int)rndn(65);
}
