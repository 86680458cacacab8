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

# Usage errors: exit 2, whatever the device (issue 9.3): every command
# parses all its arguments before it opens /dev/migrate_offload.
usage() {	# usage PATTERN ARGS...: exit 2, the message, not the device
	pat=$1; shift
	rc 2 "$pat" "$@" && ! grep -q 'cannot open' "$tmp/e" && grep -q "^Try 'migoffloadctl --help'" "$tmp/e"
}
ok "enable --reason=bogus: exit 2" usage "^migoffloadctl: enable: unknown reason in 'bogus'" enable --reason=bogus
ok "enable without --reason: exit 2" usage "^migoffloadctl: enable: needs --reason" enable
ok "enable --migrator without a value: exit 2" usage "^migoffloadctl: enable: option '--migrator' needs a value" enable --reason=demotion --migrator
ok "enable --bogus=1 after the command: a clean message" usage "^migoffloadctl: enable: unknown option '--bogus'\$" enable --bogus=1
ok "disable -x: a clean message" usage "^migoffloadctl: disable: unknown option '-x'\$" disable -x
ok "disable --migrator: exit 2" usage "takes no --migrator" disable --migrator=cpu
ok "status extra: exit 2" usage "status takes no arguments" status extra
ok "unknown command: exit 2" usage "unknown command 'frobnicate'" frobnicate
ok "unknown global option: exit 2" usage "^migoffloadctl: unknown option '--bogus'" --bogus status
ok "migrator set mtcopy threads: exit 2" usage "expected PARAM=VALUE" migrator set mtcopy threads
ok "migrator set mtcopy threads=' -1': exit 2 (not 2^64-1)" usage "expected PARAM=VALUE" migrator set mtcopy "threads= -1"
ok "migrator set mtcopy threads=0x8: exit 2" usage "expected PARAM=VALUE" migrator set mtcopy threads=0x8
ok "migrator bogus: exit 2" usage "unknown subcommand 'bogus'" migrator bogus
ok "batch set: exit 2" usage "needs --max-pages" batch set
ok "batch set --max-pages=4294967296: exit 2" usage "out of range" batch set --max-pages=4294967296
ok "batch set --max-pages=' 1': exit 2" usage "decimal number" batch set "--max-pages= 1"
ok "batch set --bogus: exit 2" usage "^migoffloadctl: batch: unknown option '--bogus'" batch set --bogus
ok "batch set --latency=junk: exit 2" usage "^migoffloadctl: batch: --latency wants a time like 500us" batch set --latency=junk
ok "batch set --latency=1.5ms: exit 2" usage "latency wants a time" batch set --latency=1.5ms
ok "batch set --latency=-1: exit 2" usage "latency wants a time" batch set --latency=-1
ok "batch set --latency='2 ms': exit 2" usage "latency wants a time" batch set "--latency=2 ms"
ok "batch set --latency= (empty): exit 2" usage "latency wants a time" batch set --latency=
ok "batch set --latency (no value): exit 2" usage "option '--latency' needs a value" batch set --latency
ok "batch set --latency=11s: exit 2, out of range" usage "'11s' is out of range (at most 10s)" batch set --latency=11s
ok "batch set --latency=10000001: exit 2, out of range" usage "out of range" batch set --latency=10000001
ok "batch set --latency=99999999999999999999s: exit 2" usage "out of range" batch set --latency=99999999999999999999s
ok "batch set --max-pages=8 --latency=x: exit 2, nothing opened" usage "latency wants a time" batch set --max-pages=8 --latency=x
ok "batch bogus: exit 2" usage "unknown subcommand 'bogus' (show or set)" batch bogus
ok "batch show extra: exit 2" usage "unexpected argument 'extra'" batch show extra
ok "enable --auto=1: exit 2, takes no value" usage "^migoffloadctl: enable: option '--auto' takes no value\$" enable --reason=demotion --auto=1
ok "disable --auto: exit 2" usage "disable takes no --auto" disable --auto
ok "stats --reset=1: exit 2, takes no value" usage "option '--reset' takes no value" stats --reset=1
ok "stats --count without --interval: exit 2" usage "count needs --interval" stats --count=2
ok "stats --interval=0: exit 2" usage "seconds > 0" stats --interval=0
ok "stats --interval=-1: exit 2" usage "decimal number" stats --interval=-1
ok "stats extra: exit 2" usage "unexpected argument 'extra'" stats extra
ok "monitor --count=x: exit 2" usage "decimal number" monitor --count=x
ok "monitor --count (no value): exit 2" usage "needs a value" monitor --count
ok "monitor extra: exit 2" usage "unexpected argument" monitor extra
ok "config: exit 2" usage "config save FILE" config
ok "config load: exit 2" usage "config save FILE" config load
ok "quota: exit 2" usage "set', 'show' or 'clear'" quota
ok "quota set without --burst: exit 2" usage "needs --rate and --burst" quota set cg --rate=1M
ok "quota set --rate=0: exit 2" usage "size > 0" quota set cg --rate=0 --burst=1M
ok "quota set --rate=0x10: exit 2" usage "size > 0" quota set cg --rate=0x10 --burst=1M
ok "quota set --rate=' -1M': exit 2" usage "size > 0" quota set cg "--rate= -1M" --burst=1M
ok "quota set --rate=99999999999999999999: exit 2" usage "out of range" quota set cg --rate=99999999999999999999 --burst=1M
ok "quota set two cgroups: exit 2" usage "usage: quota set" quota set a b --rate=1M --burst=1M
ok "quota clear: exit 2" usage "quota clear CGROUP" quota clear
ok "quota show a b: exit 2" usage "unexpected argument" quota show a b
# Well-formed commands get that far, and then say the module is missing.
for c in status "enable --reason=demotion" "disable" "migrator list" "batch set --max-pages=8" \
	"stats" "monitor --count=1" "quota show" "migrator set mtcopy threads=010" \
	"enable --reason=demotion --migrator=dcbm --auto" "enable --auto --reason=all" batch "batch show" \
	"batch set --latency=2ms" "batch set --latency=off" "batch set --latency=0" "batch set --latency=10s" \
	"batch set --latency=500us --max-pages=64" "-j batch"; do
	# shellcheck disable=SC2086
	ok "$c: exit 1, module not loaded" rc 1 "modprobe migrate_offload" $c
