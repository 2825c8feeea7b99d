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
#include "oracle.h"

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
	struct kp_stderr_capture err;

	(void)state;
	kp_stderr_capture_start(&err);
	kp_fail_nth_set(1);
	assert_null(kmalloc(8, GFP_KERNEL | __GFP_NOWARN));
	assert_string_equal(kp_stderr_captured(&err), "");
	kp_fail_nth_set(1);
	assert_null(kmalloc(8, GFP_KERNEL));
	assert_non_null(strstr(kp_stderr_captured(&err),
			       "page allocation failure: kmalloc-8 size:8, mode:0xcc0"));
	kp_stderr_capture_stop(&err);
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
	snprintf(head, sizeof(head), "unreferenced object %p (size %zu):", (void *)p,
		 kp_slub_debug_flags() ? (size_t)40 : ksize(p));
	assert_non_null(strstr(buf, head));
	assert_non_null(strstr(buf, "hex dump (first 32 bytes):"));
	assert_non_null(strstr(buf, "ab ab ab ab"));
	assert_non_null(strstr(buf, "backtrace:"));
	free(buf);
	kfree(p);
}

static void test_size_classes_and_alignment(void **state)
{
	(void)state;
	for (size_t size = 1; size <= 9000; size += (size < 300 ? 1 : 97)) {
		void *p = kmalloc(size, GFP_KERNEL);
		size_t bucket = oracle_kmalloc_bucket(size);
		size_t align = bucket & -bucket;	/* largest power-of-two divisor */

		assert_non_null(p);
		assert_int_equal(ksize(p), bucket);
		assert_int_equal((uintptr_t)p % (align < PAGE_SIZE ? align : PAGE_SIZE), 0);
		assert_int_equal((uintptr_t)p % 8, 0);
		kfree(p);
	}
	for (size_t size = 64; size <= KMALLOC_MAX_SIZE; size *= 2) {
		void *p = kmalloc(size, GFP_KERNEL);

		assert_int_equal((uintptr_t)p % (size < PAGE_SIZE ? size : PAGE_SIZE), 0);
		kfree(p);
		/* Large blocks round up to a power of two of pages, exactly at each edge. */
		for (size_t n = size - 1; n <= size + 1 && n <= KMALLOC_MAX_SIZE; n++) {
			p = kmalloc(n, GFP_KERNEL);
			assert_int_equal(ksize(p), oracle_kmalloc_bucket(n));
			kfree(p);
		}
	}
	assert_int_equal(ksize(NULL), 0);
	assert_int_equal(ksize(ZERO_SIZE_PTR), 0);
	assert_no_reports();
}

static void test_krealloc_rules(void **state)
{
	unsigned char *p = krealloc(NULL, 40, GFP_KERNEL), *q;

	(void)state;
	assert_int_equal(ksize(p), 64);
	memset(p, 0xab, 40);
	q = krealloc(p, 60, GFP_KERNEL);		/* fits the bucket: in place */
	assert_ptr_equal(q, p);
	q = krealloc(p, 10, GFP_KERNEL);		/* never to a smaller bucket */
	assert_ptr_equal(q, p);
	assert_int_equal(ksize(q), 64);
	q = krealloc(p, 48, GFP_KERNEL | __GFP_ZERO);	/* in place: zero [48, 64) */
	assert_ptr_equal(q, p);
	OPTIMIZER_HIDE_VAR(q);		/* read past the 48 bytes, up to ksize() */
	for (int i = 48; i < 64; i++)	/* ... which a red-zoning cache then marks */
		assert_int_equal(q[i], kp_slub_debug_flags() & SLAB_RED_ZONE ? SLUB_RED_ACTIVE : 0);
	assert_int_equal(q[9], 0xab);
	q = krealloc(p, 100, GFP_KERNEL | __GFP_ZERO);	/* moves, keeps, zeroes the rest */
	assert_ptr_not_equal(q, p);
	OPTIMIZER_HIDE_VAR(q);
	assert_int_equal(ksize(q), 128);
	for (int i = 0; i < 10; i++)	/* what the shrink to 10 kept */
		assert_int_equal(q[i], 0xab);
	for (int i = 64; i < 100; i++)
		assert_int_equal(q[i], 0);
	for (int i = 100; i < 128; i++)	/* past the size asked for */
		assert_int_equal(q[i], kp_slub_debug_flags() & SLAB_RED_ZONE ? SLUB_RED_ACTIVE : 0);
	kp_fail_nth_set(1);
	assert_null(krealloc(q, 5000, GFP_KERNEL | __GFP_NOWARN));	/* fails ... */
	assert_int_equal(q[0], 0xab);					/* ... q intact */
	assert_ptr_equal(krealloc(q, 0, GFP_KERNEL), ZERO_SIZE_PTR);	/* size 0 frees */
	p = krealloc(ZERO_SIZE_PTR, 16, GFP_KERNEL);
	assert_int_equal(ksize(p), 16);
	p = krealloc_array(p, 4, 1000, GFP_KERNEL);
	assert_int_equal(ksize(p), 4096);
	assert_null(krealloc_array(p, SIZE_MAX / 2, 4, GFP_KERNEL));
	kfree(p);
	assert_no_reports();
}

