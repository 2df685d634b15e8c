#!/bin/sh
# Watch benchmark (issue 5): what the screen costs on top of the probing,
# and how fast a key shows, with 1,000 services probed every second.
#
#   probe only   `cutover status --for ...` over the release: the same model
#                and prober with no screen. Its share of a core is the
#                reference the watch row is divided by.
#   watch        `cutover watch` in tmux at 200x60 over the same release
#                for WATCH_SECONDS: share of a core, RSS at the start and
#                the end of the span (it must not grow), and tmux's own CPU
#                (the terminal's cost of what the screen writes).
#   keys         the interactive console in tmux on the same release:
#                `s` (the function bar's Sort:NAME changes) and `?` (the
#                whole screen turns into the help and back) sent
#                KEY_PRESSES times each with `tmux send-keys`, the pane
#                polled with `capture-pane` until the change shows; then
#                the same with the workers idle (the fleet probed once an
#                hour), to tell the screen's part from the load's. tmux's
#                own floor is measured the same way on a pane running `cat`
#                (the tty echoes the key: no program in the path), one
#                press before each of the console's, and the console's
#                latency is printed beside it, beside one 16 ms frame and
#                the console's 100 ms input timeout (tui/console.c).
#
# Every share is utime+stime from /proc/PID/stat over the same span after
# WATCH_WARMUP seconds (connections opened, every probe window full: see
# release() below), divided by the wall time: 100% is one core.
#
# Everything talks to 127.0.0.1 only. Every process started here is stopped
# by its PID, every tmux server by its -L name, on exit. Takes about
# 2 x (WATCH_WARMUP + WATCH_SECONDS) + 30 s (3.5 minutes). It reports; it
# exits 0 when targets are missed (marked MISSED), 1 when it cannot measure.
# Env: BUILD, BIN, SIM, WATCH_SECONDS (60), WATCH_WARMUP (35),
#      KEY_PRESSES (30), KEY_WARMUP (5).
BUILD=${BUILD:-build}
SIM=${SIM:-$BUILD/cutover-sim}
if [ -z "${BIN:-}" ]; then
	if [ "$BUILD" = build ]; then BIN=./cutover; else BIN=$BUILD/cutover; fi
fi
WATCH_SECONDS=${WATCH_SECONDS:-60}
WATCH_WARMUP=${WATCH_WARMUP:-35}
KEY_PRESSES=${KEY_PRESSES:-30}
KEY_WARMUP=${KEY_WARMUP:-5}
SERVICES=1000
INTERVAL_MS=1000
INPUT_TIMEOUT_MS=100	# tui/console.c: timeout(100)
FRAME_MS=16
COLS=200
ROWS=60
export NO_PROXY='*' no_proxy='*'

. tests/lib/sim.sh
tmp=$(mktemp -d) || exit 1
sock="cvbench$$"
sim_pid=""
status_pid=""
watch_pid=""
servers=""
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	stop_pid "$watch_pid"
	for s in $servers; do tmux -L "$s" kill-server 2>/dev/null; done
	stop_pid "$status_pid"
	stop_pid "$sim_pid"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { echo "watch bench: $*" >&2; exit 1; }
calc() { awk "BEGIN { printf \"%s\", ($1) }"; }	# awk expression
calcf() { awk "BEGIN { printf \"$1\", ($2) }"; }	# format, awk expression
verdict() { if awk "BEGIN { exit !($1) }"; then echo "ok"; else echo "MISSED"; fi; }
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null; }	# pid: utime+stime
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
now_us() { t=$(date +%s%N); echo $((t / 1000)); }

# shellcheck disable=SC3045 # ulimit -n: not POSIX, but in dash, bash, busybox
ulimit -n "$(ulimit -Hn)" 2>/dev/null
[ -x "$SIM" ] || die "no simulator at $SIM (make all builds it)"
[ -x "$BIN" ] || die "no cutover at $BIN (make all builds it)"
command -v tmux >/dev/null || die "tmux is missing"
tck=$(getconf CLK_TCK)
loc=$(locale -a 2>/dev/null | grep -i -m1 -E '^(C|en_US)\.utf-?8$')
[ -n "$loc" ] && export LC_ALL="$loc"

sim_start "$tmp" --host 127.0.0.1 --services "$SERVICES" --seed 1 ||
	die "the simulator did not start (its log is above)"

