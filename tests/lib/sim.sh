# Helpers for suites and benchmarks that start the service simulator (and
# other processes) on 127.0.0.1 and must stop each by its PID.
# Needs SIM (the simulator binary).

# stop_pid PID: TERM, up to 5 s to go, then KILL; reaped when it is ours.
stop_pid() {
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null
	_sp_i=0
	while kill -0 "$1" 2>/dev/null && [ $_sp_i -lt 50 ]; do
		sleep 0.1
		_sp_i=$((_sp_i + 1))
	done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# sim_start DIR ARG...: starts "$SIM" --port 0 --port-file DIR/port ARG...
# (stderr appended to DIR/sim.log) and waits up to 10 s for the port file.
# Sets sim_pid and port. If the simulator exits or writes no port, its log
# goes to stderr, it is stopped, sim_pid is emptied and this returns 1.
sim_start() {
	_ss_dir=$1
	shift
	rm -f "$_ss_dir/port"
	"$SIM" --port 0 --port-file "$_ss_dir/port" "$@" 2>>"$_ss_dir/sim.log" &
	sim_pid=$!
	_ss_i=0
	while [ ! -s "$_ss_dir/port" ]; do
		if ! kill -0 "$sim_pid" 2>/dev/null || [ $_ss_i -ge 200 ]; then
			cat "$_ss_dir/sim.log" >&2
			stop_pid "$sim_pid"
			sim_pid=""
			return 1
		fi
		sleep 0.05
		_ss_i=$((_ss_i + 1))
	done
	port=$(cat "$_ss_dir/port")
}
