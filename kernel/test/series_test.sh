#!/bin/bash
# kernel/make-series: the series it writes carries its own user, from the
# one copy of the sources, in an order a bisection can build:
#  - every file the engine patches add is the repository's file, byte for
#    byte but for the engine header's include;
#  - the infrastructure symbol has no prompt, and the engine selects it;
#  - the ioctl-number patch comes after the patch that adds the header it
#    names; dcbm after the engine;
#  - the series file lists every patch, in order;
#  - two runs give the same bytes.
# Needs linux-source-6.12 (tools/install-deps); skips without it.
#   kernel/test/series_test.sh        (prints TAP)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$top/tools/tap.sh"
echo "TAP version 13"
if [ ! -r /usr/src/linux-source-6.12.tar.xz ]; then
	skip "no /usr/src/linux-source-6.12.tar.xz (tools/install-deps installs it)"
	tap_end
	exit 0
fi

s=$tmp/a
ok "make-series writes the series" "$top/kernel/make-series" --out="$s" --git="$tmp/git"
ok "... and again, the same bytes" sh -c "'$top/kernel/make-series' --out='$tmp/b' >/dev/null && diff -r '$s' '$tmp/b'"
ok "the series file lists every patch, in order" \
	sh -c "cd '$s' && ls 0*.patch | diff - series"

# same SRC DST: DST in the tree the patches made is SRC of the repository,
# but for the engine header's include.
same() {
	sed 's|^#include "migoff_engine.h"$|#include <linux/migoff_engine.h>|' "$1" | diff - "$tmp/git/$2"
}
for f in "$top"/kernel/migrate_offload/migoff_*.c "$top"/kernel/migrate_offload/migoff_core.h; do
	b=$(basename "$f")
	case "$b" in
	migoff_swdma.c|migoff_testmig.c) continue ;;
	migoff_dcbm.c) dst=drivers/dma/$b ;;
	*) dst=drivers/migrate_offload/$b ;;
	esac
	ok "$dst is kernel/migrate_offload/$b" same "$f" "$dst"
done
ok "include/linux/migoff_engine.h is the repository's" \
	diff "$top/kernel/migrate_offload/migoff_engine.h" "$tmp/git/include/linux/migoff_engine.h"
ok "include/uapi/linux/migrate_offload.h is uapi/'s" \
	diff "$top/uapi/linux/migrate_offload.h" "$tmp/git/include/uapi/linux/migrate_offload.h"
ok "the test modules are in no patch" \
	sh -c "! grep -l '^+++ b/.*\\(migoff_swdma\\|migoff_testmig\\)' '$s'/0*.patch"
ok "no series file includes a repository path" \
	sh -c "! grep -n '^+#include \"migoff_engine.h\"' '$s'/0*.patch"

# The Kconfig: hidden infrastructure, selected by the engine.
ok "MIGRATION_COPY_OFFLOAD has no prompt" \
	sh -c "awk '/^config MIGRATION_COPY_OFFLOAD\$/{f=1;next} f&&/^config /{exit} f&&/^\\tbool/{print}' '$tmp/git/mm/Kconfig' | grep -qx '	bool'"
ok "MIGRATE_OFFLOAD selects it" \
	grep -q '^	select MIGRATION_COPY_OFFLOAD$' "$tmp/git/drivers/migrate_offload/Kconfig"
ok "drivers/ sources and descends into drivers/migrate_offload" sh -c \
	"grep -q 'source \"drivers/migrate_offload/Kconfig\"' '$tmp/git/drivers/Kconfig' &&
	 grep -q 'migrate_offload/' '$tmp/git/drivers/Makefile'"

# Order: the patch adding a file before every patch naming it.
first() { grep -l -- "$1" "$s"/0*.patch | head -1 | xargs -r basename | cut -c1-4; }
hdr=$(first '^+++ b/include/uapi/linux/migrate_offload.h')
ioc=$(first '^+0xBB .*uapi/linux/migrate_offload.h')
eng=$(first '^+++ b/drivers/migrate_offload/Kconfig')
dcbm=$(first '^+++ b/drivers/dma/migoff_dcbm.c')
opt=$(first '^+config MIGRATION_COPY_OFFLOAD$')
ok "the uapi header ($hdr) comes before the ioctl-number patch ($ioc)" \
	sh -c "[ -n '$hdr' ] && [ -n '$ioc' ] && [ '$hdr' -lt '$ioc' ]"
ok "the engine ($eng) comes before dcbm ($dcbm)" \
	sh -c "[ -n '$eng' ] && [ -n '$dcbm' ] && [ '$eng' -lt '$dcbm' ]"
ok "the option ($opt) comes before the engine that selects it ($eng)" \
	sh -c "[ -n '$opt' ] && [ '$opt' -lt '$eng' ]"
tap_end
