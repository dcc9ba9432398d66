package guest

import "strings"

// diffCases run in ROOTFS/work/<name>-<side>, which starts as harness.MakeFixture
// makes it:
//
//	a.txt b.txt empty exec.sh link->a.txt dangling->nowhere
//	sub/c.txt sub/hard (hard link to sub/c.txt) sub/deep/d.bin sub/deep/e.txt
//
// Keep the output free of times (ls --time-style=+), inode numbers, pids and
// anything else that differs between two native runs:
// TestDifferentialDeterminism checks.
var diffCases = []diffCase{
	// Shells.
	{name: "bash", script: `
set -u
f() { local x=$1; echo "f($x)=$(( x * 2 ))"; }
for i in 1 2 3; do f $i; done
i=0; while [ $i -lt 3 ]; do i=$((i+1)); done; echo "while $i"
( cd sub && pwd && echo "subshell $BASH_SUBSHELL" ); echo "outer $BASH_SUBSHELL"; pwd
echo "ls: $(ls | tr '\n' ' ')"
cat a.txt | sort | uniq -c | sort -rn > counts.txt; cat counts.txt
{ echo to-stderr >&2; echo to-stdout; } 2> err.txt
echo appended >> err.txt; cat err.txt
echo really-stderr >&2
cat <<EOF > here.txt
home=$HOME path=$PATH
literal \$HOME
EOF
cat here.txt
cat <<'EOF'
not $expanded
EOF
cat <<< "here-string"
declare -A m=([k1]=v1 [k2]=v2)
for k in $(printf '%s\n' "${!m[@]}" | sort); do echo "$k=${m[$k]}"; done
arr=(x y z); echo "${#arr[@]} ${arr[1]} ${arr[*]:1}"
case foo.txt in *.txt) echo case-txt;; esac
[[ abc =~ ^a(b)c$ ]] && echo "regex ${BASH_REMATCH[1]}"
./exec.sh one two
diff <(sort a.txt) <(sort -u a.txt) || echo "diff status $?"
while read -r w; do echo "read: $w"; done < sub/c.txt
exec 3>fd3.txt; echo via-fd3 >&3; exec 3>&-; cat fd3.txt
trap 'echo trapped EXIT' EXIT
echo done
`},
	{name: "dash", shell: "/bin/dash", script: `
set -e
f() { echo "f $1"; return 0; }
for w in a b c; do f $w; done
n=0; while [ $n -lt 5 ]; do n=$((n+1)); done; echo n=$n
x=$(echo sub | tr a-z A-Z); echo $x
( cd sub; ls )
printf '%s-%d\n' abc 42
cat <<EOF | wc -l
1
2
EOF
: > created; echo hi > f1; cat f1 f1 > f2; wc -c f2
ls -a
exec 3> fd3.txt; echo via-fd3 >&3; exec 3>&-; cat fd3.txt
test -L link && echo link-is-symlink
test -x exec.sh && ./exec.sh 1 2 3
sh -c 'echo nested $0' nested-sh
echo "$(cd sub/deep && pwd)"
`},

	// Coreutils, one area a case.
	{name: "ls", script: `
ls; ls -a; ls -1R
ls -ln --time-style=+
ls -la --time-style=+ sub
ls -lnd --time-style=+ sub sub/deep link dangling
ls -L -ln --time-style=+ link
ls -F; ls -s sub/deep
ls nothing; echo "status $?"
`},
	{name: "stat", script: `
stat -c '%n %s %F %a %h' a.txt b.txt empty exec.sh link dangling sub sub/deep/d.bin sub/hard sub/c.txt
stat -L -c '%n %s %F' link
stat -c '%n %Y %y' a.txt
stat -c '%n %U %G %u %g' a.txt
stat -f -c '%T' . >/dev/null && echo statfs-ok
stat nothing; echo "status $?"
`},
	{name: "cp", script: `
cp -a sub copy && cp -a link link2 && cp exec.sh e2 && cp -r sub copy2 && cp -p a.txt a.keep
cp a.txt sub/deep/ && cp -L link deref
cmp sub/deep/d.bin copy/deep/d.bin && echo same
stat -c '%n %Y %h %a' copy/c.txt copy/hard a.keep; stat -c '%n %h %a' copy2/c.txt e2
cp nothing x; echo "status $?"
cp sub x; echo "status $?"
`},
	{name: "mv", script: `
mv a.txt moved.txt; mv sub sub2; mv sub2/deep/e.txt .; mkdir d; mv b.txt empty d/
mv link d/link; cat d/link 2>&1; mv dangling d/
mv moved.txt e.txt; ls -R
mv nothing x; echo "status $?"
mkdir full; touch full/x; mv d full; echo "status $?"
`},
	{name: "rm", script: `
rm -r sub; rm -f link dangling; rm -rf nothing; rm empty; ls
rm sub; echo "status $?"
mkdir -p x/y/z; touch x/y/z/f x/y/g; rm -r x; ls
mkdir keep; rm keep; echo "status $?"; rm -d keep; ls
`},
	{name: "ln", script: `
ln a.txt hard1; ln -s a.txt soft1; ln -s sub/deep softdir; ln -sf b.txt soft1
stat -c '%n %h' a.txt hard1; readlink soft1 softdir; cat softdir/e.txt
ln a.txt hard1; echo "status $?"
ln -s "$PWD/a.txt" abs; readlink abs; cat abs
ln sub nope; echo "status $?"
ln -sr sub/deep/e.txt rel; readlink rel
`},
	{name: "readlink", script: `
ln -s sub/deep d1; ln -s d1 d2; ln -s ../a.txt sub/up
readlink -f d2/e.txt; readlink -f link; readlink -f dangling; readlink -f sub/up
readlink -f /bin/sh; readlink -f .; readlink -f sub/../sub/./deep
readlink -e nowhere; echo "status $?"
readlink a.txt; echo "status $?"
realpath sub/../a.txt; realpath --relative-to=sub/deep a.txt
`},
	{name: "paths", script: `
cat sub/../a.txt | head -1
cat a.txt/; echo "status $?"
cat sub/nothing; echo "status $?"
ls -d sub/./deep/.. sub//deep///
ln -s loop1 loop2; ln -s loop2 loop1; cat loop1; echo "status $?"
cd sub/deep && cd ../.. && pwd; cd / && pwd && cd - >/dev/null && pwd
cat "$(printf 'x%.0s' $(seq 300))"; echo "status $?"
`},
	{name: "find", script: `
find . -type f | sort
find . -type l | sort
find . -maxdepth 1 -type d | sort
find . -size +1k | sort
find . -perm -u+x -type f
find . -name '*.txt' -print0 | sort -z | xargs -0 wc -l
find . -type f -name '*.txt' -exec sh -c 'echo "exec $1"' _ {} \; | sort
find sub -empty; find . -links 2 -type f | sort
find nothing; echo "status $?"
`},
	{name: "du", script: `
du -sb .; du -b sub/deep/d.bin; du -s --inodes .; du -ab sub | sort -k2
du -s sub/deep/d.bin
`},
	{name: "df", script: `
df -P / > df.out; echo "status $?"; head -1 df.out | tr -s ' '
df -P . > df.out; echo "status $?"; head -1 df.out | tr -s ' '; rm df.out
`},
	{name: "touch", script: `
touch -d '2020-01-02 03:04:05' t1; touch -d '2020-01-02 03:04:05.123456789' t2
stat -c '%n %y' t1 t2
touch -r t1 a.txt; stat -c '%n %Y' a.txt
touch -m -d @0 b.txt; stat -c '%n %Y' b.txt
touch -a -d @86400 b.txt; stat -c '%n %X %Y' b.txt
touch -h -d @1000 link; stat -c '%n %Y' link a.txt
touch -c nothing; ls nothing; echo "status $?"
touch new; test -f new && echo created
`},
	{name: "chmod", script: `
chmod -R go-rwx sub; chmod 4755 exec.sh; chmod 1777 sub/deep
chmod u=rw,g=r,o= a.txt; chmod 2750 sub
stat -c '%n %a' exec.sh sub sub/deep sub/c.txt sub/deep/d.bin a.txt
chmod -R a+rX sub; stat -c '%n %a' sub sub/deep sub/c.txt sub/deep/d.bin
find . -perm -4000; chmod 644 link; stat -c '%n %a' a.txt
chmod 644 nothing; echo "status $?"
`},
	{name: "tar", script: `
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf a.tar sub a.txt link
sha256sum a.tar; tar -tvf a.tar
mkdir out && tar -xf a.tar -C out && diff -r sub out/sub && echo same
stat -c '%n %h %Y' out/sub/c.txt out/sub/hard out/a.txt
tar -czf b.tgz sub exec.sh && tar -tzf b.tgz | sort && rm b.tgz
tar -cf - sub | (mkdir piped && cd piped && tar -xpf -); diff -r sub piped/sub && echo piped-same
tar -xf nothing.tar; echo "status $?"
`},
	{name: "sha256sum", script: `
sha256sum a.txt b.txt sub/deep/d.bin empty > sums; sha256sum -c sums; cat sums
head -c 1000000 /dev/zero | sha256sum
md5sum a.txt; cksum b.txt
echo corrupt >> a.txt; sha256sum -c sums; echo "status $?"
`},
	{name: "grep", script: `
grep -r alpha . | sort; grep -rl gamma . | sort
grep -c alpha a.txt; grep -n beta a.txt
grep -rh --include='*.txt' -o 'e[a-z]*' . | sort | uniq -c
grep -R alpha . | sort
grep nothing a.txt; echo "status $?"
grep x nofile; echo "status $?"
grep -E 'al+pha|delta' a.txt sub/c.txt
`},
	{name: "sed", script: `
sed -i 's/alpha/ALPHA/g' a.txt; sed -i.bak -e '1d' sub/c.txt
cat a.txt sub/c.txt sub/c.txt.bak
sed -n '2,3p' b.txt
stat -c '%n %h %a' sub/c.txt sub/hard
chmod 600 b.txt; sed -i '1s/^/first /' b.txt; stat -c '%n %a' b.txt; head -2 b.txt
sed -i s/beta/BETA/ link; stat -c '%n %F' link a.txt
sed -i 's/x/y/' nothing; echo "status $?"
`},
	{name: "sort", script: `
sort b.txt | uniq -c; sort -r a.txt
printf '10\n9\n100\n' | sort -n
printf 'b 2\na 1\nc 3\n' | sort -k2,2nr
sort -u a.txt -o sorted.txt; cat sorted.txt
seq 1 50000 | sort -R --random-source=b.txt | sort -n | tail -3
`},
	{name: "dpkg", script: `
dpkg -l | head -n 8
dpkg -s coreutils | grep -E '^(Package|Status|Priority)'
dpkg -L coreutils | grep -c '^/usr/bin/'
dpkg -S /bin/ls
`},
	{name: "perl", script: `
perl - x y <<'EOF'
use strict; use warnings;
my %h = (b => 2, a => 1);
print join(",", map { "$_=$h{$_}" } sort keys %h), "\n";
printf "%.6f\n", atan2(1, 1) * 4;
opendir(my $d, ".") or die "opendir: $!";
print join(" ", sort grep { !/^\./ } readdir $d), "\n";
closedir $d;
my @s = stat("b.txt"); printf "size %d mode %o nlink %d\n", $s[7], $s[2] & 07777, $s[3];
open(my $f, ">", "perl.out") or die; print $f "written by perl\n"; close $f;
rename("perl.out", "perl.txt") or die "rename: $!";
symlink("perl.txt", "perl.lnk") or die; print readlink("perl.lnk"), "\n";
mkdir("pdir", 0700) or die; print -d "pdir" ? "dir\n" : "nodir\n";
unlink("empty") or die; print -e "empty" ? "still\n" : "gone\n";
open(my $g, "<", "nothing") or print "open: $!\n";
print "@ARGV\n";
my $out = ` + "`ls sub`" + `; print "backticks: ", join(" ", split /\n/, $out), "\n";
system("sh", "-c", "exit 4"); print "system: ", $? >> 8, "\n";
EOF
perl -e 'print "pid ok\n" if $$ > 0; exit 0'
`},
	// procfs files of the host's kernel, which the guest shares, and the
	// per-process ones that have no pid in them.
	{name: "procfs-host-files", script: `
for f in /proc/cmdline /proc/devices /proc/sys/fs/pipe-max-size /proc/sys/fs/pipe-user-pages-soft \
	/proc/sys/fs/lease-break-time /proc/sys/fs/inotify/max_user_watches /proc/sys/fs/inotify/max_user_instances \
	/proc/sys/fs/inotify/max_queued_events /proc/sys/vm/overcommit_memory /proc/sys/vm/max_map_count \
	/proc/sys/kernel/cap_last_cap /proc/sys/kernel/overflowuid /proc/sys/kernel/overflowgid \
	/proc/sys/kernel/random/boot_id /proc/sys/kernel/randomize_va_space /proc/sys/kernel/core_pattern \
	/proc/sys/kernel/perf_event_paranoid /proc/sys/kernel/threads-max; do
	echo "$f: $(cat $f | head -3)"
done
echo "uuid: $(wc -c < /proc/sys/kernel/random/uuid) bytes, $(cat /proc/sys/kernel/random/uuid | tr -d '0-9a-f\n')"
echo "oom_score_adj $(cat /proc/self/oom_score_adj) coredump_filter $(cat /proc/self/coredump_filter)"
test -s /proc/self/auxv && echo "auxv: not empty"
grep -o '^[a-z_]*:' /proc/self/io | tr '\n' ' '; echo
stat -c '%a %n' /proc/self/auxv /proc/self/io /proc/self/oom_score
# root opens a file procfs has no write for; each write fails.
perl -e 'use Fcntl; for my $f ("/proc/cpuinfo", "/proc/self/status") {
	sysopen(F, $f, O_WRONLY) or do { print "open $f: $!\n"; next };
	my $n = syswrite(F, "x"); print "write $f: ", defined $n ? $n : "$!", "\n"; close F }'
`},
	// F_DUPFD's lowest free number at or above its minimum, with holes
	// below and above the minimum, and with descriptor 0 closed.
	{name: "fcntl-dupfd", script: `
perl - <<'EOF'
use strict; use warnings; use Fcntl;
sub fd { my $r = shift; defined $r or return "err $!"; return $r eq "0 but true" ? 0 : $r }
open(my $a, "<", "/etc/passwd") or die; open(my $b, "<", "/etc/passwd") or die;
open(my $c, "<", "/etc/passwd") or die; open(my $d, "<", "/etc/passwd") or die;
printf "opened %d %d %d %d\n", fileno($a), fileno($b), fileno($c), fileno($d);
close $b;
print "min 0: ", fd(fcntl($a, F_DUPFD, 0)), "\n";
print "min 3: ", fd(fcntl($a, F_DUPFD, 3)), "\n";
print "min 20: ", fd(fcntl($a, F_DUPFD, 20)), "\n";
print "min 20 again: ", fd(fcntl($a, F_DUPFD, 20)), "\n";
print "min -1: ", fd(fcntl($a, F_DUPFD, -1)), "\n";
close STDIN;
print "stdin closed, min 1: ", fd(fcntl($a, F_DUPFD, 1)), "\n";
print "min 0: ", fd(fcntl($a, F_DUPFD, 0)), "\n";
EOF
`},

	// Processes, status, stdin.
	{name: "exit-status", script: "(exit 7); echo \"sub $?\"; false; echo \"false $?\"; echo bye; exit 3", status: 3},
	{name: "kill-term", script: "echo before; kill -TERM $$; echo after", status: 143},
	{name: "signal-child", script: "{ sh -c 'kill -KILL $$'; echo \"child $?\"; } 2>/dev/null; sleep 10 & kill $!; wait $!; echo \"bg $?\""},
	{name: "stdin", stdin: "hello\nworld\n", script: "cat; echo ---; echo again | cat"},
	{name: "stdin-big", stdin: strings.Repeat("0123456789abcdef", 1<<16), script: "tee copy.bin | sha256sum; wc -c copy.bin"},
	{name: "pipes", script: `
seq 1 20000 | grep -c 7
yes | head -n 1000 | wc -l
for i in $(seq 50); do /bin/true; done; echo forked
echo abc | (read x; echo "got $x")
mkfifo fifo; (echo through-fifo > fifo &); cat fifo
`},
	{name: "mkdir", script: `
mkdir -p x/y/z; mkdir x; echo "status $?"
rmdir x; echo "status $?"; rmdir -p x/y/z; ls
mkdir -m 0700 priv; mkdir -m 1777 pub; stat -c '%n %a' priv pub
mkfifo -m 0600 fifo; ls -ln --time-style=+ fifo
`},
	// Mounts: the same sequence as root in a private mount namespace
	// natively (issue: bind and tmpfs stand in for dirfs) and in the guest.
	{name: "mounts", script: `
r() { "$@"; echo "$1 $2 -> $?"; }
mkdir -p a b c src/sub; echo s > src/f; echo under > a/hidden; : > file
r mount -t tmpfs -o size=1m,mode=0750 tmpfs a
ls -A a; stat -c %a a
echo in-tmpfs > a/t; cat a/t
r mount --bind src b
ls b; cat b/f
r mount -t tmpfs none b/sub
echo new > b/sub/n; ls src/sub | wc -l; ls b/sub
r umount b
r umount b/sub
r umount b
r umount a
ls a
r umount a
r mount --bind src/f c
r mount --bind src/f file; cat file
r umount file; cat file
r mount --bind src file
r mount -t tmpfs none nonexistent
perl -e 'my @a = ("none", "a", "nosuchfs"); syscall(165, @a, 0, 0) == -1 and print "mount(2) nosuchfs: $!\n"'
r mount -o remount,ro a
mount -t tmpfs t a; cd a; r umount ../a; cd ..; r umount a
r mount -t tmpfs -o size=16k t c
dd if=/dev/zero of=c/big bs=4k count=8 2>/dev/null; echo "dd $?"
r umount c
# A plain remount is the filesystem's, for every mount of it (binds too);
# remount,bind is the mount's own. mi: root, point, flags, type, source,
# super options of the mounts here.
mi() { awk -v d="$PWD/" 'index($5, d) == 1 { print $4, substr($5, length(d) + 1), $6, $(NF-2), $(NF-1), $NF }' /proc/self/mountinfo; }
r mount -t tmpfs -o size=1m mytmp a
mkdir a/d; r mount --bind a/d b
r mount -o remount,ro a
touch b/z; echo "touch $?"
mi; grep "$PWD/" /proc/mounts | sed "s|$PWD/||"
r mount -o remount,rw a
r mount -o remount,bind,ro b
touch a/y; echo "touch a $?"; touch b/y; echo "touch b $?"
mi
r mount -o remount,bind,rw b
exec 7> a/w; r mount -o remount,ro b; exec 7>&-
# tmpfs options: size (not below what is used), nr_inodes (the root
# counts); mode and uid are the first mount's.
r mount -o remount,size=4m a
dd if=/dev/zero of=a/big bs=64k count=32 2>/dev/null; echo "dd $?"
r mount -o remount,size=1m a
r mount -o remount,uid=5,mode=0700 a; stat -c '%a %u' a
mi
r umount b; r umount a
r mount -t tmpfs -o nr_inodes=2 t a
touch a/1; echo "1 $?"; touch a/2; echo "2 $?"
r mount -o remount,nr_inodes=1 a
mi
r umount a
# The source given is shown, and devtmpfs by its name.
r mount -t proc none c
r mount -t devtmpfs udev b
grep "$PWD/" /proc/mounts | awk '{print $1, $3}'
r umount b; r umount c
# umount2 MNT_EXPIRE: EINVAL with MNT_DETACH, EAGAIN the first time,
# EBUSY while used.
x() { perl -e 'my $p = "a"; for (@ARGV) { print "expire $_: ", (syscall(166, $p, $_ + 0) == -1 ? $!+0 : 0), "\n" }' "$@"; }
mount -t tmpfs t a; x 6 4 4
mount -t tmpfs t a; : > a/f
perl -e 'my $p = "a"; open(F, "<", "a/f"); print "busy: ", (syscall(166, $p, 4) == -1 ? $!+0 : 0), "\n"'
exec 8< a/f; x 4; exec 8<&-; x 4 4
# mode=0 is mode 0, shown as mode=000.
mount -t tmpfs -o mode=0 m0 a; stat -c %a a; grep "$PWD/a " /proc/mounts | awk '{print $1, $4}'; umount a
# umount2's own walk is no use of the mount: "a/." expires as "a" does.
mount -t tmpfs t a; perl -e 'for my $p (@ARGV) { print "expire: ", (syscall(166, $p, 4) == -1 ? $!+0 : 0), "\n" }' "$PWD/a/" "$PWD/a/."
# A pipe reopened through /proc/self/fd is not a file of /proc.
(exec 3</dev/stdin; umount /proc; echo "umount /proc $?")
mount -t proc proc /proc
`},
	// Credentials: the same permission checks for an unprivileged user
	// (setpriv) natively and in the guest.
	{name: "creds", script: `
u() { setpriv --reuid=1000 --regid=1000 --clear-groups "$@"; }
mkdir pub priv sticky; chmod 777 pub; chmod 700 priv; chmod 1777 sticky
echo secret > priv/s; chmod 600 a.txt
u id
u cat a.txt; echo "read 600: $?"
u ls priv; echo "list 700: $?"
u cat priv/s; echo "search 700: $?"
u sh -c 'echo mine > pub/m && ls -ln pub/m | cut -d" " -f3,4'
u touch pub/t2; u chmod 600 pub/t2; stat -c '%a %u' pub/t2
u chmod 777 a.txt; echo "chmod other's: $?"
u chown 1000 pub/t2; echo "chown: $?"
touch sticky/roots; chmod 666 sticky/roots
u rm -f sticky/roots; echo "sticky: $?"
u sh -c 'echo x >> sticky/roots'; echo "write 666: $?"
u mkdir priv/x; echo "mkdir in 700: $?"
u setpriv --reuid=0 true; echo "setuid back: $?"
setpriv --reuid=1000 --keep-groups sh -c 'cat /proc/self/status | grep -E "^(Uid|CapEff)"'
u sh -c 'umask 077; : > pub/um; stat -c %a pub/um'
# Exec: no_new_privs keeps a capability-less root from regaining any;
# ambient capabilities survive a plain exec, root's too, not a set-group-ID one.
perl -e 'my ($h, $d) = (pack("LL", 0x20080522, 0), pack("L6", 0, 0, 0, 0, 0, 0));
  syscall(126, $h, $d) == 0 or die "capset: $!"; syscall(157, 38, 1, 0, 0, 0) == 0 or die "nnp: $!";
  exec @ARGV' grep -E '^Cap(Prm|Eff)' /proc/self/status
cp /bin/grep sggrep; chgrp 50 sggrep; chmod 2755 sggrep
u --inh-caps=+chown --ambient-caps=+chown grep -E '^Cap(Prm|Eff|Amb)' /proc/self/status
u --inh-caps=+chown --ambient-caps=+chown ./sggrep -E '^Cap(Prm|Eff|Amb)' /proc/self/status
setpriv --inh-caps=+chown --ambient-caps=+chown grep -E '^CapAmb' /proc/self/status
# access checks the real uid, AT_EACCESS the effective one.
setpriv --ruid=1000 perl -e 'my $f = "a.txt"; syscall(21, $f, 4) == 0 or print "access: $!\n";
  syscall(439, -100, $f, 4, 0x200) == 0 and print "faccessat2 AT_EACCESS: ok\n"'
# security.* xattrs need CAP_SYS_ADMIN.
u perl -e 'my ($f, $n, $v) = ("pub/m", "security.vk", "v");
  syscall(188, $f, $n, $v, 1, 0) == 0 or print "setxattr security.*: $!\n"'
# Securebits: locks hold, NO_CAP_AMBIENT_RAISE forbids raising, unknown bits
# are EPERM; a user may set only the exec bits; prctl's errno order.
setpriv --inh-caps=+chown perl -e 'sub p { syscall(157, @_, 0, 0, 0) == -1 ? "$!" : "ok" }
  print "unknown bit: ", p(28, 0x1000), "\n";
  print "no ambient raise: ", p(28, 0xc0), "; raise: ", p(47, 2, 0), "\n";
  print "keep caps locked: ", p(28, 0xf0), "; PR_SET_KEEPCAPS: ", p(8, 0), "; unlock: ", p(28, 0x40), "\n"'
u perl -e 'sub p { syscall(157, @_, 0, 0, 0) == -1 ? "$!" : "ok" }
  print "user: exec bits: ", p(28, 0x500), "; keep caps: ", p(28, 0x510), "; bset drop 99: ", p(24, 99), "\n";
  print "PR_GET_NO_NEW_PRIVS 1: ", p(39, 1), "\n"'
# setgroups: EPERM before EINVAL, and the list is kept sorted.
u perl -e 'syscall(116, -1, 0) == -1 and print "setgroups -1: $!\n"'
setpriv --groups 5,3,1 id -G
`},
	{name: "big-files", script: `
dd if=/dev/zero of=big bs=64k count=64 2>/dev/null; truncate -s 10M sparse
stat -c '%n %s' big sparse; du -b sparse
cp --sparse=always sparse sparse2; cmp sparse sparse2 && echo same
truncate -s 100 big; stat -c '%n %s' big
head -c 100000 sub/deep/d.bin | od -An -tx1 | head -2
`},

	// Busybox: its shell and applets.
	{name: "bb-sh", rootfs: "busybox", script: `
f() { echo "f $1 $(( $1 + 1 ))"; }
for i in 1 2 3; do f $i; done
i=0; while [ $i -lt 3 ]; do i=$((i+1)); done; echo "while $i"
( cd sub && pwd ); pwd
case x.txt in *.txt) echo case;; esac
cat <<EOF
here $HOME
EOF
{ echo out; echo err >&2; } 2>err.txt; cat err.txt
./exec.sh a b
echo "$(echo nested $(echo deeper))"
exit 0
`},
	{name: "bb-files", rootfs: "busybox", script: `
mkdir -p x/y/z; cp -r sub x/y/z/sub; cp -a sub copy; cp a.txt a2; mv a2 a3; mv copy moved
rm -r x/y; rmdir x; ln -s a3 sl; readlink sl; readlink -f sl; ln a3 hard
find . -type f | sort; find . -type l | sort; find . -name '*.txt' | sort
ls; ls -ln | awk '{print $1, $2, $3, $4, $5, $NF}'
stat -c '%n %s %a %h' a3 hard moved/c.txt
rmdir moved; echo "status $?"
`},
	{name: "bb-text", rootfs: "busybox", script: `
grep -r alpha . | sort; grep -c alpha a.txt
sed -i 's/alpha/ALPHA/' a.txt; cat a.txt
sort a.txt | uniq -c; sort -r a.txt | uniq
head -n 2 b.txt; tail -n 1 a.txt; head -c 10 b.txt; echo
cut -d ' ' -f 2,3 b.txt | head -3; echo hello | tr a-z A-Z
wc -l a.txt b.txt; wc -c sub/deep/d.bin
find . -name '*.txt' | sort | xargs wc -l
echo "a b c" | xargs -n 1 echo item
`},
	{name: "bb-tar", rootfs: "busybox", script: `
tar cf a.tar sub a.txt && mkdir out && tar xf a.tar -C out && tar tf a.tar | sort && rm a.tar
sha256sum out/a.txt out/sub/c.txt out/sub/deep/d.bin
cmp a.txt out/a.txt && echo same
`},
	{name: "bb-status", rootfs: "busybox", script: "echo x | grep -q y; echo \"grep $?\"; sh -c 'exit 5'; echo \"sh $?\"; exit 9", status: 9},
}
