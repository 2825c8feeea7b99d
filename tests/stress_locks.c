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
 * the most served writer got more than twice the least served one.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <time.h>

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

static DEFINE_RAW_SPINLOCK(t_raw);
static DEFINE_SPINLOCK(t_spin);
static DEFINE_MUTEX(t_mutex);
static DEFINE_SMUTEX(t_smutex);
static DEFINE_NOWAIT_LOCK(t_nowait);

static void raw_lock(void) { raw_spin_lock(&t_raw); }
static bool raw_try(void) { return raw_spin_trylock(&t_raw); }
static void raw_unlock(void) { raw_spin_unlock(&t_raw); }
static void spin_lock_(void) { spin_lock(&t_spin); }
static bool spin_try(void) { return spin_trylock(&t_spin); }
static void spin_unlock_(void) { spin_unlock(&t_spin); }
static void mutex_lock_(void) { mutex_lock(&t_mutex); }
static bool mutex_try(void) { return mutex_trylock(&t_mutex); }
static void mutex_unlock_(void) { mutex_unlock(&t_mutex); }
static void smutex_lock_(void) { smutex_lock(&t_smutex); }
static bool smutex_try(void) { return smutex_trylock(&t_smutex); }
static void smutex_unlock_(void) { smutex_unlock(&t_smutex); }
static bool nowait_try(void) { return nowait_trylock(&t_nowait); }
static void nowait_unlock_(void) { (void)nowait_unlock(&t_nowait); }

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
		if (!ops->lock || i % 4 == 0)
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

static void test_raw_spinlock(void **state)
{
	static const struct torture_ops o = { "raw_spin_lock", raw_lock, raw_try, raw_unlock };

	(void)state;
	torture(&o);
	assert_false(raw_spin_is_locked(&t_raw));
	assert_int_equal(preempt_count(), 0);
}

static void test_spinlock(void **state)
{
	static const struct torture_ops o = { "spin_lock", spin_lock_, spin_try, spin_unlock_ };

	(void)state;
	torture(&o);
	assert_false(spin_is_locked(&t_spin));
}

static void test_mutex(void **state)
{
	static const struct torture_ops o = { "mutex_lock", mutex_lock_, mutex_try,
					      mutex_unlock_ };

	(void)state;
	torture(&o);
	assert_int_equal(kp_atomic_load(&t_mutex.owner, KP_RELAXED), 0);	/* no flag left */
	assert_null(t_mutex.wait_first);
}

static void test_smutex(void **state)
{
	static const struct torture_ops o = { "smutex_lock", smutex_lock_, smutex_try,
					      smutex_unlock_ };

	(void)state;
	torture(&o);
	assert_int_equal(kp_atomic_load(&t_smutex.waiter_stack, KP_RELAXED), 0);
	assert_null(t_smutex.waiter_queue);
}

static void test_nowait(void **state)
{
	static const struct torture_ops o = { "nowait_trylock", NULL, nowait_try,
					      nowait_unlock_ };

	(void)state;
	torture(&o);
	assert_false(nowait_is_locked(&t_nowait));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		kp_unit_test(test_raw_spinlock),
		kp_unit_test(test_spinlock),
		kp_unit_test(test_mutex),
		kp_unit_test(test_smutex),
		kp_unit_test(test_nowait),
	};

	return kp_run_tests("locktorture", tests);
}
