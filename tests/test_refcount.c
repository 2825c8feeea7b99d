// SPDX-License-Identifier: MIT
/*
 * test_refcount.c - refcount_t against the kernel's semantics.
 *
 * One test per case of drivers/misc/lkdtm/refcount.c, each asserting the
 * final value and the exact report kind, then the ordinary operations and
 * the dec_and_lock family (lib/refcount.c).
 */
#include "kp_test.h"

#define assert_refs(r, v)	assert_int_equal((int)refcount_read(r), (v))

/* LKDTM REFCOUNT_INC_OVERFLOW / ADD_OVERFLOW: from MAX-1, saturate exactly. */
static void test_inc_overflow_saturates(void **state)
{
	refcount_t r = REFCOUNT_INIT(REFCOUNT_MAX - 1);

	(void)state;
	refcount_inc(&r);
	assert_refs(&r, REFCOUNT_MAX);
	assert_no_reports();
	refcount_inc(&r);
	assert_refs(&r, REFCOUNT_SATURATED);
	assert_reports(KP_REPORT_REFCOUNT_SATURATED, 1);
	assert_msg_contains("refcount_t: saturated; leaking memory.");
}

static void test_add_overflow_saturates(void **state)
{
	refcount_t r = REFCOUNT_INIT(REFCOUNT_MAX - 1);

	(void)state;
	refcount_add(4, &r);
	assert_refs(&r, REFCOUNT_SATURATED);
	assert_reports(KP_REPORT_REFCOUNT_SATURATED, 1);
}

/* LKDTM REFCOUNT_INC_NOT_ZERO_OVERFLOW / ADD_NOT_ZERO_OVERFLOW: from MAX. */
static void test_inc_not_zero_overflow(void **state)
{
	refcount_t r = REFCOUNT_INIT(REFCOUNT_MAX);

	(void)state;
	assert_true(refcount_inc_not_zero(&r));
	assert_refs(&r, REFCOUNT_SATURATED);
	assert_reports(KP_REPORT_REFCOUNT_SATURATED, 1);
}

static void test_add_not_zero_overflow(void **state)
{
	refcount_t r = REFCOUNT_INIT(REFCOUNT_MAX);

	(void)state;
	assert_true(refcount_add_not_zero(6, &r));
	assert_refs(&r, REFCOUNT_SATURATED);
	assert_reports(KP_REPORT_REFCOUNT_SATURATED, 1);
}

/* LKDTM REFCOUNT_DEC_ZERO: refcount_dec() to 0 is a leak, and saturates. */
static void test_dec_to_zero_warns(void **state)
{
	refcount_t r = REFCOUNT_INIT(2);

	(void)state;
	refcount_dec(&r);
	assert_refs(&r, 1);
	assert_no_reports();
	refcount_dec(&r);
	assert_refs(&r, REFCOUNT_SATURATED);
	assert_reports(KP_REPORT_REFCOUNT_DEC_TO_ZERO, 1);
	assert_msg_contains("refcount_t: decrement hit 0; leaking memory.");
}

/*
 * LKDTM REFCOUNT_DEC_NEGATIVE. lib/refcount.h's __refcount_dec() sends
 * every old value <= 1 to REFCOUNT_DEC_LEAK, so from 0 the kernel prints
 * "decrement hit 0" rather than "underflow"; kprim reports the same.
 */
static void test_dec_from_zero(void **state)
{
	refcount_t r = REFCOUNT_INIT(0);

	(void)state;
	refcount_dec(&r);
	assert_refs(&r, REFCOUNT_SATURATED);
	assert_reports(KP_REPORT_REFCOUNT_DEC_TO_ZERO, 1);
}

/* LKDTM REFCOUNT_DEC_AND_TEST_NEGATIVE: not "zero", saturated, underflow. */
static void test_dec_and_test_from_zero(void **state)
{
	refcount_t r = REFCOUNT_INIT(0);

	(void)state;
	assert_false(refcount_dec_and_test(&r));
	assert_refs(&r, REFCOUNT_SATURATED);
	assert_reports(KP_REPORT_REFCOUNT_UNDERFLOW, 1);
	assert_msg_contains("refcount_t: underflow; use-after-free.");
}