# release FILE INTERVAL_MS: svc0000 .. svc0999, both sides healthy at
# ~1 ms (the simulator's default), in 20 groups of 50, a tenth of them jobs.
# A window of 30 samples, full after 30 s at 1 s: once the warm-up has
# filled every window, a growing RSS is a leak and not the windows filling
# (at the default 120 they grow for two minutes, ~1 MiB for this fleet).
release() {
	awk -v p="$port" -v n="$SERVICES" -v d="$1.state" -v iv="$2" 'BEGIN {
		printf "{\"release\":\"bench-watch\",\"state_dir\":\"%s\",\"router\":{\"driver\":\"rehearsal\"},", d
		printf "\"probe\":{\"interval_ms\":%d,\"timeout_ms\":800,\"window\":30},", iv
		printf "\"gates\":{\"min_samples\":20},\"services\":[\n"
		for (i = 0; i < n; i++)
			printf "%s{\"name\":\"svc%04d\",\"kind\":\"%s\",\"group\":\"g%02d\",\"blue\":{\"health\":\"http://127.0.0.1:%d/svc%04d/blue/health\"},\"green\":{\"health\":\"http://127.0.0.1:%d/svc%04d/green/health\"}}\n",
			       i ? "," : "", i, i % 10 == 9 ? "job" : "exposed", int(i / 50), p, i, p, i
		print "]}"
	}' >"$1"
	"$BIN" check -c "$1" >"$tmp/check.out" 2>&1 || { cat "$tmp/check.out" >&2; die "the config does not check"; }
}
release "$tmp/c.json" "$INTERVAL_MS"
# The same fleet probed once an hour (the longest interval allowed): the
# console with its workers idle, to tell the screen's key latency from the
# load's.
release "$tmp/idle.json" 3600000
echo "watch: $SERVICES services x 2 sides every $INTERVAL_MS ms on simulator pid $sim_pid (127.0.0.1:$port);" \
	"$(nproc 2>/dev/null || echo '?') cores; warm-up $WATCH_WARMUP s, span $WATCH_SECONDS s"

# measure NAME PID: after the warm-up, CPU and RSS of PID over the span
# (RSS every 10 s too); TMUXPID, when set, is measured beside it.
measure() {
	sleep "$WATCH_WARMUP"
	kill -0 "$2" 2>/dev/null || die "$1: pid $2 exited during the warm-up"
	t0=$(ticks "$2")
	x0=${TMUXPID:+$(ticks "$TMUXPID")}
	r0=$(rss_kib "$2")
	w0=$(now_us)
	series="$r0"
	left=$WATCH_SECONDS
	while [ "$left" -gt 0 ]; do
		step=$((left < 10 ? left : 10))
		sleep "$step"
		left=$((left - step))
		series="$series $(rss_kib "$2")"
	done
	t1=$(ticks "$2")
	x1=${TMUXPID:+$(ticks "$TMUXPID")}
	w1=$(now_us)
	r1=$(rss_kib "$2")
	[ -n "$t1" ] || die "$1: pid $2 exited during the span"
	wall=$(calc "($w1 - $w0) / 1e6")
	{
		echo "core_pct=$(calc "($t1 - $t0) / $tck / $wall * 100")"
		echo "rss0=$r0"
		echo "rss1=$r1"
		echo "rss_series=$(echo "$series" | tr ' ' ,)"
		echo "wall=$wall"
		[ -n "$x1" ] && echo "tmux_pct=$(calc "($x1 - $x0) / $tck / $wall * 100")"
	} >"$tmp/$1.m"
}
m() { sed -n "s/^$2=//p" "$tmp/$1.m"; }	# name, key

# ---- probe only ----------------------------------------------------------
echo "probe only: $BIN status --for $((WATCH_WARMUP + WATCH_SECONDS + 3)) ..."
"$BIN" status -c "$tmp/c.json" --for $((WATCH_WARMUP + WATCH_SECONDS + 3)) >"$tmp/status.out" 2>"$tmp/status.err" &
status_pid=$!
measure status "$status_pid"
wait "$status_pid" || { cat "$tmp/status.err" >&2; status_pid=""; die "cutover status failed"; }
status_pid=""
echo "  $(calcf %.1f "$(m status core_pct)")% of a core; RSS $(m status rss_series) KiB"

# ---- watch ---------------------------------------------------------------
start_pane() {	# server, command: a detached 200x60 session; prints the pane's pid
	servers="$servers $1"
	tmux -L "$1" -f /dev/null new -d -x "$COLS" -y "$ROWS" -P -F '#{pane_pid}' "$2"
}
wsrv="$sock-watch"
echo "watch: $BIN watch in tmux ${COLS}x$ROWS ..."
watch_pid=$(start_pane "$wsrv" "exec $BIN watch -c $tmp/c.json 2>$tmp/watch.err") ||
	die "tmux would not start"
