#!/bin/bash
# build-kernel's patch step (apply_series) against a small fake tree: a
# series that applies, and one whose second patch does not (the case of a
# newer linux-source-6.12): one line naming the patch, the Debian version
# found, the tested one and the apt-get command; nothing of that patch
# applied (it has a hunk that would apply); no .rej or .orig left.
#   kernel/test/patch_step_test.sh        (prints TAP)
set -u
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$here/../../tools/tap.sh"
tested=$(cat "$here/../patches/TESTED-VERSION")
echo "TAP version 13"

# A "tarball" of two files, and patches made with diff -u as git would.
mkdir -p "$tmp/orig/mm" "$tmp/new/mm"
printf 'one\ntwo\nthree\n' > "$tmp/orig/mm/migrate.c"
printf 'alpha\nbeta\n' > "$tmp/orig/mm/Kconfig"
tar -C "$tmp" -cf "$tmp/linux-source.tar" orig
mkpatch() {	# mkpatch NAME FILE NEWTEXT...: a -p1 patch of FILE against orig/
	local name=$1 file=$2; shift 2
	rm -rf "$tmp/a" "$tmp/b"; mkdir -p "$tmp/a/mm" "$tmp/b/mm"
	cp "$tmp/orig/mm/$file" "$tmp/a/mm/$file"
	printf '%s\n' "$@" > "$tmp/b/mm/$file"
	(cd "$tmp" && diff -u "a/mm/$file" "b/mm/$file") > "$tmp/$name"
}
mkpatch 0001-good.patch migrate.c one TWO three
# 0002: a hunk for Kconfig that applies, then one for migrate.c that does
# not (it removes a line the tree does not have).
mkpatch k.part Kconfig alpha BETA
mkpatch m.part migrate.c one two THREE
sed -i 's/^-three$/-tres/' "$tmp/m.part"
cat "$tmp/k.part" "$tmp/m.part" > "$tmp/0002-stale.patch"

run() {	# run DIR DEBVER PATCH...: apply_series as build-kernel runs it (set -e)
	bash -c 'set -euo pipefail; source "$1"; shift; apply_series "$@"' _ \
		"$here/../build-kernel" "$@"
}
fresh() {	# fresh DIR: unpack the fake tarball into DIR
	rm -rf "$1"; mkdir -p "$1"
	tar -C "$1" -xf "$tmp/linux-source.tar" --strip-components=1
}

fresh "$tmp/t1"
ok "a series that applies: exit 0" run "$tmp/t1" "$tested" "$tmp/0001-good.patch"
ok "... the tree is patched" grep -qx TWO "$tmp/t1/mm/migrate.c"
ok "... no error log left" test ! -e "$tmp/t1.patch-error.log"

fresh "$tmp/t2"
run "$tmp/t2" 6.12.999-1~deb12u1 "$tmp/0001-good.patch" "$tmp/0002-stale.patch" \
	> "$tmp/t2.out" 2> "$tmp/t2.err"
rc=$?
ok "a stale patch: exit 1" test "$rc" = 1
ok "... one line on stderr" test "$(wc -l < "$tmp/t2.err")" = 1
ok "... naming the patch, the version found, the tested one, the command" \
	grep -qF "build-kernel: 0002-stale.patch does not apply to linux-source-6.12 6.12.999-1~deb12u1 (last tested on $tested): install the tested version: sudo apt-get install linux-source-6.12=$tested" "$tmp/t2.err"
ok "... no raw patch output on the terminal" sh -c "! grep -qiE 'hunk|FAILED|malformed' '$tmp/t2.out' '$tmp/t2.err' || grep -q 'patch-error.log' '$tmp/t2.err'"
ok "... patch's own output kept in the log it names" grep -q "FAILED" "$tmp/t2.patch-error.log"
ok "... nothing of the stale patch applied (its first hunk would)" grep -qx beta "$tmp/t2/mm/Kconfig"
ok "... the patch before it applied" grep -qx TWO "$tmp/t2/mm/migrate.c"
ok "... no .rej or .orig files" sh -c "! find '$tmp/t2' -name '*.rej' -o -name '*.orig' | grep -q ."

fresh "$tmp/t3"
run "$tmp/t3" "$tested" "$tmp/0002-stale.patch" > /dev/null 2> "$tmp/t3.err"
ok "the tested version and still stale: says the series needs a rebase" \
	grep -q "0002-stale.patch does not apply to linux-source-6.12 $tested (last tested on $tested): the series needs a rebase" "$tmp/t3.err"
ok "TESTED-VERSION is a Debian version of linux-source-6.12" \
	grep -Eqx '6\.12\.[0-9]+-[0-9A-Za-z.+~-]+' "$here/../patches/TESTED-VERSION"

tap_end
