#!/bin/sh
# Rollout benchmark: what the autopilot (`cutover rollout`, inside `cutover
# serve`) costs and how fast it makes a release safe, each figure beside
# its reference, in one run.
#
#   time to safety  a rollout baking at 25 % ([5 bake 0, 25 bake 3600 s,
#                100]) whose green starts failing mid-bake (the simulator
#                switched to err_pct=100): the time from that switch until
#                haproxy reads green weight 0 on EVERY one of 3 instances
#                (`show servers state` on each admin socket, polled every
#                10 ms by one python process that also made the switch).
#                RUNS runs (a fresh service each) at probe interval 1000 ms
#                and again at 250 ms; fall 3 and max_failed_checks 3 both
#                times. Median and max beside the configured floor,
#                interval x (fall + max_failed_checks) (6 s and 1.5 s;
#                target: max <= floor + 1 s), and beside Flagger's own
#                figure: its docs give the time to roll back as "interval *
#                threshold" (docs/gitbook/usage/deployment-strategies.md)
#                and document no minimum interval (default 60s); its
#                tutorials' example (istio-progressive-delivery.md:
#                interval 1m, threshold 5) makes 300 s, the reference here.
#                Two webhooks are configured throughout: one that records
#                what it gets (the rolled_back event's delay after the
#                switch is printed) and one that accepts and never answers,
#                to show a hanging receiver delays nothing.
#   fleet        1,000 services in 10 waves of 100 (the config's "plan",
#                one @group a wave, parallel 100), steps 1, 5, 25, 50, 100
#                each with bake_s 0, through 3 real haproxy instances;
#                probe interval 250 ms, gates.min_samples 3, started once
#                `cutover status --json` shows a verdict for every service
#                (a step only advances after a passing check; of 1,000 a few
#                are "marginal" at any moment, which holds a step, no more).
#                `cutover rollout start --plan --yes`, then `cutover rollout
#                status --json` polled until every service is done (target:
#                the plan completes on autopilot, PLAN_TIMEOUT s at most, no
#                operator step). A service halted with "weight-moved" (its
#                weight "moved outside" the rollout, though nothing here
#                moves it) is resumed as an operator would, once the router
#                poller (1 s) has read the fleet again, and counted; a
#                rolled-back one ends the run, as its wave can then never
#                complete; what was reached is printed either way. Prints the
#                wall time, the engine's CPU (utime+stime from /proc/PID/stat
#                before and after), the checks evaluated (the journal's
#                plan_completed record, and `checks` of rollout status) and
#                CPU per evaluated check; and, when `cutover report` exists,
#                the line of `cutover report --format md` that says it.
#
# Everything talks to 127.0.0.1 only; every process started here is stopped
# by its PID on exit. About 1 to 2 minutes. Ends with "N passed, N failed" over
# the targets; exits 0 when it measured (a missed target is marked MISSED),
# 1 when it could not measure.
# Env: BUILD, BIN, SIM, PY (/usr/bin/python3), RUNS (5), PLAN_TIMEOUT (120).
BUILD=${BUILD:-build}
SIM=${SIM:-$BUILD/cutover-sim}
if [ -z "${BIN:-}" ]; then
	if [ "$BUILD" = build ]; then BIN=./cutover; else BIN=$BUILD/cutover; fi
fi
PY=${PY:-/usr/bin/python3}
RUNS=${RUNS:-5}
PLAN_TIMEOUT=${PLAN_TIMEOUT:-120}
FLEET=1000		# services of the fleet benchmark, svc0000..svc0999
WAVES=10
INSTANCES=3
TTS_FIRST=1000		# time-to-safety services: svc1000.. (apart from the fleet's)
FLAGGER_REF_S=300	# Flagger's docs example: interval 1m x threshold 5
export NO_PROXY='*' no_proxy='*'