/* LKDTM REFCOUNT_SUB_AND_TEST_NEGATIVE: 3 - 5. */
static void test_sub_and_test_negative(void **state)
{
	refcount_t r = REFCOUNT_INIT(3);

	(void)state;
	assert_false(refcount_sub_and_test(5, &r));
	assert_refs(&r, REFCOUNT_SATURATED);
	assert_reports(KP_REPORT_REFCOUNT_UNDERFLOW, 1);
}

/* LKDTM REFCOUNT_INC_ZERO / ADD_ZERO: the _not_zero forms fail and stay 0. */
static void test_not_zero_on_zero_fails(void **state)
{
	refcount_t r = REFCOUNT_INIT(0);

	(void)state;
	assert_false(refcount_inc_not_zero(&r));
	assert_refs(&r, 0);
	assert_false(refcount_add_not_zero(3, &r));
	assert_refs(&r, 0);
	assert_no_reports();
}

/* ... and the plain forms report use-after-free and saturate. */
static void test_inc_on_zero_reports_uaf(void **state)
{
	refcount_t r = REFCOUNT_INIT(0);

	(void)state;
	refcount_inc(&r);
	assert_refs(&r, REFCOUNT_SATURATED);
	assert_reports(KP_REPORT_REFCOUNT_ADD_ON_ZERO, 1);
	assert_msg_contains("refcount_t: addition on 0; use-after-free.");
}

static void test_add_on_zero_reports_uaf(void **state)
{
	refcount_t r = REFCOUNT_INIT(0);

	(void)state;
	refcount_add(7, &r);
	assert_refs(&r, REFCOUNT_SATURATED);
	assert_reports(KP_REPORT_REFCOUNT_ADD_ON_ZERO, 1);
}

/* LKDTM REFCOUNT_*_SATURATED: every operation leaves it saturated. */
static void test_saturated_stays_saturated(void **state)
{
	refcount_t r = REFCOUNT_INIT(REFCOUNT_SATURATED);

	(void)state;
	refcount_inc(&r);
	assert_refs(&r, REFCOUNT_SATURATED);
	assert_reports(KP_REPORT_REFCOUNT_SATURATED, 1);
	refcount_add(100, &r);
	assert_refs(&r, REFCOUNT_SATURATED);
	assert_true(refcount_inc_not_zero(&r));
	assert_refs(&r, REFCOUNT_SATURATED);
	assert_true(refcount_add_not_zero(9, &r));
	assert_refs(&r, REFCOUNT_SATURATED);
	assert_reports(KP_REPORT_REFCOUNT_SATURATED, 4);

	kp_report_reset();
	assert_false(refcount_dec_and_test(&r));
	assert_refs(&r, REFCOUNT_SATURATED);
	assert_false(refcount_sub_and_test(3, &r));
	assert_refs(&r, REFCOUNT_SATURATED);
	assert_reports(KP_REPORT_REFCOUNT_UNDERFLOW, 2);

	kp_report_reset();
	refcount_dec(&r);
	assert_refs(&r, REFCOUNT_SATURATED);
	assert_reports(KP_REPORT_REFCOUNT_DEC_TO_ZERO, 1);

	kp_report_reset();
	assert_false(refcount_dec_if_one(&r));
	assert_true(refcount_dec_not_one(&r));
	assert_refs(&r, REFCOUNT_SATURATED);
	assert_no_reports();
}

static void test_ordinary_counting(void **state)
{
	refcount_t r;
	int old;

	(void)state;
	refcount_set(&r, 1);
	refcount_inc(&r);
	refcount_add(3, &r);
	assert_refs(&r, 5);
	assert_true(refcount_inc_not_zero(&r));
	assert_true(refcount_add_not_zero(2, &r));
	assert_refs(&r, 8);
	__refcount_add(1, &r, &old);
	assert_int_equal(old, 8);
	assert_false(refcount_sub_and_test(4, &r));
	refcount_dec(&r);
	assert_refs(&r, 4);
	assert_false(__refcount_sub_and_test(3, &r, &old));
	assert_int_equal(old, 4);
	assert_true(refcount_dec_and_test(&r));
	assert_refs(&r, 0);
	assert_no_reports();
}

