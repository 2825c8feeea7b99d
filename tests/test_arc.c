// SPDX-License-Identifier: MIT
/*
 * test_arc.c - struct arc: allocation with gfp_t, drop exactly once at the
 * last put, in-place initialization that leaves nothing behind on failure,
 * payload alignment, and saturation instead of wrap-around.
 */
#include <errno.h>

#include "kp_test.h"

struct payload {
	int value;
	long double aligned;	/* wants the strictest alignment */
};

static int drops;
static int last_dropped_value;

static void payload_drop(void *p)
{
	drops++;
	last_dropped_value = ((struct payload *)p)->value;
}

static int setup(void **state)
{
	drops = 0;
	last_dropped_value = -1;
	return kp_test_setup(state);
}

#define arc_test(f) cmocka_unit_test_setup_teardown(f, setup, kp_test_teardown_no_leaks)

static void test_new_clone_put(void **state)
{
	struct payload init = { .value = 7 };
	struct arc *a = arc_new(&init, sizeof(init), payload_drop, GFP_KERNEL);
	struct arc *b;

	(void)state;
	assert_non_null(a);
	assert_int_equal(((struct payload *)arc_payload(a))->value, 7);
	assert_true(arc_is_unique(a));
	b = arc_clone(a);
	assert_ptr_equal(a, b);
	assert_false(arc_is_unique(a));
	assert_false(arc_put(b));
	assert_int_equal(drops, 0);
	assert_true(arc_put(a));
	assert_int_equal(drops, 1);
	assert_int_equal(last_dropped_value, 7);
	assert_no_reports();
}

static void test_payload_alignment_and_round_trip(void **state)
{
	struct arc *a = arc_new(NULL, sizeof(struct payload), NULL, GFP_ATOMIC);
	void *p;

	(void)state;
	assert_non_null(a);
	p = arc_payload(a);
	assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
	assert_int_equal(((struct payload *)p)->value, 0);	/* NULL value: zeroed */
	assert_ptr_equal(arc_from_payload(p), a);
	assert_true(arc_put(a));	/* NULL drop is allowed */
}

static void test_new_fails_cleanly(void **state)
{
	(void)state;
	kp_fail_nth_set(1);
	assert_null(arc_new(NULL, 16, payload_drop, GFP_KERNEL | __GFP_NOWARN));
	assert_int_equal(kp_fail_nth_get(), 0);
	assert_null(arc_new(NULL, SIZE_MAX - 8, payload_drop, GFP_KERNEL | __GFP_NOWARN));
	assert_int_equal(drops, 0);
}

/* GFP_KERNEL may sleep: allocating one under a spinlock is reported. */
static void test_new_gfp_kernel_in_atomic(void **state)
{
	DEFINE_SPINLOCK(l);
	struct arc *a, *b;

	(void)state;
	spin_lock(&l);
	a = arc_new(NULL, 8, NULL, GFP_ATOMIC);
	assert_no_reports();
	b = arc_new(NULL, 8, NULL, GFP_KERNEL);
	spin_unlock(&l);
	assert_reports(KP_REPORT_SLEEP_IN_ATOMIC, 1);
	arc_put(a);
	arc_put(b);
}

static int init_value(void *slot, const void *arg)
{
	struct payload *p = slot;

	p->value = *(const int *)arg;
	return p->value < 0 ? -EINVAL : 0;
}

static void payload_pin_drop(void *p, const void *arg)
{
	(void)arg;
	payload_drop(p);
}

static const int forty_two = 42, minus_one = -1, one = 1;
static const struct pin_init payload_42 = { init_value, payload_pin_drop, &forty_two,
					    sizeof(struct payload) };
static const struct pin_init payload_bad = { init_value, payload_pin_drop, &minus_one,
					     sizeof(struct payload) };
static const struct pin_init payload_1 = { init_value, payload_pin_drop, &one,
					   sizeof(struct payload) };

static void test_pin_init(void **state)
{
	struct arc *a = arc_pin_init(&payload_42, GFP_KERNEL);

	(void)state;
	assert_false(IS_ERR_OR_NULL(a));
	assert_int_equal(((struct payload *)arc_payload(a))->value, 42);
	assert_true(arc_put(a));
	assert_int_equal(drops, 1);
}

/* A failed init frees the memory and never runs drop. */
static void test_pin_init_failure_leaves_nothing(void **state)
{
	struct arc *a = arc_pin_init(&payload_bad, GFP_KERNEL);

	(void)state;
	assert_true(IS_ERR(a));
	assert_int_equal(PTR_ERR(a), -EINVAL);
	assert_int_equal(drops, 0);

	kp_fail_nth_set(1);
	a = arc_pin_init(&payload_1, GFP_KERNEL | __GFP_NOWARN);
	assert_true(IS_ERR(a));
	assert_int_equal(PTR_ERR(a), -ENOMEM);
	assert_int_equal(drops, 0);
}

/* A clone past REFCOUNT_MAX saturates: the object leaks instead of freeing early. */
static void test_clone_saturates(void **state)
{
	struct arc *a = arc_new(NULL, 8, payload_drop, GFP_KERNEL);

	(void)state;
	refcount_set(&a->refcount, REFCOUNT_MAX);
	arc_clone(a);
	assert_reports(KP_REPORT_REFCOUNT_SATURATED, 1);
	assert_false(arc_put(a));
	assert_int_equal(drops, 0);
	/* Deliberately leaked: hand the memory back without running drop. */
	kfree(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		arc_test(test_new_clone_put),
		arc_test(test_payload_alignment_and_round_trip),
		arc_test(test_new_fails_cleanly),
		arc_test(test_new_gfp_kernel_in_atomic),
		arc_test(test_pin_init),
		arc_test(test_pin_init_failure_leaves_nothing),
		arc_test(test_clone_saturates),
	};

	return kp_run_tests("arc", tests);
}
