#!/bin/sh
# migoffloadctl on the host (issue 20): help and per-command --help,
# commands and subcommands by a prefix, -V, monitor's options. None needs
# the device; the checks that need it absent are skipped where it exists.
#   test/cli_help.sh MIGOFFLOADCTL
# Prints TAP; exits 1 if a check failed.
set -u
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$top/tools/tap.sh"
echo "TAP version 13"
cmds="status enable disable migrator batch stats monitor config quota help"

# rc WANT PATTERN ARGS...: exit status WANT, stderr matching PATTERN
# ('' : stderr empty); stdout in $tmp/o.
rc() {
	want=$1 pat=$2; shift 2
	"$bin" "$@" > "$tmp/o" 2> "$tmp/e"
	got=$?
	if [ "$got" != "$want" ]; then
		echo "exit $got (want $want); stderr:"; cat "$tmp/e"; return 1
	fi
	if [ -z "$pat" ]; then
		[ ! -s "$tmp/e" ] || { echo "stderr not empty:"; cat "$tmp/e"; return 1; }
	elif ! grep -q -e "$pat" "$tmp/e"; then
		echo "stderr does not match '$pat':"; cat "$tmp/e"; return 1
	fi
}
# usage PATTERN ARGS...: a usage error (exit 2, the usage hint, device untouched).
usage() {
	pat=$1; shift
	rc 2 "$pat" "$@" && grep -q "^Try 'migoffloadctl --help'" "$tmp/e" && ! grep -q 'cannot open' "$tmp/e"
}
# nodev DESCRIPTION COMMAND...: ok, or a skip where the module is loaded.
nodev() {
	if [ -e /dev/migrate_offload ]; then
		skip "$1: /dev/migrate_offload exists: this check needs the module absent"
	else
		ok "$@"
	fi
}
# same_out ARGS1 -- ARGS2: both exit 0 with the same stdout, nothing on stderr.
same_out() {
	a=""
	while [ "$1" != -- ]; do a="$a $1"; shift; done
	shift
	# shellcheck disable=SC2086
	rc 0 '' $a && cp "$tmp/o" "$tmp/o1" && rc 0 '' "$@" && cmp "$tmp/o1" "$tmp/o" && test -s "$tmp/o"
}

# help, --help, COMMAND --help
ok "help: exit 0, the whole usage on stdout" sh -c "\"$bin\" help > $tmp/h 2> $tmp/he && test ! -s $tmp/he && \
	grep -q '^commands:' $tmp/h && for c in $cmds; do grep -q \"^  \$c \" $tmp/h || { echo \"no \$c\"; exit 1; }; done"
ok "help is --help" same_out help -- --help
ok "--help says how prefixes work" sh -c "\"$bin\" --help | grep -q \"'q sh' is 'quota show'\""
for c in $cmds; do
	ok "$c --help: exit 0, its usage alone on stdout" sh -c "\"$bin\" $c --help > $tmp/c 2> $tmp/ce && test ! -s $tmp/ce && \
		head -1 $tmp/c | grep -qx 'usage: migoffloadctl \[-j|--json\] \[-p|--pretty\] $c \[ARGS\]' && \
		grep -q '^  $c ' $tmp/c && ! grep '^  [a-z]' $tmp/c | grep -v '^  $c '"
	ok "help $c is $c --help" same_out help "$c" -- "$c" --help
done
ok "enable --help names the reasons" sh -c "\"$bin\" enable --help | grep -q 'numa_misplaced, contig_range'"
ok "monitor --help names the events, from the library" sh -c "\"$bin\" monitor --help | tr '\n' ' ' | \
	grep -q 'EVENTS is a comma-separated list of: enable, disable, batch, param, *stats_reset, fallback, quota\.'"
ok "--help wins over what would change the configuration" same_out enable --reason=demotion --migrator=cpu --help -- enable --help
ok "-h after a subcommand: the command's usage" same_out quota show -h -- quota --help
ok "--help after -- is an argument, not help" rc 1 "No such file" config load -- --help
ok "help q: a prefix" same_out help q -- quota --help
ok "help s: ambiguous, exit 2, names both" usage "^migoffloadctl: help: 's' is ambiguous: status, stats\$" help s
ok "help frobnicate: exit 2" usage "unknown command 'frobnicate'" help frobnicate
ok "help quota set: exit 2" usage "help takes one COMMAND" help quota set

