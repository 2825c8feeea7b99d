/* SPDX-License-Identifier: MIT */
/*
 * harness.h - what every kprim benchmark binary shares.
 *
 * kp_bench_main() parses kprim's own flags (placement, memory policy,
 * thread count, where to write the topology and the probe), hands every
 * --benchmark_* flag to Google Benchmark, binds each benchmark thread to
 * its PU before the benchmark function runs, records the context that
 * makes a result reproducible (placement, binding, topology, build, a
 * cache-line ping-pong probe between the CPUs in use), registers the
 * suite and runs it.
 */
#ifndef KPRIM_BENCH_HARNESS_H
#define KPRIM_BENCH_HARNESS_H

#include "shim/kpbench.h"
#include "topo.h"

struct kp_bench_env {
	struct kp_topo topo;
	struct kp_placement placement;
	enum kp_mem_policy mem;
	int max_threads;	/* contended benchmarks sweep 1..max_threads */
	int nr_counts;		/* --kp_threads=LIST: exactly these counts, else 0 */
	int counts[KP_TOPO_MAX_THREADS];
};

/* The environment of this benchmark run, valid once the suite registers. */
extern struct kp_bench_env kp_bench;

/* Parse flags, set up, call register_suite(), run. Returns the exit status. */
int kp_bench_main(int argc, char **argv, void (*register_suite)(void));

/* Memory for objects the threads share, placed by --kp_mem from thread 0's node. */
void *kp_bench_alloc_shared(size_t len);
void kp_bench_free_shared(void *p, size_t len);

/*
 * A contended benchmark: 1, 2, 4 .. max_threads threads (or the counts of
 * --kp_threads=LIST), wall-clock time.
 */
kpb_bench *kp_bench_contended(kpb_bench *b);
/*
 * Two more runs, with twice and four times max_threads threads (at most
 * KP_TOPO_MAX_THREADS): oversubscribed, thread i bound where thread
 * i % max_threads is.
 */
kpb_bench *kp_bench_oversubscribed(kpb_bench *b);

#endif /* KPRIM_BENCH_HARNESS_H */
