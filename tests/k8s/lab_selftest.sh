#!/bin/sh
# lab_selftest.sh - the lab itself (tests/k8s/lab.sh), without cutover: two
# doubles, a kubeconfig of every user kind that python's yaml reads back
# as meant, each user's credentials used with curl, the exec plugin (its
# refusal without KUBERNETES_EXEC_INFO, its token, its count, its expiry),
# and the control helpers. Run from the repository root; ~3 s.
. tests/lib/assert.sh
. tests/k8s/lab.sh
dir=$(mktemp -d)
pids=
cleanup() {
	for p in $pids; do stop_pid "$p"; done
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cat > "$dir/state.json" <<'EOF'
{"tokens": {"t-ops": {"user": "ops-bot", "groups": ["ops"], "expires": null},
            "t-file": {"user": "tf-user", "groups": [], "expires": null}},
 "rbac": {"ops": [{}], "devs": [{}], "tf-user": [{"verbs": ["get"], "resources": ["services"]}],
          "exec-user": [{"verbs": ["get", "patch"], "apiGroups": [""], "resources": ["services"]}]},
 "objects": [{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"},
              "spec": {"selector": {"app": "web", "track": "blue"}}}]}
EOF
lab_start "$dir/a" "$dir/state.json" || { echo "not ok - double a did not start"; exit 1; }
pids="$pids $LAB_PID"
lab_start "$dir/b" "$dir/state.json" || { echo "not ok - double b did not start"; exit 1; }
pids="$pids $LAB_PID"
check "two doubles on two ports" test "$(cat "$dir/a/port")" != "$(cat "$dir/b/port")"
check "lab_start set LAB_URL, LAB_CA and LAB_PID" sh -c \
	"test '$LAB_URL' = https://127.0.0.1:$(cat "$dir/b/port") && test -s '$LAB_CA' && kill -0 $LAB_PID"

printf 't-file\n' > "$dir/tokenfile"
lab_kubeconfig "$dir/kc" "main $dir/a token t-ops" "tf $dir/a tokenfile $dir/tokenfile ca=file" \
	"alice $dir/a cert" "alicef $dir/a certfile ns=other" \
	"ex $dir/a exec exec-user $dir/count 120" "other $dir/b token t-ops user=ops-b" \
	"anon $dir/b none ca=none"
check "the kubeconfig reads back as meant" "$LAB_PY" - "$dir/kc" "$dir" <<'PY'
import base64, json, sys, yaml
kc = yaml.safe_load(open(sys.argv[1])); d = sys.argv[2]
assert kc["current-context"] == "main", kc["current-context"]
cl = {c["name"]: c["cluster"] for c in kc["clusters"]}
cx = {c["name"]: c["context"] for c in kc["contexts"]}
us = {u["name"]: u["user"] for u in kc["users"]}
url = lambda lab: open("%s/%s/url" % (d, lab)).read().strip()
assert cl["main-cluster"]["server"] == url("a") and cl["other-cluster"]["server"] == url("b")
assert base64.b64decode(cl["main-cluster"]["certificate-authority-data"]) == open(d + "/a/ca.crt", "rb").read()
assert cl["tf-cluster"]["certificate-authority"] == d + "/a/ca.crt"
assert "certificate-authority" not in cl["anon-cluster"] and "certificate-authority-data" not in cl["anon-cluster"]
assert cx["main"] == {"cluster": "main-cluster", "user": "main-user", "namespace": "shop"}, cx["main"]
assert cx["alicef"]["namespace"] == "other" and cx["other"]["user"] == "ops-b"
assert us["main-user"] == {"token": "t-ops"} and us["tf-user"] == {"tokenFile": d + "/tokenfile"}
assert base64.b64decode(us["alice-user"]["client-key-data"]) == open(d + "/a/alice.key", "rb").read()
assert us["alicef-user"]["client-certificate"] == d + "/a/alice.crt"
ex = us["ex-user"]["exec"]
assert ex["apiVersion"] == "client.authentication.k8s.io/v1" and ex["command"] == "/bin/sh"
assert ex["args"][0].endswith("tests/k8s/exec_plugin.sh") and "--control" in ex["args"]
assert ex["env"] == [{"name": "LAB_PLUGIN_CONTEXT", "value": "ex"}]
assert us["anon-user"] == {}
PY

# The exec plugin, run the way the kubeconfig says.
plugin() {	# runs the "ex" user's exec command with ENV... in front
	"$LAB_PY" - "$dir/kc" "$@" <<'PY'
import os, subprocess, sys, yaml
ex = {u["name"]: u["user"] for u in yaml.safe_load(open(sys.argv[1]))["users"]}["ex-user"]["exec"]
env = {"PATH": "/nonexistent"}
env.update(kv.split("=", 1) for kv in sys.argv[2:])
env.update((e["name"], e["value"]) for e in ex.get("env") or [])
r = subprocess.run([ex["command"]] + ex["args"], env=env, capture_output=True, text=True)
sys.stdout.write(r.stdout); sys.stderr.write(r.stderr); sys.exit(r.returncode)
PY
}
expect_out "the plugin refuses to run without KUBERNETES_EXEC_INFO" 1 "KUBERNETES_EXEC_INFO is not set" plugin
check "a refused call is not counted" test ! -e "$dir/count"
info='{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}'
plugin "KUBERNETES_EXEC_INFO=$info" > "$dir/cred.json" 2>"$dir/cred.err"
check "the plugin answers an ExecCredential (with no PATH of ours)" "$LAB_PY" - "$dir/cred.json" <<'PY'
import datetime, json, sys, time
c = json.load(open(sys.argv[1]))
assert c["apiVersion"] == "client.authentication.k8s.io/v1" and c["kind"] == "ExecCredential", c
t = datetime.datetime.strptime(c["status"]["expirationTimestamp"], "%Y-%m-%dT%H:%M:%SZ")
left = t.replace(tzinfo=datetime.timezone.utc).timestamp() - time.time()
assert 110 <= left <= 121, left
PY
tok=$(lab_json 'd["status"]["token"]' < "$dir/cred.json")
check "the call is counted, with the exec info it got" sh -c \
	"test \$(wc -l < '$dir/count') -eq 1 && grep -q '^$tok .*\"interactive\":false' '$dir/count'"
lab_use "$dir/a"
check "its token works on the double" lab_api GET /api/v1/namespaces/shop/services/web "$tok"
logged_user() { lab_log | grep -q "\"user\":\"$1\""; }
check "and is the exec user's" logged_user exec-user
lab_expire "$tok" >/dev/null
lab_api GET /api/v1/namespaces/shop/services/web "$tok" >/dev/null 2>&1
expect_eq "lab_expire: the token is refused (401)" 401 "$LAB_CODE"
plugin "KUBERNETES_EXEC_INFO=$info" > "$dir/cred2.json" 2>/dev/null
tok2=$(lab_json 'd["status"]["token"]' < "$dir/cred2.json")
check "a second call mints a new token that works" sh -c \
	"test '$tok2' != '$tok' && test \$(wc -l < '$dir/count') -eq 2"
check "the new token works" lab_api GET /api/v1/namespaces/shop/services/web "$tok2"

# Every user kind's credentials, with curl.
check "token user" lab_api GET /api/v1/namespaces/shop/services/web t-ops
check "tokenFile user (its token)" lab_api GET /api/v1/namespaces/shop/services/web "$(cat "$dir/tokenfile")"
check "client certificate user (alice, O=devs)" lab_api GET /api/v1/namespaces/shop/services/web cert
lab_api GET /api/v1/namespaces/shop/services/web - >/dev/null 2>&1
expect_eq "no credentials: 401" 401 "$LAB_CODE"
lab_api PATCH /api/v1/namespaces/shop/services/web t-file application/merge-patch+json '{"spec":{}}' \
	> "$dir/403.json" 2>/dev/null
check "403 Status text for a patch without the verb" grep -qF \
	'services \"web\" is forbidden: User \"tf-user\" cannot patch resource \"services\"' "$dir/403.json"

# Control helpers.
expect_obj "lab_obj reads an object" services shop web 'd["spec"]["selector"]' '{"app":"web","track":"blue"}'
rv=$(lab_obj services shop web | lab_json 'd["metadata"]["resourceVersion"]')
lab_conflicts services shop web 2 >/dev/null
lab_api PATCH /api/v1/namespaces/shop/services/web t-ops application/merge-patch+json \
	"{\"metadata\":{\"resourceVersion\":\"$rv\"},\"spec\":{\"selector\":{\"track\":\"green\"}}}" >/dev/null 2>&1
expect_eq "lab_conflicts: a patch at the read resourceVersion gets 409" 409 "$LAB_CODE"
expect_eq "lab_patches counts it, by user" 1 "$(lab_patches services shop web ops-bot)"
lab_conflicts_clear services shop web
expect_eq "lab_conflicts_clear: nothing pending" 0 "$(lab_conflicts services shop web 0 | lab_json 'd["pending"]')"
rv=$(lab_obj services shop web | lab_json 'd["metadata"]["resourceVersion"]')
lab_api PATCH /api/v1/namespaces/shop/services/web t-ops application/merge-patch+json \
	"{\"metadata\":{\"resourceVersion\":\"$rv\"},\"spec\":{\"selector\":{\"track\":\"green\"}}}" >/dev/null 2>&1
expect_eq "after the clear the same patch applies" 200 "$LAB_CODE"
lab_obj services shop web | "$LAB_PY" -c '
import json, sys
d = json.load(sys.stdin); d["spec"]["selector"] = {"app": "web", "track": "blue"}; print(json.dumps(d))' |
	lab_put_obj services shop web - >/dev/null
expect_obj "lab_put_obj replaces it" services shop web 'd["spec"]["selector"]["track"]' blue
lab_token t-new someone null g1 g2 >/dev/null
expect_eq "lab_token creates a token with groups" '["g1","g2"]' "$(lab_ctl PUT tokens/t-new '{}' | lab_json 'd["groups"]')"
expect_eq "lab_ledger answers" '[]' "$(lab_ledger since=0 | lab_json 'd["runs"]')"
lab_use "$dir/b"
expect_eq "lab_use: control calls go to the other double (its log is empty)" 0 "$(lab_log | lab_json 'd["counters"]["requests"]')"
lab_ctl GET nosuch >/dev/null 2>&1
check "lab_ctl fails on a non-2xx answer" test $? -ne 0
finish
