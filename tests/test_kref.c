// SPDX-License-Identifier: MIT
/*
 * test_kref.c - struct kref: release runs once, at the last put, and the
 * refcount_t rules (saturation, use-after-free reports) carry through.
 */
#include "kp_test.h"

struct obj {
	struct kref kref;
	int released;
};

static void obj_release(struct kref *kref)
{
	container_of(kref, struct obj, kref)->released++;
}

static void obj_release_unlock_mutex(struct kref *kref)
{
	obj_release(kref);
}

static void test_get_put(void **state)
{
	struct obj o = { .released = 0 };

	(void)state;
	kref_init(&o.kref);
	assert_int_equal(kref_read(&o.kref), 1);
	kref_get(&o.kref);
	kref_get(&o.kref);
	assert_int_equal(kref_read(&o.kref), 3);
	assert_int_equal(kref_put(&o.kref, obj_release), 0);
	assert_int_equal(kref_put(&o.kref, obj_release), 0);
	assert_int_equal(o.released, 0);
	assert_int_equal(kref_put(&o.kref, obj_release), 1);
	assert_int_equal(o.released, 1);
	assert_no_reports();
}

static void test_get_unless_zero(void **state)
{
	struct obj o = { .kref = KREF_INIT(1), .released = 0 };

	(void)state;
	assert_true(kref_get_unless_zero(&o.kref));
	assert_int_equal(kref_read(&o.kref), 2);
	assert_int_equal(kref_put(&o.kref, obj_release), 0);
	assert_int_equal(kref_put(&o.kref, obj_release), 1);
	assert_false(kref_get_unless_zero(&o.kref));
	assert_int_equal(kref_read(&o.kref), 0);
	assert_no_reports();
}

/* kref_get on a released object is the use-after-free refcount_t catches. */
static void test_get_after_release_reports(void **state)
{
	struct obj o = { .kref = KREF_INIT(1), .released = 0 };

	(void)state;
	assert_int_equal(kref_put(&o.kref, obj_release), 1);
	kref_get(&o.kref);
	assert_reports(KP_REPORT_REFCOUNT_ADD_ON_ZERO, 1);
	/* Saturated: a further put never releases twice. */
	assert_int_equal(kref_put(&o.kref, obj_release), 0);
	assert_int_equal(o.released, 1);
}

static void test_put_twice_reports_underflow(void **state)
{
	struct obj o = { .kref = KREF_INIT(1), .released = 0 };

	(void)state;
	assert_int_equal(kref_put(&o.kref, obj_release), 1);
	assert_int_equal(kref_put(&o.kref, obj_release), 0);
	assert_int_equal(o.released, 1);
	assert_reports(KP_REPORT_REFCOUNT_UNDERFLOW, 1);
}

static void test_put_mutex_and_lock(void **state)
{
	struct obj o = { .kref = KREF_INIT(2), .released = 0 };
	DEFINE_MUTEX(m);
	DEFINE_SPINLOCK(l);

	(void)state;
	assert_int_equal(kref_put_mutex(&o.kref, obj_release_unlock_mutex, &m), 0);
	assert_false(mutex_is_locked(&m));
	assert_int_equal(kref_put_mutex(&o.kref, obj_release_unlock_mutex, &m), 1);
	assert_true(mutex_is_locked(&m));	/* release is entered with it held */
	mutex_unlock(&m);

	kref_init(&o.kref);
	assert_int_equal(kref_put_lock(&o.kref, obj_release, &l), 1);
	assert_true(spin_is_locked(&l));
	spin_unlock(&l);
	assert_int_equal(o.released, 2);
	assert_no_reports();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		kp_unit_test(test_get_put),
		kp_unit_test(test_get_unless_zero),
		kp_unit_test(test_get_after_release_reports),
		kp_unit_test(test_put_twice_reports_underflow),
		kp_unit_test(test_put_mutex_and_lock),
	};

	return kp_run_tests("kref", tests);
}
