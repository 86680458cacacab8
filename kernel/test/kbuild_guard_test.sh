#!/bin/bash
# The Kbuild guard: building the modules against a kernel without
# CONFIG_MIGRATION_COPY_OFFLOAD stops, before compiling anything, with one
# line naming the option and what to do. Run against every kernel build tree
# the host has (/lib/modules/*/build, from linux-headers-*); cheap: nothing
# is compiled. Prints TAP; skips when no headers are installed.
#   kernel/test/kbuild_guard_test.sh
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$top/tools/tap.sh"

kdirs=()
for k in /lib/modules/*/build; do
	[ -e "$k/include/config/auto.conf" ] && kdirs+=("$(readlink -f "$k")")
done
if [ ${#kdirs[@]} = 0 ]; then
	echo "1..0 # SKIP no kernel headers in /lib/modules/*/build (apt-get install linux-headers-amd64)"
	exit 0
fi
echo "TAP version 13"

# only_our_line LOG: one line names the option, and it is the guard's;
# every other line is make passing the failure up.
only_our_line() {
	local log=$1
	[ "$(grep -c CONFIG_MIGRATION_COPY_OFFLOAD "$log")" = 1 ] &&
	grep -Eq "Kbuild:[0-9]+: \*\*\* migrate_offload: kernel .* has no CONFIG_MIGRATION_COPY_OFFLOAD=y: build and boot a kernel with the series of kernel/make-series applied .*Stop\.$" "$log" &&
	! grep -v CONFIG_MIGRATION_COPY_OFFLOAD "$log" | grep -Ev '^make(\[[0-9]+\])?: \*\*\* .*Error [0-9]+$' | grep -q .
}

for kdir in "${kdirs[@]}"; do
	rel=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"/\1/p' "$kdir/include/generated/utsrelease.h")
	if grep -q '^CONFIG_MIGRATION_COPY_OFFLOAD=y' "$kdir/include/config/auto.conf"; then
		skip "$rel has CONFIG_MIGRATION_COPY_OFFLOAD: a real build (make modules KDIR=$kdir)"
		continue
	fi
	m=$tmp/m-$rel
	mkdir -p "$m"
	cp "$top"/kernel/migrate_offload/Kbuild "$top"/kernel/migrate_offload/*.[ch] "$m/"
	make -s -C "$kdir" M="$m" MIGOFF_UAPI="$top/uapi" modules > "$tmp/log" 2>&1
	rc=$?
	cp "$tmp/log" "$tmp/log-$rel"
	ok "$rel: the build fails" test "$rc" != 0
	ok "$rel: with the guard's one line, and make's own 'Error' lines only" only_our_line "$tmp/log-$rel"
	ok "$rel: before compiling anything" sh -c "! ls '$m' | grep -q '\\.o\$'"
	ok "$rel: make clean still works (the guard checks only builds)" \
		make -s -C "$kdir" M="$m" MIGOFF_UAPI="$top/uapi" clean
	# The top-level target users run; it builds in build/modules-RELEASE.
	make -s -C "$top" modules KDIR="$kdir" > "$tmp/top-$rel" 2>&1
	rc=$?
	ok "$rel: make modules KDIR=...: fails the same way" sh -c "test $rc != 0 && grep -q 'has no CONFIG_MIGRATION_COPY_OFFLOAD=y' '$tmp/top-$rel'"
	ok "$rel: ... with no compiler output" sh -c "! grep -Eq 'error:|warning:|\\.o\$' '$tmp/top-$rel'"
	rm -rf "$top/build/modules-$rel"
done
make -s -C "$top" modules_install KDIR="$tmp/nosuch" > "$tmp/mi" 2>&1
rc=$?
ok "make modules_install KDIR=(not a kernel tree): exit 1, one line" \
	sh -c "test $rc != 0 && grep -q 'nothing built for KDIR' '$tmp/mi'"

tap_end
