package main

import (
	"fmt"
	"strings"
)

// checkStat tells whether stat(1), which calls statx, resolves its path in
// the rootfs under side s as test -d (stat) does: it looks for benchDir,
// which the host lacks. PRoot 5.1 does not translate statx, so stat(1) and
// ls -l under it look at the host's files; their rows then do not measure
// the same work. A side that does not run at all passes: its rows fail.
func checkStat(s *side, rootfs string) error {
	c := s.command(rootfs, sh("test -d "+benchDir+" && { stat -c %F "+benchDir+" >/dev/null 2>&1 || echo unsound; }"))
	out, _ := c.Output()
	if strings.TrimSpace(string(out)) == "unsound" {
		return fmt.Errorf("%s: stat(1) does not find %s, which test -d finds: "+
			"the rows whose programs call statx (ls -lR, stat) do not measure the same work there", s.name, benchDir)
	}
	return nil
}
