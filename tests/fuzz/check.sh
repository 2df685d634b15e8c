#!/bin/sh
# make check's share of fuzzing: every target for 5 s, so a target that no
# longer builds or a parser that crashes on its own seeds fails the check.
exec sh tests/fuzz/run.sh "${FUZZ_CHECK_SECONDS:-5}"
