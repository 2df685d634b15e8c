#!/bin/sh
# Rollouts from the console, in tmux, through an engine (serve) over the
# simulator and the rehearsal router: o shows what would start and y
# starts it; each row says its phase as a glyph and a word, step i/n, bake
# mm:ss, failed k/N; p pauses and resumes; a halt puts a NEEDS YOU line
# above the table (three lines on a wall screen) and flashes the message
# line; X asks for the typed word abort and puts it back; F asks for
# promote; the help lists the keys; a wall screen refuses them.
. tests/lib/assert.sh
. tests/lib/sim.sh
BIN=${BIN:-./cutover}
SIM=${SIM:-build/cutover-sim}
dir=$(mktemp -d)
sock="cvro$$"
engine_pid=
T() { tmux -L "$sock" "$@"; }
cleanup() {
	T kill-server 2>/dev/null
	stop_pid "$engine_pid"
	stop_pid "$sim_pid"
	rm -rf "$dir"
}
trap cleanup EXIT

sim_start "$dir" --services 3 || { echo "the simulator did not start"; exit 1; }
svc() { printf '{"name":"%s","kind":"exposed","group":"%s","blue":{"health":"http://127.0.0.1:%s/%s/blue/h"},"green":{"health":"http://127.0.0.1:%s/%s/green/h"}}' "$1" "$2" "$port" "$1" "$port" "$1"; }
{
	printf '{"release":"rk","state_dir":"%s/state","router":{"driver":"rehearsal"},' "$dir"
	printf '"probe":{"interval_ms":100,"timeout_ms":300,"fall":2,"window":20},"gates":{"min_samples":3},'
	printf '"rollout":{"steps":[{"weight":5,"bake_s":40},100],"max_failed_checks":2},'
	printf '"groups":{"h":{"rollout":{"on_breach":"halt"}}},"services":['
	svc svc0000 r; printf ,; svc svc0001 h; printf ,; svc svc0002 r; printf ']}\n'
} > "$dir/c.json"
"$BIN" serve -c "$dir/c.json" 2>>"$dir/serve.log" &
engine_pid=$!
i=0
while [ ! -S "$dir/state/rk.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done

T -f /dev/null start-server \; set -g remain-on-exit on \; new -d -x 150 -y 26 -n con "$BIN -c $dir/c.json"
T new-window -d -n wall "$BIN watch -c $dir/c.json"
# shows WINDOW PATTERN: the window shows it within 6 s.
shows() {
	i=0
	until T capture-pane -p -t "$1" 2>/dev/null | grep -Eq -- "$2"; do
		i=$((i + 1))
		[ $i -gt 120 ] && { echo "window $1 lacks: $2"; T capture-pane -p -t "$1"; return 1; }
		sleep 0.05
	done
}
key() { T send-keys -t con "$@"; }

check "the console attaches with the lever" shows con "lever: mine"
check "verdicts are in" shows con "svc0000 .* pass"
key o
check "o shows the engine's dry run: what would start, its wave and steps" shows con "Start on autopilot: 1 service"
check "and y confirms" shows con "y: start"
key y
check "the row says baking with a glyph, step 1/2, bake mm:ss and failed 0/2" shows con "svc0000 .*~ baking +1/2 +00:[0-9][0-9] 0/2"
check "the column heads name the rollout's figures" shows con "ROLLOUT +step bake +fail"
check "a wall screen shows the same rollout" shows wall "svc0000 .*~ baking"
key p
check "p pauses it (glyph and word)" shows con "svc0000 .*\| paused"
key p
check "p again resumes it" shows con "svc0000 .*~ baking"
key j o
check "o on the next service" shows con "Start on autopilot"
key y
check "svc0001 bakes" shows con "svc0001 .*~ baking"
curl -s "http://127.0.0.1:$port/_sim/set?svc=svc0001&side=green&err_pct=100" >/dev/null
check "its breach halts it (on_breach halt), the row says so" shows con "svc0001 .*! halted"
check "a NEEDS YOU line names it and the keys" shows con "NEEDS YOU \(1\) \[P promote, p resume, X abort\]: svc0001 halted \(green"
check "the message line flashed the halt" shows con "ROLLOUT HALTED: svc0001"
check "the wall screen shows NEEDS YOU large" shows wall ">>> NEEDS YOU: 1 SERVICES? WAITS? FOR A HUMAN <<<"
key X
check "X asks for the word abort" shows con "type 'abort' and Enter"
key y
check "y is not enough" shows con "y is not enough here: type 'abort'"
T send-keys -t con a b o r t Enter
check "abort puts it back: rolled back" shows con "svc0001 .*< rolled_back"
gone() {
	i=0
	while T capture-pane -p -t "$1" | grep -Eq -- "$2"; do
		i=$((i + 1))
		[ $i -gt 100 ] && { echo "window $1 still shows: $2"; return 1; }
		sleep 0.05
	done
}
check "the NEEDS YOU line is gone" gone con "NEEDS YOU"
key k F
check "F asks for the word promote" shows con "Promote, skipping every bake and pause left"
T send-keys -t con p r o m o t e Enter
check "promote --full walks svc0000 to done" shows con "svc0000 .*= done +2/2"
curl -s "http://127.0.0.1:$port/_sim/set?svc=svc0002&side=green&err_pct=100" >/dev/null
check "svc0002's green goes down" shows con "svc0002 .*G:DN"
key j j o
check "o on svc0002" shows con "Start on autopilot"
key y
check "its first step is held by the green health gate, and the row says held" shows con "svc0002 .*~ held"
key Enter
check "the detail pane says why" shows con "rollout baking, step 0/2.*next step held: green-health"
key Enter
key '?'
check "the help lists the rollout keys" shows con "start a rollout on autopilot"
key Space
check "and on its next page the abort key" shows con "abort the rollout: back to blue"
key q
T send-keys -t wall o
check "a wall screen refuses o" shows wall "read-only"
check "the journal names the console's actor for the controls" grep -q '"type":"rollout".*"event":"aborted"' "$dir/state/rk.journal.jsonl"
T send-keys -t con q
finish
