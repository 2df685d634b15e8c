#!/bin/sh
# `cutover move` / `rollback` end to end through a fleet of two real haproxy
# processes over simulator backends: a 25% split counted at the frontend, a
# group move, rollback --all, a job refusing 25, refusal without a terminal,
# one dead instance (move put back and named, rollback reports it), the
# operator lock between two moves, crash recovery, and a journal that verifies.
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

set -- $(free_ports 8)
api_b=$1 api_g=$2 web_b=$3 web_g=$4 job_b=$5 job_g=$6 fe1=$7 fe2=$8

sim_start "$dir" --bind "$api_b=api/blue" --bind "$api_g=api/green" \
	--bind "$web_b=web/blue" --bind "$web_g=web/green" --bind "$job_b=nightly/blue" \
	--bind "$job_g=nightly/green" || { echo "the simulator did not start"; exit 1; }
pids="$pids $sim_pid"

haproxy_cfg() {	# N FRONTEND_PORT
	cat <<CFG
global
	stats socket $dir/h$1.sock mode 600 level admin
	maxconn 2000
defaults
	mode http
	timeout connect 2s
	timeout client 5s
	timeout server 5s
frontend fe_api
	bind 127.0.0.1:$2
	default_backend be_api
backend be_api
	balance roundrobin
	server blue 127.0.0.1:$api_b weight 100
	server green 127.0.0.1:$api_g weight 0
backend be_web
	server blue 127.0.0.1:$web_b weight 100
	server green 127.0.0.1:$web_g weight 0
backend be_nightly
	server blue 127.0.0.1:$job_b weight 100
	server green 127.0.0.1:$job_g weight 0
CFG
}
start_haproxy() {	# N FRONTEND_PORT
	haproxy_cfg "$1" "$2" > "$dir/h$1.cfg"
	haproxy -W -db -f "$dir/h$1.cfg" >"$dir/h$1.log" 2>&1 &
	eval "hapid$1=$!"
	pids="$pids $!"
	i=0; while [ ! -S "$dir/h$1.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
}
start_haproxy 1 "$fe1"
start_haproxy 2 "$fe2"

svc() {	# name kind group backend
	printf '{"name":"%s","kind":"%s","group":"%s","route":{"backend":"%s"},"blue":{"health":"http://127.0.0.1:%s/%s/blue/health"},"green":{"health":"http://127.0.0.1:%s/%s/green/health"}}' \
		"$1" "$2" "$3" "$4" "$port" "$1" "$port" "$1"
}
conf() {	# MIN_SAMPLES
	printf '{"release":"mv","state_dir":"%s/state","router":{"driver":"haproxy","timeout_ms":500,"sockets":["%s/h1.sock","%s/h2.sock"]},' "$dir" "$dir" "$dir"
	printf '"probe":{"interval_ms":50,"timeout_ms":400},"gates":{"min_samples":%s},"services":[' "$1"
	svc api exposed front be_api; printf ,; svc web exposed front be_web; printf ,
	svc nightly job batch be_nightly
	printf ']}\n'
}
conf 3 > "$dir/c.json"
conf 100 > "$dir/slow.json"	# probes its full 3 s: holds the lock that long
C="-c $dir/c.json"

# green share of BACKEND on instance N, read from haproxy itself.
share() { haproxy_share "$dir/h$1.sock" "$2"; }
expect_share() {	# NAME INSTANCE BACKEND WANT
	got=$(share "$2" "$3" 2>&1)
	if [ "$got" = "$4" ]; then ok "$1"; else nok "$1" "instance $2 $3: got $got, want $4"; fi
}

# 1. One service to 25%, counted through the frontend.
expect_out "move api --weight 25 --yes applies on both instances" 0 "applied" \
	"$BIN" move $C api --to green --weight 25 --yes
expect_share "instance 1 holds api at 25" 1 be_api 25
expect_share "instance 2 holds api at 25" 2 be_api 25
check "400 requests through the frontend split 25±8% green" python3 - "$fe1" <<'PY'
import http.client, sys
n = green = 0
for _ in range(400):
    c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=3)
    c.request("GET", "/"); r = c.getresponse(); r.read()
    green += r.getheader("X-Sim-Side") == "green"; n += 1; c.close()
