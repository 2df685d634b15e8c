# cutover build. `make` builds ./cutover; `make check` installs what is
# missing, builds, runs every test, then runs them again under ASan+UBSan.

PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
SAN     ?=
CC      ?= cc
V       ?=
Q       := $(if $(V),,@)

PKGS      := ncursesw libcurl libcjson libcrypto libmicrohttpd yaml-0.1
CORE_PKGS := libcurl libcjson libcrypto libmicrohttpd yaml-0.1

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wvla -Wno-unused-parameter -Wno-format-truncation
DEFS    := -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
OPT     ?= -O2 -g
# SAN=asan: AddressSanitizer + UndefinedBehaviorSanitizer; SAN=tsan: ThreadSanitizer.
comma := ,
SANFLAGS := $(if $(filter asan 1,$(SAN)),-fsanitize=address$(comma)undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined) \
            $(if $(filter tsan,$(SAN)),-fsanitize=thread -fno-omit-frame-pointer)

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CORE_LIBS  = $(shell pkg-config --libs $(CORE_PKGS) 2>/dev/null)
CMOCKA_LIBS = $(shell pkg-config --libs cmocka 2>/dev/null)

CFLAGS  := -std=c11 $(WARN) $(DEFS) $(OPT) $(SANFLAGS) -Iinclude -pthread $(EXTRA_CFLAGS)
LDFLAGS := $(SANFLAGS) -pthread $(EXTRA_LDFLAGS)

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

CORE_SRC := $(wildcard src/*.c src/engine/*.c src/api/*.c src/client/*.c src/rollout/*.c src/alert/*.c src/report/*.c src/jobs/*.c src/k8s/*.c)
CLI_SRC  := $(wildcard src/cli/*.c)
TUI_SRC  := $(wildcard tui/*.c)
TEST_SRC := $(wildcard tests/unit/test_*.c)
SIM_SRC  := $(wildcard tests/sim/*.c)

CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TUI_OBJ  := $(TUI_SRC:%.c=$(BUILD)/%.o)
TESTS    := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
CORE_LIB := $(BUILD)/libcutover.a
BIN      := $(if $(filter build,$(BUILD)),./cutover,$(BUILD)/cutover)
SIM      := $(BUILD)/cutover-sim

.PHONY: all deps check test check-asan install clean fuzz bench soak demo demo-watch
all: $(BIN) $(SIM)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) $(PKG_CFLAGS) -DCUTOVER_VERSION='"$(VERSION)"' -MMD -MP -c $< -o $@

$(CORE_LIB): $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BIN): $(CLI_OBJ) $(TUI_OBJ) $(CORE_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(TUI_OBJ) $(CORE_LIB) $(PKG_LIBS) -lm

# The simulator depends on libc and pthreads only, so it builds anywhere.
$(SIM): $(SIM_SRC)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) -o $@ $(SIM_SRC) $(LDFLAGS)

$(BUILD)/tests/%: tests/unit/%.c $(CORE_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TEST    $@")
	$(Q)$(CC) $(CFLAGS) $(PKG_CFLAGS) -o $@ $< $(CORE_LIB) $(CORE_LIBS) $(CMOCKA_LIBS) -lm $(LDFLAGS)

deps:
	@sh tests/tools/deps.sh

# test: every suite against an already built tree; prints "N passed, N failed".
test: $(BIN) $(SIM) $(TESTS)
	@BUILD=$(BUILD) BIN=$(BIN) SIM=$(SIM) sh tests/run.sh

# Builds use every core (four of them: plain, ASan, TSan, clang for the
# fuzzers); the suites themselves run one at a time, as their timings need.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

check: deps
	$(MAKE) -j$(JOBS) all $(TESTS)
	CRASH_ITERS=8 HANDOFFS=4 SLOW_HANDOFFS=2 SKIP="$(ASAN_SUITES)" $(MAKE) test
	$(MAKE) check-asan
	$(MAKE) fuzz-check

# make check runs the unit tests twice (plain, then under ASan+UBSan) and
# every script suite once, so that it stays well under 15 minutes on two
# cores: the suites that drive the product's own code hardest (the CLI, the
# engine's API and its clients, the journal, the Kubernetes client, the
# autopilot, the report, the console) run under ASan+UBSan; the rest, which
# mostly wait on clocks (job handoffs between cron ticks, the crash suite's
# random kills, the simulator's own checks, the demo), run on the plain
# build. A new suite runs on the plain build until it is listed here.
# The crash suite runs 8 random kills (its second lands in an apply for
# sure); job handoffs 4 (and 2 with a slow tool); make soak runs 100 and more.
# The threaded parts run under ThreadSanitizer too: the model, the event
# hub, the rollouts' thread and its controls, the alert workers, the jobs'
# thread.
ASAN_SUITES := tests/integration/cli.sh tests/integration/engine_api.sh \
	tests/integration/engine_cli.sh tests/integration/journal_cli.sh \
	tests/integration/k8s_routes.sh tests/integration/move_haproxy.sh \
	tests/integration/report.sh tests/integration/rollout.sh \
	tests/integration/status.sh tests/tui/console.sh tests/tui/console_exec.sh \
	tests/tui/engine_clients.sh tests/tui/rollout_keys.sh
TSAN_TESTS := test_model test_hub test_rollout test_alert test_jobs

check-asan:
	$(MAKE) -j$(JOBS) BUILD=build/asan SAN=asan OPT="-O1 -g" all $(TESTS:$(BUILD)/%=build/asan/%)
	SCRIPTS="$(ASAN_SUITES)" $(MAKE) BUILD=build/asan SAN=asan OPT="-O1 -g" test
	$(MAKE) -j$(JOBS) BUILD=build/tsan SAN=tsan OPT="-O1 -g" $(TSAN_TESTS:%=build/tsan/tests/%)
	@echo "ThreadSanitizer: $(TSAN_TESTS)"; for t in $(TSAN_TESTS); do \
		TSAN_OPTIONS=halt_on_error=1 build/tsan/tests/$$t >/dev/null || exit 1; done

install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	           $(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/cutover/themes
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/cutover
	install -m 644 man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	for f in man/*.5; do [ -e "$$f" ] && install -m 644 "$$f" $(DESTDIR)$(PREFIX)/share/man/man5/ || true; done
	for f in themes/*; do [ -f "$$f" ] && install -m 644 "$$f" $(DESTDIR)$(PREFIX)/share/cutover/themes/ || true; done

clean:
	rm -rf build cutover

# fuzz: every libFuzzer target (tests/fuzz/fuzz_*.c: config, journal lines,
# HAProxy answers, themes, event streams, plan requests) for FUZZ_SECONDS
# each (default 300); fuzz-check: 5 s each, as make check runs them.
.PHONY: fuzz-check
FUZZ_SECONDS ?= 300
fuzz: deps
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS)

fuzz-check:
	@MAKE="$(MAKE) -j$(JOBS)" sh tests/fuzz/check.sh

bench: deps all
	@sh tests/bench/run.sh

soak: deps all
	@sh tests/bench/soak.sh

demo: deps all
	@sh tests/demo/lab.sh

demo-watch: deps all
	@CUTOVER_DEMO_MODE=watch sh tests/demo/lab.sh

-include $(CORE_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TUI_OBJ:.o=.d)
