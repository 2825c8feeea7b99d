// SPDX-License-Identifier: MIT
/*
 * stress_locks.c - a locktorture (kernel/locking/locktorture.c) for every
 * kprim lock, built under ThreadSanitizer.
 *
 * THREADS writers each take the lock ROUNDS times, one time in four by a
 * trylock loop, and inside it: check that nobody else is inside (an atomic
 * count, for the assertion) and bump a plain counter (for TSan, which
 * reports a race unless the lock orders every pair of critical sections).
 * Writers start together at a barrier. Every writer must finish before a
 * deadline (no lost wake-up leaves one asleep) and the plain counter must
 * come out exact. When the first writer is done, every writer's count so
 * far is taken: those are printed as locktorture prints them, "???" when
 * the most served writer got more than twice the least served one. The
 * locks are kp_locks.h's list: a new lock is tortured without a line here
 * (but for check_idle_<name>(), what it must leave behind).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "kp_locks.h"
#include "kp_test.h"

#define THREADS		4
#define ROUNDS		50000
#define DEADLINE_S	120

struct torture_ops {
	const char *name;
	void (*lock)(void);
	bool (*trylock)(void);
	void (*unlock)(void);
};

/* One lock of each kind, and its operations as functions (kp_locks.h). */
#define TORTURE_OPS(name, type, init, lock_stmt, trylock_expr, unlock_stmt, locked_expr, ...) \
	static type t_##name;								\
	static void lock_##name(void) { type *l = &t_##name; lock_stmt; }		\
	static bool try_##name(void) { type *l = &t_##name; return trylock_expr; }	\
	static void unlock_##name(void) { type *l = &t_##name; unlock_stmt; }		\
	static bool locked_##name(void) { type *l = &t_##name; return locked_expr; }	\
	static void init_##name(void) { type *l = &t_##name; init; }			\
	static const struct torture_ops ops_##name = {					\
		#name, lock_##name, try_##name, unlock_##name };
KP_FOR_EACH_LOCK(TORTURE_OPS)

static const struct torture_ops *ops;
static int inside, violations;
static long writes;			/* plain: only ever touched under the lock */
static unsigned long per_writer[THREADS], at_first_done[THREADS];
static int first_done;
static pthread_barrier_t start;

static void *writer(void *arg)
{
	unsigned long *mine = arg;

	pthread_barrier_wait(&start);
	for (int i = 0; i < ROUNDS; i++) {
		if (i % 4 == 0)
			while (!ops->trylock())
				sched_yield();
		else
			ops->lock();
		if (kp_atomic_fetch_add(&inside, 1, KP_RELAXED) != 0)
			kp_atomic_fetch_add(&violations, 1, KP_RELAXED);
		writes++;
		kp_atomic_fetch_sub(&inside, 1, KP_RELAXED);
		ops->unlock();
		kp_atomic_store(mine, *mine + 1, KP_RELAXED);
	}
	if (!kp_atomic_xchg(&first_done, 1, KP_RELAXED))
		for (int i = 0; i < THREADS; i++)
			at_first_done[i] = kp_atomic_load(&per_writer[i], KP_RELAXED);
	return NULL;
}

static void torture(const struct torture_ops *o)
{
	pthread_t t[THREADS];
	struct timespec deadline;
	unsigned long max = 0, min = ~0UL;

	ops = o;
	writes = 0;
	violations = 0;
	first_done = 0;
	pthread_barrier_init(&start, NULL, THREADS);
	for (int i = 0; i < THREADS; i++) {
		per_writer[i] = 0;
		assert_int_equal(pthread_create(&t[i], NULL, writer, &per_writer[i]), 0);
	}
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += DEADLINE_S;
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_timedjoin_np(t[i], NULL, &deadline), 0);
	pthread_barrier_destroy(&start);
	for (int i = 0; i < THREADS; i++) {
		max = at_first_done[i] > max ? at_first_done[i] : max;
		min = at_first_done[i] < min ? at_first_done[i] : min;
	}
	print_message("# %s-torture: Writes:  Total: %ld  Max/Min: %lu/%lu %s  Fail: %d\n",
		      o->name, writes, max, min, max / 2 > min ? "???" : "", violations);
	print_message("# %s-torture: End of test: %s\n", o->name,
		      violations || writes != (long)THREADS * ROUNDS ? "FAILURE" : "SUCCESS");
	assert_int_equal(violations, 0);
	assert_int_equal(writes, (long)THREADS * ROUNDS);
}

/* What a lock leaves behind beyond being unlocked: no flag, no waiter. */
static void check_idle_mutex(void)
{
	assert_int_equal(kp_atomic_load(&t_mutex.owner, KP_RELAXED), 0);
	assert_null(t_mutex.wait_first);
}

static void check_idle_smutex(void)
{
	assert_int_equal(kp_atomic_load(&t_smutex.waiter_stack, KP_RELAXED), 0);
	assert_null(t_smutex.waiter_queue);
}

#define check_idle_raw_spinlock()
#define check_idle_spinlock()
#define check_idle_nowait()

#define TORTURE_TEST(name, ...)								\
	static void test_##name(void **state)						\
	{										\
		(void)state;								\
		init_##name();								\
		torture(&ops_##name);							\
		assert_false(locked_##name());						\
		assert_int_equal(preempt_count(), 0);					\
		check_idle_##name();							\
	}
KP_FOR_EACH_LOCK(TORTURE_TEST)

int main(void)
{
#define TORTURE_CASE(name, ...)	kp_unit_test(test_##name),
	const struct CMUnitTest tests[] = { KP_FOR_EACH_LOCK(TORTURE_CASE) };

	return kp_run_tests("locktorture", tests);
}
