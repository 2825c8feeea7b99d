/* SPDX-License-Identifier: MIT */
/*
 * kpbench.h - Google Benchmark from C.
 *
 * A thin shim over Google Benchmark 1.7.1 (kpbench.cc, the only C++ in the
 * tree): benchmarks are C functions taking a void * argument, registered
 * and configured with chainable setters. The timed loop stays in C: use
 * the batched form, which crosses into C++ once per batch, so the shim's
 * cost per iteration is a fraction of a nanosecond (bench_shim measures and
 * publishes it beside native Google Benchmark loops).
 *
 *	static void bm_inc(kpb_state *st, void *arg)
 *	{
 *		while (kpb_keep_running_batch(st, KPB_BATCH))
 *			for (int i = 0; i < KPB_BATCH; i++)
 *				refcount_inc(arg);
 *	}
 *	kpb_use_real_time(kpb_threads(kpb_register("ref/inc", bm_inc, &r), 2));
 */
#ifndef KPRIM_BENCH_SHIM_KPBENCH_H
#define KPRIM_BENCH_SHIM_KPBENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kpb_state kpb_state;	/* a running benchmark (benchmark::State) */
typedef struct kpb_bench kpb_bench;	/* a registered benchmark (internal::Benchmark) */
typedef void (*kpb_fn)(kpb_state *st, void *arg);

/* Iterations per kpb_keep_running_batch() call that make the crossing noise. */
#define KPB_BATCH 256

enum kpb_time_unit { KPB_NS, KPB_US, KPB_MS, KPB_S };

/* benchmark::BigO */
enum kpb_big_o {
	KPB_O_NONE, KPB_O_1, KPB_O_N, KPB_O_N_SQUARED, KPB_O_N_CUBED,
	KPB_O_LOG_N, KPB_O_N_LOG_N, KPB_O_AUTO,
};

/* benchmark::Counter::Flags, same bits. */
enum kpb_counter_flags {
	KPB_COUNTER_DEFAULT = 0,
	KPB_IS_RATE = 1 << 0,			/* divide by the run's seconds */
	KPB_AVG_THREADS = 1 << 1,		/* divide by the thread count */
	KPB_AVG_THREADS_RATE = KPB_IS_RATE | KPB_AVG_THREADS,
	KPB_IS_ITERATION_INVARIANT = 1 << 2,	/* multiply by the iterations */
	KPB_IS_ITERATION_INVARIANT_RATE = KPB_IS_RATE | KPB_IS_ITERATION_INVARIANT,
	KPB_AVG_ITERATIONS = 1 << 3,		/* divide by the iterations */
	KPB_AVG_ITERATIONS_RATE = KPB_IS_RATE | KPB_AVG_ITERATIONS,
	KPB_INVERT = (int)(1u << 31),		/* report 1/value */
};

/* ---- registration: each setter returns its benchmark, for chaining ---- */

/* Register fn(st, arg) under name (copied). */
kpb_bench *kpb_register(const char *name, kpb_fn fn, void *arg);
kpb_bench *kpb_arg(kpb_bench *b, int64_t x);				/* one more run with range(0) = x */
kpb_bench *kpb_args(kpb_bench *b, const int64_t *xs, size_t n);	/* one run with range(i) = xs[i] */
kpb_bench *kpb_range(kpb_bench *b, int64_t lo, int64_t hi);		/* runs at lo..hi by the multiplier */
kpb_bench *kpb_dense_range(kpb_bench *b, int64_t lo, int64_t hi, int step);	/* lo, lo+step, .. hi */
kpb_bench *kpb_ranges(kpb_bench *b, const int64_t (*lo_hi)[2], size_t n);	/* cartesian product of ranges */
kpb_bench *kpb_args_product(kpb_bench *b, const int64_t *const *lists, const size_t *lens,
			    size_t n);					/* cartesian product of lists */
