#!/bin/sh
# migoffloadctl against the real device, in the VM: every command, JSON read
# back with python3, config save/load round trip, monitor seeing an event,
# exit codes for bad usage and for an unprivileged user, and valgrind.
#
#   selftests/cli_test.sh BINDIR MOVE_BENCH
# Prints TAP and a kselftest "# Totals" line.
set -u
bin=$1/migoffloadctl bench=$2
tmp=$(mktemp -d)
# nobody runs a copy of its own: the checkout may be in a 0700 home
# directory (Debian 12's default; /root too), which the guest sees with the
# host's modes over 9p.
nbin=$(mktemp -d /tmp/migoff-cli.XXXXXX)
cp "$bin" "$nbin/migoffloadctl"
chmod 755 "$nbin" "$nbin/migoffloadctl"
n=0 pass=0 fail=0
# The schema of every -j output and its validator (issue 20), from the
# source tree, as migoffload-bench below: nothing to build or copy.
src=$(cd "$(dirname "$0")/.." && pwd)
schema=$src/doc/migoffloadctl.schema.json
vj="python3 -B $src/tools/migoffloadctl/test/validate_json.py"

ok() {	# ok DESCRIPTION COMMAND...
	desc=$1; shift
	n=$((n + 1))
	if "$@" > "$tmp/out" 2> "$tmp/err"; then
		pass=$((pass + 1)); echo "ok $n - $desc"
	else
		fail=$((fail + 1)); echo "not ok $n - $desc"
		sed 's/^/# /' "$tmp/out" "$tmp/err" | head -20
	fi
}

# valid DEF [OPTIONS] -- ARGS...: migoffloadctl ARGS exits 0 and what it
# prints is valid against the schema's DEF (OPTIONS: --lines, --count=N).
valid() {
	def=$1 opts=
	shift
	while [ "$1" != -- ]; do opts="$opts $1"; shift; done
	shift
	$bin "$@" > $tmp/v.json 2> $tmp/v.err || { echo "exit $?"; cat $tmp/v.err; return 1; }
	# shellcheck disable=SC2086
	$vj $opts $schema $def $tmp/v.json
}

$bin disable >/dev/null 2>&1
# Earlier suites of the same boot leave counts behind.
$bin stats --reset >/dev/null 2>&1
echo "TAP version 13"

ok "status prints every reason" sh -c "$bin status > $tmp/st.txt && for r in compaction memory_hotplug \
	syscall_or_cpuset mempolicy_mbind numa_misplaced contig_range longterm_pin demotion damon; do \
	grep -q \"^\$r \" $tmp/st.txt || { echo \"missing \$r\"; exit 1; }; done"
ok "status -j is JSON with api_version 1" sh -c "$bin -j status > $tmp/s.json && \
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j[\"api_version\"] == 1' $tmp/s.json"

ok "enable --reason=demotion --migrator=dcbm" $bin enable --reason=demotion --migrator=dcbm
ok "status -j shows demotion on dcbm" sh -c "$bin -j status > $tmp/s.json && \
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); r=j[\"routes\"]; \
assert r[\"demotion\"] == \"dcbm\" and r[\"compaction\"] is None, r' $tmp/s.json"
ok "enable without a migrator uses cpu" sh -c "$bin enable --reason=compaction && \
	$bin -j status | python3 -c 'import json,sys; assert json.load(sys.stdin)[\"routes\"][\"compaction\"] == \"cpu\"'"
ok "unknown reason: exit 2, says so" sh -c "$bin enable --reason=bogus 2>$tmp/e; test \$? = 2 && grep -q 'unknown reason' $tmp/e"
ok "enable without --reason: exit 2" sh -c "$bin enable; test \$? = 2"
ok "unknown migrator: exit 1, names it" sh -c "$bin enable --reason=demotion --migrator=nosuch 2>$tmp/e; \
	test \$? = 1 && grep -q \"no migrator 'nosuch'\" $tmp/e"
ok "unknown command: exit 2" sh -c "$bin frobnicate 2>/dev/null; test \$? = 2"
ok "unknown option after the command: exit 2, a clean message" sh -c "$bin enable --bogus 2>$tmp/e; test \$? = 2 && \
	grep -qx \"migoffloadctl: enable: unknown option '--bogus'\" $tmp/e"

ok "migrator list -j names cpu, mtcopy, dcbm" sh -c "$bin -j migrator list > $tmp/m.json && \
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); n=sorted(m[\"name\"] for m in j); \
assert n == [\"cpu\", \"dcbm\", \"mtcopy\"], n' $tmp/m.json"
ok "migrator list (table)" sh -c "$bin migrator list | grep -q '^mtcopy  *threads'"
ok "migrator set mtcopy threads=2 push=1" $bin migrator set mtcopy threads=2 push=1
ok "migrator list -j shows threads=2" sh -c "$bin -j migrator list | python3 -c 'import json,sys; \
m=[x for x in json.load(sys.stdin) if x[\"name\"] == \"mtcopy\"][0]; \
assert m[\"params\"][\"threads\"][\"value\"] == 2 and m[\"params\"][\"push\"][\"value\"] == 1, m'"
ok "migrator set out of range: exit 1, ERANGE hint" sh -c "$bin migrator set mtcopy threads=0 2>$tmp/e; test \$? = 1 && grep -q 'Numerical result out of range' $tmp/e"
ok "migrator set bad syntax: exit 2" sh -c "$bin migrator set mtcopy threads 2>/dev/null; test \$? = 2"
ok "migrator set unknown param: exit 1" sh -c "$bin migrator set mtcopy nosuch=1 2>/dev/null; test \$? = 1"

ok "batch set --max-pages=1024 --min-folios=4" $bin batch set --max-pages=1024 --min-folios=4
ok "status -j shows the caps" sh -c "$bin -j status | python3 -c 'import json,sys; b=json.load(sys.stdin)[\"batch\"]; \
assert b == {\"max_pages\": 1024, \"min_folios\": 4, \"latency_us\": 0}, b'"
ok "batch set out of range: exit 1" sh -c "$bin batch set --max-pages=999999999 2>/dev/null; test \$? = 1"
ok "batch set with nothing: exit 2" sh -c "$bin batch set 2>/dev/null; test \$? = 2"
$bin batch set --max-pages=0 --min-folios=0