TMUXPID=$(tmux -L "$wsrv" display -p '#{pid}')
measure watch "$watch_pid"
TMUXPID=""
tmux -L "$wsrv" capture-pane -p >"$tmp/watch.screen"
grep -q 'WATCH' "$tmp/watch.screen" || { cat "$tmp/watch.screen" "$tmp/watch.err" >&2; die "watch did not draw"; }
stop_pid "$watch_pid"
watch_pid=""
tmux -L "$wsrv" kill-server 2>/dev/null
echo "  $(calcf %.1f "$(m watch core_pct)")% of a core; RSS $(m watch rss_series) KiB;" \
	"tmux server $(calcf %.1f "$(m watch tmux_pct)")%;" \
	"$(sed -n 3p "$tmp/watch.screen" | tr -s ' ' | cut -c1-60)"

# ---- keys ----------------------------------------------------------------
# wait_line SERVER LINE TEXT [absent]: polls one line of the pane, as fast
# as tmux answers, until it holds TEXT (or no longer does); 5 s at most.
wait_line() {
	deadline=$(($(now_us) + 5000000))
	while :; do
		l=$(tmux -L "$1" capture-pane -p -S "$2" -E "$2")
		case $l in
		*"$3"*) [ "${4:-}" = absent ] || return 0 ;;
		*) [ "${4:-}" = absent ] && return 0 ;;
		esac
		[ "$(now_us)" -lt "$deadline" ] || return 1
	done
}
# press SERVER KEY LINE TEXT [absent]: sends KEY, prints the ms until LINE
# shows (or loses) TEXT.
press() {
	sleep 0.05	# a pause between presses, as a person's
	a=$(now_us)
	tmux -L "$1" send-keys -l "$2"
	wait_line "$1" "$3" "$4" "${5:-}" || return 1
	b=$(now_us)
	calc "($b - $a) / 1000"
	echo
}
stats() {	# file of ms, one a line: "median p95 max"
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		p = int(0.95 * NR + 0.999); if (p < 1) p = 1
		printf "%.1f %.1f %.1f", v[int((NR + 1) / 2)], v[p], v[NR] }'
}

# tmux's floor: a pane running cat, where the tty itself echoes each key,
# so no program is in the path. Its presses are interleaved with the
# console's (one before each), so both see the same machine: other work on
# these cores moves both alike.
fsrv="$sock-floor"
cat_pid=$(start_pane "$fsrv" "exec cat") || die "tmux would not start"
: >"$tmp/floor.ms"
fk=0
floor_press() {	# one more x; the echo wraps at the pane's width
	fk=$((fk + 1))
	fline=$(((fk - 1) / COLS))
	fexpect=$(printf "%$(((fk - 1) % COLS + 1))s" "" | tr ' ' x)
	press "$fsrv" x "$fline" "$fexpect" >>"$tmp/floor.ms" || die "the echo of key $fk never showed"
}

# keys NAME CONFIG: the interactive console in tmux on CONFIG, KEY_WARMUP
# seconds after it first draws (every service probed once), then
# KEY_PRESSES x 's' into NAME.sort.ms and KEY_PRESSES x '?' into NAME.help.ms.
keys() {
	ksrv="$sock-$1"
	watch_pid=$(start_pane "$ksrv" "exec $BIN -c $2 2>$tmp/$1.err") || die "tmux would not start"
	last=$((ROWS - 1))
	wait_line "$ksrv" "$last" "Sort:name" ||
		{ tmux -L "$ksrv" capture-pane -p >&2; die "$1: the console did not draw"; }
	sleep "$KEY_WARMUP"
	: >"$tmp/$1.sort.ms"
	k=0
	while [ $k -lt "$KEY_PRESSES" ]; do
		next=$(echo "group dp95 verdict weight name" | cut -d' ' -f$((k % 5 + 1)))
		floor_press
		press "$ksrv" s "$last" "Sort:$next" >>"$tmp/$1.sort.ms" ||
			{ tmux -L "$ksrv" capture-pane -p >&2; die "$1: Sort:$next never showed"; }
		k=$((k + 1))
	done
	: >"$tmp/$1.help.ms"
	k=0
	while [ $k -lt "$KEY_PRESSES" ]; do
		floor_press
		if [ $((k % 2)) = 0 ]; then
			press "$ksrv" '?' 0 "cutover keys" >>"$tmp/$1.help.ms"
		else
			press "$ksrv" '?' 0 "cutover keys" absent >>"$tmp/$1.help.ms"
		fi || { tmux -L "$ksrv" capture-pane -p >&2; die "$1: help did not toggle on key $k"; }
		k=$((k + 1))
	done
	alive=$(ticks "$watch_pid")
	stop_pid "$watch_pid"
	watch_pid=""
	tmux -L "$ksrv" kill-server 2>/dev/null
	[ -n "$alive" ] || die "$1: the console exited during the key test"
}
echo "keys: interactive console in tmux ${COLS}x$ROWS, $KEY_PRESSES x 's' and $KEY_PRESSES x '?', probing every $INTERVAL_MS ms ..."
keys load "$tmp/c.json"
echo "keys: the same with the workers idle (probing once an hour) ..."
keys idle "$tmp/idle.json"
stop_pid "$cat_pid"
tmux -L "$fsrv" kill-server 2>/dev/null