. tests/lib/sim.sh
tmp=$(mktemp -d) || exit 1
sim_pid=""
hap_pids=""
engine_pid=""
hook_pid=""
hang_pid=""
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	stop_pid "$engine_pid"
	stop_pid "$hook_pid"
	stop_pid "$hang_pid"
	for p in $hap_pids; do stop_pid "$p"; done
	stop_pid "$sim_pid"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { echo "rollout bench: $*" >&2; exit 1; }
calcf() { awk "BEGIN { printf \"$1\", ($2) }"; }	# format, awk expression
holds() { awk "BEGIN { exit !($1) }"; }
passed=0
failed=0
target() {	# awk condition: counts it, sets mark (not in a subshell: it counts)
	if holds "$1"; then
		passed=$((passed + 1))
		mark=ok
	else
		failed=$((failed + 1))
		mark=MISSED
	fi
}

# shellcheck disable=SC3045 # ulimit -n: not POSIX, but in dash, bash, busybox
ulimit -n "$(ulimit -Hn)" 2>/dev/null
[ -x "$BIN" ] || die "no cutover at $BIN (make all builds it)"
[ -x "$SIM" ] || die "no simulator at $SIM (make all builds it)"
[ -x "$PY" ] || die "no python at $PY"
command -v haproxy >/dev/null || die "haproxy is missing"
tck=$(getconf CLK_TCK)
total_svcs=$((TTS_FIRST + 2 * RUNS))

sim_start "$tmp" --host 127.0.0.1 --services "$total_svcs" --seed 1 ||
	die "the simulator did not start (its log is above)"

# ---- 3 haproxy instances, one backend a service -----------------------------
socks=""
n=1
while [ "$n" -le "$INSTANCES" ]; do
	awk -v dir="$tmp" -v n="$n" -v k="$total_svcs" -v p="$port" 'BEGIN {
		printf "global\n\tstats socket %s/h%d.sock mode 600 level admin\n\tmaxconn 1000\n", dir, n
		printf "defaults\n\tmode http\n\ttimeout connect 2s\n\ttimeout client 5s\n\ttimeout server 5s\n"
		for (i = 0; i < k; i++)
			printf "backend be_svc%04d\n\tserver blue 127.0.0.1:%d weight 100\n" \
			       "\tserver green 127.0.0.1:%d weight 0\n", i, p, p
	}' >"$tmp/h$n.cfg"
	haproxy -W -db -f "$tmp/h$n.cfg" >"$tmp/h$n.log" 2>&1 &
	hap_pids="$hap_pids $!"
	socks="$socks $tmp/h$n.sock"
	n=$((n + 1))
done
for s in $socks; do
	i=0
	while [ ! -S "$s" ]; do
		[ $i -lt 100 ] || { cat "$tmp"/h*.log >&2; die "haproxy made no socket $s in 10 s"; }
		sleep 0.1
		i=$((i + 1))
	done
done
sock_list=$(echo "$socks" | sed 's/^ //; s/ /,/g')

# ---- webhook receivers: one records (arrival wall time + body), one hangs ----
# shellcheck disable=SC2046 # two port numbers
set -- $("$PY" -c '
import socket
ss = [socket.socket() for _ in range(2)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))')
HOOK=$1 HANG=$2
"$PY" - "$HOOK" "$tmp/hooks" <<'PY' &
import http.server, sys, time
out = sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(out, "ab") as f:
            f.write(b"%.6f " % time.time() + body.replace(b"\n", b" ") + b"\n")
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
hook_pid=$!
"$PY" - "$HANG" "$tmp/hang.count" <<'PY' &
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(128)
held = []
while True:
    c, _ = s.accept(); held.append(c)	# reads nothing, answers nothing
    with open(sys.argv[2], "w") as f: f.write("%d\n" % len(held))
PY
hang_pid=$!

