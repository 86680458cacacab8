#!/bin/sh
# make install with PREFIX=/usr into a scratch DESTDIR: nothing lands in
# /usr/include/linux (linux-libc-dev's), and a program built with the
# installed pkg-config file finds migoffload.h and its uapi header.
#   test/install_test.sh OUT
set -eu
out=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$(dirname "$0")/.."
make -s OUT="$out" PREFIX=/usr DESTDIR="$tmp/root" install > "$tmp/log" 2>&1 ||
	{ cat "$tmp/log"; echo "install_test: make install failed"; exit 1; }
if [ -e "$tmp/root/usr/include/linux" ]; then
	echo "install_test: FAIL: installed into /usr/include/linux:"; find "$tmp/root/usr/include/linux"
	exit 1
fi
test -f "$tmp/root/usr/include/migoffload/linux/migrate_offload.h" ||
	{ echo "install_test: FAIL: no uapi header under include/migoffload"; exit 1; }
test -L "$tmp/root/usr/lib/libmigoffload.so.2" ||
	{ echo "install_test: FAIL: no libmigoffload.so.2"; exit 1; }
cat > "$tmp/t.c" <<'C'
#include <migoffload.h>
int main(void) { return MIGOFF_REASON_COUNT > 0 && migoff_reason_name(0) ? 0 : 1; }
C
flags=$(PKG_CONFIG_SYSROOT_DIR="$tmp/root" PKG_CONFIG_PATH="$tmp/root/usr/lib/pkgconfig" \
	pkg-config --cflags --libs libmigoffload)
# shellcheck disable=SC2086
${CC:-cc} -o "$tmp/t" "$tmp/t.c" $flags -Wl,-rpath,"$tmp/root/usr/lib" ||
	{ echo "install_test: FAIL: cannot build with pkg-config ($flags)"; exit 1; }
"$tmp/t" || { echo "install_test: FAIL: the test program failed"; exit 1; }
echo "install_test: ok (PREFIX=/usr: include/migoffload/linux, pkg-config $flags)"
