// SPDX-License-Identifier: MIT
/*
 * test_spinlock.c - raw_spinlock_t / spinlock_t: mutual exclusion, trylock,
 * holding one is atomic context, irqsave saves and restores the irq state;
 * the queued spinlock word through its states (locked, pending, queued)
 * and the fallback past the MCS nesting bound; the paravirt slow path's
 * sleeping head and sleeping queued waiter, each woken by the unlock;
 * recursion refused; mutual exclusion under both slow paths.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "kp_test.h"

static void test_lock_is_atomic_context(void **state)
{
	DEFINE_RAW_SPINLOCK(l);

	(void)state;
	assert_false(raw_spin_is_locked(&l));
	raw_spin_lock(&l);
	assert_true(raw_spin_is_locked(&l));
	assert_true(in_atomic());
	raw_spin_unlock(&l);
	assert_false(in_atomic());
	assert_false(raw_spin_is_locked(&l));
}

static void test_trylock(void **state)
{
	spinlock_t l;

	(void)state;
	spin_lock_init(&l);
	assert_true(spin_trylock(&l));
	assert_int_equal(preempt_count(), 1);
	assert_false(spin_trylock(&l));
	assert_int_equal(preempt_count(), 1);	/* a failed try leaves no trace */
	spin_unlock(&l);
	assert_int_equal(preempt_count(), 0);
}

static void test_irqsave_restores(void **state)
{
	DEFINE_SPINLOCK(l);
	unsigned long outer, inner;

	(void)state;
	spin_lock_irqsave(&l, outer);
	assert_true(irqs_disabled());
	spin_unlock_irqrestore(&l, outer);
	assert_false(irqs_disabled());

	local_irq_save(outer);
	spin_lock_irqsave(&l, inner);
	spin_unlock_irqrestore(&l, inner);
	assert_true(irqs_disabled());	/* restored to what it was: disabled */
	local_irq_restore(outer);
	assert_false(irqs_disabled());
}

/* Sleeping under a spinlock is the classic atomic-context bug. */
static void test_sleep_under_spinlock_reports(void **state)
{
	DEFINE_SPINLOCK(l);

	(void)state;
	spin_lock(&l);
	might_sleep();
	spin_unlock(&l);
	assert_reports(KP_REPORT_SLEEP_IN_ATOMIC, 1);
}

/* Decided by the first contended lock: KPRIM_QSPINLOCK=native keeps the bare path. */
static void test_slow_path_follows_the_environment(void **state)
{
	const char *env = getenv("KPRIM_QSPINLOCK");

	(void)state;
	assert_int_equal(queued_spin_paravirt(), !(env && !strcmp(env, "native")));
}

struct contender {
	raw_spinlock_t *lock;
	unsigned int nesting;	/* MCS nodes already in use when it contends */
	int acquired;
	struct kp_task *task;	/* its task, once it runs */
};

static void *contend(void *arg)
{
	struct contender *c = arg;

	kp_atomic_store(&c->task, kp_current(), KP_RELEASE);
	kp_current()->mcs[0].count = c->nesting;
	raw_spin_lock(c->lock);
	kp_atomic_store(&c->acquired, 1, KP_RELAXED);
	raw_spin_unlock(c->lock);
	kp_current()->mcs[0].count = 0;
	return NULL;
}

static uint32_t word(raw_spinlock_t *l)
{
	return kp_atomic_load(&l->raw_lock.val, KP_RELAXED);
}

/* One test on the slow path it names; the process's choice again after it. */
static bool saved_paravirt;

static int slow_path_setup(bool paravirt)
{
	kp_test_setup(NULL);
	saved_paravirt = queued_spin_paravirt();
	assert_true(queued_spin_set_paravirt(paravirt));
	return 0;
}

static int native_slow_path(void **state)
{
	(void)state;
	return slow_path_setup(false);
}

static int paravirt_slow_path(void **state)
{
	(void)state;
	return slow_path_setup(true);
}

