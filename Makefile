# kprim - the one entry point. `make help` lists the targets.
#
# Every variant builds out of tree into build/<variant>/ from the same
# sources; `VARIANT=` picks one (default release). CC follows the variant
# (gcc for release/debug/model, clang for the sanitizers and libFuzzer)
# unless given on the command line, so `make lib CC=clang` also works.

VARIANTS := release debug asan tsan model fuzz fuzz-model cov
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
cc.fuzz-model := clang
cc.cov := clang

# The configuration macros of each variant: they change public structures
# and inline fast paths, so they are written into the variant's generated
# kprim_config.h (core/config.h says what each does), never passed with -D.
config.release :=
config.debug := KP_DEBUG KP_LOCKDEP
config.asan := KP_DEBUG KP_LOCKDEP KP_ASAN
config.tsan := KP_DEBUG KP_TSAN
config.model := KP_DEBUG KP_LOCKDEP KP_MODEL
config.fuzz := KP_DEBUG KP_LOCKDEP KP_ASAN
# The schedule fuzz targets' variant: the fuzz variant with the model
# scheduler. Apart, because the model's seam costs the sequential targets
# a quarter of their speed even with no scheduler registered.
config.fuzz-model := KP_DEBUG KP_LOCKDEP KP_MODEL KP_ASAN
config.cov := KP_DEBUG KP_LOCKDEP KP_MODEL

# The sanitizers a program built against the variant needs too (its .pc).
san.asan := -fsanitize=address $(SAN_UB)
san.tsan := -fsanitize=thread
san.fuzz := -fsanitize=fuzzer-no-link,address $(SAN_UB)
# Coroutine stacks make libFuzzer's stack-depth signal noise (the model's tasks).
san.fuzz-model := $(san.fuzz) -fno-sanitize-coverage=stack-depth

cflags.release := -O2 -g
cflags.debug := -O1 -g
cflags.asan := -O1 -g $(san.asan)
cflags.tsan := -O1 -g $(san.tsan)
cflags.model := -O1 -g
# kprim's fuzz builds trace no compares (-fsanitize=fuzzer-no-link's
# trace-cmp, which feeds libFuzzer's compare-driven mutations): from empty
# corpora with their dictionaries, every target reached the same coverage
# in the same minute without it, at 0.9-2.2x the executions (README, "How
# fast"). A program built against the variant's .pc chooses for itself.
notrace.fuzz := -fno-sanitize-coverage=trace-cmp
cflags.fuzz := -O1 -g $(san.fuzz) $(notrace.fuzz)
cflags.fuzz-model := -O1 -g $(san.fuzz-model) $(notrace.fuzz)
# Source-based coverage of the fuzz targets replaying their corpora
# (LLVM_PROFILE_FILE; KP_SLUB_DEBUG=- to match the fuzz variant, whose
# ASan replaces slub_debug).
san.cov := -fprofile-instr-generate -fcoverage-mapping
cflags.cov := -O1 -g $(san.cov)

ldflags.asan := -fsanitize=address $(SAN_UB)
ldflags.tsan := -fsanitize=thread
ldflags.fuzz := -fsanitize=address $(SAN_UB)
ldflags.fuzz-model := $(ldflags.fuzz)
ldflags.cov := -fprofile-instr-generate

# Kernel-style short build lines; V=1 shows the full commands.
ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-7s %s\n' '$(1)' '$(2)'
endif

ifeq ($(origin CC),default)
CC := $(cc.$(VARIANT))
endif
CXX := $(or $(cxx.$(notdir $(CC))),c++)
KP_CFLAGS := -std=gnu11 $(WARN) $(cflags.$(VARIANT)) -Iprimitives -I$(BUILD)/include -MMD -MP $(CFLAGS)
KP_CXXFLAGS := -std=c++17 -Wall -Wextra -Werror -Wshadow $(cflags.$(VARIANT)) -MMD -MP $(CXXFLAGS)
CONFIG_H := $(BUILD)/include/kprim_config.h
PC_FILE := $(BUILD)/kprim-$(VARIANT).pc
# -rdynamic: reports and kmemleak name the functions of the binary itself (dladdr).
KP_LDFLAGS := -rdynamic $(ldflags.$(VARIANT)) $(LDFLAGS)
KP_LIBS := -lpthread -ldl -lm

