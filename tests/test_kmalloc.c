// SPDX-License-Identifier: MIT
/*
 * test_kmalloc.c - the kmalloc edges callers rely on: ZERO_SIZE_PTR, array
 * overflow, KMALLOC_MAX_SIZE, __GFP_ZERO, might_sleep for blocking flags,
 * fail-nth, the allocation-failure warning, and kmemleak's report.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "kp_test.h"

static int teardown(void **state)
{
	kp_fail_nth_set(0);
	assert_int_equal(kp_kmemleak_report(stderr), 0);
	return kp_test_teardown(state);
}

#define kmalloc_test(f) cmocka_unit_test_setup_teardown(f, kp_test_setup, teardown)

static void test_zero_size(void **state)
{
	(void)state;
	assert_ptr_equal(kmalloc(0, GFP_KERNEL), ZERO_SIZE_PTR);
	assert_true(ZERO_OR_NULL_PTR(ZERO_SIZE_PTR));
	assert_true(ZERO_OR_NULL_PTR(NULL));
	kfree(ZERO_SIZE_PTR);
	kfree(NULL);
	assert_int_equal(kp_kmemleak_report(NULL), 0);
}

static void test_alloc_free_zero_and_align(void **state)
{
	unsigned char *p = kmalloc(100, GFP_KERNEL);
	unsigned char *z = kzalloc(300, GFP_KERNEL);

	(void)state;
	assert_non_null(p);
	assert_false(ZERO_OR_NULL_PTR(p));
	assert_int_equal((uintptr_t)p % 8, 0);
	for (int i = 0; i < 300; i++)
		assert_int_equal(z[i], 0);
	assert_int_equal(kp_kmemleak_report(NULL), 2);
	kfree(p);
	kfree(z);
	assert_int_equal(kp_kmemleak_report(NULL), 0);
}

static void test_array_overflow_returns_null(void **state)
{
	unsigned int *a;

	(void)state;
	assert_null(kmalloc_array(SIZE_MAX / 2, 4, GFP_KERNEL));
	assert_null(kcalloc(SIZE_MAX / 8 + 1, 8, GFP_KERNEL));
	a = kcalloc(10, sizeof(*a), GFP_KERNEL);
	assert_non_null(a);
	for (int i = 0; i < 10; i++)
		assert_int_equal(a[i], 0);
	kfree(a);
	assert_no_reports();
}

static void test_too_large_fails(void **state)
{
	void *p = kmalloc(KMALLOC_MAX_SIZE, GFP_KERNEL);

	(void)state;
	assert_non_null(p);
	kfree(p);
	assert_null(kmalloc(KMALLOC_MAX_SIZE + 1, GFP_KERNEL | __GFP_NOWARN));
}

static void test_blocking_flags_in_atomic(void **state)
{
	DEFINE_SPINLOCK(l);
	void *a, *b, *c;

	(void)state;
	spin_lock(&l);
	a = kmalloc(32, GFP_ATOMIC);
	b = kmalloc(32, GFP_NOWAIT);
	assert_no_reports();
	c = kmalloc(32, GFP_KERNEL);
	spin_unlock(&l);
	assert_reports(KP_REPORT_SLEEP_IN_ATOMIC, 1);
	assert_msg_contains("BUG: sleeping function called from invalid context");
	kfree(a);
	kfree(b);
	kfree(c);
}

static void test_fail_nth(void **state)
{
	void *a, *b, *c;

	(void)state;
	kp_fail_nth_set(2);
	a = kmalloc(8, GFP_KERNEL);
	assert_non_null(a);
	assert_int_equal(kp_fail_nth_get(), 1);
	/* __GFP_NOFAIL sites are neither failed nor counted. */
	c = kmalloc(8, GFP_KERNEL | __GFP_NOFAIL);
	assert_non_null(c);
	assert_int_equal(kp_fail_nth_get(), 1);
	b = kmalloc(8, GFP_KERNEL | __GFP_NOWARN);
	assert_null(b);
	assert_int_equal(kp_fail_nth_get(), 0);	/* reads 0: it fired */
	b = kmalloc(8, GFP_KERNEL);
	assert_non_null(b);
	kfree(a);
	kfree(b);
	kfree(c);
}

/* A failure prints the kernel's warning unless __GFP_NOWARN. */
static void test_failure_warning(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	FILE *saved = stderr;

	(void)state;
	stderr = mem;
	kp_fail_nth_set(1);
	assert_null(kmalloc(8, GFP_KERNEL | __GFP_NOWARN));
	fflush(mem);
	assert_int_equal(len, 0);
	kp_fail_nth_set(1);
	assert_null(kmalloc(8, GFP_KERNEL));
	stderr = saved;
	fclose(mem);
	assert_non_null(strstr(buf, "page allocation failure: kmalloc-8 size:8, mode:0xcc0"));
	free(buf);
}

static void test_kmemleak_report_format(void **state)
{
	char *p = kmalloc(40, GFP_KERNEL);
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	char head[64];

	(void)state;
	memset(p, 0xab, 40);
	assert_int_equal(kp_kmemleak_report(mem), 1);
	fclose(mem);
	/* Without user tracking the size reported is the object's slot (ksize). */
	snprintf(head, sizeof(head), "unreferenced object %p (size %zu):", (void *)p, ksize(p));
	assert_non_null(strstr(buf, head));
	assert_non_null(strstr(buf, "hex dump (first 32 bytes):"));
	assert_non_null(strstr(buf, "ab ab ab ab"));
	assert_non_null(strstr(buf, "backtrace:"));
	free(buf);
	kfree(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		kmalloc_test(test_zero_size),
		kmalloc_test(test_alloc_free_zero_and_align),
		kmalloc_test(test_array_overflow_returns_null),
		kmalloc_test(test_too_large_fails),
		kmalloc_test(test_blocking_flags_in_atomic),
		kmalloc_test(test_fail_nth),
		kmalloc_test(test_failure_warning),
		kmalloc_test(test_kmemleak_report_format),
	};

	return kp_run_tests("kmalloc", tests);
}
