#!/bin/sh
# migoffloadctl on the host: what must be decided before the device is
# opened, and the "module not loaded" case. The checks that need
# /dev/migrate_offload absent (they would change a real configuration
# otherwise) are skipped one by one, with the reason, where it exists.
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

# nodev DESCRIPTION COMMAND...: ok, or a skip where the module is loaded.
nodev() {
	if [ -e /dev/migrate_offload ]; then
		n=$((n + 1))
		echo "ok $n - $1 # SKIP /dev/migrate_offload exists: this check needs the module absent"
	else
		ok "$@"
	fi
}
echo "TAP version 13"

# config load: the whole file is checked before the device is opened.
printf '{"routes": {"demotion": "cpu"},\n "batch": {"max_pages": 4294967296}}\n' > "$tmp/big.json"
ok "config load: out-of-range cap: exit 1, line and path, device untouched" \
	rc 1 "big.json:2: \$.batch.max_pages: 4294967296 is out of range.*nothing changed" config load "$tmp/big.json"
ok "... and the device was never opened" sh -c "! grep -q 'cannot open' $tmp/e"
printf '{"migrators": {"mtcopy": {"params": {"threads": "8"}}}}' > "$tmp/str.json"
ok "config load: a string parameter: exit 1, names it" \
	rc 1 "\$.migrators.mtcopy.params.threads: expected a number or an object with \"value\", got a string" config load "$tmp/str.json"
printf '{"routes": {"demotion": "\\u0001\001"}}' > "$tmp/ctl.json"
ok "config load: raw control character: exit 1, line and column" \
	rc 1 "ctl.json:1: column .*control character" config load "$tmp/ctl.json"
printf '{"routes": {"bogus": "cpu"}}' > "$tmp/bad.json"
ok "config load: unknown reason: exit 1" rc 1 '\$.routes.bogus: unknown reason' config load "$tmp/bad.json"
head -c 1100000 /dev/zero | tr '\0' ' ' > "$tmp/huge.json"
ok "config load: a file over 1 MiB: exit 1" rc 1 "huge.json" config load "$tmp/huge.json"
ok "config load: a missing file: exit 1" rc 1 "No such file" config load "$tmp/nosuch.json"
printf '{"routes": {"demotion": "cpu"}}' > "$tmp/good.json"
nodev "config load: a good file, no module: exit 1, says modprobe" \
	rc 1 "modprobe migrate_offload" config load "$tmp/good.json"
if command -v valgrind > /dev/null; then
	for f in big str ctl; do
		ok "valgrind clean: config load $f.json" sh -c "valgrind -q --error-exitcode=99 \
			--leak-check=full --errors-for-leak-kinds=all $bin config load $tmp/$f.json \
			> /dev/null 2> $tmp/vg; test \$? -le 2 || { cat $tmp/vg; false; }"
	done
fi

# Issue 16: standard input, quotas, unknown keys and --force, --wait.
ok "config load -: reads standard input, names it" sh -c "printf '{\"batch\": {\"max_pages\": -1}}' | \
	$bin config load - 2> $tmp/e; test \$? = 1 && grep -q '<stdin>:1: \$.batch.max_pages: -1 is not a non-negative integer; nothing changed' $tmp/e"
printf '{"routes": {},\n "from_the_future": {"x": 1}}\n' > "$tmp/new.json"
ok "config load: an unknown key: exit 1, names it and its line" \
	rc 1 "new.json:2: \$.from_the_future: unknown key (.*); --force makes it a warning; nothing changed" config load "$tmp/new.json"
ok "config load --force: a warning naming the key and line, then goes on" sh -c "$bin config load --force $tmp/new.json 2> $tmp/e; \
	test \$? != 2 && grep -q '^migoffloadctl: config load: warning: .*new.json:2: \$.from_the_future: unknown key (.*): ignored (--force)\$' $tmp/e && \
	! grep -q 'nothing changed' $tmp/e"