# The model scheduler (primitives/model/) is part of the variants that have
# KP_MODEL; its coroutines (coro.c) of every variant, for bench_model.
MODEL_ONLY_SRCS := $(filter-out primitives/model/coro.c,$(wildcard primitives/model/*.c))
LIB_SRCS := $(sort $(filter-out $(if $(filter KP_MODEL,$(config.$(VARIANT))),,$(MODEL_ONLY_SRCS)),\
	$(wildcard primitives/*/*.c)))
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

# The schedule targets (fuzz_sched_*) build in fuzz-model, the others in
# fuzz; the cov variant builds both.
SCHED_FUZZ_SRCS := $(sort $(wildcard fuzz/fuzz_sched_*.c))
fuzz_srcs.fuzz := $(filter-out $(SCHED_FUZZ_SRCS),$(sort $(wildcard fuzz/fuzz_*.c)))
fuzz_srcs.fuzz-model := $(SCHED_FUZZ_SRCS)
fuzz_srcs.cov := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_SRCS := $(fuzz_srcs.$(VARIANT))
FUZZ_ORACLES := $(BUILD)/fuzz/fdp.o $(BUILD)/fuzz/lockdep_model.o
FUZZ_HELPERS := $(FUZZ_ORACLES) $(BUILD)/fuzz/expect.o $(if $(filter KP_MODEL,$(config.$(VARIANT))),$(BUILD)/fuzz/sched_target.o)
FUZZ_BINS := $(FUZZ_SRCS:%.c=$(BUILD)/%)

# Keep helper objects between runs.
.SECONDARY:

.PHONY: preload all lib install install-check uninstall public-headers FORCE tests stress model-tests fuzz-build bench-build test fuzz deps bench sweep plots \
	compare clean help campaign coverage mutants

all: lib

help:
	@echo "make lib       build $(BUILD)/libkprim.a (VARIANT=$(VARIANTS))"
	@echo "make test      install what is missing, build every variant needed, run all tests"
	@echo "make preload   libkprim-malloc.so and libkprim-pthread.so for LD_PRELOAD [VARIANT=release|debug]"
	@echo "make fuzz      run every fuzz target for FUZZ_SECONDS (default 60) each"
	@echo "make campaign  fuzz every target on every core for HOURS (default 8) [NAME=name]"
	@echo "make coverage  line coverage of primitives/ over every corpus (fuzz-out/coverage/)"
	@echo "make mutants   run the planted bugs of fuzz/mutants/ past their fuzz targets [MUTANT_SECONDS=60]"
	@echo "make deps      install the Debian packages kprim uses"
	@echo "make bench     install, build, run the default sweep, write results and plots [RUN=name] [SPEC=file]"
	@echo "make sweep     run a sweep spec (default sweeps/default.toml) into results/<run>/ [SPEC=file] [RUN=name]"
	@echo "make plots     render plots/<run>/ from results/<run>/ [RUN=name, default: latest]"
	@echo "make compare   compare two runs: A=<run> B=<run> [NORMALISE=1: by each run's calibration]"
	@echo "make install   install VARIANT's headers, library and kprim-<variant>.pc [PREFIX=/usr/local DESTDIR=]"
	@echo "make uninstall remove exactly what make install put there (same PREFIX, DESTDIR, VARIANT)"
	@echo "make clean     remove build/"

lib: $(LIB) $(PC_FILE)

$(LIB): $(LIB_OBJS)
	$(call say,AR,$@)
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