static void test_dec_if_one(void **state)
{
	refcount_t r = REFCOUNT_INIT(2);

	(void)state;
	assert_false(refcount_dec_if_one(&r));
	assert_refs(&r, 2);
	refcount_dec(&r);
	assert_true(refcount_dec_if_one(&r));
	assert_refs(&r, 0);
	assert_false(refcount_dec_if_one(&r));
	assert_no_reports();
}

static void test_dec_not_one(void **state)
{
	refcount_t r = REFCOUNT_INIT(3);

	(void)state;
	assert_true(refcount_dec_not_one(&r));
	assert_refs(&r, 2);
	assert_true(refcount_dec_not_one(&r));
	assert_false(refcount_dec_not_one(&r));
	assert_refs(&r, 1);
	assert_no_reports();

	/* From 0 the unsigned decrement wraps up: underflow, count unchanged. */
	refcount_set(&r, 0);
	assert_true(refcount_dec_not_one(&r));
	assert_refs(&r, 0);
	assert_reports(KP_REPORT_REFCOUNT_UNDERFLOW, 1);
}

static void test_dec_and_lock(void **state)
{
	refcount_t r = REFCOUNT_INIT(2);
	DEFINE_SPINLOCK(lock);

	(void)state;
	assert_false(refcount_dec_and_lock(&r, &lock));
	assert_false(spin_is_locked(&lock));
	assert_refs(&r, 1);
	assert_true(refcount_dec_and_lock(&r, &lock));
	assert_true(spin_is_locked(&lock));
	assert_spin_locked(&lock);	/* held by this task, as lockdep sees it */
	assert_true(in_atomic());
	assert_refs(&r, 0);
	spin_unlock(&lock);
	assert_false(in_atomic());
	assert_no_reports();
}

static void test_dec_and_lock_irqsave(void **state)
{
	refcount_t r = REFCOUNT_INIT(1);
	unsigned long flags = 99;
	DEFINE_SPINLOCK(lock);

	(void)state;
	assert_true(refcount_dec_and_lock_irqsave(&r, &lock, &flags));
	assert_true(irqs_disabled());
	assert_int_equal(flags, 0);
	spin_unlock_irqrestore(&lock, flags);
	assert_false(irqs_disabled());
	assert_no_reports();
}

static void test_dec_and_mutex_lock(void **state)
{
	refcount_t r = REFCOUNT_INIT(2);
	DEFINE_MUTEX(m);

	(void)state;
	assert_false(refcount_dec_and_mutex_lock(&r, &m));
	assert_false(mutex_is_locked(&m));
	assert_true(refcount_dec_and_mutex_lock(&r, &m));
	assert_true(mutex_is_locked(&m));
	assert_false(in_atomic());
	mutex_unlock(&m);
	assert_no_reports();
}

/* The last put may take a mutex, so from atomic context it must be reported. */
static void test_dec_and_mutex_lock_in_atomic(void **state)
{
	refcount_t r = REFCOUNT_INIT(1);
	DEFINE_MUTEX(m);

	(void)state;
	preempt_disable();
	assert_true(refcount_dec_and_mutex_lock(&r, &m));
	preempt_enable();
	mutex_unlock(&m);
	assert_reports(KP_REPORT_SLEEP_IN_ATOMIC, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		kp_unit_test(test_inc_overflow_saturates),
		kp_unit_test(test_add_overflow_saturates),
		kp_unit_test(test_inc_not_zero_overflow),
		kp_unit_test(test_add_not_zero_overflow),
		kp_unit_test(test_dec_to_zero_warns),
		kp_unit_test(test_dec_from_zero),
		kp_unit_test(test_dec_and_test_from_zero),
		kp_unit_test(test_sub_and_test_negative),
		kp_unit_test(test_not_zero_on_zero_fails),
		kp_unit_test(test_inc_on_zero_reports_uaf),
		kp_unit_test(test_add_on_zero_reports_uaf),
		kp_unit_test(test_saturated_stays_saturated),
		kp_unit_test(test_ordinary_counting),
		kp_unit_test(test_dec_if_one),
		kp_unit_test(test_dec_not_one),
		kp_unit_test(test_dec_and_lock),
		kp_unit_test(test_dec_and_lock_irqsave),
		kp_unit_test(test_dec_and_mutex_lock),
		kp_unit_test(test_dec_and_mutex_lock_in_atomic),
	};

	return kp_run_tests("refcount", tests);
}
