#!/bin/sh
# Integration test of the service simulator (tests/sim/): starts the real
# binary on 127.0.0.1 and checks each behaviour with curl, as the prober,
# haproxy and the demo lab will see it.
# Env: SIM (path to the simulator, default build/cutover-sim).
# Ends with one line "N passed, N failed"; exits non-zero if any failed.
SIM=${SIM:-build/cutover-sim}
tmp=$(mktemp -d)
pid=""
pass=0
fail=0

cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ok() { pass=$((pass + 1)); echo "ok - $1"; }
nok() { fail=$((fail + 1)); echo "FAIL - $1${2:+: $2}"; }
check() {	# name, command...: passes when the command succeeds
	name=$1
	shift
	if "$@"; then ok "$name"; else nok "$name"; fi
}
finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}

# Every request is bounded in time and never goes through a proxy.
C() { curl -s --noproxy '*' -m 5 "$@"; }
url() { echo "http://127.0.0.1:$port/$1"; }
code() { C -o /dev/null -w '%{http_code}' "$@"; }
set_() { C "$(url "_sim/set?$1")"; }
in_range() { awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x + 0 >= lo && x + 0 < hi) }'; }
not() { ! "$@"; }
one_of() {	# value, allowed...
	v=$1
	shift
	for a in "$@"; do [ "$v" = "$a" ] && return 0; done
	return 1
}

# Starts the simulator with --port 0 and waits for its --port-file.
# Sets $pid and $port; fails if it exits first or takes over 5 s.
start_sim() {
	rm -f "$tmp/port"
	"$SIM" --port 0 --host 127.0.0.1 --port-file "$tmp/port" "$@" 2>>"$tmp/sim.log" &
	pid=$!
	n=0
	while [ ! -s "$tmp/port" ]; do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid"
			pid=""
			return 1
		fi
		n=$((n + 1))
		[ $n -gt 50 ] && return 1
		sleep 0.1
	done
	port=$(cat "$tmp/port")
}

[ -x "$SIM" ] || { nok sim_binary_exists "$SIM not found (make build/cutover-sim)"; finish; }

# --- a bad spec names FILE:LINE and exits 2 -----------------------------
printf 'a green lat_ms=1\n\n# fine so far\nb purple lat_ms=1\n' >"$tmp/bad.spec"
"$SIM" --port 0 --spec "$tmp/bad.spec" 2>"$tmp/bad.err" >"$tmp/bad.out" &
badpid=$!
wait $badpid
rc=$?
check bad_spec_exits_2 [ "$rc" -eq 2 ]
check bad_spec_error_names_file_and_line grep -q "bad.spec:4:.*purple" "$tmp/bad.err"
check bad_spec_writes_nothing_to_stdout [ ! -s "$tmp/bad.out" ]

# --- start: spec + numbered services + one --bind listener --------------
cat >"$tmp/spec" <<'EOF'
# name side key=value ...
checkout-api green lat_ms=35 jitter_ms=0 err_pct=0 status=200 mode=ok

checkout-api blue status=201 body_status=DOWN   # trailing comment
EOF
# A --bind port must be fixed; pick one outside the ephemeral range and
# try again if something else holds it.
bport=""
for try in 1 2 3 4 5; do
	cand=$(awk -v s="$$$try" 'BEGIN { srand(s); print 20000 + int(rand() * 10000) }')
	if start_sim --services 4 --spec "$tmp/spec" --seed 7 --bind "$cand=checkout-api/green"; then
		bport=$cand
		break
	fi
done
if [ -z "$bport" ]; then
	nok sim_starts "$(tail -3 "$tmp/sim.log")"
	finish
fi
ok sim_starts_and_writes_port_file

# --- answers --------------------------------------------------------------
hdr="$tmp/hdr"
body=$(C -D "$hdr" "$(url svc0001/green/health)")
check healthy_answer_is_200 grep -q '^HTTP/1.1 200' "$hdr"
check healthy_body_is_json_up [ "$body" = '{"status":"UP","service":"svc0001","side":"green"}' ]
check answer_names_its_side grep -qi '^X-Sim-Side: green' "$hdr"
check any_path_under_endpoint_served [ "$(code "$(url svc0001/blue/deep/path?x=1)")" = 200 ]
check unknown_service_is_404 [ "$(code "$(url nosuch/green/health)")" = 404 ]
check unknown_side_is_404 [ "$(code "$(url svc0001/purple/health)")" = 404 ]
check spec_sets_status_and_body [ "$(C -w ' %{http_code}' "$(url checkout-api/blue/health)")" = \
	'{"status":"DOWN","service":"checkout-api","side":"blue"} 201' ]

# --- keep-alive -------------------------------------------------------------
conns=$(C -o /dev/null -o /dev/null -w '%{num_connects} ' "$(url svc0000/blue/a)" "$(url svc0000/blue/b)")
check keep_alive_reuses_connection [ "$conns" = "1 0 " ]
conns=$(C -H 'Connection: close' -o /dev/null -o /dev/null -w '%{num_connects} ' \
	"$(url svc0000/blue/a)" "$(url svc0000/blue/b)")
check connection_close_is_honoured [ "$conns" = "1 1 " ]

