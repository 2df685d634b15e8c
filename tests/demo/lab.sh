#!/bin/sh
# The demo lab: the service simulator with a generated release of 30
# services in 6 groups (jobs and exposed; some greens slower, one failing,
# one flapping), one local haproxy in front of them with an admin socket,
# a light load through it, and the console on it. Leaving the console (or
# Ctrl-C) stops everything the lab started, by PID.
#
# Env: CUTOVER_DEMO_MODE=watch     the read-only wall view instead
#      CUTOVER_DEMO_ROUTER=rehearsal  no haproxy: moves are only journaled
#                                  (also the fallback when haproxy is missing)
#      CUTOVER_DEMO_DIR=DIR        the lab directory (default: a fresh mktemp); a
#                                  reused one keeps its journal, so weights set
#                                  before show as drift on the fresh haproxy
#      CUTOVER_DEMO_HOLD=SECONDS   with no terminal, keep the lab up that long
#                                  before stopping it (for tests); default 0
#      CUTOVER_DEMO_RATE=N         requests per second of the load (10, max 20)
# The lab writes DIR/pids ("PID what" per line, kept after exit so a test
# can check they are gone) and DIR/ready once the console could open.
set -u
BUILD=${BUILD:-build}
SIM=${SIM:-$BUILD/cutover-sim}
BIN=${BIN:-./cutover}
# The running demo's lab, for `make demo-watch` in a second terminal.
current=${TMPDIR:-/tmp}/cutover-demo.current

# demo-watch with a demo up: attach to its engine (the console hosts it);
# no second lab, no second prober.
if [ "${CUTOVER_DEMO_MODE:-}" = watch ] && [ -z "${CUTOVER_DEMO_DIR:-}" ] && [ -s "$current" ]; then
	live=$(cat "$current")
	if [ -S "$live/state/demo-eks-to-fargate.sock" ] && [ -f "$live/demo.json" ]; then
		echo "demo: attaching to the running demo's engine ($live)"
		exec "$BIN" watch -c "$live/demo.json"
	fi
fi
dir=${CUTOVER_DEMO_DIR:-$(mktemp -d /tmp/cutover-demo.XXXXXX)}
mkdir -p "$dir" || exit 1
dir=$(cd "$dir" && pwd)
router=${CUTOVER_DEMO_ROUTER:-haproxy}
rate=${CUTOVER_DEMO_RATE:-10}
case $rate in '' | *[!0-9]*) rate=10 ;; esac
[ "$rate" -gt 20 ] && rate=20	# the issue's bound: a demo, not a load test
# A reused DIR: stale files would pass the waits below before anything is up.
rm -f "$dir/ready" "$dir/pids" "$dir/port" "$dir/haproxy.sock"
: > "$dir/pids"

pids=	# newest first, so the load stops before haproxy, haproxy before the simulator
started() {	# PID WHAT
	pids="$1 $pids"
	echo "$1 $2" >> "$dir/pids"
}
cleanup() {
	trap '' INT TERM HUP
	[ "$(cat "$current" 2>/dev/null)" = "$dir" ] && rm -f "$current"
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	[ -s "$dir/pids" ] && echo "demo: stopped the $(cut -d' ' -f2 "$dir/pids" | tr '\n' ' ')(pids $(cut -d' ' -f1 "$dir/pids" | tr '\n' ' ' | sed 's/ $//'))"
	echo "demo: journal kept in $dir/state"
}
trap cleanup EXIT
# A signal ends the script, so EXIT's cleanup runs exactly once.
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

if [ "$router" = haproxy ]; then
	if ! command -v haproxy >/dev/null 2>&1; then
		echo "demo: haproxy is not installed ('make deps' installs it); falling back to the rehearsal router" >&2
		router=rehearsal
	elif ! command -v python3 >/dev/null 2>&1; then
		echo "demo: python3 is needed to find free ports and make the load; falling back to the rehearsal router" >&2
		router=rehearsal
	fi
