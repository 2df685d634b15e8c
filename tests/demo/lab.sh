#!/bin/sh
# The demo lab: the service simulator with a generated release of 30
# services in 6 groups (jobs and exposed; some greens slower, one failing,
# one flapping) and the console on it. Leaving the console stops everything
# the lab started. CUTOVER_DEMO_MODE=watch opens the read-only wall view.
# The router is the rehearsal driver: moves are journaled, nothing outside
# cutover changes. (A local haproxy fleet for the lab is the next step.)
set -u
BUILD=${BUILD:-build}
SIM=${SIM:-$BUILD/cutover-sim}
BIN=${BIN:-./cutover}
dir=${CUTOVER_DEMO_DIR:-$(mktemp -d /tmp/cutover-demo.XXXXXX)}
simpid=
cleanup() {
	[ -n "$simpid" ] && kill "$simpid" 2>/dev/null && wait "$simpid" 2>/dev/null
	echo "demo: stopped the simulator; journal kept in $dir/state"
}
trap cleanup EXIT INT TERM HUP

groups="payments search identity media jobs-nightly jobs-hourly"
: > "$dir/spec"
n=0
for g in $groups; do
	for i in 1 2 3 4 5; do
		name="$g-$i"
		echo "$name blue lat_ms=$((2 + n % 5)) jitter_ms=0.5" >> "$dir/spec"
		echo "$name green lat_ms=$((2 + n % 5)) jitter_ms=0.5" >> "$dir/spec"
		n=$((n + 1))
	done
done
cat >> "$dir/spec" <<'SPEC'
search-2 green lat_ms=40 jitter_ms=4
media-3 green lat_ms=12 jitter_ms=2
identity-4 green err_pct=100
payments-5 green flap_s=15
SPEC

"$SIM" --port 0 --port-file "$dir/port" --spec "$dir/spec" 2>"$dir/sim.log" &
simpid=$!
i=0
while [ ! -s "$dir/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
[ -s "$dir/port" ] || { echo "demo: the simulator did not start (see $dir/sim.log)" >&2; exit 1; }
port=$(cat "$dir/port")

{
	printf '{"release": "demo-eks-to-fargate",\n "blue": {"label": "EKS on EC2"}, "green": {"label": "EKS on Fargate"},\n'
	printf ' "router": {"driver": "rehearsal"},\n "probe": {"interval_ms": 500, "timeout_ms": 400, "window": 120},\n'
	printf ' "gates": {"min_samples": 20}, "state_dir": "state",\n "services": [\n'
	sep=""
	for g in $groups; do
		kind=exposed
		case $g in jobs-*) kind=job ;; esac
		for i in 1 2 3 4 5; do
			name="$g-$i"
			printf '%s  {"name": "%s", "kind": "%s", "group": "%s",\n' "$sep" "$name" "$kind" "$g"
			printf '   "blue": {"health": "http://127.0.0.1:%s/%s/blue/health"},\n' "$port" "$name"
			printf '   "green": {"health": "http://127.0.0.1:%s/%s/green/health", "expect": {"json": "status", "equals": "UP"}}}' "$port" "$name"
			sep=",
"
		done
	done
	printf ']}\n'
} > "$dir/demo.json"

"$BIN" check -c "$dir/demo.json" || exit 2
if [ ! -t 1 ]; then
	echo "demo: the lab is up but there is no terminal for the console; run: $BIN -c $dir/demo.json" >&2
	exit 0
fi
if [ "${CUTOVER_DEMO_MODE:-}" = watch ]; then
	"$BIN" watch -c "$dir/demo.json"
else
	"$BIN" -c "$dir/demo.json"
fi
