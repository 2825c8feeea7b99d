// SPDX-License-Identifier: MIT
/*
 * native_overhead.cc - the reference loops for the shim's overhead: the
 * same two bodies as bench_shim.c's, written directly against Google
 * Benchmark in C++, registered into the same binary so they run in the
 * same process, on the same CPU, minutes apart at most.
 */
#include <benchmark/benchmark.h>

#include <atomic>

#include "kpbench.h"

static std::atomic<long> native_counter;

static void native_empty(benchmark::State &st)
{
	for (auto _ : st)
		benchmark::ClobberMemory();
}

static void native_atomic(benchmark::State &st)
{
	for (auto _ : st)
		native_counter.fetch_add(1, std::memory_order_relaxed);
}

extern "C" void kpb_register_native_empty(void)
{
	benchmark::RegisterBenchmark("shim/empty/native", native_empty)->UseRealTime();
}

extern "C" void kpb_register_native_atomic(void)
{
	benchmark::RegisterBenchmark("shim/atomic/native", native_atomic)->UseRealTime();
}
