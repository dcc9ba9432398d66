#!/bin/bash
# build-rootfs.sh [--python] [--bench] [--java] [CACHEDIR] — build the guest root filesystems the guest-level
# tests and the benchmarks boot from, outside the repository:
#
#   CACHEDIR/busybox/    Debian's busybox-static, applet symlinks, passwd/group,
#                        tmp (1777), empty proc/ and dev/
#   CACHEDIR/bookworm/   debootstrap --variant=minbase bookworm
#   CACHEDIR/python/     debootstrap --variant=minbase bookworm with python3 and
#                        libpython3.11-testsuite (the conformance suite, make
#                        conformance); built only with --python or
#                        VKERNEL_ROOTFS_PYTHON=1
#   CACHEDIR/bench/      debootstrap --variant=minbase bookworm with git, gcc,
#                        make, libc6-dev and python3 (the peer benchmarks, make
#                        bench); built only with --bench or VKERNEL_ROOTFS_BENCH=1
#   CACHEDIR/java/       debootstrap --variant=minbase bookworm with
#                        default-jre-headless (the exec tests' java -version);
#                        built only with --java or VKERNEL_ROOTFS_JAVA=1
#
# Each tree is built under NAME.tmp and renamed into place when complete; a stamp
# file CACHEDIR/NAME.stamp (holding the recipe version) marks it finished, and a
# finished tree is reused. A bookworm.tmp that debootstrap finished (no
# bookworm.tmp/debootstrap/ left behind, perl-base installed) is adopted rather
# than rebuilt. Needs root, busybox-static (or apt-get to fetch it) and
# debootstrap. Safe to run concurrently (flock on CACHEDIR/.lock).
set -euo pipefail

WANT_PYTHON=${VKERNEL_ROOTFS_PYTHON:-0}
WANT_BENCH=${VKERNEL_ROOTFS_BENCH:-0}
WANT_JAVA=${VKERNEL_ROOTFS_JAVA:-0}
while :; do
	case ${1:-} in
	--python) WANT_PYTHON=1 ;;
	--bench) WANT_BENCH=1 ;;
	--java) WANT_JAVA=1 ;;
	*) break ;;
	esac
	shift
