#!/bin/sh
# A job's two CronJobs handed back and forth many times by the kubernetes
# driver through a running engine (cutover serve), with the API double's
# CronJob controller and its ledger as the truth (tests/k8s/README.md):
# sync-blue and sync-green in namespace shop fire every 5 s (a six-field,
# seconds-first schedule: the double's test extension) and run 0.6 s.
# - HANDOFFS handoffs (default 6; 100 for a soak), requested one second
#   before a fire, just after one while its run is active, or at random,
#   each waiting for the gap: every one applied (exit code and journal
#   outcome), within one period plus max_run_s from intent to outcome;
# - one more with two conflicts (409) injected on sync-green while the
#   handoff waits for its gap: retried, applied;
# - over the whole window, the ledger counts 0 doubles, 0 missed and 0
#   overlapping runs once the last fires settled; cutover's ledger agrees.
# Figures go out as "# ..." lines; on a double or a miss, the ledger runs,
# the double's requests and events and the journal around it are printed.
# Env: BIN, SIM, HANDOFFS, KEEP (1: keep the work directory).
. tests/lib/assert.sh
. tests/lib/sim.sh
. tests/k8s/lab.sh
BIN=${BIN:-./cutover}
SIM=${SIM:-build/cutover-sim}
HANDOFFS=${HANDOFFS:-6}
KEEP=${KEEP:-0}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
case $BIN in */*) ;; *) [ -x "$BIN" ] && BIN=./$BIN ;; esac
dir=$(mktemp -d)
pids=
spid=
mpid=
cleanup() {
	for p in $mpid $spid $pids; do stop_pid "$p"; done
	if [ "$KEEP" = 1 ]; then echo "# kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PERIOD=5	# the schedule's period, s
MAX_RUN=2	# max_run_s (the Jobs run 0.6 s)
LIMIT=$((PERIOD + MAX_RUN))	# the most a handoff may take, intent to outcome
SETTLE=6.5	# after the first fire that follows the last handoff: past the ledger's 5 s grace

# Every cutover run is bounded; jobs_handoff.py runs it through this.
printf '#!/bin/sh\nexec timeout 60 "%s" "$@"\n' "$BIN" > "$dir/cutover"
chmod +x "$dir/cutover"
cli() { "$dir/cutover" "$@"; }

# --- The simulator (health), the double, a kubeconfig -------------------------
echo "sync both lat_ms=1" > "$dir/spec"
sim_start "$dir" --spec "$dir/spec" || { echo "the simulator did not start"; exit 1; }
pids="$pids $sim_pid"

$PY - "$dir/state.json" <<'PY'
import json, sys
def cronjob(name, suspend):
    return {"apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": name, "namespace": "shop",
                         "annotations": {"double.test/ledger-key": "sync"}},
            "spec": {"schedule": "*/5 * * * * *", "suspend": suspend, "concurrencyPolicy": "Forbid",
                     "jobTemplate": {
                         "metadata": {"annotations": {"double.test/run-seconds": "0.6"}},
                         "spec": {"template": {"spec": {"restartPolicy": "Never",
                                  "containers": [{"name": "sync", "image": "shop/sync:1"}]}}}}}}
json.dump({"tokens": {"t-ops": {"user": "ops-bot", "groups": ["ops"], "expires": None}},
           "rbac": {"ops": [{"verbs": [], "apiGroups": [], "resources": []}]},
           "objects": [cronjob("sync-blue", False), cronjob("sync-green", True)]},
          open(sys.argv[1], "w"))
PY
lab_start "$dir/lab" "$dir/state.json" || exit 1
pids="$pids $LAB_PID"
lab_kubeconfig "$dir/kubeconfig" "main $dir/lab token t-ops" || exit 1
echo "# double $LAB_URL, simulator 127.0.0.1:$port"