kpb_bench *kpb_range_multiplier(kpb_bench *b, int multiplier);	/* step for kpb_range(s) (default 8) */
kpb_bench *kpb_arg_name(kpb_bench *b, const char *name);		/* name range(0) in the run name */
kpb_bench *kpb_arg_names(kpb_bench *b, const char *const *names, size_t n);	/* name each range(i) */
kpb_bench *kpb_threads(kpb_bench *b, int n);				/* one run with n threads */
kpb_bench *kpb_thread_range(kpb_bench *b, int lo, int hi);		/* lo, 2lo, 4lo, .. hi threads */
kpb_bench *kpb_dense_thread_range(kpb_bench *b, int lo, int hi, int stride);	/* lo, lo+stride, .. hi */
kpb_bench *kpb_thread_per_cpu(kpb_bench *b);				/* one thread per CPU */
kpb_bench *kpb_use_real_time(kpb_bench *b);			/* time by the wall clock, not CPU */
kpb_bench *kpb_measure_process_cpu_time(kpb_bench *b);		/* CPU time of all threads */
kpb_bench *kpb_min_time(kpb_bench *b, double seconds);		/* run at least this long */
kpb_bench *kpb_min_warmup_time(kpb_bench *b, double seconds);	/* untimed warm-up first */
kpb_bench *kpb_iterations(kpb_bench *b, int64_t n);		/* exactly n iterations */
kpb_bench *kpb_repetitions(kpb_bench *b, int n);			/* repeat, with aggregates */
kpb_bench *kpb_aggregates_only(kpb_bench *b, bool only);		/* report only mean/median/stddev/cv */
kpb_bench *kpb_display_aggregates_only(kpb_bench *b, bool only);	/* the same, console only */
kpb_bench *kpb_unit(kpb_bench *b, enum kpb_time_unit unit);	/* time unit in reports */
kpb_bench *kpb_complexity(kpb_bench *b, enum kpb_big_o big_o);	/* fit time against complexity n */

/* ---- inside a benchmark ----------------------------------------------- */

bool kpb_keep_running(kpb_state *st);				/* one iteration: true to go on */
bool kpb_keep_running_batch(kpb_state *st, int64_t n);	/* n iterations: true to go on */
int64_t kpb_state_range(kpb_state *st, size_t i);		/* the run's i-th argument */
int kpb_thread_index(kpb_state *st);				/* 0 .. threads-1 */
int kpb_thread_count(kpb_state *st);				/* threads in this run */
int64_t kpb_iterations_done(kpb_state *st);			/* iterations so far (this thread) */
void kpb_pause_timing(kpb_state *st);				/* stop the clock */
void kpb_resume_timing(kpb_state *st);				/* restart the clock */
void kpb_skip_with_error(kpb_state *st, const char *msg);	/* fail the run; leave the loop */
bool kpb_error_occurred(kpb_state *st);			/* kpb_skip_with_error() was called */
void kpb_set_items_processed(kpb_state *st, int64_t items);	/* adds items_per_second */
void kpb_set_bytes_processed(kpb_state *st, int64_t bytes);	/* adds bytes_per_second */
void kpb_set_complexity_n(kpb_state *st, int64_t n);		/* n for kpb_complexity() */
void kpb_set_label(kpb_state *st, const char *label);		/* free text beside the result */
/* Set a user counter; flags from enum kpb_counter_flags, one_k 1000 or 1024. */
void kpb_counter(kpb_state *st, const char *name, double value, int flags, int one_k);

/* Keep a value (a scalar expression) alive; force pending stores to memory. */
#define kpb_do_not_optimize(x)	__asm__ __volatile__("" : : "g"(x) : "memory")
#define kpb_clobber_memory()	__asm__ __volatile__("" : : : "memory")

/* ---- the run ------------------------------------------------------------- */

/* Add a key/value to the "context" of every report. */
void kpb_add_context(const char *key, const char *value);
/* Called in every benchmark thread before the benchmark function. */
void kpb_set_thread_hook(void (*hook)(int thread_index, int threads));
/*
 * Parse and remove every --benchmark_* flag (and --help); false, after one
 * line on stderr, if anything else is left in argv.
 */
bool kpb_initialize(int *argc, char **argv);
/* Run the benchmarks the flags select; returns how many ran. */
size_t kpb_run(void);
void kpb_shutdown(void);

#ifdef __cplusplus
}
#endif

#endif /* KPRIM_BENCH_SHIM_KPBENCH_H */
