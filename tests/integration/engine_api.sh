#!/bin/sh
# `cutover serve` and its HTTP API end to end, against the simulator and the
# rehearsal router: the socket and the lock; status and config (a password
# in a health URL never shown); the event stream (snapshot first, a side
# going down shown within interval x fall + 500 ms); plans (make, apply,
# done, 409 twice over, 404, stale); bad input (400, 413, 404, 405, a
# request half sent); a flood of idle TCP connections (503 beyond
# --max-clients, descriptors bounded); bearer tokens (401, 403, a tokens
# file others can read); TLS; a client that stops reading (dropped, memory
# bounded, others not delayed); /metrics through promtool, counting plans
# applied back to back; SIGTERM (clean journal ending in engine.stop, a
# last "bye" to streams) and SIGKILL (the next start says so). Beside the
# brief: the lever (a stream id attached to nothing must not get it).
# Helpers (raw sockets, stdlib only) are in tests/integration/engine_api/.
#
# Env: BIN, SIM, PY (python3 from /usr/bin: stdlib only).
. tests/lib/assert.sh
. tests/lib/sim.sh
BIN=${BIN:-./cutover}
SIM=${SIM:-build/cutover-sim}
PY=${PY:-/usr/bin/python3}
export PYTHONDONTWRITEBYTECODE=1	# no __pycache__ in the tree
case $BIN in */*) ;; *) [ -x "$BIN" ] && BIN=./$BIN ;; esac
H=tests/integration/engine_api
dir=$(mktemp -d)
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

SECRET=secret			# the password in a health URL: never shown
HOOK=hooksecret-5c1d		# the path secret of a webhook: never shown either
TOK_W=watchtoken-7f3a9c1e5b	# tokens: never in stderr or the journal
TOK_O=operatetoken-2d8e6b4f0a
USER_HOST="$(id -un)@$(hostname)"

# free_ports N: N distinct free TCP ports on 127.0.0.1.
free_ports() {
	"$PY" -c '
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))' "$1"
}
set -- $(free_ports 4)
TCP=$1 TLSP=$2 ANYP=$3 PLAINP=$4

now_ms() { date +%s%3N; }

# wait_for SECONDS CMD...: polls CMD every 0.05 s until it passes, for at
# most SECONDS of wall-clock time (however long CMD itself takes).
wait_for() {
	_wf_end=$(($(now_ms) + $1 * 1000)); shift
	while :; do
		"$@" 2>/dev/null && return 0
		[ "$(now_ms)" -lt "$_wf_end" ] || return 1
		sleep 0.05
	done
}
T0=$(now_ms)
section() { echo "# $1 (at $(( ($(now_ms) - T0) / 1000 )) s)"; }

# serve_start NAME ARG...: "$BIN" serve ARG... in the background, stderr to
# $dir/NAME.err; sets spid. Waits up to 10 s for its "up" line, or its exit.
serve_start() {
	_n=$1; shift
	"$BIN" serve "$@" 2>"$dir/$_n.err" &
	spid=$!
	pids="$pids $spid"
	wait_for 10 sh -c "grep -q ' up: socket' '$dir/$_n.err' || ! kill -0 $spid"
}

# api METHOD PATH [CURL ARG...]: over the unix socket; the body goes to
# $dir/body (and is kept in $dir/answers), the status is printed.
api() {
	_m=$1 _p=$2; shift 2
	curl -sS --max-time 10 --unix-socket "$sock" -X "$_m" -o "$dir/body" -w '%{http_code}' \
		"$@" "http://engine$_p"
	cat "$dir/body" >> "$dir/answers"
}
# tcp METHOD PATH [CURL ARG...]: the same over TCP (give -H Authorization).
tcp() {
	_m=$1 _p=$2; shift 2
	curl -sS --max-time 10 -X "$_m" -o "$dir/body" -w '%{http_code}' "$@" "http://127.0.0.1:$TCP$_p"
	cat "$dir/body" >> "$dir/answers"
}
# is CODE METHOD PATH [ARG...]: the unix socket answers CODE.
is() {
	_want=$1; shift
	_got=$(api "$@")
	[ "$_got" = "$_want" ] || { echo "status $_got, want $_want: $(head -c 400 "$dir/body")"; return 1; }
}
is_tcp() {
	_want=$1; shift
	_got=$(tcp "$@")
	[ "$_got" = "$_want" ] || { echo "status $_got, want $_want: $(head -c 400 "$dir/body")"; return 1; }
}
# body_py EXPR: a python assertion on the last body, parsed as d.
body_py() {
	"$PY" -c "
import json, sys
d = json.load(open('$dir/body'))
assert $1, d" 
}
fd_count() { ls "/proc/$1/fd" | wc -l; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# --- The simulator and the release ----------------------------------------
cat > "$dir/spec" <<'SPEC'
a both lat_ms=10 jitter_ms=0.1
b both lat_ms=10 jitter_ms=0.1
c both lat_ms=10 jitter_ms=0.1
SPEC
sim_start "$dir" --spec "$dir/spec" || { echo "the simulator did not start"; exit 1; }
pids="$pids $sim_pid"
SIMP=$port

svc() {	# name [green-url]
	g=${2:-http://127.0.0.1:$SIMP/$1/green/health}
	printf '{"name":"%s","kind":"exposed","group":"g1","blue":{"health":"http://127.0.0.1:%s/%s/blue/health"},"green":{"health":"%s"}}' \
		"$1" "$SIMP" "$1" "$g"
}
release() {	# name state-dir interval-ms services-json [alerts-json]
	printf '{"release":"%s","state_dir":"%s","router":{"driver":"rehearsal"},' "$1" "$2"
	printf '"probe":{"interval_ms":%s,"timeout_ms":400,"fall":3,"rise":2},' "$3"
	printf '"gates":{"min_samples":5},%s"services":[%s]}\n' "${5:+\"alerts\":$5,}" "$4"
}
INTERVAL=200 FALL=3
# The webhook goes nowhere (port 9 refuses) and only on drift.
release ea "$dir/state" $INTERVAL "$(svc a "http://ops:$SECRET@127.0.0.1:$SIMP/a/green/health"),$(svc b),$(svc c)" \
	"[{\"webhook\":\"http://127.0.0.1:9/hooks/$HOOK\",\"events\":[\"drift\"]}]" > "$dir/c.json"
sock=$dir/state/ea.sock
journal=$dir/state/ea.journal.jsonl
printf '# who may reach the engine over TCP\nwatch viewer %s\n\noperate ops %s\n' "$TOK_W" "$TOK_O" > "$dir/tokens"
chmod 600 "$dir/tokens"
: > "$dir/answers"

# --- 1. Start, the socket, the lock ---------------------------------------
section "1. serve starts; the socket; a second serve"
serve_start main -c "$dir/c.json" --listen "127.0.0.1:$TCP" --tokens "$dir/tokens" --max-clients 8
main=$spid
check "serve starts and says so on stderr" grep -q "engine for release ea up: socket $sock" "$dir/main.err"
check "the socket exists" test -S "$sock"
check "the socket's mode is 600 (is $(stat -c %a "$sock" 2>/dev/null))" test "$(stat -c %a "$sock" 2>/dev/null)" = 600
expect_out "a second serve on the same release exits 1 naming user@host, the pid and since" 1 \
	"$USER_HOST \(pid $main\) since [0-9]{4}-" timeout 10 "$BIN" serve -c "$dir/c.json"
check "the first engine is untouched by the second: socket there, still answers" \
	sh -c "test -S '$sock' && curl -sf --max-time 5 --unix-socket '$sock' http://e/v1/status >/dev/null"

# --- 2. Status and config ---------------------------------------------------
section "2. status and config"
check "GET /v1/status answers 200" is 200 GET /v1/status
check "with JSON naming the services a, b, c" \
	body_py "sorted(s['name'] for s in d['services']) == ['a', 'b', 'c'] and d['release'] == 'ea'"
check "GET /v1/config answers 200" is 200 GET /v1/config
check "config: a's green health URL keeps its host but not its password" body_py \
	"'127.0.0.1:$SIMP/a/green/health' in d['services'][0]['green']['health'] and '$SECRET' not in json.dumps(d)"
check "config: state_dir is left out" body_py "'state_dir' not in d"
check "config: the webhook's path secret is masked" body_py \
	"d['alerts'][0]['webhook'] == 'http://127.0.0.1:9/hooks/***' and '$HOOK' not in json.dumps(d)"
check "no answer so far holds the password" sh -c "! grep -q '$SECRET' '$dir/answers'"
check "no answer so far holds the webhook's secret" sh -c "! grep -q '$HOOK' '$dir/answers'"

# --- 3. Events ---------------------------------------------------------------
section "3. events"
curl -sS -N --max-time 4 --unix-socket "$sock" http://engine/v1/events > "$dir/ev.txt" 2>"$dir/ev.err"
check "curl -N: the first event is a snapshot" \
	test "$(grep -m1 '^event:' "$dir/ev.txt")" = "event: snapshot"
check "then deltas follow ($(grep -c '^event: delta' "$dir/ev.txt") in 4 s)" \
	test "$(grep -c '^event: delta' "$dir/ev.txt")" -ge 2
check "every event has an id" sh -c "test \$(grep -c '^id: ' '$dir/ev.txt') -eq \$(grep -c '^event: ' '$dir/ev.txt')"
cat "$dir/ev.txt" >> "$dir/answers"
bound=$((INTERVAL * FALL + 500))
out=$("$PY" "$H/sse.py" "$sock" down c "http://127.0.0.1:$SIMP/_sim/set?svc=c&side=green&mode=reset" $bound 2>&1)
rc=$?
echo "# measured: $out"
check "green of c failing shows in a delta within interval x fall + 500 = $bound ms ($out)" test $rc -eq 0
curl -sf --max-time 5 "http://127.0.0.1:$SIMP/_sim/set?svc=c&side=green&mode=ok" >/dev/null

# --- 4. Plans ---------------------------------------------------------------
section "4. plans"
verdicts_ready() {
	curl -sf --max-time 5 --unix-socket "$sock" http://e/v1/status | "$PY" -c "
import json, sys
d = json.load(sys.stdin)
s = {x['name']: x for x in d['services']}
assert all(s[n]['verdict'] in ('pass', 'marginal') for n in ('a', 'b')), [(n, s[n]['verdict'], s[n]['reason']) for n in s]"
}
check "a and b have a passing verdict within 10 s" wait_for 10 verdicts_ready
plan() {	# weight -> status; body in $dir/body
	api POST /v1/plans -H 'Content-Type: application/json' \
		--data "{\"targets\":[\"a\"],\"to\":\"green\",\"weight\":$1}"
}
code=$(plan 25)
check "POST /v1/plans a to 25 answers 201 (got $code)" test "$code" = 201
check "the plan has its move 0 -> 25 and gates" body_py \
	"d['moves'] == [{'service': 'a', 'from': 0, 'to': 25}] and len(d['gates']) > 0 and d['state'] == 'planned'"
p1=$("$PY" -c "import json; print(json.load(open('$dir/body'))['id'])")
check "apply answers 202" is 202 POST "/v1/plans/$p1/apply"
plan_done() { api GET "/v1/plans/$p1" >/dev/null; body_py "d['state'] == 'done'"; }
check "GET the plan says done within 5 s" wait_for 5 plan_done
check "status shows a at 25" sh -c "curl -sf --unix-socket '$sock' http://e/v1/status | grep -q '\"name\":\"a\"[^}]*\"weight\":25'"
check "apply again answers 409" is 409 POST "/v1/plans/$p1/apply"
check "an unknown plan id answers 404 (GET)" is 404 GET /v1/plans/nosuchplan
check "an unknown plan id answers 404 (apply)" is 404 POST /v1/plans/nosuchplan/apply
code=$(plan 50); stale=$("$PY" -c "import json; print(json.load(open('$dir/body'))['id'])")
code2=$(plan 75); p3=$("$PY" -c "import json; print(json.load(open('$dir/body'))['id'])")
check "two more plans: a to 50 and a to 75 (got $code, $code2)" test "$code$code2" = 201201
check "apply a to 75" is 202 POST "/v1/plans/$p3/apply"
p1=$p3
check "which finishes" wait_for 5 plan_done
check "applying the stale plan (made at 25, now 75) answers 409" is 409 POST "/v1/plans/$stale/apply"
check "with the error, code 409 and the plan as it stands now under \"plan\"" body_py \
	"d['code'] == 409 and d['error'] and d['plan']['moves'] == [{'service': 'a', 'from': 75, 'to': 50}]"

# --- 5. Bad input -------------------------------------------------------------
section "5. bad input"
check "malformed JSON answers 400" is 400 POST /v1/plans --data '{"targets": ["a"'
check "as {error, code}" body_py "d['code'] == 400 and isinstance(d['error'], str)"
check "an unknown key answers 400" is 400 POST /v1/plans --data '{"targets":["a"],"to":"green","weight":5,"colour":"red"}'
check "naming the key" grep -q colour "$dir/body"
"$PY" -c "
import sys
sys.stdout.write('{\"targets\":[\"a\"],\"reason\":\"' + 'x' * (2 << 20) + '\"}')" > "$dir/big.json"
check "a 2 MB body answers 413" is 413 POST /v1/plans -H 'Content-Type: application/json' --data-binary "@$dir/big.json"
check "an unknown path answers 404" is 404 GET /v2/status
check "a wrong method answers 405" is 405 DELETE /v1/status
check "POST /v1/status answers 405" is 405 POST /v1/status --data '{}'
check "GET /v1/plans answers 405" is 405 GET /v1/plans
check "GET /v1/plans/ID/apply answers 405" is 405 GET "/v1/plans/$p1/apply"
check "POST /v1/plans/ID answers 405" is 405 POST "/v1/plans/$p1" --data '{}'
check "POST /v1/events answers 405" is 405 POST /v1/events --data '{}'
check "apply with an unknown body key answers 400" is 400 POST "/v1/plans/$stale/apply" --data '{"forse":true}'
check "POST /v1/lever without an attached stream answers 400" is 400 POST /v1/lever --data '{"take":true}'
check "a bad journal limit answers 400" is 400 GET '/v1/journal?limit=0'
"$PY" "$H/halfsend.py" "$sock" 8 > "$dir/half.out" 2>&1 &
half=$!; pids="$pids $half"
wait_for 5 grep -q sent "$dir/half.out"
t0=$(now_ms)
code=$(api GET /v1/status)
ms=$(($(now_ms) - t0))
echo "# measured: status answered in $ms ms while a request was half sent"
check "while a request is half sent, status answers at once (200 in $ms ms)" test "$code" = 200 -a "$ms" -lt 1000
check "and a plan is made meanwhile" sh -c "test \"\$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 --unix-socket '$sock' --data '{\"targets\":[\"b\"],\"to\":\"green\",\"weight\":1}' http://e/v1/plans)\" = 201"
kill "$half" 2>/dev/null; wait "$half" 2>/dev/null
check "after all of it the engine still serves" is 200 GET /v1/status
check "a journal page of 2 answers 200" is 200 GET '/v1/journal?after=0&limit=2'
check "with records 1 and 2, and more to come" body_py \
	"[r['seq'] for r in d['records']] == [1, 2] and d['last_seq'] == 2 and d['more'] is True"
check "the next page starts after 2" is 200 GET '/v1/journal?after=2&limit=10000'
check "with records from 3 on" body_py "d['records'] and d['records'][0]['seq'] == 3 and d['more'] is False"
check "after=abc answers 400" is 400 GET '/v1/journal?after=abc'

# --- 6. Flood ---------------------------------------------------------------------
section "6. flood of idle TCP connections (--max-clients 8)"
fd0=$(fd_count "$main")
"$PY" "$H/flood.py" "127.0.0.1:$TCP" 20 30 > "$dir/flood.out" 2>&1 &
flood=$!; pids="$pids $flood"
wait_for 5 grep -q "open 20" "$dir/flood.out"
sleep 0.3
fd1=$(fd_count "$main")
code=$(tcp GET /v1/status -H "Authorization: Bearer $TOK_O" 2>/dev/null)
echo "# measured: descriptors before $fd0, with 20 idle connections $fd1; 21st request: ${code:-refused}"
check "the 21st request gets 503 (or is refused) (got ${code:-refused})" \
	sh -c "test '$code' = 503 -o '$code' = 000 -o -z '$code'"
[ "$code" = 503 ] && check "the 503 says why" body_py "d['code'] == 503 and 'too many' in d['error']"
check "the unix socket still answers meanwhile" is 200 GET /v1/status
kill "$flood" 2>/dev/null; wait "$flood" 2>/dev/null
check "once they close, TCP serves again within 5 s" \
	wait_for 5 sh -c "test \"\$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 -H 'Authorization: Bearer $TOK_O' http://127.0.0.1:$TCP/v1/status)\" = 200"
sleep 0.3
fd2=$(fd_count "$main")
echo "# measured: descriptors after the flood $fd2"
check "descriptors stay bounded (before $fd0, during $fd1 <= before + 30, after $fd2 <= before + 3)" \
	test "$fd1" -le $((fd0 + 30)) -a "$fd2" -le $((fd0 + 3))
# Beyond the accept cap (max-clients + 64) connections are closed at once.
"$PY" "$H/flood.py" "127.0.0.1:$TCP" 150 30 > "$dir/flood.out" 2>&1 &
flood=$!; pids="$pids $flood"
wait_for 5 grep -q "open 150" "$dir/flood.out"
sleep 0.5
fd3=$(fd_count "$main")
kill "$flood" 2>/dev/null; wait "$flood" 2>/dev/null
echo "# measured: descriptors with 150 idle connections $fd3 (cap: $fd0 + 8 + 64)"
check "150 idle connections hold at most max-clients + 64 descriptors ($fd3)" test "$fd3" -le $((fd0 + 8 + 64 + 2))
check "and TCP serves again once they close" \
	wait_for 5 sh -c "test \"\$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 -H 'Authorization: Bearer $TOK_O' http://127.0.0.1:$TCP/v1/status)\" = 200"

# --- 7. Tokens -----------------------------------------------------------------------
section "7. tokens"
check "TCP without a token: 401" is_tcp 401 GET /v1/status
check "as {error, code}" body_py "d['code'] == 401"
check "TCP with a wrong token: 401" is_tcp 401 GET /v1/status -H "Authorization: Bearer wrong-token-0123456789"
check "watch token reads: 200" is_tcp 200 GET /v1/status -H "Authorization: Bearer $TOK_W"
check "watch token on POST /v1/plans: 403" is_tcp 403 POST /v1/plans -H "Authorization: Bearer $TOK_W" \
	--data '{"targets":["b"],"to":"green","weight":1}'
curl -sS -N --max-time 2 -H "Authorization: Bearer $TOK_W" "http://127.0.0.1:$TCP/v1/events" > "$dir/tcpev.txt" 2>/dev/null
check "watch token: the event stream over TCP starts with a snapshot" \
	test "$(grep -m1 '^event:' "$dir/tcpev.txt")" = "event: snapshot"
check "no token: the event stream over TCP answers 401" is_tcp 401 GET /v1/events
check "no token: /metrics over TCP answers 401" is_tcp 401 GET /metrics
check "operate token reads: 200" is_tcp 200 GET /v1/status -H "Authorization: Bearer $TOK_O"
check "operate token on POST /v1/plans: 201" is_tcp 201 POST /v1/plans -H "Authorization: Bearer $TOK_O" \
	--data '{"targets":["b"],"to":"green","weight":1}'
check "and the plan's actor is the token's NAME alone" body_py "d['actor'] == 'ops'"
cp "$dir/tokens" "$dir/tokens644"; chmod 644 "$dir/tokens644"
expect_out "a tokens file with mode 0644: serve exits 2 naming the file and 0644" 2 \
	"$dir/tokens644.*0644" timeout 10 "$BIN" serve -c "$dir/c.json" --listen "127.0.0.1:$PLAINP" --tokens "$dir/tokens644"
expect_out "--listen without --tokens is refused" 2 "tokens" timeout 10 "$BIN" serve -c "$dir/c.json" --listen "127.0.0.1:$PLAINP"

# --- 8. TLS --------------------------------------------------------------------------
section "8. TLS"
mkdir -p "$dir/tls"
(
	cd "$dir/tls" || exit 1
	openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
		-subj "/CN=cutover test CA" 2>/dev/null &&
	openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr \
		-subj "/CN=127.0.0.1" 2>/dev/null &&
	printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' > ext &&
	openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem \
		-days 2 -extfile ext 2>/dev/null
)
check "openssl made a CA and a server cert for IP 127.0.0.1" test -s "$dir/tls/server.pem"
release tls "$dir/state-tls" 1000 "$(svc b)" > "$dir/tls.json"
serve_start tls -c "$dir/tls.json" --listen "127.0.0.1:$TLSP" --tokens "$dir/tokens" \
	--tls-cert "$dir/tls/server.pem" --tls-key "$dir/tls/server.key"
tlspid=$spid
check "serve with TLS starts" grep -q "listening on 127.0.0.1:$TLSP" "$dir/tls.err"
code=$(curl -sS --max-time 10 --cacert "$dir/tls/ca.pem" -H "Authorization: Bearer $TOK_W" \
	-o "$dir/body" -w '%{http_code}' "https://127.0.0.1:$TLSP/v1/status" 2>"$dir/curl-tls.err")
check "curl --cacert gets 200 over TLS (got $code $(cat "$dir/curl-tls.err"))" test "$code" = 200
check "plain HTTP to the TLS port gets no answer" \
	sh -c "! curl -sf --max-time 3 -H 'Authorization: Bearer $TOK_W' http://127.0.0.1:$TLSP/v1/status"
check "without the CA, curl refuses the certificate" \
	sh -c "! curl -sf --max-time 3 -H 'Authorization: Bearer $TOK_W' https://127.0.0.1:$TLSP/v1/status"
stop_pid "$tlspid"
check "--tls-cert without --tls-key is refused" sh -c "! timeout 10 '$BIN' serve -c '$dir/tls.json' --listen 127.0.0.1:$TLSP --tokens '$dir/tokens' --tls-cert '$dir/tls/server.pem' 2>/dev/null"
# Beyond loopback without TLS: refused. The refusal is checked with
# 0.0.0.0 as asked; the --insecure-plaintext start is stopped at once.
expect_out "--listen 0.0.0.0 without TLS is refused, saying why" 1 "without TLS.*--insecure-plaintext" \
	timeout 10 "$BIN" serve -c "$dir/tls.json" --listen "0.0.0.0:$ANYP" --tokens "$dir/tokens"
check "and the refused start leaves no socket behind" test ! -e "$dir/state-tls/tls.sock"
serve_start plain -c "$dir/tls.json" --listen "0.0.0.0:$ANYP" --tokens "$dir/tokens" --insecure-plaintext
plainpid=$spid
check "with --insecure-plaintext it starts" sh -c "kill -0 $plainpid && grep -q 'listening on 0.0.0.0:$ANYP' '$dir/plain.err'"
check "and answers on 127.0.0.1" sh -c "curl -sf --max-time 5 -H 'Authorization: Bearer $TOK_W' http://127.0.0.1:$ANYP/v1/status >/dev/null"
stop_pid "$plainpid"
if grep -q '^0*1 ' /proc/net/if_inet6 2>/dev/null; then
	serve_start v6 -c "$dir/tls.json" --listen "[::1]:$ANYP" --tokens "$dir/tokens"
	v6pid=$spid
	check "--listen [::1]:PORT is loopback: no TLS needed, answers 200" \
		sh -c "curl -sf -g --max-time 5 -H 'Authorization: Bearer $TOK_W' 'http://[::1]:$ANYP/v1/status' >/dev/null"
	stop_pid "$v6pid"
fi
# A start refused after the lock was taken should not look like a crash.
check "the refused start left no engine 'start' without its 'stop' (no \"ended without a stop record\" next time)" \
	sh -c "! grep -q 'ended without a stop record' '$dir/plain.err'"

# --- 8b. The lever (beside the brief: POST /v1/lever) ----------------------------
section "8b. the lever"
serve_start lever -c "$dir/tls.json"
lpid=$spid
lsock=$dir/state-tls/tls.sock
curl -sS -N --max-time 8 --unix-socket "$lsock" "http://engine/v1/events?lever=1" > "$dir/lever.txt" 2>/dev/null &
lcurl=$!; pids="$pids $lcurl"
wait_for 5 grep -q '^event: snapshot' "$dir/lever.txt"
lid=$(sed -n '/^event: snapshot/{n;s/.*"client":\([0-9]*\).*/\1/p;q}' "$dir/lever.txt")
check "an operator stream (?lever=1) gets the lever: the snapshot says yours (client ${lid:-?})" \
	sh -c "sed -n '/^event: snapshot/{n;p;q}' '$dir/lever.txt' | grep -q '\"lever\":{\"held\":true[^}]*\"yours\":true'"