H=http://127.0.0.1:$port/sync
cat > "$dir/c.json" <<EOF
{"release":"k8sjobs","state_dir":"$dir/state","probe":{"interval_ms":250},
 "router":{"driver":"kubernetes","kubeconfig":"$dir/kubeconfig","context":"main","timeout_ms":3000},
 "services":[
  {"name":"sync","kind":"job","schedule":"*/5 * * * * *","max_run_s":$MAX_RUN,"guard_s":1,
   "blue":{"health":"$H/blue/health"},"green":{"health":"$H/green/health"},
   "route":{"kind":"cronjob","blue":{"namespace":"shop","cronjob":"sync-blue"},
            "green":{"namespace":"shop","cronjob":"sync-green"}}}]}
EOF
journal=$dir/state/k8sjobs.journal.jsonl
expect_out "the config (kubernetes driver, a cronjob route) is valid" 0 "" cli check -c "$dir/c.json"

# The engine; waits up to 10 s for its "up" line.
"$BIN" serve -c "$dir/c.json" 2>>"$dir/serve.err" &
spid=$!
_i=0
while ! grep -q ' up: socket' "$dir/serve.err" 2>/dev/null && [ $_i -lt 200 ]; do
	kill -0 "$spid" 2>/dev/null || break
	sleep 0.05
	_i=$((_i + 1))
done
if ! grep -q ' up: socket' "$dir/serve.err"; then
	nok "the engine is up" "$(cat "$dir/serve.err")"
	finish
	exit 1
fi
ok "the engine is up"
sleep 2	# a first reading of each side

suspend_of() { lab_obj cronjobs shop "$1" | lab_json 'd["spec"]["suspend"]'; }
side() {	# where the job runs, from the CronJobs
	case "$(suspend_of sync-blue) $(suspend_of sync-green)" in
	"False True"|"false true") echo blue ;;
	"True False"|"true false") echo green ;;
	*) echo "neither" ;;
	esac
}
expect_eq "the job starts on blue (sync-blue runs, sync-green suspended)" blue "$(side)"

# ledger_figures SINCE: "doubles missed overlaps settled ran" over the
# double's ledger from SINCE; writes the ledger to $dir/ledger.json.
ledger_figures() {
	lab_ledger "since=$1" > "$dir/ledger.json" || { echo "x x x x x"; return; }
	$PY - "$dir/ledger.json" "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); since = float(sys.argv[2])
end = d["until"] - 5
runs = [r for r in d["runs"] if r["key"] == "sync" and since <= r["scheduled"] <= end]
ticks = [t for t in range(int(since), int(end) + 1) if t % 5 == 0 and t >= since]
print(len(d["doubles"].get("sync", [])), len(d["missed"].get("sync", [])), d["overlaps"],
      len(ticks), len({r["scheduled"] for r in runs}))
PY
}

# evidence: for each double or miss in $dir/ledger.json, the ledger's
# runs, the double's requests on CronJobs and its events, and the journal's
# records within 8 s of it (times: epoch s, UTC).
evidence() {
	lab_log > "$dir/reqlog.json"
	lab_events > "$dir/events.json"
	$PY - "$dir/ledger.json" "$dir/reqlog.json" "$dir/events.json" "$journal" <<'PY'
import calendar, json, sys, time
led = json.load(open(sys.argv[1]))
reqs = json.load(open(sys.argv[2]))["requests"]
events = json.load(open(sys.argv[3]))["events"]
def epoch(t):
    base = calendar.timegm(time.strptime(t[:19], "%Y-%m-%dT%H:%M:%S"))
    frac = t[19:].split("Z")[0].split("+")[0]
    return base + (float(frac) if frac.startswith(".") else 0)
journal = []
for line in open(sys.argv[4]):
    try:
        r = json.loads(line)
        journal.append((epoch(r["time"]), line.strip()))
    except (ValueError, KeyError):
        pass
bad = [("double", x["scheduled"], x["cronjobs"]) for x in led["doubles"].get("sync", [])]
bad += [("missed", t, []) for t in led["missed"].get("sync", [])]
for what, t, who in bad:
    print("%s tick %d (%s) %s" % (what, t, time.strftime("%H:%M:%S", time.gmtime(t)), " ".join(who)))
    for r in led["runs"]:
        if abs(r["scheduled"] - t) <= 10:
            print("  run  %s scheduled %d started %.3f finished %s" %
                  (r["cronjob"], r["scheduled"], r["started"], r["finished"]))
    for r in reqs:
        if abs(r["time"] - t) <= 8 and "cronjobs" in r["path"] and (r["method"] != "GET" or r["status"] >= 400):
            print("  req  %.3f %s %s %s %s" % (r["time"], r["user"], r["method"], r["path"], r["status"]))
    for e in events:
        if "sync" in e["object"] and epoch(e["firstTimestamp"]) - 8 <= t <= epoch(e["lastTimestamp"]) + 8:
            print("  evt  %s %s %s x%s first %s last %s: %s" % (e["object"], e["type"], e["reason"],
                  e["count"], e["firstTimestamp"], e["lastTimestamp"], e["message"]))
    for ts, line in journal:
        if abs(ts - t) <= 8:
            print("  jnl  %.3f %s" % (ts, line[:400]))
PY
}

