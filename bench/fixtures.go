package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// A fixture is data a workload needs in the rootfs, made once, natively, and
// kept: a stamp file benchDir/NAME.ok marks it complete.
type fixture struct {
	name string
	make func(rootfs string) error
}

// ensure makes f in rootfs unless it is there already.
func (f *fixture) ensure(rootfs string) error {
	stamp := filepath.Join(rootfs, benchDir, f.name+".ok")
	if _, err := os.Stat(stamp); err == nil {
		return nil
	}
	fmt.Printf("making %s in %s\n", f.name, rootfs)
	if err := native(rootfs, "/bin/mkdir", "-p", benchDir); err != nil {
		return err
	}
	if err := f.make(rootfs); err != nil {
		return fmt.Errorf("making %s: %v", f.name, err)
	}
	return os.WriteFile(stamp, nil, 0o644)
}

// native runs argv chrooted into rootfs, untimed.
func native(rootfs string, argv ...string) error {
	_, err := timeRun(nativeCommand(rootfs, argv), 10*time.Minute)
	return err
}

var bigFixture = &fixture{"256MiB", func(rootfs string) error {
	return native(rootfs, "/bin/dd", "if=/dev/zero", "of="+bigFile, "bs=1M", fmt.Sprint("count=", bigSize>>20))
}}

const repoFiles = 10000

// The repository: 100 directories of 100 small files, committed. The last
// status, a second after the commit, rewrites the index entries git could
// not trust (racily clean: as new as the index), so that a status that
// follows only stats.
var repoFixture = &fixture{"repo", func(rootfs string) error {
	return native(rootfs, "/bin/sh", "-ec", `
d=`+repoDir+`
rm -rf "$d"
mkdir -p "$d"
cd "$d"
git init -q
for i in $(seq -w 0 99); do
	mkdir "d$i"
	for j in $(seq -w 0 99); do
		printf 'file %s/%s\nsome text to hash\n' "$i" "$j" >"d$i/f$j.txt"
	done
done
git add -A
git -c user.name=bench -c user.email=bench@localhost commit -q -m "10000 files"
sleep 1
git status --porcelain >/dev/null
test "$(git ls-files | wc -l)" = `+fmt.Sprint(repoFiles))
}}

// Python packages to byte-compile: about 150 modules.
var pyFixture = &fixture{"py", func(rootfs string) error {
	return native(rootfs, "/bin/sh", "-ec", `
rm -rf `+pyDir+`
mkdir -p `+pyDir+`
cd /usr/lib/python3.11
cp -r asyncio email json http logging xml `+pyDir)
}}

const cFiles = 100

// A C program of cFiles files, each with a few functions and the usual
// headers, and a Makefile that builds it -O2.
var cFixture = &fixture{"cproj", func(rootfs string) error {
	dir := filepath.Join(rootfs, cDir)
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files := map[string]string{"Makefile": cMakefile}
	var decls, calls strings.Builder
	for i := 0; i < cFiles; i++ {
		fmt.Fprintf(&decls, "long f%03d(long);\n", i)
		fmt.Fprintf(&calls, "\tsum += f%03d(argc);\n", i)
		files[fmt.Sprintf("f%03d.c", i)] = cSource(i)
	}
	files["common.h"] = "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n" + decls.String()
	files["main.c"] = "#include \"common.h\"\n\nint main(int argc, char **argv)\n{\n\tlong sum = 0;\n" +
		calls.String() + "\tprintf(\"%ld\\n\", sum);\n\treturn 0;\n}\n"
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			return err
		}
	}
	return nil
}}

const cMakefile = `OBJS := $(patsubst %.c,%.o,$(wildcard *.c))
CFLAGS := -O2 -Wall

prog: $(OBJS)
	$(CC) -o $@ $(OBJS)

%.o: %.c common.h
	$(CC) $(CFLAGS) -c -o $@ $<

clean:
	rm -f prog $(OBJS)
`

// cSource is file i of the C program: a few functions for the compiler to
// chew on, the last one exported.
func cSource(i int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "#include \"common.h\"\n\n")
	for k := 0; k < 8; k++ {
		fmt.Fprintf(&b, `static long g%d(long n)
{
	char buf[64];
	long s = 0;
	for (long j = 0; j < n + %d; j++) {
		snprintf(buf, sizeof buf, "%%ld", j * %d);
		s += (long)strlen(buf) ^ (j << %d);
	}
	return s;
}

`, k, k+i, i+1, k%7)
	}
	fmt.Fprintf(&b, "long f%03d(long n)\n{\n\treturn ", i)
	for k := 0; k < 8; k++ {
		if k > 0 {
			b.WriteString(" + ")
		}
		fmt.Fprintf(&b, "g%d(n)", k)
	}
	b.WriteString(";\n}\n")
	return b.String()
}
