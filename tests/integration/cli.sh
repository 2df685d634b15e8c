#!/bin/sh
# The command line as a user meets it: help, version, exit codes, and
# `check` on the README example and on each class of bad config.
. tests/lib/assert.sh
BIN=${BIN:-./cutover}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# The README's example, extracted so README and reality cannot drift apart.
sed -n '/^```json$/,/^```$/p' README.md | sed '1d;$d' | sed -n '1,/^```/p' | sed '/^```/d' > "$dir/readme.json"
expect_out "README example passes check" 0 "ok: release eks-to-fargate" "$BIN" check -c "$dir/readme.json"
expect_out "--version names the version" 0 "^cutover [0-9]+\.[0-9]+\.[0-9]+" "$BIN" --version
expect_out "--help lists every subcommand" 0 "watch.*" "$BIN" --help
for c in watch status check move rollback journal; do
	expect_out "--help mentions $c" 0 "  $c " "$BIN" --help
done
expect_out "unknown command is a usage error" 2 "unknown command 'frobnicate'" "$BIN" frobnicate
expect_out "unknown option is a usage error" 2 "" "$BIN" --bogus
expect_out "check takes -c before the command too" 0 "ok:" "$BIN" -c "$dir/readme.json" check
expect_out "check --json reports ok" 0 '"ok":[[:space:]]*true' "$BIN" check --json -c "$dir/readme.json"
expect_out "config from CUTOVER_CONFIG" 0 "ok:" env CUTOVER_CONFIG="$dir/readme.json" "$BIN" check
(cd "$dir" && cp readme.json cutover.json)
expect_out "config from ./cutover.json" 0 "ok:" sh -c "cd '$dir' && '$(pwd)/$BIN' check"
rm "$dir/cutover.json"
expect_out "missing default config names the file and hints -c" 2 "cutover.json: cannot open.*
.*use -c FILE" sh -c "cd '$dir' && '$(pwd)/$BIN' check"
expect_out "missing file is named" 2 "$dir/none.json: cannot open: No such file" "$BIN" check -c "$dir/none.json"
printf '{"release": "r",\n "services": [\n' > "$dir/trunc.json"
expect_out "malformed JSON has line:col" 2 "trunc.json:3:1: malformed JSON: unexpected end of file" "$BIN" check -c "$dir/trunc.json"
chmod 000 "$dir/readme.json"
if [ "$(id -u)" != 0 ]; then
	expect_out "unreadable file is named" 2 "readme.json: cannot open: Permission denied" "$BIN" check -c "$dir/readme.json"
fi
chmod 644 "$dir/readme.json"

bad() {	# name, sed expression applied to the README example, expected output
	sed "$2" "$dir/readme.json" > "$dir/bad.json"
	expect_out "rejects: $1" 2 "$3" "$BIN" check -c "$dir/bad.json"
}
bad "unknown key with hint" 's/"timeout_ms"/"timeout"/' 'bad.json:[0-9]+:[0-9]+: probe.timeout: unknown key .timeout. \(did you mean .timeout_ms.\?\)'
bad "wrong type" 's/"window": 120/"window": "120"/' 'probe.window: expected a number, found a string'
bad "duplicate service name" 's/"ledger-close"/"checkout-api"/' 'services\[1\].name: service name .checkout-api. is already used by services\[0\]'
bad "unknown kind" 's/"kind": "job"/"kind": "cron"/' "services\[1\].kind: unknown kind 'cron'"
bad "health not http(s)" 's#http://10.9.0.7:8080/healthz#ftp://x/y#' 'services\[0\].green.health: not an http\(s\) URL'
bad "steps not rising" 's/\[1, 5, 25, 50, 100\]/[1, 25, 5, 100]/' 'steps\[2\]: steps must be strictly rising'
bad "steps not ending at 100" 's/\[1, 5, 25, 50, 100\]/[1, 5, 25, 50]/' 'steps: the last step must be 100'
bad "steps out of range" 's/\[1, 5, 25, 50, 100\]/[0, 100]/' 'steps\[0\]: a step is a whole percentage from 1 to 100'
bad "invalid name" 's/"checkout-api"/"checkout api"/' "services\[0\].name: 'checkout api' is not a valid name"
bad "empty services" 's/"services": \[/"services": [], "x": [/' 'services: lists no services'
bad "several problems at once" 's/"window": 120/"window": "120"/; s/"kind": "job"/"kind": "cron"/' '2 problems'

# 5,000 services check quickly end to end (the unit test bounds the parser).
awk 'BEGIN { printf "{\"release\":\"big\",\"services\":["; for (i = 0; i < 5000; i++) printf "%s{\"name\":\"s%d\",\"kind\":\"exposed\",\"group\":\"g%d\",\"blue\":{\"health\":\"http://127.0.0.1:1/s%d/blue\"},\"green\":{\"health\":\"http://127.0.0.1:1/s%d/green\"}}", (i ? "," : ""), i, i % 40, i, i; print "]}" }' > "$dir/big.json"
expect_out "5,000 services pass check" 0 "5000 services" "$BIN" check -c "$dir/big.json"

expect_out "watch --help says it is read-only" 0 "Read-only console" "$BIN" watch --help
expect_out "the console without a terminal says so" 2 "needs a terminal" "$BIN" -c "$dir/readme.json"
expect_out "watch without a terminal says so" 2 "needs a terminal" "$BIN" watch -c "$dir/readme.json"
finish
