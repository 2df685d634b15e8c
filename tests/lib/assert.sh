# Shared helpers for shell test suites: ok/fail counting and the closing line.
# Source it, call check NAME COMMAND..., then finish.
_pass=0
_fail=0

ok()   { _pass=$((_pass + 1)); echo "ok - $1"; }
nok()  { _fail=$((_fail + 1)); echo "not ok - $1"; [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/    /'; }

# check NAME CMD...: passes when CMD exits 0.
check() { name=$1; shift; if out=$("$@" 2>&1); then ok "$name"; else nok "$name" "$out"; fi; }

# expect_out NAME WANT_RC PATTERN CMD...: CMD's exit code is WANT_RC and its
# output (stdout+stderr) matches the grep -E PATTERN.
expect_out() {
	name=$1 want=$2 pat=$3; shift 3
	out=$("$@" 2>&1); rc=$?
	if [ "$rc" -eq "$want" ] && printf '%s\n' "$out" | grep -Eq -- "$pat"; then ok "$name"
	else nok "$name" "exit $rc (want $want), output:
$out"; fi
}

finish() { echo "$_pass passed, $_fail failed"; [ "$_fail" -eq 0 ]; }
