# lab.sh - a Kubernetes lab for shell tests: API doubles (tests/k8s/apidouble.py)
# over a throwaway CA, kubeconfigs naming them, and the double's control API.
# POSIX sh; source it from the repository root after tests/lib/assert.sh:
#
#	. tests/lib/assert.sh
#	. tests/k8s/lab.sh
#	lab_start "$dir/a" "$dir/a.json" || exit 1	# sets LAB_* (below)
#	pids="$pids $LAB_PID"				# the caller's trap: lab_stop / stop_pid
#	lab_kubeconfig "$dir/kubeconfig" "main $dir/a token t-ops"
#	lab_obj services shop web | lab_json 'd["spec"]["selector"]'
#
# A started double is a directory (mkca.sh's files, port, url, secret, pid,
# double.log); lab_use DIR makes it the one the lab_ctl family talks to, so a
# test can hold two clusters. Everything is on 127.0.0.1.
#
# Functions:
#	lab_start DIR STATE_JSON [APIDOUBLE_ARG...]	start a double; sets LAB_*
#	lab_stop [PID]					stop it (default $LAB_PID)
#	lab_use DIR					talk to that started double
#	lab_kubeconfig FILE ENTRY...			write a kubeconfig (see below)
#	lab_ctl METHOD PATH [BODY]			control API call; body on stdout
#	lab_obj RESOURCE NS NAME			an object, no auth
#	lab_put_obj RESOURCE NS NAME JSON|-		replace or create it
#	lab_del_obj RESOURCE NS NAME
#	lab_conflicts RESOURCE NS NAME COUNT		next COUNT patches conflict
#	lab_conflicts_clear RESOURCE NS NAME		drop the pending ones
#	lab_expire TOKEN				token expires now
#	lab_token TOKEN USER [EXPIRES|null [GROUP...]]	create or set a token
#	lab_rbac JSON					replace the rbac map
#	lab_log / lab_log_clear / lab_events / lab_ledger [QUERY]
#	lab_api METHOD PATH AUTH [CTYPE BODY]		a real API call (AUTH: token or "cert")
#	lab_json EXPR					python EXPR over stdin's JSON as d
#	lab_patches RESOURCE NS NAME [USER [STATUS]]	PATCHes of that object in the log
#	expect_obj NAME RESOURCE NS OBJ EXPR WANT	assertion on an object's field
#	expect_eq NAME WANT GOT				assertion on two strings
#	lab_wait SECONDS CMD...				poll CMD every 0.1 s
#
# Needs curl, openssl, base64 and /usr/bin/python3.

command -v stop_pid >/dev/null 2>&1 || . tests/lib/sim.sh
LAB_K8S=${LAB_K8S:-$(pwd)/tests/k8s}
LAB_PY=${LAB_PY:-/usr/bin/python3}
[ -x "$LAB_PY" ] || LAB_PY=python3
_lab_n=0

# lab_start DIR STATE_JSON [APIDOUBLE_ARG...]: mkca.sh DIR, then the double
# on a free port with a fresh control secret; waits up to 10 s for its port
# file. Sets LAB_DIR LAB_PID LAB_PORT LAB_URL LAB_CA LAB_SECRET (and writes
# them under DIR for lab_use). On failure prints the double's log to stderr,
# stops it and returns 1.
lab_start() {
	_ls_dir=$1 _ls_state=$2
	shift 2
	mkdir -p "$_ls_dir" || return 1
	"$LAB_K8S/mkca.sh" "$_ls_dir" >/dev/null || { echo "lab_start: mkca.sh $_ls_dir failed" >&2; return 1; }
	_lab_n=$((_lab_n + 1))
	_ls_secret=lab-$$-$_lab_n-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
	rm -f "$_ls_dir/port"
	"$LAB_PY" "$LAB_K8S/apidouble.py" --state "$_ls_state" \
		--tls-cert "$_ls_dir/server.crt" --tls-key "$_ls_dir/server.key" \
		--client-ca "$_ls_dir/ca.crt" --port-file "$_ls_dir/port" \
		--control-secret "$_ls_secret" "$@" 2>>"$_ls_dir/double.log" &
	_ls_pid=$!
	_ls_i=0
	while [ ! -s "$_ls_dir/port" ]; do
		if ! kill -0 "$_ls_pid" 2>/dev/null || [ $_ls_i -ge 100 ]; then
			echo "lab_start: the API double did not start:" >&2
			cat "$_ls_dir/double.log" >&2
			stop_pid "$_ls_pid"
			return 1
		fi
		sleep 0.1
		_ls_i=$((_ls_i + 1))
	done
	_ls_port=$(cat "$_ls_dir/port")
	echo "$_ls_pid" > "$_ls_dir/pid"
	printf '%s\n' "$_ls_secret" > "$_ls_dir/secret"
	echo "https://127.0.0.1:$_ls_port" > "$_ls_dir/url"
	lab_use "$_ls_dir"
}