lplan() {	# a plan to move b to 1 on the lever engine; prints its id
	curl -s -o "$dir/body" --max-time 5 --unix-socket "$lsock" \
		--data '{"targets":["b"],"to":"green","weight":1}' http://e/v1/plans
	"$PY" -c "import json; print(json.load(open('$dir/body'))['id'])"
}
lapply() {	# plans and applies; passes on 202
	_lp=$(lplan)
	_c=$(curl -s -o "$dir/body" -w '%{http_code}' --max-time 5 --unix-socket "$lsock" -X POST "http://e/v1/plans/$_lp/apply")
	echo "$_c: $(head -c 200 "$dir/body")" > "$dir/lapply.out"
	test "$_c" = 202
}
wait_for 10 sh -c "curl -sf --unix-socket '$lsock' http://e/v1/status | grep -q '\"verdict\":\"pass'"
lp=$(lplan)
check "while it is held, another client's apply answers 409 naming the holder" \
	sh -c "test \"\$(curl -s -o '$dir/body' -w '%{http_code}' --max-time 5 --unix-socket '$lsock' -X POST http://e/v1/plans/$lp/apply)\" = 409 && grep -q 'lever is held' '$dir/body'"
code=$(curl -s -o "$dir/body" -w '%{http_code}' --max-time 5 --unix-socket "$lsock" \
	-H 'X-Cutover-Stream: 987654' --data '{"take":true}' http://e/v1/lever)
check "POST /v1/lever for a stream id that is attached to nothing is refused (got $code: $(cat "$dir/body"))" \
	test "$code" != 200
kill "$lcurl" 2>/dev/null; wait "$lcurl" 2>/dev/null
wait_for 5 lapply
check "once the operator stream is gone, the lever is free: an apply answers 202 within 5 s (last: $(cat "$dir/lapply.out"))" \
	grep -q '^202' "$dir/lapply.out"
stop_pid "$lpid"

# --- 9. A client that stops reading -------------------------------------------------
section "9. slow client, 300 services at 100 ms"
mkdir -p "$dir/churn"
sim_start "$dir/churn" --services 300 || { echo "the second simulator did not start"; exit 1; }
pids="$pids $sim_pid"
CHP=$port
"$PY" - "$CHP" "$dir/churn" > "$dir/churn.json" <<'PY'
import json, sys
port, d = sys.argv[1], sys.argv[2]
svcs = [{"name": "svc%04d" % i, "kind": "exposed",
         "blue": {"health": "http://127.0.0.1:%s/svc%04d/blue/health" % (port, i)},
         "green": {"health": "http://127.0.0.1:%s/svc%04d/green/health" % (port, i)}}
        for i in range(300)]
print(json.dumps({"release": "churn", "state_dir": d + "/state", "router": {"driver": "rehearsal"},
                  "probe": {"interval_ms": 100, "timeout_ms": 400}, "gates": {"min_samples": 5},
                  "services": svcs}))
PY
curl -sf --max-time 5 "http://127.0.0.1:$CHP/_sim/set?svc=*&side=both&lat_ms=2&jitter_ms=1.5" >/dev/null
serve_start churn -c "$dir/churn.json"
churn=$spid
csock=$dir/churn/state/churn.sock
check "the churn engine starts" test -S "$csock"
sleep 2
SLOW_HOLD=12	# not read for this long; the stream runs at ~0.8-1 MB/s here: 4 MiB in ~5 s
rss0=$(rss_kb "$churn")
"$PY" "$H/sse.py" "$csock" gaps $((SLOW_HOLD + 2)) > "$dir/gaps.out" 2>&1 &
gaps=$!; pids="$pids $gaps"
t0=$(now_ms)
"$PY" "$H/slow.py" "$csock" $SLOW_HOLD > "$dir/slow.out" 2>&1 &
slow=$!; pids="$pids $slow"
rssmax=$rss0
i=0
while kill -0 "$slow" 2>/dev/null && [ $i -lt 450 ]; do
	r=$(rss_kb "$churn"); [ -n "$r" ] && [ "$r" -gt "$rssmax" ] && rssmax=$r
	sleep 0.1; i=$((i + 1))
done
wait "$slow"; slowrc=$?
wait "$gaps"
rss1=$(rss_kb "$churn")
echo "# measured: slow client: $(cat "$dir/slow.out" | tail -1) after $(($(now_ms) - t0)) ms"
echo "# measured: RSS before ${rss0} kB, peak ${rssmax} kB, after ${rss1} kB"
echo "# measured: normal client: $(cat "$dir/gaps.out")"
rate=$(sed -n 's/.*bytes_per_s=\([0-9]*\).*/\1/p' "$dir/gaps.out")
echo "# measured: the stream ran at ${rate:-?} B/s: 4 MiB of backlog after ~$(( 4194304 / (${rate:-1} + 1) )) s of not reading (held ${SLOW_HOLD} s)"
check "the slow client was dropped with a last 'drop' event, within 60 s ($(tail -1 "$dir/slow.out"))" test $slowrc -eq 0
# AddressSanitizer keeps freed memory in quarantine (256 MiB by default),
# so RSS says nothing about a backlog there; the drop above still does.
case $BUILD in
*asan*) echo "# RSS bound not judged under AddressSanitizer (its quarantine holds freed memory)" ;;
*) check "the engine's RSS stays bounded (peak ${rssmax} kB <= before ${rss0} kB + 64 MiB)" test "$rssmax" -le $((rss0 + 65536)) ;;
esac
maxgap=$(sed -n 's/.*max_gap_ms=\([0-9]*\).*/\1/p' "$dir/gaps.out")
ndeltas=$(sed -n 's/.*deltas=\([0-9]*\).*/\1/p' "$dir/gaps.out")
# Deltas come every 250 ms; 2 s leaves room for a loaded 2-core CI
# machine under ASan, and still fails a client stalled behind the slow one.
check "a normal client meanwhile got deltas without a gap over 2 s (${ndeltas:-?} deltas, max gap ${maxgap:-?} ms)" \
	test "${maxgap:-99999}" -le 2000 -a "${ndeltas:-0}" -ge 20
