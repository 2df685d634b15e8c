#!/bin/sh
# Runs every suite: cmocka unit tests, then integration and terminal scripts.
# Each runner reports "N passed, N failed"; this sums them into one line.
# Env: BUILD (build dir), BIN (cutover binary), SIM (simulator binary),
#      ONLY (substring filter on suite names),
#      SCRIPTS (the integration and terminal suites to run, by path; default
#               every tests/integration/*.sh and tests/tui/*.sh),
#      SKIP (suite paths not to run: make check runs each script suite once,
#            some on the plain build and the rest under ASan; see Makefile).
BUILD=${BUILD:-build}
BIN=${BIN:-./cutover}
SIM=${SIM:-$BUILD/cutover-sim}
export BUILD BIN SIM
pass=0
fail=0
failed_suites=""
log=$(mktemp)
trap 'rm -f "$log"' EXIT

count() {	# adds the "N passed, N failed" / cmocka totals found in $log
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p; s/^\([0-9]*\) passed, [0-9]* failed.*/\1/p' "$log" | tail -1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p; s/^[0-9]* passed, \([0-9]*\) failed.*/\1/p' "$log" | tail -1)
	pass=$((pass + ${p:-0}))
	fail=$((fail + ${f:-0}))
}

run_suite() {	# name, command...
	name=$1; shift
	case "$name" in *"${ONLY:-}"*) ;; *) return ;; esac
	t0=$(date +%s)
	"$@" >"$log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - t0 ))
	count
	if [ $rc -ne 0 ]; then
		cat "$log"
		echo "FAILED: $name (exit $rc) ${secs}s"
		failed_suites="$failed_suites $name"
		# A crash before the summary still counts as one failure.
		grep -q 'FAILED  \]\|[0-9]* passed, [1-9]' "$log" || fail=$((fail + 1))
	else
		echo "ok: $name ($(tail -1 "$log")) ${secs}s"
	fi
}

for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	run_suite "$(basename "$t")" "$t"
done
for t in ${SCRIPTS:-tests/integration/*.sh tests/tui/*.sh}; do
	if [ ! -f "$t" ]; then	# a list naming a suite that is gone must not pass quietly
		echo "FAILED: $t: no such suite"
		failed_suites="$failed_suites $t"
		continue
	fi
	case " ${SKIP:-} " in *" $t "*) continue ;; esac
	run_suite "$t" sh "$t"
done

[ -n "$failed_suites" ] && echo "failed suites:$failed_suites"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ -z "$failed_suites" ]