# --- HANDOFFS handoffs, back and forth -------------------------------------
since=$(date +%s)
t0=$since
$PY tests/integration/jobs_handoff.py "$dir/cutover" "$dir/c.json" sync $PERIOD "$HANDOFFS" 11 $LIMIT green \
	> "$dir/handoffs" 2>&1
rc=$?
took=$(( $(date +%s) - t0 ))
sed 's/^/# /' "$dir/handoffs"
name="$HANDOFFS handoffs applied (exit 0, journal outcome applied), each within $LIMIT s"
if [ $rc -eq 0 ]; then ok "$name"; else nok "$name" "$(cat "$dir/handoffs")"; fi
check "the requests one second before a fire waited" sh -c "grep 'before-fire' '$dir/handoffs' | grep -q waited"
check "the requests while a run was active waited" sh -c "grep 'run-active' '$dir/handoffs' | grep -q waited"
applied=$(grep -c ': exit 0,' "$dir/handoffs")
slowest=$(sed -n 's/.*slowest \([0-9.]*\) s.*/\1/p' "$dir/handoffs")
expected=$( [ $((HANDOFFS % 2)) -eq 0 ] && echo blue || echo green)
expect_eq "after $HANDOFFS handoffs the job is on $expected" "$expected" "$(side)"

# --- One handoff with two conflicts injected on sync-green mid-handoff ----
from=$(side)
to=$( [ "$from" = blue ] && echo green || echo blue)
# One second before a fire: inside the guard, so it waits for the gap.
$PY -c 'import time; t = time.time(); n = (int(t) // 5 + 1) * 5; time.sleep(n - 1.0 - t if n - 1.0 > t else n + 4.0 - t)'
csince=$(date +%s)
cstart=$($PY -c 'import time; print("%.3f" % time.time())')
intents=$(grep -c '"type":"intent"' "$journal")
cli move -c "$dir/c.json" sync --to "$to" --yes > "$dir/conflict.out" 2>&1 &
mpid=$!
# Its intent is journaled before it waits; the conflicts go in then.
_i=0
while [ "$(grep -c '"type":"intent"' "$journal")" -le "$intents" ] && [ $_i -lt 50 ]; do
	sleep 0.02
	_i=$((_i + 1))
done
lab_conflicts cronjobs shop sync-green 2 >/dev/null
plan=$(grep '"type":"intent"' "$journal" | tail -1 | grep -o '"plan":"p-[^"]*"' | cut -d'"' -f4)
mid=no
[ -n "$plan" ] && ! grep -q "\"type\":\"outcome\".*\"plan\":\"$plan\"\\|\"plan\":\"$plan\".*\"type\":\"outcome\"" "$journal" && mid=yes
wait "$mpid"
crc=$?
mpid=
check "the conflicts went in after the plan's intent, before its outcome (mid-handoff)" test "$mid" = yes
expect_out "the handoff to $to with 2 conflicts on sync-green applies" 0 "applied" cat "$dir/conflict.out"
check "(exit 0)" test "$crc" -eq 0
expect_eq "the job is on $to" "$to" "$(side)"
# The PATCHes of sync-green (and its /status) in order, as "STATUS PATH".
lab_log | lab_json '" ".join("%d:%s" % (r["status"], r["path"].rsplit("/", 1)[1]) for r in d["requests"]
	if r["method"] == "PATCH" and "/cronjobs/sync-green" in r["path"] and r["time"] >= '"$cstart"')' \
	> "$dir/conflict.patches"
