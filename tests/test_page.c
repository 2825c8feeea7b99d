// SPDX-License-Identifier: MIT
/*
 * test_page.c - page blocks, the page map, NUMA placement and memory
 * pressure: the limit, the __GFP_HIGH reserve, shrinkers for allocations
 * that may reclaim, GFP_NOWAIT failing, __GFP_NOFAIL never failing.
 */
#include <signal.h>
#include <sys/wait.h>

#include "kp_test.h"

static int teardown(void **state)
{
	kp_mem_set_limit(0);
	return kp_test_teardown(state);
}

#define page_test(f) cmocka_unit_test_setup_teardown(f, kp_test_setup, teardown)

static void test_blocks_are_aligned_and_mapped(void **state)
{
	(void)state;
	for (unsigned int order = 0; order <= 4; order++) {
		char *p = kp_pages_alloc(order, NUMA_NO_NODE, GFP_KERNEL);
		struct kp_page *pg;

		assert_non_null(p);
		assert_int_equal((uintptr_t)p % (PAGE_SIZE << order), 0);
		p[0] = 1;
		p[(PAGE_SIZE << order) - 1] = 2;
		pg = kp_page_lookup(p);
		assert_non_null(pg);
		assert_int_equal(pg->order, order);
		kp_pages_free(p, order);
		assert_int_equal(kp_page_lookup(p)->type, KP_PAGE_FREE);
	}
	assert_null(kp_pages_alloc(MAX_PAGE_ORDER + 1, NUMA_NO_NODE, GFP_KERNEL));
}

/*
 * Fresh small node-less blocks come a batch at a time: holding 200 blocks
 * of two pages, the arena's used end moves once a batch of
 * 2^PAGES_BATCH_ORDER pages (a block at a time, it moved for every block
 * the cache did not have). Each block is its own: aligned, written
 * whole, and given back to the cache.
 */
static void test_small_blocks_mapped_a_batch_at_a_time(void **state)
{
	enum { NR = 200, ORDER = 1, LEN = PAGE_SIZE << ORDER };
	static char *blocks[NR];
	unsigned int advances = 0;

	(void)state;
	for (int i = 0; i < NR; i++) {
		uintptr_t end = kp_arena.pages;

		blocks[i] = kp_pages_alloc(ORDER, NUMA_NO_NODE, GFP_KERNEL);
		assert_non_null(blocks[i]);
		assert_int_equal((uintptr_t)blocks[i] % LEN, 0);
		assert_int_equal(kp_page_lookup(blocks[i])->order, ORDER);
		advances += kp_arena.pages != end;
	}
	assert_in_range(advances, 1, NR * (1 << ORDER) / (1 << PAGES_BATCH_ORDER) + 1);
	for (int i = 0; i < NR; i++) {
		for (int j = 0; j < i; j++)
			assert_int_not_equal((uintptr_t)blocks[i] / LEN, (uintptr_t)blocks[j] / LEN);
		memset(blocks[i], i, LEN);
	}
	for (int i = 0; i < NR; i++) {
		assert_int_equal(blocks[i][0], (char)i);
		assert_int_equal(blocks[i][LEN - 1], (char)i);
		kp_pages_free(blocks[i], ORDER);
		assert_int_equal(kp_page_lookup(blocks[i])->type, KP_PAGE_FREE);
	}
}

/*
 * A recycled block asked for with __GFP_ZERO is zero: cleared below
 * PAGES_ZERO_DROP_ORDER, its pages dropped from there up.
 */
static void test_zeroed_even_when_recycled(void **state)
{
	static const unsigned int orders[] = { 1, PAGES_ZERO_DROP_ORDER, MAX_PAGE_ORDER };

	(void)state;
	for (size_t k = 0; k < sizeof(orders) / sizeof(orders[0]); k++) {
		size_t len = PAGE_SIZE << orders[k];
		unsigned char *p = kp_pages_alloc(orders[k], NUMA_NO_NODE, GFP_KERNEL);
		unsigned char *q;

		memset(p, 0xff, len);
		kp_pages_free(p, orders[k]);
		q = kp_pages_alloc(orders[k], NUMA_NO_NODE, GFP_KERNEL | __GFP_ZERO);
		assert_ptr_equal(q, p);		/* the same block, recycled */
		for (size_t i = 0; i < len; i++)
			assert_int_equal(q[i], 0);
		kp_pages_free(q, orders[k]);
	}
}