check "the churn engine still answers" sh -c "curl -sf --max-time 5 --unix-socket '$csock' http://e/v1/status >/dev/null"
stop_pid "$churn"

# --- 10. Metrics -----------------------------------------------------------------------
section "10. /metrics"
out=$("$PY" "$H/burst.py" "$sock" a:80 b:2 2>&1); rc=$?
echo "# measured: two plans applied back to back: $(echo $out)"
check "two more plans applied back to back, both done" test $rc -eq 0
sleep 0.6	# the publisher counts on its 250 ms tick
check "GET /metrics answers 200" is 200 GET /metrics
cp "$dir/body" "$dir/metrics.txt"
out=$(promtool check metrics < "$dir/metrics.txt" 2>&1); rc=$?
check "promtool check metrics passes${out:+ ($out)}" test $rc -eq 0
for m in cutover_side_up cutover_service_weight_ratio cutover_probes_total cutover_plans_applied_total; do
	check "it has $m" grep -q "^${m}[{ ]" "$dir/metrics.txt"
done
check "cutover_plans_applied_total counts all 4 applied plans, two of them within 250 ms ($(grep '^cutover_plans_applied_total' "$dir/metrics.txt"))" \
	grep -q '^cutover_plans_applied_total 4$' "$dir/metrics.txt"