/* An 8-aligned pointer into any bucket's object is no object: 96 and 192 too. */
static void test_interior_pointers_refused_in_every_bucket(void **state)
{
	static const size_t sizes[] = { 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096,
					8192 };
	unsigned long reports = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char *p = kmalloc(sizes[i], GFP_KERNEL);

		assert_non_null(p);
		kfree(p + 8);
		kfree(p + sizes[i] - 8);
		kfree(p + sizes[i] / 2);
		reports += 3;
		assert_reports(KP_REPORT_INVALID_FREE, reports);
		assert_int_equal(ksize(p), sizes[i]);	/* still allocated, untouched */
		kfree(p);
	}
	assert_int_equal(kp_report_count(KP_REPORT_DOUBLE_FREE), 0);
}

static void test_bad_frees_reported_and_refused(void **state)
{
	char *small = kmalloc(64, GFP_KERNEL);
	char *large = kmalloc(64 << 10, GFP_KERNEL);
	char *heap = malloc(64);
	int local;

	(void)state;
	kfree(&local);
	kfree(heap);
	kfree(small + 8);
	kfree(large + 8);
	kfree(large + PAGE_SIZE);
	assert_reports(KP_REPORT_INVALID_FREE, 5);
	assert_int_equal(ksize(&local), 0);
	assert_reports(KP_REPORT_INVALID_FREE, 6);
	assert_null(krealloc(&local, 100, GFP_KERNEL));
	assert_reports(KP_REPORT_INVALID_FREE, 7);
	kp_report_reset();
	kfree(large);
	kfree(large);		/* the block sits freed in the page cache */
	assert_reports(KP_REPORT_DOUBLE_FREE, 1);
	kfree(small);
	kfree(small);		/* the naive check: it is the freelist head */
	assert_reports(KP_REPORT_DOUBLE_FREE, 2);
	free(heap);
}

static void test_kfree_sensitive_zeroes(void **state)
{
	unsigned char *p = kmalloc(64, GFP_KERNEL), *q;

	(void)state;
	if (kp_slub_debug_flags() & SLAB_POISON) {
		kfree(p);
		skip();		/* poisoning overwrites the object on free anyway */
	}
	memset(p, 0xcc, 64);
	kfree_sensitive(p);
	q = kmalloc(64, GFP_KERNEL);	/* LIFO freelist: the same object */
	assert_ptr_equal(q, p);
	for (int i = 0; i < 64; i++)
		if (i < 32 || i >= 40)	/* bytes 32..39 hold the free pointer */
			assert_int_equal(q[i], 0);
	kfree(q);
}

/* A large block is zeroed too, its pages dropped when it is big, before it waits for reuse. */
static void test_kfree_sensitive_zeroes_large_blocks(void **state)
{
	static const size_t sizes[] = { 3 * PAGE_SIZE, PAGE_SIZE << PAGES_ZERO_DROP_ORDER };

	(void)state;
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		unsigned char *p = kmalloc(sizes[k], GFP_KERNEL), *q;

		memset(p, 0xcc, sizes[k]);
		kfree_sensitive(p);
		q = kmalloc(sizes[k], GFP_KERNEL);	/* the task's cached block */
		assert_ptr_equal(q, p);
		for (size_t i = 0; i < sizes[k]; i++)
			assert_int_equal(q[i], 0);
		kfree(q);
	}
	assert_no_reports();
}