static void test_numa_node(void **state)
{
	char *p;

	(void)state;
	assert_true(kp_nr_nodes() >= 1);
	p = kp_pages_alloc(0, 0, GFP_KERNEL | __GFP_THISNODE);
	assert_non_null(p);
	assert_int_equal(kp_page_node(p), 0);
	kp_pages_free(p, 0);
	kp_alloc_fail_reset();
	assert_null(kp_pages_alloc(0, kp_nr_nodes(), GFP_KERNEL));
	assert_null(kp_pages_alloc(0, -5, GFP_KERNEL));
	assert_int_equal(kp_alloc_fail_count(KP_FAIL_NODE), 2);
}

static void *balloon;

static unsigned long deflate(struct kp_shrinker *s, unsigned long nr)
{
	(void)s;
	(void)nr;
	if (!balloon)
		return 0;
	kp_pages_free(balloon, 6);
	balloon = NULL;
	return 64;
}

static void test_pressure_by_gfp(void **state)
{
	struct kp_shrinker shrinker = { .scan = deflate };
	void *a, *b, *c;

	(void)state;
	kp_alloc_fail_reset();
	kp_mem_set_limit(kp_mem_used() + 16 * PAGE_SIZE);

	/* GFP_NOWAIT gets no reserve and does not reclaim. */
	assert_null(kp_pages_alloc(5, NUMA_NO_NODE, GFP_NOWAIT));
	assert_int_equal(kp_alloc_fail_count(KP_FAIL_LIMIT), 1);
	/* GFP_ATOMIC may go past the limit into the reserve (64 pages here). */
	a = kp_pages_alloc(5, NUMA_NO_NODE, GFP_ATOMIC);
	assert_non_null(a);
	/* ... but not far past it. */
	assert_null(kp_pages_alloc(7, NUMA_NO_NODE, GFP_ATOMIC));
	/* GFP_KERNEL fails with nothing to reclaim ... */
	assert_null(kp_pages_alloc(3, NUMA_NO_NODE, GFP_KERNEL));
	assert_int_equal(kp_alloc_fail_count(KP_FAIL_LIMIT), 3);
	/* ... and succeeds once a shrinker gives memory back. */
	kp_mem_set_limit(0);
	balloon = kp_pages_alloc(6, NUMA_NO_NODE, GFP_KERNEL);
	kp_mem_set_limit(kp_mem_used());
	kp_shrinker_register(&shrinker);
	b = kp_pages_alloc(3, NUMA_NO_NODE, GFP_KERNEL);
	assert_non_null(b);
	assert_null(balloon);
	/* __GFP_NOFAIL never fails, limit or not. */
	c = kp_pages_alloc(6, NUMA_NO_NODE, GFP_NOWAIT | __GFP_NOFAIL);
	assert_non_null(c);
	kp_shrinker_unregister(&shrinker);
	kp_pages_free(a, 5);
	kp_pages_free(b, 3);
	kp_pages_free(c, 6);
	assert_int_equal(kp_alloc_fail_count(KP_FAIL_LIMIT), 3);
}

/*
 * __GFP_NOFAIL is granted past the limit whatever the flags; one that
 * cannot block is warned about (unless __GFP_NOWARN, which GFP_NOWAIT
 * carries), one that can, or one within the limit, is not.
 */
static void test_nofail_that_cannot_block_warns(void **state)
{
	struct kp_stderr_capture err;
	void *blocks[4];

	(void)state;
	kp_mem_set_limit(kp_mem_used() + 4 * PAGE_SIZE);
	kp_stderr_capture_start(&err);
	blocks[0] = kp_pages_alloc(0, NUMA_NO_NODE, GFP_ATOMIC | __GFP_NOFAIL);	/* within */
	blocks[1] = kp_pages_alloc(7, NUMA_NO_NODE, GFP_KERNEL | __GFP_NOFAIL);	/* can block */
	blocks[2] = kp_pages_alloc(7, NUMA_NO_NODE, GFP_NOWAIT | __GFP_NOFAIL);	/* NOWARN */
	assert_string_equal(kp_stderr_captured(&err), "");
	blocks[3] = kp_pages_alloc(7, NUMA_NO_NODE, GFP_ATOMIC | __GFP_NOFAIL);
	assert_non_null(strstr(kp_stderr_captured(&err),
			       "WARNING: __GFP_NOFAIL without direct reclaim (mode:0x8820)"));
	kp_stderr_capture_stop(&err);
	kp_mem_set_limit(0);
	for (int i = 0; i < 4; i++) {
		assert_non_null(blocks[i]);
		kp_pages_free(blocks[i], i ? 7 : 0);
	}
}

