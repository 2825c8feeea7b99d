// SPDX-License-Identifier: MIT
/*
 * test_core.c - the core layer: atomics, futexes, task context, preempt and
 * irq state, might_sleep(), and the report machinery.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kp_test.h"

static void test_atomic_int_ops(void **state)
{
	int v = 5;
	int old = 5;

	(void)state;
	assert_int_equal(kp_atomic_load(&v, KP_ACQUIRE), 5);
	kp_atomic_store(&v, 7, KP_RELEASE);
	assert_int_equal(v, 7);
	assert_int_equal(kp_atomic_xchg(&v, 9, KP_ACQ_REL), 7);
	assert_int_equal(v, 9);
	assert_int_equal(kp_atomic_fetch_add(&v, 3, KP_RELAXED), 9);
	assert_int_equal(kp_atomic_fetch_sub(&v, 2, KP_RELEASE), 12);
	assert_int_equal(v, 10);
	assert_int_equal(kp_atomic_fetch_or(&v, 0x5, KP_RELAXED), 10);
	assert_int_equal(v, 15);
	assert_int_equal(kp_atomic_fetch_and(&v, 0x6, KP_SEQ_CST), 15);
	assert_int_equal(v, 6);

	/* try_cmpxchg: failure loads the value found, success swaps. */
	assert_false(kp_atomic_try_cmpxchg(&v, &old, 1, KP_ACQUIRE));
	assert_int_equal(old, 6);
	assert_true(kp_atomic_try_cmpxchg(&v, &old, 1, KP_RELEASE));
	assert_int_equal(v, 1);

	/* cmpxchg returns what it found. */
	assert_int_equal(kp_atomic_cmpxchg(&v, 0, 2, KP_RELAXED), 1);
	assert_int_equal(v, 1);
	assert_int_equal(kp_atomic_cmpxchg(&v, 1, 2, KP_ACQ_REL), 1);
	assert_int_equal(v, 2);
	kp_atomic_fence(KP_SEQ_CST);
	cpu_relax();
}

static void test_atomic_wide_and_pointer(void **state)
{
	uint64_t w = 1ULL << 40;
	int a, b;
	int *p = &a;
	int *expect = &b;

	(void)state;
	assert_true(kp_atomic_fetch_add(&w, 1ULL << 33, KP_RELAXED) == 1ULL << 40);
	assert_true(w == (1ULL << 40) + (1ULL << 33));
	assert_false(kp_atomic_try_cmpxchg(&p, &expect, &b, KP_ACQ_REL));
	assert_ptr_equal(expect, &a);
	assert_true(kp_atomic_try_cmpxchg(&p, &expect, &b, KP_ACQ_REL));
	assert_ptr_equal(kp_atomic_load(&p, KP_RELAXED), &b);
	assert_ptr_equal(kp_atomic_xchg(&p, NULL, KP_RELAXED), &b);
	assert_null(p);
}

/* Two threads add concurrently: every increment must land. */
static int shared_counter;

static void *add_many(void *arg)
{
	(void)arg;
	for (int i = 0; i < 100000; i++)
		kp_atomic_fetch_add(&shared_counter, 1, KP_RELAXED);
	return NULL;
}

static void test_atomic_concurrent_adds(void **state)
{
	pthread_t t[2];

	(void)state;
	shared_counter = 0;
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, add_many, NULL), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(shared_counter, 200000);
}

static void test_futex_wait_value_mismatch(void **state)
{
	uint32_t word = 1;

	(void)state;
	assert_int_equal(kp_futex_wait(&word, 0), -EAGAIN);
	assert_int_equal(kp_futex_wake(&word, 1), 0);
}

struct futex_waiter {
	uint32_t word;
	int woke_with;
};

static void *futex_wait_thread(void *arg)
{
	struct futex_waiter *w = arg;

	while (kp_atomic_load(&w->word, KP_ACQUIRE) == 0)
		kp_futex_wait(&w->word, 0);
	w->woke_with = (int)kp_atomic_load(&w->word, KP_ACQUIRE);
	return NULL;
}

static void test_futex_wait_and_wake(void **state)
{
	struct futex_waiter w = { 0, 0 };
	struct timespec deadline;
	pthread_t t;

	(void)state;
	assert_int_equal(pthread_create(&t, NULL, futex_wait_thread, &w), 0);
	usleep(20000);	/* let it block; correctness does not depend on it */
	kp_atomic_store(&w.word, 42, KP_RELEASE);
	kp_futex_wake(&w.word, 1);

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 10;
	assert_int_equal(pthread_timedjoin_np(t, NULL, &deadline), 0);
	assert_int_equal(w.woke_with, 42);
}

static void *current_of_thread(void *arg)
{
	struct kp_task **out = arg;

	out[0] = kp_current();
	out[1] = (struct kp_task *)(intptr_t)kp_task_pid(kp_current());
	preempt_disable();
	out[2] = (struct kp_task *)(intptr_t)kp_current()->preempt_count;
	preempt_enable();
	return NULL;
}