# lab_stop [PID]: stops a double by its PID (default the current one's).
lab_stop() { stop_pid "${1:-${LAB_PID:-}}"; }

# lab_use DIR: the lab_ctl family talks to the double started in DIR.
lab_use() {
	if [ ! -s "$1/port" ] || [ ! -s "$1/secret" ]; then
		echo "lab_use: no double started in $1" >&2
		return 1
	fi
	LAB_DIR=$1
	LAB_PORT=$(cat "$1/port")
	LAB_PID=$(cat "$1/pid")
	LAB_SECRET=$(cat "$1/secret")
	LAB_URL=https://127.0.0.1:$LAB_PORT
	LAB_CA=$1/ca.crt
}

# --- kubeconfig ---------------------------------------------------------------

# lab_kubeconfig FILE ENTRY...: a kubeconfig with one context, cluster and
# user per ENTRY; current-context is the first. An ENTRY is one word of
# space-separated fields:
#	"CONTEXT LABDIR token TOKEN"		user with token:
#	"CONTEXT LABDIR tokenfile FILE"		user with tokenFile:
#	"CONTEXT LABDIR cert"			client-certificate-data / -key-data (alice, O=devs)
#	"CONTEXT LABDIR certfile"		client-certificate / client-key paths (alice)
#	"CONTEXT LABDIR exec USER COUNTFILE [TTL]"	exec plugin (exec_plugin.sh) minting
#						tokens for USER on that double
#	"CONTEXT LABDIR none"			no credentials
# then optional KEY=VALUE fields:
#	ca=data|file|none	certificate-authority-data (default), a path, or none
#	ns=NAMESPACE		the context's namespace (default shop)
#	server=URL		another server URL (default LABDIR's)
#	user=NAME		the user entry's name (default CONTEXT-user)
# LABDIR is a directory lab_start started a double in.
lab_kubeconfig() {
	_lk_file=$1
	shift
	[ $# -gt 0 ] || { echo "lab_kubeconfig: no entry" >&2; return 1; }
	_lk_first=${1%% *}
	{
		echo "apiVersion: v1"
		echo "kind: Config"
		echo "current-context: \"$_lk_first\""
		echo "preferences: {}"
		echo "clusters:"
		for _lk_e in "$@"; do _lab_kc_entry cluster $_lk_e || return 1; done
		echo "contexts:"
		for _lk_e in "$@"; do _lab_kc_entry context $_lk_e || return 1; done
		echo "users:"
		for _lk_e in "$@"; do _lab_kc_entry user $_lk_e || return 1; done
	} > "$_lk_file.tmp" && mv "$_lk_file.tmp" "$_lk_file"
}

# _lab_kc_entry PART CONTEXT LABDIR KIND [ARG...] [KEY=VALUE...]: one
# YAML list item of PART (cluster, context or user).
_lab_kc_entry() {
	_ke_part=$1 _ke_ctx=$2 _ke_lab=$3 _ke_kind=$4
	shift 4
	_ke_ca=data _ke_ns=shop _ke_server='' _ke_user=$_ke_ctx-user
	_ke_a1='' _ke_a2='' _ke_a3=''
	for _ke_f in "$@"; do
		case $_ke_f in
		ca=*) _ke_ca=${_ke_f#ca=} ;;
		ns=*) _ke_ns=${_ke_f#ns=} ;;
		server=*) _ke_server=${_ke_f#server=} ;;
		user=*) _ke_user=${_ke_f#user=} ;;
		*) if [ -z "$_ke_a1" ]; then _ke_a1=$_ke_f
		   elif [ -z "$_ke_a2" ]; then _ke_a2=$_ke_f
		   else _ke_a3=$_ke_f; fi ;;
		esac
	done
	[ -s "$_ke_lab/url" ] || { echo "lab_kubeconfig: $_ke_ctx: no double started in $_ke_lab" >&2; return 1; }
	[ -n "$_ke_server" ] || _ke_server=$(cat "$_ke_lab/url")
	case $_ke_part in
	cluster)
		echo "- name: \"$_ke_ctx-cluster\""
		echo "  cluster:"
		echo "    server: \"$_ke_server\""
		case $_ke_ca in
		data) echo "    certificate-authority-data: $(base64 -w0 < "$_ke_lab/ca.crt")" ;;
		file) echo "    certificate-authority: \"$_ke_lab/ca.crt\"" ;;
		none) ;;
		*) echo "lab_kubeconfig: $_ke_ctx: ca=$_ke_ca (data, file or none)" >&2; return 1 ;;
		esac ;;
	context)
		echo "- name: \"$_ke_ctx\""
		echo "  context:"
		echo "    cluster: \"$_ke_ctx-cluster\""
		echo "    user: \"$_ke_user\""
		echo "    namespace: \"$_ke_ns\"" ;;
	user)
		echo "- name: \"$_ke_user\""
		if [ "$_ke_kind" = none ]; then echo "  user: {}"; return 0; fi
		echo "  user:"
		case $_ke_kind in
		token) echo "    token: \"$_ke_a1\"" ;;
		tokenfile) echo "    tokenFile: \"$_ke_a1\"" ;;
		cert)
			echo "    client-certificate-data: $(base64 -w0 < "$_ke_lab/alice.crt")"
			echo "    client-key-data: $(base64 -w0 < "$_ke_lab/alice.key")" ;;
		certfile)
			echo "    client-certificate: \"$_ke_lab/alice.crt\""
			echo "    client-key: \"$_ke_lab/alice.key\"" ;;
		exec)
			[ -n "$_ke_a2" ] || { echo "lab_kubeconfig: $_ke_ctx: exec USER COUNTFILE [TTL]" >&2; return 1; }
			echo "    exec:"
			echo "      apiVersion: client.authentication.k8s.io/v1"
			echo "      command: /bin/sh"
			echo "      args:"
			for _ke_arg in "$LAB_K8S/exec_plugin.sh" --control "$(cat "$_ke_lab/url")" \
				--secret "$(cat "$_ke_lab/secret")" --cacert "$_ke_lab/ca.crt" \
				--user "$_ke_a1" --count "$_ke_a2" --ttl "${_ke_a3:-3600}"; do
				echo "      - \"$_ke_arg\""
			done
			echo "      env:"
			echo "      - name: LAB_PLUGIN_CONTEXT"
			echo "        value: \"$_ke_ctx\""
			echo "      interactiveMode: Never"
			echo "      provideClusterInfo: false" ;;
		*) echo "lab_kubeconfig: $_ke_ctx: unknown user kind '$_ke_kind'" >&2; return 1 ;;
		esac ;;
	esac
}

