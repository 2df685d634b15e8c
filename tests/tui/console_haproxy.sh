#!/bin/sh
# The console's hands, end to end in tmux over a real haproxy: G then y
# moves a service (read back from haproxy), Esc cancels (haproxy unchanged),
# a blocked move needs 'force' (journaled with the reason), R needs
# 'rollback', the detail pane names the gates and the service's journal,
# watch shows the journal, and watch with every mutating key changes
# nothing on haproxy.
. tests/lib/assert.sh
. tests/lib/sim.sh
. tests/lib/haproxy.sh
BIN=${BIN:-./cutover}
SIM=${SIM:-build/cutover-sim}
dir=$(mktemp -d)
pids=
. tests/lib/tmux.sh
cleanup() {
	tui_stop
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	rm -rf "$dir"
}
trap cleanup EXIT

for tool in tmux haproxy python3; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "$tool missing: console-over-haproxy tests skipped"; finish; exit
	fi
done

set -- $(free_ports 8)
# green of 'sick' fails every probe: its gates block a move toward green.
printf 'sick green err_pct=100\n' > "$dir/spec"
sim_start "$dir" --spec "$dir/spec" --bind "$1=api/blue" --bind "$2=api/green" \
	--bind "$3=web/blue" --bind "$4=web/green" --bind "$5=sick/blue" --bind "$6=sick/green" \
	--bind "$7=nightly/blue" --bind "$8=nightly/green" || { echo "the simulator did not start"; exit 1; }
pids="$pids $sim_pid"