check "a's weight ratio is 0.8" grep -Eq '^cutover_service_weight_ratio\{service="a"\} 0?\.8$' "$dir/metrics.txt"

# --- 11. SIGTERM, SIGKILL ---------------------------------------------------------------
section "11. SIGTERM, then SIGKILL and a restart"
curl -sS -N --max-time 20 --unix-socket "$sock" http://engine/v1/events > "$dir/bye.txt" 2>/dev/null &
byec=$!; pids="$pids $byec"
wait_for 5 grep -q '^event: snapshot' "$dir/bye.txt"
t0=$(now_ms)
kill -TERM "$main"
wait "$main"; rc=$?
ms=$(($(now_ms) - t0))
echo "# measured: serve stopped $ms ms after SIGTERM"
check "SIGTERM: serve exits 0 (got $rc) within 5 s ($ms ms)" test $rc -eq 0 -a $ms -lt 5000
wait_for 5 sh -c "! kill -0 $byec"
check "an attached event stream gets a last 'bye' event and ends" \
	sh -c "! kill -0 $byec && grep -q '^event: bye' '$dir/bye.txt' && grep -q 'SIGTERM' '$dir/bye.txt'"
check "the socket file is gone" test ! -e "$sock"
expect_out "cutover journal --verify passes" 0 "" "$BIN" journal --verify -c "$dir/c.json"
check "the journal's last record is type engine, event stop" "$PY" -c "
import json
last = [l for l in open('$journal') if l.strip()][-1]
r = json.loads(last)
assert r['type'] == 'engine' and r['data']['event'] == 'stop' if 'data' in r else r['event'] == 'stop', r"
serve_start k1 -c "$dir/c.json"
k1=$spid
check "a new engine starts after the clean stop, and says how the last one stopped" \
	grep -q "stopped at .*SIGTERM" "$dir/k1.err"