printf '{"quotas": [{"cgroup": "work.slice", "rate": 67108864, "burst": 0}]}' > "$tmp/q0.json"
ok "config load: a quota with burst 0: exit 1, names it" rc 1 "q0.json:1: \$.quotas\[0\].burst: must be > 0" config load "$tmp/q0.json"
printf '{"quotas": [{"cgroup": "a", "rate": 1, "burst": 1},\n {"cgroup": "/sys/fs/cgroup/a", "rate": 2, "burst": 2}]}' > "$tmp/q2.json"
ok "config load: the same cgroup twice: exit 1" rc 1 "q2.json:2: \$.quotas\[1\]: the same cgroup as line 1" config load "$tmp/q2.json"
nodev "config load --wait=1: waits for the device, says so, then fails with the hint" sh -c "start=\$(date +%s); \
	$bin config load --wait=1 $tmp/good.json 2> $tmp/e; rc=\$?; end=\$(date +%s); cat $tmp/e; \
	test \$rc = 1 && test \$((end - start)) -ge 1 && test \$((end - start)) -le 5 && \
	grep -q 'waiting up to 1 s for /dev/migrate_offload' $tmp/e && grep -q 'modprobe migrate_offload' $tmp/e"
printf 'old\n' > "$tmp/keep.json"
nodev "config save FILE without the module: exit 1, FILE untouched" sh -c "$bin config save $tmp/keep.json 2> $tmp/e; \
	test \$? = 1 && grep -q modprobe $tmp/e && test \"\$(cat $tmp/keep.json)\" = old && \
	test \"\$(ls -A $tmp | grep -c keep)\" = 1"
nodev "config save -: exit 1 without the module, nothing on stdout" sh -c "$bin config save - > $tmp/o 2> $tmp/e; \
	test \$? = 1 && test ! -s $tmp/o"
nodev "stats --format=openmetrics: exit 1, module not loaded" rc 1 "modprobe migrate_offload" stats --format=openmetrics
nodev "stats --format=prometheus --output=FILE: exit 1, FILE not created" sh -c "$bin stats --format=prometheus \
	--output=$tmp/m.prom 2> /dev/null; test \$? = 1 && test ! -e $tmp/m.prom"

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
ok "enable --auto=1: exit 2, names the value" usage "^migoffloadctl: enable: .*--auto=1" enable --reason=demotion --auto=1
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
ok "config load a b: exit 2" usage "unexpected argument 'b'" config load a b
ok "config load --wait=x: exit 2" usage "\-\-wait wants a decimal number, got 'x'" config load --wait=x f.json
ok "config load --wait=86401: exit 2" usage "\-\-wait: '86401' is out of range" config load --wait=86401 f.json
ok "config load --wait (no value): exit 2" usage "option '--wait' needs a value" config load f.json --wait
ok "config load --force=1: exit 2" usage "option '--force' takes no value" config load --force=1 f.json
ok "config load --bogus: exit 2" usage "unknown option '--bogus'" config load --bogus f.json
ok "config save --force: exit 2" usage "save takes no --force" config save --force f.json
ok "config save --create-cgroups: exit 2" usage "save takes no --create-cgroups" config save f.json --create-cgroups
ok "config save --wait=1: exit 2" usage "save takes no --wait" config save --wait=1 f.json
ok "config bogus: exit 2" usage "config save FILE" config bogus f.json
ok "stats --format=json: exit 2" usage "\-\-format wants openmetrics or prometheus, got 'json'" stats --format=json
ok "stats --output without --format: exit 2" usage "\-\-output needs \-\-format" stats --output=m.prom
ok "stats --format with --interval: exit 2" usage "no \-\-interval" stats --format=openmetrics --interval=1
ok "-j stats --format: exit 2" usage "two output formats" -j stats --format=prometheus
ok "stats --output= (empty): exit 2" usage "\-\-output wants a file name" stats --format=openmetrics --output=
ok "quota: exit 2" usage "set', 'show' or 'clear'" quota
ok "quota set without --burst: exit 2" usage "needs --rate and --burst" quota set cg --rate=1M
ok "quota set --rate=0: exit 2" usage "size > 0" quota set cg --rate=0 --burst=1M
ok "quota set --rate=0x10: exit 2" usage "size > 0" quota set cg --rate=0x10 --burst=1M
ok "quota set --rate=' -1M': exit 2" usage "size > 0" quota set cg "--rate= -1M" --burst=1M
ok "quota set --rate=99999999999999999999: exit 2" usage "out of range" quota set cg --rate=99999999999999999999 --burst=1M
ok "quota set two cgroups: exit 2" usage "usage: quota set" quota set a b --rate=1M --burst=1M
ok "quota clear: exit 2" usage "quota clear CGROUP" quota clear
ok "quota show a b: exit 2" usage "unexpected argument" quota show a b
# Well-formed commands get that far, and then say the module is missing
# (where it is loaded, they would change the real configuration: skipped).
for c in status "enable --reason=demotion" "disable" "migrator list" "batch set --max-pages=8" \
	"stats" "monitor --count=1" "quota show" "migrator set mtcopy threads=010" \
	"enable --reason=demotion --migrator=dcbm --auto" "enable --auto --reason=all" batch "batch show" \
	"batch set --latency=2ms" "batch set --latency=off" "batch set --latency=0" "batch set --latency=10s" \
	"batch set --latency=500us --max-pages=64" "-j batch"; do
	# shellcheck disable=SC2086
	nodev "$c: exit 1, module not loaded" rc 1 "modprobe migrate_offload" $c
