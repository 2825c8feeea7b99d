#!/usr/bin/env bash
# coverage.sh - source-based line coverage of primitives/ over every fuzz
# corpus (what `make coverage` runs): per-file and per-function reports,
# HTML, and a one-line total.
#
# Builds the cov variant (clang -fprofile-instr-generate -fcoverage-mapping,
# the fuzz targets with the model's seam, slub_debug off to match the fuzz
# variant's ASan), replays each target over its corpora, merges the
# profiles with llvm-profdata and reports with llvm-cov.
set -uo pipefail

usage() {
	cat <<USAGE
usage: scripts/coverage.sh [--corpus-root DIR]... [--out DIR] [--target NAME]... [--help]

  --corpus-root DIR  a folder holding <target>/ corpora (repeatable;
                     default: corpora/; a campaign's fuzz-out/NAME/corpus
                     adds what it found)
  --target NAME      only this target (repeatable; default: every one)
  --out DIR          where the reports go (default: fuzz-out/coverage)
  --help             show this help

Writes DIR/summary.txt (per file), DIR/functions.txt (per function),
DIR/html/index.html and DIR/total.txt ("lines 84.12% of 5123").
USAGE
}

die() { echo "coverage.sh: $*" >&2; exit 2; }

roots=()
targets=()
out=fuzz-out/coverage
while [ $# -gt 0 ]; do
	case "$1" in
	--corpus-root) [ $# -ge 2 ] || die "--corpus-root needs a value"; roots+=("$2"); shift 2 ;;
	--corpus-root=*) roots+=("${1#--corpus-root=}"); shift ;;
	--target) [ $# -ge 2 ] || die "--target needs a value"; targets+=("$2"); shift 2 ;;
	--target=*) targets+=("${1#--target=}"); shift ;;
	--out) [ $# -ge 2 ] || die "--out needs a value"; out=$2; shift 2 ;;
	--out=*) out=${1#--out=}; shift ;;
	-h|--help) usage; exit 0 ;;
	*) die "unknown option '$1' (try --help)" ;;
	esac
done
cd "$(dirname "$0")/.." || exit 2
[ ${#roots[@]} -gt 0 ] || roots=(corpora)
for r in "${roots[@]}"; do [ -d "$r" ] || die "no such corpus root: $r"; done

# The LLVM tools of the compiler that built the cov variant.
major=$(clang -dumpversion | cut -d. -f1)
profdata=$(command -v "llvm-profdata-$major" || command -v llvm-profdata) ||
	die "llvm-profdata not found (the llvm package; scripts/install-deps.sh installs it)"
cov=$(command -v "llvm-cov-$major" || command -v llvm-cov) || die "llvm-cov not found"

all=()
for src in fuzz/fuzz_*.c; do all+=("$(basename "$src" .c)"); done
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")
for t in "${targets[@]}"; do
	[[ " ${all[*]} " == *" $t "* ]] || die "unknown target '$t' (have: ${all[*]})"
done

echo "coverage: building the cov variant"
make --no-print-directory -j"$(nproc)" VARIANT=cov fuzz-build >/dev/null ||
	die "build failed: run 'make VARIANT=cov fuzz-build' to see why"

rm -rf "$out"
mkdir -p "$out/profiles"
objects=()
for t in "${targets[@]}"; do
	bin=build/cov/fuzz/$t
	dirs=()
	for r in "${roots[@]}"; do [ -d "$r/$t" ] && dirs+=("$r/$t"); done
	# llvm-cov takes the first binary as is, the others after -object
	if [ ${#objects[@]} -eq 0 ]; then objects+=("$bin"); else objects+=(-object "$bin"); fi
	[ ${#dirs[@]} -gt 0 ] || { echo "coverage: $t: no corpus, skipped"; continue; }
	n=$(find "${dirs[@]}" -type f | wc -l)
	echo "coverage: $t over $n inputs"
	KP_SLUB_DEBUG=- LLVM_PROFILE_FILE="$out/profiles/$t-%p.profraw" \
		"$bin" -runs=0 "${dirs[@]}" >"$out/profiles/$t.log" 2>&1 ||
		die "$t failed on its corpus (see $out/profiles/$t.log)"
done
"$profdata" merge -sparse -o "$out/kprim.profdata" "$out"/profiles/*.profraw ||
	die "llvm-profdata merge failed"
sources=(primitives)
"$cov" report -instr-profile="$out/kprim.profdata" "${objects[@]}" "${sources[@]}" \
	>"$out/summary.txt" || die "llvm-cov report failed"
"$cov" report -show-functions -instr-profile="$out/kprim.profdata" "${objects[@]}" \
	primitives/*/*.c >"$out/functions.txt" || die "llvm-cov report -show-functions failed"
"$cov" show -format=html -output-dir="$out/html" -instr-profile="$out/kprim.profdata" \
	"${objects[@]}" "${sources[@]}" >/dev/null || die "llvm-cov show failed"
total=$(awk '$1 == "TOTAL" { print "lines " $10 " of " $8 }' "$out/summary.txt")
echo "$total" >"$out/total.txt"
grep -E '^(Filename|[a-z]+/[a-z_]+\.[ch] )' "$out/summary.txt" |
	awk '{ printf "%-28s %8s %8s\n", $1, $8, $10 }'
echo "coverage: primitives/ $total; $out/html/index.html, summary.txt, functions.txt"
