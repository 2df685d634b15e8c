#!/bin/sh
# `cutover journal` on journals written here byte for byte as journal.h
# describes them (JSON lines chained by the SHA-256 of the line before,
# plus the head file), then edited, torn and truncated as crashes and
# careless hands do.
. tests/lib/assert.sh
BIN=${BIN:-./cutover}
# make passes BIN=cutover: without a slash the shell would search PATH.
case $BIN in */*) ;; *) [ -x "$BIN" ] && BIN=./$BIN ;; esac
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

cat > "$dir/c.json" <<EOF
{"release": "r1", "state_dir": "$dir/state",
 "services": [{"name": "api", "kind": "exposed",
   "blue": {"health": "http://127.0.0.1:1/b"}, "green": {"health": "http://127.0.0.1:1/g"}}]}
EOF
J=$dir/state/r1.journal.jsonl
H=$dir/state/r1.journal.head
ZERO=0000000000000000000000000000000000000000000000000000000000000000
seq=0
prev=$ZERO

hash() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }

# rec TYPE PLAN PAYLOAD: appends one chained record and moves the head.
rec() {
	seq=$((seq + 1))
	line=$(printf '{"seq":%d,"time":"2025-11-24T14:31:%02d.123Z","actor":"ana@ops1","type":"%s","plan":%s,%s"prev":"%s"}' \
		"$seq" "$seq" "$1" "$2" "$3" "$prev")
	printf '%s\n' "$line" >> "$J"
	prev=$(hash "$line")
	printf '{"seq":%d,"hash":"%s"}\n' "$seq" "$prev" > "$H"
}

expect_out "no journal yet is not an error" 0 "no journal yet at $J" "$BIN" journal -c "$dir/c.json"
expect_out "no journal yet verifies" 0 "no journal yet at $J" "$BIN" journal --verify -c "$dir/c.json"
expect_out "no journal yet is an empty JSON array" 0 '^\[\]$' sh -c "'$BIN' journal --json -c '$dir/c.json' 2>/dev/null"

mkdir -p "$dir/state"
rec intent '"p-7f3a"' '"service":"api","from":0,"to":25,"reason":"first step",'
rec outcome '"p-7f3a"' '"service":"api","from":0,"to":25,"result":"applied","instance":"/run/a.sock",'
rec intent '"p-8b21"' '"services":["api","web"],"to":100,"forced":true,"reason":"green p95 known noisy",'
rec outcome '"p-8b21"' '"service":"web","to":100,"result":"failed","error":"haproxy 10.0.0.5:9999: No such server.",'
rec note null '"text":"reconciled after a crash",'
cp "$J" "$dir/good.jsonl"
cp "$H" "$dir/good.head"
restore() { cp "$dir/good.jsonl" "$J"; cp "$dir/good.head" "$H"; }

out=$("$BIN" journal -c "$dir/c.json" 2>&1); rc=$?
printf '%s\n' "$out" > "$dir/table"
check "listing exits 0" test "$rc" -eq 0
check "listing has a header and one line per record" test "$(wc -l < "$dir/table")" -eq 6
expect_out "listing shows time, actor, type, plan, service, from->to, result" 0 \
	"^ *2  2025-11-24 14:31:02  ana@ops1  outcome  p-7f3a  api +0→25 +applied on /run/a.sock" cat "$dir/table"
expect_out "listing shows a forced reason and several services" 0 "api,web .*→100 .*FORCED: green p95 known noisy" cat "$dir/table"
expect_out "listing shows a failure's error" 0 "failed +error: haproxy 10.0.0.5:9999: No such server\." cat "$dir/table"
expect_out "listing shows a note's text" 0 "note +- +- +- +- +reconciled after a crash" cat "$dir/table"
# Aligned: every column starts where its header does (in characters; → is one).
check "columns are aligned under their headers" python3 -c '
import sys
rows = open(sys.argv[1], encoding="utf-8").read().splitlines()
head = rows[0]
for name in ("TIME", "ACTOR", "TYPE", "PLAN", "SERVICE", "WEIGHT", "RESULT"):
    col = head.index(name)
    for r in rows[1:]:
        assert r[col - 2:col] == "  " and r[col] != " ", (name, r)
' "$dir/table"

"$BIN" journal --json -c "$dir/c.json" > "$dir/out.json"
check "--json is an array of the records as written" python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))
assert isinstance(a, list) and len(a) == 5, a
assert [r["seq"] for r in a] == [1, 2, 3, 4, 5]
assert a[1]["result"] == "applied" and a[1]["to"] == 25 and a[1]["instance"] == "/run/a.sock"
assert a[4]["plan"] is None and a[0]["prev"] == "0" * 64
' "$dir/out.json"

expect_out "--verify says OK with records and last seq" 0 "^journal OK: 5 records, last seq 5$" "$BIN" journal --verify -c "$dir/c.json"
"$BIN" journal --verify --json -c "$dir/c.json" > "$dir/v.json"
check "--verify --json says ok" python3 -c '
import json, sys
v = json.load(open(sys.argv[1]))
assert v["ok"] is True and v["records"] == 5 and v["last_seq"] == 5 and v["fault"] == "ok", v
' "$dir/v.json"

# One byte edited in record 2: record 3 no longer vouches for it.
sed -i '2s/"to":25/"to":26/' "$J"
expect_out "an edited byte fails --verify naming the line" 1 \
	"journal FAILED: line 3: prev does not match line 2" "$BIN" journal --verify -c "$dir/c.json"
expect_out "listing an edited journal warns" 0 "warning: the journal does not verify: line 3" "$BIN" journal -c "$dir/c.json"
"$BIN" journal --verify --json -c "$dir/c.json" > "$dir/v.json"
check "--verify --json names the fault and line" python3 -c '
import json, sys
v = json.load(open(sys.argv[1]))
assert v["ok"] is False and v["fault"] == "prev" and v["line"] == 3, v
' "$dir/v.json"
restore
sed -i '5s/crash/crush/' "$J"
expect_out "an edit of the last record is caught by the head file" 1 "journal FAILED: line 5: .*head" \
	"$BIN" journal --verify -c "$dir/c.json"

# A crash mid-write: a prefix of record 6, no newline, head still at 5.
restore
printf '{"seq":6,"time":"2025-11-24T14:31:06.1' >> "$J"
expect_out "a torn tail verifies" 0 "^journal OK: 5 records, last seq 5" "$BIN" journal --verify -c "$dir/c.json"
expect_out "a torn tail is a warning naming its line" 0 "warning: line 6: the last line is cut short" \
	"$BIN" journal --verify -c "$dir/c.json"
expect_out "listing a torn journal warns with the line" 0 "warning: line 6: a torn line" "$BIN" journal -c "$dir/c.json"
# The restart appends on a new line; the chain steps over the torn bytes.
printf '\n' >> "$J"
rec note null '"text":"torn line 6 found at open",'
expect_out "a torn line stepped over verifies" 0 "^journal OK: 6 records, last seq 6" "$BIN" journal --verify -c "$dir/c.json"
expect_out "a torn line stepped over is a warning" 0 "warning: line 6: 1 torn line" "$BIN" journal --verify -c "$dir/c.json"

# Whole records cut off the end: the chain alone cannot tell, the head can.
restore
sed -i '$d' "$J"
expect_out "records cut off the end fail --verify" 1 "journal FAILED: journal ends at seq 4 but head says 5" \
	"$BIN" journal --verify -c "$dir/c.json"
restore
truncate -s -20 "$J"
expect_out "a cut inside a record the head vouches for is truncation" 1 \
	"journal FAILED: line 5: the last line is cut short, yet the head file names seq 5" \
	"$BIN" journal --verify -c "$dir/c.json"

# A crash between a batch's write and its head update: the head names an
# earlier record (with its right hash). The chain covers the rest: OK, and
# a warning says so.
restore
h3=$(hash "$(sed -n 3p "$J")")
printf '{"seq":3,"hash":"%s"}\n' "$h3" > "$H"
expect_out "a head two records behind verifies" 0 "^journal OK: 5 records" "$BIN" journal --verify -c "$dir/c.json"
expect_out "a head behind is named in a warning" 0 "head file names seq 3, 2 records before the last" \
	"$BIN" journal --verify -c "$dir/c.json"
printf '{"seq":3,"hash":"%s"}\n' "$ZERO" > "$H"
expect_out "a head behind with a wrong hash fails" 1 "journal FAILED" "$BIN" journal --verify -c "$dir/c.json"

expect_out "--help describes the command" 0 "usage: cutover journal" "$BIN" journal --help
expect_out "an unknown option is a usage error" 2 "usage: cutover journal" "$BIN" journal --bogus -c "$dir/c.json"
expect_out "an argument is a usage error" 2 "unexpected argument 'x'" "$BIN" journal x -c "$dir/c.json"
finish