done
nodev "-j status: exit 1, module not loaded" rc 1 "modprobe migrate_offload" -j status
ok "--help: exit 0" "$bin" --help
ok "--help names the new options" sh -c "$bin --help | grep -q 'format=openmetrics|prometheus' && \
	$bin --help | grep -q -- '--wait=S] \[--force\] \[--create-cgroups\]'"
if command -v valgrind > /dev/null; then
	for c in "enable --bogus" "migrator set mtcopy threads=1 push=x" "status" "stats --interval=1" \
		"batch set --latency=junk" "batch" "enable --reason=demotion --auto" \
		"config load --force $tmp/new.json" "stats --format=openmetrics"; do
		case $c in
		status|stats*|batch|"enable --reason"*|"config load"*)
			# shellcheck disable=SC2086
			nodev "valgrind clean: $c" sh -c "valgrind -q --error-exitcode=99 --leak-check=full \
				--errors-for-leak-kinds=all $bin $c > /dev/null 2> $tmp/vg; test \$? -le 2 || { cat $tmp/vg; false; }" ;;
		*)
			# shellcheck disable=SC2086
			ok "valgrind clean: $c" sh -c "valgrind -q --error-exitcode=99 --leak-check=full \
				--errors-for-leak-kinds=all $bin $c > /dev/null 2> $tmp/vg; test \$? -le 2 || { cat $tmp/vg; false; }" ;;
		esac
	done
fi

# The man page knows every command (quota too).
here=$(dirname "$0")/..
for c in status enable disable migrator batch stats monitor config quota; do
	ok "man page documents '$c'" grep -Eq "^\.B[IR]? \"?$c( |\"|\$)" "$here/migoffloadctl.8"
done
ok "man page documents --auto and --latency" sh -c "grep -q 'auto' $here/migoffloadctl.8 && grep -q 'latency' $here/migoffloadctl.8"
ok "man page documents the configuration at boot, quotas and metrics" sh -c "for w in -wait -force -create -cgroups \
	quotas openmetrics prometheus migoffload.service migoffload -metrics.timer /etc/migoffload/config.json; do \
	grep -q -- \"\$w\" $here/migoffloadctl.8 || { echo \"missing: \$w\"; exit 1; }; done"

# Bash completion as a person meets it (issue 19): keys typed into an
# interactive bash on a pty (test/complete-pty.py), which splits the words
# at COMP_WORDBREAKS ('--reason=dem' is '--reason' '=' 'dem') as a
# COMP_WORDS built by hand never does; the real migoffloadctl on PATH, which
# cannot list the migrators without the device. MIGOFFLOADCTL_COMPLETION=FILE
# tests another completion file (an installed one, an old one).
comp=${MIGOFFLOADCTL_COMPLETION:-$here/migoffloadctl.bash-completion}
bindir=$(cd "$(dirname "$bin")" && pwd)
tab=$(printf '\t')
mkdir "$tmp/files" && : > "$tmp/files/metrics.prom"
# completion_is KEYS LINE LISTED [SETUP]: after KEYS (a tab is TAB), the
# command line is LINE and readline listed LISTED (sorted, space-separated).
completion_is() {
	python3 "$here/test/complete-pty.py" -b "$bash" \
		-s "${4:+$4; }PATH='$bindir':\$PATH; . '$comp'" "$1" > "$tmp/c" || return 1
	printf 'line: %s\nlist: %s\n' "$2" "$3" | diff -u - "$tmp/c"
}
# completes DESCRIPTION KEYS LINE [LISTED]: one test, skipped without bash.
completes() {
	if [ -z "$bash" ]; then
		n=$((n + 1)); echo "ok $n - bash completion: $1 # SKIP no bash on PATH"
	else
		ok "bash completion: $1" completion_is "$2" "$3" "${4-}"
	fi
}
bash=$(command -v bash)
mig="cpu dcbm mtcopy"	# this project's migrators: what is offered without the device
if [ -e /dev/migrate_offload ] && names=$("$bin" migrator list --names 2> /dev/null) && [ -n "$names" ]; then
	mig=$(printf '%s\n' "$names" | LC_ALL=C sort | paste -sd ' ')