# ---- helpers ------------------------------------------------------------------
# config FILE RELEASE STATE_DIR FIRST COUNT INTERVAL_MS WINDOW MIN_SAMPLES
#        ROLLOUT_JSON EXTRA_JSON: services svcFIRST.. on the fleet, group
#        "wNN" by hundreds (wave NN), both webhooks as alerts.
config() {
	{
		printf '{"release":"%s","state_dir":"%s",' "$2" "$3"
		printf '"router":{"driver":"haproxy","timeout_ms":1000,"sockets":['
		sep=""
		for s in $socks; do printf '%s"%s"' "$sep" "$s"; sep=","; done
		printf ']},'
		printf '"probe":{"interval_ms":%d,"timeout_ms":%d,"window":%d,"fall":3},' \
			"$6" "$(($6 < 800 ? $6 : 800))" "$7"
		printf '"gates":{"min_samples":%d,"max_p95_delta_pct":400},' "$8"
		printf '"rollout":%s,%s' "$9" "${10}"
		printf '"alerts":[{"webhook":"http://127.0.0.1:%d/hook","format":"json"},' "$HOOK"
		printf '{"webhook":"http://127.0.0.1:%d/hang","format":"slack"}],"services":[\n' "$HANG"
		awk -v f="$4" -v k="$5" -v p="$port" 'BEGIN {
			for (i = f; i < f + k; i++)
				printf "%s{\"name\":\"svc%04d\",\"kind\":\"exposed\",\"group\":\"w%02d\"," \
				       "\"route\":{\"backend\":\"be_svc%04d\"}," \
				       "\"blue\":{\"health\":\"http://127.0.0.1:%d/svc%04d/blue/health\"}," \
				       "\"green\":{\"health\":\"http://127.0.0.1:%d/svc%04d/green/health\"}}\n", \
				       (i > f) ? "," : "", i, int((i - f) / 100) + 1, i, p, i, p, i
		}'
		printf ']}\n'
	} >"$1"
	"$BIN" check -c "$1" >"$tmp/check.out" 2>&1 || { cat "$tmp/check.out" >&2; die "$1 does not check"; }
}

engine_start() {	# config, release, state dir
	"$BIN" serve -c "$1" 2>>"$tmp/serve.log" &
	engine_pid=$!
	i=0
	until curl -s -m 1 -o /dev/null --unix-socket "$3/$2.sock" http://x/v1/status; do
		kill -0 "$engine_pid" 2>/dev/null && [ $i -lt 200 ] ||
			{ tail -20 "$tmp/serve.log" >&2; die "the engine for $1 did not answer in 10 s"; }
		sleep 0.05
		i=$((i + 1))
	done
}
engine_stop() { stop_pid "$engine_pid"; engine_pid=""; }

# verdicts CONFIG SECONDS ALL_PASS: waits until every service has a verdict
# (none "nodata"), and with ALL_PASS=1 until every one is pass; prints the
# seconds it took and how many were pass.
verdicts() {
	"$PY" - "$BIN" "$1" "$2" "$3" <<'PY'
import json, subprocess, sys, time
end = time.monotonic() + float(sys.argv[3])
want = ("pass",) if sys.argv[4] == "1" else ("pass", "marginal", "fail")
last = "no answer"
while time.monotonic() < end:
    p = subprocess.run([sys.argv[1], "status", "-c", sys.argv[2], "--json"], capture_output=True, text=True)
    try:
        svcs = json.loads(p.stdout)["services"]
        bad = [s["name"] + ":" + s["verdict"] for s in svcs if s["verdict"] not in want]
        if not bad:
            npass = sum(s["verdict"] == "pass" for s in svcs)
            print("%.1f s (%d of %d pass)" % (float(sys.argv[3]) - (end - time.monotonic()), npass, len(svcs)))
            sys.exit(0)
        last = "%d without the verdict wanted, e.g. %s" % (len(bad), " ".join(bad[:3]))
    except (ValueError, KeyError):
        pass
    time.sleep(0.25)
print(last, file=sys.stderr)
sys.exit(1)
PY
}

