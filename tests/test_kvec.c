// SPDX-License-Identifier: MIT
/*
 * test_kvec.c - KVec/VVec/KVVec: RawVec's growth rule, and -ENOMEM that
 * leaves the vector exactly as it was, at every growth (fail-nth).
 */
#include <errno.h>

#include "kp_test.h"

static const enum kvec_alloc allocs[] = { KVEC_KMALLOC, KVEC_VMALLOC, KVEC_KVMALLOC };

static void test_push_and_growth(void **state)
{
	(void)state;
	for (size_t a = 0; a < 3; a++) {
		struct kvec v = KVEC_INIT(int, allocs[a]);
		size_t expect_cap = 0;

		assert_null(v.data);
		for (int i = 0; i < 1000; i++) {
			assert_int_equal(kvec_push(&v, &i, GFP_KERNEL), 0);
			if (expect_cap < v.len)
				expect_cap = expect_cap ? 2 * expect_cap : 1;
			assert_int_equal(v.cap, expect_cap);
		}
		for (int i = 0; i < 1000; i++)
			assert_int_equal(*(int *)kvec_at(&v, i), i);
		kvec_free(&v);
		assert_null(v.data);
		assert_int_equal(v.len + v.cap, 0);
	}
}

static void test_reserve_extend_truncate(void **state)
{
	struct kvec v;
	long xs[25];

	(void)state;
	for (int i = 0; i < 25; i++)
		xs[i] = i * 3;
	kvec_init(&v, sizeof(long), KVEC_KMALLOC);
	assert_int_equal(kvec_reserve(&v, 10, GFP_KERNEL), 0);
	assert_int_equal(v.cap, 10);
	assert_int_equal(kvec_reserve(&v, 10, GFP_KERNEL), 0);
	assert_int_equal(v.cap, 10);
	assert_int_equal(kvec_extend_from_slice(&v, xs, 11, GFP_KERNEL), 0);
	assert_int_equal(v.cap, 20);	/* max(2 * 10, 11) */
	assert_int_equal(kvec_extend_from_slice(&v, xs, 25, GFP_KERNEL), 0);
	assert_int_equal(v.cap, 40);	/* max(2 * 20, 36) */
	assert_int_equal(v.len, 36);
	assert_int_equal(*(long *)kvec_at(&v, 35), 72);
	kvec_truncate(&v, 5);
	assert_int_equal(v.len, 5);
	kvec_truncate(&v, 50);
	assert_int_equal(v.len, 5);
	assert_int_equal(v.cap, 40);
	assert_int_equal(kvec_reserve(&v, SIZE_MAX, GFP_KERNEL), -ENOMEM);
	assert_int_equal(kvec_reserve(&v, SIZE_MAX / 4, GFP_KERNEL | __GFP_NOWARN), -ENOMEM);
	assert_int_equal(v.cap, 40);
	kvec_free(&v);
}

/* Every growth fails once in turn; the vector must be untouched each time. */
static void test_enomem_leaves_vector_unchanged(void **state)
{
	(void)state;
	for (size_t a = 0; a < 3; a++) {
		for (unsigned int nth = 1; nth <= 12; nth++) {
			struct kvec v = KVEC_INIT(int, allocs[a]);
			int failed_at = -1;

			for (int i = 0; i < 3000 && failed_at < 0; i++) {
				struct kvec before = v;
				int err;

				kp_fail_nth_set(nth);
				err = kvec_push(&v, &i, GFP_KERNEL | __GFP_NOWARN);
				if (kp_fail_nth_get())
					kp_fail_nth_set(0);	/* did not fire on this push */
				if (err) {
					assert_int_equal(err, -ENOMEM);
					assert_ptr_equal(v.data, before.data);
					assert_int_equal(v.len, before.len);
					assert_int_equal(v.cap, before.cap);
					failed_at = i;
				}
			}
			for (size_t i = 0; i < v.len; i++)
				assert_int_equal(*(int *)kvec_at(&v, i), (int)i);
			kvec_free(&v);
		}
	}
}

static void test_vvec_and_kvvec_storage(void **state)
{
	struct kvec vv = KVEC_INIT(char, KVEC_VMALLOC), kvv = KVEC_INIT(char, KVEC_KVMALLOC);
	static char chunk[1 << 20];

	(void)state;
	memset(chunk, 'x', sizeof(chunk));
	assert_int_equal(kvec_extend_from_slice(&vv, chunk, 100, GFP_KERNEL), 0);
	assert_true(is_vmalloc_addr(vv.data));
	assert_int_equal(kvec_extend_from_slice(&kvv, chunk, 100, GFP_KERNEL), 0);
	assert_false(is_vmalloc_addr(kvv.data));
	for (int i = 0; i < 6; i++)
		assert_int_equal(kvec_extend_from_slice(&kvv, chunk, sizeof(chunk), GFP_KERNEL), 0);
	assert_true(is_vmalloc_addr(kvv.data));	/* past KMALLOC_MAX_SIZE */
	assert_int_equal(((char *)kvv.data)[kvv.len - 1], 'x');
	kvec_free(&vv);
	kvec_free(&kvv);
}

static void test_zero_sized_elements(void **state)
{
	struct kvec v;
	char nothing;

	(void)state;
	kvec_init(&v, 0, KVEC_KMALLOC);
	for (int i = 0; i < 10; i++)
		assert_int_equal(kvec_push(&v, &nothing, GFP_KERNEL), 0);
	assert_int_equal(v.len, 10);
	assert_null(v.data);
	kvec_free(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		kp_leak_test(test_push_and_growth),
		kp_leak_test(test_reserve_extend_truncate),
		kp_leak_test(test_enomem_leaves_vector_unchanged),
		kp_leak_test(test_vvec_and_kvvec_storage),
		kp_leak_test(test_zero_sized_elements),
	};

	return kp_run_tests("kvec", tests);
}
