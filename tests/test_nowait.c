// SPDX-License-Identifier: MIT
/*
 * test_nowait.c - NoWaitLock: try-only, and unlock's contention answer:
 * false when nobody tried, true whenever a try failed while it was held.
 */
#include <pthread.h>

#include "kp_test.h"

static void test_try_and_uncontended_unlock(void **state)
{
	struct nowait_lock l = NOWAIT_LOCK_INIT;

	(void)state;
	assert_true(nowait_trylock(&l));
	assert_true(nowait_is_locked(&l));
	assert_false(nowait_unlock(&l));	/* nobody tried */
	assert_false(nowait_is_locked(&l));
	assert_int_equal(l.state, 0);
	assert_no_reports();
}

static void test_failed_try_is_reported_on_unlock(void **state)
{
	DEFINE_NOWAIT_LOCK(l);

	(void)state;
	assert_true(nowait_trylock(&l));
	assert_false(nowait_trylock(&l));	/* fails: CONTENDED */
	assert_int_equal(l.state, NOWAIT_LOCKED | NOWAIT_CONTENDED);
	assert_true(nowait_unlock(&l));
	assert_true(nowait_trylock(&l));	/* the answer was consumed */
	assert_false(nowait_unlock(&l));
}

static struct nowait_lock cross_lock;

static void *try_once(void *arg)
{
	*(bool *)arg = nowait_trylock(&cross_lock);
	return NULL;
}

/* The try from another task: never waits, and never lost. */
static void test_contention_across_tasks(void **state)
{
	pthread_t t;
	bool got = true;

	(void)state;
	nowait_lock_init(&cross_lock);
	for (int round = 0; round < 100; round++) {
		assert_true(nowait_trylock(&cross_lock));
		assert_int_equal(pthread_create(&t, NULL, try_once, &got), 0);
		pthread_join(t, NULL);
		assert_false(got);
		assert_true(nowait_unlock(&cross_lock));
	}
}

/* Unlocking an unlocked NoWaitLock is a bad unlock (lockdep), and refused. */
static void test_unlock_unlocked_reported(void **state)
{
	(void)state;
#ifdef KP_LOCKDEP
	DEFINE_NOWAIT_LOCK(l);

	assert_false(nowait_unlock(&l));
	assert_reports(KP_REPORT_LOCK_NOT_OWNER, 1);
	assert_msg_contains("WARNING: bad unlock balance detected!");
#else
	skip();
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		kp_unit_test(test_try_and_uncontended_unlock),
		kp_unit_test(test_failed_try_is_reported_on_unlock),
		kp_unit_test(test_contention_across_tasks),
		kp_unit_test(test_unlock_unlocked_reported),
	};

	return kp_run_tests("nowait", tests);
}
