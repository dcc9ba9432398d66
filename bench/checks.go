package main

import (
	"fmt"
	"strings"
)

// checkStat tells whether stat(1), which calls statx, resolves its path in
// the rootfs under side s: it looks for benchDir, which the host lacks. PRoot
// 5.1 does not translate statx, so stat(1) and ls -l under it look at the
// host's files; their rows then do not measure the same work.
func checkStat(s *side, rootfs string) error {
	c := s.command(rootfs, sh("stat -c %F "+benchDir))
	out, err := c.CombinedOutput()
	if got := strings.TrimSpace(string(out)); err != nil || got != "directory" {
		return fmt.Errorf("%s: stat(1) does not find %s in the rootfs (%q, %v): "+
			"the rows whose programs call statx (ls -lR, stat) do not measure the same work there", s.name, benchDir, firstLine(got), err)
	}
	return nil
}
