// SPDX-License-Identifier: MIT
/*
 * test_fault.c - failslab's knobs and fail-nth (mm/failslab.c,
 * lib/fault-inject.c): probability, times, interval, space,
 * ignore_gfp_reclaim, and what is never failed.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "kp_test.h"

static int teardown(void **state)
{
	kp_failslab_set(0, 0, -1, 0, false);
	kp_fail_nth_set(0);
	return kp_test_teardown(state);
}

#define fault_test(f) cmocka_unit_test_setup_teardown(f, kp_test_setup, teardown)

/* Allocate n times; return a bitmask of which failed. */
static unsigned int try_allocs(int n, size_t size, gfp_t gfp)
{
	unsigned int failed = 0;

	for (int i = 0; i < n; i++) {
		void *p = kmalloc(size, gfp | __GFP_NOWARN);

		if (!p)
			failed |= 1u << i;
		kfree(p);
	}
	return failed;
}

static void test_probability_and_times(void **state)
{
	(void)state;
	kp_alloc_fail_reset();
	kp_failslab_set(100, 1, 3, 0, false);
	assert_int_equal(try_allocs(6, 32, GFP_KERNEL), 0x7);	/* three, then no more */
	assert_int_equal(kp_alloc_fail_count(KP_FAIL_INJECTED), 3);
	kp_failslab_set(100, 1, -1, 0, false);
	assert_int_equal(try_allocs(5, 32, GFP_KERNEL), 0x1f);	/* unlimited */
	kp_failslab_set(0, 1, -1, 0, false);
	assert_int_equal(try_allocs(5, 32, GFP_KERNEL), 0);	/* disarmed */
}

static void test_interval(void **state)
{
	(void)state;
	kp_failslab_set(100, 3, -1, 0, false);
	assert_int_equal(try_allocs(9, 32, GFP_KERNEL), 0x124);	/* every third */
}

static void test_space(void **state)
{
	(void)state;
	kp_failslab_set(100, 1, -1, 100, false);
	assert_int_equal(try_allocs(5, 32, GFP_KERNEL), 0x18);	/* 3 x 32 fit in 100 */
}

static void test_ignore_gfp_reclaim_and_nofail(void **state)
{
	(void)state;
	kp_failslab_set(100, 1, -1, 0, true);
	assert_int_equal(try_allocs(3, 32, GFP_KERNEL), 0);	/* may reclaim: skipped */
	assert_int_equal(try_allocs(3, 32, GFP_ATOMIC), 0x7);
	kp_failslab_set(100, 1, -1, 0, false);
	assert_int_equal(try_allocs(3, 32, GFP_ATOMIC | __GFP_NOFAIL), 0);
}

static void test_fail_nth_walks_each_site(void **state)
{
	(void)state;
	for (unsigned int n = 1; n <= 4; n++) {
		kp_fail_nth_set(n);
		assert_int_equal(try_allocs(4, 64, GFP_KERNEL), 1u << (n - 1));
		assert_int_equal(kp_fail_nth_get(), 0);
	}
	/* With ignore_gfp_reclaim, sleeping allocations are not even counted. */
	kp_failslab_set(0, 0, -1, 0, true);
	kp_fail_nth_set(2);
	assert_int_equal(try_allocs(2, 64, GFP_KERNEL), 0);
	assert_int_equal(kp_fail_nth_get(), 2);
	assert_int_equal(try_allocs(2, 64, GFP_ATOMIC), 0x2);
}

static void test_nowarn_silences(void **state)
{
	struct kp_stderr_capture err;

	(void)state;
	kp_failslab_set(100, 1, -1, 0, false);
	kp_stderr_capture_start(&err);
	assert_null(kmalloc(16, GFP_KERNEL | __GFP_NOWARN));
	assert_string_equal(kp_stderr_captured(&err), "");
	assert_null(kmalloc(16, GFP_KERNEL));
	assert_non_null(strstr(kp_stderr_captured(&err), "page allocation failure"));
	kp_stderr_capture_stop(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		fault_test(test_probability_and_times),
		fault_test(test_interval),
		fault_test(test_space),
		fault_test(test_ignore_gfp_reclaim_and_nofail),
		fault_test(test_fail_nth_walks_each_site),
		fault_test(test_nowarn_silences),
	};

	return kp_run_tests("fault", tests);
}
