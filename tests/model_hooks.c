// SPDX-License-Identifier: MIT
/*
 * model_hooks.c - the model build's seam (built with -DKP_MODEL only).
 *
 * A scripted scheduler is registered and the test checks that every kprim
 * atomic, spin hint and yield passes it exactly once, saying what it is
 * about to do (operation, address, size, memory order), that futexes and
 * kp_current() go to it, and that per-task state (preempt count, fail-nth,
 * report identity) follows the model task rather than the OS thread. This
 * is the contract the schedule-fuzzing scheduler builds on.
 */
#include "kp_test.h"

static unsigned long points;
static struct kp_sched_op last_op;
static struct kp_task model_task = { .pid = 4242, .comm = "model-1" };
static uint32_t *futex_addr;
static uint32_t futex_expected;
static int futex_wakes;

static void count_point(const struct kp_sched_op *op)
{
	points++;
	last_op = *op;
}

static int model_futex_wait(uint32_t *addr, uint32_t expected)
{
	futex_addr = addr;
	futex_expected = expected;
	return 0;
}

static int model_futex_wake(uint32_t *addr, int nr)
{
	futex_addr = addr;
	futex_wakes += nr;
	return nr;
}

static struct kp_task *model_current(void)
{
	return &model_task;
}

static const struct kp_sched_ops scripted = {
	.sched_point = count_point,
	.futex_wait = model_futex_wait,
	.futex_wake = model_futex_wake,
	.current = model_current,
};

static int setup(void **state)
{
	points = 0;
	futex_wakes = 0;
	futex_addr = NULL;
	model_task.preempt_count = 0;
	kp_test_setup(state);
	assert_null(kp_sched_register(&scripted));
	return 0;
}

static int teardown(void **state)
{
	assert_ptr_equal(kp_sched_register(NULL), &scripted);
	return kp_test_teardown(state);
}

#define model_test(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

static void test_every_atomic_is_a_sched_point(void **state)
{
	int v = 0, old = 0;

	(void)state;
	kp_atomic_load(&v, KP_RELAXED);
	assert_int_equal(points, 1);
	assert_int_equal(last_op.kind, KP_OP_LOAD);
	assert_ptr_equal(last_op.addr, &v);
	assert_int_equal(last_op.size, sizeof(v));
	assert_int_equal(last_op.order, KP_RELAXED);
	kp_atomic_store(&v, 1, KP_RELEASE);
	assert_int_equal(last_op.kind, KP_OP_STORE);
	assert_int_equal(last_op.value, 1);
	kp_atomic_xchg(&v, 2, KP_ACQ_REL);
	assert_int_equal(last_op.kind, KP_OP_XCHG);
	assert_int_equal(last_op.order, KP_ACQ_REL);
	kp_atomic_try_cmpxchg(&v, &old, 3, KP_ACQUIRE);
	assert_int_equal(last_op.kind, KP_OP_CMPXCHG);
	assert_int_equal(last_op.value, 3);
	kp_atomic_cmpxchg(&v, 2, 3, KP_ACQUIRE);
	kp_atomic_fetch_add(&v, 5, KP_RELAXED);
	assert_int_equal(last_op.kind, KP_OP_FETCH_ADD);
	assert_int_equal(last_op.value, 5);
	kp_atomic_fetch_sub(&v, 5, KP_RELAXED);
	kp_atomic_fetch_or(&v, 1, KP_RELAXED);
	kp_atomic_fetch_and(&v, 1, KP_RELAXED);
	assert_int_equal(last_op.kind, KP_OP_FETCH_AND);
	kp_atomic_fence(KP_SEQ_CST);
	assert_int_equal(last_op.kind, KP_OP_FENCE);
	assert_int_equal(last_op.order, KP_SEQ_CST);
	assert_null(last_op.addr);
	cpu_relax();
	assert_int_equal(last_op.kind, KP_OP_SPIN);
	kp_yield();
	assert_int_equal(last_op.kind, KP_OP_YIELD);
	assert_int_equal(points, 12);
}

static void test_primitives_yield_through_atomics(void **state)
{
	refcount_t r = REFCOUNT_INIT(1);
	DEFINE_SPINLOCK(l);

	(void)state;
	refcount_inc(&r);
	assert_true(points >= 1);
	points = 0;
	spin_lock(&l);
	spin_unlock(&l);
	assert_true(points >= 2);
}

static void test_current_is_the_model_task(void **state)
{
	(void)state;
	assert_ptr_equal(kp_current(), &model_task);
	preempt_disable();
	assert_int_equal(model_task.preempt_count, 1);
	assert_int_equal(kp_thread_task.preempt_count, 0);
	assert_true(in_atomic());
	might_sleep();
	preempt_enable();
	assert_reports(KP_REPORT_SLEEP_IN_ATOMIC, 1);
	assert_msg_contains("pid: 4242, name: model-1");
}

static void test_fail_nth_is_per_model_task(void **state)
{
	(void)state;
	kp_fail_nth_set(3);
	assert_int_equal(model_task.fail_nth, 3);
	assert_int_equal(kp_thread_task.fail_nth, 0);
	kp_fail_nth_set(0);
}

static void test_futexes_go_to_the_scheduler(void **state)
{
	uint32_t word = 7;

	(void)state;
	assert_int_equal(kp_futex_wait(&word, 7), 0);
	assert_ptr_equal(futex_addr, &word);
	assert_int_equal(futex_expected, 7);
	assert_int_equal(kp_futex_wake(&word, 3), 3);
	assert_int_equal(futex_wakes, 3);
}

/* Without a scheduler a model build behaves like release. */
static void test_unregistered_is_plain(void **state)
{
	int v = 0;

	(void)state;
	assert_ptr_equal(kp_sched_register(NULL), &scripted);
	kp_atomic_fetch_add(&v, 1, KP_RELAXED);
	assert_int_equal(points, 0);
	assert_ptr_equal(kp_current(), &kp_thread_task);
	assert_null(kp_sched_register(&scripted));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		model_test(test_every_atomic_is_a_sched_point),
		model_test(test_primitives_yield_through_atomics),
		model_test(test_current_is_the_model_task),
		model_test(test_fail_nth_is_per_model_task),
		model_test(test_futexes_go_to_the_scheduler),
		model_test(test_unregistered_is_plain),
	};

	return kp_run_tests("model-hooks", tests);
}
