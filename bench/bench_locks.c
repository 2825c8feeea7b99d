// SPDX-License-Identifier: MIT
/*
 * bench_locks.c - every kprim lock beside pthread and Concurrency Kit locks.
 *
 * Implementations ("impl" in the names):
 *   floor            xchg-acquire to lock, a release store to unlock: what
 *                    any spinlock must at least do
 *   raw_spinlock     kprim's queued spinlock (with its preemption count),
 *                    on the slow path the process chose (paravirt unless
 *                    KPRIM_QSPINLOCK=native); spinlock, spinlock_t on it
 *   raw_spinlock_native  the same lock on the bare slow path (spin, yield)
 *   mutex, smutex    kprim's sleeping locks; nowait, kprim's try-only lock
 *                    (kprim's rows come from tests/kp_locks.h)
 *   pthread_mutex, pthread_adaptive (PTHREAD_MUTEX_ADAPTIVE_NP),
 *   pthread_spin, ck_fas, ck_ticket, ck_mcs
 *
 * Each lock's operations are inlined into its own copies of the loops
 * (DEFINE_LOCK_BENCH), so no implementation pays an indirect call.
 *
 *   locks/uncontended/<impl>      lock+unlock pairs on one thread
 *   locks_mt/contended/<impl>/<cs>/<out>
 *                                 1..N threads, 2N and 4N (oversubscribed)
 *                                 for a fixed window, cs and out units of
 *                                 busy work inside and outside the lock;
 *                                 items = acquisitions. Counters: Jain's
 *                                 fairness index over the threads'
 *                                 acquisitions, the least and most served
 *                                 thread's share of the mean, wait time
 *                                 (lock call to acquired; and the worst
 *                                 thread's own p99) and hand-off
 *                                 latency (unlock by one thread to acquire
 *                                 by another) p50/p99/max in ns, sampled
 *                                 every 16th acquisition.
 *   locks_mt/trylock/<impl>       the same window with trylock only; counter
 *                                 success_rate
 */
#define _GNU_SOURCE
#include <ck_spinlock.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "kp_locks.h"
#include "kprim.h"

#define WINDOW_NS	20000000ULL	/* each contended sample: 20 ms of locking */
#define SAMPLE_EVERY	16
#define MAX_SAMPLES	4096		/* per thread and kind */
#define SHARED_BYTES	4096
#define MAX_THREADS	KP_TOPO_MAX_THREADS

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* n units of work that touch no shared memory. */
static inline void busy_work(unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		__asm__ __volatile__("" ::: "memory");
}

/* ---- the shared state of one contended run --------------------------------- */

struct samples {
	unsigned int n;
	uint32_t ns[MAX_SAMPLES];
};

static struct run {
	_Alignas(64) atomic_int stop;
	atomic_int finished;
	_Alignas(64) atomic_ullong handoff_t0;	/* a sampled unlock's time, 0 if none */
	atomic_int handoff_from;
	_Alignas(64) unsigned long acquired[MAX_THREADS];
	unsigned long failed[MAX_THREADS];
	struct samples wait[MAX_THREADS], handoff[MAX_THREADS];
	void *lock;
} run;