fi
case $router in
haproxy | rehearsal) ;;
*) echo "demo: CUTOVER_DEMO_ROUTER=$router: expected haproxy or rehearsal" >&2; exit 2 ;;
esac

groups="payments search identity media jobs-nightly jobs-hourly"
nsvc=30

# DIR/services: "NAME KIND GROUP BLUE_PORT GREEN_PORT" (ports 0 in rehearsal).
pick_ports() {
	if [ "$router" = haproxy ]; then
		ports=$(python3 - $((2 * nsvc + 1)) <<'PY'
import socket, sys
# Held open together so the ports are distinct; freed just before the
# simulator and haproxy take them.
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
		) || exit 1
		# shellcheck disable=SC2086 # split into one port a word, on purpose
		set -- $ports
		fe_port=$1; shift
	else
		set --
	fi
	: > "$dir/services"
	for g in $groups; do
		kind=exposed
		case $g in jobs-*) kind=job ;; esac
		for i in 1 2 3 4 5; do
			if [ $# -ge 2 ]; then bp=$1 gp=$2; shift 2; else bp=0 gp=0; fi
			echo "$g-$i $kind $g $bp $gp" >> "$dir/services"
		done
	done
}
pick_ports

: > "$dir/spec"
n=0
while read -r name kind g bp gp; do
	echo "$name blue lat_ms=$((2 + n % 5)) jitter_ms=0.5" >> "$dir/spec"
	echo "$name green lat_ms=$((2 + n % 5)) jitter_ms=0.5" >> "$dir/spec"
	n=$((n + 1))
done < "$dir/services"
# Jobs run on a schedule (hourly and nightly, sped up to every 30 and 60
# s): with haproxy, one scheduler whose trigger is routed through it to
# the side that has the job, so its sessions show the runs; the rehearsal
# router simulates them itself.
job_every() { case $1 in jobs-hourly) echo 30 ;; *) echo 60 ;; esac; }
job_cron() { case $1 in jobs-hourly) echo '*/30 * * * * *' ;; *) echo '0 * * * * *' ;; esac; }
if [ "$router" = haproxy ]; then
	while read -r name kind g bp gp; do
		[ "$kind" = job ] || continue
		echo "$name blue every_s=$(job_every "$g") run_ms=3000 trigger=routed trigger_url=http://127.0.0.1:$fe_port/$name/run" >> "$dir/spec"
		echo "$name green trigger=routed" >> "$dir/spec"
	done < "$dir/services"
fi
cat >> "$dir/spec" <<'SPEC'
search-2 green lat_ms=40 jitter_ms=4
media-3 green lat_ms=12 jitter_ms=2
identity-4 green err_pct=100
payments-5 green flap_s=15
SPEC

# Starts the simulator on the picked ports; false if it died (a port taken
# between the pick and the bind) or did not come up within 20 s (a
# sanitizer build on a busy machine is slow).
start_sim() {
	binds=
	[ "$router" = haproxy ] && binds=$(while read -r name kind g bp gp; do
		printf ' --bind %s=%s/blue --bind %s=%s/green' "$bp" "$name" "$gp" "$name"
	done < "$dir/services")
	rm -f "$dir/port"
	# shellcheck disable=SC2086 # $binds is words without spaces, split on purpose
	"$SIM" --port 0 --port-file "$dir/port" --spec "$dir/spec" $binds 2>"$dir/sim.log" &
	simpid=$!
	started $simpid simulator
	i=0
	while [ ! -s "$dir/port" ] && [ $i -lt 400 ] && kill -0 $simpid 2>/dev/null; do
		sleep 0.05; i=$((i + 1))
	done
	[ -s "$dir/port" ]
}
tries=1
until start_sim; do
	kill "$simpid" 2>/dev/null; wait "$simpid" 2>/dev/null
	if [ $tries -ge 3 ]; then
		echo "demo: the simulator did not start:" >&2
		tail -n 5 "$dir/sim.log" | sed 's/^/  /' >&2
		exit 1
	fi
	tries=$((tries + 1))
	pick_ports	# the spec names services, not ports: it stands
