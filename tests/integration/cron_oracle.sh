#!/bin/sh
# Compares cutover's cron next-fire times with python3-croniter on ~330
# seeded expressions and start instants near DST changes. Fails (does not
# skip) when croniter is missing. Ends with "N passed, N failed".
here=$(dirname "$0")
bin=${BUILD:-build}/tests/test_cron
if [ ! -x "$bin" ]; then
	echo "cron_oracle: $bin is not built (make BUILD=${BUILD:-build} $bin)"
	echo "0 passed, 1 failed"
	exit 1
fi
if ! /usr/bin/python3 -c 'import croniter' 2>/dev/null; then
	echo "cron_oracle: python3-croniter is missing: install it (apt-get install python3-croniter, or make deps)"
	echo "0 passed, 1 failed"
	exit 1
fi
exec /usr/bin/python3 "$here/cron_oracle.py" "$bin"