# Statistics after a real migration through the cpu migrator.
ok "route syscall to cpu, migrate" sh -c "$bin enable --reason=syscall && $bench --sizes=4K --total=8 --runs=1 >/dev/null"
ok "stats -j counts the syscall folios" sh -c "$bin -j stats > $tmp/st.json && python3 -c 'import json,sys; \
j=json.load(open(sys.argv[1])); r=j[\"reasons\"][\"syscall_or_cpuset\"]; \
assert r[\"folios\"] == 4096 and r[\"bytes\"] == 4096*4096, r; \
assert j[\"migrators\"][\"cpu\"][\"folios\"] == 4096' $tmp/st.json"
ok "stats (table)" sh -c "$bin stats | grep -q '^  syscall_or_cpuset'"
ok "stats --interval=1 --count=2 -j: two JSON lines of rates" sh -c "$bin -j stats --interval=1 --count=2 > $tmp/rates && \
	test \$(wc -l < $tmp/rates) = 2 && python3 -c 'import json,sys; \
[json.loads(l)[\"reasons\"][\"demotion\"][\"folios_per_s\"] for l in open(sys.argv[1])]' $tmp/rates"
ok "stats --reset zeroes the counters" sh -c "$bin stats --reset >/dev/null && $bin -j stats | python3 -c 'import json,sys; \
assert json.load(sys.stdin)[\"reasons\"][\"syscall_or_cpuset\"][\"folios\"] == 0'"
ok "stats --count without --interval: exit 2" sh -c "$bin stats --count=2 2>/dev/null; test \$? = 2"
# Rates across a reset: a counter that went back counts from zero (issue 9.3).
$bench --sizes=4K --total=8 --runs=1 >/dev/null
$bin -j stats --interval=2 --count=1 > $tmp/rr &
spid=$!
sleep 1
$bin stats --reset > /dev/null
wait $spid
ok "stats --interval across a reset: no wrapped rates" python3 -c "import json,sys; \
j=json.loads(open(sys.argv[1]).readline()); assert 1.5 < j['interval_s'] < 10, j; \
bad=[(k, n, v) for k in ('reasons', 'migrators') for n, e in j[k].items() for v in e.values() if not 0 <= v < 1e12]; \
assert not bad, bad" $tmp/rr

# monitor sees the event that enable causes.
$bin -j monitor --count=2 > $tmp/mon 2>$tmp/mon.err &
mpid=$!
sleep 1
$bin enable --reason=numa_misplaced --migrator=mtcopy
$bin migrator set dcbm channels=2
wait $mpid
ok "monitor: enable event as a JSON line" python3 -c "import json,sys; \
e=[json.loads(l) for l in open(sys.argv[1])]; \
assert e[0]['event'] == 'enable' and e[0]['reasons'] == ['numa_misplaced'] and e[0]['migrator'] == 'mtcopy', e; \
assert e[1]['event'] == 'param' and e[1]['param'] == 'channels' and e[1]['value'] == 2, e" $tmp/mon

# Without -j, monitor prints one line of text per event (issue 9.3).
$bin monitor --count=2 > $tmp/tmon 2>$tmp/tmon.err &
mpid=$!
sleep 1
$bin enable --reason=damon --migrator=cpu
$bin batch set --min-folios=3
wait $mpid
ok "monitor (text): one line per event" sh -c "cat $tmp/tmon; test \$(wc -l < $tmp/tmon) = 2 && \
	grep -qx 'enable damon migrator cpu' $tmp/tmon && grep -qx 'batch max_pages [0-9]* min_folios 3 latency_us 0' $tmp/tmon"
$bin disable --reason=damon
$bin batch set --min-folios=0
# monitor goes on after losing events (ENOBUFS), as 'ip monitor' does.
$bin monitor > $tmp/lmon 2>$tmp/lmon.err &
mpid=$!
sleep 1
kill -STOP $mpid
# Far more events than the socket buffer holds, quickly: SET_BATCH ioctls
# (_IOW(0xBB, 6, 32 bytes)) from one process.
python3 -c '
import fcntl, os, struct
fd = os.open("/dev/migrate_offload", os.O_RDWR)
cmd = (1 << 30) | (32 << 16) | (0xBB << 8) | 6
for i in range(4000):
    fcntl.ioctl(fd, cmd, struct.pack("=IIIIQQ", 32, 2, 0, i % 7 + 1, 0, 0))
'
kill -CONT $mpid
sleep 2
$bin migrator set mtcopy threads=7
sleep 2
kill -INT $mpid
wait $mpid
mrc=$?
ok "monitor: events lost, it says so on stderr and goes on" sh -c "cat $tmp/lmon.err; test $mrc = 0 && \
	grep -q 'events lost' $tmp/lmon.err && grep -qx 'param mtcopy threads 7' $tmp/lmon"
$bin batch set --min-folios=0
$bin migrator set mtcopy threads=2

# Numbers are decimal and exact (issue 9.3).
ok "migrator set mtcopy threads=010 sets ten, not eight" sh -c "$bin migrator set mtcopy threads=010 && \
	$bin -j migrator list | python3 -c 'import json,sys; \
m=[x for x in json.load(sys.stdin) if x[\"name\"] == \"mtcopy\"][0]; assert m[\"params\"][\"threads\"][\"value\"] == 10, m'"
ok "migrator set mtcopy threads=' -1': exit 2, unchanged" sh -c "$bin migrator set mtcopy 'threads= -1' 2>/dev/null; test \$? = 2 && \
	$bin -j migrator list | python3 -c 'import json,sys; \
m=[x for x in json.load(sys.stdin) if x[\"name\"] == \"mtcopy\"][0]; assert m[\"params\"][\"threads\"][\"value\"] == 10, m'"
$bin migrator set mtcopy threads=2