# --- control API ----------------------------------------------------------------

# lab_ctl METHOD PATH [BODY]: a control API call on the current double. PATH
# is under /_double/ (with or without that prefix). The body goes to stdout;
# returns 0 iff the answer is 2xx (else the status and body go to stderr).
lab_ctl() {
	_lc_path=${2#/}
	_lc_path=${_lc_path#_double/}
	_lc_out=$(curl -sS --noproxy '*' -m 10 --cacert "$LAB_CA" -X "$1" \
		-H "X-Double-Control: $LAB_SECRET" -H "Content-Type: application/json" \
		${3:+--data-binary "$3"} -w '\n%{http_code}' "$LAB_URL/_double/$_lc_path") || return 1
	_lc_code=${_lc_out##*
}
	_lc_body=${_lc_out%
*}
	printf '%s\n' "$_lc_body"
	case $_lc_code in
	2??) return 0 ;;
	*) echo "lab_ctl: $1 /_double/$_lc_path: HTTP $_lc_code: $_lc_body" >&2; return 1 ;;
	esac
}

lab_obj() { lab_ctl GET "objects/$1/$2/$3"; }
lab_del_obj() { lab_ctl DELETE "objects/$1/$2/$3"; }
# lab_put_obj RESOURCE NS NAME JSON|-: "-" reads the object from stdin.
lab_put_obj() {
	if [ "$4" = - ]; then lab_ctl PUT "objects/$1/$2/$3" "$(cat)"
	else lab_ctl PUT "objects/$1/$2/$3" "$4"; fi
}
lab_conflicts() {
	lab_ctl POST conflicts "{\"resource\":\"$1\",\"namespace\":\"$2\",\"name\":\"$3\",\"count\":$4}"
}
# lab_conflicts_clear RESOURCE NS NAME: the double has no call for it; a
# count of 0 reads what is pending and a negative count takes it back.
lab_conflicts_clear() {
	_lcc_n=$(lab_conflicts "$1" "$2" "$3" 0 | lab_json 'd["pending"]') || return 1
	[ "$_lcc_n" -gt 0 ] 2>/dev/null || return 0
	lab_conflicts "$1" "$2" "$3" "-$_lcc_n" >/dev/null
}
lab_expire() { lab_ctl POST "tokens/$1/expire"; }
# lab_token TOKEN USER [EXPIRES|null [GROUP...]]: EXPIRES in epoch seconds.
lab_token() {
	_lt_t=$1 _lt_u=$2 _lt_e=${3:-null}
	shift 2
	[ $# -gt 0 ] && shift
	_lt_g=
	for _lt_x in "$@"; do _lt_g="$_lt_g${_lt_g:+,}\"$_lt_x\""; done
	lab_ctl PUT "tokens/$_lt_t" "{\"user\":\"$_lt_u\",\"groups\":[$_lt_g],\"expires\":$_lt_e}"
}
lab_rbac() { lab_ctl PUT rbac "$1"; }
lab_log() { lab_ctl GET log; }
lab_log_clear() { lab_ctl DELETE log >/dev/null; }
lab_events() { lab_ctl GET events; }
lab_ledger() { lab_ctl GET "ledger${1:+?$1}"; }

# lab_patches RESOURCE NS NAME [USER [STATUS]]: how many PATCH requests to
# that object (not its /status) the current double logged since the last
# lab_log_clear; by USER if given and not empty, answered STATUS if given.
lab_patches() {
	lab_log | "$LAB_PY" -c '
import json, sys
tail = "/namespaces/%s/%s/%s" % (sys.argv[2], sys.argv[1], sys.argv[3])
user = sys.argv[4] if len(sys.argv) > 4 and sys.argv[4] else None
code = int(sys.argv[5]) if len(sys.argv) > 5 else None
print(sum(1 for r in json.load(sys.stdin)["requests"]
          if r["method"] == "PATCH" and r["path"].endswith(tail)
          and user in (None, r["user"]) and code in (None, r["status"])))' "$@"
}

# lab_api METHOD PATH AUTH [CTYPE BODY]: a Kubernetes API call on the current
# double, AUTH a bearer token, "cert" (alice) or "-". Body to stdout, and
# the status in LAB_CODE (also the last line of stderr when not 2xx).
lab_api() {
	_la_m=$1 _la_p=$2 _la_auth=$3 _la_ct=${4:-} _la_body=${5:-}
	case $_la_auth in
	-) set -- ;;
	cert) set -- --cert "$LAB_DIR/alice.crt" --key "$LAB_DIR/alice.key" ;;
	*) set -- -H "Authorization: Bearer $_la_auth" ;;
	esac
	[ -n "$_la_ct" ] && set -- "$@" -H "Content-Type: $_la_ct" --data-binary "$_la_body"
	_la_out=$(curl -sS --noproxy '*' -m 10 --cacert "$LAB_CA" -X "$_la_m" "$@" \
		-w '\n%{http_code}' "$LAB_URL$_la_p") || return 1
	LAB_CODE=${_la_out##*
}
	printf '%s\n' "${_la_out%
