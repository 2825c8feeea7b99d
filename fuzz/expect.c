// SPDX-License-Identifier: MIT
/*
 * expect.c - what the fuzz targets share: announced reports, the handler
 * that aborts on any other, and the entry point libFuzzer calls, which
 * runs the target's fuzz_one_input() after the test-only planted crash
 * (expect.h).
 * The checking functions carry no coverage instrumentation (their
 * compares are the checker's, not the code's); the entry point does, so
 * that libFuzzer's compare tracing still finds the planted magic.
 */
#include <string.h>

#include "expect.h"

_Static_assert(KP_REPORT_NR <= 32, "announced kinds are bits of a 32-bit word");

static uint32_t announced;		/* kinds this step announced, a bit each */
static FILE *real_stderr;		/* set while warnings are captured */
static FILE *warnings;
static char *warnings_buf;
static size_t warnings_len;

__no_sanitize_coverage FILE *fuzz_stderr(void)
{
	return real_stderr ? real_stderr : stderr;
}

/* Announced reports end in kprim (kp_report_expect()): any report here is unexpected. */
static __no_sanitize_coverage void fuzz_report_handler(const struct kp_report *r)
{
	fprintf(fuzz_stderr(), "fuzz: unexpected report %s: %s\n", kp_report_kind_name(r->kind),
		r->msg);
	fuzz_abort();
}

__no_sanitize_coverage void fuzz_abort(void)
{
#ifdef KP_MODEL
	if (getenv("KP_MODEL_TRACE"))
		kp_model_print_trace(fuzz_stderr());
#endif
	abort();
}

static bool planted_crash;

/* Every kprim target starts the same: reports go to the checking handler. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *plant = getenv("KPRIM_FUZZ_PLANTED_CRASH");
	const char *self = *argc > 0 ? strrchr((*argv)[0], '/') : NULL;

	self = self ? self + 1 : *argc > 0 ? (*argv)[0] : "";
	planted_crash = plant && !strcmp(plant, self);
	kp_report_set_handler(fuzz_report_handler);
	return 0;
}

#undef LLVMFuzzerTestOneInput
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (unlikely(planted_crash) && size >= 5 && !memcmp(data, "KPBUG", 5))
		kp_report(KP_REPORT_INVARIANT, NULL,
			  "planted crash (KPRIM_FUZZ_PLANTED_CRASH): the campaign's triage test");
	return fuzz_one_input(data, size);
}

__no_sanitize_coverage void fuzz_expect_report(enum kp_report_kind kind)
{
	fuzz_assert((unsigned int)kind < KP_REPORT_NR);
	kp_report_expect(kind);
	announced |= 1u << kind;
}

/* Bookkeeping after every step: out of coverage, like the targets' shadow loops. */
__no_sanitize_coverage void fuzz_step_done(void)
{
	for (; announced; announced &= announced - 1) {
		enum kp_report_kind kind = (enum kp_report_kind)__builtin_ctz(announced);
		unsigned long left = kp_report_expected(kind);

		if (left) {
			fprintf(fuzz_stderr(), "fuzz: %lu announced %s report(s) never came\n",
				left, kp_report_kind_name(kind));
			abort();
		}
	}
}

__no_sanitize_coverage void fuzz_capture_warnings(void)
{
	if (warnings)
		return;
	warnings = open_memstream(&warnings_buf, &warnings_len);
	fuzz_assert(warnings);
	real_stderr = stderr;
	stderr = warnings;
}

__no_sanitize_coverage size_t fuzz_take_warnings(const char **text)
{
	size_t len;

	fflush(warnings);
	*text = warnings_buf;
	len = warnings_len;
	rewind(warnings);	/* the next warning overwrites from the start */
	return len;
}