# Prefixes: one command or subcommand, or a usage error naming the candidates.
ok "st: ambiguous (status, stats), exit 2" usage "^migoffloadctl: 'st' is ambiguous: status, stats\$" st
ok "m: ambiguous (migrator, monitor), exit 2" usage "'m' is ambiguous: migrator, monitor\$" m
ok "q s: ambiguous (set, show), exit 2" usage "^migoffloadctl: quota: 's' is ambiguous: set, show\$" q s
ok "batch s: ambiguous (show, set), exit 2" usage "^migoffloadctl: batch: 's' is ambiguous: show, set\$" batch s
ok "q sh a b: quota show's own parser" usage "^migoffloadctl: quota: unexpected argument 'b'" q sh a b
ok "q se: quota set's own parser" usage "^migoffloadctl: quota: usage: quota set" q se
ok "q cl: quota clear's own parser" usage "usage: quota clear CGROUP" q cl
ok "ena --reason=bogus: enable, named in full" usage "^migoffloadctl: enable: unknown reason in 'bogus'" ena --reason=bogus
ok "di --migrator=cpu: disable" usage "^migoffloadctl: disable: disable takes no --migrator" di --migrator=cpu
ok "mig se mtcopy threads: migrator set" usage "expected PARAM=VALUE" mig se mtcopy threads
ok "mig l x: migrator list" usage "^migoffloadctl: migrator: unexpected argument 'x'" mig l x
ok "b se: batch set" usage "set needs --max-pages" b se
ok "b sh x: batch show" usage "unexpected argument 'x'" b sh x
ok "c sa --wait=1 f: config save" usage "save takes no --wait" c sa --wait=1 f
ok "c l: config load without a file" usage "usage: config save FILE" c l
ok "mon --count=x: monitor" usage "^migoffloadctl: monitor: --count wants a decimal number" mon --count=x
ok "stat: ambiguous too" usage "'stat' is ambiguous: status, stats" stat
ok "quotas: not a prefix of anything" usage "unknown command 'quotas'" quotas
ok "migrator bogus: exit 2, said once" usage "^migoffloadctl: migrator: unknown subcommand 'bogus' (list or set)\$" migrator bogus
ok "quota bogus: exit 2, said once" usage "^migoffloadctl: quota: unknown subcommand 'bogus' (set, show or clear)\$" quota bogus
nodev "q sh: quota show, then the module is missing" rc 1 "^migoffloadctl: quota: cannot open /dev/migrate_offload.*modprobe" q sh
nodev "stats: a whole name, not ambiguous" rc 1 "^migoffloadctl: stats: cannot open" stats
nodev "statu: status" rc 1 "^migoffloadctl: status: cannot open" statu

# -V: the package's version (VERSION) and the ABI (uapi).
ver=$(cat "$top/VERSION")
abi=$(sed -n 's/^#define MIGOFF_API_VERSION[[:space:]]*\([0-9]*\).*/\1/p' "$top/uapi/linux/migrate_offload.h")
ok "-V: version $ver, ABI $abi" sh -c "\"$bin\" -V > $tmp/v && head -1 $tmp/v | grep -qx 'migoffloadctl $ver (migrate_offload), ABI $abi'"
ok "--version, with a command after it: the same, exit 0" same_out -V -- --version status
nodev "-V without the module: no kernel line, exit 0" sh -c "\"$bin\" -V > $tmp/v && test \$(wc -l < $tmp/v) = 1"
if command -v python3 > /dev/null; then
	ok "-j -V: JSON with version and api_version" sh -c "\"$bin\" -j -V | python3 -c 'import json,sys; \
j=json.load(sys.stdin); assert j[\"version\"] == \"$ver\" and j[\"api_version\"] == $abi, j; \
assert (\"kernel\" in j) == $( [ -e /dev/migrate_offload ] && echo True || echo False ), j'"
else
	skip "-j -V: no python3"
fi

# monitor: -t, --events (names from the library), parsed before the device.
ok "monitor --events=bogus: exit 2, names it" usage "^migoffloadctl: monitor: --events: unknown event 'bogus'" monitor --events=bogus
ok "monitor --events=enable,bogus: exit 2" usage "unknown event 'bogus'" monitor --events=enable,bogus
ok "monitor --events= (empty): exit 2" usage "\-\-events wants a list of events" monitor --events=
ok "monitor --events (no value): exit 2" usage "option '--events' needs a value" monitor --events
ok "monitor --timestamp=1: exit 2" usage "option '--timestamp' takes no value" monitor --timestamp=1
ok "monitor -x: exit 2" usage "unknown option '-x'" monitor -x
for a in "-t" "--timestamp" "--events=enable,disable,batch,param,stats_reset,fallback,quota" "--events=all" \
	"-t --events=quota --count=1" "--events=fallback -t"; do
	# shellcheck disable=SC2086
	nodev "monitor $a: parsed, then the module is missing" rc 1 "^migoffloadctl: monitor: cannot open.*modprobe" monitor $a
done
if command -v valgrind > /dev/null; then
	for c in "help" "help s" "enable --help" "q s" "monitor --events=enable,bogus" "-V" "-j -V"; do
		# shellcheck disable=SC2086
		ok "valgrind clean: $c" sh -c "valgrind -q --error-exitcode=99 --leak-check=full \
			--errors-for-leak-kinds=all \"$bin\" $c > /dev/null 2> $tmp/vg; test \$? -le 2 || { cat $tmp/vg; false; }"
	done
fi
tap_end
