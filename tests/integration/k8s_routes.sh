#!/bin/sh
# The kubernetes router driver end to end against two Kubernetes API doubles
# (tests/k8s/, over TLS with a throwaway CA), simulator health endpoints, and
# a kubeconfig of token, tokenFile, client-certificate and exec users:
# - service-selector: the Service's selector becomes the green label set
#   exactly (blue-only keys gone) and back; 0/100 only (--weight 25 refused);
# - httproute: rule 0's backendRefs weights 75/25, 0/100, 100/0; other rules
#   and fields untouched; its own context (a client certificate);
# - alb-ingress: the actions annotation's target group weights, every other
#   key kept; its own context (a tokenFile, read again after a rotation);
# - status --json: each weight read from the objects, also when changed
#   behind cutover's back;
# - 409: two injected conflicts are read again and retried; twenty fail
#   with "conflict" after bounded retries, the object unchanged;
# - 401: an exec plugin's token expired under a running engine is minted
#   again (one more plugin call); an expired static token fails naming the
#   context, the user and 401;
# - 403: the Status message verbatim; 404: a missing Service named;
# - a job's two CronJobs on two clusters (contexts), handed over and back
#   with no scheduled time run twice or missed (the two doubles' ledgers).
# Env: BIN, SIM.
. tests/lib/assert.sh
. tests/lib/sim.sh
. tests/k8s/lab.sh
BIN=${BIN:-./cutover}
SIM=${SIM:-build/cutover-sim}
case $BIN in */*) ;; *) [ -x "$BIN" ] && BIN=./$BIN ;; esac
dir=$(mktemp -d)
pids=
spid=
cleanup() {
	for p in $spid $pids; do stop_pid "$p"; done
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# cli ARG...: cutover, never left hanging by a driver that does.
cli() { timeout 120 "$BIN" "$@"; }

# expect_file NAME WANT_RC FILE STRING... CMD's output is in FILE (see
# run_to); passes when it exited WANT_RC and FILE holds each STRING as is.
run_to() {	# FILE CMD...: runs CMD, output (both streams) to FILE, exit in FILE.rc
	_rt=$1; shift
	"$@" >"$_rt" 2>&1
	echo $? > "$_rt.rc"
}
expect_file() {
	_ef_name=$1 _ef_rc=$2 _ef_file=$3; shift 3
	_ef_why=
	[ "$(cat "$_ef_file.rc")" = "$_ef_rc" ] || _ef_why="exit $(cat "$_ef_file.rc") (want $_ef_rc)"
	for _ef_s; do
		grep -qF -- "$_ef_s" "$_ef_file" || _ef_why="$_ef_why${_ef_why:+; }no '$_ef_s'"
	done
	if [ -z "$_ef_why" ]; then ok "$_ef_name"
	else nok "$_ef_name" "$_ef_why; output:
$(cat "$_ef_file")"; fi
}

# --- The simulator, two clusters, one kubeconfig ------------------------------
cat > "$dir/spec" <<'SPEC'
web both lat_ms=1
api both lat_ms=1
shop both lat_ms=1
sync both lat_ms=1
ghost both lat_ms=1
SPEC
sim_start "$dir" --spec "$dir/spec" || { echo "the simulator did not start"; exit 1; }
pids="$pids $sim_pid"

mkdir -p "$dir/seed"
/usr/bin/python3 - "$dir" <<'PY'
import json, sys, time
d = sys.argv[1]
now = int(time.time())
ALB = json.dumps({"type": "forward", "forwardConfig": {"targetGroups": [
    {"serviceName": "shop-blue", "servicePort": 80, "weight": 100},
    {"serviceName": "shop-green", "servicePort": 80, "weight": 0}],
    "targetGroupStickinessConfig": {"enabled": False}}}, separators=(",", ":"))
def cronjob(name, suspend, key="sync"):
    return {"apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": name, "namespace": "shop",
                         "annotations": {"double.test/ledger-key": key, "double.test/run-seconds": "0.5"}},
            "spec": {"schedule": "*/5 * * * * *", "suspend": suspend, "concurrencyPolicy": "Forbid",
                     "jobTemplate": {"spec": {"template": {"spec": {"restartPolicy": "Never",
                                     "containers": [{"name": "sync", "image": "shop/sync:1"}]}}}}}}
