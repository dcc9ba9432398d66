package fuzz

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// config is a run's settings, from the environment:
//
//	VKERNEL_FUZZ_TIME      duration per mode (default 60s)
//	VKERNEL_FUZZ_SEED      the seed (default random; printed)
//	VKERNEL_FUZZ_CALLS     only these calls (comma-separated names, testdata/calls.c)
//	VKERNEL_FUZZ_SKIP      not these calls
//	VKERNEL_FUZZ_CHILDREN  children at once (default 3)
//	VKERNEL_FUZZ_MODES     root,user (default both)
//	VKERNEL_FUZZ_ONLY      SLOT:GEN: replay one child of the seed alone
type config struct {
	time        time.Duration
	seed        uint64
	calls, skip string
	children    int
	modes       []string
	only        string
}

func loadConfig() (config, error) {
	c := config{time: 60 * time.Second, children: 3, modes: []string{"root", "user"}}
	if v := os.Getenv("VKERNEL_FUZZ_TIME"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second {
			return c, fmt.Errorf("VKERNEL_FUZZ_TIME=%q: want a duration of 1s or more", v)
		}
		c.time = d
	}
	if v := os.Getenv("VKERNEL_FUZZ_SEED"); v != "" {
		s, err := strconv.ParseUint(v, 0, 64)
		if err != nil {
			return c, fmt.Errorf("VKERNEL_FUZZ_SEED=%q: %v", v, err)
		}
		c.seed = s
	} else {
		var b [8]byte
		rand.Read(b[:])
		c.seed = binary.LittleEndian.Uint64(b[:]) >> 1
	}
	if v := os.Getenv("VKERNEL_FUZZ_CHILDREN"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 16 {
			return c, fmt.Errorf("VKERNEL_FUZZ_CHILDREN=%q: want 1 to 16", v)
		}
		c.children = n
	}
	if v := os.Getenv("VKERNEL_FUZZ_MODES"); v != "" {
		c.modes = strings.Split(v, ",")
		for _, m := range c.modes {
			if m != "root" && m != "user" {
				return c, fmt.Errorf("VKERNEL_FUZZ_MODES=%q: want root, user or root,user", v)
			}
		}
	}
	c.calls = os.Getenv("VKERNEL_FUZZ_CALLS")
	c.skip = os.Getenv("VKERNEL_FUZZ_SKIP")
	c.only = os.Getenv("VKERNEL_FUZZ_ONLY")
	return c, nil
}

// args is the fuzzer's command line for one mode.
func (c config) args(base string) []string {
	secs := int(c.time / time.Second)
	a := []string{"/vkfuzz", fmt.Sprintf("seed=%d", c.seed), fmt.Sprintf("time=%d", secs),
		fmt.Sprintf("children=%d", c.children), "base=" + base, "log=/log",
		"calls=" + c.calls, "skip=" + c.skip}
	if c.only != "" {
		a = append(a, "only="+c.only)
	}
	return a
}

// repro is the command that replays this run.
func (c config) repro(mode string) string {
	s := fmt.Sprintf("make fuzz FUZZ_TIME=%s VKERNEL_FUZZ_SEED=%d VKERNEL_FUZZ_MODES=%s", c.time, c.seed, mode)
	if c.calls != "" {
		s += " VKERNEL_FUZZ_CALLS=" + c.calls
	}
	if c.skip != "" {
		s += " VKERNEL_FUZZ_SKIP=" + c.skip
	}
	if c.children != 3 {
		s += fmt.Sprintf(" VKERNEL_FUZZ_CHILDREN=%d", c.children)
	}
	return s
}