# config save, change everything, load, compare.
$bin migrator set mtcopy threads=1 push=0
ok "config save" $bin config save $tmp/cfg.json
$bin disable
$bin migrator set mtcopy threads=2
$bin batch set --max-pages=64
ok "config load" $bin config load $tmp/cfg.json
ok "config round trip: status -j equals the saved file" sh -c "$bin -j status > $tmp/after.json && python3 -c 'import json,sys; \
a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); assert a == b, (a, b)' $tmp/cfg.json $tmp/after.json"
echo '{"routes": {"bogus": "cpu"}}' > $tmp/bad.json
ok "config load of a bad file: exit 1, changes nothing" sh -c "$bin config load $tmp/bad.json 2>/dev/null; test \$? = 1 && \
	$bin -j status > $tmp/after2.json && cmp -s $tmp/after.json $tmp/after2.json"
ok "config load of a missing file: exit 1" sh -c "$bin config load $tmp/nosuch.json 2>/dev/null; test \$? = 1"
# A file is validated and resolved whole before anything changes (issue 9.1).
load_refused() {	# load_refused FILE PATTERN: exit 1, stderr matches, nothing changed
	$bin -j status > $tmp/before.json
	$bin config load "$1" 2> $tmp/e; rc=$?
	$bin -j status > $tmp/now.json
	cat $tmp/e
	test $rc = 1 && cmp -s $tmp/before.json $tmp/now.json && grep -q 'nothing changed' $tmp/e &&
		grep -q -e "$2" $tmp/e
}
printf '{"batch": {"max_pages": 64, "min_folios": 2},\n "migrators": {"mtcopy": {"params": {"threads": 3}}},\n "routes": {"demotion": "cpu", "damon": "nosuch"}}\n' > $tmp/late.json
ok "config load: bad route after good caps and params: exit 1, nothing changed, names it" \
	load_refused $tmp/late.json 'late.json:3: \$.routes.damon: no migrator'
printf '{"migrators": {"mtcopy": {"params": {"threads": 4096}}}, "routes": {"demotion": "cpu"}}' > $tmp/range.json
ok "config load: parameter out of range: exit 1, nothing changed" \
	load_refused $tmp/range.json 'params.threads: 4096 is out of range'
for v in 4294967296 1e400 0.5 -1 '"8"' '{}'; do
	printf '{"batch": {"min_folios": %s}, "routes": {"demotion": "cpu"}}' "$v" > $tmp/num.json
	ok "config load: min_folios $v: exit 1, nothing changed" load_refused $tmp/num.json '\$.batch.min_folios'
done
$bin enable --reason=demotion --migrator=mtcopy
printf '{"migrators": {"mtcopy": {"params": {"threads": 3}}}}' > $tmp/part.json
ok "config load: a file without routes keeps the routes, changes only threads" sh -c "$bin config load $tmp/part.json && \
	$bin -j status | python3 -c 'import json,sys; j=json.load(sys.stdin); \
assert j[\"routes\"][\"demotion\"] == \"mtcopy\", j; \
m=[m for m in j[\"migrators\"] if m[\"name\"] == \"mtcopy\"][0]; assert m[\"params\"][\"threads\"][\"value\"] == 3, j'"
priv=$(mktemp /tmp/migoff-priv.XXXXXX)	# readable by nobody, unlike $tmp
chmod 644 $priv
printf '{"batch": {"max_pages": 128}, "routes": {"demotion": null, "compaction": "cpu"}}' > $priv
ok "config load as nobody: exit 1, EPERM, needs root, nothing changed" sh -c "$bin -j status > $tmp/b.json; \
	setpriv --reuid=65534 --regid=65534 --clear-groups $nbin/migoffloadctl config load $priv 2>$tmp/e; rc=\$?; cat $tmp/e; \
	$bin -j status > $tmp/a.json; test \$rc = 1 && cmp -s $tmp/a.json $tmp/b.json && \
	grep -q 'Operation not permitted: needs root' $tmp/e && grep -q 'nothing changed' $tmp/e"
rm -f $priv
printf '{"routes": {"demotion": "\\u0063pu"}}' > $tmp/esc.json
ok "config load: an escaped migrator name routes like the plain one" sh -c "$bin config load $tmp/esc.json && \
	$bin -j status | python3 -c 'import json,sys; assert json.load(sys.stdin)[\"routes\"][\"demotion\"] == \"cpu\"'"
$bin config load $tmp/cfg.json

# Issue 10: automatic routing and the first-folio latency target.
ok "enable --reason=demotion --migrator=mtcopy --auto" $bin enable --reason=demotion --migrator=mtcopy --auto
ok "status marks demotion (auto)" sh -c "$bin status > $tmp/st.txt && grep -qx 'demotion  *mtcopy (auto)' $tmp/st.txt && \
	! grep -q '^compaction .*(auto)' $tmp/st.txt"