def slice_of(svc, ready=True):
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": svc + "-x1", "namespace": "shop",
                         "labels": {"kubernetes.io/service-name": svc}},
            "addressType": "IPv4",
            "endpoints": [{"addresses": ["10.0.0.%d" % (i + 1)], "conditions": {"ready": ready}}
                          for i in range(2)]}
a_objects = [
    {"apiVersion": "v1", "kind": "Service",
     "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"},
                  "annotations": {"owner": "team-web"}},
     "spec": {"selector": {"app": "web", "track": "blue", "pool": "blue-pool"},
              "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}},
    {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
     "metadata": {"name": "api", "namespace": "shop"},
     "spec": {"parentRefs": [{"name": "gw", "namespace": "infra"}], "hostnames": ["api.shop.example"],
              "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/api"}}],
                         "backendRefs": [{"name": "api-blue", "port": 8080, "weight": 100},
                                         {"name": "api-green", "port": 8080, "weight": 0}]},
                        {"matches": [{"path": {"type": "PathPrefix", "value": "/legacy"}}],
                         "backendRefs": [{"name": "legacy", "port": 80, "weight": 1}]}]}},
    {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
     "metadata": {"name": "shop", "namespace": "shop",
                  "annotations": {"alb.ingress.kubernetes.io/actions.blue-green": ALB,
                                  "alb.ingress.kubernetes.io/scheme": "internet-facing"}},
     "spec": {"ingressClassName": "alb",
              "rules": [{"http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {
                  "service": {"name": "blue-green", "port": {"name": "use-annotation"}}}}]}}]}},
    cronjob("sync-blue", False),
    cronjob("lone-blue", False, "lone"), cronjob("lone-green", True, "lone"),
] + [slice_of(n) for n in ("api-blue", "api-green", "shop-blue", "shop-green")]
ops = {"verbs": [], "apiGroups": [], "resources": []}
a = {"tokens": {"t-ops": {"user": "ops-bot", "groups": ["ops"], "expires": None},
                "t-stale": {"user": "stale-bot", "groups": ["ops"], "expires": now - 60},
                "t-viewer": {"user": "viewer", "groups": [], "expires": None},
                "t-file1": {"user": "tf-bot", "groups": ["ops"], "expires": None},
                "t-file2": {"user": "tf-bot", "groups": ["ops"], "expires": None},
                "t-least": {"user": "least-bot", "groups": [], "expires": None}},
     "rbac": {"ops": [ops], "devs": [ops], "ops-exec": [ops],
              "viewer": [{"verbs": ["get", "list"]}]},
     "objects": a_objects}
b = {"tokens": {"t-ops": {"user": "ops-bot", "groups": ["ops"], "expires": None}},
     "rbac": {"ops": [ops]}, "objects": [cronjob("sync-green", True)]}
json.dump(a, open(d + "/a.json", "w"))
json.dump(b, open(d + "/b.json", "w"))
res = {"Service": "services", "HTTPRoute": "httproutes", "Ingress": "ingresses", "CronJob": "cronjobs",
       "EndpointSlice": "endpointslices"}
for o in a_objects:
    json.dump(o, open("%s/seed/%s.%s.json" % (d, res[o["kind"]], o["metadata"]["name"]), "w"))
PY
lab_start "$dir/b" "$dir/b.json" || exit 1
pids="$pids $LAB_PID"
lab_start "$dir/a" "$dir/a.json" || exit 1	# the current one: lab_* talk to a
pids="$pids $LAB_PID"
echo "# doubles: a $(cat "$dir/a/url") (main), b $(cat "$dir/b/url") (other)"

printf 't-file1\n' > "$dir/tokenfile"
lab_kubeconfig "$dir/kubeconfig" \
	"main $dir/a token t-ops" \
	"alice $dir/a cert ca=file" \
	"tf $dir/a tokenfile $dir/tokenfile" \
	"other $dir/b token t-ops" \
	"viewer $dir/a token t-viewer" \
	"stale-ctx $dir/a token t-stale user=stale-user" \
	"least $dir/a token t-least" \
	"exec-ctx $dir/a exec ops-exec $dir/exec.count 3600 user=exec-user" || exit 1

