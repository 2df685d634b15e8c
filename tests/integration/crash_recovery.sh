#!/bin/sh
# Crash safety (issue #4): `cutover move` / `rollback` killed with SIGKILL at
# random moments of a group move, over and over, on a fleet of two real
# haproxy processes over simulator backends (12 services in 3 groups).
# After every kill: the journal verifies (a line torn by a power loss, which
# is simulated now and then, is a warning with exit 0); the operator lock the
# dead process held does not block the next run; the next run says
# "recovered: ..." first, once per intent left without an outcome, with what
# the router says; the journal then closes every intent (reconcile +
# outcome). After every rollback --all, and at the end, each weight both
# haproxy instances hold equals the weight the journal last recorded, and no
# backend has a total weight of 0.
#
# Env: CRASH_ITERS (default 25), CRASH_SEED (default: time-based, printed so
# a failing run can be repeated).
. tests/lib/assert.sh
. tests/lib/sim.sh
. tests/lib/haproxy.sh
BIN=${BIN:-./cutover}
SIM=${SIM:-build/cutover-sim}
case $BIN in */*) ;; *) [ -x "$BIN" ] && BIN=./$BIN ;; esac
ITERS=${CRASH_ITERS:-25}
SEED=${CRASH_SEED:-$(date +%s)}
echo "# crash_recovery: $ITERS iterations, CRASH_SEED=$SEED"
dir=$(mktemp -d)
pids=
cleanup() {
	for p in $pids; do kill -CONT "$p" 2>/dev/null; kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	rm -rf "$dir"
}
trap cleanup EXIT



SVCS="a1 a2 a3 a4 a5 b1 b2 b3 b4 b5 ja jb"
set -- $(free_ports 26)
binds=
for s in $SVCS; do
	eval "port_${s}_b=$1 port_${s}_g=$2"
	binds="$binds --bind $1=$s/blue --bind $2=$s/green"
	shift 2
done
fe1=$1 fe2=$2
sim_start "$dir" $binds || { echo "the simulator did not start"; exit 1; }
pids="$pids $sim_pid"

haproxy_cfg() {	# N FRONTEND_PORT
	cat <<CFG
global
	stats socket $dir/h$1.sock mode 600 level admin
	maxconn 2000
defaults
	mode http
	timeout connect 2s
	timeout client 5s
	timeout server 5s
frontend fe
	bind 127.0.0.1:$2
	default_backend be_a1
CFG
	for s in $SVCS; do
		eval "pb=\$port_${s}_b pg=\$port_${s}_g"
		printf 'backend be_%s\n\tserver blue 127.0.0.1:%s weight 100\n\tserver green 127.0.0.1:%s weight 0\n' \
			"$s" "$pb" "$pg"
	done
}
start_haproxy() {	# N FRONTEND_PORT
	haproxy_cfg "$1" "$2" > "$dir/h$1.cfg"
	haproxy -W -db -f "$dir/h$1.cfg" >"$dir/h$1.log" 2>&1 &
	eval "hapid$1=$!"
	pids="$pids $!"
	i=0; while [ ! -S "$dir/h$1.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
}
start_haproxy 1 "$fe1"
start_haproxy 2 "$fe2"

svc() {	# name kind group
	printf '{"name":"%s","kind":"%s","group":"%s","route":{"backend":"be_%s"},"blue":{"health":"http://127.0.0.1:%s/%s/blue/health"},"green":{"health":"http://127.0.0.1:%s/%s/green/health"}}' \
		"$1" "$2" "$3" "$1" "$port" "$1" "$port" "$1"
}
{
	printf '{"release":"crash","state_dir":"%s/state","router":{"driver":"haproxy","timeout_ms":500,"sockets":["%s/h1.sock","%s/h2.sock"]},' \
		"$dir" "$dir" "$dir"
	printf '"probe":{"interval_ms":50,"timeout_ms":400},"gates":{"min_samples":3},"services":['
	sep=
	for s in $SVCS; do
		case $s in a*) k=exposed g=front ;; b*) k=exposed g=back ;; *) k=job g=batch ;; esac
		printf '%s' "$sep"; svc "$s" "$k" "$g"; sep=,
	done
	printf ']}\n'
} > "$dir/c.json"
C="-c $dir/c.json"
J=$dir/state/crash.journal.jsonl
LOCK=$dir/state/crash.lock
SOCKS="$dir/h1.sock $dir/h2.sock"

# The helper: runs and kills, reads haproxy, and judges the journal on its
# own reading of journal.h (not the product's code).
cat > "$dir/crash.py" <<'PY'
import hashlib, json, os, random, re, signal, socket, subprocess, sys, time

def journal(path):
    """[(line_no, record or None)] for every line of the journal."""
    out = []
    try:
        data = open(path, "rb").read()
    except FileNotFoundError:
        return out
    for n, raw in enumerate(data.split(b"\n")[:-1] if data.endswith(b"\n") else data.split(b"\n"), 1):
        try:
            r = json.loads(raw)
            out.append((n, r if isinstance(r, dict) else None))
        except ValueError:
            out.append((n, None))
    return out

def nlines(path):
    try:
        with open(path, "rb") as f:
            return f.read().count(b"\n")
    except FileNotFoundError:
        return 0

def open_intents(path):
    """Intents no later outcome of the same plan (and service, or none) answers."""
    recs = [r for _, r in journal(path) if r]
    res = []
    for i, r in enumerate(recs):
        if r.get("type") != "intent":
            continue
        plan, svc = r.get("plan") or "", r.get("service") or ""
        if not any(o.get("type") == "outcome" and (o.get("plan") or "") == plan and
                   (not o.get("service") or o.get("service") == svc) for o in recs[i + 1:]):
            res.append((plan, svc, r["seq"]))
    return res

def haproxy(sock, cmd):
    s = socket.socket(socket.AF_UNIX); s.settimeout(2); s.connect(sock)
    s.sendall((cmd + "\n").encode())
    data = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
    s.close()
    return data.decode()

def weights(sock):
    """{backend: {server: uweight}} from `show servers state`."""
    lines = haproxy(sock, "show servers state").splitlines()
    head = next(l for l in lines if l.startswith("# be_id")).split()[1:]
    w = {}
    for l in lines:
        f = l.split()
        if len(f) == len(head) and not l.startswith("#"):
            r = dict(zip(head, f))
            w.setdefault(r["be_name"], {})[r["srv_name"]] = int(r["srv_uweight"])
    return w

def share(w):
    t = w["blue"] + w["green"]
    return round(100 * w["green"] / t) if t else None

def router(socks, services):
    ws = [weights(s) for s in socks]
    return {s: [{"share": share(w["be_" + s]), "total": w["be_" + s]["blue"] + w["be_" + s]["green"]}
                for w in ws] for s in services}

def last_weights(path, services):
    """Each service's weight as the journal last recorded it (0: never moved)."""
    got = {s: 0 for s in services}
    field = {"applied": "to", "reverted": "from", "reconciled": "found"}
    for _, r in journal(path):
        if r and r.get("type") == "outcome" and r.get("service") in got and r.get("result") in field:
            got[r["service"]] = r.get(field[r["result"]])
    return got

def cmd_run(a):
    # run MODE ARG OUT JOURNAL [STOPPID] -- CMD...: start CMD, SIGKILL it
    # after ARG ms (time), once the journal grew K lines, and US µs more
    # (lines, ARG "K:US"), or ARG ms
    # after its first intent with instance STOPPID stopped (stop).
    k = a.index("--")
    mode, arg, out, jpath, extra, cmd = a[0], a[1], a[2], a[3], a[4:k], a[k + 1:]
    arg, _, us = arg.partition(":")	# lines: "K:US" waits US µs more
    arg, us = int(arg), int(us or 0)
    base = nlines(jpath)
    t0 = time.monotonic()
    with open(out, "wb") as o:
        p = subprocess.Popen(cmd, stdout=o, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    if mode == "time":
        while time.monotonic() < t0 + arg / 1000.0 and p.poll() is None:
            time.sleep(0.0005)
    elif mode == "lines":
        while nlines(jpath) < base + arg and p.poll() is None:
            time.sleep(0.0001)
        if us:
            time.sleep(us / 1e6)
    elif mode == "stop":
        # Once the plan is printed: past the first read of the fleet (which
        # would time out), before the executor's first intent is durable.
        # The executor then blocks on the stopped instance.
        while p.poll() is None:
            with open(out, "rb") as f:
                if re.search(rb"\n[0-9]+ blockers?, ", f.read()):
                    break
            time.sleep(0.0001)
        os.kill(int(extra[0]), signal.SIGSTOP)
        while nlines(jpath) < base + 1 and p.poll() is None:
            time.sleep(0.0005)
        time.sleep(arg / 1000.0)
    rc = p.poll()
    if rc is None:
        p.send_signal(signal.SIGKILL)
        p.wait()
        print("killed pid %d at %d ms, +%d journal lines" % (p.pid, (time.monotonic() - t0) * 1000, nlines(jpath) - base))
    else:
        print("pid %d exited %d at %d ms before the kill, +%d journal lines" % (p.pid, rc, (time.monotonic() - t0) * 1000, nlines(jpath) - base))
    if mode == "stop":
        os.kill(int(extra[0]), signal.SIGCONT)

def cmd_open(a):
    for plan, svc, seq in open_intents(a[0]):
        print(json.dumps([plan, svc, seq]))

def cmd_router(a):
    # router OUT SOCK... -- SERVICE...
    k = a.index("--")
    json.dump(router(a[1:k], a[k + 1:]), open(a[0], "w"))

def last_seq(path):
    """The seq of the last whole record (torn bytes are no record)."""
    recs = [r for _, r in journal(path) if r and isinstance(r.get("seq"), int)]
    return recs[-1]["seq"] if recs else 0

def cmd_lastseq(a):
    print(last_seq(a[0]))

def cmd_recovered(a):
    # recovered OPEN ROUTER OUT JOURNAL BASE: OUT starts with one
    # "recovered:" line per open intent, in journal order, saying what
    # ROUTER held; the run journaled (after seq BASE, the last record before
    # it) one reconcile and a closing outcome for each. A reconcile from
    # before BASE is allowed: its outcome was torn (or never written), so
    # the intent was still open and is reconciled once more; the new record
    # then names it as previous_reconcile (recovery.h). Prints problems;
    # exit 1 for a failure, 3 if only the known ')' line split.
    opened = [json.loads(l) for l in open(a[0]) if l.strip()]
    base = int(a[4])
    rt = json.load(open(a[1]))
    out = open(a[2], errors="replace").read().splitlines()
    bad, split = [], False
    rec, i = [], 0
    while i < len(out) and (out[i].startswith("recovered:") or out[i] == ")"):
        if out[i] == ")":
            split = True
            if rec:
                rec[-1] += ")"
        else:
            rec.append(out[i])
        i += 1
    later = [l for l in out[i:] if l.startswith("recovered:")]
    if later:
        bad.append("recovered: lines after other output: %r" % later)
    rec = [l for l in rec if "cut short" not in l]	# a torn-line note, if the front end gives one
    if len(rec) != len(opened):
        bad.append("%d open intents, %d recovered lines: %r" % (len(opened), len(rec), rec))
    recs = [r for _, r in journal(a[3]) if r]
    for (plan, svc, seq), line in zip(opened, rec):
        sh = [x["share"] for x in rt[svc]]
        want = "recovered: plan %s left service %s unfinished; router says %s" % (
            plan or "(none)", svc, "unknown" if sh[0] is None else sh[0])
        drift = len(set(sh)) > 1
        if not line.startswith(want):
            bad.append("want %r, got %r" % (want, line))
        elif drift != (" (drift: " in line):
            bad.append("instances say %s, yet the line %r %s drift" % (sh, line, "names no" if drift else "names"))
        elif drift and not line.endswith(")"):
            bad.append("drift line not closed: %r" % line)
        rc = [r for r in recs if r.get("type") == "reconcile" and r.get("intent_seq") == seq]
        old = [r for r in rc if r["seq"] <= base]
        rc = [r for r in rc if r["seq"] > base]
        if len(rc) != 1:
            bad.append("intent seq %d: %d reconcile records from this run (%d from before it)" %
                       (seq, len(rc), len(old)))
            continue
        r = rc[0]
        if r.get("previous_reconcile") != (old[-1]["seq"] if old else None):
            bad.append("intent seq %d: reconcile %r, earlier ones at seq %s" %
                       (seq, r, [o["seq"] for o in old]))
        if (r.get("plan") or "") != plan or r.get("service") != svc or r.get("found") != sh[0] or \
                bool(r.get("drift")) != drift:
            bad.append("intent seq %d: reconcile %r, router held %s" % (seq, r, sh))
        if not any(o.get("type") == "outcome" and o.get("result") == "reconciled" and o["seq"] > r["seq"] and
                   (o.get("plan") or "") == plan and o.get("service") == svc for o in recs):
            bad.append("intent seq %d: no reconciled outcome" % seq)
    for b in bad:
        print(b)
    sys.exit(1 if bad else 3 if split else 0)

def cmd_closed(a):
    left = open_intents(a[0])
    for plan, svc, seq in left:
        print("intent seq %d (plan %s, service %s) has no outcome" % (seq, plan, svc))
    sys.exit(1 if left else 0)

def cmd_agree(a):
    # agree JOURNAL SOCK... -- SERVICE...: every instance holds what the
    # journal last recorded; no backend weighs 0. Exit 3 when every
    # mismatch is the known one: instances split, the first one agreeing.
    k = a.index("--")
    svcs = a[k + 1:]
    rt = router(a[1:k], svcs)
    jw = last_weights(a[0], svcs)
    bad, split_only = [], True
    for s in svcs:
        sh = [x["share"] for x in rt[s]]
        if any(x["total"] == 0 for x in rt[s]):
            bad.append("%s: a backend with total weight 0: %s" % (s, rt[s]))
            split_only = False
        if any(x != jw[s] for x in sh):
            bad.append("%s: journal says %s, instances say %s" % (s, jw[s], sh))
            if not (sh[0] == jw[s] and len(set(sh)) > 1):
                split_only = False
    for b in bad:
        print(b)
    sys.exit(0 if not bad else 3 if split_only else 1)

def cmd_repair(a):
    # repair JOURNAL SOCK... -- SERVICE...: sets every instance to what the
    # journal says, by hand, after a failure left the fleet split (so later
    # iterations start clean).
    k = a.index("--")
    jw = last_weights(a[0], a[k + 1:])
    for sock in a[1:k]:
        for s, w in jw.items():
            if isinstance(w, int):
                haproxy(sock, "set server be_%s/blue weight %d" % (s, 100 - w))
                haproxy(sock, "set server be_%s/green weight %d" % (s, w))

def cmd_tear(a):
    # tear JOURNAL SEED: a power loss during the last write: that line cut
    # short (no newline), the head file one record behind. Only an outcome
    # or reconcile is torn: an intent is fsync'ed before the router is
    # touched, so a torn intent never has effects this would hide.
    data = open(a[0], "rb").read()
    lines = data.rstrip(b"\n").split(b"\n")
    try:
        last = json.loads(lines[-1])
    except ValueError:
        print("skip: last line already torn"); return
    if last.get("type") not in ("outcome", "reconcile") or len(lines) < 2:
        print("skip: last record is %s" % last.get("type")); return
    prev = lines[-2]
    try:
        pseq = json.loads(prev)["seq"]
    except ValueError:
        print("skip: line before is torn"); return
    cut = random.Random(int(a[1])).randrange(1, len(lines[-1]) - 1)
    body = b"\n".join(lines[:-1]) + b"\n" + lines[-1][:cut]
    open(a[0], "wb").write(body)
    head = a[0][:-len(".jsonl")] + ".head"
    open(head, "w").write(json.dumps({"seq": pseq, "hash": hashlib.sha256(prev).hexdigest()}) + "\n")
    print("tore line %d at byte %d (%s)" % (len(lines), cut, last.get("type")))

def cmd_lockpid(a):
    try:
        print(json.loads(open(a[0]).read() or "{}").get("pid", ""))
    except (FileNotFoundError, ValueError):
        print("")

cmds = {"run": cmd_run, "open": cmd_open, "router": cmd_router, "recovered": cmd_recovered,
        "closed": cmd_closed, "agree": cmd_agree, "repair": cmd_repair, "tear": cmd_tear,
        "lockpid": cmd_lockpid, "lastseq": cmd_lastseq}
cmds[sys.argv[1]](sys.argv[2:])
PY
py() { python3 "$dir/crash.py" "$@"; }

# A small LCG so that CRASH_SEED repeats the same choices.
rng=$SEED
rand() {	# N: a number in 0..N-1 in $r
	rng=$(( (rng * 1103515245 + 12345) % 2147483648 ))
	r=$(( (rng / 65536) % $1 ))
}
pick() {	# WORD...: one of them in $r
	rand $#; shift "$r"; r=$1
}

# verify_ok NAME: `journal --verify` exits 0; a torn line is a warning only.
verify_ok() {
	out=$("$BIN" journal $C --verify 2>"$dir/verify.err"); rc=$?
	if [ "$rc" -eq 0 ] && printf '%s\n' "$out" | grep -q "^journal OK"; then
		ok "$1"
	else
		nok "$1" "exit $rc: $out $(cat "$dir/verify.err")"
	fi
}

# The SIGSTOP target must be haproxy's worker: the master (our child) only
# supervises it and never reads the stats socket.
worker_of() { ps -o pid= --ppid "$1" | head -1 | tr -d ' '; }

# ---------------------------------------------------------------------
# 1. A crash between instance 1 and instance 2 of a rollback, made
#    certain: instance 2 is stopped while the executor talks to it, and
#    cutover is killed there. Recovery must see the fleet split and say so;
#    a rollback --all afterwards must bring every instance to blue.
"$BIN" move $C a1 --to green --weight 25 --yes >"$dir/setup.out" 2>&1 ||
	nok "setup: a1 to 25" "$(cat "$dir/setup.out")"
w2=$(worker_of "$hapid2")
echo "# $(py run stop 150 "$dir/kill.out" "$J" "$w2" -- "$BIN" rollback $C a1 --yes)"
sleep 0.3	# instance 2, running again, may still take what the dead process sent it
py open "$J" > "$dir/open"
check "a rollback killed mid-fleet leaves its intent open" test "$(wc -l < "$dir/open")" -eq 1
py router "$dir/router.json" $SOCKS -- $SVCS
base=$(py lastseq "$J")
"$BIN" rollback $C --all --yes >"$dir/rec.out" 2>&1; rc=$?
check "the next rollback exits 0" test "$rc" -eq 0
res=$(py recovered "$dir/open" "$dir/router.json" "$dir/rec.out" "$J" "$base"); rrc=$?
case $rrc in
0) ok "recovery names the split fleet first, and journals it" ;;
3) ok "recovery names the split fleet first, and journals it"
   nok "a drift recovered: line is one line (')' on its own line: cmd_move.c recover())" "$(head -3 "$dir/rec.out")" ;;
*) nok "recovery names the split fleet first, and journals it" "$res
$(cat "$dir/rec.out")" ;;
esac
res=$(py agree "$J" $SOCKS -- $SVCS); arc=$?
case $arc in
0) ok "rollback --all after a split-fleet crash puts every instance on blue" ;;
3) nok "rollback --all after a split-fleet crash puts every instance on blue (plan.c skips from == to despite drift)" \
	"$res
$(cat "$dir/rec.out")"
   py repair "$J" $SOCKS -- $SVCS ;;
*) nok "rollback --all after a split-fleet crash puts every instance on blue" "$res" ;;
esac
check "every intent has an outcome after it" py closed "$J"
verify_ok "the journal verifies after the split-fleet crash"

# ---------------------------------------------------------------------
# 1b. A kill exactly between a journal write and its head-file update (the
#     head is renamed into place after each flush): strace injects SIGKILL
#     at the Nth rename. The head is then behind the journal by the records
#     of that flush; that is a crash, not tampering, and must verify.
if command -v strace >/dev/null 2>&1 &&
	strace -f -o /dev/null -e inject=none:retval=0 true 2>/dev/null; then
	# kill_at_rename N CMD...: CMD dies by SIGKILL at its Nth rename.
	kill_at_rename() {
		n=$1; shift
		strace -f -o /dev/null -e trace=rename,renameat,renameat2 \
			-e inject=rename,renameat,renameat2:signal=SIGKILL:when="$n" "$@" >"$dir/kill.out" 2>&1
	}
	# SETUP:CMD:N. A rollback renames after its intents and after its
	# outcomes (#1, #2); a move after each chunk of up to 256 intents and
	# after that chunk's outcomes (#1, #2 here: every move is one chunk).
	for case in ":move @front --to green --weight 5:2" \
		"move @front --to green --weight 25:rollback --all:1" \
		":move @front @back --to green --weight 50:1" \
		"move @batch --to green:rollback --all:2"; do
		setup=${case%%:*} n=${case##*:} cmd=${case#*:} cmd=${cmd%:*}
		if [ -n "$setup" ] && ! "$BIN" $setup $C --yes >"$dir/setup.out" 2>&1; then
			nok "setup: $setup" "$(cat "$dir/setup.out")"
		fi
		kill_at_rename "$n" "$BIN" $cmd $C --yes; rc=$?
		check "'$cmd' killed at its rename #$n (exit 137)" test "$rc" -eq 137
		verify_ok "after a kill between a flush and its head update of '$cmd', the journal verifies"
		py open "$J" > "$dir/open"
		py router "$dir/router.json" $SOCKS -- $SVCS
		base=$(py lastseq "$J")
		"$BIN" rollback --all $C --yes >"$dir/rec.out" 2>&1; rc=$?
		check "the rollback after it exits 0" test "$rc" -eq 0
		res=$(py recovered "$dir/open" "$dir/router.json" "$dir/rec.out" "$J" "$base"); rrc=$?
		case $rrc in
		0|3) ok "it says recovered: first for $(wc -l < "$dir/open") open intent(s)" ;;
		*) nok "it says recovered: first for every open intent" "$res
$(cat "$dir/rec.out")" ;;
		esac
		check "every intent has an outcome after it" py closed "$J"
		res=$(py agree "$J" $SOCKS -- $SVCS); arc=$?
		case $arc in
		0) ok "both instances hold what the journal says" ;;
		3) nok "rollback --all leaves no instance split (plan.c skips from == to despite drift)" "$res"
		   py repair "$J" $SOCKS -- $SVCS ;;
		*) nok "both instances hold what the journal says" "$res" ;;
		esac
		verify_ok "and the journal verifies after the recovery"
	done

	# 1c. Issue 9, met once by chance at iteration 57 of a 100-iteration
	#     run: a power loss tears the reconciled outcome a recovery wrote,
	#     so its intent is open again. Made certain, with no timing: the
	#     move of one job dies at the head update after its intent (#1), the
	#     rollback that recovers it at the head update after its reconcile
	#     and outcome (one flush, #1), and tear cuts that outcome. The torn
	#     line is no record: the next start must reconcile the intent once
	#     more, naming the first reconcile record, and close it once.
	one_job=$(printf '%s\n' $SVCS | grep '^j' | head -1)
	kill_at_rename 1 "$BIN" move "$one_job" --to green $C --yes; rc=$?
	check "torn outcome: the move is killed after its first intent (exit 137)" test "$rc" -eq 137
	py open "$J" > "$dir/open"
	check "torn outcome: it leaves one intent open" test "$(wc -l < "$dir/open")" -eq 1
	iseq=$(sed -n 's/.*, \([0-9]*\)\]$/\1/p' "$dir/open" | head -1)
	kill_at_rename 1 "$BIN" rollback --all $C --yes; rc=$?
	check "torn outcome: the recovering rollback is killed at its first head update (exit 137)" \
		test "$rc" -eq 137
	check "torn outcome: that flush carried the reconcile and its outcome" \
		sh -c "tail -2 '$J' | head -1 | grep -q '\"type\":\"reconcile\".*\"intent_seq\":$iseq[,}]' &&
			tail -1 '$J' | grep -q '\"result\":\"reconciled\"'"
	t=$(py tear "$J" 9)
	echo "# power loss: $t"
	tore=${t#tore line } tore=${tore%% *}
	case $t in
	"tore line "*"(outcome)") ok "torn outcome: the power loss tears the reconciled outcome" ;;
	*) nok "torn outcome: the power loss tears the reconciled outcome" "$t" ;;
	esac
	"$BIN" journal $C --verify >/dev/null 2>"$dir/verify.err"
	check "torn outcome: verify warns of the torn line" grep -q "the last line is cut short" "$dir/verify.err"
	verify_ok "torn outcome: the journal verifies with the torn line"
	py open "$J" > "$dir/open"
	check "torn outcome: the intent is open again" \
		test "$(wc -l < "$dir/open")" -eq 1 -a "$(sed -n 's/.*, \([0-9]*\)\]$/\1/p' "$dir/open")" = "$iseq"
	py router "$dir/router.json" $SOCKS -- $SVCS
	base=$(py lastseq "$J")
	"$BIN" rollback --all $C --yes >"$dir/rec.out" 2>&1; rc=$?
	check "torn outcome: the next rollback exits 0" test "$rc" -eq 0
	check "torn outcome: it first says the torn line $tore was kept" \
		sh -c "head -1 '$dir/rec.out' | grep -q '^recovered: journal line $tore was cut short'"
	res=$(py recovered "$dir/open" "$dir/router.json" "$dir/rec.out" "$J" "$base"); rrc=$?
	case $rrc in
	0|3) ok "torn outcome: it reconciles the intent once more, naming the first reconcile" ;;
	*) nok "torn outcome: it reconciles the intent once more, naming the first reconcile" "$res
$(cat "$dir/rec.out")" ;;
	esac
	check "torn outcome: two reconcile records for intent $iseq in all, one whole reconciled outcome" \
		test "$(grep -c "\"type\":\"reconcile\".*\"intent_seq\":$iseq[,}]" "$J")" -eq 2
	check "torn outcome: every intent has an outcome after it" py closed "$J"
	res=$(py agree "$J" $SOCKS -- $SVCS); arc=$?
	case $arc in
	0) ok "torn outcome: both instances hold what the journal says" ;;
	*) nok "torn outcome: both instances hold what the journal says" "$res"
	   py repair "$J" $SOCKS -- $SVCS ;;
	esac
	verify_ok "torn outcome: the journal verifies after the second reconcile"
else
	echo "# no strace with fault injection: the kills at the head update are skipped"
fi

# ---------------------------------------------------------------------
# 2. Random kills. Odd iterations kill 0-300 ms after the start; even ones
#    once the journal grew 1..15 lines (inside the apply, where intents are
#    open). Iterations 3, 9, 15, ... then simulate a power loss tearing the
#    last line. The command after the crash alternates: rollback --all, or a
#    full move.
killed=0 with_open=0 stale_owner=0 torn=0 drifted=0 lock_blocked=0 fails_before=$_fail
t_start=$(date +%s)
it=1
while [ "$it" -le "$ITERS" ]; do
	tore=
	pick 1 5 25 50 100; w=$r
	pick front back both batch-green batch-blue front-blue rollback; op=$r
	case $op in
	front) cmd="move @front --to green --weight $w" ;;
	back) cmd="move @back --to green --weight $w" ;;
	both) cmd="move @front @back --to green --weight $w" ;;
	batch-green) cmd="move @batch --to green" ;;
	batch-blue) cmd="move @batch --to blue" ;;
	front-blue) cmd="move @front --to blue" ;;
	rollback) cmd="rollback --all" ;;
	esac
	# A service's records come in threes (intent, then an outcome per
	# instance): growth 3m+1 stops just after an intent, so it is open;
	# 0-1.5 ms more lands now and then between the two instances.
	if [ $((it % 2)) -eq 1 ]; then rand 301; mode=time; arg=$r
	elif [ $((it % 4)) -eq 0 ]; then rand 5; k=$((3 * r + 1)); rand 1500; mode=lines; arg=$k:$r
	else rand 15; mode=lines; arg=$((r + 1)); fi
	# Iteration 2 lands in an apply for sure: iteration 1's next command
	# left a group above 0, and a rollback killed once its intents are
	# written leaves them open. The chance checks below need no luck.
	if [ "$it" -eq 2 ]; then cmd="rollback --all"; mode=lines; arg=1; fi
	res=$(py run "$mode" "$arg" "$dir/kill.out" "$J" -- "$BIN" $cmd $C --yes)
	echo "# iteration $it: $cmd --yes: $mode $arg: $res"
	case $res in killed*) killed=$((killed + 1)) ;; esac
	dead=$(printf '%s\n' "$res" | sed -n 's/.*pid \([0-9]*\).*/\1/p')
	owner=$(py lockpid "$LOCK")
	[ -n "$owner" ] && [ "$owner" = "$dead" ] && stale_owner=$((stale_owner + 1))
	if [ $((it % 6)) -eq 3 ]; then
		rand 100000
		t=$(py tear "$J" "$r")
		echo "# power loss: $t"
		case $t in tore*)
			torn=$((torn + 1)) tore=${t#tore line } tore=${tore%% *}
			"$BIN" journal $C --verify >/dev/null 2>"$dir/verify.err"
			check "iteration $it: a torn last line is a warning naming it" \
				grep -q "the last line is cut short" "$dir/verify.err" ;;
		esac
	fi
	verify_ok "iteration $it: the journal verifies after the kill"

	py open "$J" > "$dir/open"
	[ -s "$dir/open" ] && with_open=$((with_open + 1))
	py router "$dir/router.json" $SOCKS -- $SVCS
	if [ $((it % 2)) -eq 0 ]; then next="rollback --all"; else
		pick front back; g=$r; pick 1 5 25 50; next="move @$g --to green --weight $r"; fi
	base=$(py lastseq "$J")
	"$BIN" $next $C --yes >"$dir/rec.out" 2>&1; rc=$?
	if grep -q "Sanitizer\|runtime error:" "$dir/rec.out"; then
		nok "iteration $it: '$next' runs clean under the sanitizers" "$(cat "$dir/rec.out")"
	fi
	if grep -q "holds the lock" "$dir/rec.out"; then
		lock_blocked=$((lock_blocked + 1))
		nok "iteration $it: the dead process's lock does not block '$next'" "$(cat "$dir/rec.out")"
	fi
	res=$(py recovered "$dir/open" "$dir/router.json" "$dir/rec.out" "$J" "$base"); rrc=$?
	case $rrc in
	0) ok "iteration $it: '$next' says recovered: first for $(wc -l < "$dir/open") open intent(s)" ;;
	3) ok "iteration $it: '$next' says recovered: first for $(wc -l < "$dir/open") open intent(s)"
	   drifted=$((drifted + 1))
	   nok "iteration $it: a drift recovered: line is one line (cmd_move.c recover())" "$(head -3 "$dir/rec.out")" ;;
	*) nok "iteration $it: '$next' says recovered: first for every open intent" "$res
