#!/usr/bin/env bash
# install-deps.sh - install every Debian package kprim builds, tests,
# benchmarks, fuzzes or plots with.
#
# Idempotent: packages already installed are left alone, and `apt-get update`
# runs only when something is missing. Uses sudo only when not root.
set -euo pipefail

usage() {
	cat <<USAGE
usage: scripts/install-deps.sh [--check] [--help]

Installs the Debian packages kprim needs (compilers, the test framework,
Google Benchmark, hwloc, gnuplot, the allocator and lock peers).

  --check   only report what is missing; exit 1 if anything is
  --help    show this help
USAGE
}

check_only=0
for arg in "$@"; do
	case "$arg" in
	--check) check_only=1 ;;
	-h|--help) usage; exit 0 ;;
	*) echo "install-deps.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
	esac
done

# One line per package, grouped by what needs it.
packages=(
	make gcc g++ clang llvm libclang-rt-14-dev	# build, sanitizers, libFuzzer, llvm-cov
	pkgconf					# kprim-<variant>.pc, the examples
	libcmocka-dev					# unit tests (TAP output)
	libbenchmark-dev libbenchmark-tools python3-scipy	# bench shim, compare.py, intervals
	python3-markdown				# the HTML reports (bench.py report)
	chromium chromium-driver python3-selenium	# the reports checked in a headless browser
	libhwloc-dev hwloc				# placement, topology export, lstopo
	gnuplot-nox					# plots
	libjemalloc-dev libmimalloc-dev libgoogle-perftools-dev	# allocator peers
	libck-dev					# Concurrency Kit lock peers
	afl++						# scripts/campaign --engine afl
	time sqlite3 lua5.4 xz-utils zstd redis-server redis-tools	# workloads: allocators
	sysbench pigz memcached libmemcached-tools stress-ng		# workloads: locks
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#packages[@]} packages present"
	exit 0
fi

echo "install-deps: missing: ${missing[*]}"
[ "$check_only" = 1 ] && exit 1

sudo=
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null || { echo "install-deps: not root and no sudo" >&2; exit 1; }
	sudo=sudo
fi

echo "install-deps: apt-get update"
$sudo apt-get update -qq
echo "install-deps: apt-get install ${missing[*]}"
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done"