{
	printf 'global\n\tstats socket %s/h.sock mode 600 level admin\ndefaults\n\tmode http\n' "$dir"
	printf '\ttimeout connect 2s\n\ttimeout client 5s\n\ttimeout server 5s\n'
	n=1
	for s in api web sick nightly; do
		eval "b=\${$n}"; eval "g=\${$((n + 1))}"
		printf 'backend be_%s\n\tserver blue 127.0.0.1:%s weight 100\n\tserver green 127.0.0.1:%s weight 0\n' "$s" "$b" "$g"
		n=$((n + 2))
	done
} > "$dir/h.cfg"
haproxy -W -db -f "$dir/h.cfg" >"$dir/h.log" 2>&1 &
pids="$pids $!"
i=0; while [ ! -S "$dir/h.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done

svc() {	# name kind group
	printf '{"name":"%s","kind":"%s","group":"%s","route":{"backend":"be_%s"},"blue":{"health":"http://127.0.0.1:%s/%s/blue/health"},"green":{"health":"http://127.0.0.1:%s/%s/green/health"}}' \
		"$1" "$2" "$3" "$1" "$port" "$1" "$port" "$1"
}
{
	printf '{"release":"tui-hap","state_dir":"%s/state","router":{"driver":"haproxy","timeout_ms":500,"sockets":["%s/h.sock"]},' "$dir" "$dir"
	printf '"probe":{"interval_ms":100,"timeout_ms":400},"gates":{"min_samples":5},"services":['
	svc api exposed front; printf ,; svc web exposed front; printf ,; svc sick exposed back; printf ,
	svc nightly job jobs
	printf ']}\n'
} > "$dir/c.json"
journal="$dir/state/tui-hap.journal.jsonl"

# green share of be_NAME, read from haproxy itself.
share() { haproxy_share "$dir/h.sock" "be_$1"; }
expect_share() {	# LABEL SERVICE WANT (polls up to 5 s)
	i=0
	while [ $i -lt 50 ]; do
		got=$(share "$2" 2>&1)
		[ "$got" = "$3" ] && { ok "$1"; return; }
		sleep 0.1; i=$((i + 1))
	done
	nok "$1" "be_$2: got $got, want $3"
}
all_state() {	# weights and admin state only: counters move on their own
	haproxy_cmd "$dir/h.sock" "show servers state" | awk 'NR > 2 && NF > 8 { print $2, $4, $6, $7, $8 }'
}

# A plan for the row the filter leaves: waits for the row's verdict first,
# so gates judge real samples.
pick() {	# NAME
	T send-keys / "$1" Enter
	wait_for "^[> ]$1 .*(pass|fail|marg)" >/dev/null
}

# A crash left an intent with no outcome: the console reconciles it first
# and says so.
mkdir -p "$dir/state" && chmod 700 "$dir/state"
python3 - "$dir/state" <<'PY'
import sys, json, hashlib
jp = sys.argv[1] + "/tui-hap.journal.jsonl"; hp = sys.argv[1] + "/tui-hap.journal.head"
rec = {"seq": 1, "time": "2026-11-24T00:00:00.000Z", "actor": "t@t", "type": "intent",
       "plan": "p-crashed", "service": "web", "from": 0, "to": 50, "prev": "0" * 64}
line = json.dumps(rec, separators=(",", ":")).encode()
open(jp, "wb").write(line + b"\n")
open(hp, "w").write(json.dumps({"seq": 1, "hash": hashlib.sha256(line).hexdigest()}))
PY
tui_start 100 30 "TERM=xterm-256color" -c "$dir/c.json"
check "the console says what a crash left, before anything else" \
	wait_for "recovered: plan p-crashed left service web unfinished; router says 0"
check "the reconcile is journaled" grep -q '"type":"reconcile","plan":"p-crashed"' "$journal"
check "the console opens read-write and takes the lock" wait_for "\[RW\]"
check "the weight is read from haproxy" wait_for "routers 1/1"

pick web
T send-keys G
check "G opens a modal naming the service and its move" wait_for "web +0 -> +100 +toward G:green"
check "the modal lists every gate with its result" wait_for "pass +green-health"
check "jobs-first warns while the job is on blue" wait_for "warn +jobs-first"
check "Cancel has the focus" wait_for "\[ Cancel: n / Esc \]"
T send-keys Escape
check "Esc cancels, saying nothing changed" wait_for "cancelled: nothing changed"
sleep 0.5
expect_share "after Esc haproxy still has web on blue" web 0
check "nothing was journaled for the cancelled move" sh -c "! grep -q '\"type\":\"intent\".*\"service\":\"web\",\"from\":0,\"to\":100' '$journal'"

T send-keys G
wait_for "toward G:green" >/dev/null
T send-keys y
check "y applies, and the result is shown" wait_for "plan p-[^ ]+ done"
expect_share "haproxy now sends all of web to green" web 100
check "the row shows weight 100" wait_for "web .*100"
check "intent and outcome are journaled" sh -c "grep -q '\"type\":\"intent\".*\"service\":\"web\"' '$journal' && grep -q '\"type\":\"outcome\".*\"service\":\"web\".*\"result\":\"applied\"' '$journal'"

T send-keys Enter
check "the detail pane lists the gates of the next step" wait_for "gates for the next step \(100 -> [0-9]+\)"
check "the detail pane shows the service's journal" wait_for "applied web 100 on"
T send-keys Enter
T send-keys Escape

pick sick
T send-keys G
check "a failing green blocks: the modal says so" wait_for "block +green-health"
check "the modal asks for 'force'" wait_for "type 'force'"
T send-keys y
check "y says it is not enough" wait_for "y is not enough here: type 'force' and Enter"
expect_share "y alone does not apply a blocked move" sick 0
T send-keys f o r c e Space g r e e n Space i s Space f i n e Enter
check "force and Enter apply the blocked move" wait_for "plan p-[^ ]+ done: 1 service applied"
expect_share "haproxy sends sick to green after force" sick 100
check "the forced move is journaled with its reason" grep -q '"forced":true,"reason":"green is fine"' "$journal"
T send-keys Escape

T send-keys R
check "R asks to type rollback" wait_for "type 'rollback'"
T send-keys n
check "n cancels the rollback modal" wait_for "cancelled: nothing changed"
T send-keys R
wait_for "type 'rollback'" >/dev/null
T send-keys r o l l Enter
check "a wrong word is refused" wait_for "type 'rollback' exactly"
expect_share "nothing rolled back on a wrong word" web 100
T send-keys r o l l b a c k Enter
check "the typed word rolls back" wait_for "plan p-[^ ]+ done: 2 services applied"
expect_share "web back on blue" web 0
expect_share "sick back on blue" sick 0
# A reload lost a weight (here: set behind cutover's back): drift, and A
# puts the journal's weight back.
haproxy_cmd "$dir/h.sock" "set server be_web/green weight 30" >/dev/null
check "a weight changed behind cutover's back shows as drift" wait_for "^ web .* !"
T send-keys A
check "A opens a re-apply modal naming the drifted service" wait_for "Re-apply the journal's weights: 1 service"
check "the modal shows the way back to the journal's weight" wait_for "web +23 -> +0"
T send-keys y
check "y re-applies" wait_for "plan p-[^ ]+ done: 1 service applied"
expect_share "web is back where the journal says" web 0
T send-keys q
check "q leaves with status 0" exited_with 0
check "leaving lets go of the lock" sh -c "! grep -q pid '$dir/state/tui-hap.lock' 2>/dev/null || flock -n '$dir/state/tui-hap.lock' true"

# Watch: read-only by construction. Every mutating key, y and typed words
# too, leaves haproxy exactly as it was.
before=$(all_state)
tui_start 100 30 "TERM=xterm-256color" watch -c "$dir/c.json"
check "watch opens read-only" wait_for "\[R\].*WATCH"
check "watch shows the journal's recent events" wait_for "applied (web|sick) 0 on"
for k in g b G B R A y; do
	T send-keys "$k"
	sleep 0.1
done
T send-keys r o l l b a c k Enter f o r c e Enter
sleep 1
after=$(all_state)
if [ "$before" = "$after" ]; then ok "watch with every mutating key changed nothing on haproxy"
else nok "watch with every mutating key changed nothing on haproxy" "$before / $after"; fi
check "watch flashed read-only" wait_for "read-only"
# Another process moves web while watch runs: watch follows the journal
# record by record, so the new weight is its target, not drift.
"$BIN" move -c "$dir/c.json" web --to green --weight 25 --yes >"$dir/mv-watch.out" 2>&1
check "a CLI move while watch runs applies" grep -q "^applied: 1 service" "$dir/mv-watch.out"
expect_share "web at 25 on haproxy" web 25
check "watch shows the move in its events" wait_for "applied web 25 on"
check "watch shows web at 25" wait_for "web .* 25 B:"
check "and not as drift" wait_gone "web .* 25 B:.* !"
T send-keys q
check "watch leaves with status 0" exited_with 0
finish
