#!/bin/sh
# Every -j output of migoffloadctl against doc/migoffloadctl.schema.json
# (issue 20): each command run on the fake device of test/fake_migoffload.c
# (every feature, and none: an old kernel), its output through
# test/validate_json.py; the objects the same wherever they appear; config
# load reading back what config save wrote; and the validator red on each
# kind of wrong shape it is there to catch. Where python3-jsonschema is
# installed, it must agree with validate_json.py on all of it.
#   test/cli_json.sh MIGOFFLOADCTL_FAKE MIGOFFLOADCTL
# Prints TAP; exits 1 if a check failed.
set -u
fake=$1 bin=$2
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
schema=$top/doc/migoffloadctl.schema.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=../../tap.sh
. "$top/tools/tap.sh"
echo "TAP version 13"
vj="python3 -B $here/validate_json.py"	# in the sh -c strings
validate() { python3 -B "$here/validate_json.py" "$@"; }
valid_docs=$tmp/valid.list	# "DEF FILE [--lines]" of each output found valid
: > "$valid_docs"

ok "validate_json.py --check: the schema uses only what the validator checks" validate --check "$schema"

# valid DEF [--lines] [--count=N] -- ARGS...: the fake's stdout (exit 0,
# stderr empty but for the quota of the cgroup that is gone) is valid.
valid() {
	def=$1 opts=
	shift
	while [ "$1" != -- ]; do opts="$opts $1"; shift; done
	shift
	f=$tmp/doc.$(wc -l < "$valid_docs")
	"$fake" "$@" > "$f" 2> "$tmp/e" || { echo "exit $?"; cat "$tmp/e"; return 1; }
	if grep -v "leaving out the quota of cgroup 987654321\|events lost" "$tmp/e"; then
		echo "stderr above"; return 1
	fi
	# shellcheck disable=SC2086
	validate $opts "$schema" "$def" "$f" || return 1
	echo "$def $f $opts" >> "$valid_docs"
}

