#!/bin/sh
# migoffloadctl on the host, without /dev/migrate_offload (the "module not
# loaded" case): what must be decided before the device is opened.
#   test/cli_host.sh MIGOFFLOADCTL
# Prints TAP; exits 1 if a check failed.
set -u
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 fail=0

ok() {	# ok DESCRIPTION COMMAND...
	desc=$1; shift
	n=$((n + 1))
	if "$@" > "$tmp/out" 2> "$tmp/err"; then
		echo "ok $n - $desc"
	else
		fail=$((fail + 1)); echo "not ok $n - $desc"
		sed 's/^/# /' "$tmp/out" "$tmp/err" | head -20
	fi
}

# rc WANT ERR_PATTERN ARGS...: exit status WANT, stderr matching the pattern.
rc() {
	want=$1 pat=$2; shift 2
	"$bin" "$@" > "$tmp/o" 2> "$tmp/e"
	got=$?
	if [ "$got" != "$want" ] || ! grep -q -e "$pat" "$tmp/e"; then
		echo "exit $got (want $want); stderr:"; cat "$tmp/e"
		return 1
	fi
}

if [ -e /dev/migrate_offload ]; then
	echo "1..0 # SKIP /dev/migrate_offload exists: these checks need it absent"
	exit 0
fi
echo "TAP version 13"

# config load: the whole file is checked before the device is opened.
printf '{"routes": {"demotion": "cpu"},\n "batch": {"max_pages": 4294967296}}\n' > "$tmp/big.json"
ok "config load: out-of-range cap: exit 1, line and path, device untouched" \
	rc 1 "big.json:2: \$.batch.max_pages: 4294967296 is out of range.*nothing changed" config load "$tmp/big.json"
ok "... and the device was never opened" sh -c "! grep -q 'cannot open' $tmp/e"
printf '{"migrators": {"mtcopy": {"params": {"threads": "8"}}}}' > "$tmp/str.json"
ok "config load: a string parameter: exit 1, names it" \
	rc 1 "\$.migrators.mtcopy.params.threads: expected a number, got a string" config load "$tmp/str.json"
printf '{"routes": {"demotion": "\\u0001\001"}}' > "$tmp/ctl.json"
ok "config load: raw control character: exit 1, line and column" \
	rc 1 "ctl.json:1: column .*control character" config load "$tmp/ctl.json"
printf '{"routes": {"bogus": "cpu"}}' > "$tmp/bad.json"
ok "config load: unknown reason: exit 1" rc 1 '\$.routes.bogus: unknown reason' config load "$tmp/bad.json"
head -c 1100000 /dev/zero | tr '\0' ' ' > "$tmp/huge.json"
ok "config load: a file over 1 MiB: exit 1" rc 1 "huge.json" config load "$tmp/huge.json"
ok "config load: a missing file: exit 1" rc 1 "No such file" config load "$tmp/nosuch.json"
printf '{"routes": {"demotion": "cpu"}}' > "$tmp/good.json"
ok "config load: a good file, no module: exit 1, says modprobe" \
	rc 1 "modprobe migrate_offload" config load "$tmp/good.json"
if command -v valgrind > /dev/null; then
	for f in big str ctl good; do
		ok "valgrind clean: config load $f.json" sh -c "valgrind -q --error-exitcode=99 \
			--leak-check=full --errors-for-leak-kinds=all $bin config load $tmp/$f.json \
			> /dev/null 2> $tmp/vg; test \$? != 99 || { cat $tmp/vg; false; }"
	done
fi

echo "1..$n"
[ $fail = 0 ]
