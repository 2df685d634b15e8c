#!/bin/sh
# A scheduled job whose one scheduler's trigger is routed through a real
# haproxy (the simulator fires every 4 s at haproxy's frontend; the server
# with the weight runs the job for 0.6 s): cutover sees the runs in
# haproxy's sessions (stot total, scur current), hands the job over in the
# gap HANDOFFS times (default 4) through a running engine, and neither the
# simulator's truth nor cutover's ledger has a double, a miss or an
# overlap. Env: BIN, SIM, HANDOFFS.
. tests/lib/assert.sh
. tests/lib/sim.sh
. tests/lib/haproxy.sh
BIN=${BIN:-./cutover}
SIM=${SIM:-build/cutover-sim}
HANDOFFS=${HANDOFFS:-4}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
case $BIN in */*) ;; *) [ -x "$BIN" ] && BIN=./$BIN ;; esac
dir=$(mktemp -d)
spid=
ha_pid=
cleanup() {
	for p in $spid $ha_pid $sim_pid; do stop_pid "$p"; done
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

set -- $(free_ports 3)
fe=$1 rb=$2 rg=$3
cat > "$dir/spec" <<SPEC
tick blue every_s=4 run_ms=600 trigger=routed trigger_url=http://127.0.0.1:$fe/tick/run
tick green trigger=routed
SPEC
sim_start "$dir" --spec "$dir/spec" --bind "$rb=tick/blue" --bind "$rg=tick/green" ||
	{ echo "the simulator did not start"; exit 1; }
cat > "$dir/h.cfg" <<CFG
global
	stats socket $dir/h.sock mode 600 level admin
defaults
	mode http
	timeout connect 2s
	timeout client 5s
	timeout server 5s
frontend fe_jobs
	bind 127.0.0.1:$fe
	default_backend be_tick
backend be_tick
	http-request set-path /run
	server blue 127.0.0.1:$rb weight 100
	server green 127.0.0.1:$rg weight 0
CFG
haproxy -W -db -f "$dir/h.cfg" >"$dir/h.log" 2>&1 &
ha_pid=$!
i=0
while [ ! -S "$dir/h.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done

cat > "$dir/c.json" <<CONFIG
{"release":"jh","state_dir":"$dir/state","probe":{"interval_ms":250},
 "router":{"driver":"haproxy","timeout_ms":500,"sockets":["$dir/h.sock"]},
 "services":[{"name":"tick","kind":"job","schedule":"*/4 * * * * *","guard_s":1,"max_run_s":1,
   "route":{"backend":"be_tick"},
   "blue":{"health":"http://127.0.0.1:$rb/health"},"green":{"health":"http://127.0.0.1:$rg/health"}}]}
CONFIG
"$BIN" serve -c "$dir/c.json" 2>"$dir/serve.err" &
spid=$!
i=0
while ! grep -q ' up: socket' "$dir/serve.err" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
sleep 5	# a tick or two seen on blue
since=$("$PY" -c 'import time; print(int(time.time() * 1000))')
"$BIN" jobs -c "$dir/c.json" --json > "$dir/before.json"
check "haproxy's sessions show the runs: the ticks ran on blue" "$PY" -c '
import json, sys
j = json.load(open(sys.argv[1]))["jobs"][0]
assert j["source"] == "router", j
assert j["ticks"] and all(t["ran"] == ["blue"] for t in j["ticks"] if t["status"] != "pending"), j' "$dir/before.json"

"$PY" tests/integration/jobs_handoff.py "$BIN" "$dir/c.json" tick 4 "$HANDOFFS" 3 5 > "$dir/handoffs" 2>&1
rc=$?
sed 's/^/# /' "$dir/handoffs"
[ $rc -eq 0 ] && ok "$HANDOFFS handoffs through haproxy, each within a period plus the switch" ||
	nok "$HANDOFFS handoffs through haproxy, each within a period plus the switch" "$(cat "$dir/handoffs")"
sleep 2
curl -s --noproxy '*' -m 2 "http://127.0.0.1:$port/_sim/jobs?svc=tick" > "$dir/truth.json"
check "the simulator saw 0 double, 0 missed, 0 overlapping runs" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1])); since = int(sys.argv[2])
f = [x for x in d["fires"] if x["time_ms"] >= since and x["settled"]]
assert len(f) >= 2, f
assert not [x for x in f if len(x["ran"]) != 1], f
assert d["overlaps"] == 0, d["overlaps"]' "$dir/truth.json" "$since"
"$BIN" jobs -c "$dir/c.json" --json > "$dir/after.json"
check "cutover's ledger: both sides ran ticks, none doubled or missed" "$PY" -c '
import json, sys
j = json.load(open(sys.argv[1]))["jobs"][0]
assert j["doubles"] == 0 and j["missed"] == 0, j
ran = {s for t in j["ticks"] for s in t["ran"]}
assert ran == {"blue", "green"}, j["ticks"]' "$dir/after.json"
finish
