#!/bin/sh
# Scheduled jobs handed between blue and green in the gap between ticks,
# with the simulator's job schedulers as the truth: a scheduler on each
# side, suspended or not by an exec tool (tests/tools/sim_job_tool), fires
# every 5 s and runs 0.6 s. Through a running engine (cutover serve):
# - HANDOFFS handoffs back and forth (default 6; `make soak`: 100),
#   requested one second before a fire, while a run is active, or at
#   random: 0 double, 0 missed, 0 overlapping runs, each within one period
#   plus the tool's time (intent to outcome, from the journal);
# - a request inside the guard waits, says so, and switches after the run;
# - a tool slow between suspend and resume loses no tick;
# - a schedule with no gap is refused by the handoff gate, with the reason;
# - a wait is cancelled from the API, and nothing changes;
# - a double and a miss caused behind cutover's back are in the ledger,
#   the journal, `cutover jobs`, and alerted;
# - a job whose runs are read from its runs URLs (one of them broken);
# - `cutover jobs --json` has the documented shape.
# Env: BIN, SIM, HANDOFFS, SLOW_HANDOFFS (default 3; 0 skips that part).
. tests/lib/assert.sh
. tests/lib/sim.sh
BIN=${BIN:-./cutover}
SIM=${SIM:-build/cutover-sim}
HANDOFFS=${HANDOFFS:-6}
SLOW_HANDOFFS=${SLOW_HANDOFFS:-3}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
case $BIN in */*) ;; *) [ -x "$BIN" ] && BIN=./$BIN ;; esac
dir=$(mktemp -d)
pids=
spid=
cleanup() {
	for p in $spid $pids; do stop_pid "$p"; done
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cat > "$dir/spec" <<'SPEC'
hop blue every_s=5 run_ms=600 suspended=0
hop green suspended=1
fast blue every_s=1 run_ms=900 suspended=0
fast green suspended=1
rx blue every_s=2 run_ms=200 suspended=0
rx green suspended=1
SPEC
sim_start "$dir" --spec "$dir/spec" || { echo "the simulator did not start"; exit 1; }
pids="$pids $sim_pid"
export SIM_PORT=$port
tool=$(pwd)/tests/tools/sim_job_tool

# config FILE GUARD EXTRA_SERVICE_KEYS: the release over the exec tool.
config() {
	cat > "$1" <<EOF
{"release":"jobs","state_dir":"$dir/state","probe":{"interval_ms":250},
 "router":{"driver":"exec","exec":{"set":["$tool","set","{service}","{weight}"],
                                   "get":["$tool","get","{service}"],"timeout_ms":2000}},
 "alerts":[{"exec":["/bin/sh","-c","echo \"\$0 \$1\" >> $dir/alerts","{event}","{service}"]}],
 "services":[
  {"name":"hop","kind":"job","schedule":"*/5 * * * * *","guard_s":$2,"max_run_s":1$3,
   "blue":{"health":"http://127.0.0.1:$port/hop/blue/health"},
   "green":{"health":"http://127.0.0.1:$port/hop/green/health"}},
  {"name":"fast","kind":"job","schedule":"* * * * * *","guard_s":1,"max_run_s":1,
   "blue":{"health":"http://127.0.0.1:$port/fast/blue/health"},
   "green":{"health":"http://127.0.0.1:$port/fast/green/health"}},
  {"name":"rx","kind":"job","schedule":"*/2 * * * * *","guard_s":0,
   "blue":{"health":"http://127.0.0.1:$port/rx/blue/health","runs":"http://127.0.0.1:$port/rx/blue/runs"},
   "green":{"health":"http://127.0.0.1:$port/rx/green/health","runs":"http://127.0.0.1:$port/nosuch/green/runs"}}]}
EOF
}
config "$dir/c.json" 1 ""
check "the config with schedules is valid" "$BIN" check -c "$dir/c.json"

