// SPDX-License-Identifier: MIT
/*
 * kp_test.c - the recording report handler and report assertions.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kp_test.h"

char kp_test_last_msg[1024];
void *kp_test_last_caller;

static void record_report(const struct kp_report *r)
{
	snprintf(kp_test_last_msg, sizeof(kp_test_last_msg), "%s", r->msg);
	kp_test_last_caller = r->caller;
}

int kp_test_setup(void **state)
{
	(void)state;
	kp_report_set_handler(record_report);
	kp_report_reset();
	kp_test_last_msg[0] = '\0';
	kp_test_last_caller = NULL;
#ifdef KP_LOCKDEP
	lockdep_reset();	/* each test starts with no classes and no dependencies */
#endif
	return 0;
}

void kp_stderr_capture_start(struct kp_stderr_capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->mem = open_memstream(&c->buf, &c->len);
	assert_non_null(c->mem);
	c->saved = stderr;
	stderr = c->mem;
}

const char *kp_stderr_captured(struct kp_stderr_capture *c)
{
	fflush(c->mem);
	return c->buf;
}

void kp_stderr_capture_stop(struct kp_stderr_capture *c)
{
	stderr = c->saved;
	fclose(c->mem);
	free(c->buf);
	c->buf = NULL;
}

double kp_test_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int kp_test_teardown(void **state)
{
	(void)state;
	kp_report_set_handler(NULL);
	return 0;
}

int kp_test_teardown_no_leaks(void **state)
{
	kp_fail_nth_set(0);
	kp_mem_set_limit(0);
	assert_int_equal(kp_kmemleak_report(stderr), 0);
	return kp_test_teardown(state);
}

void kp_test_assert_reports(enum kp_report_kind kind, unsigned long n,
			    const char *file, int line)
{
	for (int k = 0; k < KP_REPORT_NR; k++) {
		unsigned long want = (enum kp_report_kind)k == kind ? n : 0;
		unsigned long got = kp_report_count(k);

		if (got != want) {
			print_error("%s:%d: %lu report(s) of kind %s, expected %lu (last: %s)\n",
				    file, line, got, kp_report_kind_name(k), want,
				    kp_test_last_msg);
			_fail(file, line);
		}
	}
}

void kp_test_assert_no_reports(const char *file, int line)
{
	kp_test_assert_reports(KP_REPORT_NR, 0, file, line);
}

int kp_test_in_child(void (*fn)(void), char *out, size_t len)
{
	size_t used = 0;
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		signal(SIGABRT, SIG_DFL);
		signal(SIGSEGV, SIG_DFL);
		fn();
		_exit(0);
	}
	close(fds[1]);
	while (len && (n = read(fds[0], out + used, len - 1 - used)) > 0)
		used += (size_t)n;
	if (len)
		out[used] = '\0';
	close(fds[0]);
	waitpid(pid, &status, 0);
	return status;
}
