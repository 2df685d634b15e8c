#!/bin/sh
# `status`, `move`, `rollback` and `journal` through a running engine
# (`cutover serve`, rehearsal driver, simulator backends): the same
# documents and words as without one, the journal's actor marked "(cli)",
# blockers and --force, a lever held by a console, --engine over TCP with a
# token (and refused when unreachable), the journal through the engine
# equal to the file read after the engine stopped, the same commands
# standalone once no engine runs, and a 200-service move through a warm
# engine, timed.
#
# Env: BIN, SIM (and BUILD, unused here).
. tests/lib/assert.sh
. tests/lib/sim.sh
. tests/lib/haproxy.sh	# free_ports
BIN=${BIN:-./cutover}
SIM=${SIM:-build/cutover-sim}
case $BIN in */*) ;; *) [ -x "$BIN" ] && BIN=./$BIN ;; esac
dir=$(mktemp -d)
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

TOKEN=operatetoken-5c1d9e7a2b
set -- $(free_ports 1)
TCP=$1

# wait_for SECONDS CMD...: polls CMD every 0.05 s until it passes.
wait_for() {
	_wf_n=$(($1 * 20)); shift
	while [ "$_wf_n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
		_wf_n=$((_wf_n - 1))
	done
	return 1
}

# serve_start NAME ARG...: the engine in the background, stderr to
# $dir/NAME.err; sets spid. Waits up to 10 s for its "up" line.
serve_start() {
	_n=$1; shift
	"$BIN" serve "$@" 2>"$dir/$_n.err" &
	spid=$!
	pids="$pids $spid"
	wait_for 10 sh -c "grep -q ' up: socket' '$dir/$_n.err' || ! kill -0 $spid"
}

# py FILE EXPR: a python assertion on the JSON in FILE, parsed as d.
py() {
	python3 -c "
import json, sys
d = json.load(open('$1'))
assert $2, str(d)[:400]"
}
api_status() { curl -sS --max-time 10 --unix-socket "$sock" http://engine/v1/status > "$1"; }
weight() {	# SERVICE: its weight in the engine's status
	api_status "$dir/w.json" && python3 -c "
import json
d = json.load(open('$dir/w.json'))
print([s['weight'] for s in d['services'] if s['name'] == '$1'][0])"
}

# --- The simulator and the releases ---------------------------------------
cat > "$dir/spec" <<'SPEC'
api both lat_ms=2 jitter_ms=0.2
web blue lat_ms=2 jitter_ms=0.2
web green lat_ms=60 jitter_ms=1
SPEC
sim_start "$dir" --services 200 --spec "$dir/spec" || { echo "the simulator did not start"; exit 1; }
pids="$pids $sim_pid"

svc() {	# name group
	printf '{"name":"%s","kind":"exposed","group":"%s","blue":{"health":"http://127.0.0.1:%s/%s/blue/health"},"green":{"health":"http://127.0.0.1:%s/%s/green/health"}}' \
		"$1" "$2" "$port" "$1" "$port" "$1"
}
release() {	# name services-json [gates-json]
	printf '{"release":"%s","state_dir":"%s/state","router":{"driver":"rehearsal"},' "$1" "$dir"
	printf '"probe":{"interval_ms":100,"timeout_ms":400},"gates":%s,' "${3:-{\"min_samples\":5\}}"
	printf '"services":[%s]}\n' "$2"
}
release ec "$(svc api g1),$(svc web g1)" > "$dir/c.json"
sock=$dir/state/ec.sock
printf 'operate ops %s\n' "$TOKEN" > "$dir/tokens"
chmod 600 "$dir/tokens"
printf '%s\n' "$TOKEN" > "$dir/token"
chmod 600 "$dir/token"
C="-c $dir/c.json"

# --- 1. Through the engine --------------------------------------------------
echo "# 1. status through the engine"
serve_start main $C --listen "127.0.0.1:$TCP" --tokens "$dir/tokens"
check "the engine starts" test -S "$sock"
main_pid=$spid
warm() {
	api_status "$dir/warm.json" &&
	py "$dir/warm.json" "{s['name']: s['verdict'] for s in d['services']} == {'api': 'pass', 'web': 'fail'}"
}
check "the engine's verdicts are warm within 10 s" wait_for 10 warm

"$BIN" status $C --json > "$dir/st.json" 2>"$dir/st.err"
check "status --json through the engine exits 0" test $? -eq 0
api_status "$dir/api.json"
same_doc() {	# A B: the same release, services, weights, verdicts, router
	python3 - "$1" "$2" <<'PY'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
key = lambda d: [(s["name"], s["kind"], s["group"], s["weight"], s["verdict"], s["blue"]["health"],
		  s["green"]["health"]) for s in d["services"]]
assert key(a) == key(b), (key(a), key(b))
for k in ("release", "driver", "labels", "router", "rehearsal"):
    assert a[k] == b[k], (k, a[k], b[k])
assert sorted(a) == sorted(b), (sorted(a), sorted(b))
PY
}
check "status --json equals GET /v1/status (services, weights, verdicts)" same_doc "$dir/st.json" "$dir/api.json"
check "status --json probes nothing itself (it answers at once)" test ! -s "$dir/st.err"
"$BIN" status $C > "$dir/table" 2>&1
check "status table through the engine exits 0" test $? -eq 0
table_rows() {
	grep -Eq "^SERVICE +KIND.*VERDICT" "$dir/table" &&
	grep -Eq "^api +exposed g1 +0 \| up .*pass" "$dir/table" &&
	grep -Eq "^web +exposed g1 +0 \| up .*fail" "$dir/table" &&
	grep -q "router rehearsal 1/1 up (REHEARSAL)" "$dir/table"
}
check "status table through the engine: header and a row per service" table_rows
t0=$(date +%s%N)
"$BIN" status $C --for 0.5 >/dev/null
t1=$(date +%s%N)
check "status --for 0.5 through the engine waits about 0.5 s" \
	test $(((t1 - t0) / 1000000)) -ge 450 -a $(((t1 - t0) / 1000000)) -lt 3000

echo "# 2. move, blockers, rollback through the engine"
expect_out "move api --to green --weight 25 --yes exits 0" 0 \
	"^applied: 1 service applied" "$BIN" move $C api --to green --weight 25 --yes
check "the engine's status shows api at 25" test "$(weight api)" = 25
last_intent_actor() {
	python3 - "$dir/state/ec.journal.jsonl" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
intent = [r for r in recs if r.get("type") == "intent"][-1]
assert intent["actor"].endswith("(cli)"), intent
assert intent.get("service") == "api" and intent.get("to") == 25, intent
PY
}
check "the journal's intent names the actor with (cli)" last_intent_actor
expect_out "a blocked move without --force exits 1 with the refusal" 1 \
	"^cutover move: refusing: 1 blocker; pass --force --reason TEXT to override" \
	"$BIN" move $C web --to green --weight 25 --yes
printf '%s\n' "$out" > "$dir/out"
check "the blocked plan shows its blocker" grep -Eq "^ +block +verdict" "$dir/out"
check "the blocked move changed nothing" test "$(weight web)" = 0
expect_out "move --json without --yes is refused" 1 '"error":.*--json does not ask; pass --yes' \
	"$BIN" move $C api --to green --weight 50 --json
expect_out "move without a terminal nor --yes is refused" 1 "no terminal to confirm; pass --yes" \
	sh -c "'$BIN' move $C api --to green --weight 50 < /dev/null"
expect_out "--force --reason x --yes applies the blocked move" 0 "applied: 1 service applied" \
	"$BIN" move $C web --to green --weight 25 --force --reason x --yes
check "the engine's status shows web at 25" test "$(weight web)" = 25
forced_journaled() {
	grep '"type":"intent"' "$dir/state/ec.journal.jsonl" | tail -1 | grep -q '"forced":true'
}
check "the forced intent is journaled as forced" forced_journaled
expect_out "a move already at its target: nothing to do" 0 \
	"nothing to do: every service named is already at its target" "$BIN" move $C api --to green --weight 25 --yes
"$BIN" move $C api --to green --weight 50 --yes --json > "$dir/mv.json"
check "move --json through the engine exits 0" test $? -eq 0
check "move --json has today's shape" py "$dir/mv.json" \
	"d['command'] == 'move' and d['exit'] == 0 and d['error'] is None and d['result']['ok'] and d['plan']['moves'][0]['to'] == 50 and set(d) == {'command', 'plan', 'recovered', 'nothing_to_do', 'result', 'readback', 'error', 'exit'}"
expect_out "rollback --all --yes exits 0" 0 "applied: 2 services applied" "$BIN" rollback $C --all --yes
check "after the rollback every weight is 0" test "$(weight api) $(weight web)" = "0 0"
expect_out "reapply --all with nothing drifted: nothing to do, exit 0" 0 \
	"nothing to do: no service named has drifted from the journal" "$BIN" reapply $C --all --yes

echo "# 3. a console holds the lever"
curl -sS -N --unix-socket "$sock" -H 'X-Cutover-Client: console' \
	'http://engine/v1/events?lever=1' > "$dir/events" 2>/dev/null &
cpid=$!
pids="$pids $cpid"
wait_for 5 grep -q lever "$dir/events"
expect_out "with the lever held by a console, move exits 1 naming the holder" 1 \
	"cutover move: the lever is held by .*console" "$BIN" move $C api --to green --weight 25 --yes
stop_pid "$cpid"

echo "# 4. --engine over TCP with a token"
"$BIN" status --engine "http://127.0.0.1:$TCP" --token-file "$dir/token" --json > "$dir/tcp.json"
check "status --engine URL --token-file exits 0" test $? -eq 0
api_status "$dir/api.json"
check "status --engine gives the engine's document" same_doc "$dir/tcp.json" "$dir/api.json"
expect_out "move --engine URL applies through TCP" 0 "applied: 1 service applied" \
	"$BIN" move --engine "http://127.0.0.1:$TCP" --token-file "$dir/token" api --to green --weight 5 --yes
check "the engine's status shows api at 5" test "$(weight api)" = 5
set -- $(free_ports 1)
expect_out "--engine unreachable: exit 1, saying the engine is required" 1 \
	"cutover status: --engine http://127.0.0.1:$1 is required and cannot be used" \
	"$BIN" status --engine "http://127.0.0.1:$1" --token-file "$dir/token"
expect_out "journal --verify with --engine is refused" 2 "--verify .* without --engine" \
	"$BIN" journal --engine "http://127.0.0.1:$TCP" --token-file "$dir/token" --verify
expect_out "--token-file without --engine is refused" 2 "--token-file goes with --engine" \
	"$BIN" status $C --token-file "$dir/token"

echo "# 5. the journal through the engine, then from the file"
"$BIN" journal $C > "$dir/j-engine.txt" 2>"$dir/j-engine.err"
check "journal through the engine exits 0" test $? -eq 0
"$BIN" journal $C --json > "$dir/j-engine.json"
"$BIN" journal --engine "http://127.0.0.1:$TCP" --token-file "$dir/token" > "$dir/j-tcp.txt"
check "journal --engine prints what the socket does" cmp -s "$dir/j-engine.txt" "$dir/j-tcp.txt"
expect_out "journal --verify with an engine running reads the file" 0 "journal OK" "$BIN" journal $C --verify
stop_pid "$main_pid"
"$BIN" journal $C > "$dir/j-file.txt" 2>"$dir/j-file.err"
check "journal standalone (engine stopped) exits 0" test $? -eq 0
"$BIN" journal $C --json > "$dir/j-file.json"
# The engine's stop adds one record; widths may shift by it, so compare
# with runs of blanks squeezed, and the extra line must be the stop.
same_journal() {
	n=$(wc -l < "$dir/j-engine.txt")
	head -n "$n" "$dir/j-file.txt" | tr -s ' ' > "$dir/a" && tr -s ' ' < "$dir/j-engine.txt" > "$dir/b" &&
	cmp -s "$dir/a" "$dir/b" && test "$(tail -n +$((n + 1)) "$dir/j-file.txt" | grep -cv ' engine ')" = 0
}
check "journal through the engine prints the file's lines" same_journal
same_json() {
	python3 - "$dir/j-engine.json" "$dir/j-file.json" <<'PY'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
assert len(b) == len(a) + 1 and b[:len(a)] == a, (len(a), len(b))
assert b[-1]["type"] == "engine", b[-1]
PY
}
check "journal --json through the engine is the file's records" same_json
check "journal through the engine warns of nothing" test ! -s "$dir/j-engine.err"

echo "# 6. no engine: standalone as before"
check "the engine's socket is gone" test ! -S "$sock"
expect_out "status standalone exits 0 and probes" 0 "^api +exposed g1 +[0-9]+ \| up " "$BIN" status $C --for 1
expect_out "move standalone exits 0" 0 "applied: 1 service applied" \
	"$BIN" move $C api --to green --weight 25 --yes
standalone_actor() {
	grep '"type":"intent"' "$dir/state/ec.journal.jsonl" | tail -1 | grep -vq '(cli)'
}
check "a standalone move's actor has no (cli)" standalone_actor
expect_out "rollback standalone exits 0" 0 "applied" "$BIN" rollback $C --all --yes
expect_out "journal standalone exits 0" 0 "SEQ +TIME" "$BIN" journal $C

echo "# 7. 200 services through a warm engine"
all=
i=0
while [ $i -lt 200 ]; do
	all="$all${all:+,}$(svc "$(printf 'svc%04d' $i)" all)"
	i=$((i + 1))
done
# Identical fast sides, and a p95 threshold no jitter reaches: with 200
# verdicts on 5 samples a side, one would otherwise block now and then.
release big "$all" '{"min_samples":5,"max_p95_delta_pct":100000}' > "$dir/big.json"
sock=$dir/state/big.sock
serve_start big -c "$dir/big.json"
big_pid=$spid
big_warm() {
	api_status "$dir/bw.json" && py "$dir/bw.json" "all(s['verdict'] != 'nodata' for s in d['services'])"
}
check "the 200-service engine is warm within 15 s" wait_for 15 big_warm
t0=$(date +%s%N)
"$BIN" move -c "$dir/big.json" @all --to green --weight 50 --yes > "$dir/big.out" 2>&1
rc=$?
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
secs() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }
# The executor's own time: its first intent to its last outcome, as journaled.
exec_ms=$(python3 - "$dir/state/big.journal.jsonl" <<'PY'
import json, sys
from datetime import datetime
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
plan = [r for r in recs if r.get("type") in ("intent", "outcome")]
t = lambda r: datetime.fromisoformat(r["time"].replace("Z", "+00:00")).timestamp()
print(int((t(plan[-1]) - t(plan[0])) * 1000) if plan else 0)
PY
)
echo "# move @all (200 services) --weight 50 through a warm engine: $(secs $ms) s in all," \
	"of which the engine's executor $(secs "$exec_ms") s (first intent to last outcome)"
check "move @all of 200 services exits 0" sh -c "test $rc -eq 0 || tail -5 '$dir/big.out'"
check "move @all: the CLI's own part (all but the executor) is under 1 s ($((ms - exec_ms)) ms)" \
	test $((ms - exec_ms)) -lt 1000
every_50() {
	api_status "$dir/b50.json" && py "$dir/b50.json" "all(s['weight'] == 50 for s in d['services'])"
}
check "every one of the 200 is at 50" every_50
stop_pid "$big_pid"

finish
