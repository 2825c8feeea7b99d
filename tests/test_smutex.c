// SPDX-License-Identifier: MIT
/*
 * test_smutex.c - the simple mutex: lock/trylock/unlock, static init,
 * moving it while unlocked, the waiter stack and LOCKED bit, and the
 * FIFO release of queued waiters (deterministic: each waiter is seen on
 * the stack before the next one starts). Mutual exclusion under contention
 * is stress_locks.c's, for every lock.
 */
#include <pthread.h>

#include "kp_test.h"

static struct smutex static_lock = SMUTEX_INIT;

static void test_lock_trylock_unlock(void **state)
{
	(void)state;
	assert_false(smutex_is_locked(&static_lock));
	smutex_lock(&static_lock);
	assert_true(smutex_is_locked(&static_lock));
	assert_int_equal(static_lock.waiter_stack, SMUTEX_LOCKED);	/* no waiters */
	assert_false(smutex_trylock(&static_lock));
	assert_false(in_atomic());
	smutex_unlock(&static_lock);
	assert_int_equal(static_lock.waiter_stack, 0);
	assert_true(smutex_trylock(&static_lock));
	smutex_unlock(&static_lock);
	assert_no_reports();
}

/* Nothing points into an unlocked smutex: a copy works as well as the original. */
static void test_movable_while_unlocked(void **state)
{
	struct smutex a, b;

	(void)state;
	smutex_init(&a);
	smutex_lock(&a);
	smutex_unlock(&a);
	memcpy(&b, &a, sizeof(b));
	smutex_lock(&b);
	assert_true(smutex_is_locked(&b));
	assert_false(smutex_is_locked(&a));
	smutex_unlock(&b);
	assert_no_reports();
}

#define WAITERS 4

static struct smutex fifo_lock;
static int order[WAITERS], next_slot;

static void *take_in_turn(void *arg)
{
	int me = (int)(intptr_t)arg;

	smutex_lock(&fifo_lock);
	order[next_slot++] = me;
	smutex_unlock(&fifo_lock);
	return NULL;
}

/* Waiters on the stack (struct smutex_waiter begins with its next pointer). */
static int stacked(void)
{
	int n = 0;
	uintptr_t top = kp_atomic_load(&fifo_lock.waiter_stack, KP_ACQUIRE) & ~SMUTEX_LOCKED;

	for (struct { void *next; } *w = (void *)top; w; w = w->next)
		n++;
	return n;
}

static void test_fifo_release_of_queued_waiters(void **state)
{
	pthread_t t[WAITERS];

	(void)state;
	smutex_init(&fifo_lock);
	next_slot = 0;
	smutex_lock(&fifo_lock);
	for (int i = 0; i < WAITERS; i++) {
		assert_int_equal(pthread_create(&t[i], NULL, take_in_turn, (void *)(intptr_t)i), 0);
		wait_until(stacked() == i + 1);	/* pushed (LIFO) before the next one starts */
	}
	smutex_unlock(&fifo_lock);	/* reverses the stack: the oldest goes first */
	for (int i = 0; i < WAITERS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(next_slot, WAITERS);
	for (int i = 0; i < WAITERS; i++)
		assert_int_equal(order[i], i);
	assert_int_equal(fifo_lock.waiter_stack, 0);
	assert_null(fifo_lock.waiter_queue);
}

static void test_lock_in_atomic_reports(void **state)
{
	DEFINE_SMUTEX(m);
	DEFINE_RAW_SPINLOCK(l);

	(void)state;
	raw_spin_lock(&l);
	smutex_lock(&m);
	smutex_unlock(&m);
	raw_spin_unlock(&l);
	assert_reports(KP_REPORT_SLEEP_IN_ATOMIC, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		kp_unit_test(test_lock_trylock_unlock),
		kp_unit_test(test_movable_while_unlocked),
		kp_unit_test(test_fifo_release_of_queued_waiters),
		kp_unit_test(test_lock_in_atomic_reports),
	};

	return kp_run_tests("smutex", tests);
}