done
ok "-j status: exit 1, module not loaded" rc 1 "modprobe migrate_offload" -j status
ok "--help: exit 0" "$bin" --help
if command -v valgrind > /dev/null; then
	for c in "enable --bogus" "migrator set mtcopy threads=1 push=x" "status" "stats --interval=1" \
		"batch set --latency=junk" "batch" "enable --reason=demotion --auto"; do
		# shellcheck disable=SC2086
		ok "valgrind clean: $c" sh -c "valgrind -q --error-exitcode=99 --leak-check=full \
			--errors-for-leak-kinds=all $bin $c > /dev/null 2> $tmp/vg; test \$? != 99 || { cat $tmp/vg; false; }"
	done
fi

# Completion and man page know every command (quota too).
here=$(dirname "$0")/..
for c in status enable disable migrator batch stats monitor config quota; do
	ok "bash completion offers '$c'" sh -c "bash -c '. $here/migoffloadctl.bash-completion; \
COMP_WORDS=(migoffloadctl \"\"); COMP_CWORD=1; _migoffloadctl; printf \"%s\\n\" \"\${COMPREPLY[@]}\"' | grep -qx '$c'"
	ok "man page documents '$c'" grep -Eq "^\.B[IR]? \"?$c( |\"|\$)" "$here/migoffloadctl.8"
done
ok "bash completion: quota subcommands" sh -c "bash -c '. $here/migoffloadctl.bash-completion; \
COMP_WORDS=(migoffloadctl quota \"\"); COMP_CWORD=2; _migoffloadctl; echo \${COMPREPLY[@]}' | grep -q 'set show clear'"
ok "bash completion: batch subcommands" sh -c "bash -c '. $here/migoffloadctl.bash-completion; \
COMP_WORDS=(migoffloadctl batch \"\"); COMP_CWORD=2; _migoffloadctl; echo \${COMPREPLY[@]}' | grep -q 'show set'"
ok "bash completion: batch set --latency=" sh -c "bash -c '. $here/migoffloadctl.bash-completion; \
COMP_WORDS=(migoffloadctl batch set --l); COMP_CWORD=3; _migoffloadctl; echo \${COMPREPLY[@]}' | grep -qx -- '--latency='"
ok "bash completion: batch set --latency= units" sh -c "bash -c '. $here/migoffloadctl.bash-completion; \
COMP_WORDS=(migoffloadctl batch set --latency=); COMP_CWORD=3; _migoffloadctl; echo \${COMPREPLY[@]}' | grep -q -- '--latency=off'"
ok "bash completion: enable --auto" sh -c "bash -c '. $here/migoffloadctl.bash-completion; \
COMP_WORDS=(migoffloadctl enable --a); COMP_CWORD=2; _migoffloadctl; echo \${COMPREPLY[@]}' | grep -qx -- '--auto'"
ok "man page documents --auto and --latency" sh -c "grep -q 'auto' $here/migoffloadctl.8 && grep -q 'latency' $here/migoffloadctl.8"
ok "bash completion: quota set options" sh -c "bash -c '. $here/migoffloadctl.bash-completion; \
COMP_WORDS=(migoffloadctl quota set cg --r); COMP_CWORD=4; _migoffloadctl; echo \${COMPREPLY[@]}' | grep -q -- '--rate= --reason='"

echo "1..$n"
[ $fail = 0 ]
