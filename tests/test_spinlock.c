// SPDX-License-Identifier: MIT
/*
 * test_spinlock.c - raw_spinlock_t / spinlock_t: mutual exclusion, trylock,
 * holding one is atomic context, irqsave saves and restores the irq state.
 */
#include <pthread.h>

#include "kp_test.h"

static void test_lock_is_atomic_context(void **state)
{
	DEFINE_RAW_SPINLOCK(l);

	(void)state;
	assert_false(raw_spin_is_locked(&l));
	raw_spin_lock(&l);
	assert_true(raw_spin_is_locked(&l));
	assert_true(in_atomic());
	raw_spin_unlock(&l);
	assert_false(in_atomic());
	assert_false(raw_spin_is_locked(&l));
}

static void test_trylock(void **state)
{
	spinlock_t l;

	(void)state;
	spin_lock_init(&l);
	assert_true(spin_trylock(&l));
	assert_int_equal(preempt_count(), 1);
	assert_false(spin_trylock(&l));
	assert_int_equal(preempt_count(), 1);	/* a failed try leaves no trace */
	spin_unlock(&l);
	assert_int_equal(preempt_count(), 0);
}

static void test_irqsave_restores(void **state)
{
	DEFINE_SPINLOCK(l);
	unsigned long outer, inner;

	(void)state;
	spin_lock_irqsave(&l, outer);
	assert_true(irqs_disabled());
	spin_unlock_irqrestore(&l, outer);
	assert_false(irqs_disabled());

	local_irq_save(outer);
	spin_lock_irqsave(&l, inner);
	spin_unlock_irqrestore(&l, inner);
	assert_true(irqs_disabled());	/* restored to what it was: disabled */
	local_irq_restore(outer);
	assert_false(irqs_disabled());
}

/* Sleeping under a spinlock is the classic atomic-context bug. */
static void test_sleep_under_spinlock_reports(void **state)
{
	DEFINE_SPINLOCK(l);

	(void)state;
	spin_lock(&l);
	might_sleep();
	spin_unlock(&l);
	assert_reports(KP_REPORT_SLEEP_IN_ATOMIC, 1);
}

#define THREADS 2
#define ROUNDS 200000

static DEFINE_SPINLOCK(shared_lock);
static long shared_total;
static int inside;

static void *hammer(void *arg)
{
	int *violations = arg;

	for (int i = 0; i < ROUNDS; i++) {
		if (i % 8)
			spin_lock(&shared_lock);
		else
			while (!spin_trylock(&shared_lock))
				cpu_relax();
		if (kp_atomic_fetch_add(&inside, 1, KP_RELAXED) != 0)
			(*violations)++;
		shared_total++;
		kp_atomic_fetch_sub(&inside, 1, KP_RELAXED);
		spin_unlock(&shared_lock);
	}
	return NULL;
}

static void test_mutual_exclusion(void **state)
{
	pthread_t t[THREADS];
	int violations[THREADS] = { 0 };

	(void)state;
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer, &violations[i]), 0);
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(violations[i], 0);
	}
	assert_int_equal(shared_total, (long)THREADS * ROUNDS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		kp_unit_test(test_lock_is_atomic_context),
		kp_unit_test(test_trylock),
		kp_unit_test(test_irqsave_restores),
		kp_unit_test(test_sleep_under_spinlock_reports),
		kp_unit_test(test_mutual_exclusion),
	};

	return kp_run_tests("spinlock", tests);
}