static void test_task_per_thread(void **state)
{
	struct kp_task *seen[3];
	pthread_t t;

	(void)state;
	assert_int_equal(kp_task_pid(kp_current()), gettid());
	assert_int_equal(pthread_create(&t, NULL, current_of_thread, seen), 0);
	pthread_join(t, NULL);
	assert_ptr_not_equal(seen[0], kp_current());
	assert_int_not_equal((int)(intptr_t)seen[1], gettid());
	/* The thread's preempt_disable() touched its own task only. */
	assert_int_equal((int)(intptr_t)seen[2], 1);
	assert_int_equal(kp_current()->preempt_count, 0);
}

static void test_task_comm(void **state)
{
	struct kp_task *t = kp_current();

	(void)state;
	memset(t->comm, 0, sizeof(t->comm));
	pthread_setname_np(pthread_self(), "kp-comm-test");
	assert_string_equal(kp_task_comm(t), "kp-comm-test");
}

static void test_preempt_nesting(void **state)
{
	(void)state;
	assert_false(in_atomic());
	preempt_disable();
	assert_true(in_atomic());
	preempt_disable();
	assert_int_equal(preempt_count(), 2);
	preempt_enable();
	assert_true(in_atomic());
	preempt_enable();
	assert_false(in_atomic());
	assert_int_equal(preempt_count(), 0);
}

static void test_irq_save_restore_nesting(void **state)
{
	unsigned long outer, inner;

	(void)state;
	assert_false(irqs_disabled());
	local_irq_save(outer);
	assert_true(irqs_disabled());
	local_irq_save(inner);
	assert_true(irqs_disabled());
	local_irq_restore(inner);
	assert_true(irqs_disabled());	/* still inside the outer section */
	local_irq_restore(outer);
	assert_false(irqs_disabled());

	local_irq_disable();
	assert_true(irqs_disabled());
	local_irq_enable();
	assert_false(irqs_disabled());
	/* Disabled irqs are not preemption: in_atomic() counts only the latter. */
	local_irq_disable();
	assert_false(in_atomic());
	local_irq_enable();
}

static void test_might_sleep_ok_in_task_context(void **state)
{
	(void)state;
	might_sleep();
	might_sleep_if(true);
	assert_no_reports();
}

static void test_might_sleep_in_atomic_reports(void **state)
{
	(void)state;
	preempt_disable();
	might_sleep();
	preempt_enable();
	assert_reports(KP_REPORT_SLEEP_IN_ATOMIC, 1);
	assert_msg_contains("BUG: sleeping function called from invalid context at ");
	assert_msg_contains("tests/test_core.c:");
	assert_msg_contains("in_atomic(): 1, irqs_disabled(): 0, non_block: 0, pid: ");
	assert_non_null(kp_test_last_caller);

	might_sleep_if(false);
	assert_reports(KP_REPORT_SLEEP_IN_ATOMIC, 1);
}

static void test_might_sleep_irqs_disabled_reports(void **state)
{
	unsigned long flags;

	(void)state;
	local_irq_save(flags);
	might_sleep();
	local_irq_restore(flags);
	assert_reports(KP_REPORT_SLEEP_IN_ATOMIC, 1);
	assert_msg_contains("in_atomic(): 0, irqs_disabled(): 1");
}

static void test_report_counts_and_reset(void **state)
{
	(void)state;
	kp_report(KP_REPORT_INVARIANT, NULL, "test: %d", 1);
	kp_report(KP_REPORT_INVARIANT, NULL, "test: %d", 2);
	kp_report(KP_REPORT_DEADLOCK, NULL, "deadlock");
	assert_int_equal(kp_report_count(KP_REPORT_INVARIANT), 2);
	assert_int_equal(kp_report_count(KP_REPORT_DEADLOCK), 1);
	assert_string_equal(kp_test_last_msg, "deadlock");
	assert_int_equal(kp_report_count(KP_REPORT_NR), 0);
	kp_report_reset();
	assert_no_reports();
}

static void test_report_kind_names(void **state)
{
	(void)state;
	for (int i = 0; i < KP_REPORT_NR; i++) {
		assert_non_null(kp_report_kind_name(i));
		for (int j = 0; j < i; j++)
			assert_string_not_equal(kp_report_kind_name(i), kp_report_kind_name(j));
	}
	assert_string_equal(kp_report_kind_name(KP_REPORT_DOUBLE_FREE), "DOUBLE_FREE");
	assert_null(kp_report_kind_name(KP_REPORT_NR));
}

static int other_handler_calls;

static void other_handler(const struct kp_report *r)
{
	(void)r;
	other_handler_calls++;
}

static void test_report_set_handler_returns_previous(void **state)
{
	kp_report_fn recording;

	(void)state;
	other_handler_calls = 0;
	recording = kp_report_set_handler(other_handler);
	assert_non_null(recording);
	kp_report(KP_REPORT_LEAK, NULL, "x");
	assert_int_equal(other_handler_calls, 1);
	assert_ptr_equal(kp_report_set_handler(NULL), other_handler);
	/* NULL put the default back; hand back the recording one. */
	assert_ptr_equal(kp_report_set_handler(recording), kp_report_default_handler);
	assert_reports(KP_REPORT_LEAK, 1);
}