# reset RESOURCE NAME: the object on double a as it was seeded.
reset() { lab_put_obj "$1" shop "$2" - < "$dir/seed/$1.$2.json" >/dev/null; }
field() { lab_obj "$1" shop "$2" | lab_json "$3"; }	# RESOURCE NAME EXPR on double a

# --- Configs: one release per part, so journals never disagree ----------------
H=http://127.0.0.1:$port
health() { printf '"blue":{"health":"%s/%s/blue/health"},"green":{"health":"%s/%s/green/health"}' "$H" "$1" "$H" "$1"; }
svc_web() {
	printf '{"name":"web","kind":"exposed",%s,"route":{"kind":"service-selector","namespace":"shop","service":"web",' "$(health web)"
	printf '"blue":{"app":"web","track":"blue","pool":"blue-pool"},"green":{"app":"web","track":"green"}}}'
}
svc_api() {
	printf '{"name":"api","kind":"exposed",%s,"route":{"kind":"httproute","namespace":"shop","httproute":"api","rule":0,' "$(health api)"
	printf '"context":"alice","blue":{"backend":"api-blue"},"green":{"backend":"api-green"}}}'
}
svc_shop() {
	printf '{"name":"shop","kind":"exposed",%s,"route":{"kind":"alb-ingress","namespace":"shop","ingress":"shop",' "$(health shop)"
	printf '"action":"blue-green","context":"tf","blue":{"service":"shop-blue","port":80},"green":{"service":"shop-green","port":80}}}'
}
svc_sync() {
	printf '{"name":"sync","kind":"job","schedule":"*/5 * * * * *","max_run_s":2,"guard_s":1,%s,' "$(health sync)"
	printf '"route":{"kind":"cronjob","blue":{"namespace":"shop","cronjob":"sync-blue"},'
	printf '"green":{"namespace":"shop","cronjob":"sync-green","context":"other"}}}'
}
svc_apil() {	# api on the default context
	printf '{"name":"api","kind":"exposed",%s,"route":{"kind":"httproute","namespace":"shop","httproute":"api","rule":0,' "$(health api)"
	printf '"blue":{"backend":"api-blue"},"green":{"backend":"api-green"}}}'
}
svc_lone() {	# a job whose CronJobs are both on cluster main
	printf '{"name":"lone","kind":"job","schedule":"*/5 * * * * *","max_run_s":2,"guard_s":1,%s,' "$(health sync)"
	printf '"route":{"kind":"cronjob","blue":{"namespace":"shop","cronjob":"lone-blue"},'
	printf '"green":{"namespace":"shop","cronjob":"lone-green"}}}'
}
svc_ghost() {
	printf '{"name":"ghost","kind":"exposed",%s,"route":{"kind":"service-selector","namespace":"shop","service":"nope",' "$(health ghost)"
	printf '"blue":{"app":"ghost","track":"blue"},"green":{"app":"ghost","track":"green"}}}'
}
conf() {	# RELEASE CONTEXT SERVICE...: writes $dir/RELEASE.json
	_c_rel=$1 _c_ctx=$2; shift 2
	{
		printf '{"release":"%s","state_dir":"%s/state-%s",' "$_c_rel" "$dir" "$_c_rel"
		printf '"router":{"driver":"kubernetes","kubeconfig":"%s/kubeconfig","context":"%s","timeout_ms":3000},' "$dir" "$_c_ctx"
		printf '"probe":{"interval_ms":50,"timeout_ms":400},"gates":{"min_samples":3},"services":['
		_c_sep=
		for _c_s; do printf %s "$_c_sep"; "svc_$_c_s"; _c_sep=,; done
		printf ']}\n'
	} > "$dir/$_c_rel.json"
}
conf main main web api shop sync
conf conflict main web
conf execx exec-ctx web
conf stale stale-ctx web
conf viewer viewer web
conf missing main ghost
conf least least web apil lone
C="-c $dir/main.json"

