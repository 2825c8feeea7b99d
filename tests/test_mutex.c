// SPDX-License-Identifier: MIT
/*
 * test_mutex.c - struct mutex: lock, trylock, is_locked, mutual exclusion
 * with sleepers, and mutex_lock() from atomic context reported.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <time.h>

#include "kp_test.h"

static void test_lock_trylock_unlock(void **state)
{
	struct mutex m;

	(void)state;
	mutex_init(&m);
	assert_false(mutex_is_locked(&m));
	mutex_lock(&m);
	assert_true(mutex_is_locked(&m));
	assert_false(in_atomic());	/* a mutex holder may sleep */
	assert_false(mutex_trylock(&m));
	mutex_unlock(&m);
	assert_true(mutex_trylock(&m));
	mutex_unlock(&m);
	assert_false(mutex_is_locked(&m));
	mutex_destroy(&m);
	assert_no_reports();
}

static void test_lock_in_atomic_reports(void **state)
{
	DEFINE_MUTEX(m);
	DEFINE_SPINLOCK(l);

	(void)state;
	spin_lock(&l);
	assert_true(mutex_trylock(&m));	/* trylock never sleeps: fine */
	mutex_unlock(&m);
	assert_no_reports();
	mutex_lock(&m);
	spin_unlock(&l);
	mutex_unlock(&m);
	assert_reports(KP_REPORT_SLEEP_IN_ATOMIC, 1);
}

#define THREADS 4
#define ROUNDS 20000

static DEFINE_MUTEX(shared_mutex);
static long shared_total;
static int inside;

static void *hammer(void *arg)
{
	int *violations = arg;

	for (int i = 0; i < ROUNDS; i++) {
		mutex_lock(&shared_mutex);
		if (kp_atomic_fetch_add(&inside, 1, KP_RELAXED) != 0)
			(*violations)++;
		shared_total++;
		kp_atomic_fetch_sub(&inside, 1, KP_RELAXED);
		mutex_unlock(&shared_mutex);
	}
	return NULL;
}

/* More threads than CPUs: waiters must sleep and be woken, none lost. */
static void test_mutual_exclusion_and_wakeups(void **state)
{
	pthread_t t[THREADS];
	int violations[THREADS] = { 0 };
	struct timespec deadline;

	(void)state;
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer, &violations[i]), 0);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 60;
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_timedjoin_np(t[i], NULL, &deadline), 0);
		assert_int_equal(violations[i], 0);
	}
	assert_int_equal(shared_total, (long)THREADS * ROUNDS);
	assert_false(mutex_is_locked(&shared_mutex));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		kp_unit_test(test_lock_trylock_unlock),
		kp_unit_test(test_lock_in_atomic_reports),
		kp_unit_test(test_mutual_exclusion_and_wakeups),
	};

	return kp_run_tests("mutex", tests);
}