# --- latency ----------------------------------------------------------------
check set_answers_ok [ "$(set_ 'svc=svc0002&side=blue&lat_ms=200&jitter_ms=0')" = ok ]
t=$(C -o /dev/null -w '%{time_total}' "$(url svc0002/blue/health)")
check latency_follows_lat_ms in_range "$t" 0.19 1.5
# First byte after the request went out, on a warm connection: 35 ms spec.
t=$(C -o /dev/null -o /dev/null -w '%{time_starttransfer} %{time_pretransfer}\n' \
	"$(url checkout-api/green/x)" "$(url checkout-api/green/x)" | tail -1 |
	awk '{ print $1 - $2 }')
check latency_35ms_endpoint_is_close in_range "$t" 0.034 0.060

# --- errors, body status, flapping ----------------------------------------
set_ 'svc=svc0003&side=green&err_pct=100' >/dev/null
body=$(C -w ' %{http_code}' "$(url svc0003/green/health)")
check err_pct_100_gives_503_down [ "$body" = '{"status":"DOWN","service":"svc0003","side":"green"} 503' ]
set_ 'svc=svc0003&side=green&err_status=500' >/dev/null
check err_status_is_used [ "$(code "$(url svc0003/green/health)")" = 500 ]
set_ 'svc=svc0003&side=green&err_pct=50' >/dev/null
# One curl, 40 requests on one connection (a URL glob shares the -o).
codes=$(C -o /dev/null -w '%{http_code}\n' "$(url 'svc0003/green/health?n=[1-40]')" |
	sort -u | tr '\n' ' ')
check err_pct_50_gives_both [ "$codes" = "200 500 " ]
set_ 'svc=svc0003&side=blue&body_status=DOWN&status=299' >/dev/null
check set_changes_status_and_body [ "$(C -w ' %{http_code}' "$(url svc0003/blue/health)")" = \
	'{"status":"DOWN","service":"svc0003","side":"blue"} 299' ]
set_ 'svc=svc0000&side=green&flap_s=1' >/dev/null
c1=$(code "$(url svc0000/green/health)")
sleep 1.2
c2=$(code "$(url svc0000/green/health)")
check flap_alternates_up_and_down [ "$c1 $c2" = "200 503" ]

# --- failure modes -----------------------------------------------------------
set_ 'svc=svc0001&side=blue&mode=hang' >/dev/null
C -m 3 -o /dev/null "$(url svc0001/blue/health)" &
hangpid=$!
sleep 0.2
check hang_does_not_block_others [ "$(code -m 1 "$(url svc0001/green/health)")" = 200 ]
C -m 1 -o /dev/null "$(url svc0001/blue/health)"
check hang_times_out [ $? -eq 28 ]
wait $hangpid
set_ 'svc=svc0002&side=green&mode=reset' >/dev/null
C -o /dev/null "$(url svc0002/green/health)"
rc=$?
check reset_gives_connection_reset one_of $rc 56 52
set_ 'svc=svc0002&side=blue&mode=garbage' >/dev/null
C -o /dev/null "$(url svc0002/blue/health)"
rc=$?
check garbage_gives_curl_error not one_of $rc 0 28

# --- --bind listener ----------------------------------------------------------
burl="http://127.0.0.1:$bport/any/path"
check bind_serves_any_path_as_its_endpoint [ "$(C -D "$hdr" "$burl")" = \
	'{"status":"UP","service":"checkout-api","side":"green"}' ]
set_ 'svc=checkout-api&side=green&mode=refuse' >/dev/null
C -o /dev/null "$burl"
check bind_refuse_gives_connection_refused [ $? -eq 7 ]
set_ 'svc=checkout-api&side=green&mode=ok&lat_ms=0' >/dev/null
check bind_reopens_after_refuse [ "$(code "$burl")" = 200 ]

# --- control errors, stats, limits -------------------------------------------
check set_rejects_bad_value [ "$(code "$(url '_sim/set?svc=svc0000&lat_ms=fast')")" = 400 ]
check set_rejects_unknown_key [ "$(code "$(url '_sim/set?svc=svc0000&speed=1')")" = 400 ]
check set_rejects_unknown_service [ "$(code "$(url '_sim/set?svc=nope&lat_ms=1')")" = 400 ]
check set_star_changes_all [ "$(set_ 'svc=*&side=both&lat_ms=0&jitter_ms=0')" = ok ]
has() {	# text, glob pattern
	case "$1" in $2) return 0 ;; esac
	return 1
}
stats=$(C "$(url '_sim/stats?svc=svc0001')")
check stats_counts_per_endpoint has "$stats" '*"service":"svc0001","blue":{"requests":[1-9]*'
stats=$(C "$(url '_sim/stats')")
check stats_counts_total has "$stats" '{"requests":[1-9]*'
big=$(head -c 9000 /dev/zero | tr '\0' a)
check oversized_header_gets_431 [ "$(code -H "X-Big: $big" "$(url svc0000/blue/health)")" = 431 ]

# --- SIGHUP re-reads the spec --------------------------------------------------
printf 'checkout-api blue status=202\n' >"$tmp/spec"
kill -HUP "$pid"
n=0
while [ "$(code "$(url checkout-api/blue/health)")" != 202 ] && [ $n -lt 20 ]; do
	sleep 0.1
	n=$((n + 1))
done
check sighup_rereads_spec [ "$(code "$(url checkout-api/blue/health)")" = 202 ]

# --- SIGTERM exits cleanly ------------------------------------------------------
kill "$pid"
wait "$pid"
rc=$?
pid=""
check sigterm_exits_zero [ $rc -eq 0 ]

finish
