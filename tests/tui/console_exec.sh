#!/bin/sh
# A plan that takes a while, in the console, through the exec driver with a
# slow tool: rows say wait/busy/done while it applies, the message line
# counts, q asks first and leaves only when the plan has finished, and
# every service ends where the tool says.
. tests/lib/assert.sh
. tests/lib/sim.sh
BIN=${BIN:-./cutover}
SIM=${SIM:-build/cutover-sim}
dir=$(mktemp -d)
simpid=
. tests/lib/tmux.sh
cleanup() {
	tui_stop
	[ -n "$simpid" ] && kill "$simpid" 2>/dev/null && wait "$simpid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
if ! command -v tmux >/dev/null 2>&1; then
	echo "tmux missing: terminal tests skipped"; finish; exit
fi

sim_start "$dir" --services 4 || { echo "the simulator did not start"; exit 1; }
simpid=$sim_pid

# The tool: weights in files, 0.6 s per set.
mkdir -p "$dir/w"
cat > "$dir/tool" <<TOOL
#!/bin/sh
case \$1 in
set) sleep 0.6; echo "\$3" > "$dir/w/\$2" ;;
get) if [ -f "$dir/w/\$2" ]; then printf '{"weight": %s}\n' "\$(cat "$dir/w/\$2")"; else echo '{"weight": 0}'; fi ;;
esac
TOOL
chmod +x "$dir/tool"
{
	printf '{"release":"tui-exec","state_dir":"%s/state",' "$dir"
	printf '"router":{"driver":"exec","exec":{"set":["%s/tool","set","{service}","{weight}"],"get":["%s/tool","get","{service}"],"timeout_ms":3000}},' "$dir/" "$dir/" | sed 's#//tool#/tool#g'
	printf '"probe":{"interval_ms":100,"timeout_ms":400},"gates":{"min_samples":3},"services":['
	sep=
	for k in 0 1 2 3; do
		printf '%s{"name":"s%s","kind":"exposed","group":"g","blue":{"health":"http://127.0.0.1:%s/svc000%s/blue/health"},"green":{"health":"http://127.0.0.1:%s/svc000%s/green/health"}}' \
			"$sep" "$k" "$port" "$k" "$port" "$k"
		sep=,
	done
	printf ']}\n'
} > "$dir/c.json"
"$BIN" check -c "$dir/c.json" >/dev/null 2>&1 || { nok "the exec config checks" "$("$BIN" check -c "$dir/c.json" 2>&1)"; finish; exit; }

tui_start 100 30 "TERM=xterm-256color" -c "$dir/c.json"
wait_for "^>s0 .*(pass|marg|fail)" >/dev/null
T send-keys Space Down Space
check "Space marks rows" wait_for "2 marked"
T send-keys g
check "g plans the marked services only" wait_for "Move 2 services"
check "the modal names both" sh -c "grep -Eq 's0 +0 -> +1 ' '$dir/screen' && grep -Eq 's2 +0 -> +1 ' '$dir/screen'"
T send-keys y
check "the marked plan applies" wait_for "plan p-[^ ]+ done: 2 services applied"
check "marks are cleared once their plan is submitted" sh -c "! grep -q 'marked' '$dir/screen'"
check "the tool holds s0 and s2 at the first step" sh -c "[ \"\$(cat '$dir/w/s0')\" = 1 ] && [ \"\$(cat '$dir/w/s2')\" = 1 ] && [ ! -f '$dir/w/s1' ]"
T send-keys Tab
check "the group view has the group" wait_for "^>g "
T send-keys G
check "G in group view plans the whole group" wait_for "Move 4 services"
T send-keys y
check "the message line counts the plan" wait_for "applying plan p-[^ ]+: [0-3] of 4 services done"
T send-keys Tab
check "rows of the plan say busy or wait" wait_for "s[0-3] .*(busy|wait)"
T send-keys q
check "q during a plan asks first" wait_for "Quit when it has finished\? y / n"
T send-keys y
check "the console left with status 0 once the plan was done" exited_with 0
for k in 0 1 2 3; do
	check "the tool holds s$k at 100" sh -c "[ \"\$(cat '$dir/w/s$k' 2>/dev/null)\" = 100 ]"
done
check "the journal closes every intent (2 marked, then 4 in the group)" sh -c \
	"[ \$(grep -c '\"type\":\"intent\"' '$dir/state/tui-exec.journal.jsonl') = 6 ] && [ \$(grep -c '\"result\":\"applied\"' '$dir/state/tui-exec.journal.jsonl') = 6 ]"
finish
