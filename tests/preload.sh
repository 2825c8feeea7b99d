#!/usr/bin/env bash
# preload.sh - libkprim-malloc.so and libkprim-pthread.so under real and
# test programs, the way the README tells users to run them: the test
# programs are built with plain cc, nothing of kprim's, and kprim comes in
# by LD_PRELOAD alone.
#
# Both variants (release, debug): tests/preload_malloc.c's and
# tests/preload_pthread.c's checks one by one (each also run without the
# preload: a check glibc fails is a wrong check), the pthread one with
# KPRIM_MUTEX=mutex and smutex; real programs (ls, python3 with threads and
# fork, sqlite3, gcc, xz -T2) with no kprim report; both preloads at once.
# The debug variant's reports, each of its exact kind: a double free, a
# write past the end, leaks at exit (KPRIM_KMEMLEAK=1), a pthread ABBA
# order (lockdep's circular dependency) and an unlock by a non-owner. At
# the end the quick workload suite under the debug preloads (slub_debug
# and lockdep on): no workload may fail or print a report, and the
# programs are Debian's whatever PATH puts first. Prints TAP.
set -uo pipefail

usage() {
	cat <<USAGE
usage: tests/preload.sh [--help]

Builds the preload libraries (make preload, release and debug) and the
workload driver, then runs programs under them. Prints TAP.
USAGE
}

case "${1:-}" in
-h|--help) usage; exit 0 ;;
"") ;;
*) echo "preload.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
esac

cd "$(dirname "$0")/.." || exit 2
. tests/tap.sh

for v in release debug; do
	if ! out=$(make --no-print-directory VARIANT=$v preload 2>&1); then
		not_ok "make preload VARIANT=$v" "$out"
		echo "1..$n"
		exit 1
	fi
done
ok "make preload builds both libraries in release and debug"

cc=${CC:-cc}
$cc -O1 -g -Wall -Wextra -Werror -fPIC -shared tests/preload_early.c -o "$tmp/libearly.so" &&
	$cc -O1 -g -Wall -Wextra -Werror tests/preload_malloc.c -o "$tmp/preload_malloc" \
		-L"$tmp" -learly -Wl,-rpath,"$tmp" -lpthread &&
	$cc -O1 -g -Wall -Wextra -Werror tests/preload_pthread.c -o "$tmp/preload_pthread" -lpthread ||
	{ not_ok "the test programs build with plain cc"; echo "1..$n"; exit 1; }

# run_checks LABEL ENV... -- PROGRAM: each PASS/FAIL line one TAP line, then the exit status.
run_checks() {
	local label=$1; shift
	local envs=()
	while [ "$1" != "--" ]; do envs+=("$1"); shift; done
	shift
	local out rc line
	out=$(env "${envs[@]}" timeout 120 "$@" 2>&1)
	rc=$?
	while IFS= read -r line; do
		case "$line" in
		PASS\ *) ok "$label: ${line#PASS }" ;;
		FAIL\ *) not_ok "$label: ${line#FAIL }" "$out" ;;
		esac
	done <<<"$out"
	if [ $rc -ne 0 ] || has "$out" "[ cut here ]"; then
		not_ok "$label: exits 0 with no kprim report (status $rc)" "$out"
	else
		ok "$label: exits 0 with no kprim report"
	fi
}

run_checks "glibc malloc" -- "$tmp/preload_malloc"
run_checks "glibc pthread" -- "$tmp/preload_pthread"
for v in release debug; do
	malloc_so=$PWD/build/$v/libkprim-malloc.so
	pthread_so=$PWD/build/$v/libkprim-pthread.so
	run_checks "$v malloc" LD_PRELOAD="$malloc_so" -- "$tmp/preload_malloc"
	for m in mutex smutex; do
		run_checks "$v pthread ($m)" LD_PRELOAD="$pthread_so" KPRIM_MUTEX=$m -- \
			"$tmp/preload_pthread"
	done

	# real programs: correct output, no report
	head -c 3000000 /dev/urandom > "$tmp/random.bin"
	for cmd in "ls -la /usr/lib/x86_64-linux-gnu" \
		"python3 -c import_threads" \
		"sqlite3 :memory: create_and_sum" \
		"gcc -O2 -c primitives/alloc/vmalloc.c" \
		"xz -T2 -c random.bin"; do
		case "$cmd" in
		python3*) argv=(python3 -c 'import os, threading
def work():
    x = [bytes(i % 300) * 2 for i in range(30000)]
ts = [threading.Thread(target=work) for _ in range(6)]
[t.start() for t in ts]
pid = os.fork()
if pid == 0:
    y = {str(i): [i] * 5 for i in range(50000)}; os._exit(0)
[t.join() for t in ts]
print("child", os.waitpid(pid, 0)[1])') ; want="child 0" ;;
		sqlite3*) argv=(sqlite3 :memory: "create table t(a, b); with recursive n(i) as (select 1 union all select i + 1 from n where i < 50000) insert into t select i, hex(randomblob(20)) from n; select sum(a), count(distinct b) from t;"); want="1250025000|50000" ;;
		gcc*) argv=(gcc -O2 -Iprimitives -Ibuild/$v/include -c primitives/alloc/vmalloc.c -o "$tmp/vmalloc.o"); want="" ;;
		xz*) argv=(sh -c "xz -T2 -c '$tmp/random.bin' | xz -d | cmp - '$tmp/random.bin' && echo same"); want="same" ;;
		*) read -ra argv <<<"$cmd"; want="libc.so.6" ;;
		esac
		out=$(LD_PRELOAD="$malloc_so" timeout 120 "${argv[@]}" 2>&1)
		rc=$?
		if [ $rc -eq 0 ] && has "$out" "$want" && ! has "$out" "[ cut here ]"; then
			ok "$v malloc: ${cmd%% *} runs correctly, no report"
		else
			not_ok "$v malloc: ${cmd%% *} runs correctly, no report (status $rc)" "$out"
		fi
	done
	out=$(LD_PRELOAD="$malloc_so:$pthread_so" timeout 60 "$tmp/preload_pthread" 2>&1)
	rc=$?
	expect "$v: both preloads at once run the pthread checks" "$out" \
		eval '[ $rc -eq 0 ] && ! has "$out" FAIL && ! has "$out" "[ cut here ]"'
