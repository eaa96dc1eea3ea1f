# contend - build, run and test.
#
#   make            build build/contend
#   make run        install missing packages, build, quick sweep, charts
#   make test       install missing packages, build, every test, then the
#                   same tests under ThreadSanitizer and ASan+UBSan
#
# Sources are found by wildcard: a new workload is one file in bench/, a
# new test one file in tests/; nothing here needs to change.

BUILD   ?= build
CC      ?= cc
OPT     ?= -O2 -g
SAN     ?=
CFLAGS  += -std=gnu17 $(OPT) -Wall -Wextra -pthread -I. -MMD -MP $(SAN)
LDFLAGS += -pthread $(SAN)
# The libraries come from scripts/packages.txt, the one list of packages
# (the link and into columns there), in the order it gives them.
PACKAGES := scripts/packages.txt
PKG_LDLIBS  := $(shell awk '/^[a-z0-9]/ && $$4 == "all" { print $$3 }' $(PACKAGES))
PKG_TESTLIB := $(shell awk '/^[a-z0-9]/ && $$4 == "tests" { print $$3 }' $(PACKAGES))
LDLIBS  += $(PKG_LDLIBS)

PRIM_SRC  := $(wildcard primitives/*.c) primitives/arch/coro_switch.S
HARN_SRC  := $(filter-out harness/main.c,$(wildcard harness/*.c))
BENCH_SRC := $(wildcard bench/*.c)
PRIM_OBJ  := $(patsubst %,$(BUILD)/%.o,$(PRIM_SRC))
HARN_OBJ  := $(patsubst %,$(BUILD)/%.o,$(HARN_SRC))
BENCH_OBJ := $(patsubst %,$(BUILD)/%.o,$(BENCH_SRC))

# Two test binaries: primitives alone (they know nothing of the harness),
# and the harness with its workloads and command line.
TPRIM_SRC := $(wildcard tests/test_prim_*.c)
TPRIM_OBJ := $(patsubst %,$(BUILD)/%.o,$(TPRIM_SRC) tests/check_shim.c)
# The prim tests link their own copy of the primitives, built with
# preemption points (primitives/preempt.h); build/contend and the harness
# tests keep the library without them.
PRIM_PREEMPT_OBJ := $(patsubst %,$(BUILD)/preempt/%.o,$(PRIM_SRC))
# tests/h_util.c holds the harness tests' helpers, no tests of its own.
THARN_OBJ := $(patsubst %,$(BUILD)/%.o,$(wildcard tests/test_h_*.c) tests/h_util.c tests/h_checks.c \
	tests/check_shim.c)
# Criterion cannot start under TSan; that build uses tests/check.h's shim.
TESTLIB   ?= $(PKG_TESTLIB)
TESTS     := $(BUILD)/tests/prim-tests $(BUILD)/tests/harness-tests
# The program spawn.posix_spawn starts (bench/helpers/spawn_nop.c).
SPAWN_NOP := $(BUILD)/contend-spawn-nop

DEPS_STAMP := build/.deps-stamp
TEST_DEPS_STAMP := build/.test-deps-stamp
# Criterion: a few jobs at once, every test in its own process.
CRITERION_FLAGS ?= --jobs 2
# Every test has its own time-out; this one is the last guard, so that a
# stuck test runner (say, orphaned children holding it open) fails CI
# instead of hanging it.
RUN_TESTS = timeout --kill-after=30 1500

.PHONY: all deps test-deps run test tests tests-tsan test-prim test-harness test-san test-fleet \
	clean FORCE
all: $(BUILD)/contend $(SPAWN_NOP)

$(DEPS_STAMP): scripts/install-deps $(PACKAGES)
	scripts/install-deps
	@mkdir -p $(@D) && touch $@

$(TEST_DEPS_STAMP): scripts/install-deps $(PACKAGES)
	scripts/install-deps --tests
	@mkdir -p $(@D) && touch $@

deps: $(DEPS_STAMP)
test-deps: $(TEST_DEPS_STAMP)

$(BUILD)/%.c.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

# A benchmark's version is a hash of its source, so that a comparison can
# tell a changed benchmark from a changed machine.
$(BUILD)/bench/%.c.o: bench/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -DCONTEND_SRC_HASH=\"$$(sha1sum $< | cut -c1-12)\" -c $< -o $@

# What env.csv records about the build; rebuilt every time (it is tiny)
# so the git revision is never stale.
$(BUILD)/harness/envinfo.c.o: harness/envinfo.c FORCE
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -DCONTEND_GIT_REV=\"$$(git describe --always --dirty 2>/dev/null || echo unknown)\" \
		-DCONTEND_CFLAGS='"$(OPT) $(SAN)"' -c $< -o $@

$(BUILD)/harness/plot.c.o: CFLAGS += -DCONTEND_SOURCE_DIR=\"$(CURDIR)\"
$(BUILD)/harness/history.c.o: CFLAGS += -DCONTEND_SOURCE_DIR=\"$(CURDIR)\"

# The tiny program spawn.posix_spawn starts: static (Debian's libc6-dev
# ships libc.a), no sanitizer, so that no loader or runtime is timed.
$(SPAWN_NOP): bench/helpers/spawn_nop.c
	@mkdir -p $(@D)
	$(CC) -O2 -static $< -o $@
$(BUILD)/bench/spawn.c.o: CFLAGS += -DSPAWN_NOP_PATH=\"$(CURDIR)/$(SPAWN_NOP)\"

$(BUILD)/%.S.o: %.S
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libcontend-prim.a: $(PRIM_OBJ)
	$(AR) rcs $@ $^

$(BUILD)/contend: $(BUILD)/harness/main.c.o $(HARN_OBJ) $(BENCH_OBJ) $(BUILD)/libcontend-prim.a
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# The preemption-point copy of the primitives.  The prim test files get the
# define too: they call the locks' inline functions themselves.  The
# archive is made afresh so that a removed source leaves no member behind.
$(BUILD)/preempt/%.c.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -DPRIM_PREEMPT -c $< -o $@

$(BUILD)/preempt/%.S.o: %.S
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -DPRIM_PREEMPT -c $< -o $@

$(BUILD)/libcontend-prim-preempt.a: $(PRIM_PREEMPT_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(patsubst %,$(BUILD)/%.o,$(TPRIM_SRC)): CFLAGS += -DPRIM_PREEMPT
# It reads primitives/ to prove that every atomic there is a point.
$(BUILD)/tests/test_prim_preempt.c.o: CFLAGS += -DCONTEND_SOURCE_DIR=\"$(CURDIR)\"

# It checks the README's table and this link line against the package list.
$(BUILD)/tests/test_h_deps.c.o: CFLAGS += -DCONTEND_SOURCE_DIR=\"$(CURDIR)\" \
	-DCONTEND_LDLIBS='"$(LDLIBS)"' -DCONTEND_TESTLIB='"$(TESTLIB)"'
$(BUILD)/tests/test_h_deps.c.o: Makefile $(PACKAGES)

$(BUILD)/tests/prim-tests: $(TPRIM_OBJ) $(BUILD)/libcontend-prim-preempt.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) $(TESTLIB) -o $@

$(BUILD)/tests/harness-tests: $(THARN_OBJ) $(HARN_OBJ) $(BENCH_OBJ) $(BUILD)/libcontend-prim.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) $(TESTLIB) -o $@

tests: $(BUILD)/contend $(SPAWN_NOP) $(TESTS)

# The harness tests run build/contend itself for the command-line cases;
# CONTEND_BIN points them at the binary of the same build.
# TSAN_OPTIONS reaches the contend binary the harness tests run too, so a
# race inside a benchmark run fails the run instead of scrolling past.
test-prim: $(BUILD)/tests/prim-tests
	TSAN_OPTIONS="$(TSAN_OPTIONS)" $(RUN_TESTS) $(BUILD)/tests/prim-tests $(CRITERION_FLAGS)
test-harness: $(BUILD)/contend $(SPAWN_NOP) $(BUILD)/tests/harness-tests
	TSAN_OPTIONS="$(TSAN_OPTIONS)" CONTEND_BIN=$(BUILD)/contend \
		$(RUN_TESTS) $(BUILD)/tests/harness-tests $(CRITERION_FLAGS)

# Sanitizer builds live in their own folders so that their objects never
# mix with the optimised ones.  TSan wants -O1 at least and PIE.  Each
# build is these variables on a sub-make's command line; test-san runs
# them, tests-tsan and tests-asan only build one (scripts/mutate uses
# them, so that it builds exactly what test-san tests).
TSAN_BUILD = BUILD=build/tsan OPT="-O1 -g" \
	SAN="-fsanitize=thread -fno-omit-frame-pointer -DCONTEND_TEST_SHIM" \
	TESTLIB= CRITERION_FLAGS= TSAN_OPTIONS="halt_on_error=1"
ASAN_BUILD = BUILD=build/asan OPT="-O1 -g" \
	SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"

tests-tsan:
	$(MAKE) --no-print-directory $(TSAN_BUILD) tests
tests-asan:
	$(MAKE) --no-print-directory $(ASAN_BUILD) tests

test-san:
	$(MAKE) --no-print-directory $(TSAN_BUILD) test-prim test-harness
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	$(MAKE) --no-print-directory $(ASAN_BUILD) test-prim test-harness

# scripts/fleet/slurm.sbatch on a real one-node Slurm (root only; skipped
# with the reason otherwise): tests/fleet/slurm-test.sh.
test-fleet: $(BUILD)/contend
	timeout --kill-after=30 600 tests/fleet/slurm-test.sh $(BUILD)/contend

test: test-deps
	$(MAKE) --no-print-directory tests
	$(MAKE) --no-print-directory test-prim test-harness
	$(MAKE) --no-print-directory test-fleet
	$(MAKE) --no-print-directory test-san

# The sweep writes results/<run-id>/ and points results/latest at it.
# A configuration that fails (a time budget run out on a busy machine)
# is listed in failures.csv; the charts are drawn from the rest all the
# same, and the sweep's status is make's.
run: deps
	$(MAKE) --no-print-directory all
	@status=0; dir=$$($(BUILD)/contend sweep --preset quick) || status=$$?; \
	[ -n "$$dir" ] || exit $$status; \
	$(BUILD)/contend plot "$$dir" || exit $$?; \
	echo "contend: results are in $$dir/ (also results/latest):"; \
	echo "  results.csv samples.csv env.csv and a PNG and SVG chart per family"; \
	[ $$status -eq 0 ] || echo "contend: some configurations failed: $$dir/failures.csv says why"; \
	exit $$status

clean:
	rm -rf build

FORCE:

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
