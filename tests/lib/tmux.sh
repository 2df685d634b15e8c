# Helpers for terminal suites: the real binary in tmux, driven with
# send-keys and read with capture-pane. Source after tests/lib/assert.sh,
# with $dir (a scratch directory) and $BIN set. Call tui_stop in the
# suite's cleanup.

tui_sock="cvtui$$"
tui_serial=0	# every start gets its own tmux server: a new client must
		# never meet the previous server while it is still shutting down
T() { tmux -L "$tui_sock-$tui_serial" "$@"; }
tui_stop() { T kill-server 2>/dev/null; }

# tui_start COLS LINES "ENV" ARGS...: a fresh server running $BIN ARGS.
# remain-on-exit is set before the program starts, so even an instant exit
# leaves its status; the wrapper also writes it to $dir/rc, because tmux 3.3
# sometimes marks a pane dead without one.
tui_start() {
	tui_stop
	tui_serial=$((tui_serial + 1))
	cols=$1 lines=$2 env=$3
	shift 3
	rm -f "$dir/rc"
	T -f /dev/null start-server \; set -g remain-on-exit on \; new -d -x "$cols" -y "$lines" \
		"env $env $BIN $*; rc=\$?; echo \$rc > $dir/rc; exit \$rc"
}

# wait_for PATTERN: polls the pane (up to 8 s) until grep -E matches; the
# last capture stays in $dir/screen.
wait_for() {
	i=0
	while [ $i -lt 160 ]; do
		T capture-pane -p > "$dir/screen" 2>/dev/null
		grep -Eq -- "$1" "$dir/screen" && return 0
		sleep 0.05; i=$((i + 1))
	done
	echo "waited for: $1"; cat "$dir/screen"; return 1
}

# wait_gone PATTERN: polls (up to 5 s) until it no longer matches.
wait_gone() {
	i=0
	while [ $i -lt 100 ]; do
		T capture-pane -p > "$dir/screen" 2>/dev/null
		grep -Eq -- "$1" "$dir/screen" || return 0
		sleep 0.05; i=$((i + 1))
	done
	echo "still there: $1"; cat "$dir/screen"; return 1
}

# exited_with N: the program ended (within 8 s) with status N.
exited_with() {
	i=0
	while [ ! -s "$dir/rc" ] && [ $i -lt 160 ]; do sleep 0.05; i=$((i + 1)); done
	st=$(cat "$dir/rc" 2>/dev/null || echo alive)
	[ "$st" = "$1" ] || { echo "status: $st"; T capture-pane -p; return 1; }
}
