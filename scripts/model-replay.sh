#!/usr/bin/env bash
# model-replay.sh - replay one input of a schedule fuzz target and print
# its run step by step: step, task, operation, memory order, address, and
# where in the code (function, or object+offset turned into file:line by
# addr2line), then how the run ended and the report that ended it.
set -uo pipefail

usage() {
	cat <<USAGE
usage: scripts/model-replay.sh [--build DIR] TARGET INPUT

Replays INPUT (a crash, or any corpus file) through the schedule fuzz
target TARGET (fuzz/fuzz_sched_<name>.c, built in the fuzz-model variant) and
prints the model run's trace. The same input replays the same
interleaving every time.

  TARGET       the target's name, e.g. fuzz_sched_locks
  INPUT        the input file
  --build DIR  where the fuzz-model variant is built (default: build/fuzz-model)
  --help       show this help
USAGE
}

die() { echo "model-replay.sh: $*" >&2; exit 2; }

build=build/fuzz-model
args=()
while [ $# -gt 0 ]; do
	case "$1" in
	--build) [ $# -ge 2 ] || die "--build needs a value"; build=$2; shift 2 ;;
	--build=*) build=${1#--build=}; shift ;;
	-h|--help) usage; exit 0 ;;
	-*) die "unknown option '$1' (try --help)" ;;
	*) args+=("$1"); shift ;;
	esac
done
[ ${#args[@]} -eq 2 ] || die "give a TARGET and an INPUT (try --help)"
target=${args[0]} input=${args[1]}
[[ "$target" == fuzz_sched_* ]] || die "'$target' is not a schedule target (fuzz_sched_<name>)"
[ -f "$input" ] || die "no such input: $input"
cd "$(dirname "$0")/.." || exit 2
[ -f "fuzz/$target.c" ] || die "no target fuzz/$target.c"
make --no-print-directory -s VARIANT=fuzz-model BUILD="$build" "$build/fuzz/$target" >/dev/null ||
	die "could not build $build/fuzz/$target"
bin=$build/fuzz/$target

# Where a step is "at OBJECT+OFFSET", llvm-symbolizer names the inlined
# frames, innermost first; kprim's schedule-point plumbing is left out.
where() {
	llvm-symbolizer --obj="$bin" "$1" 2>/dev/null | grep -v '^$' | paste - - |
		grep -v -e 'core/sched.h' -e 'core/atomic.h' | head -n 3 |
		awk -F'\t' '{ n = split($2, p, "/"); printf "%s%s %s", (NR > 1 ? " < " : ""), $1, p[n] }'
}

# KP_MODEL_TRACE=all: the trace of every run, failing or not.
KP_MODEL_TRACE=all "$bin" -runs=1 "$input" 2>&1 |
	grep -v -e '^INFO: ' -e '^\*\*\*' -e 'Running 1 inputs' -e '^Executed ' -e '^Running: ' |
	while IFS= read -r line; do
		if [[ "$line" =~ \ at\ ([^ +]+)\+(0x[0-9a-f]+)$ ]] && command -v llvm-symbolizer >/dev/null; then
			line="${line% at *}  in $(where "${BASH_REMATCH[2]}")"
		fi
		printf '%s\n' "$line"
	done
exit "${PIPESTATUS[0]}"