done
port=$(cat "$dir/port")

if [ "$router" = haproxy ]; then
	{
		cat <<CFG
global
	stats socket $dir/haproxy.sock mode 600 level admin
	maxconn 2000
defaults
	mode http
	timeout connect 2s
	timeout client 10s
	timeout server 10s
# One frontend for every service, routed by the first path segment: users
# reach the exposed ones, the jobs' scheduler triggers their runs.
frontend fe_demo
	bind 127.0.0.1:$fe_port
	stats enable
	stats uri /haproxy-stats
	stats refresh 2s
	http-request return status 200 content-type text/plain string "cutover demo lab: GET /NAME/... for an exposed service, e.g. /payments-1/; /haproxy-stats for haproxy's own page" if { path / }
CFG
		while read -r name kind g bp gp; do
			printf '\tuse_backend be_%s if { path /%s } || { path_beg /%s/ }\n' "$name" "$name" "$name"
		done < "$dir/services"
		while read -r name kind g bp gp; do
			printf 'backend be_%s\n\tbalance roundrobin\n' "$name"
			# A job's trigger: the side it reaches runs the job.
			[ "$kind" = job ] && printf '\thttp-request set-path /run\n'
			printf '\tserver blue 127.0.0.1:%s weight 100\n\tserver green 127.0.0.1:%s weight 0\n' "$bp" "$gp"
		done < "$dir/services"
	} > "$dir/haproxy.cfg"
	# -W -db: master-worker in the foreground, so its PID is ours to stop.
	haproxy -W -db -f "$dir/haproxy.cfg" >"$dir/haproxy.log" 2>&1 &
	hapid=$!
	started $hapid haproxy
	i=0
	while [ ! -S "$dir/haproxy.sock" ] && [ $i -lt 100 ] && kill -0 $hapid 2>/dev/null; do
		sleep 0.05; i=$((i + 1))
	done
	if [ ! -S "$dir/haproxy.sock" ]; then
		echo "demo: haproxy did not start (see $dir/haproxy.log; CUTOVER_DEMO_ROUTER=rehearsal runs the lab without it)" >&2
		exit 1
	fi

	cat > "$dir/load.py" <<'PY'
# The lab's light load: RATE requests a second through the frontend, one
# exposed service after another, so haproxy's traffic figures move. Ends
# with the lab (its parent), and after 8 hours whatever happens.
import http.client, os, sys, time
port, rate, names = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3:]
parent, end, i = os.getppid(), time.monotonic() + 8 * 3600, 0
while names and os.getppid() == parent and time.monotonic() < end:
    t0 = time.monotonic()
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        c.request("GET", "/%s/demo" % names[i % len(names)])
        c.getresponse().read()
        c.close()
    except (OSError, http.client.HTTPException):
        pass
    i += 1
    time.sleep(max(0.0, 1.0 / rate - (time.monotonic() - t0)))
PY
	exposed=$(awk '$2 == "exposed" { printf "%s ", $1 }' "$dir/services")
	if [ "$rate" -gt 0 ]; then
		# shellcheck disable=SC2086
		python3 "$dir/load.py" "$fe_port" "$rate" $exposed 2>"$dir/load.log" &
		started $! load
	fi
fi