# weights CONFIG: "name=weight ..." from status --json, in the file's order.
weights() {
	cli status -c "$1" --json --for 1 >"$dir/weights.json" 2>"$dir/weights.err"
	/usr/bin/python3 -c '
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except ValueError:
    sys.exit("status --json printed no document; stderr: " + open(sys.argv[2]).read()[:300])
print(" ".join("%s=%s" % (s["name"], s["weight"]) for s in d["services"]))' "$dir/weights.json" "$dir/weights.err" 2>&1
}
calls() { if [ -f "$dir/exec.count" ]; then wc -l < "$dir/exec.count"; else echo 0; fi; }	# exec plugin calls

echo "# 0. the config"
for r in main conflict execx stale viewer missing least; do
	expect_out "check: the $r config is valid" 0 "" cli check -c "$dir/$r.json"
done
PY=/usr/bin/python3
cli status $C --json --for 1 > "$dir/st0.json" 2>"$dir/st0.err"
check "status --json exits 0 over the kubernetes driver" test $? -eq 0
check "status --json: driver kubernetes, every service at 0, no drift" $PY - "$dir/st0.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["router"]["driver"] == "kubernetes", d["router"]
w = {s["name"]: s["weight"] for s in d["services"]}
assert w == {"web": 0, "api": 0, "shop": 0, "sync": 0}, w
assert not any(s["drift"] for s in d["services"]), [(s["name"], s["drift"]) for s in d["services"]]
PY

# seed RESOURCE NAME EXPR: EXPR over the object as seeded (for "untouched").
seed() { lab_json "$3" < "$dir/seed/$1.$2.json"; }

echo "# 1. service-selector"
rv0=$(field services web 'd["metadata"]["resourceVersion"]')
expect_out "service-selector refuses --weight 25 (0 or 100 only)" 1 "(selector|0 or 100|100 or 0|0/100|whole)" \
	cli move $C web --to green --weight 25 --yes
expect_eq "the refused move wrote nothing (resourceVersion kept)" "$rv0" \
	"$(field services web 'd["metadata"]["resourceVersion"]')"
expect_out "move web --to green applies" 0 "applied" cli move $C web --to green --yes
expect_obj "the selector is the green set exactly (blue-only key 'pool' removed)" services shop web \
	'd["spec"]["selector"]' '{"app":"web","track":"green"}'
check "the Service's resourceVersion changed" \
	test "$(field services web 'd["metadata"]["resourceVersion"]')" != "$rv0"
E='[d["spec"]["ports"], d["metadata"]["labels"], d["metadata"]["annotations"]]'
expect_obj "ports, labels and annotations untouched" services shop web "$E" "$(seed services web "$E")"
expect_out "rollback web applies" 0 "applied" cli rollback $C web --yes
expect_obj "the selector is the blue set exactly again" services shop web \
	'd["spec"]["selector"]' '{"app":"web","pool":"blue-pool","track":"blue"}'

echo "# 2. httproute (context alice: a client certificate)"
W='[[b["name"], b["weight"]] for b in d["spec"]["rules"][0]["backendRefs"]]'
E='[d["spec"]["rules"][1], d["spec"]["parentRefs"], d["spec"]["hostnames"], d["spec"]["rules"][0]["matches"], [b["port"] for b in d["spec"]["rules"][0]["backendRefs"]]]'
lab_log_clear
expect_out "move api --to green --weight 25 applies" 0 "applied" cli move $C api --to green --weight 25 --yes
expect_obj "rule 0: api-blue 75, api-green 25" httproutes shop api "$W" '[["api-blue",75],["api-green",25]]'
expect_obj "rule 1, parentRefs, hostnames, rule 0's matches and ports untouched" httproutes shop api \
	"$E" "$(seed httproutes api "$E")"
n=$(lab_patches httproutes shop api)
check "api was patched as alice (the route's context), only ($n patches)" \
	test "$n" -ge 1 -a "$(lab_patches httproutes shop api alice)" = "$n"

