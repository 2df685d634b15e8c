#!/bin/sh
# `cutover status` end to end against the simulator: JSON shape for scripts,
# the table for people, and a mixed fleet (hanging, refusing, garbage,
# failing endpoints) answered within 5 s of `--for 4`.
. tests/lib/assert.sh
BIN=${BIN:-./cutover}
SIM=${SIM:-build/cutover-sim}
dir=$(mktemp -d)
simpid=
cleanup() { [ -n "$simpid" ] && kill "$simpid" 2>/dev/null && wait "$simpid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT

cat > "$dir/spec" <<'SPEC'
api blue lat_ms=2 jitter_ms=0.2
api green lat_ms=30 jitter_ms=1
same blue lat_ms=2
same green lat_ms=2
hang green mode=hang
reset green mode=reset
garbage green mode=garbage
sick green err_pct=100
SPEC
"$SIM" --port 0 --port-file "$dir/port" --spec "$dir/spec" 2>/dev/null &
simpid=$!
i=0; while [ ! -s "$dir/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
port=$(cat "$dir/port")

svc() {	# name kind [green-url]
	g=${3:-http://127.0.0.1:$port/$1/green/health}
	printf '{"name":"%s","kind":"%s","group":"g1","blue":{"health":"http://127.0.0.1:%s/%s/blue/health"},"green":{"health":"%s"}}' "$1" "$2" "$port" "$1" "$g"
}
{
	printf '{"release":"st","probe":{"interval_ms":100,"timeout_ms":400},"gates":{"min_samples":10},"services":['
	svc api exposed; printf ,; svc same exposed; printf ,; svc hang exposed; printf ,; svc reset job; printf ,
	svc garbage exposed; printf ,; svc sick exposed; printf ,
	svc refused exposed "http://ops:hunter2@127.0.0.1:1/refused"
	printf ']}\n'
} > "$dir/c.json"

"$BIN" status -c "$dir/c.json" --for 2 --json > "$dir/out.json" 2>"$dir/err"
check "status --json exits 0" test $? -eq 0
check "status --json has the documented shape" python3 - "$dir/out.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["release"] == "st"
s = {x["name"]: x for x in d["services"]}
for x in d["services"]:
    for k in ("name", "kind", "group", "weight", "blue", "green", "delta", "verdict", "reason"):
        assert k in x, k
    for side in ("blue", "green"):
        for k in ("health", "p50_ms", "p95_ms", "p99_ms", "error_pct", "samples", "last_error"):
            assert k in x[side], (side, k)
    assert "p95_ms" in x["delta"] and "p95_pct" in x["delta"]
    assert x["verdict"] in ("pass", "marginal", "fail", "nodata")
assert s["api"]["verdict"] == "fail", s["api"]
assert s["api"]["delta"]["p95_ms"] > 20
assert s["same"]["verdict"] in ("pass", "marginal"), s["same"]
assert s["hang"]["green"]["last_error"].startswith("timeout after 400 ms")
assert s["sick"]["green"]["last_error"] == "HTTP 503"
assert s["refused"]["green"]["last_error"] == "connection refused"
assert s["refused"]["green"]["p95_ms"] is None
assert s["api"]["weight"] is None
assert s["reset"]["kind"] == "job"
PY
check "a password in a health URL is never printed" sh -c "! grep -q hunter2 '$dir/out.json' '$dir/err'"

start=$(date +%s%N)
"$BIN" status -c "$dir/c.json" --for 4 > "$dir/table.txt" 2>&1
rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
check "status --for 4 on a mixed fleet returns within 5 s (took ${ms} ms)" test "$rc" -eq 0 -a "$ms" -lt 5000
check "the table names sides and verdicts in words" grep -q "api .*fail" "$dir/table.txt"
check "the table shows the failure in words" grep -q "green: timeout after 400 ms" "$dir/table.txt"
expect_out "bad --for is a usage error" 2 "--for takes seconds" "$BIN" status -c "$dir/c.json" --for abc
finish