for feat in all none; do
	if [ $feat = all ]; then
		unset MIGOFF_FAKE_FEATURES
	else
		MIGOFF_FAKE_FEATURES=0
		export MIGOFF_FAKE_FEATURES
	fi
	for spec in "status:-j status" "status:-j -p status" "config:config save -" \
		"migrator_list:-j migrator list" "migrator_list:-j -p migrator list" \
		"batch_show:-j batch" "batch_show:-j -p batch show" "quota_show:-j quota show" \
		"stats:-j stats" "stats:-j -p stats" "version:-j -V" "version:-j -p -V"; do
		def=${spec%%:*} args=${spec#*:}
		# shellcheck disable=SC2086
		ok "$feat features: $args: valid against $def" valid "$def" -- $args
	done
	ok "$feat features: -j -p stats --interval=1 --count=2: two lines (-p or not), each valid against stats_interval" \
		valid stats_interval --lines --count=2 -- -j -p stats --interval=1 --count=2
	ok "$feat features: -j -p monitor --count=10: 10 events and a lost one, a line each, each valid against monitor" \
		valid monitor --lines --count=11 -- -j -p monitor --count=10
done
unset MIGOFF_FAKE_FEATURES
ok "-j quota show CGROUP: valid against quota_show" valid quota_show -- -j quota show work.slice
ok "-j -V, the kernel speaking another ABI (kernel: null): valid against version" \
	env MIGOFF_FAKE_OPEN=EPROTO sh -c "\"$fake\" -j -V > $tmp/v1 && grep -q '\"kernel\":null' $tmp/v1 && \
	$vj $schema version $tmp/v1"
ok "-j -V, no device (no kernel): valid against version" \
	env MIGOFF_FAKE_OPEN=ENOENT sh -c "\"$fake\" -j -V > $tmp/v2 && ! grep -q kernel $tmp/v2 && \
	$vj $schema version $tmp/v2"
ok "-j -V of the real binary: valid against version" sh -c "\"$bin\" -j -V > $tmp/v3 && $vj $schema version $tmp/v3"

# Every object the schema defines is in the outputs above: each event
# type, a kind this version does not know, a gone cgroup, the estimates.
"$fake" -j status > "$tmp/status.json" 2> /dev/null
"$fake" -j migrator list > "$tmp/migrators.json"
"$fake" -j quota show > "$tmp/quotas.json"
"$fake" -j stats > "$tmp/stats.json"
"$fake" -j stats --interval=1 --count=1 > "$tmp/rates.json"
"$fake" -j monitor --count=10 > "$tmp/events.json" 2> /dev/null
py() {	# py SCRIPT: python3 with the outputs above as status, migrators...
	python3 -c "import json
status, migrators, quotas, stats, rates = (json.load(open('$tmp/' + f + '.json'))
    for f in ('status', 'migrators', 'quotas', 'stats', 'rates'))
events = [json.loads(l) for l in open('$tmp/events.json')]
$1"
}
ok "the outputs have every event type, an unknown kind, a gone cgroup, auto classes" py "
assert sorted(e['event'] for e in events) == sorted(['enable', 'enable', 'disable', 'batch', 'param',
    'stats_reset', 'fallback', 'quota', 'quota', 'lost', 'unknown']), events
assert any(m['kind'] is None for m in migrators), migrators
assert any(q['path'] is None for q in quotas) and any(q['path'] for q in quotas), quotas
assert stats['auto']['demotion'] and rates['auto']['demotion'] and rates['cgroups'], (stats, rates)"
ok "a migrator: the same object in status -j and migrator list -j" py "
assert status['migrators'] == migrators, (status['migrators'], migrators)"
ok "a quota: status -j's is the setting of quota show -j's (path, rate, burst, reasons)" py "
keys = ('path', 'rate_bytes_per_s', 'burst_bytes', 'reasons')
shown = {q['path']: {k: q[k] for k in keys} for q in quotas if q['path']}
assert status['quotas'] and {q['path']: q for q in status['quotas']} == shown, (status['quotas'], shown)"
ok "a cgroup: the same object in quota show -j and stats -j, the same id and path in the rates" py "
assert [sorted(c) for c in stats['cgroups']] == [sorted(q) for q in quotas], (stats['cgroups'], quotas)
assert [(c['id'], c['path'], c['rate_bytes_per_s']) for c in stats['cgroups']] == \
    [(q['id'], q['path'], q['rate_bytes_per_s']) for q in quotas]
assert [(c['id'], c['path']) for c in rates['cgroups']] == [(q['id'], q['path']) for q in quotas]"
ok "a quota event has a quota's keys (id, path, rate, burst, reasons)" py "
q = [e for e in events if e['event'] == 'quota']
keys = {'id', 'path', 'rate_bytes_per_s', 'burst_bytes', 'reasons'}
assert all(set(e) - {'time_ns', 'event'} == keys and keys <= set(quotas[0]) for e in q), q
assert q[0]['path'] == 'work.slice' and q[1]['rate_bytes_per_s'] == 0 and q[1]['reasons'] == [], q"
ok "rates of bytes in bytes per second, the unit in the key" py "
keys = [k for e in list(rates['reasons'].values()) + rates['cgroups'] for k in e]
assert 'bytes_per_s' in keys and 'bytes_offloaded_per_s' in keys, keys
assert all(k.endswith('_per_s') for k in keys if 'bytes' in k), keys
c = rates['reasons']['demotion']
assert abs(c['bytes_per_s'] / c['folios_per_s'] - 4096) < 1, c"

# Text keeps its shape; the rates of bytes in MiB/s, quotas with their path.
ok "text: stats --interval in MiB/s, no MB/s; quota show and stats name the cgroups' paths" sh -c "\
	\"$fake\" stats --interval=1 --count=1 > $tmp/t1 && grep -q ' MiB/s ' $tmp/t1 && grep -q 'refused_MiB/s path' $tmp/t1 && \
	! grep -q 'MB/s' $tmp/t1 && grep -Eq '^ +[0-9]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ work.slice/batch\$' $tmp/t1 && \
	\"$fake\" quota show > $tmp/t2 && grep -q 'CPU_MS PATH\$' $tmp/t2 && grep -q ' work.slice\$' $tmp/t2 && \
	grep -q '^987654321 .* -\$' $tmp/t2 && \"$fake\" stats | grep -q ' cpu_ms path\$'"
ok "text: status and migrator list as before" sh -c "\"$fake\" status > $tmp/t3 && \
	grep -qx 'migrators: cpu, mtcopy, dcbm, future (unavailable)' $tmp/t3 && grep -qx 'demotion  *dcbm (auto)' $tmp/t3 && \
	\"$fake\" migrator list > $tmp/t4 && grep -qx 'mtcopy  *threads  *yes  *syscall_or_cpuset  *threads=4 (1..64) push=0 (0..1)' $tmp/t4 && \
	grep -qx 'future  *?  *no  *-  *knob=0 (0..0)' $tmp/t4"
ok "text: monitor, a quota event as before" sh -c "\"$fake\" monitor --count=10 > $tmp/t5 2> /dev/null && \
	grep -qx 'quota cgroup [0-9]* rate 67108864 burst 4194304 reasons compaction,.*,damon' $tmp/t5 && \
	grep -qx 'quota cgroup 987654321 cleared' $tmp/t5"

# config load reads what config save writes (without the quotas: the
# fake's cgroups are no cgroup2 directories), and files of older versions.
ok "config load reads back config save's file (migrators an array, parameters {value, min, max})" sh -c "\
	\"$fake\" config save $tmp/cfg.json 2> /dev/null && python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); \
del j[\"quotas\"]; json.dump(j, open(sys.argv[1], \"w\"))' $tmp/cfg.json && \"$fake\" config load $tmp/cfg.json"
printf '{"routes": {"demotion": "dcbm"},\n "migrators": {"mtcopy": {"kind": "threads", "params": {"threads": 8}}}}\n' > "$tmp/old.json"
ok "config load reads a file of an older version (migrators keyed by name, plain values)" "$fake" config load "$tmp/old.json"
printf '{"migrators": [{"name": "mtcopy",\n "params": {"threads": {"value": 99, "min": 1, "max": 64}}}]}\n' > "$tmp/range.json"
ok "config load: a value out of range names it by the file's path (\$.migrators[0]...value)" sh -c "\
	\"$fake\" config load $tmp/range.json 2> $tmp/e; test \$? = 1 && \
	grep -q 'range.json:2: \$.migrators\[0\].params.threads.value: 99 is out of range (1..64); nothing changed' $tmp/e"

# The validator is red on each kind of wrong shape (exit 1, naming the path).
# red DESCRIPTION DEF PATTERN EXPRESSION [OPTIONS]: the document the Python
# EXPRESSION makes from the outputs above (a value, or text after 'raw:')
# is invalid against DEF, the error matching PATTERN.
cat > "$tmp/make.py" <<EOF
import json, sys
status, migrators, quotas, stats, rates = (json.load(open('$tmp/' + f + '.json'))
    for f in ('status', 'migrators', 'quotas', 'stats', 'rates'))
events = [json.loads(l) for l in open('$tmp/events.json')]
doc = eval(open(sys.argv[1]).read())
sys.stdout.write(doc[4:] if isinstance(doc, str) and doc[:4] == 'raw:' else json.dumps(doc) + chr(10))
EOF
bad=0
red() {
	bad=$((bad + 1))
	printf '%s\n' "$4" > "$tmp/expr.$bad"
	echo "$2 $tmp/bad.$bad ${5:-}" >> "$tmp/invalid.list"
	ok "validate_json red: $1" is_red "$2" "$3" "$tmp/expr.$bad" "$tmp/bad.$bad" "${5:-}"
}
is_red() {	# is_red DEF PATTERN EXPRESSION_FILE DOC_FILE OPTIONS
	python3 "$tmp/make.py" "$3" > "$4" || return 1
	# shellcheck disable=SC2086
	validate $5 "$schema" "$1" "$4" 2> "$tmp/re"
	rc=$?
	cat "$tmp/re"
	test $rc = 1 && grep -q -e "$2" "$tmp/re"
}
: > "$tmp/invalid.list"
red "status -j with the old migrators (a map of plain values)" status '\$.migrators: expected array, got object' \
	"dict(status, migrators={m['name']: dict(kind=m['kind'], available=m['available'], reasons=m['reasons'], params={p: v['value'] for p, v in m['params'].items()}) for m in status['migrators']})"
red "a parameter as a plain number" migrator_list '\$\[1\].params.threads: expected object, got integer' \
	"[dict(m, params={p: v['value'] for p, v in m['params'].items()}) for m in migrators]"
red "an unknown key in a migrator" migrator_list '\$\[0\].colour: unknown key' "[dict(migrators[0], colour=1)] + migrators[1:]"
red "a key missing from a cgroup (no path)" quota_show '\$\[0\]: missing key \"path\"' \
	"[{k: v for k, v in quotas[0].items() if k != 'path'}]"
red "quota show -j with the old key cgroup_id" quota_show 'cgroup_id: unknown key' \
	"[dict({k: v for k, v in quotas[0].items() if k != 'id'}, cgroup_id=quotas[0]['id'])]"
red "stats -j with the old cgroups (keyed by an id string)" stats '\$.cgroups: expected array, got object' \
	"dict(stats, cgroups={str(c['id']): c for c in stats['cgroups']})"
red "a reason that is none" status 'routes.bogus: unknown key' "dict(status, routes=dict(status['routes'], bogus='cpu'))"
red "a reason not in the enum" quota_show '\$\[0\].reasons\[0\]: \"bogus\" is not one of' "[dict(quotas[0], reasons=['bogus'])]"
red "a negative counter" stats 'reasons.demotion.folios: -1 is less than the minimum 0' \
	"dict(stats, reasons=dict(stats['reasons'], demotion=dict(stats['reasons']['demotion'], folios=-1)))"
red "a string for a number" stats_interval 'interval_s: expected number, got string' "dict(rates, interval_s='1.0')"
red "an event of an unknown type" monitor 'matches none of the oneOf' "dict(events[0], event='frobnicate')"
red "an enable event without auto" monitor 'missing key \"auto\"' "{k: v for k, v in events[0].items() if k != 'auto'}"
red "JSON Lines: an object over several lines" stats_interval 'line 1: not one JSON document a line' \
	"'raw:' + json.dumps(rates, indent=1) + chr(10)" --lines
red "JSON Lines: fewer documents than --count" monitor '1 documents, not 2' "'raw:' + json.dumps(events[0]) + chr(10)" "--lines --count=2"
red "a duplicate key" batch_show 'duplicate key' "'raw:{\"max_pages\": 1, \"max_pages\": 2, \"min_folios\": 1, \"latency_us\": null, \"effective_pages\": null}'"
red "NaN" stats_interval 'NaN is not JSON' "'raw:' + json.dumps(dict(rates, interval_s=float('nan')))"
red "not JSON at all" status 'not JSON' "'raw:migrators: cpu'"
# shellcheck disable=SC2016
echo '{"$defs": {"x": {"type": "string", "pattern": "^a"}}}' > "$tmp/s2.json"
ok "validate_json: a schema keyword it does not implement: exit 2, names it" sh -c "\
	$vj $tmp/s2.json x $tmp/v3 2> $tmp/e; test \$? = 2 && grep -q 'keyword \"pattern\" is not implemented' $tmp/e"
ok "validate_json: an unknown definition: exit 2, lists them" sh -c "\
	$vj $schema nosuch $tmp/v3 2> $tmp/e; test \$? = 2 && grep -q 'no definition .nosuch.*status' $tmp/e"

# python3-jsonschema, where it is installed, agrees on every document.
if python3 -c 'import jsonschema' 2> /dev/null; then
	ok "python3-jsonschema (draft 2020-12) agrees: the valid ones valid, the red ones not" python3 -c "
import json, sys, jsonschema
schema = json.load(open('$schema'))
jsonschema.Draft202012Validator.check_schema(schema)
def strict(pairs):
    if len(set(k for k, v in pairs)) < len(pairs):
        raise ValueError('duplicate key')
    return dict(pairs)
def load(text):
    return json.loads(text, object_pairs_hook=strict, parse_constant=lambda c: 1 / 0)
def docs(f, opts):
    text = open(f).read()
    return [load(l) for l in text.splitlines()] if '--lines' in opts else [load(text)]
def valid(d, doc):
    s = dict(schema, **{'\$ref': '#/\$defs/' + d})
    del s['anyOf']
    return jsonschema.Draft202012Validator(s).is_valid(doc)
n = 0
for line in open('$valid_docs'):
    d, f, *opts = line.split()
    for doc in docs(f, opts):
        assert valid(d, doc), (d, f, doc)
        assert jsonschema.Draft202012Validator(schema).is_valid(doc), ('the whole schema', f)
        n += 1
for line in open('$tmp/invalid.list'):
    d, f, *opts = line.split()
    try:
        ds = docs(f, opts)
    except (ValueError, ZeroDivisionError):
        continue	# not JSON (or not strict JSON): refused before any schema
    if '--count=2' in opts:
        continue	# not a matter of the schema
    assert not all(valid(d, doc) for doc in ds), (d, f)
    n += 1
print(n, 'documents: the same verdicts')
"
else
	skip "python3-jsonschema is not installed"
fi
tap_end
