#!/bin/sh
# Rollouts on autopilot, end to end: `cutover serve` over a real haproxy
# and simulator backends, bakes of 0.3-6 s. A rollout walks to 100; a green
# that starts failing mid-bake is rolled back within the detection floor,
# and the webhook receiver gets the alert with the breaching figures; halt
# holds the weight; pause, resume, promote and promote --full; a plan of
# three waves keeps its order and its parallel bound; kill -9 mid-bake and
# the bake resumes with the time it had left; a webhook that hangs and one
# that answers 500 delay nothing; refusals (no engine, no terminal, twice).
. tests/lib/assert.sh
. tests/lib/sim.sh
. tests/lib/haproxy.sh
BIN=${BIN:-./cutover}
SIM=${SIM:-build/cutover-sim}
PY=${PY:-/usr/bin/python3}
dir=$(mktemp -d)
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ms() { date +%s%3N; }
wait_for() {	# SECONDS CMD...: polls CMD until it passes
	_wf_end=$(($(now_ms) + $1 * 1000)); shift
	while :; do
		"$@" 2>/dev/null && return 0
		[ "$(now_ms)" -lt "$_wf_end" ] || return 1
		sleep 0.05
	done
}

SVCS="api brk web pz slow kb nightly w1 w2 w3 w4"
set -- $(free_ports 26)
FE=$1 HOOK=$2 HANG=$3; shift 3
binds=
for s in $SVCS; do
	eval "${s}_b=$1 ${s}_g=$2"
	binds="$binds --bind $1=$s/blue --bind $2=$s/green"
	shift 2
done
sim_start "$dir" $binds || { echo "the simulator did not start"; exit 1; }
pids="$pids $sim_pid"
SIMP=$port

# --- haproxy: one backend a service --------------------------------------
{
	printf 'global\n\tstats socket %s/h.sock mode 600 level admin\n\tmaxconn 2000\n' "$dir"
	printf 'defaults\n\tmode http\n\ttimeout connect 2s\n\ttimeout client 5s\n\ttimeout server 5s\n'
	printf 'frontend fe\n\tbind 127.0.0.1:%s\n\tdefault_backend be_brk\n' "$FE"
	for s in $SVCS; do
		eval "b=\$${s}_b g=\$${s}_g"
		printf 'backend be_%s\n\tbalance roundrobin\n\tserver blue 127.0.0.1:%s weight 100\n\tserver green 127.0.0.1:%s weight 0\n' "$s" "$b" "$g"
	done
} > "$dir/h.cfg"
haproxy -W -db -f "$dir/h.cfg" >"$dir/h.log" 2>&1 &
pids="$pids $!"
wait_for 5 test -S "$dir/h.sock" || { echo "haproxy did not start"; cat "$dir/h.log"; exit 1; }
share() { haproxy_share "$dir/h.sock" "be_$1"; }
share_is() { [ "$(share "$1")" = "$2" ]; }
expect() { if [ "$2" = "$3" ]; then ok "$1"; else nok "$1" "got $2, want $3"; fi; }

# --- Webhook receivers: one that records, one that hangs, none on a port ---
"$PY" - "$HOOK" "$dir/hooks" <<'PY' &
import http.server, sys
out = sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(out, "ab") as f: f.write(body + b"\n")
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
pids="$pids $!"
"$PY" - "$HANG" <<'PY' &
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64)
held = []
while True:
    c, _ = s.accept(); held.append(c)	# reads nothing, answers nothing
PY
pids="$pids $!"

