#!/bin/sh
# The console in a real terminal (tmux): rows and labels at 80x24, filter,
# help, the confirm modal, watch mode refusing every mutating key, resize to
# a tiny terminal and back, NO_COLOR, and exit status 0 after q.
. tests/lib/assert.sh
. tests/lib/sim.sh
BIN=${BIN:-./cutover}
SIM=${SIM:-build/cutover-sim}
dir=$(mktemp -d)
simpid=
. tests/lib/tmux.sh
cleanup() {
	tui_stop
	[ -n "$simpid" ] && kill "$simpid" 2>/dev/null && wait "$simpid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

if ! command -v tmux >/dev/null 2>&1; then
	echo "tmux missing: terminal tests skipped"; finish; exit
fi

cat > "$dir/spec" <<'SPEC'
api blue lat_ms=2 jitter_ms=0.2
api green lat_ms=30 jitter_ms=1
web blue lat_ms=3
web green lat_ms=3
sick green err_pct=100
nightly blue lat_ms=1
nightly green lat_ms=1
SPEC
sim_start "$dir" --spec "$dir/spec" || { echo "the simulator did not start"; exit 1; }
simpid=$sim_pid
svc() {	# name kind group
	printf '{"name":"%s","kind":"%s","group":"%s","blue":{"health":"http://127.0.0.1:%s/%s/blue/health"},"green":{"health":"http://127.0.0.1:%s/%s/green/health"}}' \
		"$1" "$2" "$3" "$port" "$1" "$port" "$1"
}
{
	printf '{"release":"tui-r1","state_dir":"%s/state","router":{"driver":"rehearsal"},' "$dir"
	printf '"probe":{"interval_ms":200,"timeout_ms":400},"gates":{"min_samples":5},"services":['
	svc api exposed front; printf ,; svc web exposed front; printf ,; svc sick exposed back; printf ,
	svc nightly job jobs
	printf ']}\n'
} > "$dir/c.json"


tui_start 80 24 "TERM=xterm-256color" -c "$dir/c.json"
check "console shows release, sides and REHEARSAL" wait_for "tui-r1.*REHEARSAL.*B:blue -> G:green"
for s in api web sick nightly; do
	check "service $s has a row" wait_for "[> ]$s "
done
check "rows tell the sides apart without colour (B: and G:)" wait_for "api .* B:up .* G:up"
check "a failing green reads DN" wait_for "sick .* G:DN"
check "the function-key bar is at the bottom" sh -c "tail -n 1 '$dir/screen' | grep -q 'Help'"

T send-keys / w e b Enter
check "filter keeps the matching row" wait_for "[> ]web .* B:"
check "filter hides the others" wait_gone " api .* B:"
T send-keys Escape
check "Esc clears the filter" wait_for "[> ]api "

T send-keys Enter
check "Enter opens the detail pane with the verdict's reason" wait_for "^ verdict (pass|fail|marginal|nodata)"
T send-keys Enter
check "Enter again closes it" wait_gone "^ verdict (pass|fail|marginal|nodata)"
T send-keys s
check "s cycles the sort to group" wait_for "Sort:group"
T send-keys Tab
check "Tab shows one row per group" wait_for "front +2 svc"
T send-keys Tab

T send-keys ?
check "? shows help generated from the key table" wait_for "one weight step toward green"
check "help lists rollback, and says more keys follow on a short terminal" sh -c "grep -q 'rollback' '$dir/screen' && grep -q 'Space for more keys' '$dir/screen'"
T send-keys Space
check "Space turns to the page that lists quit and the rollout keys" wait_for "abort the rollout.*|quit"
check "the last page lists quit" wait_for "quit"
T send-keys ?
check "? from the last page closes help" wait_gone "quit"
T send-keys ?
wait_for "one weight step toward green" >/dev/null
T send-keys x
check "any key closes help" wait_gone "one weight step toward green"

T send-keys / w e b Enter
wait_for "^>web .*(pass|fail|marg)" >/dev/null
T send-keys G
check "G opens the confirm modal naming the move" wait_for "web +0 -> 100  toward G:green"
check "the modal focuses Cancel" wait_for "Cancel: n / Esc"
T send-keys Escape
check "Esc cancels and says nothing changed" wait_for "cancelled: nothing changed"
T send-keys G y
check "y applies through the rehearsal driver and says so" wait_for "plan p-[^ ]+ done: 1 service applied"
check "the row shows the new weight" wait_for "^>web .* 100 B:"
T send-keys Escape R
check "R asks for the typed word" wait_for "type 'rollback'"
T send-keys r o l l b a c k Enter
check "the typed word rolls everything back" wait_for "web .*   0 B:"
T send-keys R
check "R with everything on blue says there is nothing to change" wait_for "nothing to change"

T resize-window -x 30 -y 10 2>/dev/null || T resize-window -t 0 -x 30 -y 10
check "a tiny terminal asks to be enlarged" wait_for "enlarge the terminal"
T resize-window -x 80 -y 24
check "back at 80x24 the table returns" wait_for "tui-r1.*REHEARSAL"
T send-keys q
check "q exits with status 0" exited_with 0

tui_start 80 24 "TERM=xterm-256color" watch -c "$dir/c.json"
check "watch shows [R] and WATCH" wait_for "\[R\] WATCH"
for k in g b G B R; do
	T send-keys "$k"
	check "watch: '$k' only flashes read-only" wait_for "read-only: this screen changes nothing"
	T send-keys x	# any unbound key; the flash stays for 3 s, so also look for no modal
	check "watch: '$k' opened no confirm modal" wait_gone "Cancel: n / Esc"
done
check "watch takes no lock" sh -c "! command -v flock >/dev/null || flock -n '$dir/state/tui-r1.lock' true"
T send-keys q
check "watch exits with status 0 after q" exited_with 0

# Another process holds the operator lock: the console opens read-only
# and names the holder.
if command -v flock >/dev/null 2>&1; then
	mkdir -p "$dir/state"
	printf '{"actor":"ana@ops1","pid":4242,"since":"2026-11-24T14:31:02Z","command":"cutover move api 25"}\n' \
		> "$dir/state/tui-r1.lock"
	# The holder is this sleep itself (the subshell execs into it with the
	# locked descriptor), so killing it by PID lets go of the lock and
	# leaves nothing behind; `flock FILE sleep` would leave the sleep
	# holding it.
	(exec 9<"$dir/state/tui-r1.lock" && flock -x 9 && exec sleep 30) &
	flockpid=$!
	i=0	# held once a shared try-lock fails
	while flock -n -s "$dir/state/tui-r1.lock" true 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	tui_start 80 24 "TERM=xterm-256color" -c "$dir/c.json"
	check "a held lock makes the console read-only" wait_for "\[R\]"
	check "the holder is named" wait_for "ana@ops1"
	T send-keys G
	check "G only flashes read-only there" wait_for "read-only: this screen changes nothing"
	T send-keys x
	check "and opens no confirm modal" wait_gone "Cancel: n / Esc"
	# The holder lets go: the console takes the lock and can act, with
	# no restart.
	kill "$flockpid" 2>/dev/null; wait "$flockpid" 2>/dev/null
	check "a released lock is taken by the read-only console" wait_for "lever: mine"
	check "which says so" wait_for "this console holds it now and can act"
	check "and shows [RW]" wait_for "\[RW\]"
	T send-keys G
	check "G now opens the confirm modal" wait_for "Move 1 service"
	T send-keys Escape
	check "Esc cancels it" wait_for "cancelled: nothing changed"
	check "the lock file names this console now" grep -q '"command":"cutover (console, hosting the engine)"' "$dir/state/tui-r1.lock"
	T send-keys q
	check "q exits after taking the lock" exited_with 0
	rm -f "$dir/state/tui-r1.lock"
fi

# A state_dir it cannot write: no journal, so no hands; the dashboard
# still serves, read-only, and says why.
sed 's#"state_dir":"[^"]*"#"state_dir":"/proc/cutover-cannot-be-here"#' "$dir/c.json" > "$dir/ro.json"
tui_start 80 24 "TERM=xterm-256color" -c "$dir/ro.json"
check "an unwritable state_dir opens read-only" wait_for "\[R\]"
check "and names why" wait_for "read-only: cannot create state directory /proc/cutover-cannot-be-here"
T send-keys q
check "that console exits 0 after q" exited_with 0

tui_start 80 24 "NO_COLOR=1 TERM=xterm-256color" -c "$dir/c.json"
check "NO_COLOR renders" wait_for "tui-r1"
check "NO_COLOR: no colour escapes" sh -c "! tmux -L '$tui_sock-$tui_serial' capture-pane -p -e | grep -Eq '\[(3[0-7]|4[0-7]|38;|48;)'"
T send-keys q
check "NO_COLOR console exits 0" exited_with 0

tui_start 80 24 "TERM=xterm-256color" --theme high-contrast -c "$dir/c.json"
check "a named theme from themes/ loads" wait_for "tui-r1"
T send-keys q
printf 'normal = default default none\nbogus line here\n' > "$dir/bad.theme"
expect_out "a bad theme file names FILE:LINE" 2 "bad.theme:2:" "$BIN" --theme "$dir/bad.theme" -c "$dir/c.json"

tui_start 80 24 "TERM=xterm-256color" -c "$dir/c.json"
wait_for "tui-r1" >/dev/null
pid=$(pgrep -P "$(T display -p '#{pane_pid}')" | head -n 1)
kill -TERM "$pid" 2>/dev/null
check "SIGTERM ends the console with 128+15" exited_with 143
finish
