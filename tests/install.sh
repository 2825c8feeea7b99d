#!/usr/bin/env bash
# install.sh - kprim as a library other programs build against, tested the
# way users build: nothing but `pkg-config` and `cc`.
#
# For every variant: tests/pkgconfig_client.c built with the variant's
# uninstalled kprim-<variant>.pc runs and passes. Every mismatch fails
# loudly, with the message a user needs: headers of one variant linked
# with another's library (both configurations named), a stray -DKP_*, a
# missing kprim_config.h, sanitizer flags that disagree with the variant.
# Then release and debug are installed side by side into a temporary
# prefix, the examples are built against the installed .pc files and their
# output checked, DESTDIR is honoured, and uninstall leaves the prefix
# empty. Prints TAP.
set -uo pipefail

ALL_VARIANTS="release debug asan tsan model fuzz fuzz-model"

usage() {
	cat <<USAGE
usage: tests/install.sh [--variants LIST] [--jobs N] [--help]

Builds each variant's library and checks that programs built through
pkg-config run, that mismatched headers and libraries are refused, and that
make install / make uninstall round-trip. Prints TAP.

  --variants LIST  comma-separated variants whose client to build and run
                   (default: ${ALL_VARIANTS// /,})
  --jobs N         parallel build jobs (default: number of CPUs)
  --help           show this help
USAGE
}

die() { echo "install.sh: $*" >&2; exit 2; }

variants="$ALL_VARIANTS"
jobs=$(nproc 2>/dev/null || echo 2)
while [ $# -gt 0 ]; do
	case "$1" in
	--variants) [ $# -ge 2 ] || die "--variants needs a value"; variants=${2//,/ }; shift 2 ;;
	--variants=*) variants=${1#--variants=}; variants=${variants//,/ }; shift ;;
	--jobs) [ $# -ge 2 ] || die "--jobs needs a value"; jobs=$2; shift 2 ;;
	--jobs=*) jobs=${1#--jobs=}; shift ;;
	-h|--help) usage; exit 0 ;;
	*) die "unknown option '$1' (try --help)" ;;
	esac
done
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || die "--jobs wants a positive integer, got '$jobs'"
for v in $variants; do
	[[ " $ALL_VARIANTS " == *" $v "* ]] || die "unknown variant '$v' (choose from: $ALL_VARIANTS)"
done
command -v pkg-config >/dev/null || die "pkg-config is not installed (scripts/install-deps.sh)"

cd "$(dirname "$0")/.." || exit 2
root=$PWD

# shellcheck source=tests/tap.sh
. "$root/tests/tap.sh"

# pc VARIANT ARGS...: pkg-config on a variant's build tree
pc() { PKG_CONFIG_PATH="$root/build/$1" pkg-config "${@:2}" "kprim-$1"; }
WFLAGS=(-Wall -Wextra -Werror)

make_quiet() {
	local out
	out=$(make --no-print-directory -j"$jobs" "$@" 2>&1) || { printf '%s\n' "$out" >&2; return 1; }
}

# ---- every variant, through its uninstalled .pc -------------------------------
for v in $variants; do
	if ! make_quiet lib VARIANT="$v"; then
		not_ok "kprim-$v: make lib VARIANT=$v"
		continue
	fi
	cc=$(pc "$v" --variable=cc)
	# shellcheck disable=SC2046 # pkg-config's output is word lists
	if out=$($cc "${WFLAGS[@]}" $(pc "$v" --cflags) tests/pkgconfig_client.c \
		$(pc "$v" --libs) -o "$tmp/client-$v" 2>&1); then
		out=$(timeout 300 "$tmp/client-$v" "$v" 2>&1)
		rc=$?
		nok=$(grep -c '^ok ' <<<"$out")
		expect "kprim-$v: a client built with '$cc \$(pkg-config --cflags --libs kprim-$v)' passes its $nok checks" \
			"$out" test "$rc" -eq 0 -a "$nok" -ge 8
	else
		not_ok "kprim-$v: the client builds with pkg-config alone" "$out"
	fi
done

# ---- the model example, against the model variant's .pc -----------------------
if make_quiet lib VARIANT=model; then
	# shellcheck disable=SC2046
	if out=$(cc "${WFLAGS[@]}" $(pc model --cflags) examples/model_account.c $(pc model --libs) \
		-o "$tmp/model_account" 2>&1); then
		out=$("$tmp/model_account" 2>&1); rc=$?
		expect "examples/model_account.c: the model tells the racy withdrawal from the right one, and replays it" \
			"$out" eval '[ $rc -eq 0 ] && has_all "$out" "withdraw: " " 0 overdrawn" \
				"withdraw_racy: " "first overdraft: schedule \"kp1 " "replayed: balance -40" \
				"  step  task  operation" "end: every task returned" &&
				! has "$out" "withdraw_racy: 0 interleavings"'
	else
		not_ok "examples/model_account.c builds against kprim-model" "$out"
	fi
else
	not_ok "kprim-model: make lib VARIANT=model"
fi

# ---- mismatches fail loudly ---------------------------------------------------
make_quiet lib VARIANT=release && make_quiet lib VARIANT=debug && make_quiet lib VARIANT=asan ||
	die "cannot build the release, debug and asan libraries"
LIBS=(-lpthread -ldl -lm)

# refused DESCRIPTION MESSAGE... -- COMMAND...: COMMAND (a build writing
# $tmp/x) must fail, and its output hold every MESSAGE.
refused() {
	local what=$1 out; shift
	local messages=()
	while [ "$1" != -- ]; do messages+=("$1"); shift; done
	shift
	rm -f "$tmp/x"
	out=$("$@" -o "$tmp/x" 2>&1)
	expect "$what" "$out" eval '[ ! -e "$tmp/x" ] && has_all "$out" "${messages[@]}"'
}

# link_mismatch HEADERS LIBRARY: that variant's headers, the other's library
link_mismatch() {
	local want_lib want_prog
	want_lib=$(pc "$1" --variable=config | tr ' ' _)
	want_prog=$(pc "$2" --variable=config | tr ' ' _)
	# shellcheck disable=SC2046
	refused "$1 headers + $2 library: the link fails naming both configurations" \
		"undefined reference to \`kprim_library_config_$want_lib'" \
		"undefined reference to \`kprim_program_config_$want_prog'" -- \
		gcc $(pc "$1" --cflags) tests/pkgconfig_client.c -Lbuild/"$2" -lkprim "${LIBS[@]}"
}
link_mismatch release debug
link_mismatch debug release

# shellcheck disable=SC2046
refused "a stray -DKP_LOCKDEP is refused at compile time" \
	"KP_LOCKDEP is set outside kprim_config.h" -- \
	gcc -DKP_LOCKDEP $(pc release --cflags) tests/pkgconfig_client.c $(pc release --libs)
refused "-Iprimitives without a variant's include path is refused" \
	"kprim_config.h is not on the include path" -- \
	gcc -Iprimitives tests/pkgconfig_client.c -Lbuild/debug -lkprim "${LIBS[@]}"
refused "asan headers without -fsanitize=address are refused" \
	"built with AddressSanitizer" -- \
	clang -Iprimitives -Ibuild/asan/include -c tests/pkgconfig_client.c
# shellcheck disable=SC2046
refused "-fsanitize=thread against a variant not built for TSan is refused" \
	"not built for ThreadSanitizer" -- \
	clang -fsanitize=thread $(pc release --cflags) tests/pkgconfig_client.c \
		$(pc release --libs) -fsanitize=thread

# ---- install side by side, examples, uninstall ---------------------------------
prefix=$tmp/prefix
mkdir -p "$prefix"
out=$(make --no-print-directory install VARIANT=release PREFIX=relative/path 2>&1)
expect "make install refuses a relative PREFIX" "$out" \
	eval '[ ! -e relative ] && has "$out" "PREFIX must be an absolute path"'

if make_quiet install VARIANT=release PREFIX="$prefix" &&
	make_quiet install VARIANT=debug PREFIX="$prefix"; then
	ok "make install puts release and debug side by side under one prefix"
else
	not_ok "make install puts release and debug side by side under one prefix"
fi
mapfile -t installed < <(find "$prefix/include/kprim-debug" -name '*.h' ! -name kprim_config.h)
out=$(python3 tests/kerneldoc.py "${installed[@]}" 2>&1)
expect "every public function in the ${#installed[@]} installed headers has a kernel-doc comment" \
	"$out" test -z "$out"
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
out=$(pkg-config --cflags --libs kprim-release; pkg-config --cflags --libs kprim-debug)
expect "the installed .pc files point into the prefix" "$out" \
	has_all "$out" "-I$prefix/include/kprim-release" "-lkprim-release" \
		"-I$prefix/include/kprim-debug" "-lkprim-debug"
expect "each installed variant has its own kprim_config.h" "" \
	eval 'grep -q "KP_LOCKDEP" "$prefix/include/kprim-debug/kprim_config.h" &&
		! grep -q "KP_LOCKDEP" "$prefix/include/kprim-release/kprim_config.h"'

# build NAME VARIANT SOURCE: cc with the installed variant's flags only
build() {
	# shellcheck disable=SC2046
	cc "${WFLAGS[@]}" $(pkg-config --cflags "kprim-$2") "$3" $(pkg-config --libs "kprim-$2") \
		-o "$tmp/$1" 2>&1
}

for v in release debug; do
	if out=$(build "driver-$v" "$v" examples/driver.c); then
		out=$("$tmp/driver-$v" 2>&1); rc=$?
		expect "examples/driver.c against installed kprim-$v: every record, event and release checked" \
			"$out" eval '[ $rc -eq 0 ] && has_all "$out" "kprim $v variant" \
				"4000 records logged, each writer'"'"'s in order" \
				"4000 events recorded under the spinlock" \
				"device released 1 time(s), 0 objects still allocated"'
	else
		not_ok "examples/driver.c builds against installed kprim-$v" "$out"
	fi
done

for v in release debug; do
	if out=$(build "module-$v" "$v" examples/module.c); then
		out=$("$tmp/module-$v" 2>&1); rc=$?
		expect "examples/module.c against installed kprim-$v: every failing load leaves nothing, unload drops once" \
			"$out" eval '[ $rc -eq 0 ] && has_all "$out" "kprim $v variant" \
				"2 failing loads left nothing; load 3 succeeded" \
				"a load with the module list full: -ENOSPC, 0 objects left" \
				"1 module(s), 100 registrations, generation 1" \
				"unloaded (0): 0 module(s) published, 0 objects still allocated"'
	else
		not_ok "examples/module.c builds against installed kprim-$v" "$out"
	fi
done

if out=$(build misuse-debug debug examples/misuse.c); then
	out=$("$tmp/misuse-debug" 2>&1); rc=$?
	expect "examples/misuse.c against installed kprim-debug prints the three kernel-style reports" \
		"$out" eval '[ $rc -eq 0 ] && has_all "$out" \
			"DOUBLE_FREE reported 1 time(s)" "CIRCULAR_LOCKING reported 1 time(s)" \
			"SLEEP_IN_ATOMIC reported 1 time(s)" \
			"WARNING: possible circular locking dependency detected" \
			"BUG: sleeping function called from invalid context" "------------[ cut here ]------------"'
else
	not_ok "examples/misuse.c builds against installed kprim-debug" "$out"
fi
if out=$(build misuse-release release examples/misuse.c); then
	out=$("$tmp/misuse-release" 2>&1); rc=$?
	expect "examples/misuse.c against installed kprim-release: the double free only, the rest named as unchecked" \
		"$out" eval '[ $rc -eq 0 ] && has_all "$out" "DOUBLE_FREE reported 1 time(s)" \
			"ABBA: not checked by this variant" \
			"GFP_KERNEL under a spinlock: not checked by this variant" &&
			! has "$out" "possible circular locking"'
else
	not_ok "examples/misuse.c builds against installed kprim-release" "$out"
fi
# The one-liner users type, flags before the source: the static library is
# linked whole, so the order does not matter.
# shellcheck disable=SC2046
if out=$(cc $(pkg-config --cflags --libs kprim-debug) tests/pkgconfig_client.c \
	-o "$tmp/client-installed" 2>&1); then
	out=$("$tmp/client-installed" debug 2>&1)
	expect "the client built with 'cc \$(pkg-config --cflags --libs kprim-debug) client.c' passes" \
		"$out" test $? -eq 0
else
	not_ok "the client builds with the pkg-config flags before the source" "$out"
fi
if out=$(build client-installed debug tests/pkgconfig_client.c); then
	out=$("$tmp/client-installed" debug 2>&1)
	expect "the client built against installed kprim-debug passes" "$out" test $? -eq 0
else
	not_ok "the client builds against installed kprim-debug" "$out"
fi
unset PKG_CONFIG_PATH

make_quiet uninstall VARIANT=release PREFIX="$prefix"
left=$(find "$prefix" -mindepth 1 | sed "s|^$prefix/||")
expect "uninstalling release leaves debug whole" "$left" \
	eval '[ -f "$prefix/include/kprim-debug/kprim.h" ] && [ ! -e "$prefix/include/kprim-release" ] &&
		[ ! -e "$prefix/lib/libkprim-release.a" ] && [ -f "$prefix/lib/libkprim-debug.a" ]'
make_quiet uninstall VARIANT=debug PREFIX="$prefix"
left=$(find "$prefix" -mindepth 1)
expect "make install / make uninstall round-trip leaves the prefix empty" "$left" test -z "$left"

stage=$tmp/stage
make_quiet install VARIANT=release PREFIX=/opt/kprim DESTDIR="$stage"
expect "DESTDIR stages the install, and the .pc names the final prefix" "" \
	eval '[ -f "$stage/opt/kprim/lib/libkprim-release.a" ] &&
		grep -qx "prefix=/opt/kprim" "$stage/opt/kprim/lib/pkgconfig/kprim-release.pc"'
make_quiet uninstall VARIANT=release PREFIX=/opt/kprim DESTDIR="$stage"
left=$(find "$stage/opt/kprim" -mindepth 1 2>/dev/null)
expect "uninstall with the same DESTDIR removes it all" "$left" test -z "$left"

echo "1..$n"
[ "$failed" -eq 0 ]