/*
 * The page map answers for the part of the arena handed out so far and
 * nothing else: past it, before it, far into the reservation and outside
 * it, a lookup is NULL. The fast paths' lookup reads a zero entry over
 * the rest of the largest arena's span (the map is readable all over) and
 * NULL outside it; kfree reports such pointers either way.
 */
static void test_lookup_only_where_handed_out(void **state)
{
	char *p = kp_pages_alloc(0, NUMA_NO_NODE, GFP_KERNEL);
	char *end = kp_arena.base + kp_arena.pages * PAGE_SIZE;
	char *far = kp_arena.base + ((size_t)4 << 30) - PAGE_SIZE;
	int local;

	(void)state;
	assert_non_null(p);
	assert_non_null(kp_page_lookup(p));
	assert_non_null(kp_page_lookup(end - 1));
	assert_null(kp_page_lookup(end));
	assert_null(kp_page_lookup(far));
	assert_null(kp_page_lookup(kp_arena.base - 1));
	assert_null(kp_page_lookup(&local));
	/* The fast paths' lookup: the same entries, and zero ones over the rest of the span. */
	assert_ptr_equal(kp_page_entry(p), kp_page_lookup(p));
	assert_ptr_equal(kp_page_entry(end - 1), kp_page_lookup(end - 1));
	assert_non_null(kp_page_entry(end));
	assert_int_equal(kp_page_entry(end)->slab_tag, 0);
	assert_int_equal(kp_page_entry(far)->type, KP_PAGE_NONE);
	assert_int_equal(kp_page_entry(far)->obj_limit, 0);
	assert_null(kp_page_entry(kp_arena.base - 1));
	assert_null(kp_page_entry(kp_arena.base + ARENA_MAX_PAGES * PAGE_SIZE));
	assert_null(kp_page_entry(&local));
	kfree(end);
	kfree(far);
	kfree(kp_arena.base - PAGE_SIZE);	/* the map's last page */
	assert_reports(KP_REPORT_INVALID_FREE, 3);
	kp_pages_free(p, 0);
}

static char *given_back;

static void touch_given_back(void)
{
	given_back[0] = 1;
}

/*
 * A range given back is remembered as free, and is the next range of its
 * order handed out (zeroed, asked with vzalloc()). A debug build without ASan unmaps it (its
 * memory returns to the system, and a touch faults); with ASan it is kept
 * mapped (kp_range_keep()) and poisoned, and a touch is ASan's report.
 */
static void test_ranges_given_back_and_reused(void **state)
{
	char out[4096];
	int status;

	(void)state;
	given_back = vmalloc(64 << 10);
	assert_non_null(given_back);
	memset(given_back, 0xa5, 64 << 10);
	vfree(given_back);
	assert_int_equal(kp_page_lookup(given_back)->type, KP_PAGE_FREE);
	status = kp_test_in_child(touch_given_back, out, sizeof(out));
#ifdef KP_ASAN
	assert_false(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_non_null(strstr(out, "use-after-poison"));
#else
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSEGV);
#endif
	assert_ptr_equal(vzalloc(64 << 10), given_back);
	for (size_t i = 0; i < (64 << 10); i++)
		assert_int_equal(given_back[i], 0);
	vfree(given_back);
	assert_no_reports();
}

/* kmalloc feels the limit too: its new slabs are pages. */
static void test_kmalloc_under_limit(void **state)
{
	void *p;

	(void)state;
	kp_mem_set_limit(kp_mem_used());
	p = kmalloc(64 << 10, GFP_NOWAIT);
	assert_null(p);
	p = kmalloc(64 << 10, GFP_ATOMIC);
	assert_non_null(p);
	kfree(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		page_test(test_blocks_are_aligned_and_mapped),
		page_test(test_small_blocks_mapped_a_batch_at_a_time),
		page_test(test_zeroed_even_when_recycled),
		page_test(test_numa_node),
		page_test(test_pressure_by_gfp),
		page_test(test_kmalloc_under_limit),
		page_test(test_nofail_that_cannot_block_warns),
		page_test(test_lookup_only_where_handed_out),
		page_test(test_ranges_given_back_and_reused),
	};

	return kp_run_tests("page", tests);
}