# The time-to-safety runs, in one python process: for each service, start
# its rollout, wait until all 3 instances hold 25 %, wait a little more
# (spread over a probe interval, so the switch lands at every phase of the
# probe schedule), switch green to err_pct=100, then poll every instance's
# `show servers state` every 10 ms until green reads weight 0 on all.
cat >"$tmp/tts.py" <<'PY'
import json, socket, subprocess, sys, time, urllib.request
binp, cfg, simport, socks, svcs, iv_ms, hooks, out = sys.argv[1:9]
socks = socks.split(","); svcs = svcs.split(","); iv = int(iv_ms) / 1000.0
web = urllib.request.build_opener(urllib.request.ProxyHandler({}))

def weights(path, be):
    s = socket.socket(socket.AF_UNIX); s.settimeout(2); s.connect(path)
    s.sendall(("show servers state %s\n" % be).encode())
    data = b""
    while True:
        b = s.recv(65536)
        if not b: break
        data += b
    s.close()
    lines = data.decode().splitlines()
    head = next(l for l in lines if l.startswith("# be_id")).split()[1:]
    w = {}
    for l in lines:
        f = l.split()
        if not l.startswith("#") and len(f) == len(head):
            r = dict(zip(head, f)); w[r["srv_name"]] = int(r["srv_uweight"])
    return w

def share(path, be):
    w = weights(path, be)
    t = w["blue"] + w["green"]
    return round(100 * w["green"] / t) if t else -1

def sim_set(svc, pct):
    web.open("http://127.0.0.1:%s/_sim/set?svc=%s&side=green&err_pct=%d" % (simport, svc, pct), timeout=5).read()

def phase(svc):
    p = subprocess.run([binp, "rollout", "status", "-c", cfg, "--json"], capture_output=True, text=True)
    try:
        return next((s["phase"] for s in json.loads(p.stdout)["services"] if s["service"] == svc), "none")
    except ValueError:
        return "?"

def hook_time(svc, deadline):
    while time.time() < deadline:
        try:
            for l in open(hooks):
                t, _, body = l.partition(" ")
                try:
                    h = json.loads(body)
                except ValueError:
                    continue
                if h.get("event") == "rolled_back" and h.get("service") == svc:
                    return float(t)
        except OSError:
            pass
        time.sleep(0.05)
    return None