# --- The release ------------------------------------------------------------
svc() {	# name kind group
	printf '{"name":"%s","kind":"%s","group":"%s","route":{"backend":"be_%s"},"blue":{"health":"http://127.0.0.1:%s/%s/blue/health"},"green":{"health":"http://127.0.0.1:%s/%s/green/health"}' \
		"$1" "$2" "$3" "$1" "$SIMP" "$1" "$SIMP" "$1"
}
cat > "$dir/c.json" <<EOF
{"release":"ro","state_dir":"$dir/state",
 "router":{"driver":"haproxy","timeout_ms":500,"sockets":["$dir/h.sock"]},
 "probe":{"interval_ms":100,"timeout_ms":300,"fall":2,"rise":1,"window":20},
 "gates":{"min_samples":3,"max_error_rate_pct":5,"max_p95_delta_pct":500},
 "rollout":{"steps":[{"weight":5,"bake_s":0.3},{"weight":25,"bake_s":0.3},100],"bake_s":0.3,
            "max_failed_checks":2,"parallel":4},
 "groups":{"hold":{"rollout":{"on_breach":"halt","steps":[{"weight":5,"bake_s":30},100]}},
           "gated":{"rollout":{"steps":[{"weight":10,"bake_s":0.3},{"pause":true},{"weight":100,"bake_s":0.3}]}},
           "long":{"rollout":{"steps":[{"weight":25,"bake_s":30},100]}},
           "waves":{"rollout":{"steps":[{"weight":50,"bake_s":0.6},100]}}},
 "plan":{"waves":[{"targets":["nightly"]},{"targets":["w1","w2","w3"],"parallel":2},{"targets":["w4"]}]},
 "alerts":[{"webhook":"http://127.0.0.1:$HOOK/hook?token=s3cr3tt0k3n","format":"json"},
           {"webhook":"http://127.0.0.1:$HANG/slow","format":"slack"}],
 "services":[
  $(svc api exposed front)},
  $(svc brk exposed front),"rollout":{"steps":[{"weight":25,"bake_s":20},100]}},
  $(svc web exposed hold)},
  $(svc pz exposed gated)},
  $(svc slow exposed long)},
  $(svc kb exposed front),"rollout":{"steps":[{"weight":5,"bake_s":6},100]}},
  $(svc nightly job batch)},
  $(svc w1 exposed waves)}, $(svc w2 exposed waves)}, $(svc w3 exposed waves)}, $(svc w4 exposed waves)}
 ]}
EOF
C="-c $dir/c.json"
J="$dir/state/ro.journal.jsonl"

# 0. No engine: refused, naming what to do.
expect_out "rollout start without an engine is refused, naming serve" 1 "cutover serve" \
	"$BIN" rollout start $C api --yes

serve() {
	"$BIN" serve $C 2>>"$dir/serve.err" &
	spid=$!
	pids="$pids $spid"
	wait_for 10 test -S "$dir/state/ro.sock"
}
serve
# phase SERVICE: the service's rollout phase from the engine.
phase() {
	"$BIN" rollout status $C --json | "$PY" -c "
import json, sys
d = json.load(sys.stdin)
print(next((s['phase'] for s in d['services'] if s['service'] == '$1'), 'none'))"
}
is_phase() { [ "$(phase "$1")" = "$2" ]; }
field() {	# SERVICE KEY
	"$BIN" rollout status $C --json | "$PY" -c "
import json, sys
d = json.load(sys.stdin)
print(next(s['$2'] for s in d['services'] if s['service'] == '$1'))"
}
# Let the probes fill the windows: a verdict is needed to advance.
wait_for 10 sh -c "'$BIN' status $C --json | grep -q '\"verdict\": *\"pass\"'"

# 1. Refusals before anything starts.
expect_out "start with no terminal and no --yes is refused" 1 "no terminal to confirm" \
	"$BIN" rollout start $C api </dev/null
expect_out "status takes no targets" 2 "takes no targets" "$BIN" rollout status $C api
expect_out "an unknown service is named" 1 "nosuch" "$BIN" rollout start $C nosuch --yes

# 2. A rollout walks to 100.
expect_out "start api asks nothing with --yes and starts it" 0 "started" \
	"$BIN" rollout start $C api --yes
