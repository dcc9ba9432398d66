package main

// A workload is one row of the table: a command run in the rootfs.
type workload struct {
	name string
	argv []string
	// fixture is made once in the rootfs, natively, before the row runs.
	fixture *fixture
	// prep runs natively, untimed, before every run of argv on every side
	// (it undoes what the last run did).
	prep []string
}

// The fixtures' paths in the rootfs.
const (
	benchDir = "/var/tmp/vkernel-bench"
	bigFile  = benchDir + "/256MiB"
	bigSize  = 256 << 20
	repoDir  = benchDir + "/repo"  // a git repository of repoFiles files
	cDir     = benchDir + "/cproj" // cFiles .c files and a Makefile
	pyDir    = benchDir + "/py"    // a copy of some of python3.11's packages
)

var workloads = []workload{
	{name: "true", argv: []string{"/bin/true"}},
	{name: "sh-c-true", argv: []string{"/bin/sh", "-c", "/bin/true"}},
	{name: "fork-exec-200", argv: sh("for i in $(seq 200); do /bin/true; done")},
	{name: "find-usr", argv: sh("find /usr -type f > /dev/null")},
	{name: "ls-lR-usr", argv: sh("ls -lR /usr > /dev/null")},
	// Through cat: GNU tar skips reading file data when its archive is /dev/null.
	{name: "tar-usr-share", argv: sh("tar cf - /usr/share | cat > /dev/null")},
	{name: "stat-usr-bin", argv: sh("stat /usr/bin/* > /dev/null")},
	{name: "git-status", argv: []string{"/usr/bin/git", "-C", repoDir, "status", "--porcelain"}, fixture: repoFixture},
	// From an empty index: every file is read and hashed again.
	{name: "git-add-A", argv: []string{"/usr/bin/git", "-C", repoDir, "add", "-A"}, fixture: repoFixture,
		prep: []string{"/bin/rm", "-f", repoDir + "/.git/index"}},
	{name: "make-j2", argv: []string{"/usr/bin/make", "-s", "-j2", "-C", cDir}, fixture: cFixture,
		prep: []string{"/usr/bin/make", "-s", "-C", cDir, "clean"}},
	{name: "python-pass", argv: []string{"/usr/bin/python3", "-c", "pass"}},
	{name: "compileall", argv: []string{"/usr/bin/python3", "-m", "compileall", "-q", "-f", pyDir}, fixture: pyFixture},
	{name: "cat-256MiB", argv: sh("cat " + bigFile + " > /dev/null"), fixture: bigFixture},
	{name: "dd-bs1-100k", argv: sh("dd if=/dev/zero of=/dev/null bs=1 count=100000 2>/dev/null")},
}

func sh(script string) []string { return []string{"/bin/sh", "-c", script} }
