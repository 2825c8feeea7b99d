# kprim - the one entry point. `make help` lists the targets.
#
# Every variant builds out of tree into build/<variant>/ from the same
# sources; `VARIANT=` picks one (default release). CC follows the variant
# (gcc for release/debug/model, clang for the sanitizers and libFuzzer)
# unless given on the command line, so `make lib CC=clang` also works.

VARIANTS := release debug asan tsan model fuzz
VARIANT ?= release
ifeq ($(filter $(VARIANT),$(VARIANTS)),)
$(error unknown VARIANT '$(VARIANT)'; choose one of: $(VARIANTS))
endif
ifneq ($(words $(VARIANT)),1)
$(error VARIANT takes one value, got '$(VARIANT)')
endif

BUILD ?= build/$(VARIANT)

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
SAN_UB := -fsanitize=undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

cxx.gcc := g++
cxx.clang := clang++

cc.release := gcc
cc.debug := gcc
cc.asan := clang
cc.tsan := clang
cc.model := gcc
cc.fuzz := clang

cflags.release := -O2 -g
cflags.debug := -O1 -g -DKP_DEBUG -DKP_LOCKDEP
cflags.asan := -O1 -g -DKP_DEBUG -DKP_LOCKDEP -fsanitize=address $(SAN_UB)
cflags.tsan := -O1 -g -DKP_DEBUG -fsanitize=thread
cflags.model := -O1 -g -DKP_DEBUG -DKP_LOCKDEP -DKP_MODEL
cflags.fuzz := -O1 -g -DKP_DEBUG -DKP_LOCKDEP -fsanitize=fuzzer-no-link,address $(SAN_UB)

ldflags.asan := -fsanitize=address $(SAN_UB)
ldflags.tsan := -fsanitize=thread
ldflags.fuzz := -fsanitize=address $(SAN_UB)

# Kernel-style short build lines; V=1 shows the full commands.
ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-7s %s\n' $(1) $(2)
endif

ifeq ($(origin CC),default)
CC := $(cc.$(VARIANT))
endif
CXX := $(or $(cxx.$(notdir $(CC))),c++)
KP_CFLAGS := -std=gnu11 $(WARN) $(cflags.$(VARIANT)) -Iprimitives -MMD -MP $(CFLAGS)
KP_CXXFLAGS := -std=c++17 -Wall -Wextra -Werror -Wshadow $(cflags.$(VARIANT)) -MMD -MP $(CXXFLAGS)
# -rdynamic: reports and kmemleak name the functions of the binary itself (dladdr).
KP_LDFLAGS := -rdynamic $(ldflags.$(VARIANT)) $(LDFLAGS)
KP_LIBS := -lpthread -ldl -lm