res = open(out, "w")
for k, svc in enumerate(svcs):
    be = "be_" + svc
    p = subprocess.run([binp, "rollout", "start", "-c", cfg, svc, "--yes"], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("%s: rollout start exited %d: %s" % (svc, p.returncode, p.stdout + p.stderr))
    end = time.monotonic() + 30
    while not all(share(s, be) == 25 for s in socks):
        if time.monotonic() > end:
            sys.exit("%s: not at 25 %% on every instance in 30 s (phase %s)" % (svc, phase(svc)))
        time.sleep(0.02)
    baking = phase(svc)
    time.sleep(0.5 + ((k * 0.618) % 1.0) * iv)
    t0w = time.time(); t0 = time.monotonic()
    sim_set(svc, 100)
    left = set(range(len(socks))); at = {}
    while left and time.monotonic() - t0 < 30:
        for i in sorted(left):
            if weights(socks[i], be)["green"] == 0:
                at[i] = time.monotonic() - t0
                left.discard(i)
        if left:
            time.sleep(0.01)
    sim_set(svc, 0)
    if left:
        sys.exit("%s: green not at 0 on instance(s) %s 30 s after the switch" % (svc, sorted(left)))
    ht = hook_time(svc, t0w + 10)
    ph = ""
    for _ in range(20):
        ph = phase(svc)
        if ph == "rolled_back": break
        time.sleep(0.1)
    res.write(json.dumps({"svc": svc, "phase_before": baking, "ms": 1000 * max(at.values()),
                          "first_ms": 1000 * min(at.values()),
                          "hook_ms": None if ht is None else 1000 * (ht - t0w), "phase": ph}) + "\n")
    res.flush()
PY

# tts INTERVAL_MS FIRST: one engine, RUNS runs; results in $tmp/tts.INTERVAL.
tts() {
	iv=$1
	rel="tts$iv"
	st="$tmp/$rel"
	list=$(awk -v f="$2" -v n="$RUNS" 'BEGIN { for (i = f; i < f + n; i++) printf "%ssvc%04d", (i > f) ? "," : "", i }')
	config "$tmp/$rel.json" "$rel" "$st" "$2" "$RUNS" "$iv" 30 5 \
		'{"steps":[{"weight":5,"bake_s":0},{"weight":25,"bake_s":3600},100],"max_failed_checks":3,"parallel":10}' ""
	engine_start "$tmp/$rel.json" "$rel" "$st"
	w=$(verdicts "$tmp/$rel.json" 30 1) || die "interval $iv ms: no pass verdict for every service in 30 s"
	echo "  interval $iv ms: engine up, every verdict pass after $w; $RUNS runs..."
	"$PY" "$tmp/tts.py" "$BIN" "$tmp/$rel.json" "$port" "$sock_list" "$list" "$iv" "$tmp/hooks" "$tmp/tts.$iv" ||
		die "interval $iv ms: the runs failed"
	checks_to_breach=$("$PY" - "$st/$rel.journal.jsonl" <<'PY'
import json, sys
n = {}
back = set()
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get("type") != "rollout":
        continue
    if r.get("event") == "check_failed" and r["service"] not in back:
        n[r["service"]] = n.get(r["service"], 0) + 1
    if r.get("event") == "rolled_back":
        back.add(r["service"])
print(" ".join(str(n.get(s, 0)) for s in sorted(back)))
PY
)
	echo "$checks_to_breach" >"$tmp/tts.$iv.checks"
	curl -s -m 5 --unix-socket "$st/$rel.sock" http://x/metrics |
		awk '/^cutover_alerts_[a-z]*_total[{ ]/ { sub(/^cutover_alerts_/, ""); sub(/_total/, ""); print }' >"$tmp/tts.$iv.alerts"
	engine_stop
}
# figure FILE KEY median|max
figure() {
	"$PY" - "$1" "$2" "$3" <<'PY'
import json, statistics, sys
v = [json.loads(l)[sys.argv[2]] for l in open(sys.argv[1]) if l.strip()]
v = [x for x in v if x is not None]
if not v: print("nan"); sys.exit()
print("%.0f" % (statistics.median(v) if sys.argv[3] == "median" else max(v)))
PY
}

echo "rollout: simulator pid $sim_pid on 127.0.0.1:$port ($total_svcs services); $INSTANCES haproxy" \
	"($(haproxy -v | head -1 | cut -d' ' -f3)) x $total_svcs backends; $(nproc 2>/dev/null || echo '?') cores"
echo "webhooks: a recorder on :$HOOK, a receiver that accepts and never answers on :$HANG"

# ==== benchmark 1 ==============================================================
echo
echo "==== benchmark 1: time to safety (green fails at 25 % mid-bake -> green weight 0 on all $INSTANCES haproxy)"
tts 1000 "$TTS_FIRST"
tts 250 $((TTS_FIRST + RUNS))

row() { printf '%-30s %8s %8s %9s %9s %11s %11s  %s\n' "$@"; }
echo
row "" "median" "max" "floor" "max/floor" "Flagger ref" "max/Flagger" "target max <= floor + 1 s"
for iv in 1000 250; do
	med=$(figure "$tmp/tts.$iv" ms median)
	mx=$(figure "$tmp/tts.$iv" ms max)
	floor=$((iv * 6))	# interval x (fall 3 + max_failed_checks 3)
	target "$mx <= $floor + 1000"
	row "interval $iv ms (ms)" "$med" "$mx" "$floor" "$(calcf %.2f "$mx / $floor")" \
		"$((FLAGGER_REF_S * 1000))" "$(calcf %.4f "$mx / ($FLAGGER_REF_S * 1000)")" \
		"$mark"
done
for iv in 1000 250; do
	echo "  interval $iv ms, each run (ms to 0 on all instances / on the first / webhook rolled_back after the switch):"
	"$PY" - "$tmp/tts.$iv" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    h = "-" if r["hook_ms"] is None else "%.0f" % r["hook_ms"]
    print("    %s: %6.0f %6.0f %6s  (phase %s before the switch, %s after)" % (
        r["svc"], r["ms"], r["first_ms"], h, r["phase_before"], r["phase"]))
PY
	echo "    failed checks journaled before each rollback: $(cat "$tmp/tts.$iv.checks")"
	echo "    the engine's alert counters: $(tr '\n' ' ' <"$tmp/tts.$iv.alerts")"
done
echo "  floor = interval x (fall 3 + max_failed_checks 3); Flagger ref = interval x threshold from its docs"
echo "  (usage/deployment-strategies: rollback takes 'interval * threshold'; default interval 60s, no"
echo "  documented minimum; tutorials' example interval 1m, threshold 5 = ${FLAGGER_REF_S} s)."
echo "  hanging webhook: it accepted $(cat "$tmp/hang.count" 2>/dev/null || echo 0) connections and answered none;" \
	"the recorder got $(wc -l <"$tmp/hooks" 2>/dev/null || echo 0) events"

# ==== benchmark 2 ==============================================================
echo
echo "==== benchmark 2: a fleet on autopilot ($FLEET services, $WAVES waves of $((FLEET / WAVES)), parallel $((FLEET / WAVES)), bake 0, $INSTANCES haproxy)"
waves=$(awk -v w="$WAVES" -v p=$((FLEET / WAVES)) 'BEGIN {
	for (i = 1; i <= w; i++) printf "%s{\"targets\":[\"@w%02d\"],\"parallel\":%d}", (i > 1) ? "," : "", i, p }')
config "$tmp/fleet.json" fleet "$tmp/fleet" 0 "$FLEET" 250 10 3 \
	"{\"steps\":[{\"weight\":1,\"bake_s\":0},{\"weight\":5,\"bake_s\":0},{\"weight\":25,\"bake_s\":0},{\"weight\":50,\"bake_s\":0},{\"weight\":100,\"bake_s\":0}],\"max_failed_checks\":3,\"parallel\":$((FLEET / WAVES))}" \
	"\"plan\":{\"waves\":[$waves]},"
engine_start "$tmp/fleet.json" fleet "$tmp/fleet"
w=$(verdicts "$tmp/fleet.json" 60 0) || die "fleet: not every service had a verdict in 60 s"
echo "  engine up, every service with a verdict after $w; cutover rollout start --plan --yes..."
"$PY" - "$BIN" "$tmp/fleet.json" "$engine_pid" "$FLEET" "$PLAN_TIMEOUT" "$tmp/plan.out" <<'PY'
import json, subprocess, sys, time
binp, cfg, pid, n, limit, out = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
def ticks():
    f = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])	# utime, stime: fields 14, 15