echo "# 3. alb-ingress (context tf: a tokenFile)"
# alb_is BLUE GREEN: the action's target group weights; every other key of
# it, the other annotations and the spec as seeded.
alb_is() {
	lab_obj ingresses shop shop | $PY -c '
import json, sys
cur = json.load(sys.stdin); seed = json.load(open(sys.argv[3]))
K = "alb.ingress.kubernetes.io/actions.blue-green"
a = json.loads(cur["metadata"]["annotations"][K]); s = json.loads(seed["metadata"]["annotations"][K])
got = [[t["serviceName"], t.get("servicePort"), t.get("weight")] for t in a["forwardConfig"]["targetGroups"]]
want = [["shop-blue", 80, int(sys.argv[1])], ["shop-green", 80, int(sys.argv[2])]]
assert got == want, "targetGroups %s, want %s" % (got, want)
def strip(x):
    tg = [{k: v for k, v in t.items() if k != "weight"} for t in x["forwardConfig"]["targetGroups"]]
    return dict(x, forwardConfig=dict(x["forwardConfig"], targetGroups=tg))
assert strip(a) == strip(s), "other keys changed: %s" % cur["metadata"]["annotations"][K]
other = lambda o: {k: v for k, v in o["metadata"]["annotations"].items() if k != K}
assert other(cur) == other(seed), other(cur)
assert cur["spec"] == seed["spec"], cur["spec"]' "$1" "$2" "$dir/seed/ingresses.shop.json"
}
check "the seeded action reads 100/0" alb_is 100 0
lab_log_clear
expect_out "move shop --to green --weight 25 applies" 0 "applied" cli move $C shop --to green --weight 25 --yes
check "the action's weights are 75/25, every other key kept" alb_is 75 25
n=$(lab_patches ingresses shop shop)
check "shop was patched as the tokenFile's user, only ($n patches)" \
	test "$n" -ge 1 -a "$(lab_patches ingresses shop shop tf-bot)" = "$n"

echo "# 3b. the endpoints gate (EndpointSlices)"
lab_obj endpointslices shop shop-green-x1 | $PY -c '
import json, sys
o = json.load(sys.stdin)
for e in o["endpoints"]:
    e["conditions"]["ready"] = False
print(json.dumps(o))' | lab_put_obj endpointslices shop shop-green-x1 - >/dev/null
expect_out "a move onto a green with no ready endpoints is refused" 1 "green-endpoints.*no ready endpoints" \
	cli move $C shop --to green --yes
check "the refused move left the action at 75/25" alb_is 75 25
expect_out "status shows the ready endpoints per side" 0 "ready endpoints B: 2 +\| G: 0" cli status $C --for 1
expect_out "status --json carries them (traffic.green.ready_endpoints)" 0 '"ready_endpoints":[[:space:]]*0' cli status $C --json --for 1
reset endpointslices shop-green-x1
expect_out "with green's endpoints ready again, the gate passes" 0 "green-endpoints +green has 2 ready endpoints" \
	cli move $C shop --to green --weight 50 --yes
expect_out "and back to 25" 0 "applied" cli move $C shop --to blue --weight 25 --yes

echo "# 4. status reads the weights from the objects"
expect_eq "status --json: api 25, shop 25, the rest 0" "web=0 api=25 shop=25 sync=0" "$(weights "$dir/main.json")"
lab_obj httproutes shop api | $PY -c '
import json, sys
d = json.load(sys.stdin)
for b in d["spec"]["rules"][0]["backendRefs"]: b["weight"] = 50
print(json.dumps(d))' | lab_put_obj httproutes shop api - >/dev/null
cli status $C --json --for 1 > "$dir/st4.json" 2>"$dir/st4.err"
check "behind cutover's back (50/50 on the object): status says api 50, drifted" $PY -c '
import json, sys
s = {x["name"]: x for x in json.load(open(sys.argv[1]))["services"]}["api"]
assert s["weight"] == 50 and s["drift"], s	# drift: false, or {"detail": ...}' "$dir/st4.json"
lab_obj httproutes shop api | $PY -c '
import json, sys
d = json.load(sys.stdin)
for b, w in zip(d["spec"]["rules"][0]["backendRefs"], (75, 25)): b["weight"] = w
print(json.dumps(d))' | lab_put_obj httproutes shop api - >/dev/null
expect_eq "put back to 75/25: status says api 25 again" "web=0 api=25 shop=25 sync=0" "$(weights "$dir/main.json")"

