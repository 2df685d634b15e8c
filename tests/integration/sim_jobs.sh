#!/bin/sh
# Integration test of the simulator's job schedulers (tests/sim/README.md,
# "Job schedulers"): fires on whole seconds, self jobs running on the
# unsuspended side only, misses and doubles and overlaps as the simulator's
# truth counts them, the exec tool's set/get round trip, and a routed job
# behind a real haproxy whose stats agree with the simulator's runs.
# Env: SIM (the simulator, default build/cutover-sim), PY (default
# /usr/bin/python3: a pyenv-style shim costs 0.4 s a call, and this script
# makes ~40). Needs haproxy and curl. About 12 s. Ends with "N passed, N failed".
. tests/lib/assert.sh
. tests/lib/sim.sh
. tests/lib/haproxy.sh
SIM=${SIM:-build/cutover-sim}
PY=${PY:-/usr/bin/python3}
TOOL=tests/tools/sim_job_tool
dir=$(mktemp -d)
sim_pid=
ha_pid=
cleanup() {
	stop_pid "$ha_pid"
	stop_pid "$sim_pid"
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

C() { curl -s --noproxy '*' -m 5 "$@"; }
matches() { printf '%s\n' "$1" | grep -Eq -- "$2"; }	# VALUE ERE
same() { [ "$1" = "$2" ] || { echo "got '$1', want '$2'"; return 1; }; }
url() { echo "http://127.0.0.1:$port/$1"; }
code() { C -o /dev/null -w '%{http_code}' "$@"; }
now_ms() { date +%s%3N; }
sleep_until_ms() { "$PY" -c 'import sys, time; time.sleep(max(0, int(sys.argv[1]) / 1000 - time.time()))' "$1"; }
# The middle of a second: every_s=1 fires are on whole seconds and their
# runs last 300 ms, so nothing is in flight then.
sleep_to_mid_second() { "$PY" -c 'import time; time.sleep((1.55 - time.time() % 1) % 1)'; }

# job_true SVC EXPR [SINCE_MS]: the Python expression EXPR holds over
# j (/_sim/jobs?svc=SVC), fires (those after SINCE_MS) and settled (those
# of them older than 1 s); prints the JSON when it does not.
job_true() {
	C "$(url "_sim/jobs?svc=$1")" | "$PY" -c '
import json, sys, time
j = json.load(sys.stdin)
now = time.time() * 1000
since = int(sys.argv[2])
fires = [f for f in j["fires"] if f["time_ms"] > since]
settled = [f for f in fires if f["settled"]]
ran = lambda fs: [tuple(f["ran"]) for f in fs]
ok = eval(sys.argv[1])
if not ok:
    print(json.dumps(j)[:2000])
sys.exit(0 if ok else 1)' "$2" "${3:-0}"
}
# jget URL EXPR [CURL ARGS]: the Python expression EXPR over j (the JSON at
# URL), as compact JSON (a string bare).
jget() {
	_u=$1 _e=$2
	shift 2
	C "$@" "$_u" | "$PY" -c '
import json, sys
v = eval(sys.argv[1], {"j": json.load(sys.stdin)})
print(v if isinstance(v, str) else json.dumps(v, separators=(",", ":")))' "$_e"
}
# server_stat FIELD SERVER: FIELD of be_routed/SERVER in haproxy's show stat
# (haproxy_cmd's work, in one Python start instead of two).
server_stat() {
	"$PY" - "$dir/h.sock" "$1" "$2" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(2); s.connect(sys.argv[1])
s.sendall(b"show stat\n"); data = b""
while True:
    b = s.recv(65536)
    if not b: break
    data += b
lines = data.decode().splitlines()
head = [h.lstrip("# ") for h in lines[0].split(",")]
for l in lines[1:]:
    d = dict(zip(head, l.split(",")))
    if d.get("pxname") == "be_routed" and d.get("svname") == sys.argv[3]:
        print(d[sys.argv[2]])
PY
}

[ -x "$SIM" ] || { nok "the simulator is built" "$SIM not found"; finish; exit 1; }
[ -x "$PY" ] || PY=python3

set -- $(free_ports 3)
rb=$1 rg=$2 fe=$3
cat >"$dir/spec" <<'EOF'
tick   blue  every_s=1 run_ms=300
tick   green suspended=1
gap    both  every_s=2 run_ms=300 suspended=1
hand   blue  every_s=1 run_ms=300
hand   green suspended=1
routed both  every_s=1 run_ms=300 trigger=routed
attr   both  every_s=1 run_ms=300 trigger=routed
manual both  trigger=routed run_ms=300
EOF
t0=$(now_ms)
sim_start "$dir" --spec "$dir/spec" --bind "$rb=routed/blue" --bind "$rg=routed/green" ||
	{ nok "the simulator starts"; finish; exit 1; }

cat >"$dir/h.cfg" <<CFG
global
	stats socket $dir/h.sock mode 600 level admin
defaults
	mode http
	timeout connect 2s
	timeout client 5s
	timeout server 5s
frontend fe_jobs
	bind 127.0.0.1:$fe
	default_backend be_routed
backend be_routed
	server blue 127.0.0.1:$rb weight 1
	server green 127.0.0.1:$rg weight 0
CFG
haproxy -W -db -f "$dir/h.cfg" >"$dir/h.log" 2>&1 &
ha_pid=$!
i=0
until [ "$(code "http://127.0.0.1:$fe/ready")" = 200 ] || [ $i -ge 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "haproxy answers through the routed backend" [ "$(code "http://127.0.0.1:$fe/ready")" = 200 ]

# The routed job's scheduler starts calling haproxy now; what haproxy
# counted before (the readiness probes) is the baseline.
stot0=$(server_stat stot blue)
check "trigger_url is set" [ "$(C "$(url "_sim/set?svc=routed&side=blue&trigger_url=http://127.0.0.1:$fe/run")")" = ok ]
t_url=$(now_ms)	# every fire after this has its call

# --- keys are checked --------------------------------------------------------
check "trigger_url off loopback is refused" \
	[ "$(code "$(url '_sim/set?svc=routed&trigger_url=http://10.0.0.1:80/run')")" = 400 ]
check "every_s must be whole seconds" [ "$(code "$(url '_sim/set?svc=tick&every_s=0.5')")" = 400 ]
check "trigger must be self or routed" [ "$(code "$(url '_sim/set?svc=tick&trigger=cron')")" = 400 ]

# --- a routed side on its own: /run holds its answer for run_ms ------------
t=$(C -o "$dir/run" -w '%{time_total}' "$(url manual/blue/run)")
check "a routed /run answers that it ran" grep -q '^{"run":true,"service":"manual","side":"blue","fire_ms":null}$' "$dir/run"
check "a routed /run is held for run_ms" "$PY" -c "assert 0.28 <= $t < 1.5, $t"
check "/runs counts the run" [ "$(jget "$(url manual/blue/runs)" '[j["runs"], j["active"]]')" = '[1,0]' ]
check "/runs has last_run in RFC 3339 UTC" \
	matches "$(jget "$(url manual/blue/runs)" 'j["last_run"]')" '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[.][0-9]{3}Z$'
check "/runs before any run says null" [ "$(C "$(url manual/green/runs)")" = '{"active":0,"runs":0,"last_run":null}' ]
check "a self side's /run is an ordinary path" [ "$(C "$(url tick/green/run)")" = \
	'{"status":"UP","service":"tick","side":"green"}' ]
C "$(url '_sim/set?svc=manual&side=green&suspended=1')" >/dev/null
check "a suspended routed side refuses /run with 503" [ "$(code "$(url manual/green/run)")" = 503 ]
check "the refused run is not counted" [ "$(jget "$(url manual/green/runs)" 'j["runs"]')" = 0 ]
check "--bind listeners answer /runs" [ "$(C "http://127.0.0.1:$rg/runs")" = '{"active":0,"runs":0,"last_run":null}' ]

# --- both sides of gap stay suspended for over 3 s from the start ----------
sleep_until_ms $((t0 + 3300))

# X-Sim-Fire names the fire a routed run belongs to; without it, the latest.
fire=$(jget "$(url _sim/jobs?svc=attr)" 'j["fires"][0]["time_ms"]')
fm=$(jget "$(url attr/green/run)" 'j["fire_ms"]' -H "X-Sim-Fire: $fire")
check "X-Sim-Fire attributes the run to that fire" [ "$fm" = "$fire" ]
check "the fire records the routed run" \
	job_true attr '[f["ran"] for f in j["fires"] if f["time_ms"] == '"$fire"'] == [["green"]]'
t_req=$(now_ms)
fm=$(jget "$(url attr/blue/run)" 'j["fire_ms"]')
t_got=$(now_ms)	# the request arrived at least run_ms (300) before this
check "without X-Sim-Fire a run counts for the latest fire" \
	"$PY" -c "assert $fm % 1000 == 0 and $t_req - 1000 < $fm <= $t_got - 300, ($fm, $t_req, $t_got)"
check "that fire records it" job_true attr \
	'[f["ran"] for f in j["fires"] if f["time_ms"] == '"$fm"'] == [["blue"]] and j["runs"]["blue"] == 1'

check "fires are recorded on whole seconds, one a second" job_true tick \
	'len(fires) >= 2 and all(f["time_ms"] % 1000 == 0 for f in fires) and all(b["time_ms"] - a["time_ms"] == 1000 for a, b in zip(fires, fires[1:]))'
check "every_s=2 fires on even seconds" job_true gap \
	'len(fires) >= 1 and all(f["time_ms"] % 2000 == 0 for f in fires)'
check "a self job runs every fire on blue only" job_true tick \
	'set(ran(fires)) == {("blue",)} and j["runs"]["green"] == 0 and j["runs"]["blue"] == len(fires)'
check "a self job with one side suspended has no doubles, misses or overlaps" job_true tick \
	'j["doubles"] == 0 and j["missed"] == 0 and j["overlaps"] == 0'
check "both sides suspended: fires are missed" job_true gap \
	'j["missed"] > 0 and j["missed"] == len([f for f in settled if f["ran"] == []]) and j["runs"] == {"blue": 0, "green": 0}'
check "a fire is judged (settled) once 1 s old, not before" job_true tick \
	'not j["fires"][-1]["settled"] and all(f["settled"] for f in j["fires"] if f["time_ms"] + 1500 <= now) and not any(f["settled"] for f in j["fires"] if f["time_ms"] + 1000 > now)'
check "/_sim/jobs lists the jobs (not a routed side without every_s)" [ \
	"$(jget "$(url _sim/jobs)" '[x["service"] for x in j["jobs"]]')" = '["tick","gap","hand","routed","attr"]' ]

# --- unsuspend both sides of gap; hand the hand job to green ----------------
check "unsuspending both sides of gap" [ "$(C "$(url '_sim/set?svc=gap&side=both&suspended=0')")" = ok ]
expect_out "get says weight 0 while blue runs hand" 0 '^\{"weight":0,"active":\{"blue":[01],"green":0\},"runs":\{"blue":[0-9]+,"green":0\}\}$' \
	env SIM_PORT="$port" "$TOOL" get hand
check "set hand 100" env SIM_PORT="$port" "$TOOL" set hand 100
t_hand=$(now_ms)
expect_out "get says weight 100 after set 100" 0 '^\{"weight":100,' env SIM_PORT="$port" "$TOOL" get hand
expect_out "a job refuses weight 50" 2 'moves whole' env SIM_PORT="$port" "$TOOL" set hand 50
expect_out "get of a job with both sides active says so, and weight 0" 0 \
	'both sides are active.*"weight":0,|"weight":0,.*both sides are active' \
	sh -c 'env SIM_PORT="$1" "$2" get gap 2>&1 | tr "\n" " "' - "$port" "$TOOL"
expect_out "the tool says when curl fails" 1 'curl failed' env SIM_PORT=1 "$TOOL" get hand
expect_out "the tool names an unknown service" 1 "unknown service 'nosuch'" \
	env SIM_PORT="$port" "$TOOL" get nosuch

# haproxy holds the routed session while the run lasts (300 ms of each 1 s).
check "haproxy shows the routed run as current (scur=1)" "$PY" - "$dir/h.sock" <<'PY'
import socket, sys, time
seen = set()
for _ in range(25):
    s = socket.socket(socket.AF_UNIX); s.settimeout(2); s.connect(sys.argv[1])
    s.sendall(b"show stat\n"); data = b""
    while True:
        b = s.recv(65536)
        if not b: break
        data += b
    s.close()
    lines = data.decode().splitlines()
    head = [h.lstrip("# ") for h in lines[0].split(",")]
    for l in lines[1:]:
        d = dict(zip(head, l.split(",")))
        if d.get("pxname") == "be_routed" and d.get("svname") == "blue":
            seen.add(d["scur"])
    time.sleep(0.08)
assert "1" in seen, seen
PY

sleep_until_ms $((t_hand + 2600))
sleep_to_mid_second
check "unsuspending both gives doubles and overlaps" job_true gap \
	'j["doubles"] > 0 and j["overlaps"] > 0 and ("blue", "green") in ran(j["fires"])'
check "after set 100 every fire runs on green" job_true hand \
	'len(fires) >= 2 and set(ran(fires)) == {("green",)}' "$t_hand"
check "the hand-over doubled nothing" job_true hand 'j["doubles"] == 0 and j["overlaps"] == 0'
check "a routed job runs every fire on the weighted server" job_true routed \
	'len(settled) >= 2 and set(ran(settled)) == {("blue",)} and j["runs"]["green"] == 0 and j["calls"]["failed"] == 0' "$t_url"
# Compared only while no call is in flight (haproxy counts a session before
# the simulator sees its request): the simulator's counts are the same
# before and after haproxy's, and every call sent has ended.
quiet='[j["runs"]["blue"], j["calls"]["sent"] - j["calls"]["ok"] - j["calls"]["failed"]]'
i=0
while :; do
	before=$(jget "$(url _sim/jobs?svc=routed)" "$quiet")
	stot=$(server_stat stot blue)
	after=$(jget "$(url _sim/jobs?svc=routed)" "$quiet")
	[ "$before" = "$after" ] && [ "${after#*,}" = "0]" ] && break
	i=$((i + 1))
	[ $i -ge 5 ] && break
	sleep_to_mid_second
done
runs_blue=${after%,*}
runs_blue=${runs_blue#[}
check "haproxy stot for blue counts the routed runs" same "$((stot - stot0))" "$runs_blue"
check "haproxy sent green nothing" same "$(server_stat stot green)" 0

# --- a slow hand-over back misses fires (suspend first, never double) ------
check "set hand 0 with SIM_TOOL_SLOW_S=1.2" env SIM_PORT="$port" SIM_TOOL_SLOW_S=1.2 "$TOOL" set hand 0
sleep 1.1
check "a slow hand-over misses a fire and doubles none" job_true hand \
	'j["missed"] >= 1 and j["doubles"] == 0'
expect_out "get says weight 0 after set 0" 0 '^\{"weight":0,' env SIM_PORT="$port" "$TOOL" get hand

finish
