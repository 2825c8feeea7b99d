// SPDX-License-Identifier: MIT
/*
 * expect.c - the announced-reports handler shared by the fuzz targets.
 */
#include "expect.h"

static int expected[KP_REPORT_NR];	/* reports still to come this step, by kind */

static void fuzz_report_handler(const struct kp_report *r)
{
	if ((unsigned int)r->kind < KP_REPORT_NR && expected[r->kind] > 0) {
		expected[r->kind]--;
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
	fuzz_assert((unsigned int)kind < KP_REPORT_NR);
	expected[kind]++;
}

void fuzz_step_done(void)
{
	for (int kind = 0; kind < KP_REPORT_NR; kind++) {
		if (expected[kind]) {
			fprintf(stderr, "fuzz: %d announced %s report(s) never came\n",
				expected[kind], kp_report_kind_name((enum kp_report_kind)kind));
			abort();
		}
	}
}
