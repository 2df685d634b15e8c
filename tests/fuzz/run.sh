#!/bin/sh
# Builds every libFuzzer target (tests/fuzz/fuzz_*.c) with clang and runs
# each for SECONDS (default 60), or only the TARGETs named (config, sse...).
# A target starts from its seeds in tests/fuzz/corpus/TARGET; what it finds
# goes to $FUZZ_BUILD/corpus/TARGET (default build/fuzz), never the tree.
# Prints one line per target and "N passed, N failed"; fails if a target
# does not build, or its run finds a crash, a leak, a hang or any sanitizer
# report (-fno-sanitize-recover=all makes each of those stop the run).
#
#   tests/fuzz/run.sh SECONDS [TARGET...]
set -u
secs=${1:-60}
[ $# -gt 0 ] && shift
out=${FUZZ_BUILD:-build/fuzz}
targets=${*:-$(for f in tests/fuzz/fuzz_*.c; do basename "$f" .c; done | sed 's/^fuzz_//')}

san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
libs=""
for p in libcurl libcjson libcrypto libmicrohttpd yaml-0.1; do	# the Makefile's CORE_PKGS
	libs="$libs $(pkg-config --libs "$p" 2>/dev/null)"
done
cflags="-std=c11 -g -O1 -Wall -Wextra -Werror -Wno-unused-parameter -D_POSIX_C_SOURCE=200809L \
	-D_DEFAULT_SOURCE -Iinclude $(pkg-config --cflags libcjson 2>/dev/null)"
mkdir -p "$out/logs" "$out/crash"
pass=0
fail=0

# The core is built by the Makefile (so its source list and dependencies
# cannot drift from the product's) with clang and coverage instrumentation;
# each target links only the objects of the archive it uses. The warning
# set is clang's default: -Werror on gcc's list belongs to the real build.
# A core file that does not compile fails the run, but the targets are
# still built from the objects that did (-k), so one broken file elsewhere
# does not hide what the parsers do.
lib="$out/lib/libcutover.a"
if ! ${MAKE:-make} -k --no-print-directory BUILD="$out/lib" CC=clang SAN= OPT="-O1 -g" \
	WARN="-Wall -Wno-unused-parameter" EXTRA_LDFLAGS= \
	EXTRA_CFLAGS="-fsanitize=fuzzer-no-link $san" "$lib" >"$out/logs/lib.log" 2>&1; then
	grep -B2 -A6 'error' "$out/logs/lib.log" | head -40
	echo "FAILED: the core does not build with clang ($out/logs/lib.log)"
	fail=$((fail + 1))
	lib="$out/lib/libcutover-partial.a"
	rm -f "$lib"
	for s in src/*.c src/*/*.c; do
		o=$out/lib/${s%.c}.o
		case "$s" in src/cli/*) continue ;; esac
		[ -f "$o" ] && [ "$o" -nt "$s" ] && ar rcs "$lib" "$o"
	done
fi

for t in $targets; do
	src=tests/fuzz/fuzz_$t.c
	bin=$out/fuzz_$t
	log=$out/logs/$t.log
	extra=""
	# theme.c is the console's, not the core's; its parser makes no
	# terminal call, but theme_apply in the same file links ncurses.
	[ "$t" = theme ] && extra="tui/theme.c $(pkg-config --libs ncursesw 2>/dev/null || echo -lncursesw)"
	if [ ! -f "$src" ] || [ ! -f "$lib" ] ||
	   ! clang $cflags -fsanitize=fuzzer $san -o "$bin" "$src" $extra "$lib" $libs -lm -pthread \
		>"$log" 2>&1; then
		[ -f "$log" ] && cat "$log"
		echo "FAILED: fuzz_$t does not build"
		fail=$((fail + 1))
		continue
	fi
	mkdir -p "$out/corpus/$t"
	seeds=tests/fuzz/corpus/$t
	dict=tests/fuzz/$t.dict
	# -rss_limit_mb: a parser that buffers without bound is a finding too.
	"$bin" -max_total_time="$secs" -max_len=8192 -timeout=10 -rss_limit_mb=1024 \
		-print_final_stats=1 -artifact_prefix="$out/crash/$t-" \
		$([ -f "$dict" ] && echo "-dict=$dict") \
		"$out/corpus/$t" $([ -d "$seeds" ] && echo "$seeds") >>"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov=$(sed -n 's/^#[0-9]*.*DONE *cov: \([0-9]*\).*/\1/p' "$log" | tail -1)
	if [ $rc -eq 0 ]; then
		echo "ok: fuzz_$t (${secs}s, ${runs:-?} runs, cov ${cov:-?})"
		pass=$((pass + 1))
	else
		grep -A40 '^==[0-9]*==ERROR\|runtime error\|^==[0-9]*== ERROR\|deadly signal\|ALARM' "$log" | head -60
		crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
		echo "FAILED: fuzz_$t (exit $rc; input ${crash:-none}; log $log)"
		fail=$((fail + 1))
	fi
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