static int restore_slow_path(void **state)
{
	assert_true(queued_spin_set_paravirt(saved_paravirt));
	return kp_test_teardown(state);
}

#define kp_native_test(f)	cmocka_unit_test_setup_teardown(f, native_slow_path, restore_slow_path)
#define kp_paravirt_test(f)	cmocka_unit_test_setup_teardown(f, paravirt_slow_path, \
								restore_slow_path)

/* (0,0,1) held; the second contender sets pending; the third queues in the tail. */
static void test_qspinlock_states(void **state)
{
	DEFINE_RAW_SPINLOCK(l);
	struct contender second = { .lock = &l }, third = { .lock = &l };
	pthread_t t2, t3;

	(void)state;
	raw_spin_lock(&l);
	assert_int_equal(word(&l), _Q_LOCKED_VAL);
	assert_int_equal(pthread_create(&t2, NULL, contend, &second), 0);
	wait_until(word(&l) & _Q_PENDING_VAL);
	assert_int_equal(word(&l) & _Q_TAIL_MASK, 0);	/* pending needs no queue node */
	assert_int_equal(pthread_create(&t3, NULL, contend, &third), 0);
	wait_until(word(&l) & _Q_TAIL_MASK);
	assert_int_equal(word(&l) & _Q_TAIL_IDX_MASK, 0);	/* its first nesting level */
	assert_false(kp_atomic_load(&second.acquired, KP_RELAXED) ||
		     kp_atomic_load(&third.acquired, KP_RELAXED));
	raw_spin_unlock(&l);
	pthread_join(t2, NULL);
	pthread_join(t3, NULL);
	assert_true(second.acquired && third.acquired);
	assert_int_equal(word(&l), 0);
}

/* Past KP_MCS_NODES nested contentions a task spins on the word, never in the queue. */
static void test_nesting_bound_falls_back_to_spinning(void **state)
{
	DEFINE_RAW_SPINLOCK(l);
	struct contender pending = { .lock = &l };
	struct contender deep = { .lock = &l, .nesting = KP_MCS_NODES };
	pthread_t tp, td;

	(void)state;
	raw_spin_lock(&l);
	assert_int_equal(pthread_create(&tp, NULL, contend, &pending), 0);
	wait_until(word(&l) & _Q_PENDING_VAL);
	assert_int_equal(pthread_create(&td, NULL, contend, &deep), 0);
	for (int i = 0; i < 1000; i++) {	/* it is spinning: give it time to misbehave */
		assert_int_equal(word(&l) & _Q_TAIL_MASK, 0);
		sched_yield();
	}
	raw_spin_unlock(&l);
	pthread_join(tp, NULL);
	pthread_join(td, NULL);
	assert_true(pending.acquired && deep.acquired);
	assert_int_equal(word(&l), 0);
}

static bool task_sleeps(struct contender *c)
{
	struct kp_task *t = kp_atomic_load(&c->task, KP_ACQUIRE);

	return t && kp_atomic_load(&t->blocked, KP_RELAXED);
}

/*
 * Paravirt: the contender becomes the queue head (no pending waiter),
 * spins, hashes itself, sets _Q_SLOW_VAL and sleeps in a futex; the
 * unlock sees the flag, wakes it, and the word ends clear.
 */
static void test_paravirt_head_sleeps_until_the_unlock_wakes_it(void **state)
{
	DEFINE_RAW_SPINLOCK(l);
	struct contender head = { .lock = &l };
	pthread_t t;

	(void)state;
	raw_spin_lock(&l);
	assert_int_equal(pthread_create(&t, NULL, contend, &head), 0);
	wait_until(task_sleeps(&head));
	assert_int_equal(word(&l) & _Q_LOCKED_PENDING_MASK, _Q_SLOW_VAL | _Q_LOCKED_VAL);
	assert_int_not_equal(word(&l) & _Q_TAIL_MASK, 0);
	assert_false(kp_atomic_load(&head.acquired, KP_RELAXED));
	raw_spin_unlock(&l);
	pthread_join(t, NULL);
	assert_true(head.acquired);
	assert_int_equal(word(&l), 0);
}