# ---- report ---------------------------------------------------------------
sp=$(m status core_pct)
wp=$(m watch core_pct)
grow=$(($(m watch rss1) - $(m watch rss0)))
pgrow=$(($(m status rss1) - $(m status rss0)))
echo
echo "watch benchmark: $SERVICES services x 2 sides every $INTERVAL_MS ms, $WATCH_SECONDS s after $WATCH_WARMUP s warm-up"
printf '%-36s %8s %10s %10s %8s\n' "" "core%" "RSS0_KiB" "RSS1_KiB" "growth"
printf '%-36s %8.1f %10s %10s %8s\n' "probe only (cutover status)" "$sp" "$(m status rss0)" "$(m status rss1)" "$pgrow"
printf '%-36s %8.1f %10s %10s %8s\n' "watch ${COLS}x$ROWS (cutover watch)" "$wp" "$(m watch rss0)" "$(m watch rss1)" "$grow"
printf '%-36s %8.1f   (the terminal drawing what watch writes)\n' "tmux server during watch" "$(m watch tmux_pct)"
printf '%-36s %8s   the screen'"'"'s own share: %s%% of a core\n' "ratio watch / probe only" \
	"$(calcf %.2f "$sp > 0 ? $wp / $sp : 0")" "$(calcf %.1f "$wp - $sp")"
printf 'watch RSS every 10 s: %s KiB; growth %s KiB (target <= 256, windows full) %s\n' \
	"$(m watch rss_series)" "$grow" "$(verdict "$grow <= 256")"
fs=$(stats "$tmp/floor.ms")
f50=${fs%% *}
echo
echo "key to screen, ms: tmux send-keys until capture-pane shows it, $KEY_PRESSES presses each"
printf '%-36s %8s %8s %8s %8s %8s %8s\n' "" "median" "p95" "max" "/tmux" "/16ms" "/100ms"
krow() {	# label, ms file
	# shellcheck disable=SC2046 # the three figures are meant to split
	set -- "$1" $(stats "$2")
	printf '%-36s %8s %8s %8s %8s %8s %8s\n' "$1" "$2" "$3" "$4" \
		"$(calcf %.2f "$f50 > 0 ? $2 / $f50 : 0")" "$(calcf %.2f "$2 / $FRAME_MS")" \
		"$(calcf %.2f "$2 / $INPUT_TIMEOUT_MS")"
}
krow "tmux floor (cat, the tty echoes)" "$tmp/floor.ms"
krow "console 's' (Sort: in the bar)" "$tmp/load.sort.ms"
krow "console '?' (help, whole screen)" "$tmp/load.help.ms"
krow "  idle workers, 's'" "$tmp/idle.sort.ms"
krow "  idle workers, '?'" "$tmp/idle.help.ms"
ks=$(stats "$tmp/load.sort.ms")
kh=$(stats "$tmp/load.help.ms")
ks=${ks%% *}
kh=${kh%% *}
extra=$(calc "($ks > $kh ? $ks : $kh) - $f50")
printf 'console over the tmux floor under load: %s ms at the median (target < %s ms, one frame) %s;\n' \
	"$(calcf %.1f "$extra")" "$FRAME_MS" "$(verdict "$extra < $FRAME_MS")"
printf '  the input timeout is %s ms: keys that waited for it would show ~%s ms over the floor\n' \
	"$INPUT_TIMEOUT_MS" "$((INPUT_TIMEOUT_MS / 2))"
echo "(core% = utime+stime / wall of that process alone, 100 = one core; the simulator and the"
echo " poll loop share the machine's cores; /tmux = median over the floor's median)"
exit 0
