#!/usr/bin/env bash
# run-tests.sh - everything `make test` runs, with one summary at the end.
#
# Stages, in order: deps (install what is missing), build (release with gcc
# and with clang), debug (unit tests with the debug checks on), asan (the
# same under ASan+UBSan), tsan (stress tests), model (model-build tests),
# fuzz (every fuzz target over its corpus: the sequential ones in the fuzz
# variant, the schedule ones in fuzz-model), install (a client program built
# with each variant's pkg-config file alone, mismatched headers and
# libraries refused, release and debug installed into a temporary prefix,
# the examples built there and their output checked, uninstall leaving the
# prefix empty: tests/install.sh), preload (the LD_PRELOAD libraries under
# test programs built with plain cc and under real programs, the debug
# variant's reports through them, the quick workload suite under the debug
# preloads: tests/preload.sh), bench (a minimal run of every
# benchmark binary with its JSON checked, a quick sweep, every plot script
# rendered, compare.py loading the JSON, and the bad-input checks). Each test binary prints
# TAP; its output is shown indented under its stage, every "ok"/"not ok"
# is counted, and a binary that exits non-zero (a sanitizer report, a
# crash, a short plan) counts as one more failure. The last line is
# "N passed, N failed"; the exit status is non-zero if anything failed.
set -uo pipefail

ALL_STAGES="deps build debug asan tsan model fuzz campaign install preload bench"

usage() {
	cat <<USAGE
usage: scripts/run-tests.sh [--stages LIST] [--jobs N] [--help]

Builds what each stage needs and runs kprim's tests.

  --stages LIST  comma-separated subset of: ${ALL_STAGES// /,}
                 (default: all)
  --jobs N       parallel build jobs (default: number of CPUs)
  --help         show this help
USAGE
}

die() { echo "run-tests.sh: $*" >&2; exit 2; }

stages="$ALL_STAGES"
jobs=$(nproc 2>/dev/null || echo 2)
while [ $# -gt 0 ]; do
	case "$1" in
	--stages) [ $# -ge 2 ] || die "--stages needs a value"; stages=${2//,/ }; shift 2 ;;
	--stages=*) stages=${1#--stages=}; stages=${stages//,/ }; shift ;;
	--jobs) [ $# -ge 2 ] || die "--jobs needs a value"; jobs=$2; shift 2 ;;
	--jobs=*) jobs=${1#--jobs=}; shift ;;
	-h|--help) usage; exit 0 ;;
	*) die "unknown option '$1' (try --help)" ;;
	esac
done
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || die "--jobs wants a positive integer, got '$jobs'"
[ -n "$stages" ] || die "--stages is empty"
for s in $stages; do
	[[ " $ALL_STAGES " == *" $s "* ]] || die "unknown stage '$s' (choose from: $ALL_STAGES)"
done

cd "$(dirname "$0")/.." || exit 2

export CMOCKA_MESSAGE_OUTPUT=TAP
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
export TSAN_OPTIONS="second_deadlock_stack=1:${TSAN_OPTIONS:-}"

passed=0
failed=0
skipped=0
failures=()
nstage=0
total_stages=$(wc -w <<<"$stages")

stage() {
	nstage=$((nstage + 1))
	printf '# [%d/%d] %s\n' "$nstage" "$total_stages" "$*"
}

pass() { passed=$((passed + 1)); printf '  ok - %s\n' "$1"; }
fail() { failed=$((failed + 1)); failures+=("$1"); printf '  not ok - %s\n' "$1"; }

# Build make targets for a variant; a build failure is one failed test.
build() {
	local variant=$1; shift
	local log
	log=$(make --no-print-directory -j"$jobs" VARIANT="$variant" "$@" 2>&1)
	local rc=$?
	if [ $rc -ne 0 ]; then
		printf '%s\n' "$log" | tail -n 30 | sed 's/^/    /'
		fail "build $variant: make $* failed"
		return 1
	fi
	return 0
}

# Run one TAP-printing binary; count its results and its exit status.
run_tap() {
	local label=$1; shift
	local out rc plan p f k
	out=$(timeout 600 "$@" 2>&1)
	rc=$?
	printf '%s\n' "$out" | sed 's/^/    /'
	# cmocka marks a skip "not ok N # SKIP"; TAP's own form is "ok N # SKIP".
	k=$(grep -cE '^(not )?ok [0-9]+ # SKIP' <<<"$out")
	p=$(grep -E '^ok [0-9]+' <<<"$out" | grep -cv '# SKIP')
	f=$(grep -E '^not ok [0-9]+' <<<"$out" | grep -cv '# SKIP')
	plan=$(grep -m1 -oE '^1\.\.[0-9]+' <<<"$out" | cut -d. -f3)
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + k))
	if [ "$f" -gt 0 ]; then
		failures+=("$label: $f test(s) failed")
	fi
	if [ -z "$plan" ] || [ $((p + f + k)) -ne "$plan" ]; then
		fail "$label: ran $((p + f + k)) of ${plan:-?} planned tests (exit $rc)"
	elif [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		fail "$label: exit status $rc with every test passing (sanitizer report?)"
	fi
}

run_bins() {
	local variant=$1; shift
	local bin
	for bin in "$@"; do
		[[ "$bin" == *.* ]] && continue	# dependency files beside the binaries
		[ -x "$bin" ] || { fail "$variant: $bin was not built"; continue; }
		echo "  # $variant $(basename "$bin")"
		run_tap "$variant $(basename "$bin")" "$bin"
	done
}

