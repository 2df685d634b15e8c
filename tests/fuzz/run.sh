#!/bin/sh
# Builds the config loader with libFuzzer (clang) and runs it for $1 seconds
# (default 60) from the seed corpus; new inputs go to build/fuzz/corpus.
set -e
secs=${1:-60}
out=build/fuzz
mkdir -p "$out/corpus"
cflags="-std=c11 -g -O1 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Iinclude $(pkg-config --cflags libcjson libcurl)"
libs="$(pkg-config --libs libcjson libcurl) -lm"
clang $cflags -fsanitize=fuzzer,address,undefined -o "$out/fuzz_config" \
	tests/fuzz/fuzz_config.c src/config*.c src/json_pos.c src/error.c $libs
"$out/fuzz_config" -max_total_time="$secs" -max_len=8192 -timeout=5 -print_final_stats=1 \
	-dict=tests/fuzz/config.dict "$out/corpus" tests/fuzz/corpus
