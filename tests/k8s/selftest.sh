#!/bin/bash
# selftest.sh - exercise the Kubernetes API double over real TLS with curl and python.
# Prints "ok - ..." / "not ok - ..." and "N passed, M failed"; exit 0 iff all pass.
# Every process it starts is stopped by PID in the EXIT trap.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
W=$(mktemp -d /tmp/apidouble-selftest.XXXXXX)
PIDS=()
PASS=0
FAIL=0
SECRET=selftest-$$

cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { PASS=$((PASS + 1)); echo "ok - $1"; }
notok() { FAIL=$((FAIL + 1)); echo "not ok - $1"; [ -s "$W/body" ] && echo "#   last body: $(head -c 400 "$W/body")"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else notok "$d"; fi; }

# api METHOD PATH AUTH [CTYPE BODY] - AUTH is a token, "cert", or "-"; sets CODE, body in $W/body
api() {
    local m=$1 path=$2 auth=$3 ctype=${4:-} data=${5:-} port=${APIPORT:-$PORT}
    local args=(-sS -o "$W/body" -w '%{http_code}' --cacert "$W/pki/ca.crt" -X "$m")
    case $auth in
        -) ;;
        cert) args+=(--cert "$W/pki/alice.crt" --key "$W/pki/alice.key") ;;
        *) args+=(-H "Authorization: Bearer $auth") ;;
    esac
    [ -n "$ctype" ] && args+=(-H "Content-Type: $ctype" --data-binary "$data")
    CODE=$(curl "${args[@]}" "https://127.0.0.1:$port$path" 2>"$W/curl.err")
}
ctl() {   # ctl METHOD PATH [BODY]
    CODE=$(curl -sS -o "$W/body" -w '%{http_code}' --cacert "$W/pki/ca.crt" -X "$1" \
        -H "X-Double-Control: $SECRET" ${3:+--data-binary "$3"} "https://127.0.0.1:$PORT/_double/$2")
}
# j EXPR - evaluate a python expression over the last body as d
j() { $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$W/body" "$1" 2>/dev/null; }
is() { [ "$(j "$1")" = "$2" ]; }
# wait_until SECS CMD... - poll every 0.25 s, no busy loop
wait_until() { local end=$(( $(date +%s) + $1 )); shift
    while ! "$@"; do [ "$(date +%s)" -ge "$end" ] && return 1; sleep 0.25; done; }

start_double() {   # start_double NAME [extra args] -> sets port in $W/NAME.port
    local name=$1; shift
    $PY "$HERE/apidouble.py" --state "$W/state.json" --tls-cert "$W/pki/server.crt" \
        --tls-key "$W/pki/server.key" --client-ca "$W/pki/ca.crt" --port-file "$W/$name.port" \
        --control-secret "$SECRET" "$@" 2>"$W/$name.log" &
    PIDS+=($!)
    LASTPID=$!
    wait_until 10 test -s "$W/$name.port" || { echo "not ok - $name did not start"; cat "$W/$name.log"; exit 1; }
}

"$HERE/mkca.sh" "$W/pki" >/dev/null || { echo "not ok - mkca.sh"; exit 1; }

# The state is generated now because the catch-up CronJobs need a schedule that fired ~20 s ago.
$PY - "$W/state.json" <<'EOF'
import json, sys, time
now = int(time.time())
T = now - 20                      # the catch-up schedule fired at T and then every hour before
S, M = T % 60, (T // 60) % 60
two_hours_ago = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 7200))
hour_ago = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 3600))
def cj(name, schedule, suspend, ann=None, **spec):
    o = {"apiVersion": "batch/v1", "kind": "CronJob",
         "metadata": {"name": name, "namespace": "shop", "annotations": ann or {}},
         "spec": dict(schedule=schedule, suspend=suspend,
                      jobTemplate={"metadata": {"annotations": {"double.test/run-seconds": "0.5"}},
                                   "spec": {"template": {"spec": {"restartPolicy": "Never",
                                            "containers": [{"name": "c", "image": "busybox"}]}}}}, **spec)}
    return o