# Rewritten only when its text changes, so a Makefile edit that leaves the
# configuration alone rebuilds nothing.
$(CONFIG_H): FORCE
	$(Q)mkdir -p $(@D)
	$(Q){ printf '/* kprim_config.h - the %s variant'"'"'s configuration, generated by make: do not edit. */\n' '$(VARIANT)'; \
	  printf '#ifndef KPRIM_CONFIG_H\n#define KPRIM_CONFIG_H\n#define KP_VARIANT "%s"\n' '$(VARIANT)'; \
	  printf '#define KP_CONFIG "%s"\n' '$(or $(config.$(VARIANT)),none)'; \
	  for m in $(config.$(VARIANT)); do printf '#define %s 1\n' "$$m"; done; \
	  printf '#endif /* KPRIM_CONFIG_H */\n'; } > $@.tmp
	$(Q)if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; printf '  %-7s %s\n' GEN $@; fi

FORCE:

# The library's own files leave the program's half of the tie (core/config.h) out.
$(LIB_OBJS): KP_CFLAGS += -DKP_BUILDING_LIBRARY
# The model scheduler is the schedule fuzzers' instrument, not code under
# test: no coverage instrumentation, whose branches would be noise and cost
# (its interleaving coverage reaches libFuzzer through extra counters), and
# in the fuzz-model variant no ASan checks either (the ignore list says why).
nocov.fuzz := -fno-sanitize=fuzzer-no-link
nocov.fuzz-model := $(nocov.fuzz)
noinstrument.fuzz := $(nocov.fuzz)
noinstrument.fuzz-model := $(nocov.fuzz-model) -fsanitize-ignorelist=primitives/model/no-asan.ignorelist
$(filter $(BUILD)/primitives/model/%,$(LIB_OBJS)): KP_CFLAGS += $(noinstrument.$(VARIANT))
# So are the fuzz targets' oracles and their input reader: their compares
# are the checker's, not the code's (expect.c, which holds the entry point,
# leaves its checking functions out one by one).
$(FUZZ_ORACLES): KP_CFLAGS += $(nocov.$(VARIANT))

$(BUILD)/%.o: %.c $(CONFIG_H)
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(KP_CFLAGS) -c $< -o $@

$(BUILD)/%.o: %.cc $(CONFIG_H)
	$(call say,CXX,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CXX) $(KP_CXXFLAGS) -c $< -o $@

