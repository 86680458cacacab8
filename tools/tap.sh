# TAP for the project's host test scripts (sourced, POSIX sh):
#   tmp=$(mktemp -d); . "$top/tools/tap.sh"
#   ok DESCRIPTION COMMAND...   one test: COMMAND's status; its output is
#                               shown only when it fails
#   skip REASON                 one test skipped, saying why
#   tap_end                     the plan; exits 1 if a test failed
# Uses $tmp (a directory of the caller's) for the output of each test.
n=0 fail=0
ok() {
	desc=$1; shift
	n=$((n + 1))
	if "$@" > "$tmp/out" 2>&1; then
		echo "ok $n - $desc"
	else
		fail=$((fail + 1)); echo "not ok $n - $desc"; sed 's/^/# /' "$tmp/out" | head -30
	fi
}
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
tap_end() {
	echo "1..$n"
	[ "$fail" = 0 ] || exit 1
}
