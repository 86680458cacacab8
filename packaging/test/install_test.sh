#!/bin/sh
# make install into a DESTDIR: exactly the files built for the host
# (library, headers, pkg-config file, man pages, CLI, completion, systemd
# units, default configuration), the units pointing at the installed CLI,
# an edited configuration kept by a second install, no QEMU or kernel
# source on the way (make install never runs tools/install-deps except its
# --check), and ldconfig run only for an install without DESTDIR into a
# directory the loader searches. Prints TAP.
#   packaging/test/install_test.sh
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$top/tools/tap.sh"
echo "TAP version 13"
root=$tmp/root

ok "make install PREFIX=/usr DESTDIR=...: exit 0" \
	make -s -C "$top" install PREFIX=/usr DESTDIR="$root"

# The file list, from the sources.
{
	for f in usr/lib/libmigoffload.a usr/lib/libmigoffload.so usr/lib/libmigoffload.so.2 \
		usr/lib/libmigoffload.so.2.2.0 usr/lib/pkgconfig/libmigoffload.pc \
		usr/include/migoffload.h usr/include/migoffload/linux/migrate_offload.h \
		usr/sbin/migoffloadctl usr/share/man/man8/migoffloadctl.8 \
		usr/share/bash-completion/completions/migoffloadctl \
		usr/share/migoffloadctl/migoffloadctl.schema.json \
		usr/lib/systemd/system/migoffload.service \
		usr/lib/systemd/system/migoffload-metrics.service \
		usr/lib/systemd/system/migoffload-metrics.timer etc/migoffload/config.json; do
		echo "$f"
	done
	for m in "$top"/libmigoffload/man/*.3; do echo "usr/share/man/man3/$(basename "$m")"; done
} | sort > "$tmp/want"
(cd "$root" && find . \( -type f -o -type l \) | sed 's|^\./||' | sort) > "$tmp/got"
ok "exactly the files built for the host" diff -u "$tmp/want" "$tmp/got"
ok "libmigoffload.so.2 -> libmigoffload.so.2.2.0, libmigoffload.so -> .so.2" sh -c \
	"test \"\$(readlink $root/usr/lib/libmigoffload.so.2)\" = libmigoffload.so.2.2.0 && \
	 test \"\$(readlink $root/usr/lib/libmigoffload.so)\" = libmigoffload.so.2"
ok "migoffloadctl is executable, the units and config are not" sh -c \
	"test -x $root/usr/sbin/migoffloadctl && ! test -x $root/usr/lib/systemd/system/migoffload.service && \
	 ! test -x $root/etc/migoffload/config.json"
ok "migoffload.service: the installed CLI, the config it applies, its modules" sh -c \
	"u=$root/usr/lib/systemd/system/migoffload.service; \
	 grep -qx 'ExecStart=/usr/sbin/migoffloadctl config load --wait=60 /etc/migoffload/config.json' \$u && \
	 grep -qx 'ConditionPathExists=/etc/migoffload/config.json' \$u && grep -qx 'Type=oneshot' \$u && \
	 grep -qx 'RemainAfterExit=yes' \$u && grep -qx 'After=systemd-modules-load.service' \$u && \
	 grep -qx 'ExecStartPre=/sbin/modprobe migrate_offload' \$u && ! grep -q @ \$u"
ok "migoffload-metrics.service writes where node-exporter reads" grep -qx \
	'ExecStart=/usr/sbin/migoffloadctl stats --format=prometheus --output=/var/lib/prometheus/node-exporter/migoffload.prom' \
	"$root/usr/lib/systemd/system/migoffload-metrics.service"
if command -v systemd-analyze > /dev/null; then
	# Outside a booted system it also says the targets and binaries are
	# missing; a unit file it cannot read says "Failed to parse",
	# "Unknown ..." or "ignoring".
	ok "systemd-analyze verify: the units parse" sh -c \
		"cd $root/usr/lib/systemd/system && systemd-analyze verify --man=no \
		 migoffload.service migoffload-metrics.service migoffload-metrics.timer > $tmp/sa 2>&1; \
		 cat $tmp/sa; ! grep -Eqi 'failed to parse|unknown|ignoring|invalid' $tmp/sa"
fi
ok "the default configuration is valid JSON that config load parses" sh -c \
	"python3 -c 'import json,sys; json.load(open(sys.argv[1]))' $root/etc/migoffload/config.json && \
	 { $top/build/bin/migoffloadctl config load $root/etc/migoffload/config.json > $tmp/dl 2>&1; true; } && \
	 cat $tmp/dl && ! grep -q 'nothing changed' $tmp/dl"
echo '{"routes": {"demotion": "mtcopy"}}' > "$root/etc/migoffload/config.json"
make -s -C "$top" install PREFIX=/usr DESTDIR="$root" > /dev/null 2>&1
ok "a second install keeps an edited configuration" grep -q mtcopy "$root/etc/migoffload/config.json"

# Never QEMU or the kernel source: install-deps only in its --check mode.
make -n -C "$top" install PREFIX=/usr DESTDIR="$root" > "$tmp/plan" 2>&1
ok "make install runs tools/install-deps only as --check" sh -c \
	"grep 'install-deps' $tmp/plan | grep -q -- '--check build' && ! grep 'install-deps' $tmp/plan | grep -qv -- '--check'"
ok "make lib tools install: no kernel build, no apt-get" sh -c \
	"! make -s -n -C $top lib tools install PREFIX=/usr DESTDIR=$root 2>&1 | grep -E 'build-kernel|apt-get|qemu'"

# ldconfig: after an install without DESTDIR into a directory the loader searches.
ok "no DESTDIR, a loader directory: ldconfig runs" sh -c \
	"make -s -C $top/libmigoffload OUT=$top/build/lib PREFIX=$tmp/sys LDSO_DIRS=$tmp/sys/lib LDCONFIG='touch $tmp/ran1' install && test -e $tmp/ran1"
ok "with DESTDIR: no ldconfig" sh -c \
	"make -s -C $top/libmigoffload OUT=$top/build/lib PREFIX=/usr DESTDIR=$tmp/d LDCONFIG='touch $tmp/ran2' install && test ! -e $tmp/ran2"
ok "no DESTDIR, another directory: no ldconfig, says what to do" sh -c \
	"make -s -C $top/libmigoffload OUT=$top/build/lib PREFIX=$tmp/opt LDCONFIG='touch $tmp/ran3' install > $tmp/o3 && \
	 test ! -e $tmp/ran3 && grep -q 'not a directory the loader searches: add it to /etc/ld.so.conf.d/ and run ldconfig' $tmp/o3"

tap_end