# serve: the engine in the background; waits for its "up" line.
serve() {
	"$BIN" serve -c "$dir/c.json" 2>>"$dir/serve.err" &
	spid=$!
	_i=0
	while ! grep -q ' up: socket' "$dir/serve.err" 2>/dev/null && [ $_i -lt 200 ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
}
serve
sleep 2	# a first reading of each side

truth() {	# JOB: the simulator's record since $since_ms, as "doubles missed overlaps"
	curl -s --noproxy '*' -m 2 "http://127.0.0.1:$port/_sim/jobs?svc=$1" | "$PY" -c '
import json, sys
d = json.load(sys.stdin); since = int(sys.argv[1])
f = [x for x in d["fires"] if x["time_ms"] >= since and x["settled"]]
print(sum(len(x["ran"]) == 2 for x in f), sum(len(x["ran"]) == 0 for x in f), d["overlaps"], len(f))' "$2"
}
# other JOB: the side the job is not on (the tool says where it is).
other() { "$tool" get "$1" 2>/dev/null | grep -q '"weight":100' && echo blue || echo green; }
now_ms() { "$PY" -c 'import time; print(int(time.time() * 1000))'; }

since=$(now_ms)
"$PY" tests/integration/jobs_handoff.py "$BIN" "$dir/c.json" hop 5 "$HANDOFFS" 11 7 > "$dir/handoffs" 2>&1
rc=$?
sed 's/^/# /' "$dir/handoffs"
[ $rc -eq 0 ] && ok "$HANDOFFS handoffs applied, each within one period plus the tool's time" ||
	nok "$HANDOFFS handoffs applied, each within one period plus the tool's time" "$(cat "$dir/handoffs")"
check "the requests one second before a fire waited" sh -c "grep 'before-fire' '$dir/handoffs' | grep -q waited"
check "the requests while a run was active waited" sh -c "grep 'run-active' '$dir/handoffs' | grep -q waited"
sleep 2
set -- $(truth hop "$since")
check "the simulator saw 0 double, 0 missed, 0 overlapping runs over $4 fires" test "$1 $2 $3" = "0 0 0" -a "$4" -ge 2
"$BIN" jobs -c "$dir/c.json" --json > "$dir/jobs.json"
check "cutover's ledger agrees: 0 double, 0 missed" "$PY" -c '
import json, sys
j = {x["name"]: x for x in json.load(open(sys.argv[1]))["jobs"]}["hop"]
assert j["doubles"] == 0 and j["missed"] == 0, j
assert len(j["ticks"]) >= 2 and all(t["status"] in ("ok", "pending") for t in j["ticks"]), j["ticks"]' "$dir/jobs.json"
check "jobs --json has the documented shape" "$PY" -c '
import json, re, sys
d = json.load(open(sys.argv[1]))
assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", d["now"]), d["now"]
for j in d["jobs"]:
    for k in ("name", "schedule", "timezone", "next", "weight", "active", "ticks"):
        assert k in j, k
    assert len(j["next"]) == 3 and all(re.match(r".*T.*(Z|[+-]\d\d:\d\d)$", t) for t in j["next"]), j["next"]
    assert set(j["active"]) == {"blue", "green"}
    for t in j["ticks"]:
        assert set(t) == {"time", "ran", "status"} and t["status"] in ("ok", "double", "missed", "pending"), t' "$dir/jobs.json"
check "a job with runs URLs is read through them: every tick ran on blue" "$PY" -c '
import json, sys
j = {x["name"]: x for x in json.load(open(sys.argv[1]))["jobs"]}["rx"]
assert j["source"] == "runs", j
assert len(j["ticks"]) >= 3, j["ticks"]
assert all(t["ran"] == ["blue"] for t in j["ticks"][:-1]), j["ticks"]
assert j["active"]["green"] is None and "HTTP 404" in j["green_runs_error"], j' "$dir/jobs.json"
expect_out "jobs prints each job with its ticks" 0 "hop  \"\\*/5 \\* \\* \\* \\* \\*\" UTC" "$BIN" jobs -c "$dir/c.json"

# A schedule that never leaves a gap: every second, runs up to 1 s.
expect_out "a schedule with no gap is refused, with the reason" 1 \
	"block handoff +the schedule leaves no gap: fires every 1 s" \
	"$BIN" move -c "$dir/c.json" fast --to green --yes

# Inside the guard: wait, say so, switch after the fire's run.
"$PY" -c 'import time; t = time.time(); time.sleep((int(t) // 5 + 1) * 5 - 0.6 - t if (int(t) // 5 + 1) * 5 - 0.6 > t else 5 - 0.6 + ((int(t) // 5 + 1) * 5 - t))'
fire=$(( ($(date +%s) / 5 + 1) * 5 ))
"$BIN" move -c "$dir/c.json" hop --to "$(other hop)" --yes > "$dir/guard.out" 2>&1
after=$(date +%s)
check "a request inside the guard says it waits" grep -q "handoff waits" "$dir/guard.out"
check "and switches after the fire, once its run ended" test "$after" -ge "$fire"
check "it applied" grep -q "^applied" "$dir/guard.out"

# A wait let go of from the API: the next fire is inside the guard.
"$PY" -c 'import time; t = time.time(); n = (int(t) // 5 + 1) * 5; time.sleep(max(0, n - 0.8 - t))'
was=$(other hop)
"$BIN" move -c "$dir/c.json" hop --to "$was" --yes > "$dir/cancel.out" 2>&1 &
mpid=$!
pids="$pids $mpid"
sleep 0.4
sock="$dir/state/jobs.sock"
# The waiting plan's intent is journaled before it waits.
plan=$(grep '"type":"intent"' "$dir/state/jobs.journal.jsonl" | tail -1 | grep -o '"plan":"p-[^"]*"' | cut -d'"' -f4)
check "the engine says the job's handoff waits" sh -c "curl -s --unix-socket '$sock' http://e/v1/jobs | grep -q 'handoff waits'"
code=$(curl -s -o "$dir/cancel.json" -w '%{http_code}' --unix-socket "$sock" -d '{}' http://e/v1/plans/$plan/cancel)
wait $mpid
check "a waiting plan is cancelled through the API (200)" \
	sh -c "test '$code' = 200 || { cat '$dir/cancel.json'; echo ' plan $plan, HTTP $code'; exit 1; }"
check "the move says nothing changed for the job" grep -q "cancelled while waiting for its gap; nothing changed" "$dir/cancel.out"
check "the job stayed where it was" test "$(other hop)" = "$was"
check "the skipped move is journaled" grep -q '"result":"skipped".*cancelled while waiting' "$dir/state/jobs.journal.jsonl"

# A tool slow between suspend and resume (0.8 s): the gap holds it.
if [ "$SLOW_HANDOFFS" -gt 0 ]; then
	stop_pid "$spid"
	SIM_TOOL_SLOW_S=0.8 serve
	sleep 1.5
	since=$(now_ms)
	"$PY" tests/integration/jobs_handoff.py "$BIN" "$dir/c.json" hop 5 "$SLOW_HANDOFFS" 5 8 "$(other hop)" > "$dir/slow" 2>&1
	rc=$?
	sed 's/^/# /' "$dir/slow"
	[ $rc -eq 0 ] && ok "$SLOW_HANDOFFS handoffs with a slow tool applied" ||
		nok "$SLOW_HANDOFFS handoffs with a slow tool applied" "$(cat "$dir/slow")"
	sleep 2
	set -- $(truth hop "$since")
	check "a slow tool lost no tick and doubled none ($4 fires)" test "$1 $2 $3" = "0 0 0"
fi

# Behind cutover's back: both sides suspended (a miss), then both running.
set_side() { curl -s --noproxy '*' -m 2 "http://127.0.0.1:$port/_sim/set?svc=hop&side=$1&suspended=$2" >/dev/null; }
"$PY" -c 'import time; t = time.time(); time.sleep((int(t) // 5 + 1) * 5 + 1.5 - t)'
set_side both 1	# the next fire finds both suspended
sleep 5
set_side both 0	# the one after, both running
sleep 5.5
"$BIN" jobs -c "$dir/c.json" --json > "$dir/back.json"
check "the ledger caught the miss and the double" "$PY" -c '
import json, sys
j = {x["name"]: x for x in json.load(open(sys.argv[1]))["jobs"]}["hop"]
st = [t["status"] for t in j["ticks"]]
assert "missed" in st and "double" in st, st
assert j["missed"] >= 1 and j["doubles"] >= 1, j' "$dir/back.json"
check "both are journaled" sh -c "grep -q '\"type\":\"job\".*\"status\":\"missed\"' '$dir/state/jobs.journal.jsonl' &&
	grep -q '\"type\":\"job\".*\"status\":\"double\"' '$dir/state/jobs.journal.jsonl'"
check "and alerted" sh -c "grep -q 'job.missed hop' '$dir/alerts' && grep -q 'job.double hop' '$dir/alerts'"
expect_out "jobs marks them" 0 "<< (DOUBLE|MISSED)" "$BIN" jobs -c "$dir/c.json"
"$tool" set hop 0 >/dev/null 2>&1
finish
