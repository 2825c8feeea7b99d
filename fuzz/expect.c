// SPDX-License-Identifier: MIT
/*
 * expect.c - the announced-reports handler shared by the fuzz targets.
 */
#include "expect.h"

static enum kp_report_kind expected_kind;
static int expected_left;

static void fuzz_report_handler(const struct kp_report *r)
{
	if (expected_left > 0 && r->kind == expected_kind) {
		expected_left--;
		return;
	}
	fprintf(stderr, "fuzz: unexpected report %s: %s\n", kp_report_kind_name(r->kind), r->msg);
	abort();
}

/* Every kprim target starts the same: reports go to the checking handler. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	kp_report_set_handler(fuzz_report_handler);
	return 0;
}

void fuzz_expect_report(enum kp_report_kind kind)
{
	fuzz_assert(expected_left == 0 || expected_kind == kind);
	expected_kind = kind;
	expected_left++;
}

void fuzz_step_done(void)
{
	if (expected_left) {
		fprintf(stderr, "fuzz: %d announced %s report(s) never came\n", expected_left,
			kp_report_kind_name(expected_kind));
		abort();
	}
}
