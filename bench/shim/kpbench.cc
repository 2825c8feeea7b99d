// SPDX-License-Identifier: MIT
/*
 * kpbench.cc - the C shim over Google Benchmark 1.7.1.
 *
 * Every call is a one-line forward; the opaque C handles are the C++
 * objects themselves. The flag and enum values of kpbench.h are checked
 * against Google Benchmark's at compile time, so a library update that
 * moves them fails the build instead of mislabelling results.
 */
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>
#include <vector>

#include "kpbench.h"

using benchmark::Counter;
using benchmark::State;
using benchmark::internal::Benchmark;

/* Same values on both sides, compared as plain integers. */
#define SAME(a, b) static_assert(static_cast<long>(a) == static_cast<long>(b), #a " != " #b)
SAME(KPB_IS_RATE, Counter::kIsRate);
SAME(KPB_AVG_THREADS, Counter::kAvgThreads);
SAME(KPB_AVG_THREADS_RATE, Counter::kAvgThreadsRate);
SAME(KPB_IS_ITERATION_INVARIANT, Counter::kIsIterationInvariant);
SAME(KPB_IS_ITERATION_INVARIANT_RATE, Counter::kIsIterationInvariantRate);
SAME(KPB_AVG_ITERATIONS, Counter::kAvgIterations);
SAME(KPB_AVG_ITERATIONS_RATE, Counter::kAvgIterationsRate);
SAME(static_cast<unsigned>(KPB_INVERT), static_cast<unsigned>(Counter::kInvert));
SAME(KPB_NS, benchmark::kNanosecond);
SAME(KPB_US, benchmark::kMicrosecond);
SAME(KPB_MS, benchmark::kMillisecond);
SAME(KPB_S, benchmark::kSecond);
SAME(KPB_O_NONE, benchmark::oNone);
SAME(KPB_O_1, benchmark::o1);
SAME(KPB_O_N, benchmark::oN);
SAME(KPB_O_N_SQUARED, benchmark::oNSquared);
SAME(KPB_O_N_CUBED, benchmark::oNCubed);
SAME(KPB_O_LOG_N, benchmark::oLogN);
SAME(KPB_O_N_LOG_N, benchmark::oNLogN);
SAME(KPB_O_AUTO, benchmark::oAuto);
#undef SAME

static Benchmark *B(kpb_bench *b) { return reinterpret_cast<Benchmark *>(b); }
static kpb_bench *C(Benchmark *b) { return reinterpret_cast<kpb_bench *>(b); }
static State *S(kpb_state *st) { return reinterpret_cast<State *>(st); }

static void (*thread_hook)(int, int);

