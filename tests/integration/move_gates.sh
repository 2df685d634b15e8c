#!/bin/sh
# Verdicts at the config's default probe settings (1 s interval, 20
# samples a side), where the steady prober needs twenty seconds for one:
# a move probes the services it names in a burst until each has a verdict,
# so a green that is much slower than blue blocks the move instead of
# passing it with "verdict nodata", and services not named are not probed;
# `status` without --for does the same over every service, and the
# steady prober warms up at that pace. Rehearsal
# driver, the simulator on 127.0.0.1.
. tests/lib/assert.sh
. tests/lib/sim.sh
BIN=${BIN:-./cutover}
SIM=${SIM:-build/cutover-sim}
dir=$(mktemp -d)
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	rm -rf "$dir"
}
trap cleanup EXIT

cat > "$dir/spec" <<'SPEC'
slow blue lat_ms=2 jitter_ms=0.2
slow green lat_ms=30 jitter_ms=1
same blue lat_ms=2 jitter_ms=0.2
same green lat_ms=2 jitter_ms=0.2
other blue lat_ms=2
other green lat_ms=2
SPEC
sim_start "$dir" --spec "$dir/spec" || { echo "the simulator did not start"; exit 1; }
pids="$pids $sim_pid"

svc() {	# name
	printf '{"name":"%s","kind":"exposed","blue":{"health":"http://127.0.0.1:%s/%s/blue/health"},"green":{"health":"http://127.0.0.1:%s/%s/green/health"}}' \
		"$1" "$port" "$1" "$port" "$1"
}
{
	printf '{"release":"mg","state_dir":"%s/state","services":[' "$dir"
	svc slow; printf ,; svc same; printf ,; svc other
	printf ']}\n'
} > "$dir/c.json"

requests() {	# service: requests the simulator answered for it, both sides
	curl -s --noproxy '*' -m 2 "http://127.0.0.1:$port/_sim/stats?svc=$1" |
		python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["blue"]["requests"] + d["green"]["requests"])'
}

ms() { date +%s%N | cut -c1-13; }

t0=$(ms)
"$BIN" status -c "$dir/c.json" --json >"$dir/status.json" 2>"$dir/status.err"
t1=$(ms)
check "status without --for exits 0" test -s "$dir/status.json"
check "status took under 5 s at the default 1 s interval" test $((t1 - t0)) -lt 5000
check "with a verdict for every service: slow fails, same passes" python3 - "$dir/status.json" <<'PY'
import json, sys
s = {x["name"]: x for x in json.load(open(sys.argv[1]))["services"]}
assert s["slow"]["verdict"] == "fail", s["slow"]
assert s["same"]["verdict"] in ("pass", "marginal"), s["same"]
assert s["other"]["verdict"] in ("pass", "marginal"), s["other"]
for x in s.values():
    for side in ("blue", "green"):
        assert x[side]["samples"] >= 20, (x["name"], side, x[side]["samples"])
PY
# The steady prober (status --for, watch, the console) warms up the same
# way: a target's first min_samples probes come at the burst pace, so 2 s
# is enough for verdicts that used to take 20.
"$BIN" status -c "$dir/c.json" --for 2 --json >"$dir/warm.json" 2>/dev/null
check "status --for 2 at the defaults has verdicts (warm-up)" python3 - "$dir/warm.json" <<'PY'
import json, sys
s = {x["name"]: x for x in json.load(open(sys.argv[1]))["services"]}
assert s["slow"]["verdict"] == "fail", s["slow"]
assert s["same"]["verdict"] in ("pass", "marginal"), s["same"]
PY
before=$(requests other)

t0=$(ms)
expect_out "an equal green moves, judged by a real verdict" 0 \
	"pass  verdict +verdict (pass|marginal)" "$BIN" move -c "$dir/c.json" same --to green --weight 25 --yes
t1=$(ms)
check "the move took under 5 s at the default 1 s interval" test $((t1 - t0)) -lt 5000
expect_out "its samples are there" 0 "green up \\(([2-9][0-9]|1[0-9][0-9]) samples\\)" \
	"$BIN" move -c "$dir/c.json" same --to green --weight 50 --yes
check "a service not named was not probed" test "$(requests other)" = "$before"

expect_out "a green 28 ms slower blocks the move on its verdict" 1 \
	"block verdict +verdict fail" "$BIN" move -c "$dir/c.json" slow --to green --weight 25 --yes
expect_out "and the move is refused" 1 "refusing: 1 blocker" \
	"$BIN" move -c "$dir/c.json" slow --to green --weight 25 --yes
check "nothing was journaled for it" sh -c "! grep -q '\"service\":\"slow\"' '$dir/state/mg.journal.jsonl'"
expect_out "--force with a reason still moves it, journaled" 0 "applied: 1 service" \
	"$BIN" move -c "$dir/c.json" slow --to green --weight 25 --yes --force --reason "load test"
check "the forced reason is in the journal" grep -q '"reason":"load test"' "$dir/state/mg.journal.jsonl"
finish