ok "status -j: auto_reasons is [demotion], the route mtcopy" sh -c "$bin -j status | python3 -c 'import json,sys; j=json.load(sys.stdin); \
assert j[\"auto_reasons\"] == [\"demotion\"] and j[\"routes\"][\"demotion\"] == \"mtcopy\", j'"
ok "enable without --auto: demotion stops being automatic" sh -c "$bin enable --reason=demotion --migrator=mtcopy && \
	$bin -j status | python3 -c 'import json,sys; j=json.load(sys.stdin); \
assert j[\"auto_reasons\"] == [] and j[\"routes\"][\"demotion\"] == \"mtcopy\", j'"
ok "disable --auto: exit 2" sh -c "$bin disable --auto 2>/dev/null; test \$? = 2"
ok "enable --auto=1: exit 2" sh -c "$bin enable --reason=demotion --auto=1 2>/dev/null; test \$? = 2"
ok "batch set --latency=2ms" $bin batch set --latency=2ms
ok "batch shows 2000 us" sh -c "$bin batch > $tmp/b.txt && grep -qx 'latency  *2000 us' $tmp/b.txt && grep -q '^effective_pages  *[1-9]' $tmp/b.txt"
ok "batch -j: latency_us 2000, 0 < effective_pages <= max_pages" sh -c "$bin -j batch | python3 -c 'import json,sys; b=json.load(sys.stdin); \
assert sorted(b) == [\"effective_pages\", \"latency_us\", \"max_pages\", \"min_folios\"], b; \
assert b[\"latency_us\"] == 2000 and 0 < b[\"effective_pages\"] <= b[\"max_pages\"], b'"
ok "status -j: batch latency_us 2000" sh -c "$bin -j status | python3 -c 'import json,sys; \
assert json.load(sys.stdin)[\"batch\"][\"latency_us\"] == 2000'"
ok "batch set --latency=500us --max-pages=256: both in one call" sh -c "$bin batch set --latency=500us --max-pages=256 && \
	$bin -j batch | python3 -c 'import json,sys; b=json.load(sys.stdin); \
assert b[\"latency_us\"] == 500 and b[\"max_pages\"] == 256 and b[\"effective_pages\"] <= 256, b'"
ok "batch set --latency=11s: exit 2, unchanged" sh -c "$bin batch set --latency=11s 2>$tmp/e; test \$? = 2 && grep -q 'out of range' $tmp/e && \
	$bin -j batch | python3 -c 'import json,sys; assert json.load(sys.stdin)[\"latency_us\"] == 500'"
ok "batch set --latency=junk: exit 2" sh -c "$bin batch set --latency=junk 2>/dev/null; test \$? = 2"
ok "batch set --latency=10s: the maximum" sh -c "$bin batch set --latency=10s && \
	$bin -j batch | python3 -c 'import json,sys; assert json.load(sys.stdin)[\"latency_us\"] == 10000000'"
ok "batch set --latency=off --max-pages=0: no target, effective cap = max_pages" sh -c "$bin batch set --latency=off --max-pages=0 && \
	$bin -j batch | python3 -c 'import json,sys; b=json.load(sys.stdin); \
assert b[\"latency_us\"] == 0 and b[\"effective_pages\"] == b[\"max_pages\"], b' && $bin batch | grep -qx 'latency  *off'"
ok "as nobody: batch works, batch set --latency fails with 'needs root'" sh -c "setpriv --reuid=65534 --regid=65534 --clear-groups \
	$nbin/migoffloadctl batch > /dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups $nbin/migoffloadctl batch set --latency=1ms 2>$tmp/e; \
	test \$? = 1 && grep -q 'needs root' $tmp/e"
# monitor: the auto flag of an enable, the latency of a batch change.
$bin -j monitor --count=3 > $tmp/amon 2>$tmp/amon.err &
mpid=$!
sleep 1
$bin enable --reason=demotion --migrator=mtcopy --auto
$bin enable --reason=damon --migrator=cpu
$bin batch set --latency=2ms
wait $mpid
ok "monitor -j: enable auto true/false, batch latency_us 2000" python3 -c "import json,sys; \
e=[json.loads(l) for l in open(sys.argv[1])]; \
assert e[0]['event'] == 'enable' and e[0]['reasons'] == ['demotion'] and e[0]['auto'] is True, e; \
assert e[1]['event'] == 'enable' and e[1]['auto'] is False, e; \
assert e[2]['event'] == 'batch' and e[2]['latency_us'] == 2000, e" $tmp/amon
$bin monitor --count=2 > $tmp/atmon 2>$tmp/atmon.err &
mpid=$!
sleep 1
$bin enable --reason=damon --migrator=mtcopy --auto
$bin batch set --latency=3ms
wait $mpid
ok "monitor (text): 'auto' and latency_us" sh -c "cat $tmp/atmon; grep -qx 'enable damon migrator mtcopy auto' $tmp/atmon && \
	grep -qx 'batch max_pages [0-9]* min_folios [0-9]* latency_us 3000' $tmp/atmon"
$bin disable --reason=damon
# config round trip with an automatic route and a latency target.
ok "config save (auto route, latency target)" $bin config save $tmp/acfg.json
ok "config save: the file has auto_reasons and latency_us" python3 -c "import json,sys; j=json.load(open(sys.argv[1])); \
assert j['auto_reasons'] == ['demotion'] and j['batch']['latency_us'] == 3000, j" $tmp/acfg.json
$bin enable --reason=demotion --migrator=cpu
$bin batch set --latency=off
ok "config load restores the auto route and the latency" sh -c "$bin config load $tmp/acfg.json && $bin -j status > $tmp/aafter.json && \
	python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); assert a == b, (a, b)' $tmp/acfg.json $tmp/aafter.json"
printf '{"routes": {"demotion": "mtcopy"}, "auto_reasons": ["demotion", "compaction"]}' > $tmp/anoroute.json
ok "config load: an auto reason without a route: exit 1, nothing changed" load_refused $tmp/anoroute.json \
	'\$.auto_reasons: compaction: an automatic route needs a migrator'
printf '{"batch": {"latency_us": 10000001}, "routes": {"demotion": "cpu"}}' > $tmp/alat.json
ok "config load: latency_us over 10 s: exit 1, nothing changed" load_refused $tmp/alat.json '\$.batch.latency_us: 10000001 is out of range'
printf '{"routes": {"demotion": "mtcopy"}}' > $tmp/aold.json
ok "config load: a file without auto_reasons routes without --auto" sh -c "$bin config load $tmp/aold.json && \
	$bin -j status | python3 -c 'import json,sys; j=json.load(sys.stdin); assert j[\"auto_reasons\"] == [], j'"
