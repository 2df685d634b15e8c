#!/bin/sh
# Scheduled jobs in the console and on a wall screen, in tmux, through an
# engine (serve) over the simulator's job schedulers and the exec tool
# (tests/tools/sim_job_tool): a job's row counts down to its next fire
# and names the side that ran the last tick; the detail pane shows its
# schedule, ledger, latest ticks and where its runs are seen; a double caused behind
# cutover's back marks the row and puts the job on the NEEDS YOU line
# (large on the wall screen).
. tests/lib/assert.sh
. tests/lib/sim.sh
BIN=${BIN:-./cutover}
SIM=${SIM:-build/cutover-sim}
dir=$(mktemp -d)
sock="cvjr$$"
engine_pid=
T() { tmux -L "$sock" "$@"; }
cleanup() {
	T kill-server 2>/dev/null
	stop_pid "$engine_pid"
	stop_pid "$sim_pid"
	rm -rf "$dir"
}
trap cleanup EXIT

cat > "$dir/spec" <<'SPEC'
hop blue every_s=2 run_ms=300
hop green suspended=1
web blue
web green
SPEC
sim_start "$dir" --spec "$dir/spec" || { echo "the simulator did not start"; exit 1; }
export SIM_PORT=$port
tool=$(pwd)/tests/tools/sim_job_tool
cat > "$dir/c.json" <<CONFIG
{"release":"jr","state_dir":"$dir/state","probe":{"interval_ms":200},"gates":{"min_samples":3},
 "router":{"driver":"exec","exec":{"set":["$tool","set","{service}","{weight}"],
                                   "get":["$tool","get","{service}"],"timeout_ms":1500}},
 "services":[
  {"name":"hop","kind":"job","schedule":"*/2 * * * * *","guard_s":0,"max_run_s":1,
   "blue":{"health":"http://127.0.0.1:$port/hop/blue/health"},
   "green":{"health":"http://127.0.0.1:$port/hop/green/health"}},
  {"name":"web","kind":"exposed",
   "blue":{"health":"http://127.0.0.1:$port/web/blue/health"},
   "green":{"health":"http://127.0.0.1:$port/web/green/health"}}]}
CONFIG
"$BIN" serve -c "$dir/c.json" 2>>"$dir/serve.log" &
engine_pid=$!
i=0
while [ ! -S "$dir/state/jr.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done

T -f /dev/null start-server \; set -g remain-on-exit on \; new -d -x 150 -y 36 -n con "$BIN -c $dir/c.json"
T new-window -d -n wall "$BIN watch -c $dir/c.json"
shows() {
	i=0
	until T capture-pane -p -t "$1" 2>/dev/null | grep -Eq -- "$2"; do
		i=$((i + 1))
		[ $i -gt 160 ] && { echo "window $1 lacks: $2"; T capture-pane -p -t "$1"; return 1; }
		sleep 0.05
	done
}
key() { T send-keys -t con "$@"; }

check "the job's row counts down to its next fire" shows con "hop .* next 00:0[0-2]"
check "and names the side that ran the last tick" shows con "hop .* last B +ok"
check "a wall screen shows the same" shows wall "hop .* last B +ok"
key Enter
check "the detail pane shows the schedule and the last tick" \
	shows con "job \"\\*/2 \\* \\* \\* \\* \\*\" UTC: next .*ran on B \\(ok\\)"
check "the ledger and where runs are seen" \
	shows con "ledger: 0 double, 0 missed since watched; .*runs seen by the router"
check "and the latest ticks, each with who ran it" shows con "ticks: [0-9:]+ B ok \\| [0-9:]+ B ok"
key Enter
curl -s --noproxy '*' -m 2 "http://127.0.0.1:$port/_sim/set?svc=hop&side=green&suspended=0" >/dev/null
check "a double behind cutover's back marks the row" shows con "hop .* last B\\+G !1d"
key Enter
check "the detail pane's ticks say double" shows con "ticks: .*[0-9:]+ B\\+G double"
key Enter
check "and puts the job on the NEEDS YOU line" shows con "NEEDS YOU \\([0-9]\\).*hop job: [0-9]+ double"
check "large on the wall screen" shows wall ">>> NEEDS YOU: 1 SERVICE WAITS FOR A HUMAN <<<"
curl -s --noproxy '*' -m 2 "http://127.0.0.1:$port/_sim/set?svc=hop&side=green&suspended=1" >/dev/null
finish
