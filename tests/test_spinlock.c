// SPDX-License-Identifier: MIT
/*
 * test_spinlock.c - raw_spinlock_t / spinlock_t: mutual exclusion, trylock,
 * holding one is atomic context, irqsave saves and restores the irq state;
 * the queued spinlock word through its states (locked, pending, queued)
 * and the fallback past the MCS nesting bound; recursion refused.
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

struct contender {
	raw_spinlock_t *lock;
	unsigned int nesting;	/* MCS nodes already in use when it contends */
	int acquired;
};

static void *contend(void *arg)
{
	struct contender *c = arg;

	kp_current()->mcs[0].count = c->nesting;
	raw_spin_lock(c->lock);
	kp_atomic_store(&c->acquired, 1, KP_RELAXED);
	raw_spin_unlock(c->lock);
	kp_current()->mcs[0].count = 0;
	return NULL;
}

static uint32_t word(raw_spinlock_t *l)
{
	return kp_atomic_load(&l->raw_lock.val, KP_RELAXED);
}

/* (0,0,1) held; the second contender sets pending; the third queues in the tail. */
static void test_qspinlock_states(void **state)
{
	DEFINE_RAW_SPINLOCK(l);
	struct contender second = { .lock = &l }, third = { .lock = &l };
	pthread_t t2, t3;

	(void)state;
	raw_spin_lock(&l);
	assert_int_equal(word(&l), _Q_LOCKED_VAL);
	assert_int_equal(pthread_create(&t2, NULL, contend, &second), 0);
	wait_until(word(&l) & _Q_PENDING_VAL);
	assert_int_equal(word(&l) & _Q_TAIL_MASK, 0);	/* pending needs no queue node */
	assert_int_equal(pthread_create(&t3, NULL, contend, &third), 0);
	wait_until(word(&l) & _Q_TAIL_MASK);
	assert_int_equal(word(&l) & _Q_TAIL_IDX_MASK, 0);	/* its first nesting level */
	assert_false(kp_atomic_load(&second.acquired, KP_RELAXED) ||
		     kp_atomic_load(&third.acquired, KP_RELAXED));
	raw_spin_unlock(&l);
	pthread_join(t2, NULL);
	pthread_join(t3, NULL);
	assert_true(second.acquired && third.acquired);
	assert_int_equal(word(&l), 0);
}

/* Past KP_MCS_NODES nested contentions a task spins on the word, never in the queue. */
static void test_nesting_bound_falls_back_to_spinning(void **state)
{
	DEFINE_RAW_SPINLOCK(l);
	struct contender pending = { .lock = &l };
	struct contender deep = { .lock = &l, .nesting = KP_MCS_NODES };
	pthread_t tp, td;

	(void)state;
	raw_spin_lock(&l);
	assert_int_equal(pthread_create(&tp, NULL, contend, &pending), 0);
	wait_until(word(&l) & _Q_PENDING_VAL);
	assert_int_equal(pthread_create(&td, NULL, contend, &deep), 0);
	for (int i = 0; i < 1000; i++) {	/* it is spinning: give it time to misbehave */
		assert_int_equal(word(&l) & _Q_TAIL_MASK, 0);
		sched_yield();
	}
	raw_spin_unlock(&l);
	pthread_join(tp, NULL);
	pthread_join(td, NULL);
	assert_true(pending.acquired && deep.acquired);
	assert_int_equal(word(&l), 0);
}

/* Taking a held lock again is reported and refused (lockdep), not a hang. */
static void test_recursion_refused(void **state)
{
	(void)state;
#ifdef KP_LOCKDEP
	DEFINE_SPINLOCK(l);

	spin_lock(&l);
	spin_lock(&l);
	assert_reports(KP_REPORT_LOCK_RECURSION, 1);
	assert_msg_contains("WARNING: possible recursive locking detected");
	spin_unlock(&l);
	assert_false(spin_is_locked(&l));
	kp_report_reset();
	spin_unlock(&l);	/* the refused lock's unlock: refused too */
	assert_reports(KP_REPORT_LOCK_NOT_OWNER, 1);
	assert_int_equal(preempt_count(), 0);
#else
	skip();
#endif
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
		kp_unit_test(test_qspinlock_states),
		kp_unit_test(test_nesting_bound_falls_back_to_spinning),
		kp_unit_test(test_recursion_refused),
		kp_unit_test(test_mutual_exclusion),
	};

	return kp_run_tests("spinlock", tests);
}