def status():
    p = subprocess.run([binp, "rollout", "status", "-c", cfg, "--json"], capture_output=True, text=True)
    return json.loads(p.stdout)
c0 = ticks(); t0 = time.monotonic()
p = subprocess.run([binp, "rollout", "start", "-c", cfg, "--plan", "--yes"], capture_output=True, text=True)
start_s = time.monotonic() - t0
r = {"start_rc": p.returncode, "start_s": start_s}
if p.returncode != 0:
    r["start_out"] = (p.stdout + p.stderr)[-500:]
phases = {}
seen = {}	# halted by "weight-moved" -> when first seen
resumes = []
while p.returncode == 0 and time.monotonic() - t0 < limit:
    try:
        d = status()
    except ValueError:
        time.sleep(0.2); continue
    phases = {}
    for s in d["services"]:
        phases[s["phase"]] = phases.get(s["phase"], 0) + 1
    r["status_checks"] = d.get("checks")
    if phases.get("done", 0) == n:
        break
    if phases.get("rolled_back"):	# its wave can never complete: the plan is stuck
        rb = [s for s in d["services"] if s["phase"] == "rolled_back"]
        r["rolled_back"] = "%s: %s" % (rb[0]["service"], (rb[0].get("last_failed_check") or {}).get("detail"))
        break
    # The operator's part: a halt that says the weight "moved outside" the
    # rollout while nobody moved it is resumed, once the router poller
    # (1 s) has read the fleet again; any other halt ends the run.
    halted = [s for s in d["services"] if s["phase"] == "halted"]
    other = [s for s in halted if not ((s.get("last_failed_check") or {}).get("detail") or "").startswith("weight-moved")]
    if other:
        r["other_halt"] = "%s: %s" % (other[0]["service"], (other[0].get("last_failed_check") or {}).get("detail"))
        break
    now = time.monotonic()
    due = []
    for s in halted:
        seen.setdefault(s["service"], now)
        if now - seen[s["service"]] >= 1.2:
            due.append(s["service"])
    if due:
        q = subprocess.run([binp, "rollout", "resume", "-c", cfg] + due, capture_output=True, text=True)
        if q.returncode != 0:
            r["resume_refused"] = (q.stdout + q.stderr)[-300:]
        resumes += due
        for name in due:
            del seen[name]
    time.sleep(0.2)
