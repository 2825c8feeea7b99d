/* SPDX-License-Identifier: MIT */
/*
 * preload_check.h - what tests/preload_malloc.c and preload_pthread.c
 * share: a check prints "PASS what" or "FAIL what: why" (tests/preload.sh
 * makes each a TAP line) and counts failures for the exit status; main()
 * runs the checks, or with an argument the program's misuse of that name.
 */
#ifndef KPRIM_TESTS_PRELOAD_CHECK_H
#define KPRIM_TESTS_PRELOAD_CHECK_H

#include <stdio.h>

static int failures;

static void check(int ok, const char *what, const char *why)
{
	if (ok)
		printf("PASS %s\n", what);
	else
		printf("FAIL %s: %s\n", what, why);
	failures += !ok;
}

static void run_checks(void);
static int misuse(const char *how);

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);	/* lines out before an abort */
	if (argc > 1)
		return misuse(argv[1]);
	run_checks();
	return failures != 0;
}

#endif /* KPRIM_TESTS_PRELOAD_CHECK_H */
