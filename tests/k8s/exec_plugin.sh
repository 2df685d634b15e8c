#!/bin/sh
# exec_plugin.sh - a client-go exec credential plugin for tests against the
# API double. Each call mints a new bearer token, registers it with the
# double through its control API (PUT /_double/tokens/T) for USER, expiring
# TTL seconds from now, and prints a client.authentication.k8s.io/v1
# ExecCredential with status.token and status.expirationTimestamp.
#
#	exec_plugin.sh --control URL --secret S --cacert CA --user USER
#	               [--groups G1,G2] [--ttl SECONDS] [--count FILE]
#
# Every option also reads from the environment (EXEC_PLUGIN_CONTROL, _SECRET,
# _CACERT, _USER, _GROUPS, _TTL, _COUNT); an argument wins. --ttl defaults
# to 3600. --count FILE gets one line per call: the token minted, then the
# KUBERNETES_EXEC_INFO it was given, on one line; so `wc -l` counts calls.
# Like a real plugin it refuses to run without KUBERNETES_EXEC_INFO (the
# client must set it, kubernetes client-go does): exit 1, message on stderr.
# It does not need the caller's PATH.
PATH=/usr/local/bin:/usr/bin:/bin
export PATH
me=exec_plugin.sh

control=${EXEC_PLUGIN_CONTROL:-} secret=${EXEC_PLUGIN_SECRET:-} cacert=${EXEC_PLUGIN_CACERT:-}
user=${EXEC_PLUGIN_USER:-} groups=${EXEC_PLUGIN_GROUPS:-} ttl=${EXEC_PLUGIN_TTL:-3600}
count=${EXEC_PLUGIN_COUNT:-}
while [ $# -gt 0 ]; do
	[ $# -ge 2 ] || { echo "$me: $1 needs a value" >&2; exit 2; }
	case $1 in
	--control) control=$2 ;;
	--secret) secret=$2 ;;
	--cacert) cacert=$2 ;;
	--user) user=$2 ;;
	--groups) groups=$2 ;;
	--ttl) ttl=$2 ;;
	--count) count=$2 ;;
	*) echo "$me: unknown option $1" >&2; exit 2 ;;
	esac
	shift 2
done
for v in control secret cacert user; do
	eval "[ -n \"\$$v\" ]" || { echo "$me: --$v is required" >&2; exit 2; }
done
case $ttl in '' | *[!0-9]*) echo "$me: --ttl must be whole seconds" >&2; exit 2 ;; esac

if [ -z "${KUBERNETES_EXEC_INFO:-}" ]; then
	echo "$me: KUBERNETES_EXEC_INFO is not set: the client must pass it to an exec plugin" >&2
	exit 1
fi
case $KUBERNETES_EXEC_INFO in
*ExecCredential*) ;;
*) echo "$me: KUBERNETES_EXEC_INFO is not an ExecCredential: $KUBERNETES_EXEC_INFO" >&2; exit 1 ;;
esac

now=$(date +%s)
exp=$((now + ttl))
stamp=$(date -u -d "@$exp" +%Y-%m-%dT%H:%M:%SZ) || exit 1
token=exec-$user-$now-$$-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
gl=
old_ifs=$IFS
IFS=,
for g in $groups; do gl="$gl${gl:+,}\"$g\""; done
IFS=$old_ifs

code=$(curl -sS --noproxy '*' -m 5 --cacert "$cacert" -o /dev/null -w '%{http_code}' -X PUT \
	-H "X-Double-Control: $secret" -H "Content-Type: application/json" \
	--data-binary "{\"user\":\"$user\",\"groups\":[$gl],\"expires\":$exp}" \
	"$control/_double/tokens/$token") || { echo "$me: cannot reach the double at $control" >&2; exit 1; }
[ "$code" = 200 ] || { echo "$me: the double refused the token (HTTP $code)" >&2; exit 1; }

if [ -n "$count" ]; then
	printf '%s %s\n' "$token" "$(printf '%s' "$KUBERNETES_EXEC_INFO" | tr '\n' ' ')" >> "$count" || exit 1
fi
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s","expirationTimestamp":"%s"}}\n' \
	"$token" "$stamp"