static void sample(struct samples *s, uint64_t ns)
{
	if (s->n < MAX_SAMPLES)
		s->ns[s->n++] = ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* p50, p99 and max of every thread's samples of one kind, as counters. */
static void report_percentiles(kpb_state *st, const char *kind,
			       const struct samples *per_thread, int threads)
{
	size_t n = 0, k = 0;
	uint32_t *all;
	char name[64];

	for (int t = 0; t < threads; t++)
		n += per_thread[t].n;
	if (!n || !(all = malloc(n * sizeof(*all))))
		return;
	for (int t = 0; t < threads; t++) {
		memcpy(all + k, per_thread[t].ns, per_thread[t].n * sizeof(*all));
		k += per_thread[t].n;
	}
	qsort(all, n, sizeof(*all), cmp_u32);
	snprintf(name, sizeof(name), "%s_p50_ns", kind);
	kpb_counter(st, name, all[n / 2], KPB_AVG_THREADS, 1000);
	snprintf(name, sizeof(name), "%s_p99_ns", kind);
	kpb_counter(st, name, all[(n * 99) / 100], KPB_AVG_THREADS, 1000);
	snprintf(name, sizeof(name), "%s_max_ns", kind);
	kpb_counter(st, name, all[n - 1], KPB_AVG_THREADS, 1000);
	free(all);
}

/* The largest of the threads' own p99 waits: a thread starved while the rest are served. */
static void report_worst_thread_p99(kpb_state *st, const struct samples *per_thread,
				    int threads)
{
	uint32_t worst = 0, mine[MAX_SAMPLES];

	for (int t = 0; t < threads; t++) {
		unsigned int n = per_thread[t].n;

		if (!n)
			continue;
		memcpy(mine, per_thread[t].ns, n * sizeof(mine[0]));	/* others read them too */
		qsort(mine, n, sizeof(mine[0]), cmp_u32);
		if (mine[(n * 99) / 100] > worst)
			worst = mine[(n * 99) / 100];
	}
	kpb_counter(st, "wait_worst_thread_p99_ns", worst, KPB_AVG_THREADS, 1000);
}

/* Thread 0 resets the run before the start barrier of kpb_keep_running(). */
static void run_setup(kpb_state *st, void (*init)(void *))
{
	if (kpb_thread_index(st) != 0)
		return;
	atomic_store(&run.stop, 0);
	atomic_store(&run.finished, 0);
	atomic_store(&run.handoff_t0, 0);
	atomic_store(&run.handoff_from, -1);
	memset(run.acquired, 0, sizeof(run.acquired));
	memset(run.failed, 0, sizeof(run.failed));
	for (int t = 0; t < MAX_THREADS; t++)
		run.wait[t].n = run.handoff[t].n = 0;
	run.lock = kp_bench_alloc_shared(SHARED_BYTES);
	if (!run.lock) {
		kpb_skip_with_error(st, "cannot allocate the lock");
		return;
	}
	init(run.lock);
}

/* Everyone waits for everyone, then reports the same fairness and latency figures. */
static void run_teardown(kpb_state *st, bool trylock)
{
	int me = kpb_thread_index(st), n = kpb_thread_count(st);
	double sum = 0, sum_sq = 0, lo = 1e300, hi = 0, mean;

	kpb_set_items_processed(st, (int64_t)run.acquired[me]);
	atomic_fetch_add(&run.finished, 1);
	while (atomic_load(&run.finished) < n)
		sched_yield();
	for (int t = 0; t < n; t++) {
		double x = (double)run.acquired[t];

		sum += x;
		sum_sq += x * x;
		lo = x < lo ? x : lo;
		hi = x > hi ? x : hi;
	}
	mean = sum / n;
	kpb_counter(st, "jain", sum_sq > 0 ? sum * sum / (n * sum_sq) : 1, KPB_AVG_THREADS, 1000);
	kpb_counter(st, "min_share", mean > 0 ? lo / mean : 0, KPB_AVG_THREADS, 1000);
	kpb_counter(st, "max_share", mean > 0 ? hi / mean : 0, KPB_AVG_THREADS, 1000);
	if (trylock) {
		double tries = 0;

		for (int t = 0; t < n; t++)
			tries += (double)(run.acquired[t] + run.failed[t]);
		kpb_counter(st, "success_rate", tries > 0 ? sum / tries : 0, KPB_AVG_THREADS,
			    1000);
	} else {
		report_percentiles(st, "wait", run.wait, n);
		report_worst_thread_p99(st, run.wait, n);
		report_percentiles(st, "handoff", run.handoff, n);
	}
	/* The last one out frees the lock. */
	if (atomic_fetch_add(&run.finished, 1) == 2 * n - 1 && run.lock)
		kp_bench_free_shared(run.lock, SHARED_BYTES);
}

/* Every 64 acquisitions, any thread may end the window. */
static inline bool window_over(unsigned long count, uint64_t end)
{
	if (count % 64)
		return atomic_load_explicit(&run.stop, memory_order_relaxed);
	if (now_ns() >= end)
		atomic_store_explicit(&run.stop, 1, memory_order_relaxed);
	return atomic_load_explicit(&run.stop, memory_order_relaxed);
}

/* The queued spinlock's slow path as the process chose it; one row overrides it. */
static bool paravirt_default;

/* A sampled acquisition: the wait, and the hand-off from another thread's sampled unlock. */
static inline void note_acquired(int me, uint64_t t_call, uint64_t t_got)
{
	uint64_t t0 = atomic_load_explicit(&run.handoff_t0, memory_order_relaxed);

	sample(&run.wait[me], t_got - t_call);
	if (t0 && atomic_load_explicit(&run.handoff_from, memory_order_relaxed) != me) {
		sample(&run.handoff[me], t_got > t0 ? t_got - t0 : 0);
		atomic_store_explicit(&run.handoff_t0, 0, memory_order_relaxed);
	}
}

static inline void note_unlocking(int me)
{
	atomic_store_explicit(&run.handoff_from, me, memory_order_relaxed);
	atomic_store_explicit(&run.handoff_t0, now_ns(), memory_order_relaxed);
}

/*
 * DEFINE_LOCK_BENCH(name, type, init, lock, unlock, trylock): the three
 * benchmarks for one lock; l is the type * inside the statements, trylock
 * an expression (or false where there is none).
 */
#define DEFINE_LOCK_BENCH(name, type, init_stmt, lock_stmt, unlock_stmt, trylock_expr)	\
static void init_##name(void *p)							\
{											\
	type *l = p;									\
	queued_spin_set_paravirt(paravirt_default);					\
	init_stmt;									\
}											\
static void bm_uncontended_##name(kpb_state *st, void *arg)				\
{											\
	type *l = kp_bench_alloc_shared(SHARED_BYTES);					\
											\
	(void)arg;									\
	if (!l) {									\
		kpb_skip_with_error(st, "cannot allocate the lock");			\
		return;									\
	}										\
	init_##name((void *)l);									\
	while (kpb_keep_running_batch(st, KPB_BATCH))					\
		for (int i = 0; i < KPB_BATCH; i++) {					\
			lock_stmt;							\
			kpb_clobber_memory();						\
			unlock_stmt;							\
		}									\
	kpb_set_items_processed(st, kpb_iterations_done(st));				\
	kp_bench_free_shared((void *)l, SHARED_BYTES);					\
}											\
static void bm_contended_##name(kpb_state *st, void *arg)				\
{											\
	unsigned int cs = (unsigned int)kpb_state_range(st, 0);				\
	unsigned int out = (unsigned int)kpb_state_range(st, 1);			\
	int me = kpb_thread_index(st);							\
	unsigned long count = 0;							\
											\
	(void)arg;									\
	run_setup(st, init_##name);							\
	while (kpb_keep_running(st)) {							\
		type *l = run.lock;							\
		uint64_t end = now_ns() + WINDOW_NS;					\
											\
		do {									\
			bool sampled = count % SAMPLE_EVERY == 0;			\
			uint64_t t_call = sampled ? now_ns() : 0;			\
											\
			lock_stmt;							\
			if (sampled)							\
				note_acquired(me, t_call, now_ns());			\
			busy_work(cs);							\
			if (sampled)							\
				note_unlocking(me);					\
			unlock_stmt;							\
			count++;							\
			busy_work(out);							\
		} while (!window_over(count, end));					\
	}										\
	run.acquired[me] = count;							\
	run_teardown(st, false);							\
}											\
static void bm_trylock_##name(kpb_state *st, void *arg)				\
{											\
	int me = kpb_thread_index(st);							\
	unsigned long count = 0, failed = 0;						\
											\
	(void)arg;									\
	run_setup(st, init_##name);							\
	while (kpb_keep_running(st)) {							\
		type *l = run.lock;							\
		uint64_t end = now_ns() + WINDOW_NS;					\
											\
		(void)l;								\
		do {									\
			if (trylock_expr) {						\
				busy_work(50);						\
				unlock_stmt;						\
				count++;						\
			} else {							\
				failed++;						\
			}								\
			busy_work(50);							\
		} while (!window_over(count + failed, end));				\
	}										\
	run.acquired[me] = count;							\
	run.failed[me] = failed;							\
	run_teardown(st, true);								\
}

/* ---- the locks --------------------------------------------------------------- */

/* The floor: xchg to take, a release store to give back; spin on a load meanwhile. */
static inline void floor_lock(atomic_uint *w)
{
	while (atomic_exchange_explicit(w, 1, memory_order_acquire))
		while (atomic_load_explicit(w, memory_order_relaxed))
			cpu_relax();
}

static __thread ck_spinlock_mcs_context_t mcs_node;	/* this thread's queue node */

DEFINE_LOCK_BENCH(floor, atomic_uint, atomic_init(l, 0), floor_lock(l),
		  atomic_store_explicit(l, 0, memory_order_release),
		  !atomic_exchange_explicit(l, 1, memory_order_acquire))
/* kprim's locks: kp_locks.h's list, shared with the torture and model tests. */
#define KPRIM_LOCK_BENCH(name, type, init, lock, trylock, unlock, ...)			\
	DEFINE_LOCK_BENCH(name, type, init, lock, unlock, trylock)
KP_FOR_EACH_LOCK(KPRIM_LOCK_BENCH)
DEFINE_LOCK_BENCH(raw_spinlock_native, raw_spinlock_t,
		  queued_spin_set_paravirt(false); raw_spin_lock_init(l), raw_spin_lock(l),
		  raw_spin_unlock(l), raw_spin_trylock(l))
DEFINE_LOCK_BENCH(pthread_mutex, pthread_mutex_t, pthread_mutex_init(l, NULL),
		  pthread_mutex_lock(l), pthread_mutex_unlock(l), !pthread_mutex_trylock(l))
DEFINE_LOCK_BENCH(pthread_adaptive, pthread_mutex_t,
		  pthread_mutexattr_t a;
		  pthread_mutexattr_init(&a);
		  pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ADAPTIVE_NP);
		  pthread_mutex_init(l, &a);
		  pthread_mutexattr_destroy(&a),
		  pthread_mutex_lock(l), pthread_mutex_unlock(l), !pthread_mutex_trylock(l))
DEFINE_LOCK_BENCH(pthread_spin, pthread_spinlock_t,
		  pthread_spin_init(l, PTHREAD_PROCESS_PRIVATE), pthread_spin_lock(l),
		  pthread_spin_unlock(l), !pthread_spin_trylock(l))
DEFINE_LOCK_BENCH(ck_fas, ck_spinlock_fas_t, ck_spinlock_fas_init(l), ck_spinlock_fas_lock(l),
		  ck_spinlock_fas_unlock(l), ck_spinlock_fas_trylock(l))
DEFINE_LOCK_BENCH(ck_ticket, ck_spinlock_ticket_t, ck_spinlock_ticket_init(l),
		  ck_spinlock_ticket_lock(l), ck_spinlock_ticket_unlock(l),
		  ck_spinlock_ticket_trylock(l))
DEFINE_LOCK_BENCH(ck_mcs, ck_spinlock_mcs_t, ck_spinlock_mcs_init(l),
		  ck_spinlock_mcs_lock(l, &mcs_node), ck_spinlock_mcs_unlock(l, &mcs_node),
		  ck_spinlock_mcs_trylock(l, &mcs_node))

struct lock_bench {
	const char *impl;
	kpb_fn uncontended, contended, trylock;
};

#define LOCK(name)	{ #name, bm_uncontended_##name, bm_contended_##name, bm_trylock_##name }
#define KPRIM_LOCK(name, ...)	LOCK(name),

static const struct lock_bench lock_benches[] = {
	LOCK(floor), KP_FOR_EACH_LOCK(KPRIM_LOCK) LOCK(raw_spinlock_native),
	LOCK(pthread_mutex), LOCK(pthread_adaptive), LOCK(pthread_spin),
	LOCK(ck_fas), LOCK(ck_ticket), LOCK(ck_mcs),
};

/* Critical section and outside work, in busy_work() units: bare, and with work. */
static const int64_t work_args[][2] = { { 0, 0 }, { 50, 200 } };

static void register_lock_suite(void)
{
	char name[128];

	for (size_t i = 0; i < sizeof(lock_benches) / sizeof(lock_benches[0]); i++) {
		const struct lock_bench *b = &lock_benches[i];
		kpb_bench *c;

		snprintf(name, sizeof(name), "locks/uncontended/%s", b->impl);
		kpb_use_real_time(kpb_register(name, b->uncontended, NULL));

		snprintf(name, sizeof(name), "locks_mt/contended/%s", b->impl);
		c = kp_bench_contended(kpb_register(name, b->contended, NULL));
		kp_bench_oversubscribed(kpb_iterations(c, 1));
		for (size_t a = 0; a < sizeof(work_args) / sizeof(work_args[0]); a++)
			kpb_args(c, work_args[a], 2);

		snprintf(name, sizeof(name), "locks_mt/trylock/%s", b->impl);
		c = kp_bench_contended(kpb_register(name, b->trylock, NULL));
		kp_bench_oversubscribed(kpb_iterations(c, 1));
	}
}

int main(int argc, char **argv)
{
	paravirt_default = queued_spin_paravirt();
	return kp_bench_main(argc, argv, register_lock_suite);
}