/*
 * Paravirt: a waiter queued behind a sleeping head stops spinning early
 * and sleeps on its own node; when the head gets the lock and passes it
 * the baton, it is hashed (pv_kick_node()) and the head's unlock wakes it.
 */
static void test_paravirt_queued_waiter_sleeps_and_is_handed_on(void **state)
{
	DEFINE_RAW_SPINLOCK(l);
	struct contender head = { .lock = &l }, second = { .lock = &l };
	pthread_t th, ts;

	(void)state;
	raw_spin_lock(&l);
	assert_int_equal(pthread_create(&th, NULL, contend, &head), 0);
	wait_until(task_sleeps(&head));
	assert_int_equal(pthread_create(&ts, NULL, contend, &second), 0);
	wait_until(task_sleeps(&second));
	assert_int_equal(head.task->mcs[0].pv_state, 2);	/* vcpu_hashed: the unlock wakes it */
	assert_int_equal(second.task->mcs[0].pv_state, 1);	/* vcpu_halted: on its node */
	raw_spin_unlock(&l);
	pthread_join(th, NULL);
	pthread_join(ts, NULL);
	assert_true(head.acquired && second.acquired);
	assert_int_equal(word(&l), 0);
}

/* Taking a held lock again is reported and refused (lockdep), not a hang. */
static void test_recursion_refused(void **state)
{
	(void)state;
#ifdef KP_LOCKDEP
	DEFINE_SPINLOCK(l);

	spin_lock(&l);
	spin_lock(&l);
	assert_reports(KP_REPORT_LOCK_RECURSION, 1);
	assert_msg_contains("WARNING: possible recursive locking detected");
	spin_unlock(&l);
	assert_false(spin_is_locked(&l));
	kp_report_reset();
	spin_unlock(&l);	/* the refused lock's unlock: refused too */
	assert_reports(KP_REPORT_LOCK_NOT_OWNER, 1);
	assert_int_equal(preempt_count(), 0);
#else
	skip();
#endif
}

#define THREADS 2
#define ROUNDS 200000

static DEFINE_SPINLOCK(shared_lock);
static long shared_total;
static int inside;

static void *hammer(void *arg)
{
	int *violations = arg;

	for (int i = 0; i < ROUNDS; i++) {
		if (i % 8)
			spin_lock(&shared_lock);
		else
			while (!spin_trylock(&shared_lock))
				cpu_relax();
		if (kp_atomic_fetch_add(&inside, 1, KP_RELAXED) != 0)
			(*violations)++;
		shared_total++;
		kp_atomic_fetch_sub(&inside, 1, KP_RELAXED);
		spin_unlock(&shared_lock);
	}
	return NULL;
}

static void test_mutual_exclusion(void **state)
{
	pthread_t t[THREADS];
	int violations[THREADS] = { 0 };

	(void)state;
	shared_total = 0;
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer, &violations[i]), 0);
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(violations[i], 0);
	}
	assert_int_equal(shared_total, (long)THREADS * ROUNDS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		kp_unit_test(test_slow_path_follows_the_environment),
		kp_unit_test(test_lock_is_atomic_context),
		kp_unit_test(test_trylock),
		kp_unit_test(test_irqsave_restores),
		kp_unit_test(test_sleep_under_spinlock_reports),
		kp_native_test(test_qspinlock_states),
		kp_native_test(test_nesting_bound_falls_back_to_spinning),
		kp_paravirt_test(test_paravirt_head_sleeps_until_the_unlock_wakes_it),
		kp_paravirt_test(test_paravirt_queued_waiter_sleeps_and_is_handed_on),
		kp_unit_test(test_recursion_refused),
		kp_native_test(test_mutual_exclusion),
		kp_paravirt_test(test_mutual_exclusion),
	};

	return kp_run_tests("spinlock", tests);
}