expect_out "move api --to green applies" 0 "applied" cli move $C api --to green --yes
expect_obj "rule 0: 0/100" httproutes shop api "$W" '[["api-blue",0],["api-green",100]]'
expect_out "rollback api applies" 0 "applied" cli rollback $C api --yes
expect_obj "rule 0: 100/0" httproutes shop api "$W" '[["api-blue",100],["api-green",0]]'
expect_obj "and the rest of the HTTPRoute is as seeded" httproutes shop api "$E" "$(seed httproutes api "$E")"

# The token file is read again: a rotated token, the old one expired.
printf 't-file2\n' > "$dir/tokenfile"
lab_expire t-file1 >/dev/null
expect_out "rollback shop applies with the rotated token in the tokenFile" 0 "applied" cli rollback $C shop --yes
check "the action is back to 100/0, every other key kept" alb_is 100 0

echo "# 5. conflicts (409)"
reset services web
lab_log_clear
lab_conflicts services shop web 2 >/dev/null
expect_out "two injected conflicts: the move reads again and applies" 0 "applied" \
	cli move -c "$dir/conflict.json" web --to green --yes
expect_obj "the selector is green" services shop web 'd["spec"]["selector"]' '{"app":"web","track":"green"}'
expect_eq "both conflicts were met (two 409s) and retried" 2 "$(lab_patches services shop web '' 409)"
expect_out "rollback web (conflict release) applies" 0 "applied" cli rollback -c "$dir/conflict.json" web --yes
lab_log_clear
lab_conflicts services shop web 20 >/dev/null
t0=$(date +%s)
expect_out "twenty conflicts: the move fails with a conflict error" 1 "[Cc]onflict" \
	cli move -c "$dir/conflict.json" web --to green --yes
t1=$(date +%s)
expect_obj "the Service's selector is unchanged (blue)" services shop web \
	'd["spec"]["selector"]' '{"app":"web","pool":"blue-pool","track":"blue"}'
n=$(lab_patches services shop web)
check "it retried a bounded number of times ($n patches, $((t1 - t0)) s)" \
	test "$n" -ge 2 -a "$n" -le 10 -a $((t1 - t0)) -le 30
lab_conflicts_clear services shop web
# An HTTPRoute's JSON patch tests the resourceVersion: a concurrent writer
# fails the test (422), which is retried the same way.
lab_log_clear
lab_conflicts httproutes shop api 2 >/dev/null
expect_out "two writers beat the JSON patch's test: the move reads again and applies" 0 "applied" \
	cli move $C api --to green --weight 50 --yes
expect_eq "both failed tests were met (two 422s) and retried" 2 "$(lab_patches httproutes shop api '' 422)"
expect_obj "rule 0: api-blue 50, api-green 50" httproutes shop api "$W" '[["api-blue",50],["api-green",50]]'
expect_out "and back to blue" 0 "applied" cli rollback $C api --yes

echo "# 6. expired credentials (401)"
reset services web
expect_out "an exec plugin user moves web (standalone)" 0 "applied" \
	cli move -c "$dir/execx.json" web --to green --yes
check "the plugin ran, and the patch was its user's" \
	test -s "$dir/exec.count" -a "$(lab_patches services shop web ops-exec)" -ge 1
check "the plugin was given KUBERNETES_EXEC_INFO (an ExecCredential)" grep -q ExecCredential "$dir/exec.count"
"$BIN" serve -c "$dir/execx.json" 2>"$dir/serve.err" &
spid=$!
engine_up() {	# its "up" line within 10 s; else what it said
	_eu=0
	while [ $_eu -lt 100 ]; do
		grep -q ' up: socket' "$dir/serve.err" && return 0
		kill -0 "$spid" 2>/dev/null || break
		sleep 0.1
		_eu=$((_eu + 1))
	done
	cat "$dir/serve.err"
	return 1
}
check "the engine starts over the exec user" engine_up
expect_out "through the engine: rollback web applies" 0 "applied" cli rollback -c "$dir/execx.json" web --yes
sleep 1	# the engine's reads settle on the token it holds
n1=$(calls)
lab_log_clear
[ "$n1" -gt 0 ] && lab_expire "$(tail -1 "$dir/exec.count" | cut -d' ' -f1)" >/dev/null
expect_out "through the engine, the plugin's token expired: move web still applies" 0 "applied" \
	cli move -c "$dir/execx.json" web --to green --yes
