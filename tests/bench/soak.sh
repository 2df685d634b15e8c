#!/bin/sh
# Soaks: `make soak`. Long runs that `make check` cannot afford:
#   crash    tests/integration/crash_recovery.sh with SOAK_CRASH_ITERS kill -9
#            iterations (default 300, ~20 min; never fewer than 100, the
#            count at which issue 9's rare case showed): the journal
#            verifies, every intent is reconciled, the fleet agrees with the
#            journal. The seed is printed so a failure can be repeated
#            (CRASH_SEED=...).
#   watch    tests/bench/watch.sh over SOAK_WATCH_SECONDS (default 1800) of
#            `cutover watch` on 1,000 services: CPU and RSS must stay flat.
#   jobs     tests/integration/jobs.sh with SOAK_HANDOFFS handoffs of a job
#   k8s-jobs tests/integration/k8s_jobs.sh: SOAK_HANDOFFS CronJob handoffs
#            against the Kubernetes API double's ledger
#            between blue and green (default 100, ~5 min): 0 double, 0
#            missed, 0 overlapping runs, each within a period plus the tool.
# Env: SOAK (space-separated names, default "crash watch jobs k8s-jobs"), BUILD, BIN, SIM.
cd "$(dirname "$0")/../.." || exit 2
BUILD=${BUILD:-build}
if [ -z "${BIN:-}" ]; then
	if [ "$BUILD" = build ]; then BIN=./cutover; else BIN=$BUILD/cutover; fi
fi
SIM=${SIM:-$BUILD/cutover-sim}
export BUILD BIN SIM
failed=""
for s in ${SOAK:-crash watch jobs k8s-jobs}; do
	echo "== soak: $s"
	case $s in
	crash)
		iters=${SOAK_CRASH_ITERS:-300}
		case $iters in ''|*[!0-9]*) iters=300 ;; esac
		if [ "$iters" -lt 100 ]; then
			echo "soak crash: SOAK_CRASH_ITERS=$iters is below 100; running 100" >&2
			iters=100
		fi
		log=$(mktemp)
		CRASH_ITERS=$iters sh tests/integration/crash_recovery.sh >"$log" 2>&1
		rc=$?
		grep -E '^(not ok|# crash_recovery:|# [0-9]+ iterations)' "$log"
		tail -n 1 "$log"
		rm -f "$log"
		[ $rc -eq 0 ] || failed="$failed $s" ;;
	watch) WATCH_SECONDS=${SOAK_WATCH_SECONDS:-1800} KEY_PRESSES=5 sh tests/bench/watch.sh ||
		failed="$failed $s" ;;
	jobs) HANDOFFS=${SOAK_HANDOFFS:-100} sh tests/integration/jobs.sh || failed="$failed $s" ;;
	k8s-jobs) HANDOFFS=${SOAK_HANDOFFS:-100} sh tests/integration/k8s_jobs.sh || failed="$failed $s" ;;
	*) echo "soak $s: unknown (crash, watch, jobs, k8s-jobs)" >&2; failed="$failed $s" ;;
	esac
done
[ -z "$failed" ] || { echo "soak: failed:$failed" >&2; exit 1; }