extern "C" {

kpb_bench *kpb_register(const char *name, kpb_fn fn, void *arg)
{
	return C(benchmark::RegisterBenchmark(name, [fn, arg](State &st) {
		if (thread_hook)
			thread_hook(st.thread_index(), st.threads());
		fn(reinterpret_cast<kpb_state *>(&st), arg);
	}));
}

kpb_bench *kpb_arg(kpb_bench *b, int64_t x) { return C(B(b)->Arg(x)); }

kpb_bench *kpb_args(kpb_bench *b, const int64_t *xs, size_t n)
{
	return C(B(b)->Args(std::vector<int64_t>(xs, xs + n)));
}

kpb_bench *kpb_range(kpb_bench *b, int64_t lo, int64_t hi) { return C(B(b)->Range(lo, hi)); }

kpb_bench *kpb_dense_range(kpb_bench *b, int64_t lo, int64_t hi, int step)
{
	return C(B(b)->DenseRange(lo, hi, step));
}

kpb_bench *kpb_ranges(kpb_bench *b, const int64_t (*lo_hi)[2], size_t n)
{
	std::vector<std::pair<int64_t, int64_t>> r;

	for (size_t i = 0; i < n; i++)
		r.emplace_back(lo_hi[i][0], lo_hi[i][1]);
	return C(B(b)->Ranges(r));
}

kpb_bench *kpb_args_product(kpb_bench *b, const int64_t *const *lists, const size_t *lens,
			    size_t n)
{
	std::vector<std::vector<int64_t>> p;

	for (size_t i = 0; i < n; i++)
		p.emplace_back(lists[i], lists[i] + lens[i]);
	return C(B(b)->ArgsProduct(p));
}

kpb_bench *kpb_range_multiplier(kpb_bench *b, int m) { return C(B(b)->RangeMultiplier(m)); }
kpb_bench *kpb_arg_name(kpb_bench *b, const char *name) { return C(B(b)->ArgName(name)); }

kpb_bench *kpb_arg_names(kpb_bench *b, const char *const *names, size_t n)
{
	return C(B(b)->ArgNames(std::vector<std::string>(names, names + n)));
}

kpb_bench *kpb_threads(kpb_bench *b, int n) { return C(B(b)->Threads(n)); }
kpb_bench *kpb_thread_range(kpb_bench *b, int lo, int hi) { return C(B(b)->ThreadRange(lo, hi)); }

kpb_bench *kpb_dense_thread_range(kpb_bench *b, int lo, int hi, int stride)
{
	return C(B(b)->DenseThreadRange(lo, hi, stride));
}

kpb_bench *kpb_thread_per_cpu(kpb_bench *b) { return C(B(b)->ThreadPerCpu()); }
kpb_bench *kpb_use_real_time(kpb_bench *b) { return C(B(b)->UseRealTime()); }
kpb_bench *kpb_measure_process_cpu_time(kpb_bench *b) { return C(B(b)->MeasureProcessCPUTime()); }
kpb_bench *kpb_min_time(kpb_bench *b, double s) { return C(B(b)->MinTime(s)); }
kpb_bench *kpb_min_warmup_time(kpb_bench *b, double s) { return C(B(b)->MinWarmUpTime(s)); }
kpb_bench *kpb_iterations(kpb_bench *b, int64_t n) { return C(B(b)->Iterations(n)); }
kpb_bench *kpb_repetitions(kpb_bench *b, int n) { return C(B(b)->Repetitions(n)); }
kpb_bench *kpb_aggregates_only(kpb_bench *b, bool v) { return C(B(b)->ReportAggregatesOnly(v)); }

kpb_bench *kpb_display_aggregates_only(kpb_bench *b, bool v)
{
	return C(B(b)->DisplayAggregatesOnly(v));
}

kpb_bench *kpb_unit(kpb_bench *b, enum kpb_time_unit u)
{
	return C(B(b)->Unit(static_cast<benchmark::TimeUnit>(u)));
}

kpb_bench *kpb_complexity(kpb_bench *b, enum kpb_big_o o)
{
	return C(B(b)->Complexity(static_cast<benchmark::BigO>(o)));
}

bool kpb_keep_running(kpb_state *st) { return S(st)->KeepRunning(); }
bool kpb_keep_running_batch(kpb_state *st, int64_t n) { return S(st)->KeepRunningBatch(n); }
int64_t kpb_state_range(kpb_state *st, size_t i) { return S(st)->range(i); }
int kpb_thread_index(kpb_state *st) { return S(st)->thread_index(); }
int kpb_thread_count(kpb_state *st) { return S(st)->threads(); }
int64_t kpb_iterations_done(kpb_state *st) { return S(st)->iterations(); }
void kpb_pause_timing(kpb_state *st) { S(st)->PauseTiming(); }
void kpb_resume_timing(kpb_state *st) { S(st)->ResumeTiming(); }
void kpb_skip_with_error(kpb_state *st, const char *msg) { S(st)->SkipWithError(msg); }
bool kpb_error_occurred(kpb_state *st) { return S(st)->error_occurred(); }
void kpb_set_items_processed(kpb_state *st, int64_t n) { S(st)->SetItemsProcessed(n); }
void kpb_set_bytes_processed(kpb_state *st, int64_t n) { S(st)->SetBytesProcessed(n); }
void kpb_set_complexity_n(kpb_state *st, int64_t n) { S(st)->SetComplexityN(n); }
void kpb_set_label(kpb_state *st, const char *label) { S(st)->SetLabel(label); }

void kpb_counter(kpb_state *st, const char *name, double value, int flags, int one_k)
{
	S(st)->counters[name] = Counter(value, static_cast<Counter::Flags>(flags),
					one_k == 1024 ? Counter::kIs1024 : Counter::kIs1000);
}

void kpb_add_context(const char *key, const char *value)
{
	benchmark::AddCustomContext(key, value);
}

void kpb_set_thread_hook(void (*hook)(int, int)) { thread_hook = hook; }

bool kpb_initialize(int *argc, char **argv)
{
	benchmark::Initialize(argc, argv);
	for (int i = 1; i < *argc; i++) {
		std::fprintf(stderr, "%s: unknown argument '%s' (try --help)\n", argv[0], argv[i]);
		return false;
	}
	return true;
}

size_t kpb_run(void) { return benchmark::RunSpecifiedBenchmarks(); }
void kpb_shutdown(void) { benchmark::Shutdown(); }

} /* extern "C" */
