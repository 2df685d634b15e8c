#!/bin/sh
# Benchmarks: `make bench` runs this after building ./cutover and the
# simulator. Each benchmark is its own script tests/bench/NAME.sh, run in
# turn from the repository root; it prints its own report and exits 0 even
# when a target is missed (it writes MISSED beside it), non-zero only when it
# could not measure at all (the simulator would not start, a build failed).
# Listed by name rather than globbed, so helpers kept here (soak.sh, which
# `make soak` runs) do not become part of `make bench` by accident.
# Env: BENCH (space-separated names, default: all listed below), BUILD, SIM.
cd "$(dirname "$0")/../.." || exit 2
BUILD=${BUILD:-build}
SIM=${SIM:-$BUILD/cutover-sim}
export BUILD SIM
benches=${BENCH:-probe frame watch rollback engine}
[ -n "${BENCH:-}" ] || benches="$benches rollout"	# rollout.sh: time to safety, a fleet on autopilot
broken=""
for b in $benches; do
	if [ ! -f "tests/bench/$b.sh" ]; then
		echo "bench $b: no tests/bench/$b.sh" >&2
		broken="$broken $b"
		continue
	fi
	echo "== bench: $b"
	sh "tests/bench/$b.sh" || broken="$broken $b"
	echo
done
if [ -n "$broken" ]; then
	echo "bench: could not run:$broken" >&2
	exit 1
fi
exit 0
