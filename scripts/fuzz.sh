#!/usr/bin/env bash
# fuzz.sh - run every libFuzzer target for a time budget and report
# exec/s, coverage and findings (what `make fuzz` runs).
#
# Each target fuzzes into its own work corpus under fuzz-out/<target>/
# (seeded from corpora/<target>/, which it only reads), so a second run
# picks up where the first stopped and nothing is lost to an interruption.
# Crashes, leaks and timeouts land in fuzz-out/<target>/artifacts/.
set -uo pipefail

usage() {
	cat <<USAGE
usage: scripts/fuzz.sh [--seconds N] [--target NAME]... [--out DIR] [--help]

Builds the fuzz variants (fuzz; fuzz-model for the schedule targets,
fuzz_sched_*) and runs each fuzz target for N seconds.

  --seconds N    time per target (default: \$FUZZ_SECONDS or 60)
  --target NAME  only this target (repeatable; default: all in fuzz/)
  --out DIR      where work corpora and artifacts go (default: fuzz-out)
  --help         show this help
USAGE
}

die() { echo "fuzz.sh: $*" >&2; exit 2; }

seconds=${FUZZ_SECONDS:-60}
out=fuzz-out
targets=()
while [ $# -gt 0 ]; do
	case "$1" in
	--seconds) [ $# -ge 2 ] || die "--seconds needs a value"; seconds=$2; shift 2 ;;
	--seconds=*) seconds=${1#--seconds=}; shift ;;
	--target) [ $# -ge 2 ] || die "--target needs a value"; targets+=("$2"); shift 2 ;;
	--target=*) targets+=("${1#--target=}"); shift ;;
	--out) [ $# -ge 2 ] || die "--out needs a value"; out=$2; shift 2 ;;
	--out=*) out=${1#--out=}; shift ;;
	-h|--help) usage; exit 0 ;;
	*) die "unknown option '$1' (try --help)" ;;
	esac
done
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || die "--seconds wants a positive integer, got '$seconds'"

cd "$(dirname "$0")/.." || exit 2

all=()
for src in fuzz/fuzz_*.c; do
	all+=("$(basename "$src" .c)")
done
if [ ${#targets[@]} -eq 0 ]; then
	targets=("${all[@]}")
fi
for t in "${targets[@]}"; do
	[[ " ${all[*]} " == *" $t "* ]] || die "unknown target '$t' (have: ${all[*]})"
done

# The schedule targets build in the fuzz-model variant, the others in fuzz.
variant_of() { [[ "$1" == fuzz_sched_* ]] && echo fuzz-model || echo fuzz; }
for v in fuzz fuzz-model; do
	echo "fuzz: building the $v variant"
	make --no-print-directory -j"$(nproc)" VARIANT=$v fuzz-build >/dev/null ||
		die "build failed: run 'make VARIANT=$v fuzz-build' to see why"
done

export ASAN_OPTIONS="dedup_token_length=3:${ASAN_OPTIONS:-}"
rows=()
findings=0
interrupted=0
trap 'interrupted=1' INT TERM

i=0
for t in "${targets[@]}"; do
	i=$((i + 1))
	work=$out/$t
	mkdir -p "$work/corpus" "$work/artifacts"
	log=$work/last-run.log
	echo "fuzz: [$i/${#targets[@]}] $t for ${seconds}s (log: $log)"
	dict=()
	[ -f "corpora/$t.dict" ] && dict=(-dict="corpora/$t.dict")
	./build/"$(variant_of "$t")"/fuzz/"$t" -max_total_time="$seconds" -print_final_stats=1 \
		-error_exitcode=1 -timeout_exitcode=70 -timeout=10 "${dict[@]}" \
		-artifact_prefix="$work/artifacts/" "$work/corpus" "corpora/$t" >"$log" 2>&1
	rc=$?
	execs=$(grep -m1 -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$')
	rate=$(grep -m1 -oE 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -oE '[0-9]+$')
	last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
	cov=$(grep -oE 'cov: [0-9]+' <<<"$last" | grep -oE '[0-9]+')
	ft=$(grep -oE 'ft: [0-9]+' <<<"$last" | grep -oE '[0-9]+')
	corp=$(find "$work/corpus" -type f | wc -l)
	status=ok
	if [ $rc -ne 0 ] && [ $interrupted -eq 0 ]; then
		status="FOUND (exit $rc): $(ls -t "$work/artifacts" | head -n 1)"
		findings=$((findings + 1))
		grep -m3 -E 'ERROR|unexpected report|fuzz_.*: .*:[0-9]+:' "$log" | sed 's/^/    /'
	fi
	rows+=("$(printf '%-18s %10s %9s %6s %7s %7s  %s' "$t" "${execs:-?}" \
		"${rate:-?}" "${cov:-?}" "${ft:-?}" "$corp" "$status")")
	[ $interrupted -eq 1 ] && { echo "fuzz: interrupted; work corpora kept in $out/"; break; }
done

echo
printf '%-18s %10s %9s %6s %7s %7s  %s\n' target execs exec/s cov ft corpus status
printf '%s\n' "${rows[@]}"
[ $interrupted -eq 1 ] && exit 130
[ $findings -eq 0 ]