--- output of $next:
$(cat "$dir/rec.out")" ;;
	esac
	grep -q "(drift: " "$dir/rec.out" && [ "$rrc" -eq 0 ] && drifted=$((drifted + 1))
	if [ -n "$tore" ]; then
		check "iteration $it: the next start says the torn line $tore was kept, first" \
			grep -q "^recovered: journal line $tore was cut short" "$dir/rec.out"
		check "iteration $it: and journals a note naming it" \
			grep -q "\"type\":\"note\".*\"torn_line\":$tore[,}]" "$J"
	fi
	check "iteration $it: every intent has an outcome after it" py closed "$J"
	if [ "$next" = "rollback --all" ]; then
		check "iteration $it: rollback --all exits 0" test "$rc" -eq 0
		res=$(py agree "$J" $SOCKS -- $SVCS); arc=$?
		case $arc in
		0) ok "iteration $it: both instances hold what the journal says" ;;
		3) nok "iteration $it: rollback --all leaves no instance split (plan.c skips from == to despite drift)" "$res"
		   py repair "$J" $SOCKS -- $SVCS ;;
		*) nok "iteration $it: both instances hold what the journal says" "$res
--- output of $next:
$(cat "$dir/rec.out")" ;;
		esac
	else
		case $rc in 0|1) ok "iteration $it: '$next' exits 0 or 1 (a drift blocks)" ;;
		*) nok "iteration $it: '$next' exits 0 or 1" "exit $rc: $(cat "$dir/rec.out")" ;; esac
	fi
	if [ "$_fail" -gt "$fails_before" ]; then
		echo "# journal tail after iteration $it:"
		tail -6 "$J" | cut -c1-300 | sed 's/^/#   /'
		fails_before=$_fail
	fi
	it=$((it + 1))
