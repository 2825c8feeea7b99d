/* SPDX-License-Identifier: MIT */
/*
 * expect.h - what every kprim fuzz target shares besides the data
 * provider: an assertion that aborts (so libFuzzer records the input);
 * exactly the reports a target announced for the step it is about to take
 * (kprim counts them and formats nothing: kp_report_expect()), any other
 * report ending in a handler that aborts; and the entry point that wraps
 * each target's (below).
 */
#ifndef KPRIM_FUZZ_EXPECT_H
#define KPRIM_FUZZ_EXPECT_H

#include <stdio.h>
#include <stdlib.h>

#include "kprim.h"

/*
 * Each target's LLVMFuzzerTestOneInput() is renamed fuzz_one_input():
 * expect.c's entry point calls it after the test-only planted crash. With
 * KPRIM_FUZZ_PLANTED_CRASH=<target> in the environment, that target's
 * inputs starting "KPBUG" end as an unexpected INVARIANT report: the
 * campaign's tests plant it to check triage end to end (never a bug in
 * kprim, and nothing without the variable).
 */
#define LLVMFuzzerTestOneInput fuzz_one_input
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The process's stderr, even while kprim's warnings are captured. */
FILE *fuzz_stderr(void);

/*
 * End the input as a crash, so libFuzzer saves it: with KP_MODEL_TRACE set
 * in the environment, a schedule target's run so far is printed first.
 */
__attribute__((noreturn)) void fuzz_abort(void);

#define fuzz_assert(cond)						\
	do {								\
		if (!(cond)) {						\
			fprintf(fuzz_stderr(), "%s:%d: fuzz assertion failed: %s\n", \
				__FILE__, __LINE__, #cond);		\
			fuzz_abort();					\
		}							\
	} while (0)

/* expect.c's LLVMFuzzerInitialize() installs the handler that aborts. */
/* The next step must raise one more report of kind (any mix of kinds may be announced). */
void fuzz_expect_report(enum kp_report_kind kind);
/* The step is over: every announced report must have come. */
void fuzz_step_done(void);

/*
 * From now on, capture what kprim prints on stderr (its warnings) instead
 * of printing it; fuzz_take_warnings() hands over what came since the last
 * call: *text, not NUL-terminated, valid until kprim prints again.
 */
void fuzz_capture_warnings(void);
size_t fuzz_take_warnings(const char **text);

#endif /* KPRIM_FUZZ_EXPECT_H */