pct = 100.0 * green / n
assert 17 <= pct <= 33, pct
PY

# 2. A job refuses 25, and nothing changes.
expect_out "a job refuses --weight 25, naming it" 1 "nightly is a job" \
	"$BIN" move $C nightly --to green --weight 25 --yes
expect_share "the job stayed on blue" 1 be_nightly 0

# 3. Without --yes and without a terminal: refused, nothing changed.
expect_out "no --yes and no terminal: refused" 1 "refusing: no terminal to confirm; pass --yes" \
	"$BIN" move $C web --to green --weight 5 </dev/null
expect_share "web unchanged after the refusal" 1 be_web 0

# 4. A group, then the job.
expect_out "move @front --to green --weight 50" 0 "applied" \
	"$BIN" move $C @front --to green --weight 50 --yes
expect_share "api at 50 on instance 2" 2 be_api 50
expect_share "web at 50 on instance 1" 1 be_web 50
expect_out "the job moves whole" 0 "applied" "$BIN" move $C @batch --to green --yes
expect_share "the job is on green" 2 be_nightly 100

# 5. rollback --all.
expect_out "rollback --all puts everything on blue" 0 "applied" "$BIN" rollback $C --all --yes
for b in be_api be_web be_nightly; do
	expect_share "$b back on blue on instance 1" 1 "$b" 0
	expect_share "$b back on blue on instance 2" 2 "$b" 0
done

hset() { haproxy_cmd "$dir/h$1.sock" "$2" >/dev/null; }	# INSTANCE COMMAND

# 5b. A router that lost what the journal says (a reload without a state
# file) is drift: a blocker toward green; a rollback still goes through.
hset 1 "set server be_web/green weight 30"; hset 2 "set server be_web/green weight 30"
expect_out "drift against the journal blocks a move toward green" 1 "block +drift" \
	"$BIN" move $C web --to green --weight 50 --yes
expect_out "rollback goes through despite the drift" 0 "applied" "$BIN" rollback $C web --yes
expect_share "web back on blue" 2 be_web 0

# 5c. A reload without a state file loses runtime weights: the journal
# says 50, both instances say 0 again. reapply sets the journal's weight
# again (drift is its reason, not a blocker) and then finds nothing to do.
"$BIN" move $C web --to green --weight 50 --yes >/dev/null 2>&1
for n in 1 2; do hset $n "set server be_web/green weight 0"; hset $n "set server be_web/blue weight 100"; done
expect_out "reapply names the drifted service and puts the journal's weight back" 0 "web \(exposed\): 0 -> 50" \
	"$BIN" reapply $C --all --yes
expect_share "web at 50 again on instance 1" 1 be_web 50
expect_share "web at 50 again on instance 2" 2 be_web 50
expect_out "a second reapply has nothing to do" 0 "no service named has drifted" "$BIN" reapply $C --all --yes
expect_out "reapply takes no --weight" 2 "usage" "$BIN" reapply $C web --weight 5
"$BIN" rollback $C web --yes >/dev/null 2>&1

# 6. Two moves at once: the second is refused, naming the holder.
"$BIN" move -c "$dir/slow.json" api --to green --weight 5 --yes >"$dir/first.out" 2>&1 &
first=$!
sleep 1
expect_out "a second move is refused, naming the holder" 1 "holds the lock: [^ ]+@[^ ]+ \(pid $first\) since [0-9T:.-]+Z" \
	"$BIN" move $C web --to green --weight 5 --yes
wait $first
check "the first move still applied" grep -q applied "$dir/first.out"
"$BIN" rollback $C --all --yes >/dev/null 2>&1

# 7. Crash recovery: an intent with no outcome is reconciled and told first.
state_before=$(wc -l < "$dir/state/mv.journal.jsonl")
python3 - "$dir/state" <<'PY'
import sys, json, hashlib
jp = sys.argv[1] + "/mv.journal.jsonl"; hp = sys.argv[1] + "/mv.journal.head"
last = open(jp, "rb").read().rstrip(b"\n").split(b"\n")[-1]
seq = json.loads(last)["seq"] + 1
rec = {"seq": seq, "time": "2026-11-24T00:00:00.000Z", "actor": "t@t", "type": "intent",
       "plan": "p-crashed", "service": "web", "from": 0, "to": 50,
       "prev": hashlib.sha256(last).hexdigest()}
