// SPDX-License-Identifier: MIT
/*
 * test_fdp.c - the fuzzed-data provider: byte order, ranges that consume
 * only what they need, and quiet zeros once the input runs out.
 */
#include "fdp.h"
#include "kp_test.h"

static void test_integers_little_endian(void **state)
{
	const uint8_t in[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06 };
	struct fdp f;

	(void)state;
	fdp_init(&f, in, sizeof(in));
	assert_int_equal(fdp_u8(&f), 0x01);
	assert_int_equal(fdp_u16(&f), 0x0302);
	assert_int_equal(fdp_u32(&f), 0x060504);	/* short: missing bytes are 0 */
	assert_true(fdp_empty(&f));
	assert_int_equal(fdp_u64(&f), 0);
	assert_false(fdp_bool(&f));
}

static void test_range_takes_only_needed_bytes(void **state)
{
	const uint8_t in[] = { 7, 0xff, 0x01, 9 };
	struct fdp f;

	(void)state;
	fdp_init(&f, in, sizeof(in));
	assert_int_equal(fdp_range(&f, 10, 14), 10 + 7 % 5);	/* one byte */
	assert_int_equal(fdp_remaining(&f), 3);
	assert_int_equal(fdp_range(&f, 0, 1000), 0x01ff % 1001);	/* two bytes */
	assert_int_equal(fdp_range(&f, 5, 5), 5);			/* none */
	assert_int_equal(fdp_remaining(&f), 1);
	assert_int_equal(fdp_choice(&f, 4), 9 % 4);
	assert_int_equal(fdp_range(&f, 3, 8), 3);	/* empty: the low end */
}

static void test_signed_range_and_pick(void **state)
{
	const uint8_t in[] = { 0, 200, 2 };
	const int table[] = { 10, 20, 30 };
	struct fdp f;

	(void)state;
	fdp_init(&f, in, sizeof(in));
	assert_int_equal(fdp_range_signed(&f, -100, 100), -100);
	assert_int_equal(fdp_range_signed(&f, -100, 100), 100);
	assert_int_equal(fdp_pick(&f, table), 30);
	for (int i = 0; i < 64; i++) {
		int64_t v;

		fdp_init(&f, (const uint8_t[]){ (uint8_t)(i * 37) }, 1);
		v = fdp_range_signed(&f, -3, 3);
		assert_true(v >= -3 && v <= 3);
	}
}

static void test_bytes(void **state)
{
	const uint8_t in[] = { 'a', 'b', 'c' };
	char out[5];
	struct fdp f;

	(void)state;
	fdp_init(&f, in, sizeof(in));
	assert_int_equal(fdp_bytes(&f, out, 2), 2);
	assert_memory_equal(out, "ab", 2);
	memset(out, 'x', sizeof(out));
	assert_int_equal(fdp_bytes(&f, out, 5), 1);
	assert_memory_equal(out, "c\0\0\0\0", 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integers_little_endian),
		cmocka_unit_test(test_range_takes_only_needed_bytes),
		cmocka_unit_test(test_signed_range_and_pick),
		cmocka_unit_test(test_bytes),
	};

	return kp_run_tests("fdp", tests);
}