$(BUILD)/tests/%: tests/%.c $(TEST_HELPERS) $(LIB) $(CONFIG_H)
	$(call say,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(KP_CFLAGS) -Itests -Ifuzz -Ibench $< $(TEST_HELPERS) $(TEST_EXTRA) $(LIB) -o $@ \
		$(KP_LDFLAGS) -lcmocka $(TEST_EXTRA_LIBS) $(KP_LIBS)

# The placement tests drive bench/topo.c on synthetic topologies.
$(BUILD)/tests/test_topo: $(BUILD)/bench/topo.o
$(BUILD)/tests/test_topo: TEST_EXTRA = $(BUILD)/bench/topo.o
$(BUILD)/tests/test_topo: TEST_EXTRA_LIBS = -lhwloc

# ---- pkg-config files, install, uninstall ----------------------------------
#
# Each variant's tree has kprim-<variant>.pc for use in place
# (PKG_CONFIG_PATH=build/<variant>); `make install` puts the variant under
# PREFIX side by side with others: headers in include/kprim-<variant>/
# (each variant has its own kprim_config.h), lib/libkprim-<variant>.a,
# lib/pkgconfig/kprim-<variant>.pc. DESTDIR is honoured. The library is
# linked whole, so `cc $(pkg-config --cflags --libs kprim-debug) prog.c`
# links as well as the same flags put after prog.c: with a static library
# the usual one-liner would otherwise leave every kprim symbol undefined.

KPRIM_VERSION := 0.1.0
PREFIX ?= /usr/local
INTERNAL_HEADERS := primitives/alloc/slub.h primitives/model/internal.h primitives/model/coro.h
PUBLIC_HEADERS := primitives/kprim.h $(filter-out $(INTERNAL_HEADERS),$(sort $(wildcard primitives/*/*.h)))
HEADER_DIRS := $(sort $(patsubst primitives/%/,%,$(dir $(PUBLIC_HEADERS))))

# $(call write_pc,file,variables,cflags,libs)
define write_pc
	$(Q)mkdir -p $(dir $(1))
	$(Q){ printf '# kprim-%s.pc - generated by make, do not edit\n' '$(VARIANT)'; \
	  printf '%s\n' $(2) 'variant=$(VARIANT)' 'cc=$(notdir $(CC))' 'config=$(or $(config.$(VARIANT)),none)' ''; \
	  printf 'Name: kprim-%s\n' '$(VARIANT)'; \
	  printf 'Description: kprim reference kernel primitives, %s variant (%s)\n' \
		'$(VARIANT)' '$(or $(config.$(VARIANT)),no checks)'; \
	  printf 'Version: %s\n' '$(KPRIM_VERSION)'; \
	  printf 'Cflags: %s\n' '$(strip $(3) $(san.$(VARIANT)))'; \
	  printf 'Libs: %s\n' '$(strip -Wl,--push-state,--whole-archive $(4) -Wl,--pop-state \
		-rdynamic $(ldflags.$(VARIANT)) $(KP_LIBS))'; \
	} > $(1).tmp && mv -f $(1).tmp $(1)
endef

$(PC_FILE): Makefile
	$(call say,GEN,$@)
	$(call write_pc,$@,'srcdir=$(CURDIR)' 'builddir=$(abspath $(BUILD))',\
		-I$${srcdir}/primitives -I$${builddir}/include,-L$${builddir} -lkprim)

inst_inc = $(DESTDIR)$(PREFIX)/include/kprim-$(VARIANT)
inst_lib = $(DESTDIR)$(PREFIX)/lib

# The headers make install installs (tests/kerneldoc.py's default list).
public-headers:
	@echo $(PUBLIC_HEADERS)

install-check:
	@case '$(PREFIX)' in /*) ;; *) echo "make install: PREFIX must be an absolute path, got '$(PREFIX)'" >&2; exit 2 ;; esac

install: install-check lib
	$(call say,INSTALL,kprim-$(VARIANT) into $(DESTDIR)$(PREFIX))
	$(Q)for h in $(PUBLIC_HEADERS:primitives/%=%); do \
		install -D -m 644 primitives/$$h $(inst_inc)/$$h || exit 1; done
	$(Q)install -D -m 644 $(CONFIG_H) $(inst_inc)/kprim_config.h
	$(Q)install -D -m 644 $(LIB) $(inst_lib)/libkprim-$(VARIANT).a
	$(call write_pc,$(inst_lib)/pkgconfig/kprim-$(VARIANT).pc,'prefix=$(PREFIX)' \
		'includedir=$${prefix}/include/kprim-$(VARIANT)' 'libdir=$${prefix}/lib',\
		-I$${includedir},-L$${libdir} -lkprim-$(VARIANT))

# Exactly what install put there; shared folders go only if that left them empty.
uninstall: install-check
	$(call say,UNINST,kprim-$(VARIANT) from $(DESTDIR)$(PREFIX))
	$(Q)rm -f $(addprefix $(inst_inc)/,$(PUBLIC_HEADERS:primitives/%=%) kprim_config.h) \
		$(inst_lib)/libkprim-$(VARIANT).a $(inst_lib)/pkgconfig/kprim-$(VARIANT).pc
	$(Q)for d in $(addprefix $(inst_inc)/,$(HEADER_DIRS)) $(inst_inc) $(inst_lib)/pkgconfig \
		$(inst_lib) $(DESTDIR)$(PREFIX)/include; do \
		[ ! -d "$$d" ] || rmdir --ignore-fail-on-non-empty "$$d" || exit 1; done

# Benchmarks: C suites over the C++ shim, linked by the C++ compiler.
$(BUILD)/bench/%.o: KP_CFLAGS += -Ibench -I$(BUILD)/bench -Itests
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

bench-build: $(BENCH_BINS) $(BUILD)/bench/shim/selftest $(BUILD)/bench/bench_workloads

# The preload libraries (preload/, LD_PRELOAD into any program): the
# library again as position-independent code with hidden symbols, so that
# nothing of kprim's can clash with a program's names, each .so exporting
# only what its version script lists (preload/<name>.map).
PRELOAD_NAMES := malloc pthread
PRELOAD_LIBS := $(PRELOAD_NAMES:%=$(BUILD)/libkprim-%.so)
PIC_OBJS := $(LIB_SRCS:%.c=$(BUILD)/pic/%.o)
PIC_CFLAGS := -fPIC -fvisibility=hidden
$(PIC_OBJS): KP_CFLAGS += -DKP_BUILDING_LIBRARY

$(BUILD)/pic/%.o: %.c $(CONFIG_H)
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(KP_CFLAGS) $(PIC_CFLAGS) -c $< -o $@

$(BUILD)/libkprim-%.so: $(BUILD)/pic/preload/%.o $(PIC_OBJS) preload/%.map
	$(call say,LD,$@)
	$(Q)$(CC) -shared -Wl,--version-script=preload/$*.map -Wl,-z,now -Wl,-z,defs -o $@ \
		$< $(PIC_OBJS) $(ldflags.$(VARIANT)) $(LDFLAGS) $(KP_LIBS)

# The workload suite (bench/workloads.py): real programs under the preloads.
$(BUILD)/bench/bench_workloads: bench/workloads.py $(PRELOAD_LIBS)
	$(call say,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)sed 's|@SRCDIR@|$(CURDIR)|' $< > $@.tmp && chmod 755 $@.tmp && mv -f $@.tmp $@

ifneq ($(filter release debug,$(VARIANT)),)
preload: $(PRELOAD_LIBS)
else
preload:
	@echo "make preload: the preload libraries build in VARIANT=release or debug" >&2; exit 2
endif

$(BUILD)/fuzz/fuzz_%: fuzz/fuzz_%.c $(FUZZ_HELPERS) $(LIB) $(CONFIG_H)
	$(call say,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(KP_CFLAGS) -Ifuzz -Itests $< $(FUZZ_HELPERS) $(LIB) -o $@ $(KP_LDFLAGS) \
		$(if $(filter fuzz fuzz-model cov,$(VARIANT)),-fsanitize=fuzzer) $(KP_LIBS)

tests: $(TEST_BINS)
stress: $(STRESS_BINS)
model-tests: $(MODEL_BINS)
ifneq ($(filter fuzz fuzz-model cov,$(VARIANT)),)
fuzz-build: $(FUZZ_BINS)
else
fuzz-build:
	@echo "make fuzz-build: fuzz targets link libFuzzer; use VARIANT=fuzz, fuzz-model (schedule targets) or cov" >&2
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
SPEC_ARG = $(if $(SPEC),--spec "$(SPEC)")
bench:
	@scripts/install-deps.sh
	@$(MAKE) --no-print-directory -j$$(nproc) bench-build
	@scripts/bench.py run $(RUN_ARG) $(SPEC_ARG)

# A sweep spec (default sweeps/default.toml) into results/<RUN>/.
sweep: bench-build
	@scripts/bench.py sweep $(RUN_ARG) $(SPEC_ARG)

plots:
	@scripts/bench.py plots $(RUN_ARG)

compare:
	@test -n "$(A)" -a -n "$(B)" || { echo "make compare: give two runs, A=<run> B=<run>" >&2; exit 2; }
	@scripts/bench.py compare "$(A)" "$(B)" $(if $(NORMALISE),--normalise)

FUZZ_SECONDS ?= 60
fuzz:
	@scripts/fuzz.sh --seconds "$(FUZZ_SECONDS)"

# A night on every core: fuzz-out/<NAME>/ (the same NAME resumes).
HOURS ?= 8
NAME ?= $(shell date +%Y%m%d)
campaign:
	@scripts/campaign run "$(NAME)" --hours "$(HOURS)"

coverage:
	@scripts/coverage.sh

MUTANT_SECONDS ?= 60
mutants:
	@make --no-print-directory VARIANT=fuzz fuzz-build >/dev/null
	@make --no-print-directory VARIANT=fuzz-model fuzz-build >/dev/null
	@make --no-print-directory VARIANT=debug tests >/dev/null
	@scripts/mutants --budget "$(MUTANT_SECONDS)"

deps:
	@scripts/install-deps.sh


clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
