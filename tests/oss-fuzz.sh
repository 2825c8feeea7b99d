#!/usr/bin/env bash
# oss-fuzz.sh - .clusterfuzzlite/build.sh run here as OSS-Fuzz runs it (no
# Docker): every fuzz target, its seed zip, dictionary and options land in
# $OUT and run over their seeds; an UndefinedBehaviorSanitizer build (no
# ASan, so no KP_ASAN) builds too; oss-fuzz/build.sh is the same script.
# TAP.
set -uo pipefail

case "${1:-}" in
-h|--help) echo "usage: tests/oss-fuzz.sh [--help]: builds the fuzzers the OSS-Fuzz way into a scratch \$OUT and prints TAP"; exit 0 ;;
"") ;;
*) echo "oss-fuzz.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.." || exit 2
# shellcheck source=tests/tap.sh
. tests/tap.sh

# oss_build SANITIZER FLAGS: build.sh with OSS-Fuzz's variables, into $tmp/SANITIZER
oss_build() {
	local flags="-O1 -fno-omit-frame-pointer -gline-tables-only $2 -fsanitize=fuzzer-no-link"
	mkdir -p "$tmp/$1/out" "$tmp/$1/work"
	env CC=clang CXX=clang++ CFLAGS="$flags" CXXFLAGS="$flags" \
		LIB_FUZZING_ENGINE=-fsanitize=fuzzer SANITIZER="$1" FUZZING_ENGINE=libfuzzer \
		ARCHITECTURE=x86_64 SRC="$(pwd)/.." WORK="$tmp/$1/work" OUT="$tmp/$1/out" \
		bash .clusterfuzzlite/build.sh 2>&1
}

if out=$(oss_build address "-fsanitize=address -fsanitize-address-use-after-scope"); then
	ok "build.sh builds with SANITIZER=address"
else
	not_ok "build.sh builds with SANITIZER=address" "$out"
fi
for src in fuzz/fuzz_*.c; do
	t=$(basename "$src" .c)
	o=$tmp/address/out
	if [ ! -x "$o/$t" ] || [ ! -f "$o/${t}_seed_corpus.zip" ] || [ ! -f "$o/$t.options" ]; then
		not_ok "$t: binary, seed zip and options in \$OUT" "$(ls "$o")"
		continue
	fi
	if [ -f "corpora/$t.dict" ] && ! cmp -s "corpora/$t.dict" "$o/$t.dict"; then
		not_ok "$t: its dictionary in \$OUT" "$(ls "$o")"
		continue
	fi
	seeds=$tmp/seeds-$t
	mkdir -p "$seeds"
	python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' \
		"$o/${t}_seed_corpus.zip" "$seeds"
	want=$(find "corpora/$t" -type f | wc -l)
	got=$(find "$seeds" -type f | wc -l)
	if out=$("$o/$t" -runs=0 "$seeds" 2>&1) && [ "$want" -eq "$got" ]; then
		ok "$t: in \$OUT with its seed zip ($got inputs), options$([ -f "$o/$t.dict" ] && echo ", dictionary"), and runs over the seeds"
	else
		not_ok "$t: runs over its $got seeds (of $want)" "$out"
	fi
done
if out=$(oss_build undefined "-fsanitize=array-bounds,bool,builtin,enum,float-divide-by-zero,function,integer-divide-by-zero,null,object-size,return,returns-nonnull-attribute,shift,signed-integer-overflow,unsigned-integer-overflow,unreachable,vla-bound,vptr -fno-sanitize-recover=array-bounds,bool,builtin,enum,float-divide-by-zero,function,integer-divide-by-zero,null,object-size,return,returns-nonnull-attribute,shift,signed-integer-overflow,unreachable,vla-bound,vptr") &&
	grep -q 'KP_CONFIG "KP_DEBUG KP_LOCKDEP"' "$tmp/undefined/work/kprim-seq/include/kprim_config.h" &&
	# OSS-Fuzz runs UBSan builds with unsigned wrap-around silenced (hashes wrap on purpose)
	out=$(UBSAN_OPTIONS="silence_unsigned_overflow=1:halt_on_error=1:print_stacktrace=1" \
		"$tmp/undefined/out/fuzz_refcount" -runs=0 corpora/fuzz_refcount 2>&1); then
	ok "build.sh builds with SANITIZER=undefined (no ASan, so no KP_ASAN) and its targets run"
else
	not_ok "build.sh builds with SANITIZER=undefined" "$out"
fi
if [ "$(readlink -f oss-fuzz/build.sh)" = "$(readlink -f .clusterfuzzlite/build.sh)" ]; then
	ok "oss-fuzz/build.sh is .clusterfuzzlite/build.sh"
else
	not_ok "oss-fuzz/build.sh is .clusterfuzzlite/build.sh" "$(ls -l oss-fuzz)"
fi
echo "1..$n"
