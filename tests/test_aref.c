// SPDX-License-Identifier: MIT
/*
 * test_aref.c - struct aref: clone is one inc, drop one dec, conversions
 * touch nothing, and an emptied aref is inert.
 */
#include "kp_test.h"

struct counted {
	int incs, decs;
};

static void counted_inc(void *obj)
{
	((struct counted *)obj)->incs++;
}

static void counted_dec(void *obj)
{
	((struct counted *)obj)->decs++;
}

static const struct aref_ops counted_ops = { counted_inc, counted_dec };

static void test_from_raw_and_into_raw_do_not_count(void **state)
{
	struct counted c = { 0, 0 };
	struct aref r = aref_from_raw(&c, &counted_ops);

	(void)state;
	assert_ptr_equal(aref_ptr(&r), &c);
	assert_ptr_equal(aref_into_raw(&r), &c);
	assert_null(aref_ptr(&r));
	assert_int_equal(c.incs, 0);
	assert_int_equal(c.decs, 0);
	aref_drop(&r);		/* empty: nothing to put */
	assert_int_equal(c.decs, 0);
}

static void test_clone_and_drop_count_once_each(void **state)
{
	struct counted c = { 0, 0 };
	struct aref a = aref_from_raw(&c, &counted_ops);
	struct aref b = aref_clone(&a);
	struct aref d = aref_clone(&b);

	(void)state;
	assert_int_equal(c.incs, 2);
	assert_ptr_equal(aref_ptr(&d), &c);
	aref_drop(&a);
	aref_drop(&b);
	aref_drop(&d);
	assert_int_equal(c.decs, 3);
	aref_drop(&d);		/* dropping twice is dropping an empty aref */
	assert_int_equal(c.decs, 3);
	assert_null(aref_ptr(&a));
}

static void test_get_takes_a_reference(void **state)
{
	struct counted c = { 0, 0 };
	struct aref r = aref_get(&c, &counted_ops);

	(void)state;
	assert_int_equal(c.incs, 1);
	aref_drop(&r);
	assert_int_equal(c.decs, 1);
}

static void test_clone_of_empty_is_empty(void **state)
{
	struct counted c = { 0, 0 };
	struct aref a = aref_from_raw(&c, &counted_ops);
	struct aref b;

	(void)state;
	aref_into_raw(&a);
	b = aref_clone(&a);
	assert_null(aref_ptr(&b));
	assert_int_equal(c.incs, 0);
}

/* An aref to an arc payload is one arc reference. */
static int arc_drops;

static void count_arc_drop(void *payload)
{
	(void)payload;
	arc_drops++;
}

static void test_aref_over_arc(void **state)
{
	struct arc *arc = arc_new(NULL, 8, count_arc_drop, GFP_KERNEL);
	struct aref a, b;

	(void)state;
	assert_non_null(arc);
	arc_drops = 0;
	a = aref_from_raw(arc_payload(arc), &arc_aref_ops);
	b = aref_clone(&a);
	assert_int_equal(refcount_read(&arc->refcount), 2);
	aref_drop(&a);
	assert_int_equal(arc_drops, 0);
	assert_true(arc_is_unique(arc));
	aref_drop(&b);
	assert_int_equal(arc_drops, 1);
	assert_int_equal(kp_kmemleak_report(NULL), 0);
	assert_no_reports();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		kp_unit_test(test_from_raw_and_into_raw_do_not_count),
		kp_unit_test(test_clone_and_drop_count_once_each),
		kp_unit_test(test_get_takes_a_reference),
		kp_unit_test(test_clone_of_empty_is_empty),
		kp_unit_test(test_aref_over_arc),
	};

	return kp_run_tests("aref", tests);
}