fi
# The completion's lists are the CLI's: its commands (--help) and events (monitor --help).
ok "the completion's commands are those of --help" sh -c "\
	a=\$(\"$bin\" --help | sed -n 's/^  \([a-z][a-z]*\) .*/\\1/p' | sort -u | paste -sd' '); \
	b=\$(bash -c '. \"\$1\"; printf \"%s\\n\" \$_migoffloadctl_commands' sh \"$comp\" | sort | paste -sd' '); \
	echo \"cli: \$a\"; echo \"completion: \$b\"; test -n \"\$a\" && test \"\$a\" = \"\$b\""
ok "the completion's events are those of monitor --help" sh -c "\
	a=\$(\"$bin\" monitor --help | tr '\n' ' ' | sed 's/.*comma-separated list of: *//; s/\. *\$//; s/[ ,]\{1,\}/\\n/g' | sort | paste -sd' '); \
	b=\$(bash -c '. \"\$1\"; printf \"%s\\n\" \$_migoffloadctl_events' sh \"$comp\" | sort | paste -sd' '); \
	echo \"cli: \$a\"; echo \"completion: \$b\"; test -n \"\$a\" && test \"\$a\" = \"\$b\""
completes "the first word: options and every command" "migoffloadctl $tab$tab" "migoffloadctl " \
	"--help --json --pretty --version -j -p batch config disable enable help migrator monitor quota stats status"
completes "help: every command" "migoffloadctl help $tab$tab" "migoffloadctl help " \
	"batch config disable enable help migrator monitor quota stats status"
completes "help q -> quota" "migoffloadctl help q$tab" "migoffloadctl help quota "
completes "help COMMAND: nothing more" "migoffloadctl help quota $tab$tab" "migoffloadctl help quota " ""
completes "a command after -j" "migoffloadctl -j stat$tab$tab" "migoffloadctl -j stat" "stats status"
completes "a command, completed" "migoffloadctl qu$tab" "migoffloadctl quota "
completes "quota subcommands" "migoffloadctl quota $tab$tab" "migoffloadctl quota " "clear set show"
completes "batch subcommands" "migoffloadctl batch s$tab$tab" "migoffloadctl batch s" "set show"
completes "migrator subcommands" "migoffloadctl migrator $tab$tab" "migoffloadctl migrator " "list set"
completes "config subcommands" "migoffloadctl config $tab$tab" "migoffloadctl config " "load save"
completes "enable --reason=dem -> demotion" "migoffloadctl enable --reason=dem$tab" \
	"migoffloadctl enable --reason=demotion"
completes "enable --reason= lists the reasons and all" "migoffloadctl enable --reason=$tab$tab" \
	"migoffloadctl enable --reason=" \
	"all compaction contig_range damon demotion longterm_pin memory_hotplug mempolicy_mbind numa_misplaced syscall_or_cpuset"
completes "enable --reason=: a comma-separated list" "migoffloadctl enable --reason=demotion,com$tab" \
	"migoffloadctl enable --reason=demotion,compaction"
completes "enable --reason=A,: the reasons not yet listed, not all" "migoffloadctl enable --reason=demotion,co$tab$tab" \
	"migoffloadctl enable --reason=demotion,co" "demotion,compaction demotion,contig_range"
completes "disable --reason=numa" "migoffloadctl disable --reason=numa$tab" "migoffloadctl disable --reason=numa_misplaced"
completes "quota set --reason=" "migoffloadctl quota set cg --rate=1M --reason=lo$tab" \
	"migoffloadctl quota set cg --rate=1M --reason=longterm_pin"
completes "enable --migrator= lists the migrators" "migoffloadctl enable --migrator=$tab$tab" \
	"migoffloadctl enable --migrator=" "$mig"
completes "enable --migrator=cp -> cpu" "migoffloadctl enable --reason=all --migrator=cp$tab" \
	"migoffloadctl enable --reason=all --migrator=cpu "