done

# release: the misuse programs run on without a report (release checks little)
out=$(LD_PRELOAD=$PWD/build/release/libkprim-pthread.so "$tmp/preload_pthread" abba 2>&1)
expect "release pthread: an ABBA order goes unreported (no lockdep)" "$out" \
	eval 'has "$out" misused && ! has "$out" "cut here"'

debug_malloc=$PWD/build/debug/libkprim-malloc.so
debug_pthread=$PWD/build/debug/libkprim-pthread.so
out=$(LD_PRELOAD=$debug_malloc "$tmp/preload_malloc" double-free 2>&1)
rc=$?
expect "debug malloc: a double free is reported as DOUBLE_FREE and aborts" "$out" \
	eval '[ $rc -eq 134 ] && has_all "$out" "Object already free" "kprim: DOUBLE_FREE at"'
out=$(LD_PRELOAD=$debug_malloc "$tmp/preload_malloc" overflow 2>&1)
rc=$?
expect "debug malloc: a byte written past the end is reported as REDZONE at free" "$out" \
	eval '[ $rc -eq 134 ] && has_all "$out" "kmalloc Redzone overwritten" "kprim: REDZONE at"'
out=$(LD_PRELOAD=$debug_malloc KPRIM_KMEMLEAK=1 "$tmp/preload_malloc" leak 2>&1)
leaks=$(grep -c '^unreferenced object .* (size 100):' <<<"$out")
expect "debug malloc: KPRIM_KMEMLEAK=1 prints the three leaked objects at exit" "$out" \
	eval '[ "$leaks" -eq 3 ] && has "$out" "object(s) left at exit"'
out=$(LD_PRELOAD=$debug_malloc "$tmp/preload_malloc" leak 2>&1)
expect "debug malloc: without KPRIM_KMEMLEAK nothing is printed at exit" "$out" \
	eval '! has "$out" "unreferenced"'

out=$(LD_PRELOAD=$debug_pthread "$tmp/preload_pthread" abba 2>&1)
rc=$?
expect "debug pthread: an ABBA order is lockdep's circular dependency, naming both sites" \
	"$out" eval '[ $rc -eq 0 ] && has_all "$out" "possible circular locking dependency detected" \
	"kprim: CIRCULAR_LOCKING at" "pthread_mutex initialized at preload_pthread+" \
	"pthread_mutex first locked at preload_pthread+" misused'
out=$(LD_PRELOAD=$debug_pthread KPRIM_ON_REPORT=abort "$tmp/preload_pthread" abba 2>&1)
rc=$?
expect "debug pthread: KPRIM_ON_REPORT=abort stops at the report" "$out" \
	eval '[ $rc -eq 134 ] && has "$out" CIRCULAR_LOCKING && ! has "$out" misused'
out=$(LD_PRELOAD=$debug_pthread "$tmp/preload_pthread" unlock-other 2>&1)
expect "debug pthread: an unlock by a non-owner is LOCK_NOT_OWNER" "$out" \
	eval 'has "$out" "kprim: LOCK_NOT_OWNER at"'
out=$(LD_PRELOAD=$debug_pthread KPRIM_MUTEX=bogus "$tmp/preload_pthread" 2>&1)
expect "an unknown KPRIM_MUTEX is said, and the mutex used" "$out" \
	eval 'has "$out" "KPRIM_MUTEX=bogus unknown" && ! has "$out" FAIL'

# the quick workload suite under the debug preloads
if ! out=$(make --no-print-directory build/release/bench/bench_workloads 2>&1); then
	not_ok "the workload driver builds" "$out"
else
	out=$(timeout 600 build/release/bench/bench_workloads --kp_build=build/debug --kp_quick \
		--benchmark_filter='/(kprim|mutex|smutex)$' 2>&1)
	rc=$?
	runs=$(grep -cE '^workload(_locks)?/' <<<"$out")
	expect "quick workload suite under the debug preloads: $runs runs, none failed or reported" \
		"$out" eval '[ $rc -eq 0 ] && [ "$runs" -ge 10 ] && ! has "$out" ERROR'
	skipped=$(grep -c '^kp: workload .* skipped' <<<"$out")
	expect "every workload's program is installed (install-deps.sh): none skipped" "$out" \
		eval '[ "$skipped" -eq 0 ]'
	# Debian's python3, not one a PATH puts first (a pyenv shim is a bash script).
	mkdir -p "$tmp/shadow"
	printf '#!/bin/sh\necho "not Debian'"'"'s python3" >&2\nexit 3\n' >"$tmp/shadow/python3"
	chmod +x "$tmp/shadow/python3"
	out=$(PATH="$tmp/shadow:$PATH" timeout 300 build/release/bench/bench_workloads --kp_quick \
		--benchmark_filter='^workload/python/glibc$' 2>&1)
	rc=$?
	expect "the workloads run Debian's programs, not a python3 that PATH puts first" "$out" \
		eval '[ $rc -eq 0 ] && grep -q "^workload/python/glibc .* ms" <<<"$out" && ! has "$out" ERROR'
fi

echo "1..$n"
[ "$failed" -eq 0 ]