# Statistics of an automatic route after a real migration.
$bin batch set --latency=off
$bin enable --reason=syscall --migrator=mtcopy --auto
$bin stats --reset > /dev/null
$bench --sizes=4K --total=8 --runs=1 >/dev/null
ok "stats -j: auto classes of syscall_or_cpuset, auto fallbacks counted" sh -c "$bin -j stats > $tmp/ast.json && python3 -c 'import json,sys; \
j=json.load(open(sys.argv[1])); r=j[\"reasons\"][\"syscall_or_cpuset\"]; a=j[\"auto\"][\"syscall_or_cpuset\"]; \
assert \"auto\" in r[\"fallbacks\"], r; \
assert len(a) == 4 and [c[\"min_pages\"] for c in a] == sorted(c[\"min_pages\"] for c in a) and a[0][\"min_pages\"] == 1, a; \
keys = {\"min_pages\", \"migrator_ns_per_mib\", \"cpu_ns_per_mib\", \"cheaper\", \"batches_migrator\", \"batches_cpu\", \"batches_probe\"}; \
assert all(set(c) == keys for c in a), a; \
cpu = sum(c[\"batches_cpu\"] for c in a); mig = sum(c[\"batches_migrator\"] for c in a); \
assert mig + cpu > 0, a; assert a[0][\"batches_migrator\"] + a[0][\"batches_cpu\"] > 0, a; \
assert (cpu > 0) == (r[\"fallbacks\"][\"auto\"] > 0), (a, r); \
assert r[\"folios\"] + r[\"fallbacks\"][\"auto\"] == 4096, r; \
assert \"demotion\" not in j[\"auto\"], j[\"auto\"]' $tmp/ast.json"
ok "schema: -j stats with auto classes: valid against stats" valid stats -- -j stats
ok "schema: -j stats --interval=1 --count=1 with auto classes: valid against stats_interval" \
	valid stats_interval --lines --count=1 -- -j stats --interval=1 --count=1
ok "stats (table): auto column and the size class table" sh -c "$bin stats > $tmp/ast.txt && grep -q ' too_small  *auto  *busy\$' $tmp/ast.txt && \
	grep -q '^auto: ' $tmp/ast.txt && test \$(grep -c '^  syscall_or_cpuset  *[0-9]*[KMG] ' $tmp/ast.txt) = 4"
ok "stats --interval=1 --count=1 -j: auto classes with batch rates" sh -c "$bin -j stats --interval=1 --count=1 | python3 -c 'import json,sys; \
a=json.load(sys.stdin)[\"auto\"][\"syscall_or_cpuset\"]; assert len(a) == 4 and all(\"batches_cpu_per_s\" in c for c in a), a'"
ok "stats --reset forgets the estimates and the batch counts" sh -c "$bin -j stats | python3 -c 'import json,sys; \
a=json.load(sys.stdin)[\"auto\"][\"syscall_or_cpuset\"]; \
assert any(c[\"migrator_ns_per_mib\"] or c[\"cpu_ns_per_mib\"] for c in a), a' && \
	$bin stats --reset > /dev/null && $bin -j stats | python3 -c 'import json,sys; \
a=json.load(sys.stdin)[\"auto\"][\"syscall_or_cpuset\"]; \
assert all(c[\"batches_migrator\"] == c[\"batches_cpu\"] == c[\"batches_probe\"] == 0 for c in a), a; \
assert not any(c[\"migrator_ns_per_mib\"] or c[\"cpu_ns_per_mib\"] for c in a), a'"
ok "a reason routed without --auto has no auto entries in the dump" sh -c "$bin enable --reason=syscall --migrator=mtcopy && \
	$bin -j stats | python3 -c 'import json,sys; assert \"syscall_or_cpuset\" not in json.load(sys.stdin).get(\"auto\", {})'"
for args in "batch" "-j batch" "-j stats" "stats" "enable --reason=demotion --migrator=mtcopy --auto" "batch set --latency=1ms"; do
	ok "valgrind clean: $args" sh -c "valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=all \
		$bin $args >/dev/null 2>$tmp/vg; test \$? -le 2 || { cat $tmp/vg; false; }"
done
$bin batch set --latency=off
$bin disable
$bin config load $tmp/cfg.json

# Quotas: set, show (table and JSON), clear; bad usage.
mkdir -p /sys/fs/cgroup/migoff-cli
$bin -j monitor --count=1 > $tmp/qmon 2>&1 &
mpid=$!
sleep 1
ok "quota set migoff-cli --rate=64M --burst=4M --reason=demotion" \
	$bin quota set migoff-cli --rate=64M --burst=4M --reason=demotion
wait $mpid
ok "monitor: quota event" python3 -c "import json,sys; e=json.loads(open(sys.argv[1]).readline()); \
assert e['event'] == 'quota' and e['rate_bytes_per_s'] == 64 << 20 and e['reasons'] == ['demotion'] and \
e['path'] == 'migoff-cli', e" $tmp/qmon
ok "quota show -j lists it" sh -c "$bin -j quota show > $tmp/q.json && python3 -c 'import json,sys; \
q=json.load(open(sys.argv[1])); assert len(q) == 1 and q[0][\"rate_bytes_per_s\"] == 64 << 20 and \
q[0][\"burst_bytes\"] == 4 << 20 and q[0][\"reasons\"] == [\"demotion\"] and q[0][\"path\"] == \"migoff-cli\", q' $tmp/q.json"
ok "quota show CGROUP (table), with its path" sh -c "$bin quota show /sys/fs/cgroup/migoff-cli | grep -q ' 67108864 .* migoff-cli\$'"
ok "stats -j reports the cgroup" sh -c "$bin -j stats | python3 -c 'import json,sys; \
c=json.load(sys.stdin)[\"cgroups\"]; assert len(c) == 1 and c[0][\"rate_bytes_per_s\"] == 64 << 20 and c[0][\"path\"] == \"migoff-cli\", c'"
ok "quota set without --burst: exit 2" sh -c "$bin quota set migoff-cli --rate=1M 2>/dev/null; test \$? = 2"
ok "quota set --rate=0: exit 2" sh -c "$bin quota set migoff-cli --rate=0 --burst=1M 2>/dev/null; test \$? = 2"
ok "quota set on a non-cgroup: exit 1, says what to give" sh -c "$bin quota set /tmp --rate=1M --burst=1M 2>$tmp/e; \
	test \$? = 1 && grep -q 'cgroup v2 directory' $tmp/e"
# Every quota'd cgroup is in stats, not only the first 64 entries (issue 9.3).
i=1
while [ $i -lt 64 ]; do
	mkdir -p /sys/fs/cgroup/migoff-q$i
	$bin quota set migoff-q$i --rate=$((i))M --burst=1M
	i=$((i + 1))