catch = "%d %d * * * *" % (S, M)
old = lambda o: (o["metadata"].__setitem__("creationTimestamp", two_hours_ago), o)[1]
flood = cj("flood", "* * * * * *", False)
flood["status"] = {"lastScheduleTime": hour_ago}
state = {
  "tokens": {"t-alice": {"user": "alice", "groups": ["devs"], "expires": None},
             "t-bob": {"user": "bob", "groups": [], "expires": None},
             "t-admin": {"user": "admin", "groups": ["ops"], "expires": None},
             "t-expired": {"user": "alice", "groups": [], "expires": now - 10},
             "t-soon": {"user": "alice", "groups": [], "expires": None}},
  "rbac": {"alice": [{"verbs": ["get", "list", "patch"], "apiGroups": [""], "resources": ["services"],
                      "namespaces": ["shop"], "resourceNames": []},
                     {"verbs": ["list"], "apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"],
                      "namespaces": ["shop"]}],
           "bob": [{"verbs": ["get", "list"], "apiGroups": [""], "resources": ["services"], "namespaces": ["shop"]}],
           "devs": [{"verbs": ["get"], "apiGroups": ["gateway.networking.k8s.io"], "resources": ["httproutes"]}],
           "ops": [{}]},
  "objects": [
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"},
     "spec": {"selector": {"app": "web", "color": "blue"}, "ports": [{"port": 80}]}},
    {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
     "metadata": {"name": "web-a1", "namespace": "shop", "labels": {"kubernetes.io/service-name": "web"}},
     "addressType": "IPv4", "endpoints": [{"addresses": ["10.0.0.1"]}]},
    {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
     "metadata": {"name": "api-b2", "namespace": "shop", "labels": {"kubernetes.io/service-name": "api"}},
     "addressType": "IPv4", "endpoints": []},
    {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {"name": "web", "namespace": "shop"},
     "spec": {"rules": [{"backendRefs": [{"name": "web-blue", "port": 80, "weight": 100},
                                         {"name": "web-green", "port": 80, "weight": 0}]}]}},
    {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web", "namespace": "shop"},
     "spec": {"rules": [{"host": "shop.example"}]}},
    cj("tick", "*/2 * * * * *", False),
    old(cj("nightly-a", catch, True)),
    old(cj("nightly-b", catch, True, startingDeadlineSeconds=10)),
    old(cj("nightly-c", catch, True, startingDeadlineSeconds=3600, timeZone="Europe/Berlin")),
    flood,
    cj("sync-blue", "* * * * * *", False, {"double.test/ledger-key": "sync"}),
    cj("sync-green", "* * * * * *", True, {"double.test/ledger-key": "sync"}),
  ]}
json.dump(state, open(sys.argv[1], "w"))
open(sys.argv[1] + ".T", "w").write(str(T))
EOF
CATCH_T=$(cat "$W/state.json.T")

start_double main
MAINPID=$LASTPID
PORT=$(cat "$W/main.port")
S=/api/v1/namespaces/shop/services
CJ=/apis/batch/v1/namespaces/shop/cronjobs
JOBS=/apis/batch/v1/namespaces/shop/jobs
MP=application/merge-patch+json
JP=application/json-patch+json

