/* The table of calls the fuzzer picks from; names are what
 * VKERNEL_FUZZ_CALLS and VKERNEL_FUZZ_SKIP list. */
#include "fuzz.h"

#define C(x) long c_##x(char *, size_t);
#define CALLS                                                                                   \
	C(fchmod) C(fchown) C(futimens) C(setflags) C(fssetxattr) C(ioctl) C(fallocate)         \
	C(ftruncate) C(fcntl) C(setown) C(dup) C(close) C(sendfd) C(fsetxattr) C(fremovexattr) C(write)     \
	C(fchdir) C(fchmodat) C(fchownat) C(chmod) C(chown) C(utimensat) C(truncate) C(openat)    \
	C(openat2) C(mkdir) C(rename) C(unlink) C(link) C(symlink) C(mknod) C(setxattr)           \
	C(removexattr) C(chdir) C(chroot) C(mount) C(bind) C(umount) C(kill) C(tgkill)            \
	C(pidfd_signal) C(setresuid) C(setresgid) C(setuid) C(setgroups) C(setfsuid)
CALLS
#undef C
#define C(x) {#x, c_##x},
struct call calls[] = {CALLS};
int ncalls = sizeof calls / sizeof calls[0];