{
	printf '{"release": "demo-eks-to-fargate",\n "blue": {"label": "EKS on EC2"}, "green": {"label": "EKS on Fargate"},\n'
	if [ "$router" = haproxy ]; then
		printf ' "router": {"driver": "haproxy", "sockets": ["%s/haproxy.sock"]},\n' "$dir"
	else
		printf ' "router": {"driver": "rehearsal"},\n'
	fi
	printf ' "probe": {"interval_ms": 500, "timeout_ms": 400, "window": 120},\n'
	printf ' "gates": {"min_samples": 20}, "state_dir": "state",\n'
	# Bakes short enough to watch a rollout walk (o in the console).
	printf ' "rollout": {"steps": [{"weight": 5, "bake_s": 15}, {"weight": 25, "bake_s": 20}, {"pause": true},\n'
	printf '             {"weight": 100, "bake_s": 20}], "max_failed_checks": 3, "parallel": 2},\n'
	printf ' "plan": {"waves": [{"targets": ["@jobs-nightly", "@jobs-hourly"]}, {"targets": ["@identity"]},\n'
	printf '          {"targets": ["@search", "@payments"], "parallel": 3}, {"targets": ["@media"]}]},\n'
	printf ' "services": [\n'
	sep=""
	while read -r name kind g bp gp; do
		if [ "$router" = haproxy ]; then
			# Each side probed on its own address, as haproxy reaches it.
			bh="http://127.0.0.1:$bp/health" gh="http://127.0.0.1:$gp/health"
			route=", \"route\": {\"backend\": \"be_$name\"}"
		else
			bh="http://127.0.0.1:$port/$name/blue/health" gh="http://127.0.0.1:$port/$name/green/health"
			route=
		fi
		job=
		[ "$kind" = job ] &&
			job=", \"schedule\": \"$(job_cron "$g")\", \"max_run_s\": 5, \"guard_s\": 5"
		printf '%s  {"name": "%s", "kind": "%s", "group": "%s"%s%s,\n' "$sep" "$name" "$kind" "$g" "$route" "$job"
		printf '   "blue": {"health": "%s"},\n' "$bh"
		printf '   "green": {"health": "%s", "expect": {"json": "status", "equals": "UP"}}}' "$gh"
		sep=",
"
	done < "$dir/services"
	printf ']}\n'
} > "$dir/demo.json"

"$BIN" check -c "$dir/demo.json" || exit 2

{
	echo "demo: lab in $dir ($nsvc services in 6 groups, simulator on 127.0.0.1:$port)"
	if [ "$router" = haproxy ]; then
		echo "demo: haproxy: admin socket $dir/haproxy.sock, frontend 127.0.0.1:$fe_port, load $rate req/s"
		echo "demo: try  curl -si http://127.0.0.1:$fe_port/payments-1/ | grep X-Sim-Side"
		echo "demo:      curl -s 'http://127.0.0.1:$fe_port/haproxy-stats;csv' | cut -d, -f1,2,8,19 | grep -e '^#' -e be_payments-1,"
		echo "demo:      (haproxy's name, server, requests, weight; its page: http://127.0.0.1:$fe_port/haproxy-stats)"
	else
		echo "demo: rehearsal router: moves are journaled; nothing outside cutover changes"
	fi
	echo "demo: o starts a rollout on autopilot (steps 5, 25, a pause, 100); P promotes, X aborts;"
	echo "demo:   or the whole plan in waves: $BIN rollout start --plan -c $dir/demo.json"
} > "$dir/lab.txt"
cat "$dir/lab.txt"
echo "demo: (this is kept in $dir/lab.txt)"
: > "$dir/ready"

if [ ! -t 0 ] || [ ! -t 1 ]; then
	echo "demo: the lab is up but there is no terminal for the console; run: $BIN -c $dir/demo.json" >&2
	hold=${CUTOVER_DEMO_HOLD:-0}
	case $hold in '' | *[!0-9]*) hold=0 ;; esac
	if [ "$hold" -gt 0 ]; then
		echo "demo: holding the lab up for $hold s (CUTOVER_DEMO_HOLD)" >&2
		# In the background and waited for, so a signal ends the hold at once.
		sleep "$hold" &
		pids="$! $pids"
		wait $!
	fi
	exit 0
fi
if [ "${CUTOVER_DEMO_MODE:-}" = watch ]; then
	"$BIN" watch -c "$dir/demo.json"
else
	echo "$dir" > "$current"
	echo "demo: 'make demo-watch' in a second terminal attaches a wall screen to this console's engine"
	"$BIN" -c "$dir/demo.json"
fi