# --- TLS and authentication ---
api GET $S/web t-alice
check "TLS with the per-test CA (curl --cacert) and bearer token get" [ "$CODE" = 200 ]
curl -sS -o /dev/null "https://127.0.0.1:$PORT/version" 2>/dev/null; rc=$?
check "TLS without the test CA is refused by the client (curl rc=$rc)" [ "$rc" = 60 ]
proto=$($PY -c 'import ssl,socket,sys
c=ssl.create_default_context(cafile=sys.argv[1]); s=c.wrap_socket(socket.create_connection(("127.0.0.1",int(sys.argv[2]))),server_hostname="localhost"); print(s.version())' "$W/pki/ca.crt" "$PORT")
check "python ssl verifies localhost SAN and negotiates $proto" [ "${proto#TLSv1.}" = 3 -o "${proto#TLSv1.}" = 2 ]
api GET $S/web -
check "401 without credentials, real Status body" is 'json.dumps(d,separators=(",",":"))' \
    '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}'
api GET $S/web t-expired
check "401 with an expired token" [ "$CODE" = 401 ]
api GET $S/web t-unknown
check "401 with an unknown token" [ "$CODE" = 401 ]
api GET $S/web cert
check "client certificate auth (CN=alice) reads a service" [ "$CODE" = 200 ]
api GET /apis/gateway.networking.k8s.io/v1/namespaces/shop/httproutes/web cert
check "client certificate O=devs is a group: devs rule grants httproutes get" [ "$CODE" = 200 ]
ctl POST tokens/t-soon/expire
api GET $S/web t-soon
check "control API: expire a token now -> 401" [ "$CODE" = 401 ]
ctl PUT tokens/t-soon '{"expires": null}'
api GET $S/web t-soon
check "control API: set a token's expiry to null -> 200 again" [ "$CODE" = 200 ]

# --- authorization ---
api PATCH $S/web t-bob $MP '{"spec":{"selector":{"color":"green"}}}'
check "403 message form for patch" is 'd["message"]' \
    'services "web" is forbidden: User "bob" cannot patch resource "services" in API group "" in the namespace "shop"'
check "403 Status has reason Forbidden, code and details{name,kind}" \
    is '(d["reason"],d["code"],d["details"])' "('Forbidden', 403, {'name': 'web', 'kind': 'services'})"
api GET $CJ t-bob
check "403 for list in a group names the qualified resource" is 'd["message"]' \
    'cronjobs.batch is forbidden: User "bob" cannot list resource "cronjobs" in API group "batch" in the namespace "shop"'
api GET /api/v1/namespaces/prod/services/web t-alice
check "403 outside the rule's namespaces" [ "$CODE" = 403 ]

# --- get / list ---
api GET $S t-alice
check "list returns ServiceList with metadata.resourceVersion and items" \
    is '(d["kind"], d["apiVersion"], isinstance(d["metadata"]["resourceVersion"], str), len(d["items"]))' "('ServiceList', 'v1', True, 1)"
api GET /apis/discovery.k8s.io/v1/namespaces/shop/endpointslices?labelSelector=kubernetes.io/service-name%3Dweb t-alice
check "endpointslices list by labelSelector kubernetes.io/service-name=web" \
    is '(d["kind"], [i["metadata"]["name"] for i in d["items"]])' "('EndpointSliceList', ['web-a1'])"
api GET $S/web t-admin
check "double filled uid, creationTimestamp, resourceVersion" \
    is 'all(d["metadata"].get(k) for k in ("uid","creationTimestamp","resourceVersion"))' True
RV=$(j 'd["metadata"]["resourceVersion"]')

# --- patches ---
api PATCH $S/web t-alice $MP '{"spec":{"selector":{"color":"green"}}}'
check "merge patch applies and bumps resourceVersion" is '(d["spec"]["selector"], int(d["metadata"]["resourceVersion"]) > '"$RV"')' \
    "({'app': 'web', 'color': 'green'}, True)"
api PATCH $S/web t-alice $MP '{"metadata":{"resourceVersion":"'"$RV"'"},"spec":{"selector":{"color":"blue"}}}'
check "merge patch with stale resourceVersion -> 409 Conflict body" \
    is '(d["code"], d["reason"], d["message"], d["details"])' \
    "(409, 'Conflict', 'Operation cannot be fulfilled on services \"web\": the object has been modified; please apply your changes to the latest version and try again', {'name': 'web', 'kind': 'services'})"
api PATCH $S/web t-alice $JP '[{"op":"test","path":"/spec/selector/color","value":"blue"},{"op":"replace","path":"/spec/selector/color","value":"blue"}]'
check "json patch failed test -> 422 Invalid" is '(d["code"], d["reason"])' "(422, 'Invalid')"
check "422 carries the json-patch error as a cause" is '"test failed" in d["details"]["causes"][0]["message"]' True
api PATCH $S/web t-alice $JP '[{"op":"test","path":"/spec/selector/color","value":"green"},{"op":"copy","from":"/spec/selector/color","path":"/metadata/labels"},{"op":"remove","path":"/metadata/labels"},{"op":"add","path":"/metadata/labels","value":{"a":"b"}},{"op":"move","from":"/metadata/labels/a","path":"/metadata/labels/c"}]'
check "json patch test/copy/remove/add/move apply" is 'd["metadata"]["labels"]' "{'c': 'b'}"
for ct in application/strategic-merge-patch+json application/json text/plain; do
    api PATCH $S/web t-alice $ct '{"spec":{}}'
    check "415 Status for patch Content-Type $ct" is '(d["code"], d["reason"])' "(415, 'UnsupportedMediaType')"
done
api PATCH $S/web t-alice $MP '{"spec":{"selector":{"color":5}}}'
check "422 when Service spec.selector value is not a string" is '(d["code"], d["reason"])' "(422, 'Invalid')"
api PATCH $S/web t-alice $MP '{"metadata":{"name":"web2"}}'
check "422 when patching metadata.name" is 'd["message"]' 'Service "web" is invalid: metadata.name: Invalid value: "web2": field is immutable'
api PATCH /apis/gateway.networking.k8s.io/v1/namespaces/shop/httproutes/web t-admin $JP '[{"op":"replace","path":"/spec/rules/0/backendRefs/1/weight","value":2000000}]'
check "422 when HTTPRoute backendRef weight > 1000000" is 'd["details"]["causes"][0]["field"]' 'spec.rules[0].backendRefs[1].weight'
api PATCH $CJ/tick t-admin $MP '{"spec":{"suspend":"yes"}}'
check "422 when CronJob spec.suspend is not a bool" [ "$CODE" = 422 ]

# --- 404 forms ---
api GET /api/v1/namespaces/shop/nopes t-admin
check "404 for an unknown path" is '(d["code"], d["reason"], d["message"])' "(404, 'NotFound', 'the server could not find the requested resource')"
api GET $S/nope t-alice
check "404 for an unknown object, with details" is '(d["message"], d["details"])' "('services \"nope\" not found', {'name': 'nope', 'kind': 'services'})"

# --- injected conflict: a concurrent writer lands before the next write ---
api GET $S/web t-alice; RV=$(j 'd["metadata"]["resourceVersion"]')
ctl POST conflicts '{"resource":"services","namespace":"shop","name":"web","count":2}'
api PATCH $S/web t-alice $MP '{"metadata":{"resourceVersion":"'"$RV"'"},"spec":{"selector":{"color":"blue"}}}'
check "injected conflict: fresh resourceVersion still gets 409" [ "$CODE" = 409 ]
api PATCH $S/web t-alice $MP '{"spec":{"selector":{"color":"blue"}}}'
check "injected conflict: a patch without resourceVersion wins like a server-side retry" [ "$CODE" = 200 ]
ctl GET log
check "control API request log records method, path, content-type, user, status" \
    is 'any(r["status"]==409 and r["user"]=="alice" and r["contentType"]=="'$MP'" and r["method"]=="PATCH" for r in d["requests"])' True
CODE=$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$W/pki/ca.crt" -H "X-Double-Control: wrong" "https://127.0.0.1:$PORT/_double/log")
check "control API refuses a wrong secret" [ "$CODE" = 403 ]

# --- the old-server mode and SIGTERM ---
start_double old --old-server
OLDPID=$LASTPID
APIPORT=$(cat "$W/old.port") api PATCH $S/web t-alice $JP '[{"op":"test","path":"/spec/selector/color","value":"nope"}]'
check "--old-server: failed test -> 500 'Testing value ... failed'" is '(d["code"], d["message"])' "(500, 'Testing value /spec/selector/color failed')"
kill -TERM $OLDPID; wait $OLDPID; rc=$?
check "SIGTERM exits 0" [ "$rc" = 0 ]

# --- CronJob controller ---
T0=$(date +%s)
tick_jobs() { api GET "$JOBS?labelSelector=cronjob.double/name%3Dtick" t-admin; [ "$(j 'len(d["items"])')" -ge 2 ]; }
check "controller creates Jobs on a seconds schedule" wait_until 8 tick_jobs
check "Job names are <cronjob>-<seconds since epoch> on the schedule" \
    is 'all(i["metadata"]["name"].startswith("tick-") and int(i["metadata"]["name"][5:]) % 2 == 0 for i in d["items"])' True
api GET $CJ/tick t-admin; UID_TICK=$(j 'd["metadata"]["uid"]')
api GET "$JOBS?labelSelector=cronjob.double/name%3Dtick" t-admin
check "Jobs carry a controller ownerReference to the CronJob" \
    is 'all(i["metadata"]["ownerReferences"][0]["uid"]=="'$UID_TICK'" and i["metadata"]["ownerReferences"][0]["controller"] for i in d["items"])' True
tick_done() { api GET "$JOBS?labelSelector=cronjob.double/name%3Dtick" t-admin; is 'any(i["status"].get("succeeded")==1 and "completionTime" in i["status"] and "active" not in i["status"] for i in d["items"])' True; }
check "Jobs complete after double.test/run-seconds" wait_until 5 tick_done
api GET $CJ/tick/status t-admin
check "cronjob status subresource shows lastScheduleTime and lastSuccessfulTime" \
    is '("lastScheduleTime" in d["status"], "lastSuccessfulTime" in d["status"])' "(True, True)"

# catch-up on unsuspend, and the two blue/green phases of the ledger, run side by side
T1=$(date +%s)
for n in nightly-a nightly-b nightly-c sync-green; do api PATCH $CJ/$n t-admin $MP '{"spec":{"suspend":false}}'; done
api PATCH $CJ/tick t-admin $MP '{"spec":{"suspend":true}}'
TS=$($PY -c 'import time; print(time.time())')
job_exists() { api GET "$JOBS/$1" t-admin; [ "$CODE" = 200 ]; }
check "unsuspend without startingDeadlineSeconds starts the missed run at once (nightly-a-$CATCH_T)" wait_until 3 job_exists "nightly-a-$CATCH_T"
check "unsuspend with startingDeadlineSeconds=3600 and timeZone starts the missed run" wait_until 3 job_exists "nightly-c-$CATCH_T"
sleep 1.5
api GET "$JOBS?labelSelector=cronjob.double/name%3Dnightly-b" t-admin
check "unsuspend with startingDeadlineSeconds=10 skips a schedule missed 20 s+ ago" is 'len(d["items"])' 0
api GET "$JOBS?labelSelector=cronjob.double/name%3Dtick" t-admin
check "suspend stops Job creation" is 'all(int(i["metadata"]["name"][5:]) <= '"$TS"' for i in d["items"])' True
ctl GET events
check "more than 100 missed schedules: error event, nothing starts" \
    is 'any(e["object"]=="shop/flood" and e["reason"]=="TooManyMissedTimes" for e in d["events"])' True
api GET "$JOBS?labelSelector=cronjob.double/name%3Dflood" t-admin
check "no Job for the CronJob with too many missed schedules" is 'len(d["items"])' 0

sleep 1
ctl GET "ledger?since=$((T1 + 1))"
check "ledger: both copies unsuspended -> doubles" is 'len(d["doubles"]["sync"]) >= 1 and d["doubles"]["sync"][0]["cronjobs"]' "['shop/sync-blue', 'shop/sync-green']"
check "ledger: overlapping active Jobs of one ledger key are counted" is 'd["overlaps"] >= 1' True
check "ledger runs have cronjob, scheduled, job, started" is 'all(k in r for r in d["runs"] for k in ("cronjob","scheduled","job","started"))' True
T2=$(date +%s)
for n in sync-blue sync-green; do api PATCH $CJ/$n t-admin $MP '{"spec":{"suspend":true}}'; done
sleep_until=$((T2 + 8)); while [ "$(date +%s)" -lt $sleep_until ]; do sleep 0.5; done
ctl GET "ledger?since=$((T2 + 2))&until=$((T2 + 3))"
check "ledger: both copies suspended -> missed schedules" is 'd["missed"]["sync"]' "[$((T2 + 2)), $((T2 + 3))]"
check "ledger: no doubles while both are suspended" is 'd["doubles"]["sync"]' "[]"

kill -TERM $MAINPID; wait $MAINPID; rc=$?
check "main double exits 0 on SIGTERM" [ "$rc" = 0 ]
echo "$PASS passed, $FAIL failed ($(( $(date +%s) - T0 + 0 ))s of controller tests)"
[ "$FAIL" = 0 ]
