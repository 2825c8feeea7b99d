// SPDX-License-Identifier: MIT
/*
 * test_vmalloc.c - vmalloc areas (page granularity, guard page, vrealloc)
 * and kvmalloc's choice between kmalloc and vmalloc (Linux 6.x rules).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kp_test.h"

static void test_vmalloc_basics(void **state)
{
	char *p = vmalloc(10000), *z = vzalloc(3 * PAGE_SIZE);
	void *k = kmalloc(64, GFP_KERNEL);
	int local;

	(void)state;
	assert_non_null(p);
	assert_int_equal((uintptr_t)p % PAGE_SIZE, 0);
	memset(p, 0x5a, 3 * PAGE_SIZE);	/* rounded up to whole pages */
	assert_true(is_vmalloc_addr(p));
	assert_true(is_vmalloc_addr(p + 10000));
	assert_false(is_vmalloc_addr(k));
	assert_false(is_vmalloc_addr(&local));
	assert_false(is_vmalloc_addr(NULL));
	assert_int_equal(vmalloc_size(p), 10000);
	for (size_t i = 0; i < 3 * PAGE_SIZE; i++)
		assert_int_equal(z[i], 0);
	assert_null(vmalloc(0));
	assert_null(__vmalloc(VMALLOC_MAX_SIZE + 1, GFP_KERNEL | __GFP_NOWARN));
	assert_null(__vmalloc(SIZE_MAX, GFP_KERNEL | __GFP_NOWARN));
	vfree(p);
	vfree(z);
	vfree(NULL);
	kfree(k);
	assert_no_reports();
}

static char *guarded;

static void write_past_the_end(void)
{
	guarded[PAGE_SIZE - 1] = 1;	/* fine */
	guarded[PAGE_SIZE] = 1;		/* the guard page */
}

/* One byte past the area is the guard page: the access faults. */
static void test_guard_page(void **state)
{
	char out[256];
	int status;

	(void)state;
	guarded = vmalloc(PAGE_SIZE);
	status = kp_test_in_child(write_past_the_end, out, sizeof(out));
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSEGV);
	vfree(guarded);
}

static void test_vmalloc_node_and_context(void **state)
{
	DEFINE_SPINLOCK(l);
	void *p = vmalloc_node(PAGE_SIZE, 0), *q;

	(void)state;
	assert_non_null(p);
	assert_int_equal(kp_page_node(p), 0);
	vfree(p);
	p = vmalloc_node(PAGE_SIZE, kp_nr_nodes());
	assert_null(p);
	spin_lock(&l);
	q = __vmalloc(PAGE_SIZE, GFP_ATOMIC);
	assert_no_reports();
	p = vmalloc(PAGE_SIZE);
	spin_unlock(&l);
	assert_reports(KP_REPORT_SLEEP_IN_ATOMIC, 1);
	vfree(p);
	vfree(q);
}

static void test_vfree_misuse(void **state)
{
	char *p = vmalloc(2 * PAGE_SIZE);
	void *k = kmalloc(32, GFP_KERNEL);

	(void)state;
	vfree(p + PAGE_SIZE);
	vfree(k);
	assert_reports(KP_REPORT_INVALID_FREE, 2);
	kfree(p);
	assert_reports(KP_REPORT_INVALID_FREE, 3);
	assert_msg_contains("a vmalloc address");
	vfree(p);
	vfree(p);
	assert_int_equal(kp_report_count(KP_REPORT_DOUBLE_FREE), 1);
	kfree(k);
}

static void test_vrealloc(void **state)
{
	char *p = vrealloc(NULL, 3000, GFP_KERNEL), *q;

	(void)state;
	memset(p, 7, 3000);
	q = vrealloc(p, 4000, GFP_KERNEL);	/* within the page: in place */
	assert_ptr_equal(q, p);
	assert_int_equal(q[3999], 0);
	q = vrealloc(p, 100, GFP_KERNEL);	/* shrink: in place, tail zeroed */
	assert_ptr_equal(q, p);
	assert_int_equal(p[100], 0);
	assert_int_equal(p[99], 7);
	q = vrealloc(p, 3 * PAGE_SIZE, GFP_KERNEL);	/* grow: moves, keeps contents */
	assert_ptr_not_equal(q, p);
	assert_int_equal(q[0], 7);
	assert_int_equal(q[99], 7);
	assert_int_equal(q[100], 0);
	assert_false(is_vmalloc_addr(p) && vmalloc_size(p));
	kp_fail_nth_set(1);
	assert_null(vrealloc(q, 10 * PAGE_SIZE, GFP_KERNEL | __GFP_NOWARN));
	assert_int_equal(q[0], 7);	/* failure leaves the old area */
	assert_null(vrealloc(q, 0, GFP_KERNEL));	/* size 0 frees */
	assert_null(vrealloc(&p, 10, GFP_KERNEL));
	assert_reports(KP_REPORT_INVALID_FREE, 1);
}