echo "KTAP version 1"
start=$(date +%s)

for s in $stages; do
	case "$s" in
	deps)
		stage "deps: install what is missing"
		if scripts/install-deps.sh | sed 's/^/    /'; then
			pass "dependencies installed"
		else
			fail "dependencies: scripts/install-deps.sh failed"
		fi
		;;
	build)
		stage "build: release library with gcc and with clang (-Werror)"
		build release lib && pass "release libkprim.a builds with gcc"
		build release lib CC=clang BUILD=build/release-clang &&
			pass "release libkprim.a builds with clang"
		;;
	debug|asan)
		stage "$s: unit tests"
		build "$s" tests && run_bins "$s" build/"$s"/tests/test_* &&
			KPRIM_QSPINLOCK=native run_bins "$s native-qspinlock" \
				build/"$s"/tests/test_spinlock
		;;
	tsan)
		stage "tsan: stress tests under ThreadSanitizer (debug caches, then fast paths)"
		if build tsan stress; then
			run_bins tsan build/tsan/tests/stress_*
			KP_SLUB_DEBUG=- run_bins "tsan fast-path" build/tsan/tests/stress_*
			KPRIM_QSPINLOCK=native run_bins "tsan native-qspinlock" \
				build/tsan/tests/stress_locks
		fi
		;;
	model)
		stage "model: model-build tests, and the unit tests built with the model's seam"
		build model model-tests && run_bins model build/model/tests/model_*
		build model tests && run_bins "model unit" build/model/tests/test_*
		;;
	fuzz)
		stage "fuzz: every fuzz target over its corpus (ASan+UBSan; the schedule targets with the model)"
		if build fuzz fuzz-build && build fuzz-model fuzz-build; then
			for src in fuzz/fuzz_*.c; do
				name=$(basename "$src" .c)
				if [[ "$name" == fuzz_sched_* ]]; then
					bin=build/fuzz-model/fuzz/$name
				else
					bin=build/fuzz/fuzz/$name
				fi
				dir=corpora/$name
				n=$(find "$dir" -type f 2>/dev/null | wc -l)
				if [ "$n" -eq 0 ]; then
					fail "$name: no corpus in $dir"
					continue
				fi
				# With its dictionary, which libFuzzer refuses if malformed; an
				# input that hangs (a looping freelist) is a failure within 60 s.
				dict=()
				[ -f "corpora/$name.dict" ] && dict=(-dict="corpora/$name.dict")
				if out=$(timeout 600 "$bin" "${dict[@]}" -timeout=60 -runs=0 "$dir" 2>&1); then
					pass "$name: $n corpus inputs replayed${dict:+, dictionary parsed}"
				else
					printf '%s\n' "$out" | tail -n 40 | sed 's/^/    /'
					fail "$name: corpus replay failed"
				fi
			done
			# kprim's code counts edges but traces no compares (Makefile: notrace.fuzz).
			for v in fuzz fuzz-model; do
				syms=$(nm -u "build/$v/libkprim.a" "build/$v/fuzz/expect.o" 2>&1)
				if grep -q '__sanitizer_cov_8bit_counters_init' <<<"$syms" &&
					! grep -q '__sanitizer_cov_trace_[a-z_]*cmp\|__sanitizer_cov_trace_switch' <<<"$syms"; then
					pass "$v: kprim's objects count edges and trace no compares"
				else
					grep '__sanitizer_cov_trace' <<<"$syms" | sort | uniq -c | sed 's/^/    /'
					fail "$v: kprim's objects trace compares (or count no edges)"
				fi
			done
			# The replay tool on one schedule input: a trace with source lines.
			input=$(find corpora/fuzz_sched_locks -type f | sort | head -n 1)
			out=$(scripts/model-replay.sh fuzz_sched_locks "$input" 2>&1)
			if grep -q '^  step  task  operation' <<<"$out" &&
				grep -q 'round_[a-z_]* fuzz_sched_locks.c:[0-9]' <<<"$out" &&
				grep -q ' (the_[a-z_]*+0' <<<"$out" &&
				grep -q '^end: every task returned' <<<"$out" &&
				grep -q '^schedule: kp1 ' <<<"$out"; then
				pass "model-replay.sh prints a schedule input's trace with source lines and lock names"
			else
				printf '%s\n' "$out" | tail -n 20 | sed 's/^/    /'
				fail "model-replay.sh: no trace, source lines, lock names, end or schedule"
			fi
		fi
		;;
	campaign)
		stage "campaign: scripts/campaign and scripts/coverage.sh on tiny budgets, the OSS-Fuzz build"
		build fuzz fuzz-build && build fuzz-model fuzz-build &&
			run_tap "campaign" tests/campaign.sh
		run_tap "oss-fuzz" tests/oss-fuzz.sh
		;;
	install)
		stage "install: pkg-config clients of every variant, mismatches, install, examples"
		run_tap "install" tests/install.sh --jobs "$jobs"
		;;
	preload)
		stage "preload: libkprim-malloc.so and libkprim-pthread.so under test and real programs"
		run_tap "preload" tests/preload.sh
		;;
	bench)
		stage "bench: smoke run of every benchmark, sweep, plots and compare"
		build release bench-build &&
			run_tap "bench smoke" scripts/bench.py smoke --build build/release/bench
		;;
	esac
done

echo "# finished in $(( $(date +%s) - start ))s"
if [ ${#failures[@]} -gt 0 ]; then
	echo "# failures:"
	printf '#   %s\n' "${failures[@]}"
fi
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