r["resumes"] = len(resumes)
r["resumed_distinct"] = len(set(resumes))
r["wall_s"] = time.monotonic() - t0
r["ticks"] = ticks() - c0
r["phases"] = phases
json.dump(r, open(out, "w"))
PY
[ -s "$tmp/plan.out" ] || die "fleet: the plan runner failed"
sleep 0.5	# the plan_completed record is written on the rollouts' next tick
"$PY" - "$tmp/plan.out" "$tmp/fleet/fleet.journal.jsonl" "$tck" "$FLEET" >"$tmp/plan.txt" <<'PY'
import json, sys
from datetime import datetime
r = json.load(open(sys.argv[1])); tck = float(sys.argv[3]); n = int(sys.argv[4])
pc = None; fails = 0; rb = 0; why = {}; first = None
def when(o):
    return datetime.fromisoformat(o["time"].replace("Z", "+00:00")).timestamp()
for l in open(sys.argv[2]):
    o = json.loads(l)
    if o.get("type") != "rollout": continue
    if o.get("event") == "started" and first is None: first = o
    if o.get("event") in ("halted", "rolled_back", "check_failed"):
        k = "%s %s: %s" % (o["event"], o.get("gate"), o.get("detail"))
        why.setdefault(k, []).append(o["service"])
    if o.get("event") == "check_failed": fails += 1
    if o.get("event") == "rolled_back": rb += 1
    if o.get("event") == "plan_completed": pc = o
done = r["phases"].get("done", 0)
cpu = r["ticks"] / tck
print("ndone=%d" % done)
print("wall=%.1f" % r["wall_s"])
print("cpu=%.2f" % cpu)
print("status_checks=%s" % r.get("status_checks"))
print("phases=%s" % " ".join("%s:%d" % kv for kv in sorted(r["phases"].items())))
print("start_s=%.2f" % r["start_s"])
print("resumes=%d" % r["resumes"])
print("resumed_distinct=%d" % r["resumed_distinct"])
if "rolled_back" in r:
    print("rolled_back=%s" % r["rolled_back"])
if "resume_refused" in r:
    print("resume_refused=%s" % r["resume_refused"].replace("\n", " | "))
if "other_halt" in r:
    print("other_halt=%s" % r["other_halt"])
print("fails=%d" % fails)
print("rb=%d" % rb)
if pc:
    print("pc_checks=%d" % pc["checks"])
    print("pc_cpu=%.2f" % pc["cpu_s"])
    print("pc_us=%.0f" % (1e6 * pc["cpu_s"] / pc["checks"]))
    print("pc_services=%d" % pc["services"])
    if first:
        print("pc_wall=%.1f" % (when(pc) - when(first)))
if r.get("status_checks"):
    print("us=%.0f" % (1e6 * cpu / r["status_checks"]))