*}"
	case $LAB_CODE in 2??) return 0 ;; *) echo "HTTP $LAB_CODE" >&2; return 1 ;; esac
}

# --- JSON and assertions ----------------------------------------------------------

# lab_json EXPR: evaluates the python EXPR with d = the JSON on stdin; a
# string is printed as is, anything else as compact JSON with sorted keys
# (so '{"app":"web","track":"green"}' compares as text).
lab_json() {
	"$LAB_PY" -c '
import json, sys
d = json.load(sys.stdin)
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v, sort_keys=True, separators=(",", ":")))' "$1"
}

# expect_eq NAME WANT GOT
expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else nok "$1" "got:  $3
want: $2"; fi
}

# expect_obj NAME RESOURCE NS OBJ EXPR WANT: EXPR (see lab_json) over the
# object read from the current double equals WANT.
expect_obj() {
	_eo_got=$(lab_obj "$2" "$3" "$4" 2>&1 | lab_json "$5" 2>&1)
	if [ "$_eo_got" = "$6" ]; then ok "$1"
	else nok "$1" "$2 $3/$4: $5
got:  $_eo_got
want: $6"; fi
}

# lab_wait SECONDS CMD...: polls CMD (output discarded) every 0.1 s until it
# passes; 1 when SECONDS ran out.
lab_wait() {
	_lw_n=$(($1 * 10))
	shift
	while [ "$_lw_n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		_lw_n=$((_lw_n - 1))
	done
	return 1
}
