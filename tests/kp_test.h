/* SPDX-License-Identifier: MIT */
/*
 * kp_test.h - what every kprim unit test shares: cmocka, a report handler
 * that records instead of aborting, and an assertion that exactly the
 * expected reports (kind and number) happened, and no others.
 */
#ifndef KPRIM_TESTS_KP_TEST_H
#define KPRIM_TESTS_KP_TEST_H

#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "kprim.h"

/* The last report seen by the recording handler. */
extern char kp_test_last_msg[1024];
extern void *kp_test_last_caller;

/* cmocka setup/teardown: install the recording handler and zero the counts. */
int kp_test_setup(void **state);
int kp_test_teardown(void **state);
/*
 * The allocator tests' teardown: disarm fail-nth and the memory limit,
 * assert that kmemleak finds nothing live, then kp_test_teardown().
 */
int kp_test_teardown_no_leaks(void **state);

void kp_test_assert_reports(enum kp_report_kind kind, unsigned long n,
			    const char *file, int line);
void kp_test_assert_no_reports(const char *file, int line);

/* Exactly n reports of kind since setup (or the last reset), none of any other kind. */
#define assert_reports(kind, n)	kp_test_assert_reports((kind), (n), __FILE__, __LINE__)
#define assert_no_reports()	kp_test_assert_no_reports(__FILE__, __LINE__)
#define assert_msg_contains(s)	assert_non_null(strstr(kp_test_last_msg, (s)))

/*
 * What the code under test prints on stderr (kprim's warnings), from
 * kp_stderr_capture_start() on: kp_stderr_captured() flushes and gives the
 * text so far, kp_stderr_capture_stop() restores stderr and frees it.
 */
struct kp_stderr_capture {
	FILE *saved, *mem;
	char *buf;
	size_t len;
};
void kp_stderr_capture_start(struct kp_stderr_capture *c);
const char *kp_stderr_captured(struct kp_stderr_capture *c);
void kp_stderr_capture_stop(struct kp_stderr_capture *c);

/*
 * include/linux/compiler.h's OPTIMIZER_HIDE_VAR: the compiler forgets
 * what it knew of var, such as the size an allocator's alloc_size
 * attribute gave it, so a test may read up to ksize() past what it asked for.
 */
#define OPTIMIZER_HIDE_VAR(var)	__asm__ ("" : "=r" (var) : "0" (var))

/*
 * Run fn in a child process with the default SIGABRT and SIGSEGV actions
 * (not cmocka's handlers), its stdout and stderr captured into out
 * (NUL-terminated, cut at len). Returns the wait status.
 */
int kp_test_in_child(void (*fn)(void), char *out, size_t len);

/* Seconds on the monotonic clock. */
double kp_test_now(void);

/*
 * Wait until cond holds (another thread's progress), yielding; fail the
 * test after 10 s. For ordering tests, never for timing.
 */
#define wait_until(cond)							\
	do {									\
		double __deadline = kp_test_now() + 10.0;			\
		while (!(cond)) {						\
			assert_true(kp_test_now() < __deadline);		\
			sched_yield();						\
		}								\
	} while (0)

/* A test case with the recording handler around it. */
#define kp_unit_test(f)	cmocka_unit_test_setup_teardown(f, kp_test_setup, kp_test_teardown)
/* The same, and nothing may be left allocated after it. */
#define kp_leak_test(f)	cmocka_unit_test_setup_teardown(f, kp_test_setup, \
							kp_test_teardown_no_leaks)

/* Run a group with TAP output (the runner parses it). */
#define kp_run_tests(name, tests)					\
	(cmocka_set_message_output(CM_OUTPUT_TAP),			\
	 cmocka_run_group_tests_name(name, tests, NULL, NULL))

#endif /* KPRIM_TESTS_KP_TEST_H */