completes "migrator set: the migrators" "migoffloadctl migrator set $tab$tab" "migoffloadctl migrator set " "$mig"
completes "migrator set mtcopy: its parameters" "migoffloadctl migrator set mtcopy $tab$tab" \
	"migoffloadctl migrator set mtcopy " "push= threads="
completes "enable --auto=: the objectives" "migoffloadctl enable --auto=$tab$tab" "migoffloadctl enable --auto=" "cpu wall"
completes "batch set --latency= values" "migoffloadctl batch set --latency=$tab$tab" \
	"migoffloadctl batch set --latency=" "0 100ms 10ms 1ms 1s 2ms 500us 5ms off"
completes "batch set --latency=o -> off" "migoffloadctl batch set --latency=o$tab" "migoffloadctl batch set --latency=off "
completes "an option name after an --opt=VALUE" "migoffloadctl batch set --max-pages=8 --l$tab" \
	"migoffloadctl batch set --max-pages=8 --latency="
completes "batch set options" "migoffloadctl batch set --m$tab$tab" "migoffloadctl batch set --m" "--max-pages= --min-folios="
completes "enable --a -> --auto" "migoffloadctl enable --reason=demotion --a$tab" \
	"migoffloadctl enable --reason=demotion --auto "
completes "stats options" "migoffloadctl stats --$tab$tab" "migoffloadctl stats --" \
	"--count= --format= --interval= --output= --reset"
completes "stats --format= values" "migoffloadctl stats --format=$tab$tab" "migoffloadctl stats --format=" \
	"openmetrics prometheus"
completes "stats --format=o -> openmetrics" "migoffloadctl stats --format=o$tab" "migoffloadctl stats --format=openmetrics "
completes "stats --output=: a file" "migoffloadctl stats --format=prometheus --output=$tmp/files/m$tab" \
	"migoffloadctl stats --format=prometheus --output=$tmp/files/metrics.prom "
completes "monitor --count=" "migoffloadctl monitor --c$tab" "migoffloadctl monitor --count="
completes "monitor options" "migoffloadctl monitor -$tab$tab" "migoffloadctl monitor -" "--count= --events= --timestamp -t"
completes "monitor --t -> --timestamp" "migoffloadctl monitor --t$tab" "migoffloadctl monitor --timestamp "
completes "monitor --events= lists the events and all" "migoffloadctl monitor -t --events=$tab$tab" \
	"migoffloadctl monitor -t --events=" "all batch disable enable fallback param quota stats_reset"
completes "monitor --events=: a comma-separated list" "migoffloadctl monitor --events=enable,f$tab" \
	"migoffloadctl monitor --events=enable,fallback"
completes "monitor --events=A,: the events not yet listed, not all" "migoffloadctl monitor --events=quota,$tab$tab" \
	"migoffloadctl monitor --events=quota," \
	"quota,batch quota,disable quota,enable quota,fallback quota,param quota,stats_reset"
completes "config load options" "migoffloadctl config load --$tab$tab" "migoffloadctl config load --" \
	"--create-cgroups --force --wait="
completes "config load: a file" "migoffloadctl config load $tmp/files/m$tab" \
	"migoffloadctl config load $tmp/files/metrics.prom "
completes "quota set options" "migoffloadctl quota set cg --r$tab$tab" "migoffloadctl quota set cg --r" "--rate= --reason="
# The same with the bash-completion package loaded, where it is installed
# (the completion needs it not, and must work beside it).
f=/usr/share/bash-completion/bash_completion
if [ -n "$bash" ] && [ -r "$f" ]; then
	bc=". $f && declare -F _init_completion > /dev/null || exit 1"	# or the setup fails
	ok "bash completion beside bash-completion: enable --reason=dem" completion_is \
		"migoffloadctl enable --reason=dem$tab" "migoffloadctl enable --reason=demotion" "" "$bc"
	ok "bash completion beside bash-completion: batch set --latency=1" completion_is \
		"migoffloadctl batch set --latency=1$tab$tab" "migoffloadctl batch set --latency=1" "100ms 10ms 1ms 1s" "$bc"
	ok "bash completion beside bash-completion: enable --migrator=" completion_is \
		"migoffloadctl enable --migrator=$tab$tab" "migoffloadctl enable --migrator=" "$mig" "$bc"
fi

echo "1..$n"
[ $fail = 0 ]
