#!/bin/sh
# The demo lab (tests/demo/lab.sh, `make demo`) without a terminal: held up
# with CUTOVER_DEMO_HOLD, it serves 30 services in 6 groups through one real
# haproxy whose weights `cutover status` reads, with its light load counted
# at the frontend; a TERM (what Ctrl-C amounts to) stops every process it
# started, by PID, and names where the journal was kept. Without a hold it
# starts and stops at once (exit 0); CUTOVER_DEMO_ROUTER=rehearsal and a
# machine without haproxy both run it on the rehearsal router.
. tests/lib/assert.sh
. tests/lib/haproxy.sh
BIN=${BIN:-./cutover}
SIM=${SIM:-build/cutover-sim}
dir=$(mktemp -d)
labpid=
cleanup() {
	[ -n "$labpid" ] && kill "$labpid" 2>/dev/null && wait "$labpid" 2>/dev/null
	# Whatever a failed run left behind, stopped by the PIDs the lab recorded.
	for f in "$dir"/*/pids; do
		[ -f "$f" ] && for p in $(cut -d' ' -f1 "$f"); do kill "$p" 2>/dev/null; done
	done
	rm -rf "$dir"
}
trap cleanup EXIT

lab() {	# LAB_DIR [VAR=VALUE...]: the lab with no terminal (call it in a subshell: it execs)
	d=$1; shift
	exec env "$@" CUTOVER_DEMO_DIR="$d" BIN="$BIN" SIM="$SIM" sh tests/demo/lab.sh </dev/null
}

# all_gone PIDS_FILE: no process the lab recorded is alive.
all_gone() {
	[ -s "$1" ] || { echo "no pids recorded in $1"; return 1; }
	alive=
	for p in $(cut -d' ' -f1 "$1"); do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
	[ -z "$alive" ] || { echo "still alive:$alive"; cat "$1"; return 1; }
}
# none_in DIR: no process (haproxy's worker included) names DIR on its command line.
none_in() {
	found=
	for c in /proc/[0-9]*/cmdline; do
		p=${c#/proc/}; p=${p%/cmdline}
		[ "$p" = $$ ] && continue
		tr '\0' ' ' 2>/dev/null < "$c" | grep -qF "$1/" && found="$found $p"
	done
	[ -z "$found" ] || { echo "processes still in $1:$found"; return 1; }
}

# admin COMMAND: haproxy's answer on the lab's admin socket.
admin() { haproxy_cmd "$L/haproxy.sock" "$1"; }

# 1. The haproxy lab, held up while we look at it.
L=$dir/hap
lab "$L" CUTOVER_DEMO_HOLD=60 >"$dir/hap.out" 2>&1 &
labpid=$!
i=0; while [ ! -f "$L/ready" ] && [ $i -lt 200 ] && kill -0 $labpid 2>/dev/null; do sleep 0.05; i=$((i + 1)); done
if [ -f "$L/ready" ]; then ok "the lab comes up without a terminal"
else nok "the lab comes up without a terminal" "$(cat "$dir/hap.out")"; fi

check "it started the simulator, haproxy and the load, all alive" sh -c "
	for w in simulator haproxy load; do
		p=\$(awk -v w=\$w '\$2 == w { print \$1 }' '$L/pids'); [ -n \"\$p\" ] && kill -0 \$p || exit 1
	done"
check "the config routes through haproxy's admin socket in the lab dir" grep -q \
	"\"router\": {\"driver\": \"haproxy\", \"sockets\": \\[\"$L/haproxy.sock\"\\]}" "$L/demo.json"
check "the admin socket is mode 600" sh -c "[ \"\$(stat -c %a '$L/haproxy.sock')\" = 600 ]"

fe=$(sed -n 's/.*frontend 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/hap.out")
check "the lab's jobs have schedules, run lengths and guards" \
	grep -q '"kind": "job", "group": "jobs-hourly", "route": {"backend": "be_jobs-hourly-1"}, "schedule": "\*/30 \* \* \* \* \*", "max_run_s": 5, "guard_s": 5' "$L/demo.json"
check "the lab prints a curl through the frontend" grep -q "curl -si http://127.0.0.1:$fe/payments-1/" "$dir/hap.out"
check "an exposed service answers through the frontend, from blue" sh -c \
	"curl -si --max-time 2 http://127.0.0.1:$fe/payments-1/x | grep -qi '^x-sim-side: blue'"
check "a job's trigger reaches it through the frontend: it runs on blue" sh -c \
	"curl -s --max-time 6 http://127.0.0.1:$fe/jobs-hourly-1/ | grep -q '\"run\":true,.*\"side\":\"blue\"'"

admin "show servers state" > "$dir/state.txt"
check "haproxy holds 30 backends, blue 100 and green 0 each" python3 - "$dir/state.txt" <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines()
head = next(l for l in lines if l.startswith("# be_id")).split()[1:]
w = {}
for l in lines:
    f = l.split()
    if len(f) == len(head) and not l.startswith("#"):
        r = dict(zip(head, f)); w[(r["be_name"], r["srv_name"])] = int(r["srv_uweight"])
backends = {b for b, _ in w}
assert len(backends) == 30, sorted(backends)
assert all(w[(b, "blue")] == 100 and w[(b, "green")] == 0 for b in backends), w
PY

# A weight set behind cutover's back must show in status: it reads haproxy.
admin "set server be_search-1/blue weight 75" >/dev/null
admin "set server be_search-1/green weight 25" >/dev/null
"$BIN" status --json -c "$L/demo.json" --for 2 >"$dir/status.json" 2>"$dir/status.err"
check "status on the lab: 30 services in 6 groups, 20 exposed, read from 1 haproxy" python3 - "$dir/status.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s = d["services"]
assert len(s) == 30, len(s)
assert len({x["group"] for x in s}) == 6
assert sum(x["kind"] == "exposed" for x in s) == 20
assert d["driver"] == "haproxy" and d.get("rehearsal", False) is False, d["driver"]
r = d.get("router")
assert r is None or (r["up"], r["total"]) == (1, 1), r
PY
if grep -q '"weight"' "$dir/status.json"; then
	check "status reads the weights from haproxy: 0, and 25 where it was set" python3 - "$dir/status.json" <<'PY'
import json, sys
w = {x["name"]: x["weight"] for x in json.load(open(sys.argv[1]))["services"]}
assert w.pop("search-1") == 25, "search-1"
assert set(w.values()) == {0}, w
PY
else
	ok "status has no weight field yet (skipped)"
fi
check "the load goes through the frontend (haproxy counts requests)" sh -c \
	"curl -s --max-time 2 'http://127.0.0.1:$fe/haproxy-stats;csv' | awk -F, '\$1 ~ /^be_/ && \$2 == \"BACKEND\" { n += \$8 } END { exit !(n > 0) }'"
if grep -q '"traffic"' "$dir/status.json"; then
	check "status shows the load as router traffic" python3 - "$dir/status.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["services"]
n = sum((x["traffic"] or {}).get("blue", {}).get("requests", 0) or 0 for x in s if x["traffic"])
assert n > 0, n
PY
fi

# 2. TERM (what Ctrl-C amounts to) stops all of it, by PID.
kill -TERM $labpid
i=0; while kill -0 $labpid 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
wait $labpid; rc=$?
labpid=
check "TERM ends the lab at once, as a signal (143)" [ "$rc" = 143 ]
check "it says where the journal was kept" grep -q "journal kept in $L/state" "$dir/hap.out"
check "after TERM no process the lab started is alive" all_gone "$L/pids"
check "after TERM no process runs in the lab dir (haproxy's worker neither)" none_in "$L"

# 3. No hold: up, told how to run the console, down; exit 0.
L=$dir/quick
expect_out "no terminal and no hold: starts, tells the console command, exits 0" 0 \
	"no terminal for the console; run: .* -c $L/demo.json" lab "$L"
check "no hold: everything stopped" all_gone "$L/pids"
check "no hold: nothing left in the lab dir" none_in "$L"

# 4. The rehearsal router, asked for and as the fallback without haproxy.
L=$dir/reh
expect_out "CUTOVER_DEMO_ROUTER=rehearsal runs without haproxy" 0 "rehearsal router" \
	lab "$L" CUTOVER_DEMO_ROUTER=rehearsal
check "rehearsal: the config says so and no haproxy was started" sh -c \
	"grep -q '\"driver\": \"rehearsal\"' '$L/demo.json' && ! grep -q haproxy '$L/pids'"
check "rehearsal: everything stopped" all_gone "$L/pids"

# A PATH with what the lab needs except haproxy.
mkdir "$dir/bin"
for c in sh env cat awk cut tr sed sleep mkdir rm mktemp; do
	ln -s "$(command -v $c)" "$dir/bin/$c"
done
ln -s "$(python3 -c 'import sys; print(sys.executable)')" "$dir/bin/python3"
L=$dir/nohap
expect_out "without haproxy installed it falls back to rehearsal, saying why" 0 \
	"haproxy is not installed .*falling back to the rehearsal router" \
	lab "$L" PATH="$dir/bin"
check "fallback: the config uses the rehearsal router" grep -q '"driver": "rehearsal"' "$L/demo.json"
check "fallback: everything stopped" all_gone "$L/pids"
finish
