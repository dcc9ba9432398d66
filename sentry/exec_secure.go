package sentry

import "strings"

// unsecureEnv are the variables glibc's loader drops from a secure
// exec's environment (sysdeps/generic/unsecvars.h), and GLIBC_TUNABLES,
// which it filters. The sentry drops them before the exec: the loader,
// run by vkernel in command mode, would otherwise remove them itself and
// trip over its own argument shuffling.
var unsecureEnv = []string{
	"GCONV_PATH", "GETCONF_DIR", "GLIBC_TUNABLES", "HOSTALIASES", "LD_AUDIT",
	"LD_DEBUG", "LD_DEBUG_OUTPUT", "LD_DYNAMIC_WEAK", "LD_HWCAP_MASK",
	"LD_LIBRARY_PATH", "LD_ORIGIN_PATH", "LD_PRELOAD", "LD_PROFILE",
	"LD_SHOW_AUXV", "LD_USE_LOAD_BIAS", "LOCALDOMAIN", "LOCPATH",
	"MALLOC_TRACE", "NIS_PATH", "NLSPATH", "RESOLV_HOST_CONF", "RES_OPTIONS",
	"TMPDIR", "TZDIR",
}

// secureEnv returns envp without the variables of unsecureEnv.
func secureEnv(envp []string) []string {
	out := make([]string, 0, len(envp))
next:
	for _, kv := range envp {
		name, _, _ := strings.Cut(kv, "=")
		for _, u := range unsecureEnv {
			if name == u {
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}