check "api walks its three steps to done" wait_for 20 is_phase api done
expect "haproxy holds api at 100" "$(share api)" 100
check "the journal has started, advancing, baking, done for api" "$PY" - "$J" <<'PY'
import json, sys
ev = [r["event"] for r in map(json.loads, open(sys.argv[1])) if r.get("type") == "rollout" and r.get("service") == "api"]
assert ev[0] == "started" and ev[-1] == "done" and ev.count("advancing") == 3 and ev.count("baking") == 3, ev
PY
metrics() { curl -s --max-time 5 --unix-socket "$dir/state/ro.sock" http://engine/metrics > "$dir/m"; }
metrics
check "/metrics is clean for promtool with a rollout in it" promtool check metrics < "$dir/m"
check "/metrics says api's rollout is done and counts checks" sh -c \
	"grep -q '^cutover_rollout_phase{service=\"api\",phase=\"done\"} 1' '$dir/m' && grep -q '^cutover_rollout_checks_total [1-9]' '$dir/m'"
expect_out "a second start of a finished rollout starts it again (nothing to do)" 0 "started" \
	"$BIN" rollout start $C api --yes

# 3. Green fails mid-bake: rolled back, the webhook gets the figures, and
#    a hanging second webhook delays nothing.
"$BIN" rollout start $C brk --yes >/dev/null
check "brk reaches 25 and bakes" wait_for 15 share_is brk 25
t0=$(now_ms)
curl -s "http://127.0.0.1:$SIMP/_sim/set?svc=brk&side=green&err_pct=100" >/dev/null
check "brk is back at 0 on haproxy" wait_for 10 share_is brk 0
t1=$(now_ms)
echo "# time to safety: $((t1 - t0)) ms (floor 100 ms x (fall 2 + 2 checks) = 400 ms)"
check "within the floor + 1 s plus the poll of this test (2 s)" test $((t1 - t0)) -le 2000
check "brk's phase says rolled_back" wait_for 5 is_phase brk rolled_back
check "the webhook got rolled_back with green's error figures" wait_for 10 "$PY" - "$dir/hooks" <<'PY'
import json, sys
hooks = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rb = [h for h in hooks if h["event"] == "rolled_back" and h["service"] == "brk"]
assert rb, [h["event"] for h in hooks]
f = rb[0]["figures"]
assert f["green_error_pct"] > 5 and f["max_error_rate_pct"] == 5, f
assert rb[0]["release"] == "ro" and rb[0]["time"], rb[0]
PY
check "the journal's rolled_back record carries the figures" grep -q '"event":"rolled_back".*"figures":{.*"green_error_pct"' "$J"
expect_out "status names the last failed check with its figures" 0 "green" "$BIN" rollout status $C
check "no secret of the webhook URL in the journal or the engine's stderr" sh -c "! grep -q s3cr3tt0k3n '$J' '$dir/serve.err'"

# 4. on_breach halt holds the weight and waits for a human.
"$BIN" rollout start $C web --yes >/dev/null
check "web reaches 5" wait_for 10 share_is web 5
curl -s "http://127.0.0.1:$SIMP/_sim/set?svc=web&side=green&err_pct=100" >/dev/null
check "web halts" wait_for 10 is_phase web halted
sleep 0.5
expect "haproxy still holds web at 5" "$(share web)" 5
expect_out "the needs-you line names web" 0 "NEEDS YOU: web" "$BIN" rollout status $C
expect_out "abort without a terminal is refused" 1 "no terminal" "$BIN" rollout abort $C web </dev/null
expect_out "abort --yes puts web back" 0 "aborted" "$BIN" rollout abort $C web --yes
check "web is back at 0" wait_for 10 share_is web 0
check "web's phase says rolled_back" wait_for 5 is_phase web rolled_back

# 5. A pause waits for a human; promote goes on.
"$BIN" rollout start $C pz --yes >/dev/null
check "pz waits at its pause step" wait_for 10 is_phase pz waiting
expect "haproxy holds pz at 10 while it waits" "$(share pz)" 10
expect_out "promote pz" 0 "promoted" "$BIN" rollout promote $C pz
check "pz is done after the promote" wait_for 10 is_phase pz done
expect "haproxy holds pz at 100" "$(share pz)" 100

# 6. Pause stops the bake clock, resume restarts it, promote --full ends it.
"$BIN" rollout start $C slow --yes >/dev/null
check "slow bakes at 25" wait_for 10 share_is slow 25
check "slow's phase says baking" wait_for 5 is_phase slow baking
expect_out "pause slow" 0 "paused" "$BIN" rollout pause $C slow
check "slow is paused" wait_for 3 is_phase slow paused
l1=$(field slow bake_left_s); sleep 1; l2=$(field slow bake_left_s)
expect "a paused bake keeps its time left ($l1 = $l2)" "$l1" "$l2"
expect_out "pause twice is refused" 1 "paused already" "$BIN" rollout pause $C slow
expect_out "resume slow" 0 "resumed" "$BIN" rollout resume $C slow
sleep 1; l3=$(field slow bake_left_s)
check "the bake runs again after resume ($l3 < $l2)" "$PY" -c "assert $l3 < $l2"
expect_out "promote --full without a terminal is refused" 1 "no terminal" "$BIN" rollout promote $C --full slow </dev/null
expect_out "promote --full --yes" 0 "promoted" "$BIN" rollout promote $C --full --yes slow
check "slow is done at once" wait_for 10 is_phase slow done

# 7. A plan of three waves keeps its order and its parallel bound.
expect_out "rollout start --plan starts the waves" 0 "wave 3" "$BIN" rollout start $C --plan --yes
all_done() { for s in "$@"; do is_phase "$s" done || return 1; done; }
check "every service of the plan is done" wait_for 40 all_done nightly w1 w2 w3 w4
check "the journal keeps wave order and at most 2 of wave 2 at once" "$PY" - "$J" <<'PY'
import json, sys
recs = [r for r in map(json.loads, open(sys.argv[1])) if r.get("type") == "rollout"]
start = max(i for i, r in enumerate(recs) if r["event"] == "started" and r["service"] == "nightly")
recs = recs[start:]
first = {}
last = {}
for i, r in enumerate(recs):
    s = r.get("service")
    if r["event"] == "advancing": first.setdefault(s, i)
    if r["event"] == "done": last[s] = i
assert last["nightly"] < min(first[s] for s in ("w1", "w2", "w3")), (first, last)
assert max(last[s] for s in ("w1", "w2", "w3")) < first["w4"], (first, last)
busy = 0; peak = 0
for r in recs:
    if r.get("service") in ("w1", "w2", "w3"):
        if r["event"] == "advancing" and r["step"] == 1: busy += 1
        if r["event"] == "done": busy -= 1
        peak = max(peak, busy)
assert peak == 2, peak
assert any(r["event"] == "plan_completed" and r["checks"] > 0 for r in recs), "no plan_completed"
PY

# 8. kill -9 mid-bake: the restarted engine resumes with the time left.
"$BIN" rollout start $C kb --yes >/dev/null
check "kb bakes at 5" wait_for 10 share_is kb 5
sleep 2.5
kill -9 "$spid"; wait "$spid" 2>/dev/null
sleep 1
serve
check "kb bakes again after the restart" wait_for 10 is_phase kb baking
left=$(field kb bake_left_s)
echo "# kb's bake left after the restart: $left s of 6 (killed after about 2.5 s)"
check "the bake resumed with its time left, not from zero (2 <= $left <= 4.5)" "$PY" -c "assert 2 <= $left <= 4.5"
check "the journal says it resumed" grep -q '"event":"baking","service":"kb".*"resumed_s"' "$J"
check "kb goes on to done" wait_for 15 is_phase kb done
check "the earlier rollouts are still known after the restart" is_phase brk rolled_back
check "the journal verifies" "$BIN" journal $C --verify

expect_out "the webhook got every kind of event" 0 "" "$PY" - "$dir/hooks" <<'PY'
import json, sys
ev = {json.loads(l)["event"] for l in open(sys.argv[1]) if l.strip()}
need = {"started", "advanced", "waiting", "halted", "rolled_back", "completed", "health_down"}
assert need <= ev, need - ev
PY
kill "$spid"; wait "$spid" 2>/dev/null
finish