done
echo "# $ITERS iterations in $(( $(date +%s) - t_start )) s: $killed killed mid-run, $with_open left open intents," \
	"$stale_owner left a stale lock owner, $torn torn by a simulated power loss, $drifted recovered a split fleet"

# ---------------------------------------------------------------------
# 3. The end: one last rollback, then everything agrees and verifies.
"$BIN" rollback $C --all --yes >"$dir/final.out" 2>&1; rc=$?
check "the final rollback --all exits 0" test "$rc" -eq 0
check "after it every intent has an outcome" py closed "$J"
res=$(py agree "$J" $SOCKS -- $SVCS); arc=$?
case $arc in
0) ok "after it both instances hold, for every service, the journal's last weight, none at total 0" ;;
3) nok "after it no instance is left split (plan.c skips from == to despite drift)" "$res" ;;
*) nok "after it both instances hold, for every service, the journal's last weight, none at total 0" "$res
$(cat "$dir/final.out")" ;;
esac
verify_ok "the journal verifies at the end"
if [ "$ITERS" -ge 8 ]; then
	check "the kills left open intents at least once (the test reached the apply)" test "$with_open" -gt 0
	check "a killed holder's stale lock owner record was met, and never blocked" \
		test "$stale_owner" -gt 0 -a "$lock_blocked" -eq 0
fi
finish