for k, v in sorted(why.items(), key=lambda kv: -len(kv[1]))[:5]:
    print("why=%d x %s (e.g. %s)" % (len(v), k, " ".join(v[:3])))
if "start_out" in r:
    print("start_out=%s" % r["start_out"].replace("\n", " | "))
PY
probes=$(curl -s -m 5 --unix-socket "$tmp/fleet/fleet.sock" http://x/metrics | awk '$1 == "cutover_probes_total" { print $2 }')
engine_stop
p() { sed -n "s/^$1=//p" "$tmp/plan.txt"; }
done_n=$(p ndone)
[ -n "$(p start_out)" ] && echo "  rollout start failed: $(p start_out)"
[ -n "$(p rolled_back)" ] && echo "  stopped: a service was rolled back, so its wave (and the plan) can never complete: $(p rolled_back)"
[ -n "$(p resume_refused)" ] && echo "  a resume was refused: $(p resume_refused)"
[ -n "$(p other_halt)" ] && echo "  stopped on a halt that is not the weight-moved one: $(p other_halt)"
row2() { printf '%-56s %s\n' "$1" "$2"; }
echo
row2 "services done / planned" "$done_n / $FLEET (phases at the end: $(p phases))"
row2 "plan wall time, start exec to all done (s)" "$(p wall)"
row2 "  rollout start --plan itself returned after (s)" "$(p start_s)"
row2 "engine CPU during the plan, /proc utime+stime (s)" "$(p cpu)"
row2 "checks evaluated (rollout status --json \"checks\")" "$(p status_checks)"
row2 "CPU per evaluated check, /proc CPU / checks (us)" "$(p us)"
if [ -n "$(p pc_checks)" ]; then
	row2 "journal plan_completed: services, checks, cpu_s" "$(p pc_services), $(p pc_checks), $(p pc_cpu)"
	row2 "journal plan_completed: CPU per check (us)" "$(p pc_us)"
	row2 "journal: first started to plan_completed (s)" "$(p pc_wall)"
else
	echo "journal: no plan_completed record"
fi
row2 "operator resumes of 'weight-moved' halts (distinct svcs)" "$(p resumes) ($(p resumed_distinct))"
row2 "check_failed / rolled_back records in the journal" "$(p fails) / $(p rb)"
p why | sed 's/^/  /'
row2 "probes sent by the engine in all (cutover_probes_total)" "${probes:-?}"
echo "  (the CPU is the whole engine's: $FLEET x 2 probes every 250 ms, the router poller and the"
echo "   executor included, so per check it overstates what a check itself costs)"
if "$BIN" report --help >/dev/null 2>&1; then
	"$BIN" report -c "$tmp/fleet.json" --format md >"$tmp/report.md" 2>"$tmp/report.err"
	rc=$?
	line=$(grep -i 'CPU per evaluated check' "$tmp/report.md")
	[ -n "$line" ] || [ -n "$(p pc_checks)" ] ||
		line="no line on CPU per evaluated check (it needs a plan_completed record: the plan did not complete)"
	echo "cutover report --format md (exit $rc): ${line:-no line on CPU per evaluated check}"
	[ -s "$tmp/report.err" ] && echo "  its stderr: $(head -3 "$tmp/report.err")"
else
	echo "cutover report: no such command in this build"
fi
# On autopilot: done within the bound with no operator step.
target "${done_n:-0} == $FLEET && $(p wall) < $PLAN_TIMEOUT && $(p resumes) == 0"
if [ "$mark" = ok ]; then
	echo "plan completes on autopilot: ok (every service done within $PLAN_TIMEOUT s, no operator step)"
elif [ "${done_n:-0}" = "$FLEET" ]; then
	echo "plan completes on autopilot: MISSED (done only after $(p resumes) operator resumes of halts)"
else
	echo "plan completes on autopilot: MISSED ($done_n of $FLEET done)"
fi

echo
echo "$passed passed, $failed failed"
exit 0
