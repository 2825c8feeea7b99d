// SPDX-License-Identifier: MIT
/*
 * test_guards.c - cleanup.h: guard() unlocks at the end of its scope,
 * whatever the way out; scoped_guard() holds the lock for its block; the
 * irqsave flavours restore the irq state; the _try flavours run their
 * block only when the try won, and then unlock.
 */
#include "kp_test.h"

static int guarded_early_return(struct mutex *m, int x)
{
	guard(mutex)(m);
	assert_true(mutex_is_locked(m));
	if (x > 0)
		return x;	/* unlocks here ... */
	return -x;		/* ... or here */
}

static void test_guard_unlocks_on_every_exit(void **state)
{
	DEFINE_MUTEX(m);

	(void)state;
	assert_int_equal(guarded_early_return(&m, 3), 3);
	assert_false(mutex_is_locked(&m));
	assert_int_equal(guarded_early_return(&m, -4), 4);
	assert_false(mutex_is_locked(&m));
	assert_no_reports();
}

static void test_scoped_guards_every_lock(void **state)
{
	DEFINE_RAW_SPINLOCK(r);
	DEFINE_SPINLOCK(s);
	DEFINE_MUTEX(m);
	DEFINE_SMUTEX(sm);
	int ran = 0;

	(void)state;
	scoped_guard(raw_spinlock, &r) {
		assert_true(raw_spin_is_locked(&r));
		assert_true(in_atomic());
		ran++;
	}
	scoped_guard(spinlock, &s) {
		assert_true(spin_is_locked(&s));
		ran++;
	}
	scoped_guard(mutex, &m) {
		assert_true(mutex_is_locked(&m));
		ran++;
	}
	scoped_guard(smutex, &sm) {
		assert_true(smutex_is_locked(&sm));
		ran++;
	}
	assert_int_equal(ran, 4);
	assert_false(raw_spin_is_locked(&r) || spin_is_locked(&s) || mutex_is_locked(&m) ||
		     smutex_is_locked(&sm));
	assert_false(in_atomic());
	assert_no_reports();
}

static void test_irqsave_guards_restore(void **state)
{
	DEFINE_RAW_SPINLOCK(r);
	DEFINE_SPINLOCK(s);

	(void)state;
	scoped_guard(spinlock_irqsave, &s) {
		assert_true(irqs_disabled());
		scoped_guard(raw_spinlock_irqsave, &r)
			assert_true(irqs_disabled());
		assert_true(irqs_disabled());	/* the inner guard restored "disabled" */
	}
	assert_false(irqs_disabled());
	assert_int_equal(preempt_count(), 0);
	assert_no_reports();
}

/* Every try guard once; returns how many blocks ran. */
static int try_every_guard(struct mutex *m, raw_spinlock_t *r, spinlock_t *s, struct smutex *sm,
			   struct nowait_lock *n)
{
	int ran = 0;

	scoped_guard(mutex_try, m)
		ran++;
	scoped_guard(raw_spinlock_try, r)
		ran++;
	scoped_guard(spinlock_try, s)
		ran++;
	scoped_guard(smutex_try, sm)
		ran++;
	scoped_guard(nowait_try, n)
		ran++;
	return ran;
}

static void test_try_guards_run_only_when_taken(void **state)
{
	DEFINE_RAW_SPINLOCK(r);
	DEFINE_SPINLOCK(s);
	DEFINE_MUTEX(m);
	DEFINE_SMUTEX(sm);
	DEFINE_NOWAIT_LOCK(n);

	(void)state;
	assert_int_equal(try_every_guard(&m, &r, &s, &sm, &n), 5);
	assert_false(mutex_is_locked(&m) || raw_spin_is_locked(&r) || spin_is_locked(&s) ||
		     smutex_is_locked(&sm) || nowait_is_locked(&n));

	/* Now each is held: the try fails, the block is skipped, nothing is unlocked. */
	mutex_lock(&m);
	smutex_lock(&sm);
	raw_spin_lock(&r);
	spin_lock(&s);
	assert_true(nowait_trylock(&n));
	assert_int_equal(try_every_guard(&m, &r, &s, &sm, &n), 0);
	assert_true(mutex_is_locked(&m) && raw_spin_is_locked(&r) && spin_is_locked(&s) &&
		    smutex_is_locked(&sm) && nowait_is_locked(&n));
	assert_true(nowait_unlock(&n));		/* the failed guard try counts as contention */
	spin_unlock(&s);
	raw_spin_unlock(&r);
	smutex_unlock(&sm);
	mutex_unlock(&m);
	assert_no_reports();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		kp_unit_test(test_guard_unlocks_on_every_exit),
		kp_unit_test(test_scoped_guards_every_lock),
		kp_unit_test(test_irqsave_guards_restore),
		kp_unit_test(test_try_guards_run_only_when_taken),
	};

	return kp_run_tests("guards", tests);
}
