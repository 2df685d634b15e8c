#!/bin/sh
# `cutover status` end to end against the simulator: JSON shape for scripts,
# the table for people, and a mixed fleet (hanging, refusing, garbage,
# failing endpoints) answered within 5 s of `--for 4`. Then the router's
# side of it: rehearsal weights before and after a move, and a fleet of two
# real haproxy processes: weight set through the runtime socket, drift when
# it is changed behind cutover's back, traffic counted at the frontend, a
# dead instance named on stderr (exit still 0).
. tests/lib/assert.sh
. tests/lib/sim.sh
. tests/lib/haproxy.sh
BIN=${BIN:-./cutover}
SIM=${SIM:-build/cutover-sim}
dir=$(mktemp -d)
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	rm -rf "$dir"
}
trap cleanup EXIT

cat > "$dir/spec" <<'SPEC'
api blue lat_ms=2 jitter_ms=0.2
api green lat_ms=30 jitter_ms=1
same blue lat_ms=2
same green lat_ms=2
hang green mode=hang
reset green mode=reset
garbage green mode=garbage
sick green err_pct=100
SPEC
sim_start "$dir" --spec "$dir/spec" || { echo "the simulator did not start"; exit 1; }
pids="$pids $sim_pid"

svc() {	# name kind [green-url]
	g=${3:-http://127.0.0.1:$port/$1/green/health}
	printf '{"name":"%s","kind":"%s","group":"g1","blue":{"health":"http://127.0.0.1:%s/%s/blue/health"},"green":{"health":"%s"}}' "$1" "$2" "$port" "$1" "$g"
}
{
	printf '{"release":"st","state_dir":"%s/state","probe":' "$dir"
	printf '{"interval_ms":100,"timeout_ms":400},"gates":{"min_samples":10},"services":['
	svc api exposed; printf ,; svc same exposed; printf ,; svc hang exposed; printf ,; svc reset job; printf ,
	svc garbage exposed; printf ,; svc sick exposed; printf ,
	svc refused exposed "http://ops:hunter2@127.0.0.1:1/refused"
	printf ']}\n'
} > "$dir/c.json"

"$BIN" status -c "$dir/c.json" --for 2 --json > "$dir/out.json" 2>"$dir/err"
check "status --json exits 0" test $? -eq 0
check "status --json has the documented shape" python3 - "$dir/out.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["release"] == "st"
s = {x["name"]: x for x in d["services"]}
for x in d["services"]:
    for k in ("name", "kind", "group", "weight", "blue", "green", "delta", "verdict", "reason"):
        assert k in x, k
    for side in ("blue", "green"):
        for k in ("health", "p50_ms", "p95_ms", "p99_ms", "error_pct", "samples", "last_error"):
            assert k in x[side], (side, k)
    assert "p95_ms" in x["delta"] and "p95_pct" in x["delta"]
    assert x["verdict"] in ("pass", "marginal", "fail", "nodata")
assert s["api"]["verdict"] == "fail", s["api"]
assert s["api"]["delta"]["p95_ms"] > 20
assert s["same"]["verdict"] in ("pass", "marginal"), s["same"]
assert s["hang"]["green"]["last_error"].startswith("timeout after 400 ms")
assert s["sick"]["green"]["last_error"] == "HTTP 503"
assert s["refused"]["green"]["last_error"] == "connection refused"
assert s["refused"]["green"]["p95_ms"] is None
assert s["api"]["weight"] == 0, s["api"]	# rehearsal: nothing moved yet
for k in ("drift", "traffic"):
    for x in d["services"]:
        assert k in x, k
assert s["api"]["drift"] is False
assert s["api"]["traffic"] is None	# rehearsal has no traffic of its own
assert d["router"] == {"driver": "rehearsal", "up": 1, "total": 1}, d["router"]
assert d["rehearsal"] is True
assert s["reset"]["kind"] == "job"
PY
check "a password in a health URL is never printed" sh -c "! grep -q hunter2 '$dir/out.json' '$dir/err'"

start=$(date +%s%N)
"$BIN" status -c "$dir/c.json" --for 4 > "$dir/table.txt" 2>&1
rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
check "status --for 4 on a mixed fleet returns within 5 s (took ${ms} ms)" test "$rc" -eq 0 -a "$ms" -lt 5000
check "the table names sides and verdicts in words" grep -q "api .*fail" "$dir/table.txt"
check "the table shows the failure in words" grep -q "green: timeout after 400 ms" "$dir/table.txt"
expect_out "bad --for is a usage error" 2 "--for takes seconds" "$BIN" status -c "$dir/c.json" --for abc

# --- The router: rehearsal ---------------------------------------------------
check "status writes nothing: no state directory after three runs" test ! -e "$dir/state"
expect_out "a rehearsal move of same to 25 applies" 0 "applied" \
	"$BIN" move -c "$dir/c.json" same --to green --weight 25 --yes
"$BIN" status -c "$dir/c.json" --for 0.3 --json > "$dir/reh.json" 2>"$dir/reh.err"
check "after the move status --json shows same at 25, api still at 0" python3 - "$dir/reh.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s = {x["name"]: x for x in d["services"]}
assert s["same"]["weight"] == 25, s["same"]
assert s["same"]["drift"] is False, s["same"]["drift"]
assert s["api"]["weight"] == 0, s["api"]
assert d["rehearsal"] is True
PY
"$BIN" status -c "$dir/c.json" --for 0.3 > "$dir/reh.txt" 2>&1
check "the table shows W% 25 for same" grep -Eq '^same +exposed +g1 +25 \|' "$dir/reh.txt"
check "the table says REHEARSAL on a line of its own" grep -q '^\*\*\* REHEARSAL' "$dir/reh.txt"

# The rehearsal driver seeds from the journal: one it cannot read leaves the
# router unread, which status says and goes on (weights null, exit 0).
mkdir -p "$dir/bad/st.journal.jsonl"
sed "s#$dir/state#$dir/bad#" "$dir/c.json" > "$dir/cbad.json"
"$BIN" status -c "$dir/cbad.json" --for 0 --json > "$dir/cbad.out" 2>"$dir/cbad.err"
check "a router that cannot be opened is a warning, exit 0" test $? -eq 0
check "it is named on stderr" grep -q '^warning: router not read: rehearsal driver' "$dir/cbad.err"
check "and router up/total and weights are null" python3 -c "
import json
d = json.load(open('$dir/cbad.out'))
assert d['router'] == {'driver': 'rehearsal', 'up': None, 'total': None}, d['router']
assert all(x['weight'] is None for x in d['services'])"

# --- The router: a fleet of two haproxy processes -----------------------------
set -- $(free_ports 5)
api_b=$1 api_g=$2 web_b=$3 web_g=$4 fe=$5
"$SIM" --port 0 --port-file "$dir/hport" --bind "$api_b=api/blue" --bind "$api_g=api/green" \
	--bind "$web_b=web/blue" --bind "$web_g=web/green" 2>/dev/null &
pids="$pids $!"
i=0; while [ ! -s "$dir/hport" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
hport=$(cat "$dir/hport")

haproxy_cfg() {	# N: instance 1 also has the frontend the traffic goes through
	cat <<CFG
global
	stats socket $dir/h$1.sock mode 600 level admin
	maxconn 200
defaults
	mode http
	timeout connect 2s
	timeout client 5s
	timeout server 5s
CFG
	[ "$1" = 1 ] && printf 'frontend fe_api\n\tbind 127.0.0.1:%s\n\tdefault_backend be_api\n' "$fe"
	cat <<CFG
backend be_api
	balance roundrobin
	server blue 127.0.0.1:$api_b weight 100
	server green 127.0.0.1:$api_g weight 0
backend be_web
	server blue 127.0.0.1:$web_b weight 100
	server green 127.0.0.1:$web_g weight 0
CFG
}
start_haproxy() {	# N
	haproxy_cfg "$1" > "$dir/h$1.cfg"
	haproxy -W -db -f "$dir/h$1.cfg" >"$dir/h$1.log" 2>&1 &
	eval "hapid$1=$!"
	pids="$pids $!"
	i=0; while [ ! -S "$dir/h$1.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
}
start_haproxy 1
start_haproxy 2

hsvc() {	# name backend
	printf '{"name":"%s","kind":"exposed","route":{"backend":"%s"},"blue":{"health":"http://127.0.0.1:%s/%s/blue/health"},"green":{"health":"http://127.0.0.1:%s/%s/green/health"}}' \
		"$1" "$2" "$hport" "$1" "$hport" "$1"
}
{
	printf '{"release":"hs","state_dir":"%s/hstate","router":{"driver":"haproxy","timeout_ms":500,"sockets":["%s/h1.sock","%s/h2.sock"]},' "$dir" "$dir" "$dir"
	printf '"probe":{"interval_ms":50,"timeout_ms":400},"gates":{"min_samples":3},"services":['
	hsvc api be_api; printf ,; hsvc web be_web
	printf ']}\n'
} > "$dir/h.json"

# hset INSTANCE COMMAND: behind cutover's back, through the runtime socket.
hset() { haproxy_cmd "$dir/h$1.sock" "$2" >/dev/null; }
# hstatus NAME PYTHON: status --json on the fleet exits 0 and PYTHON holds
# with d (the document) and s (services by name).
hstatus() {
	"$BIN" status -c "$dir/h.json" --for 0.3 --json > "$dir/h.out" 2>"$dir/h.err"
	rc=$?
	if [ $rc -ne 0 ]; then nok "$1" "exit $rc: $(cat "$dir/h.err")"; return; fi
	check "$1" python3 -c "
import json
d = json.load(open('$dir/h.out'))
s = {x['name']: x for x in d['services']}
$2"
}

hstatus "haproxy: both instances up, weights 0, traffic known but none yet" '
assert d["router"] == {"driver": "haproxy", "up": 2, "total": 2}, d["router"]
assert d["rehearsal"] is False
assert s["api"]["weight"] == 0 and s["api"]["drift"] is False, s["api"]
t = s["api"]["traffic"]
assert t["blue"]["requests"] == 0 and t["green"]["requests"] == 0, t
assert t["green"]["rtime_ms"] is None, t	# no requests: no response time to report
assert set(t["blue"]) == {"rtime_ms", "err5xx_pct", "sessions", "requests", "responses", "err5xx"}, t'
check "status on haproxy writes nothing either" test ! -e "$dir/hstate"

expect_out "move api to 25 through the runtime sockets" 0 "applied" \
	"$BIN" move -c "$dir/h.json" api --to green --weight 25 --yes
hstatus "haproxy: status shows the weight the move set, no drift" '
assert s["api"]["weight"] == 25 and s["api"]["drift"] is False, s["api"]
assert s["web"]["weight"] == 0, s["web"]'

i=0; while [ $i -lt 50 ]; do
	curl -s -o /dev/null --max-time 3 "http://127.0.0.1:$fe/" || break
	i=$((i + 1))
done
hstatus "haproxy: 50 requests through the frontend show as router traffic on both sides" '
b, g = s["api"]["traffic"]["blue"], s["api"]["traffic"]["green"]
assert b["requests"] + g["requests"] == 50, (b, g)
assert 5 <= g["requests"] <= 20, g
assert g["err5xx_pct"] == 0 and isinstance(g["rtime_ms"], (int, float)), g'

hset 1 "set server be_api/green weight 0"; hset 2 "set server be_api/green weight 0"
hstatus "haproxy: a weight changed behind cutover's back is drift against the journal" '
assert s["api"]["weight"] == 0, s["api"]
assert "journal says 25" in s["api"]["drift"]["detail"], s["api"]["drift"]'
"$BIN" status -c "$dir/h.json" --for 0.3 > "$dir/h.txt" 2>&1
check "the table marks the drift and says why" sh -c \
	"grep -Eq '^api +exposed +- +0~ \|' '$dir/h.txt' && grep -q 'DRIFT: router says 0, journal says 25' '$dir/h.txt'"
check "the table shows the router's traffic" grep -Eq 'router traffic B: [0-9]+ req' "$dir/h.txt"
hset 2 "set server be_api/green weight 25"
hstatus "haproxy: instances that disagree are drift naming both" '
dt = s["api"]["drift"]["detail"]
assert "h1.sock says 0" in dt and "h2.sock says" in dt, dt'

# A journal that cannot be read (here a directory in its place): the router
# is still read, drift against the journal is not judged, and it says so.
mkdir -p "$dir/bad/hs.journal.jsonl"
sed "s#$dir/hstate#$dir/bad#" "$dir/h.json" > "$dir/hbad.json"
"$BIN" status -c "$dir/hbad.json" --for 0.3 --json > "$dir/hbad.out" 2>"$dir/hbad.err"
check "an unreadable journal is a warning, exit 0" sh -c \
	"grep -q '^warning: drift against the journal not checked: .*bad/hs.journal.jsonl' '$dir/hbad.err'"
check "and the weights are still read" python3 -c "
import json
d = json.load(open('$dir/hbad.out'))
assert [x['weight'] for x in d['services']] == [0, 0], d['services']
assert d['router']['up'] == 2, d['router']"

kill "$hapid2"; wait "$hapid2" 2>/dev/null
hstatus "haproxy: a dead instance leaves status at exit 0 with 1 of 2 up" '
assert d["router"]["up"] == 1 and d["router"]["total"] == 2, d["router"]
assert s["api"]["weight"] == 0, s["api"]'
check "the dead instance is named on stderr" \
	grep -q "^warning: router instance $dir/h2.sock unreachable: " "$dir/h.err"
finish
