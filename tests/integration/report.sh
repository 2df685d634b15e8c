#!/bin/sh
# `cutover report` on a journal written by real `cutover move` and
# `rollback` commands (rehearsal driver, simulator backends): each format
# to stdout and to a file, the JSON valid, the markdown's timeline, the
# HTML self-contained with the hostile reason escaped, the journal left as
# it was; then a tampered journal (reported, not refused), a missing one
# (exit 1 naming it) and bad usage (exit 2).
#
# Env: BIN, SIM (and BUILD, unused here).
. tests/lib/assert.sh
. tests/lib/sim.sh
BIN=${BIN:-./cutover}
SIM=${SIM:-build/cutover-sim}
case $BIN in */*) ;; *) [ -x "$BIN" ] && BIN=./$BIN ;; esac
dir=$(mktemp -d)
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# web's green fails every request: its gates block, so its move is forced.
# api's sides are alike, and a p95 limit of 5000 % keeps a slow machine's
# jitter from blocking it.
cat > "$dir/spec" <<'SPEC'
api both lat_ms=2 jitter_ms=0.2
web blue lat_ms=2 jitter_ms=0.2
web green err_pct=100
SPEC
sim_start "$dir" --spec "$dir/spec" || { echo "the simulator did not start"; exit 1; }
pids="$pids $sim_pid"

svc() {	# name group
	printf '{"name":"%s","kind":"exposed","group":"%s","blue":{"health":"http://127.0.0.1:%s/%s/blue/health"},"green":{"health":"http://127.0.0.1:%s/%s/green/health"}}' \
		"$1" "$2" "$port" "$1" "$port" "$1"
}
printf '{"release":"rv","state_dir":"%s/state","router":{"driver":"rehearsal"},' "$dir" > "$dir/c.json"
printf '"probe":{"interval_ms":100,"timeout_ms":400},"gates":{"min_samples":5,"max_p95_delta_pct":5000},' >> "$dir/c.json"
printf '"services":[%s,%s]}\n' "$(svc api g1)" "$(svc web g1)" >> "$dir/c.json"
C="-c $dir/c.json"
J=$dir/state/rv.journal.jsonl
REASON='<script>alert(1)</script> green p95 known noisy'

# --- A real release: moves, a forced move, a rollback -------------------------
expect_out "no journal yet: report exits 1 naming the path" 1 "no journal at $J" "$BIN" report $C
expect_out "move api to 25 applies" 0 "applied" "$BIN" move $C api --to green --weight 25 --yes
expect_out "move api to 50 applies" 0 "applied" "$BIN" move $C api --to green --weight 50 --yes
expect_out "move web is blocked by its gates" 1 "blocker" "$BIN" move $C web --to green --weight 10 --yes
expect_out "move web --force --reason applies" 0 "applied" \
	"$BIN" move $C web --to green --weight 10 --yes --force --reason "$REASON"
expect_out "rollback api applies" 0 "applied" "$BIN" rollback $C api --yes
before=$(sha256sum "$J" "$dir/state/rv.journal.head")

# --- Markdown -------------------------------------------------------------------
"$BIN" report $C > "$dir/out.md" 2>"$dir/md.err"
check "report (markdown, stdout) exits 0" test $? -eq 0
check "markdown says the chain is intact" grep -q '^\*\*Journal chain: intact\.\*\* 8 records' "$dir/out.md"
check "markdown has api's timeline: 0 → 25 → 50 → 0" sh -c "
	grep -q '^### api$' '$dir/out.md' &&
	grep -Eq '^\| [0-9T:-]+Z \| at 0 % before its first move \| 0 % \|' '$dir/out.md' &&
	grep -Eq '^\| [0-9T:-]+Z \| moved 0 % → 25 % \| 25 % \| [0-9.]+ s \| [^|]+ \| plan p-' '$dir/out.md' &&
	grep -Eq '^\| [0-9T:-]+Z \| moved 25 % → 50 % \| 50 % \|' '$dir/out.md' &&
	grep -Eq '^\| [0-9T:-]+Z \| rolled back 50 % → 0 % \| 0 % \| [0-9.]+ s \(final\) \|' '$dir/out.md'"
check "markdown counts plans, moves, rollbacks, forced moves" sh -c "
	grep -q '^| plans | 4 |$' '$dir/out.md' && grep -q '^| moves | 4 |$' '$dir/out.md' &&
	grep -q '^| rollbacks | 1 |$' '$dir/out.md' && grep -q '^| forced moves | 1 |$' '$dir/out.md'"
check "markdown lists the forced move, its escaped reason and the blocker" \
	grep -Eq '^\| [0-9T:-]+Z \| [^|]+ \| p-[^|]+ \| web \| \\<script\\>alert\(1\)\\</script\\> green p95 known noisy \| green-[a-z]+: ' "$dir/out.md"
check "markdown lists the manual rollback" grep -Eq '^\| [0-9T:-]+Z \| [^|]+ \| p-[^|]+ \| api \| manual \| - \|$' "$dir/out.md"
check "markdown's final state: api 0 %, web 10 %" sh -c "
	grep -Eq '^\| api \| 0 % \| 100 % \|' '$dir/out.md' && grep -Eq '^\| web \| 10 % \| 90 % \|' '$dir/out.md'"
check "markdown says nothing on stderr" test ! -s "$dir/md.err"
expect_out "report -o FILE writes the same markdown" 0 "" sh -c "
	'$BIN' report $C -o '$dir/file.md' && cmp '$dir/out.md' '$dir/file.md'"

# --- JSON -----------------------------------------------------------------------
"$BIN" report $C --format json > "$dir/out.json"
check "report --format json exits 0" test $? -eq 0
check "python3 -m json.tool accepts it" python3 -m json.tool "$dir/out.json"
check "the JSON holds the release as it went" python3 - "$dir/out.json" <<'PY'
import json, re, sys
d = json.load(open(sys.argv[1]))
assert d["release"] == "rv" and d["chain"]["intact"] is True, d["chain"]
assert d["counts"]["moves"] == 4 and d["counts"]["rollbacks"] == 1 and d["counts"]["forced"] == 1, d["counts"]
rfc = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
assert rfc.match(d["first_time"]) and rfc.match(d["last_time"]), d
assert d["duration_s"] >= 0
s = {x["name"]: x for x in d["services"]}
assert s["api"]["final_weight"] == 0 and s["web"]["final_weight"] == 10, s
assert [e["weight"] for e in s["api"]["timeline"]] == [25, 50, 0], s["api"]["timeline"]
assert [e["kind"] for e in s["api"]["timeline"]] == ["weight"] * 3
assert s["api"]["timeline"][2]["rollback"] is True and s["api"]["timeline"][2]["final"] is True
assert {w["weight"] for w in s["api"]["time_at_weight"]} == {0, 25, 50}
f = d["forced"][0]
assert f["reason"] == "<script>alert(1)</script> green p95 known noisy" and f["first_service"] == "web", f
assert d["rollbacks"][0]["autopilot"] is False and d["rollbacks"][0]["first_service"] == "api"
assert d["engine"]["cpu_us_per_check"] is None
for k in ("breaches", "actors", "skipped_lines", "records", "journal"):
    assert k in d, k
PY
expect_out "report --format json -o FILE is valid JSON too" 0 "" sh -c "
	'$BIN' report $C --format json -o '$dir/file.json' && python3 -m json.tool '$dir/file.json' >/dev/null"

# --- HTML -----------------------------------------------------------------------
expect_out "report --format html -o FILE exits 0" 0 "" "$BIN" report $C --format html -o "$dir/out.html"
check "the HTML file is mode 0644" test "$(stat -c %a "$dir/out.html")" = 644
check "no temporary file is left beside it" test "$(ls "$dir" | grep -c 'out\.html\.')" -eq 0
check "the HTML is one document with an inline style" sh -c "
	grep -q '^<!DOCTYPE html>' '$dir/out.html' && grep -q '<style>' '$dir/out.html' &&
	grep -q '</html>' '$dir/out.html'"
check "the HTML has no script, no URL, nothing fetched" sh -c "
	! grep -qi '<script' '$dir/out.html' && ! grep -qi 'http' '$dir/out.html' &&
	! grep -qi 'url(' '$dir/out.html' && ! grep -qi '@import' '$dir/out.html' &&
	! grep -qi ' src=' '$dir/out.html' && ! grep -qi '<link' '$dir/out.html'"
check "the HTML escapes the hostile reason" grep -q '&lt;script&gt;alert(1)&lt;/script&gt; green p95 known noisy' "$dir/out.html"
check "the HTML names the sides in words" grep -q '<span class="side">green</span> 10 % · <span class="side">blue</span> 90 %' "$dir/out.html"
check "the HTML has api's timeline" grep -q 'rolled back 50 % → 0 %' "$dir/out.html"
"$BIN" report $C --format html > "$dir/stdout.html"
check "--format html to stdout is the same document" cmp "$dir/out.html" "$dir/stdout.html"

check "the journal is unchanged by reporting" test "$(sha256sum "$J" "$dir/state/rv.journal.head")" = "$before"

# --- A tampered journal, garbage, a missing journal, bad usage --------------------
cp "$J" "$dir/good.jsonl"
sed -i '2s/"to":25/"to":26/' "$J"
"$BIN" report $C > "$dir/bad.md" 2>"$dir/bad.err"
check "a tampered journal still reports (exit 0)" test $? -eq 0
check "it says NOT INTACT at the top, naming the line" \
	sh -c "sed -n 3p '$dir/bad.md' | grep -q '^> \*\*WARNING: the journal chain is NOT INTACT\.\*\* line 3: prev does not match line 2'"
check "and warns on stderr" grep -q "warning: the journal's chain is not intact: line 3" "$dir/bad.err"
expect_out "the JSON says intact false" 0 '"intact":[[:space:]]*false' "$BIN" report $C --format json
expect_out "the HTML says NOT INTACT" 0 "Journal chain: NOT INTACT" "$BIN" report $C --format html
cp "$dir/good.jsonl" "$J"
printf 'garbage\n' >> "$J"
expect_out "a garbage line is skipped and counted" 0 '^\| records \| 8 \(1 line that was no record skipped\) \|' "$BIN" report $C
cp "$dir/good.jsonl" "$J"
expect_out "--journal reads another file, no config needed" 0 '^# Release review: rv$' "$BIN" report --journal "$J"
expect_out "a missing --journal exits 1 naming the path" 1 "cutover report: no journal at $dir/none.jsonl: No such file" \
	"$BIN" report --journal "$dir/none.jsonl"
expect_out "-o into a missing directory exits 1" 1 "cannot create a file beside $dir/no/such/r.md" \
	"$BIN" report $C -o "$dir/no/such/r.md"
expect_out "a bad --format is a usage error" 2 "unknown format 'pdf' \(expected md, json, html\)" \
	"$BIN" report $C --format pdf
expect_out "an unknown option is a usage error" 2 "usage: cutover report" "$BIN" report $C --bogus
expect_out "an argument is a usage error" 2 "unexpected argument 'x'" "$BIN" report $C x
expect_out "a missing config is a usage error" 2 "cannot open" "$BIN" report -c "$dir/none.json"
expect_out "--help describes the command" 0 "usage: cutover report" "$BIN" report --help
expect_out "cutover --help lists report" 0 "  report " "$BIN" --help
finish