echo "# the conflicted handoff's PATCHes of sync-green: $(cat "$dir/conflict.patches")"
expect_eq "both injected conflicts were met by the handoff's writes (none pending)" 0 \
	"$(lab_conflicts cronjobs shop sync-green 0 | lab_json 'd["pending"]')"
# The double drops the resourceVersion of a /status patch (it keeps only
# status), so a conflict met there answers 200: count the 409s, at least one.
check "a PATCH of sync-green answered 409 Conflict, and was read again and retried (200)" $PY -c '
import sys
seq = sys.argv[1].split()
bad = [i for i, x in enumerate(seq) if x.startswith("409:") and not any(
       y == "200:" + x[4:] for y in seq[i + 1:])]
assert any(x.startswith("409:") for x in seq) and not bad, seq' "$(cat "$dir/conflict.patches")"
ctook=$($PY - "$journal" "$plan" <<'PY'
import calendar, json, sys, time
t = {}
for line in open(sys.argv[1]):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    if r.get("plan") == sys.argv[2] and r.get("type") in ("intent", "outcome"):
        s = r["time"]
        t[r["type"]] = calendar.timegm(time.strptime(s[:19], "%Y-%m-%dT%H:%M:%S")) + \
            (float(s[19:23]) if s[19:20] == "." else 0)
        if r["type"] == "outcome":
            t["result"] = r.get("result")
print("%.2f" % (t["outcome"] - t["intent"]) if t.get("result") == "applied" and "intent" in t else "none")
PY
)
check "the conflicted handoff's outcome is applied in the journal" test "$ctook" != none

# --- The ledger over the whole window --------------------------------------
# The first fire after the last handoff, on the new side, settles too.
after=$(( ($(date +%s) / PERIOD + 1) * PERIOD ))
$PY -c 'import sys, time; time.sleep(max(0, float(sys.argv[1]) + float(sys.argv[2]) - time.time()))' "$after" $SETTLE
set -- $(ledger_figures "$csince")
check "the conflicted handoff: 0 doubles, 0 missed ($4 fires settled: the one it waited for, the next)" \
	test "$1 $2" = "0 0" -a "$4" -ge 2
check "the first fire after it ran on $to" $PY -c '
import json, sys
runs = [r for r in json.load(open(sys.argv[1]))["runs"] if r["scheduled"] == int(sys.argv[2])]
assert [r["cronjob"] for r in runs] == ["shop/sync-" + sys.argv[3]], runs' "$dir/ledger.json" "$after" "$to"
[ "$1 $2" = "0 0" ] || evidence
set -- $(ledger_figures "$since")
echo "# handoffs applied: $applied/$HANDOFFS (+ the conflicted one: $( [ "$crc" -eq 0 ] && echo applied || echo "exit $crc"))"
echo "# fires settled: $4 (ran: $5) since $(date -u -d "@$since" +%H:%M:%S)"
echo "# doubles: $1, missed: $2, overlaps: $3"
echo "# slowest handoff intent->outcome: ${slowest:-?} s (limit $LIMIT s); the conflicted one ${ctook} s"
echo "# $HANDOFFS handoffs took $took s"
check "the ledger over the whole window: 0 doubles, 0 missed, 0 overlapping runs" test "$1 $2 $3" = "0 0 0"
check "every settled fire ran, each once ($5 of $4)" test "$4" -ge 2 -a "$4" = "$5"
[ "$1 $2" = "0 0" ] || evidence

cli jobs -c "$dir/c.json" --json > "$dir/jobs.json" 2>"$dir/jobs.err"
check "cutover's ledger agrees: 0 doubles, 0 missed" $PY -c '
import json, sys
j = {x["name"]: x for x in json.load(open(sys.argv[1]))["jobs"]}["sync"]
assert j["doubles"] == 0 and j["missed"] == 0, j
assert all(t["status"] in ("ok", "pending") for t in j["ticks"]), j["ticks"]' "$dir/jobs.json"
expect_out "the journal verifies" 0 "journal OK" cli journal -c "$dir/c.json" --verify
finish