static void test_kmalloc_node(void **state)
{
	void *p = kmalloc_node(100, GFP_KERNEL, 0);
	void *z = kzalloc_node(100000, GFP_KERNEL, 0);

	(void)state;
	assert_non_null(p);
	assert_int_equal(kp_page_node(p), 0);
	assert_non_null(z);
	assert_int_equal(kp_page_node(z), 0);
	assert_int_equal(((char *)z)[99999], 0);
	kfree(p);
	kfree(z);
	kp_alloc_fail_reset();
	assert_null(kmalloc_node(100, GFP_KERNEL | __GFP_NOWARN, kp_nr_nodes()));
	assert_null(kmalloc_node(100, GFP_KERNEL | __GFP_NOWARN, -7));
	assert_int_equal(kp_alloc_fail_count(KP_FAIL_NODE), 2);
}

/* Large blocks are listed too (kmemleak walks the page map for them). */
static void test_kmemleak_lists_large_blocks(void **state)
{
	char *p = kmalloc(100000, GFP_KERNEL);
	char *buf = NULL, line[96];
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);

	(void)state;
	assert_int_equal(kp_kmemleak_report(NULL), 1);
	assert_int_equal(kp_kmemleak_report(mem), 1);
	fclose(mem);
	snprintf(line, sizeof(line), "unreferenced object %p (size 100000):", (void *)p);
	assert_non_null(strstr(buf, line));
	assert_non_null(strstr(buf, "kmalloc_large, 32 pages"));
	free(buf);
	kfree(p);
	assert_int_equal(kp_kmemleak_report(NULL), 0);
}

/*
 * A freed large block waits in the task's cache, still charged; at the
 * limit the task gives its cache back before it fails.
 */
static void test_large_cache_yields_under_limit(void **state)
{
	void *a = kmalloc(256 << 10, GFP_KERNEL);	/* empties the order-6 slot, if it held one */
	void *hold = kmalloc(128 << 10, GFP_KERNEL);	/* and the order-5 slot */
	void *b;

	(void)state;
	kfree(a);				/* cached in the order-6 slot, still charged */
	kp_alloc_fail_reset();
	kp_mem_set_limit(kp_mem_used() + PAGE_SIZE);
	b = kmalloc(128 << 10, GFP_NOWAIT);	/* order 5: new pages, over the limit ... */
	assert_non_null(b);			/* ... until the cached block gives way */
	assert_true(kp_alloc_fail_count(KP_FAIL_LIMIT) >= 1);	/* it did meet the limit */
	kfree(b);
	kfree(hold);
	kp_mem_set_limit(0);
	assert_no_reports();
}

/*
 * A large block the task kept for reuse, asked for again with
 * __GFP_ZERO, is zero throughout (ksize's worth): cleared below
 * PAGES_ZERO_DROP_ORDER, its pages dropped from there up.
 */
static void test_large_block_zeroed_when_reused(void **state)
{
	static const size_t sizes[] = { 3 * PAGE_SIZE, PAGE_SIZE << PAGES_ZERO_DROP_ORDER,
					KMALLOC_MAX_SIZE };

	(void)state;
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		unsigned char *p = kmalloc(sizes[k], GFP_KERNEL);
		unsigned char *q;
		size_t len = ksize(p);

		memset(p, 0xff, len);
		kfree(p);
		q = kzalloc(sizes[k], GFP_KERNEL);
		assert_ptr_equal(q, p);		/* the same block, from the task's cache */
		assert_int_equal(ksize(q), len);
		for (size_t i = 0; i < len; i++)
			assert_int_equal(q[i], 0);
		kfree(q);
	}
	assert_no_reports();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		kp_leak_test(test_zero_size),
		kp_leak_test(test_alloc_free_zero_and_align),
		kp_leak_test(test_array_overflow_returns_null),
		kp_leak_test(test_too_large_fails),
		kp_leak_test(test_blocking_flags_in_atomic),
		kp_leak_test(test_fail_nth),
		kp_leak_test(test_failure_warning),
		kp_leak_test(test_kmemleak_report_format),
		kp_leak_test(test_size_classes_and_alignment),
		kp_leak_test(test_krealloc_rules),
		kp_leak_test(test_interior_pointers_refused_in_every_bucket),
		kp_leak_test(test_bad_frees_reported_and_refused),
		kp_leak_test(test_kfree_sensitive_zeroes),
		kp_leak_test(test_kfree_sensitive_zeroes_large_blocks),
		kp_leak_test(test_kmalloc_node),
		kp_leak_test(test_kmemleak_lists_large_blocks),
		kp_leak_test(test_large_cache_yields_under_limit),
		kp_leak_test(test_large_block_zeroed_when_reused),
	};

	return kp_run_tests("kmalloc", tests);
}
