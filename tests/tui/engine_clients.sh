#!/bin/sh
# One engine, many screens, in tmux: an engine (serve), three wall screens
# and a console attached to it; the wall screens send no probes; a green
# failing reaches every screen; kill -9 of the engine shows ENGINE LOST on
# every screen within 2 s and they reconnect when it is back; the lever
# names its holder on every screen and T takes it over; a console with no
# engine hosts one, wall screens attach to it, and its SIGHUP stops it
# cleanly, journaled, said on the next start.
. tests/lib/assert.sh
. tests/lib/sim.sh
BIN=${BIN:-./cutover}
SIM=${SIM:-build/cutover-sim}
dir=$(mktemp -d)
sock="cveng$$"
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
api blue lat_ms=2
api green lat_ms=2
web blue lat_ms=2
web green lat_ms=2
SPEC
sim_start "$dir" --spec "$dir/spec" || { echo "the simulator did not start"; exit 1; }
svc() { printf '{"name":"%s","kind":"exposed","group":"g1","blue":{"health":"http://127.0.0.1:%s/%s/blue/h"},"green":{"health":"http://127.0.0.1:%s/%s/green/h"}}' "$1" "$port" "$1" "$port" "$1"; }
{
	printf '{"release":"ec","state_dir":"%s/state","router":{"driver":"rehearsal"},' "$dir"
	printf '"probe":{"interval_ms":200,"timeout_ms":300,"fall":2},"gates":{"min_samples":5},"services":['
	svc api; printf ,; svc web; printf ']}\n'
} > "$dir/c.json"

start_engine() {
	"$BIN" serve -c "$dir/c.json" 2>>"$dir/serve.log" &
	engine_pid=$!
	i=0
	while [ ! -S "$dir/state/ec.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
}
# screen N ARGS...: window N runs the binary.
screen() {
	n=$1; shift
	if [ "$n" = 0 ]; then
		T -f /dev/null start-server \; set -g remain-on-exit on \; new -d -x 140 -y 24 -n w0 "$BIN $*"
	else
		T new-window -d -n "w$n" "$BIN $*"
	fi
}
# on_all PATTERN WINDOWS...: every window shows PATTERN within 4 s.
on_all() {
	pat=$1; shift
	for w in "$@"; do
		i=0
		until T capture-pane -p -t "w$w" 2>/dev/null | grep -Eq -- "$pat"; do
			i=$((i + 1))
			[ $i -gt 80 ] && { echo "window w$w lacks: $pat"; T capture-pane -p -t "w$w"; return 1; }
			sleep 0.05
		done
	done
}
requests() { curl -s "http://127.0.0.1:$port/_sim/stats" | sed 's/.*"requests":\([0-9]*\).*/\1/'; }

start_engine
check "serve starts and makes its socket" test -S "$dir/state/ec.sock"
screen 0 -c "$dir/c.json"
screen 1 watch -c "$dir/c.json"
screen 2 watch -c "$dir/c.json"
screen 3 watch -c "$dir/c.json"
check "console and three wall screens attach to the engine" on_all " engine " 0 1 2 3
check "every screen names the lever's holder" on_all "lever: (mine|[a-z0-9]+@.*console)" 0 1 2 3
check "the attached console holds the lever" on_all "lever: mine" 0

# Probes come from the engine alone: 2 services x 2 sides every 200 ms,
# about 20 a second, however many screens are attached.
a=$(requests); sleep 2; b=$(requests)
rate=$(( (b - a) / 2 ))
check "four screens attached cost one prober's probes ($rate/s, one engine makes ~20)" test "$rate" -le 30

curl -s "http://127.0.0.1:$port/_sim/set?svc=api&side=green&mode=reset" >/dev/null
check "a failing green shows on every screen" on_all "api .*G:DN" 1 2 3
curl -s "http://127.0.0.1:$port/_sim/set?svc=api&side=green&mode=ok" >/dev/null

"$BIN" move web --to green --weight 25 --yes -c "$dir/c.json" >"$dir/move.out" 2>&1
rc=$?
check "a CLI move while a console holds the lever is refused (exit 1)" test "$rc" -eq 1
check "the refusal names the holder" grep -q "lever is held by" "$dir/move.out"

T send-keys -t w0 j g
check "the console's move opens the confirm modal" on_all "Move 1 service" 0
T send-keys -t w0 y
check "the move reaches every wall screen" on_all "web .* 1 B:" 1 2 3

kill -9 "$engine_pid"
wait "$engine_pid" 2>/dev/null
engine_pid=
t0=$(date +%s%N)
check "kill -9: every screen says ENGINE LOST" on_all "ENGINE LOST" 0 1 2 3
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
check "... within 2 s ($ms ms)" test "$ms" -le 2000
check "... and keeps the last state on screen" on_all "web .* 1 B:" 1 2 3
start_engine
check "the restarted engine: every screen reconnects" on_all " engine " 0 1 2 3
check "... and says ENGINE LOST no more" sh -c "! tmux -L $sock capture-pane -p -t w1 | grep -q 'ENGINE LOST'"

# A second console waits in line for the lever, and takes it with T.
screen 4 -c "$dir/c.json"
check "a second console is read-only and names the holder" on_all "read-only: the lever is held by" 4
T send-keys -t w4 T
check "T asks for the typed word" on_all "Take the lever" 4
T send-keys -t w4 t a k e Enter
check "T + take: the second console holds the lever" on_all "lever: mine" 4
check "... and the first one says who has it now" on_all "lever: [a-z0-9]+@" 0
T kill-server
stop_pid "$engine_pid"
engine_pid=
check "the journal records the take-over" grep -q '"type":"lever"' "$dir/state/ec.journal.jsonl"

# No engine: a console hosts one; wall screens attach; SIGHUP stops it.
screen 0 -c "$dir/c.json"
check "a console with no engine hosts one" on_all "engine:here" 0
check "... and serves its socket" test -S "$dir/state/ec.sock"
screen 1 watch -c "$dir/c.json"
check "a wall screen attaches to the hosted engine" on_all " engine " 1
console=$(T list-panes -t w0 -F '#{pane_pid}')
kill -HUP "$console"
check "SIGHUP: the wall screen falls back to standalone" on_all "standalone" 1
check "the hosting console's SIGHUP is journaled" grep -q 'lost its terminal (SIGHUP)' "$dir/state/ec.journal.jsonl"
check "the journal is whole" "$BIN" journal --verify -c "$dir/c.json"
"$BIN" serve -c "$dir/c.json" 2>"$dir/serve2.log" &
engine_pid=$!
sleep 1
check "the next engine says how the last one stopped" grep -q "stopped at .*SIGHUP" "$dir/serve2.log"
check "... and the wall screen attaches to it by itself" on_all " engine " 1
finish