/*
 * A big shrink in place zeroes what it lets go of whatever its size
 * (pages dropped from PAGES_ZERO_DROP_ORDER up, partial pages cleared),
 * so a growth back within the area reads zeroes past the kept part.
 */
static void test_vrealloc_big_shrink_zeroes_tail(void **state)
{
	const size_t big = (PAGE_SIZE << PAGES_ZERO_DROP_ORDER) + 3 * PAGE_SIZE;
	const size_t kept = PAGE_SIZE + 100;	/* not on a page boundary */
	unsigned char *p = vmalloc(big), *q;

	(void)state;
	memset(p, 0x5a, big);
	q = vrealloc(p, kept, GFP_KERNEL);
	assert_ptr_equal(q, p);
	q = vrealloc(p, big, GFP_KERNEL);	/* back up, in place */
	assert_ptr_equal(q, p);
	for (size_t i = 0; i < big; i++)
		assert_int_equal(q[i], i < kept ? 0x5a : 0);
	vfree(q);
	assert_no_reports();
}

/*
 * A big area that grows past its pages moves them to the new one (page.h
 * kp_pages_move()): the contents come along, and whatever lay past the
 * size asked for in the last page, even bytes written there out of
 * bounds, reads zero in the grown area, as it would after a copy.
 */
static void test_vrealloc_big_growth_moves_contents(void **state)
{
	const size_t from = (PAGES_MOVE_BYTES << 1) + 50, to = PAGES_MOVE_BYTES << 4;
	unsigned char *p = vmalloc(from), *q;

	(void)state;
	for (size_t i = 0; i < from; i++)
		p[i] = (unsigned char)(i * 7 + 1);
	p[from + 10] = 0xee;	/* past the size asked for, in the mapped page */
	q = vrealloc(p, to, GFP_KERNEL);
	assert_non_null(q);
	assert_ptr_not_equal(q, p);
	assert_false(is_vmalloc_addr(p) && vmalloc_size(p));
	for (size_t i = 0; i < to; i++)
		assert_int_equal(q[i], i < from ? (unsigned char)(i * 7 + 1) : 0);
	vfree(q);
	assert_no_reports();
}

/*
 * A freed area comes back to the next vmalloc of as many pages (kept
 * mapped, or its range reused): zero past the size asked for, zero all
 * over for vzalloc(), and a second vfree() of it is a double free.
 */
static void test_freed_area_comes_back_zeroed(void **state)
{
	const size_t size = (64 << 10) - 100;
	unsigned char *p = vmalloc(64 << 10), *q;

	(void)state;
	assert_non_null(p);
	memset(p, 0xa5, 64 << 10);
	vfree(p);
	q = vmalloc(size);
	assert_ptr_equal(q, p);
	for (size_t i = size; i < (64 << 10); i++)
		assert_int_equal(q[i], 0);
	assert_int_equal(vmalloc_size(q), size);
	memset(q, 0x5a, size);
	vfree(q);
	q = vzalloc(64 << 10);
	assert_ptr_equal(q, p);
	for (size_t i = 0; i < (64 << 10); i++)
		assert_int_equal(q[i], 0);
	q = vrealloc(q, (64 << 10) - 1, GFP_KERNEL);	/* in place, and still the area */
	assert_ptr_equal(q, p);
	vfree(q);
	assert_no_reports();
	vfree(q);
	assert_reports(KP_REPORT_DOUBLE_FREE, 1);
}

static char *guard_page_of_two;

static void write_third_page(void)
{
	guard_page_of_two[2 * PAGE_SIZE] = 1;
}

/*
 * Areas of 2 and 3 pages take ranges of one order (4 pages with the
 * guard), but a freed area comes back only to one of as many pages: the
 * guard page stays right after the pages asked for, and every page asked
 * for is mapped.
 */
static void test_freed_area_only_for_as_many_pages(void **state)
{
	char out[256], *p;
	int status;

	(void)state;
	vfree(vmalloc(3 * PAGE_SIZE));
	guard_page_of_two = vmalloc(2 * PAGE_SIZE);
	assert_non_null(guard_page_of_two);
	status = kp_test_in_child(write_third_page, out, sizeof(out));
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSEGV);
	vfree(guard_page_of_two);
	p = vmalloc(3 * PAGE_SIZE);	/* after a 2-page area was freed */
	assert_non_null(p);
	memset(p, 1, 3 * PAGE_SIZE);
	vfree(p);
	assert_no_reports();
}

/*
 * Freed areas are kept up to a budget of 32 MiB, the oldest given back to
 * make room: however many, and whatever their sizes (three of 10 MiB,
 * then one of 20 MiB, needs two of the three to go). A debug build
 * without ASan keeps none.
 */