kill -9 "$k1"; wait "$k1" 2>/dev/null
check "after kill -9 the socket file is left behind" test -S "$sock"
serve_start k2 -c "$dir/c.json"
k2=$spid
check "the restart after kill -9 works" sh -c "kill -0 $k2 && curl -sf --max-time 5 --unix-socket '$sock' http://e/v1/status >/dev/null"
check "it replaced the stale socket (mode $(stat -c %a "$sock" 2>/dev/null))" test "$(stat -c %a "$sock" 2>/dev/null)" = 600
check "it says the last engine ended without a stop record" grep -q "pid $k1.*ended without a stop record" "$dir/k2.err"
stop_pid "$k2"
expect_out "the journal verifies after it all" 0 "" "$BIN" journal --verify -c "$dir/c.json"

# --- Secrets, at the end: nothing ever showed them ---------------------------------------
section "secrets"
check "the health URL's password is in no API answer" sh -c "! grep -q '$SECRET' '$dir/answers'"
check "nor in the journal" sh -c "! grep -q '$SECRET' '$journal'"
check "nor in serve's stderr" sh -c "! grep -q '$SECRET' '$dir'/*.err"
check "no token is in serve's stderr" sh -c "! grep -qe '$TOK_W' -e '$TOK_O' '$dir'/*.err"
check "nor in the journal" sh -c "! grep -qe '$TOK_W' -e '$TOK_O' '$journal' '$dir/state-tls/tls.journal.jsonl'"
section "end"
finish