done
CACHEDIR=${1:-/var/tmp/vkernel-rootfs}
MIRROR=${VKERNEL_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
# Bump a version when its recipe changes: stale trees are then rebuilt.
BUSYBOX_RECIPE="busybox v1"
BOOKWORM_RECIPE="bookworm v1 minbase include=perl-base"
PYTHON_RECIPE="python v1 minbase include=python3,libpython3.11-testsuite"
PYTHON_INCLUDE=python3,libpython3.11-testsuite
BENCH_RECIPE="bench v1 minbase include=git,gcc,make,libc6-dev,python3"
BENCH_INCLUDE=git,gcc,make,libc6-dev,python3
JAVA_RECIPE="java v1 minbase include=default-jre-headless"
JAVA_INCLUDE=default-jre-headless

log() { echo "build-rootfs: $*" >&2; }
die() { echo "build-rootfs: error: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (chroot, debootstrap, device nodes)"
case $CACHEDIR in
/*) ;;
*) die "CACHEDIR must be an absolute path, got '$CACHEDIR'" ;;
esac
[ "$CACHEDIR" != / ] || die "refusing to use / as CACHEDIR"

mkdir -p "$CACHEDIR"
exec 9>"$CACHEDIR/.lock"
flock 9 || die "cannot lock $CACHEDIR/.lock"

# done NAME RECIPE: is CACHEDIR/NAME finished with this recipe?
done_p() {
	[ -d "$CACHEDIR/$1" ] && [ -f "$CACHEDIR/$1.stamp" ] &&
		[ "$(cat "$CACHEDIR/$1.stamp")" = "$2" ]
}

# finish NAME RECIPE: move NAME.tmp into place and stamp it.
finish() {
	rm -rf -- "${CACHEDIR:?}/$1" "${CACHEDIR:?}/$1.stamp"
	mv -- "$CACHEDIR/$1.tmp" "$CACHEDIR/$1"
	echo "$2" >"$CACHEDIR/$1.stamp.tmp"
	mv -- "$CACHEDIR/$1.stamp.tmp" "$CACHEDIR/$1.stamp"
	log "$CACHEDIR/$1 ready"
}

build_busybox() {
	local root=$CACHEDIR/busybox.tmp bb=/bin/busybox x
	if done_p busybox "$BUSYBOX_RECIPE"; then
		log "$CACHEDIR/busybox is up to date"
		return
	fi
	log "building $CACHEDIR/busybox"
	rm -rf -- "${root:?}"
	if ! dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed'; then
		# Not installed: fetch and unpack the package without installing it.
		log "busybox-static is not installed; fetching the .deb"
		x=$(mktemp -d)
		(cd "$x" && apt-get download busybox-static) ||
			die "cannot download busybox-static (apt-get update first?)"
		dpkg-deb -x "$x"/busybox-static_*.deb "$x/root"
		bb=$x/root/bin/busybox
		[ -x "$bb" ] || bb=$x/root/usr/bin/busybox
	fi
	[ -x "$bb" ] || die "no busybox binary found at $bb"

	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,root,proc,dev,tmp,var/tmp}
	chmod 1777 "$root/tmp" "$root/var/tmp"
	chmod 0700 "$root/root"
	cp -- "$bb" "$root/bin/busybox"
	chmod 0755 "$root/bin/busybox"
	[ -z "${x:-}" ] || rm -rf -- "$x"
	# Running it chrooted with nothing else in the tree proves it is static.
	chroot "$root" /bin/busybox true ||
		die "$bb does not run alone in a chroot (not a static binary?)"
	# One symlink per applet, at the place the applet asks for (--list-full).
	local n=0 p
	while read -r p; do
		[ -n "$p" ] || continue
		[ "$p" != bin/busybox ] || continue
		mkdir -p "$root/$(dirname "$p")"
		ln -sfn /bin/busybox "$root/$p"
		n=$((n + 1))
	done < <(chroot "$root" /bin/busybox --list-full)
	[ "$n" -gt 100 ] || die "busybox --list-full gave only $n applets"
	[ -L "$root/bin/sh" ] || die "busybox has no sh applet"
	cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
	cat >"$root/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
	echo vkernel >"$root/etc/hostname"
	chroot "$root" /bin/sh -c 'echo hello | wc -c' >/dev/null ||
		die "busybox rootfs does not run /bin/sh"
	log "busybox: $n applet links"
	finish busybox "$BUSYBOX_RECIPE"
}

# debootstrap_done DIR: did debootstrap finish in DIR?
debootstrap_done() {
	[ -d "$1" ] && [ ! -e "$1/debootstrap" ] && [ -x "$1/bin/bash" ] &&
		[ -f "$1/etc/debian_version" ] &&
		chroot "$1" dpkg-query -W -f='${Status}' perl-base 2>/dev/null |
		grep -q 'install ok installed'
}

build_bookworm() {
	local root=$CACHEDIR/bookworm.tmp
	if done_p bookworm "$BOOKWORM_RECIPE"; then
		log "$CACHEDIR/bookworm is up to date"
		return
	fi
	if debootstrap_done "$root"; then
		log "adopting the finished debootstrap in $root"
	else
		command -v debootstrap >/dev/null || die "debootstrap is not installed"
		[ ! -e "$root" ] || log "removing the unfinished $root"
		rm -rf -- "${root:?}"
		log "debootstrap --variant=minbase $SUITE from $MIRROR (a few minutes)"
		debootstrap --variant=minbase --include=perl-base "$SUITE" "$root" "$MIRROR" ||
			die "debootstrap failed (log: $root/debootstrap/debootstrap.log)"
		debootstrap_done "$root" || die "debootstrap left an incomplete tree in $root"
	fi
	# The downloaded .debs are not needed to run anything.
	chroot "$root" apt-get clean
	chroot "$root" /bin/bash -c 'perl -e 1 && dash -c true' ||
		die "bookworm rootfs does not run bash/perl/dash"
	finish bookworm "$BOOKWORM_RECIPE"
}

# python_done DIR: did debootstrap finish in DIR, with the test suite installed?
python_done() {
	[ -d "$1" ] && [ ! -e "$1/debootstrap" ] && [ -x "$1/usr/bin/python3" ] &&
		[ -f "$1/usr/lib/python3.11/test/test_os.py" ] &&
		chroot "$1" dpkg-query -W -f='${Status}' libpython3.11-testsuite 2>/dev/null |
		grep -q 'install ok installed'
}

# bench_done DIR: did debootstrap finish in DIR, with the bench's tools installed?
bench_done() {
	[ -d "$1" ] && [ ! -e "$1/debootstrap" ] && [ -x "$1/usr/bin/git" ] &&
		[ -x "$1/usr/bin/python3" ] && [ -x "$1/usr/bin/make" ] &&
		chroot "$1" dpkg-query -W -f='${Status}' libc6-dev 2>/dev/null |
		grep -q 'install ok installed'
}

# java_done DIR: did debootstrap finish in DIR, with a Java runtime installed?
java_done() {
	[ -d "$1" ] && [ ! -e "$1/debootstrap" ] && [ -x "$1/usr/bin/java" ] &&
		chroot "$1" dpkg-query -W -f='${Status}' default-jre-headless 2>/dev/null |
		grep -q 'install ok installed'
}

# build_tree NAME RECIPE INCLUDE: a minbase bookworm with the packages
# INCLUDE in CACHEDIR/NAME, adopting a finished NAME.tmp (NAME_done says
# whether one is), then NAME_setup on it.
build_tree() {
	local name=$1 recipe=$2 include=$3 root=$CACHEDIR/$1.tmp
	if done_p "$name" "$recipe"; then
		log "$CACHEDIR/$name is up to date"
		return
	fi
	if "${name}_done" "$root"; then
		log "adopting the finished debootstrap in $root"
	else
		command -v debootstrap >/dev/null || die "debootstrap is not installed"
		[ ! -e "$root" ] || log "removing the unfinished $root"
		rm -rf -- "${root:?}"
		log "debootstrap --variant=minbase --include=$include $SUITE from $MIRROR (a few minutes)"
		debootstrap --variant=minbase --include="$include" "$SUITE" "$root" "$MIRROR" ||
			die "debootstrap failed (log: $root/debootstrap/debootstrap.log)"
		"${name}_done" "$root" || die "debootstrap left an incomplete tree in $root"
	fi
	chroot "$root" apt-get clean
	"${name}_setup" "$root"
	finish "$name" "$recipe"
}

# The conformance tree: python3 and CPython's own test suite, Debian's packages.
python_setup() {
	local root=$1
	# An unprivileged user for the non-root conformance run (uid/gid 1000).
	if ! chroot "$root" getent passwd vkuser >/dev/null; then
		chroot "$root" groupadd -g 1000 vkuser
		chroot "$root" useradd -u 1000 -g 1000 -m -d /home/vkuser -s /bin/bash vkuser
	fi
	# The tests' scratch directory lives on the tree (dirfs in the guest).
	mkdir -p "$root/var/tmp/conf"
	chmod 1777 "$root/var/tmp/conf"
	chroot "$root" python3 -c 'import test.support, test.test_os' ||
		die "python rootfs cannot import the test suite"
}

# The benchmark tree: what a developer runs (git, a C toolchain, python3).
bench_setup() {
	chroot "$1" /bin/sh -c 'git --version && cc --version && make --version && python3 -c pass' >/dev/null ||
		die "bench rootfs does not run git, cc, make, python3"
}

# The Java tree: Debian's default JRE, whose launcher finds its libraries
# through $ORIGIN behind a chain of symlinks (the exec tests).
java_setup() {
	# With /proc, as the guest and the tests' native runs have it: the
	# launcher's loader takes $ORIGIN from /proc/self/exe.
	unshare --mount --propagation private /bin/sh -c \
		'mount -t proc proc "$1/proc" && chroot "$1" java -version' sh "$1" >/dev/null 2>&1 ||
		die "java rootfs does not run java -version"
}

build_busybox
build_bookworm
trees="busybox,bookworm"
if [ "$WANT_PYTHON" = 1 ]; then
	build_tree python "$PYTHON_RECIPE" "$PYTHON_INCLUDE"
	trees="$trees,python"
fi
if [ "$WANT_BENCH" = 1 ]; then
	build_tree bench "$BENCH_RECIPE" "$BENCH_INCLUDE"
	trees="$trees,bench"
fi
if [ "$WANT_JAVA" = 1 ]; then
	build_tree java "$JAVA_RECIPE" "$JAVA_INCLUDE"
	trees="$trees,java"
fi
log "done: $CACHEDIR/{$trees}"