n2=$(calls)
expect_eq "the plugin was called exactly once more (a new token after the 401)" "$((n1 + 1))" "$n2"
expect_eq "the double did answer the held token 401" yes \
	"$(lab_log | lab_json '"yes" if d["counters"]["byStatus"].get("401") else "no: %s" % d["counters"]')"
expect_obj "the selector is green" services shop web 'd["spec"]["selector"]' '{"app":"web","track":"green"}'
expect_out "through the engine: rollback web applies" 0 "applied" cli rollback -c "$dir/execx.json" web --yes
stop_pid "$spid"
spid=

run_to "$dir/stale.out" cli move -c "$dir/stale.json" web --to green --yes
expect_file "an expired static token: exit 1, naming the context, the user and 401" 1 "$dir/stale.out" \
	stale-ctx stale-user 401
expect_obj "the selector is unchanged (blue)" services shop web \
	'd["spec"]["selector"]' '{"app":"web","pool":"blue-pool","track":"blue"}'

echo "# 7. forbidden (403)"
run_to "$dir/viewer.out" cli move -c "$dir/viewer.json" web --to green --yes
expect_file "no patch on services: exit 1, the Status message verbatim" 1 "$dir/viewer.out" \
	'services "web" is forbidden: User "viewer" cannot patch resource "services" in API group "" in the namespace "shop"'
expect_obj "the selector is unchanged (blue)" services shop web \
	'd["spec"]["selector"]' '{"app":"web","pool":"blue-pool","track":"blue"}'

echo "# 8. a missing object (404)"
cli status -c "$dir/missing.json" --for 1 > "$dir/missing.out" 2>&1
check "status names the missing Service" grep -Eq 'services shop/nope|"nope" not found' "$dir/missing.out"
expect_out "move names the missing Service (exit 1)" 1 'services shop/nope|"nope" not found' \
	cli move -c "$dir/missing.json" ghost --to green --yes

echo "# 9. a job's two CronJobs on two clusters"
# ledger_ok SINCE: over both doubles' ledgers, every scheduled time of sync
# from the tick before SINCE (a resumed CronJob's catch-up run starts the
# last missed one, which may be older than the move) to 5 s ago ran exactly
# once.
ledger_ok() {
	lab_use "$dir/b"; lab_ledger > "$dir/ledger.b"
	lab_use "$dir/a"; lab_ledger > "$dir/ledger.a"
	$PY - "$1" "$dir/ledger.a" "$dir/ledger.b" <<'PY'
import json, sys, time
since = int(sys.argv[1]) - 10
by = {}
for f in sys.argv[2:]:
    for r in json.load(open(f))["runs"]:
        if r["cronjob"] in ("shop/sync-blue", "shop/sync-green") and r["scheduled"] >= since:
            by.setdefault(r["scheduled"], []).append(r["cronjob"])
ticks = range(since + (-since) % 5, int(time.time()) - 5 + 1, 5)
doubles = {t: c for t, c in sorted(by.items()) if len(c) > 1}
missed = [t for t in ticks if t not in by]
assert not doubles and not missed, "doubles %s, missed %s (since %d)" % (doubles, missed, since)
PY
}
ran_since() {	# LABDIR CRONJOB EPOCH: a run of it scheduled at or after EPOCH
	lab_use "$1"
	_rs=$(lab_ledger | lab_json "'yes' if [r for r in d['runs'] if r['cronjob'] == 'shop/$2' and r['scheduled'] >= $3] else 'no'")
	lab_use "$dir/a"
	test "$_rs" = yes
}
since=$(date +%s)
lab_use "$dir/b"; lab_log_clear; lab_use "$dir/a"
expect_out "move sync --to green applies (a handoff across clusters)" 0 "applied" cli move $C sync --to green --yes
moved=$(date +%s)
expect_obj "cluster main: sync-blue suspended" cronjobs shop sync-blue 'd["spec"]["suspend"]' true
lab_use "$dir/b"
expect_obj "cluster other: sync-green resumed" cronjobs shop sync-green 'd["spec"]["suspend"]' false
check "cluster other was patched through context other" test "$(lab_patches cronjobs shop sync-green ops-bot)" -ge 1
lab_use "$dir/a"
check "sync-green runs on the other cluster" lab_wait 8 ran_since "$dir/b" sync-green "$moved"
check "no scheduled time ran twice or was missed across the handoff" ledger_ok "$since"
expect_eq "status --json: sync 100 (read from the CronJobs)" "web=0 api=0 shop=0 sync=100" "$(weights "$dir/main.json")"
expect_out "rollback sync applies" 0 "applied" cli rollback $C sync --yes
back=$(date +%s)
expect_obj "cluster main: sync-blue resumed" cronjobs shop sync-blue 'd["spec"]["suspend"]' false
lab_use "$dir/b"
expect_obj "cluster other: sync-green suspended" cronjobs shop sync-green 'd["spec"]["suspend"]' true
lab_use "$dir/a"
check "sync-blue runs again" lab_wait 8 ran_since "$dir/a" sync-blue "$back"
check "no scheduled time ran twice or was missed, there and back" ledger_ok "$since"