done
ok "stats -j reports all 64 quota'd cgroups" sh -c "$bin -j stats | python3 -c 'import json,sys; \
c=json.load(sys.stdin)[\"cgroups\"]; assert len(c) == 64, len(c); \
assert sorted(q[\"rate_bytes_per_s\"] for q in c) == sorted([64 << 20] + [i << 20 for i in range(1, 64)])'"
ok "stats (table) lists 64 cgroups" sh -c "test \$($bin stats | sed -n '/^cgroup quota:/,\$p' | tail -n +2 | wc -l) = 64"
ok "stats --interval=1 --count=1 -j: rates for 64 cgroups" sh -c "$bin -j stats --interval=1 --count=1 | python3 -c 'import json,sys; \
c=json.load(sys.stdin)[\"cgroups\"]; assert len(c) == 64 and all(\"bytes_offloaded_per_s\" in q for q in c), c'"
# Every -j output against the schema (issue 20), with 64 quotas set.
for spec in "status:-j status" "status:-j -p status" "config:config save -" "migrator_list:-j migrator list" \
	"batch_show:-j batch show" "quota_show:-j quota show" "quota_show:-j quota show /sys/fs/cgroup/migoff-cli" \
	"stats:-j stats" "stats:-j -p stats" "version:-j -V"; do
	def=${spec%%:*} args=${spec#*:}
	# shellcheck disable=SC2086
	ok "schema: $args: valid against $def" valid $def -- $args
done
ok "schema: -j -p stats --interval=1 --count=2: two lines, each valid against stats_interval" \
	valid stats_interval --lines --count=2 -- -j -p stats --interval=1 --count=2
ok "schema: the migrators of status -j are those of migrator list -j" sh -c "$bin -j status > $tmp/s1 && \
	$bin -j migrator list > $tmp/m1 && python3 -c 'import json,sys; \
a=json.load(open(sys.argv[1]))[\"migrators\"]; b=json.load(open(sys.argv[2])); assert a == b, (a, b)' $tmp/s1 $tmp/m1"
# monitor -j: an event of each type a command makes, one a line (the caps
# and mtcopy's threads put back after).
caps=$($bin -j batch show | python3 -c 'import json,sys; print(json.load(sys.stdin)["min_folios"])')
thr=$($bin -j migrator list | python3 -c 'import json,sys; \
print([m for m in json.load(sys.stdin) if m["name"] == "mtcopy"][0]["params"]["threads"]["value"])')
timeout 30 $bin -j -p monitor --count=7 > $tmp/vmon 2> $tmp/vmon.err &
mpid=$!
sleep 1
$bin enable --reason=damon --migrator=mtcopy --auto
$bin disable --reason=damon
$bin batch set --min-folios=2
$bin migrator set mtcopy threads=3
$bin stats --reset > /dev/null
$bin quota clear migoff-q1
$bin quota set migoff-q1 --rate=1M --burst=1M
wait $mpid
ok "schema: -j -p monitor: 7 events, one a line, each valid against monitor" sh -c "cat $tmp/vmon.err; \
	$vj --lines --count=7 $schema monitor $tmp/vmon"
ok "schema: ... the events of enable, disable, batch, param, stats --reset, quota clear and set" python3 -c "import json,sys; \
e=[json.loads(l) for l in open(sys.argv[1])]; \
assert [x['event'] for x in e] == ['enable', 'disable', 'batch', 'param', 'stats_reset', 'quota', 'quota'], e; \
assert e[0]['auto'] is True and e[5]['rate_bytes_per_s'] == 0 and e[6]['path'] == 'migoff-q1', e" $tmp/vmon
$bin batch set --min-folios=$caps
$bin migrator set mtcopy threads=$thr
i=1
while [ $i -lt 64 ]; do
	$bin quota clear migoff-q$i
	rmdir /sys/fs/cgroup/migoff-q$i
	i=$((i + 1))
done
ok "quota clear" $bin quota clear migoff-cli
ok "quota clear again: exit 1, no quota" sh -c "$bin quota clear migoff-cli 2>$tmp/e; test \$? = 1 && grep -q 'has no quota' $tmp/e"
rmdir /sys/fs/cgroup/migoff-cli

# An unprivileged user reads but cannot change anything.
ok "as nobody: status works" setpriv --reuid=65534 --regid=65534 --clear-groups $nbin/migoffloadctl status
ok "as nobody: enable fails with 'needs root'" sh -c "setpriv --reuid=65534 --regid=65534 --clear-groups \
	$nbin/migoffloadctl enable --reason=damon 2>$tmp/e; test \$? = 1 && grep -q 'needs root' $tmp/e"
ok "as nobody: stats --reset fails" sh -c "setpriv --reuid=65534 --regid=65534 --clear-groups $nbin/migoffloadctl stats --reset >/dev/null 2>&1; test \$? = 1"

# No leaks or bad accesses.
for args in "-j status" "-j migrator list" "-j stats" "config load $tmp/cfg.json" "config load $tmp/bad.json" \
	"config load $tmp/late.json" "config save $tmp/cfg2.json" "enable --reason=bogus" \
	"-j stats --interval=1 --count=2" "monitor --count=1 --bogus"; do
	ok "valgrind clean: $args" sh -c "valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=all \
		$bin $args >/dev/null 2>$tmp/vg; test \$? -le 2 || { cat $tmp/vg; false; }"
done

# The example daemon (tools/examples/tiering_policy.c). Before it starts:
# an automatic demotion route, no numa_misplaced route, caps that are not
# the defaults, one cgroup with a quota (for demotion only) and one without.
# It routes demotion to the fastest migrator (dcbm here) and promotion to
# mtcopy, sets the caps and quotas it is given, and on SIGTERM must put back
# exactly what was there.
tp=$(dirname $bin)/tiering_policy
mkdir -p /sys/fs/cgroup/migoff-tp1 /sys/fs/cgroup/migoff-tp2
$bin enable --reason=demotion --migrator=mtcopy --auto
$bin disable --reason=numa_misplaced
$bin batch set --max-pages=2048 --min-folios=3 --latency=7ms
$bin quota set migoff-tp1 --rate=8M --burst=1M --reason=demotion
$bin -j status > $tmp/tp-before.json
ok "tiering_policy: the state before it starts is the non-default one set above" python3 -c "import json,sys; \
j=json.load(open(sys.argv[1])); q={x['path'].rsplit('/', 1)[-1]: x for x in j['quotas']}; \
assert j['routes']['demotion'] == 'mtcopy' and j['auto_reasons'] == ['demotion'] and j['routes']['numa_misplaced'] is None, j; \
assert j['batch'] == {'max_pages': 2048, 'min_folios': 3, 'latency_us': 7000}, j['batch']; \
assert q['migoff-tp1']['rate_bytes_per_s'] == 8 << 20 and q['migoff-tp1']['burst_bytes'] == 1 << 20 and q['migoff-tp1']['reasons'] == ['demotion'], q; \
assert 'migoff-tp2' not in q, q" $tmp/tp-before.json
ok "tiering_policy: routes demotion to dcbm and promotion to mtcopy, sets caps and quotas, reports, timestamps every line" sh -c "\
	$tp --interval=1 --max-pages=4096 --latency-us=0 --quota=migoff-tp1:64M:4M --quota=migoff-tp2:32M > $tmp/tp 2> $tmp/tp.err & p=\$!; \
	sleep 3; $bin -j status > $tmp/tp-during.json; kill -TERM \$p; wait \$p; rc=\$?; cat $tmp/tp $tmp/tp.err; test \$rc = 0 && \
	grep -q ' policy: demotion (demotion) -> dcbm: ' $tmp/tp && grep -q ' policy: promotion (numa_misplaced) -> mtcopy: ' $tmp/tp && \
	grep -q ' stats: demotion ' $tmp/tp && grep -q ' exit: SIGTERM\$' $tmp/tp && test ! -s $tmp/tp.err && \
	! grep -vqE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z ' $tmp/tp && \
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); r=j[\"routes\"]; \
q={x[\"path\"].rsplit(\"/\", 1)[-1]: x for x in j[\"quotas\"]}; \
assert r[\"demotion\"] == \"dcbm\" and r[\"numa_misplaced\"] == \"mtcopy\" and j[\"auto_reasons\"] == [], j; \
assert j[\"batch\"] == {\"max_pages\": 4096, \"min_folios\": 3, \"latency_us\": 0}, j[\"batch\"]; \
assert q[\"migoff-tp1\"][\"rate_bytes_per_s\"] == 64 << 20 and q[\"migoff-tp1\"][\"burst_bytes\"] == 4 << 20 and \
len(q[\"migoff-tp1\"][\"reasons\"]) == 9, q; \
assert q[\"migoff-tp2\"][\"rate_bytes_per_s\"] == 32 << 20, q' $tmp/tp-during.json"
tp_same() {	# tp_same FILE: routes, auto routes, caps and quotas as in tp-before.json
	$bin -j status > "$1" && python3 -c "import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); \
q=lambda j: sorted(j['quotas'], key=lambda x: x['path']); \
assert [a[k] for k in ('routes', 'auto_reasons', 'batch')] == [b[k] for k in ('routes', 'auto_reasons', 'batch')], (a, b); \
assert q(a) == q(b), (q(a), q(b))" $tmp/tp-before.json "$1"
}
ok "tiering_policy: after SIGTERM the routes, auto flag, caps and quotas are those it found" tp_same $tmp/tp-after.json
ok "tiering_policy --duration=2: stops by itself after 2 s, exit 0, restores" sh -c "s=\$(date +%s); \
	timeout 60 $tp --duration=2 --interval=1 > $tmp/tpd; rc=\$?; e=\$(date +%s); cat $tmp/tpd; \
	test \$rc = 0 && test \$((e - s)) -ge 2 && test \$((e - s)) -le 20 && grep -q ' exit: --duration of 2 s elapsed\$' $tmp/tpd"
ok "tiering_policy --duration: what it found is back" tp_same $tmp/tpd-after.json
# A stats --reset while it runs. Error fallbacks in the counters before the
# reset (move_pages(2) through dcbm on a software DMA engine that fails
# every 7th descriptor; the daemon watches syscall_or_cpuset as its
# "demotion") make a difference taken across the reset wrap around to a
# share near 100%, above --max-fallback=90: it must count from zero instead
# and not switch.
ok "tiering_policy: a stats --reset while it runs is counted from zero, no switch" sh -c "\
	echo 7 > /sys/module/migoff_swdma/parameters/fail_every; \
	$tp --demotion-reason=syscall_or_cpuset --interval=1 --max-fallback=90 > $tmp/tpr 2>&1 & p=\$!; sleep 2; \
	$bench --sizes=4K --total=8 --runs=1 > /dev/null; sleep 2; \
	$bin -j stats > $tmp/tpr.json; $bin stats --reset > /dev/null; sleep 3; kill -TERM \$p; wait \$p; rc=\$?; \
	echo 0 > /sys/module/migoff_swdma/parameters/fail_every; cat $tmp/tpr; test \$rc = 0 && \
	python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))[\"reasons\"][\"syscall_or_cpuset\"]; \
assert r[\"fallbacks\"][\"error\"] > 0 and r[\"folios\"] > 0, r' $tmp/tpr.json && \
	grep -q ' policy: demotion (syscall_or_cpuset) -> dcbm: ' $tmp/tpr && \
	grep -q ' stats: demotion (syscall_or_cpuset): the counters were reset' $tmp/tpr && \
	! grep -q ' policy: switch ' $tmp/tpr"
# /dev hidden in a mount namespace of its own: a good command line fails on
# the device (exit 1), a bad one must exit 2 first.
ok "tiering_policy: bad usage exits 2 before opening the device" unshare -m --propagation private sh -c "\
	mount -t tmpfs none /dev && $tp --duration=1 2> $tmp/tpe; test \$? = 1 && grep -q 'migrate_offload: No such file' $tmp/tpe && \
	for a in --quota=nocolon --quota=migoff-tp1:0 --duration=0 --interval=abc --max-fallback=101 --max-pages=1x \
		--latency-us=10000001 --demotion-reason=bogus --promotion-reason=demotion --bogus extra; do \
		$tp \$a 2> $tmp/tpe; rc=\$?; test \$rc = 2 || { echo \"\$a: exit \$rc\"; exit 1; }; \
		grep -q '^usage: tiering_policy' $tmp/tpe || { echo \"\$a: no usage\"; exit 1; }; done"
$bin quota clear migoff-tp1
rmdir /sys/fs/cgroup/migoff-tp1 /sys/fs/cgroup/migoff-tp2
$bin batch set --max-pages=0 --min-folios=0 --latency=off

# migoffload-bench (tools/bench), the benchmark for real machines, run from
# the source tree with this build's helpers: --quick with the software DMA
# engine and no tiering, on the modules insmod loaded already (modprobe
# would not find them). Before it: a route, a cap and parameters that are
# not the defaults, and numa_balancing on; all must be as they were after.
mb=$(cd "$(dirname "$0")/.." && pwd)/tools/bench/migoffload-bench
mb_run() {	# mb_run ARGS...: migoffload-bench with this build's helpers
	MIGOFFLOAD_BENCH_HELPERS=$(dirname "$bench") MIGOFFLOADCTL=$bin timeout 600 "$mb" "$@"
}
mb_thp() { cat /sys/kernel/mm/transparent_hugepage/enabled /sys/kernel/mm/transparent_hugepage/hugepages-*kB/enabled; }
mb_same() {	# mb_same FILE: routes, auto routes, caps and parameters as in mb-before.json
	$bin -j status > "$1" && python3 -c "import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); \
p=lambda j: {m['name']: m['params'] for m in j['migrators']}; \
assert [a[k] for k in ('routes', 'auto_reasons', 'batch')] == [b[k] for k in ('routes', 'auto_reasons', 'batch')], (a, b); \
assert p(a) == p(b), (p(a), p(b))" "$1" $tmp/mb-before.json
}
$bin enable --reason=demotion --migrator=mtcopy
$bin batch set --max-pages=1024
$bin migrator set mtcopy threads=1
$bin migrator set dcbm channels=2
mb_nb=$(cat /proc/sys/kernel/numa_balancing 2>/dev/null)
[ -z "$mb_nb" ] || echo 1 > /proc/sys/kernel/numa_balancing
$bin -j status > $tmp/mb-before.json
mb_thp > $tmp/mb-thp-before
mb_usage() {	# every bad option: exit 2 and the usage, no output directory
	for a in --bogus --rounds=0 --total=x --sizes=3K --nodes=1,1 --out= extra; do
		mb_run "$a" --out=$tmp/mb-usage 2> $tmp/mbe
		rc=$?
		test $rc = 2 || { echo "$a: exit $rc"; return 1; }
		grep -q '^usage: migoffload-bench' $tmp/mbe || { echo "$a: no usage"; return 1; }
	done
	test ! -e $tmp/mb-usage
}
ok "migoffload-bench: bad usage exits 2 with the usage, before anything" mb_usage
ok "migoffload-bench: after bad usage, the routes, caps and parameters are untouched" mb_same $tmp/mb-usage.json
mb_s=$(date +%s)
mb_run --quick --sizes=4K --swdma --no-tier --out=$tmp/mb > $tmp/mb.out 2>&1
mb_rc=$?
echo "# migoffload-bench --quick --sizes=4K --swdma --no-tier: exit $mb_rc after $(($(date +%s) - mb_s)) s"
mb_ran() {
	test $mb_rc = 0 || { tail -20 $tmp/mb.out; return 1; }
	for m in migrate_offload migoff_mtcopy migoff_swdma migoff_dcbm; do
		grep -qx "migoffload-bench: $m: already loaded" $tmp/mb.out || { echo "no '$m: already loaded'"; return 1; }
	done
	grep -qx "migoffload-bench: report: $tmp/mb/report.txt" $tmp/mb.out
}
mb_report() {	# a row for each migrator, and the A/A control
	for l in cpu mtcopy-1 dcbm-1; do
		grep -Eq "^$l +4K +[0-9.]+ +[0-9.]+x " $tmp/mb/report.txt || { echo "no $l row"; cat $tmp/mb/report.txt; return 1; }
	done
	grep -Eq '^vanilla-aa +4K .* A/A control$' $tmp/mb/report.txt &&
		grep -q '^noise floor, A/A control (vanilla-aa / vanilla):$' $tmp/mb/report.txt &&
		grep -q '^== machine$' $tmp/mb.out	# the report printed too
}
mb_put_back() {	# THP, numa_balancing, and the modules it did not load
	mb_thp > $tmp/mb-thp-after && cmp $tmp/mb-thp-before $tmp/mb-thp-after || return 1
	test -z "$mb_nb" || test "$(cat /proc/sys/kernel/numa_balancing)" = 1 || { echo "numa_balancing not put back"; return 1; }
	for m in migrate_offload migoff_mtcopy migoff_swdma migoff_dcbm; do
		test -d /sys/module/$m || { echo "$m unloaded"; return 1; }
	done
}
ok "migoffload-bench --quick --swdma --no-tier: exit 0, with the modules loaded already" mb_ran
ok "migoffload-bench: the report has cpu, mtcopy-1 and dcbm-1 rows and the A/A control" mb_report
ok "migoffload-bench: puts back the routes, caps and parameters it found" mb_same $tmp/mb-after.json
ok "migoffload-bench: puts back THP and numa_balancing, leaves the modules loaded" mb_put_back
[ -z "$mb_nb" ] || echo "$mb_nb" > /proc/sys/kernel/numa_balancing
$bin batch set --max-pages=0
$bin migrator set dcbm channels=1

$bin disable
$bin migrator set mtcopy threads=2 push=0
rm -rf "$tmp" "$nbin"
echo "1..$n"
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