LIB_SRCS := $(sort $(wildcard primitives/*/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIB := $(BUILD)/libkprim.a

TEST_SRCS := $(sort $(wildcard tests/test_*.c))
STRESS_SRCS := $(sort $(wildcard tests/stress_*.c))
MODEL_SRCS := $(sort $(wildcard tests/model_*.c))
TEST_BINS := $(TEST_SRCS:%.c=$(BUILD)/%)
STRESS_BINS := $(STRESS_SRCS:%.c=$(BUILD)/%)
MODEL_BINS := $(MODEL_SRCS:%.c=$(BUILD)/%)
TEST_HELPERS := $(BUILD)/tests/kp_test.o $(BUILD)/fuzz/fdp.o

BENCH_SRCS := $(sort $(wildcard bench/bench_*.c))
BENCH_BINS := $(BENCH_SRCS:%.c=$(BUILD)/%)
BENCH_COMMON := $(BUILD)/bench/harness.o $(BUILD)/bench/topo.o $(BUILD)/bench/shim/kpbench.o
BENCH_LIBS := -lbenchmark -lhwloc

FUZZ_SRCS := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_HELPERS := $(BUILD)/fuzz/fdp.o $(BUILD)/fuzz/expect.o $(BUILD)/fuzz/lockdep_model.o
FUZZ_BINS := $(FUZZ_SRCS:%.c=$(BUILD)/%)

# Keep helper objects between runs.
.SECONDARY:

.PHONY: all lib tests stress model-tests fuzz-build bench-build test fuzz deps bench sweep plots \
	compare clean help

all: lib

help:
	@echo "make lib       build $(BUILD)/libkprim.a (VARIANT=$(VARIANTS))"
	@echo "make test      install what is missing, build every variant needed, run all tests"
	@echo "make fuzz      run every fuzz target for FUZZ_SECONDS (default 60) each"
	@echo "make deps      install the Debian packages kprim uses"
	@echo "make bench     install, build, run the default sweep, write results and plots [RUN=name]"
	@echo "make sweep     run the benchmark sweep only into results/<run>/ [RUN=name]"
	@echo "make plots     render plots/<run>/ from results/<run>/ [RUN=name, default: latest]"
	@echo "make compare   compare two runs: A=<run> B=<run>"
	@echo "make clean     remove build/"

lib: $(LIB)

$(LIB): $(LIB_OBJS)
	$(call say,AR,$@)
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

$(BUILD)/%.o: %.c
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(KP_CFLAGS) -c $< -o $@

$(BUILD)/%.o: %.cc
	$(call say,CXX,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CXX) $(KP_CXXFLAGS) -c $< -o $@

$(BUILD)/tests/%: tests/%.c $(TEST_HELPERS) $(LIB)
	$(call say,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(KP_CFLAGS) -Itests -Ifuzz -Ibench $< $(TEST_HELPERS) $(TEST_EXTRA) $(LIB) -o $@ \
		$(KP_LDFLAGS) -lcmocka $(TEST_EXTRA_LIBS) $(KP_LIBS)

# The placement tests drive bench/topo.c on synthetic topologies.
$(BUILD)/tests/test_topo: $(BUILD)/bench/topo.o
$(BUILD)/tests/test_topo: TEST_EXTRA = $(BUILD)/bench/topo.o
$(BUILD)/tests/test_topo: TEST_EXTRA_LIBS = -lhwloc

# Benchmarks: C suites over the C++ shim, linked by the C++ compiler.
$(BUILD)/bench/%.o: KP_CFLAGS += -Ibench -I$(BUILD)/bench
$(BUILD)/bench/harness.o: $(BUILD)/bench/build_info.h
$(BUILD)/bench/build_info.h: Makefile
	$(call say,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)printf '#define KP_BUILD_VARIANT "%s"\n#define KP_BUILD_CC "%s"\n#define KP_BUILD_CFLAGS "%s"\n' \
		'$(VARIANT)' '$(CC)' '$(strip $(cflags.$(VARIANT)) $(CFLAGS))' > $@

$(BUILD)/bench/bench_shim: $(BUILD)/bench/shim/native_overhead.o
$(BUILD)/bench/bench_shim: BENCH_EXTRA = $(BUILD)/bench/shim/native_overhead.o
$(BUILD)/bench/bench_alloc: $(BUILD)/bench/peers/alloc.o
$(BUILD)/bench/bench_alloc: BENCH_EXTRA = $(BUILD)/bench/peers/alloc.o

$(BUILD)/bench/bench_%: $(BUILD)/bench/bench_%.o $(BENCH_COMMON) $(LIB)
	$(call say,LD,$@)
	$(Q)$(CXX) $< $(BENCH_EXTRA) $(BENCH_COMMON) $(LIB) -o $@ $(KP_LDFLAGS) $(BENCH_LIBS) $(KP_LIBS)

# The shim's own test: every call, checked through the JSON by bench.py smoke.
$(BUILD)/bench/shim/selftest: $(BUILD)/bench/shim/selftest.o $(BUILD)/bench/shim/kpbench.o
	$(call say,LD,$@)
	$(Q)$(CXX) $^ -o $@ $(KP_LDFLAGS) -lbenchmark -lpthread

bench-build: $(BENCH_BINS) $(BUILD)/bench/shim/selftest

$(BUILD)/fuzz/fuzz_%: fuzz/fuzz_%.c $(FUZZ_HELPERS) $(LIB)
	$(call say,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(KP_CFLAGS) -Ifuzz $< $(FUZZ_HELPERS) $(LIB) -o $@ $(KP_LDFLAGS) \
		$(if $(filter fuzz,$(VARIANT)),-fsanitize=fuzzer) $(KP_LIBS)

tests: $(TEST_BINS)
stress: $(STRESS_BINS)
model-tests: $(MODEL_BINS)
ifeq ($(VARIANT),fuzz)
fuzz-build: $(FUZZ_BINS)
else
fuzz-build:
	@echo "make fuzz-build: fuzz targets link libFuzzer; use VARIANT=fuzz" >&2
	@exit 2
endif

test:
	@scripts/run-tests.sh

# Benchmarks always build the release variant.
ifneq ($(filter bench sweep,$(MAKECMDGOALS)),)
ifneq ($(VARIANT),release)
$(error make bench/sweep measure the release variant; drop VARIANT=$(VARIANT))
endif
endif

RUN_ARG = $(if $(RUN),--run "$(RUN)")
bench:
	@scripts/install-deps.sh
	@$(MAKE) --no-print-directory -j$$(nproc) bench-build
	@scripts/bench.py run $(RUN_ARG)

sweep: bench-build
	@scripts/bench.py sweep $(RUN_ARG)

plots:
	@scripts/bench.py plots $(RUN_ARG)

compare:
	@test -n "$(A)" -a -n "$(B)" || { echo "make compare: give two runs, A=<run> B=<run>" >&2; exit 2; }
	@scripts/bench.py compare "$(A)" "$(B)"

FUZZ_SECONDS ?= 60
fuzz:
	@scripts/fuzz.sh --seconds "$(FUZZ_SECONDS)"

deps:
	@scripts/install-deps.sh


clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