echo "# 10. check --rbac: the Roles it prints are all a release needs"
cli check --rbac -c "$dir/least.json" > "$dir/rbac.yaml" 2>&1
check "check --rbac prints a Role for namespace shop" grep -q "^kind: Role" "$dir/rbac.yaml"
check "it names cronjobs/status (the lastScheduleTime write)" grep -q 'cronjobs/status' "$dir/rbac.yaml"
cli check --rbac --json -c "$dir/least.json" > "$dir/rbac.json"
# The double's rbac map: everyone as before, and least-bot with exactly the
# printed rules, bound in their namespace.
$PY - "$dir/a.json" "$dir/rbac.json" > "$dir/rbac-map.json" <<'PY'
import json, sys
rbac = json.load(open(sys.argv[1]))["rbac"]
rules = []
for role in json.load(open(sys.argv[2])):
    for r in role["rules"]:
        rules.append(dict(r, namespaces=[role["namespace"]]))
rbac["least-bot"] = rules
print(json.dumps(rbac))
PY
lab_rbac "$(cat "$dir/rbac-map.json")" >/dev/null
reset services web
reset httproutes api
expect_out "least privilege: move web --to green" 0 "applied" cli move -c "$dir/least.json" web --to green --yes
expect_out "least privilege: move api --weight 50 (endpoints read)" 0 "green-endpoints +green has 2" \
	cli move -c "$dir/least.json" api --to green --weight 50 --yes
expect_out "least privilege: hand the job lone over to green" 0 "applied" \
	cli move -c "$dir/least.json" lone --to green --yes
expect_obj "lone-green resumed" cronjobs shop lone-green 'd["spec"]["suspend"]' false
expect_out "least privilege: and back" 0 "applied" cli rollback -c "$dir/least.json" lone api web --yes
expect_eq "no request of least-bot was refused (403)" 0 \
	"$(lab_log | lab_json 'len([r for r in d["requests"] if r["user"] == "least-bot" and r["status"] == 403])')"
lab_rbac "$(lab_json 'dict(d, **{"least-bot": [r for r in d["least-bot"] if r["resources"] != ["cronjobs/status"]]})' < "$dir/rbac-map.json")" >/dev/null
# The status write is needed only when blue has run since green last did
# (else green has nothing to catch up, and rightly nothing is written):
# wait for blue's next fire (every 5 s) before the handoff.
last_run() { lab_obj cronjobs shop "$1" | lab_json 'd.get("status", {}).get("lastScheduleTime", "")'; }
blue_ran_last() {
	_b=$(last_run lone-blue) _g=$(last_run lone-green)
	[ -n "$_b" ] && [ "$_b" != "$_g" ] && [ "$(printf '%s\n%s\n' "$_g" "$_b" | sort | tail -1)" = "$_b" ]
}
lab_wait 15 blue_ran_last || nok "blue fires after the rollback" "blue $(last_run lone-blue), green $(last_run lone-green)"
expect_out "without cronjobs/status the handoff fails, naming it, and blue keeps the job" 1 "cronjobs/status|status" \
	cli move -c "$dir/least.json" lone --to green --yes
expect_obj "lone-blue still runs the job" cronjobs shop lone-blue 'd["spec"]["suspend"]' false

expect_out "the journal verifies after all of it" 0 "journal OK" cli journal $C --verify
finish
