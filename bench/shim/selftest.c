// SPDX-License-Identifier: MIT
/*
 * selftest.c - every call of the C shim, exercised so its effect shows in
 * Google Benchmark's JSON. scripts/bench.py smoke runs this binary and
 * checks each effect (run names from args and names, thread counts, exact
 * iterations, aggregates, units, complexity fits, counters with each flag,
 * labels, errors, paused time, context, the thread hook). A benchmark that
 * sees the shim misbehave from the inside fails itself with
 * kpb_skip_with_error(), which the check also catches.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kpbench.h"

static __thread int hooked_index = -1;

static void hook(int thread_index, int threads)
{
	(void)threads;
	hooked_index = thread_index;
}

static void bm_args(kpb_state *st, void *arg)
{
	const int64_t *want = arg;

	while (kpb_keep_running(st))
		kpb_clobber_memory();
	if (want && (kpb_state_range(st, 0) != want[0] || kpb_state_range(st, 1) != want[1]))
		kpb_skip_with_error(st, "range() does not match the registered args");
}

static void bm_loop(kpb_state *st, void *arg)
{
	(void)arg;
	while (kpb_keep_running(st)) {
		int x = 1;

		kpb_do_not_optimize(x);
	}
}

static void bm_threads(kpb_state *st, void *arg)
{
	(void)arg;
	if (hooked_index != kpb_thread_index(st))
		kpb_skip_with_error(st, "the thread hook did not run for this thread");
	if (kpb_thread_index(st) < 0 || kpb_thread_index(st) >= kpb_thread_count(st))
		kpb_skip_with_error(st, "thread index out of range");
	while (kpb_keep_running(st))
		kpb_clobber_memory();
}

static void bm_batch(kpb_state *st, void *arg)
{
	int64_t ran = 0;

	(void)arg;
	while (kpb_keep_running_batch(st, 100))
		for (int i = 0; i < 100; i++, ran++)
			kpb_clobber_memory();
	if (kpb_iterations_done(st) != ran)
		kpb_skip_with_error(st, "iterations() disagrees with the batches run");
	kpb_counter(st, "ran", (double)ran, KPB_COUNTER_DEFAULT, 1000);
}

static void bm_complexity(kpb_state *st, void *arg)
{
	int64_t n = kpb_state_range(st, 0);

	(void)arg;
	while (kpb_keep_running(st))
		for (int64_t i = 0; i < n; i++)
			kpb_clobber_memory();
	kpb_set_complexity_n(st, n);
}

static void bm_counters(kpb_state *st, void *arg)
{
	(void)arg;
	while (kpb_keep_running(st))
		kpb_clobber_memory();
	kpb_counter(st, "plain", 5, KPB_COUNTER_DEFAULT, 1000);
	kpb_counter(st, "rate", 5, KPB_IS_RATE, 1000);
	kpb_counter(st, "avg_threads", 6, KPB_AVG_THREADS, 1000);
	kpb_counter(st, "avg_threads_rate", 6, KPB_AVG_THREADS_RATE, 1000);
	kpb_counter(st, "iter_invariant", 2, KPB_IS_ITERATION_INVARIANT, 1000);
	kpb_counter(st, "iter_invariant_rate", 2, KPB_IS_ITERATION_INVARIANT_RATE, 1000);
	kpb_counter(st, "avg_iterations", 100, KPB_AVG_ITERATIONS, 1000);
	kpb_counter(st, "avg_iterations_rate", 100, KPB_AVG_ITERATIONS_RATE, 1000);
	kpb_counter(st, "inverted", 4, KPB_INVERT, 1000);
	kpb_counter(st, "kibi", 2048, KPB_COUNTER_DEFAULT, 1024);
	kpb_set_items_processed(st, kpb_iterations_done(st) * 3);
	kpb_set_bytes_processed(st, kpb_iterations_done(st) * 64);
	kpb_set_label(st, "labelled");
}

static void bm_pause(kpb_state *st, void *arg)
{
	(void)arg;
	while (kpb_keep_running(st)) {
		kpb_pause_timing(st);
		usleep(2000);	/* excluded from the timing */
		kpb_resume_timing(st);
	}
}

static void bm_skip(kpb_state *st, void *arg)
{
	(void)arg;
	if (kpb_error_occurred(st))
		fprintf(stderr, "selftest: error_occurred() is true before any error\n");
	kpb_skip_with_error(st, "deliberate error");
	if (!kpb_error_occurred(st))
		fprintf(stderr, "selftest: error_occurred() is false after skip\n");
	while (kpb_keep_running(st))
		kpb_clobber_memory();
}

static const int64_t args_35[] = { 3, 5 };
static const int64_t list_a[] = { 1, 2 }, list_b[] = { 7, 8, 9 };
static const int64_t *const lists[] = { list_a, list_b };
static const size_t list_lens[] = { 2, 3 };
static const int64_t lo_hi[][2] = { { 1, 2 }, { 10, 20 } };
static const char *const two_names[] = { "a", "b" };

int main(int argc, char **argv)
{
	if (!kpb_initialize(&argc, argv))
		return 2;
	kpb_set_thread_hook(hook);
	kpb_add_context("selftest_key", "selftest_value");

	kpb_arg_names(kpb_args(kpb_register("api/args", bm_args, (void *)args_35), args_35, 2),
		      two_names, 2);
	kpb_range(kpb_range_multiplier(kpb_register("api/range", bm_args, NULL), 2), 1, 8);
	kpb_dense_range(kpb_register("api/dense", bm_args, NULL), 0, 6, 3);
	kpb_ranges(kpb_range_multiplier(kpb_register("api/ranges", bm_args, NULL), 2), lo_hi, 2);
	kpb_args_product(kpb_register("api/product", bm_args, NULL), lists, list_lens, 2);
	kpb_arg_name(kpb_arg(kpb_register("api/arg_name", bm_args, NULL), 42), "n");
	kpb_threads(kpb_register("api/threads", bm_threads, NULL), 2);
	kpb_thread_range(kpb_register("api/thread_range", bm_threads, NULL), 1, 2);
	kpb_dense_thread_range(kpb_register("api/dense_thread_range", bm_threads, NULL), 1, 3, 2);
	kpb_thread_per_cpu(kpb_register("api/thread_per_cpu", bm_threads, NULL));
	kpb_iterations(kpb_register("api/iterations", bm_loop, NULL), 1000);
	kpb_iterations(kpb_register("api/batch", bm_batch, NULL), 1000);
	kpb_aggregates_only(kpb_repetitions(kpb_register("api/aggregates_only", bm_loop, NULL), 3),
			    true);
	kpb_display_aggregates_only(kpb_repetitions(kpb_register("api/display_aggregates",
								 bm_loop, NULL), 3), true);
	kpb_unit(kpb_register("api/unit_ms", bm_loop, NULL), KPB_MS);
	kpb_complexity(kpb_range(kpb_register("api/complexity", bm_complexity, NULL), 16, 1024),
		       KPB_O_N);
	kpb_iterations(kpb_register("api/counters", bm_counters, NULL), 100);
	kpb_unit(kpb_iterations(kpb_register("api/pause", bm_pause, NULL), 5), KPB_US);
	kpb_register("api/skip", bm_skip, NULL);
	kpb_use_real_time(kpb_register("api/real_time", bm_loop, NULL));
	kpb_measure_process_cpu_time(kpb_register("api/process_time", bm_loop, NULL));
	kpb_min_warmup_time(kpb_min_time(kpb_register("api/min_time", bm_loop, NULL), 0.002),
			    0.001);

	kpb_run();
	kpb_shutdown();
	return 0;
}