line = json.dumps(rec, separators=(",", ":")).encode()
open(jp, "ab").write(line + b"\n")
open(hp, "w").write(json.dumps({"seq": seq, "hash": hashlib.sha256(line).hexdigest()}))
PY
"$BIN" move $C api --to green --weight 1 --yes >"$dir/rec.out" 2>&1
check "recovery is told before anything else" sh -c \
	"head -1 '$dir/rec.out' | grep -q 'recovered: plan p-crashed left service web unfinished; router says 0'"
check "recovery is journaled" grep -q '"type":"reconcile","plan":"p-crashed"' "$dir/state/mv.journal.jsonl"
expect_out "a second start has nothing left to recover" 0 "nothing to do" \
	"$BIN" move $C api --to green --weight 1 --yes
"$BIN" rollback $C api --yes >/dev/null 2>&1

# 7b. --json: one document for scripts, the same decisions.
"$BIN" move $C web --to green --weight 5 --yes --json >"$dir/mv.json" 2>/dev/null; rc=$?
check "move --json applies and exits 0" test "$rc" -eq 0
check "move --json: plan, gates, result and read-back in one document" python3 - "$dir/mv.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["command"] == "move" and d["exit"] == 0 and d["error"] is None, d
m = d["plan"]["moves"]
assert [x["service"] for x in m] == ["web"] and m[0]["from"] == 0 and m[0]["to"] == 5, m
assert any(g["gate"] == "green-health" for g in m[0]["gates"]), m
assert d["result"]["ok"] is True, d["result"]
rb = d["readback"]["web"]
assert len(rb) == 2 and all(w == 5 for w in rb.values()), rb
PY
"$BIN" rollback $C --all --json >"$dir/rb.json" 2>/dev/null; rc=$?
check "rollback --json without --yes refuses (exit 1) and changes nothing" test "$rc" -eq 1
check "the refusal is in the document" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["exit"] == 1 and "--yes" in d["error"] and d["result"] is None, d' "$dir/rb.json"
expect_share "web still at 5 after the refusal" 1 be_web 5
"$BIN" rollback $C --all --yes --json >"$dir/rb.json" 2>/dev/null
check "rollback --all --yes --json: verified on every instance" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["exit"] == 0 and d["plan"]["rollback"] and d["result"]["ok"] and d["result"]["verified"], d' "$dir/rb.json"
"$BIN" rollback $C --all --yes --json >"$dir/rb.json" 2>/dev/null
check "a second rollback --json says nothing to do" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["nothing_to_do"] is True and d["plan"] is None and d["exit"] == 0, d' "$dir/rb.json"

# 8. One instance dead: the move is refused by the router gate; forced, it
# is put back where it went and the dead instance named; rollback reports it.
kill "$hapid2"; wait "$hapid2" 2>/dev/null
expect_out "with an instance dead the move is blocked" 1 "block +router +1 of 2" \
	"$BIN" move $C api --to green --weight 25 --yes
expect_out "forced, it fails naming the dead instance" 1 "h2\.sock failed" \
	"$BIN" move $C api --to green --weight 25 --yes --force --reason "test: dead instance"
expect_share "instance 1 was put back" 1 be_api 0
check "the put-back is journaled" grep -q '"result":"reverted"' "$dir/state/mv.journal.jsonl"
python3 - "$dir/h1.sock" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(2); s.connect(sys.argv[1])
s.sendall(b"set server be_web/green weight 50\n"); s.recv(4096)
PY
expect_out "rollback reports the unreachable instance" 1 "h2\.sock unreachable" \
	"$BIN" rollback $C --all --yes
expect_share "rollback still reached instance 1" 1 be_web 0
expect_out "with nothing left to move, rollback still names it" 1 "h2\.sock unreachable" \
	"$BIN" rollback $C --all --yes

expect_out "the journal verifies after all of it" 0 "journal OK" "$BIN" journal $C --verify
finish