/* An announced report is counted and ends there: no handler, no message; others go on. */
static void test_report_expect_counts_without_handler(void **state)
{
	kp_report_fn recording;

	(void)state;
	recording = kp_report_set_handler(other_handler);
	other_handler_calls = 0;
	kp_report_expect(KP_REPORT_LEAK);
	kp_report_expect(KP_REPORT_LEAK);
	kp_report_expect(KP_REPORT_DEADLOCK);
	assert_int_equal(kp_report_expected(KP_REPORT_LEAK), 2);
	assert_int_equal(kp_report_expected(KP_REPORT_NR), 0);
	kp_report(KP_REPORT_LEAK, NULL, "announced %d", 1);
	kp_report_msg(KP_REPORT_LEAK, NULL, "announced 2");
	assert_int_equal(other_handler_calls, 0);
	assert_int_equal(kp_report_expected(KP_REPORT_LEAK), 0);
	assert_int_equal(kp_report_count(KP_REPORT_LEAK), 2);
	kp_report(KP_REPORT_LEAK, NULL, "not announced");	/* the announcement is used up */
	kp_report(KP_REPORT_INVARIANT, NULL, "another kind");
	assert_int_equal(other_handler_calls, 2);
	assert_false(kp_report_take_expected(KP_REPORT_LEAK));
	assert_true(kp_report_take_expected(KP_REPORT_DEADLOCK));
	assert_int_equal(kp_report_count(KP_REPORT_DEADLOCK), 1);
	kp_report_expect(KP_REPORT_POISON);
	kp_report_reset();	/* forgets announcements too */
	assert_int_equal(kp_report_expected(KP_REPORT_POISON), 0);
	kp_report_set_handler(recording);
	kp_report(KP_REPORT_POISON, NULL, "after reset");
	assert_reports(KP_REPORT_POISON, 1);
}

static void sleep_in_atomic_with_default_handler(void)
{
	kp_report_set_handler(NULL);
	preempt_disable();
	might_sleep();
}

/* The default handler prints the kernel-style report and aborts. */
static void test_report_default_handler_aborts(void **state)
{
	char out[4096];
	int status = kp_test_in_child(sleep_in_atomic_with_default_handler, out, sizeof(out));

	(void)state;
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
	assert_non_null(strstr(out, "------------[ cut here ]------------"));
	assert_non_null(strstr(out, "BUG: sleeping function called from invalid context"));
	assert_non_null(strstr(out, "kprim: SLEEP_IN_ATOMIC at "));
	assert_non_null(strstr(out, "---[ end trace ]---"));
}

/* kp_symbol() names a function by address (the binary is linked -rdynamic), and remembers. */
static void test_symbol_names_functions(void **state)
{
	const char *name = kp_symbol((void *)kp_report_reset);

	(void)state;
	assert_string_equal(name, "kp_report_reset");
	assert_ptr_equal(kp_symbol((void *)kp_report_reset), name);	/* from the table */
	assert_string_equal(kp_symbol((const char *)kp_report_reset + 1), "kp_report_reset");
	assert_string_equal(kp_symbol(NULL), "?");
	assert_string_equal(kp_symbol(&name), "?");	/* the stack is no function */
}

static void test_err_ptr(void **state)
{
	void *e = ERR_PTR(-ENOMEM);

	(void)state;
	assert_true(IS_ERR(e));
	assert_int_equal(PTR_ERR(e), -ENOMEM);
	assert_false(IS_ERR(&e));
	assert_true(IS_ERR_OR_NULL(NULL));
	assert_false(IS_ERR_OR_NULL(&e));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		kp_unit_test(test_atomic_int_ops),
		kp_unit_test(test_atomic_wide_and_pointer),
		kp_unit_test(test_atomic_concurrent_adds),
		kp_unit_test(test_futex_wait_value_mismatch),
		kp_unit_test(test_futex_wait_and_wake),
		kp_unit_test(test_task_per_thread),
		kp_unit_test(test_task_comm),
		kp_unit_test(test_preempt_nesting),
		kp_unit_test(test_irq_save_restore_nesting),
		kp_unit_test(test_might_sleep_ok_in_task_context),
		kp_unit_test(test_might_sleep_in_atomic_reports),
		kp_unit_test(test_might_sleep_irqs_disabled_reports),
		kp_unit_test(test_report_counts_and_reset),
		kp_unit_test(test_report_kind_names),
		kp_unit_test(test_report_expect_counts_without_handler),
		kp_unit_test(test_report_set_handler_returns_previous),
		kp_unit_test(test_report_default_handler_aborts),
		kp_unit_test(test_symbol_names_functions),
		kp_unit_test(test_err_ptr),
	};

	return kp_run_tests("core", tests);
}