static void test_kept_areas_stay_within_budget(void **state)
{
	void *big[3], *bigger;

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_non_null(big[i] = vmalloc(10 << 20));
	assert_non_null(bigger = vmalloc(20 << 20));
	for (int i = 0; i < 3; i++)
		vfree(big[i]);
	vfree(bigger);
#if defined(KP_DEBUG) && !defined(KP_ASAN)
	assert_int_equal(kp_range_kept_bytes(), 0);
#else
	assert_true(kp_range_kept_bytes() <= (32UL << 20));
	assert_true(kp_range_kept_bytes() >= (20UL << 20));	/* the newest stays */
#endif
	assert_no_reports();
}

static void test_vmalloc_under_limit(void **state)
{
	void *p;

	(void)state;
	kp_mem_set_limit(kp_mem_used() + 4 * PAGE_SIZE);
	assert_null(__vmalloc(16 * PAGE_SIZE, GFP_KERNEL | __GFP_NOWARN));
	p = __vmalloc(16 * PAGE_SIZE, GFP_KERNEL | __GFP_NOFAIL);
	assert_non_null(p);
	vfree(p);
}

static void test_kvmalloc_chooses(void **state)
{
	void *small = kvmalloc(100, GFP_KERNEL);
	void *mid = kvmalloc(64 << 10, GFP_KERNEL);
	void *big = kvmalloc(KMALLOC_MAX_SIZE + 1, GFP_KERNEL);

	(void)state;
	assert_false(is_vmalloc_addr(small));
	assert_false(is_vmalloc_addr(mid));
	assert_true(is_vmalloc_addr(big));
	kvfree(small);
	kvfree(mid);
	kvfree(big);
	assert_no_reports();
}

static void test_kvmalloc_fallback_rules(void **state)
{
	struct kp_stderr_capture err;
	void *p;

	(void)state;
	kp_stderr_capture_start(&err);
	/* Above a page the failed kmalloc try is quiet and vmalloc takes over. */
	kp_fail_nth_set(1);
	p = kvmalloc(64 << 10, GFP_KERNEL);
	assert_true(is_vmalloc_addr(p));
	kvfree(p);
	assert_string_equal(kp_stderr_captured(&err), "");
	/* At or below a page there is no fallback. */
	kp_fail_nth_set(1);
	assert_null(kvmalloc(PAGE_SIZE, GFP_KERNEL | __GFP_NOWARN));
	/* Nor for callers that cannot sleep. */
	kp_fail_nth_set(1);
	assert_null(kvmalloc(64 << 10, GFP_ATOMIC));
	/* Above INT_MAX: refused, with a warning unless __GFP_NOWARN. */
	assert_null(kvmalloc((size_t)INT_MAX + 1, GFP_KERNEL));
	assert_non_null(strstr(kp_stderr_captured(&err), "INT_MAX"));
	kp_stderr_capture_stop(&err);
	assert_null(kvmalloc_array(SIZE_MAX / 4, 8, GFP_KERNEL));
	assert_null(kvcalloc(SIZE_MAX / 2, 4, GFP_KERNEL));
}

static void test_kvrealloc_never_migrates_back(void **state)
{
	unsigned char *p = kvmalloc(100, GFP_KERNEL);

	(void)state;
	memset(p, 9, 100);
	p = kvrealloc(p, 200, GFP_KERNEL);
	assert_false(is_vmalloc_addr(p));
	p = kvrealloc(p, KMALLOC_MAX_SIZE * 2, GFP_KERNEL);
	assert_true(is_vmalloc_addr(p));
	assert_int_equal(p[0], 9);
	assert_int_equal(p[99], 9);
	p = kvrealloc(p, 10, GFP_KERNEL);
	assert_true(is_vmalloc_addr(p));
	assert_int_equal(p[9], 9);
	kvfree(p);
	assert_no_reports();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		kp_leak_test(test_vmalloc_basics),
		kp_leak_test(test_guard_page),
		kp_leak_test(test_vmalloc_node_and_context),
		kp_leak_test(test_vfree_misuse),
		kp_leak_test(test_vrealloc),
		kp_leak_test(test_vrealloc_big_shrink_zeroes_tail),
		kp_leak_test(test_vrealloc_big_growth_moves_contents),
		kp_leak_test(test_freed_area_comes_back_zeroed),
		kp_leak_test(test_freed_area_only_for_as_many_pages),
		kp_leak_test(test_kept_areas_stay_within_budget),
		kp_leak_test(test_vmalloc_under_limit),
		kp_leak_test(test_kvmalloc_chooses),
		kp_leak_test(test_kvmalloc_fallback_rules),
		kp_leak_test(test_kvrealloc_never_migrates_back),
	};

	return kp_run_tests("vmalloc", tests);
}
