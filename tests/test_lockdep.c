// SPDX-License-Identifier: MIT
/*
 * test_lockdep.c - the lock validator: ABBA across two tasks, a three-lock
 * cycle, recursion on a class, unlock by a task that does not hold the lock,
 * sleeping (a mutex, GFP_KERNEL) under a raw spinlock, locks held when a
 * task ends, lockdep_assert_held, trylocks making no dependency, classes
 * per init site, and the static tables switching lockdep off when full.
 * Each asserts the exact report kind. Without KP_LOCKDEP (release, tsan)
 * the cases skip.
 */
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>

#include "kp_test.h"

#ifdef KP_LOCKDEP

static DEFINE_SPINLOCK(lock_a);
static DEFINE_SPINLOCK(lock_b);
static DEFINE_SPINLOCK(lock_c);

static void *take_a_then_b(void *arg)
{
	(void)arg;
	spin_lock(&lock_a);
	spin_lock(&lock_b);
	spin_unlock(&lock_b);
	spin_unlock(&lock_a);
	return NULL;
}

static void test_abba_across_two_tasks(void **state)
{
	pthread_t t;

	(void)state;
	assert_int_equal(pthread_create(&t, NULL, take_a_then_b, NULL), 0);
	pthread_join(t, NULL);
	assert_no_reports();
	spin_lock(&lock_b);
	spin_lock(&lock_a);		/* B then A: the cycle, though nothing hangs now */
	assert_reports(KP_REPORT_CIRCULAR_LOCKING, 1);
	assert_msg_contains("WARNING: possible circular locking dependency detected");
	assert_msg_contains("-> #1 (lock_b)");	/* held, then the one being taken */
	assert_msg_contains("-> #0 (lock_a)");
	assert_true(spin_is_locked(&lock_a));	/* a warning, not a refusal */
	spin_unlock(&lock_a);
	spin_unlock(&lock_b);
	spin_lock(&lock_b);
	spin_lock(&lock_a);		/* the edge was never added: reported again */
	spin_unlock(&lock_a);
	spin_unlock(&lock_b);
	assert_reports(KP_REPORT_CIRCULAR_LOCKING, 2);
}

static void take_pair(spinlock_t *x, spinlock_t *y)
{
	spin_lock(x);
	spin_lock(y);
	spin_unlock(y);
	spin_unlock(x);
}

static void test_three_lock_cycle(void **state)
{
	(void)state;
	take_pair(&lock_a, &lock_b);
	take_pair(&lock_b, &lock_c);
	assert_no_reports();
	assert_int_equal(lockdep_nr_dependencies(), 2);
	take_pair(&lock_c, &lock_a);	/* closes a -> b -> c -> a */
	assert_reports(KP_REPORT_CIRCULAR_LOCKING, 1);
	assert_msg_contains("-> #2 (lock_c)\n-> #1 (lock_b)\n-> #0 (lock_a)");
	take_pair(&lock_a, &lock_c);	/* consistent with the order: no report */
	assert_reports(KP_REPORT_CIRCULAR_LOCKING, 1);
	assert_int_equal(lockdep_nr_dependencies(), 3);
}

/* The cycle goes through a lock held below the first: every held lock is checked. */
static void test_cycle_through_a_lock_held_deeper(void **state)
{
	(void)state;
	take_pair(&lock_c, &lock_b);	/* c -> b */
	assert_no_reports();
	spin_lock(&lock_a);
	spin_lock(&lock_b);
	spin_lock(&lock_c);		/* b -> c closes b -> c -> b; a is held first */
	spin_unlock(&lock_c);
	spin_unlock(&lock_b);
	spin_unlock(&lock_a);		/* checked with nothing held: a failure leaves no lock taken */
	assert_reports(KP_REPORT_CIRCULAR_LOCKING, 1);
	assert_msg_contains("but task is already holding lock:\n0x");
	assert_msg_contains("-> #1 (lock_b)\n-> #0 (lock_c)");
}

static void test_trylock_makes_no_dependency(void **state)
{
	(void)state;
	spin_lock(&lock_b);
	assert_true(spin_trylock(&lock_a));	/* a trylock cannot wait: no b -> a */
	spin_unlock(&lock_a);
	spin_unlock(&lock_b);
	take_pair(&lock_a, &lock_b);
	assert_no_reports();
	assert_int_equal(lockdep_nr_dependencies(), 1);
}

static void init_two(spinlock_t *locks)
{
	for (int i = 0; i < 2; i++)
		spin_lock_init(&locks[i]);	/* one call site: one class */
}

static void test_class_per_init_site_and_recursion(void **state)
{
	spinlock_t same[2];

	(void)state;
	init_two(same);
	spin_lock(&same[0]);
	spin_lock(&same[1]);		/* another instance of a held class */
	assert_reports(KP_REPORT_LOCK_RECURSION, 1);
	assert_msg_contains("WARNING: possible recursive locking detected");
	assert_true(spin_is_locked(&same[1]));	/* not the same lock: taken */
	assert_int_equal(lockdep_nr_classes(), 1);
	spin_unlock(&same[1]);
	spin_unlock(&same[0]);
	assert_reports(KP_REPORT_LOCK_RECURSION, 1);
}

/*
 * Announced, lockdep's reports are counted and nothing else: no message is
 * written (the handler never sees them), and the locks behave as when the
 * report is raised (the cycle's edge stays out, the other instance is taken).
 */
static void test_announced_reports_are_only_counted(void **state)
{
	spinlock_t same[2];

	(void)state;
	take_pair(&lock_a, &lock_b);
	kp_report_expect(KP_REPORT_CIRCULAR_LOCKING);
	take_pair(&lock_b, &lock_a);
	assert_int_equal(kp_report_expected(KP_REPORT_CIRCULAR_LOCKING), 0);
	assert_reports(KP_REPORT_CIRCULAR_LOCKING, 1);
	assert_string_equal(kp_test_last_msg, "");
	assert_int_equal(lockdep_nr_dependencies(), 1);
	init_two(same);
	kp_report_expect(KP_REPORT_LOCK_RECURSION);
	spin_lock(&same[0]);
	spin_lock(&same[1]);
	assert_true(spin_is_locked(&same[1]));
	spin_unlock(&same[1]);
	spin_unlock(&same[0]);
	assert_int_equal(kp_report_count(KP_REPORT_LOCK_RECURSION), 1);
	assert_string_equal(kp_test_last_msg, "");
	take_pair(&lock_b, &lock_a);	/* not announced: the handler has the chain */
	assert_int_equal(kp_report_count(KP_REPORT_CIRCULAR_LOCKING), 2);
	assert_msg_contains("-> #1 (lock_b)");
}

/* An explicit key gives a lock a class of its own: nesting them is fine. */
static void test_explicit_class_key(void **state)
{
	static struct lock_class_key other;
	spinlock_t same[2];

	(void)state;
	init_two(same);
	lockdep_set_class(&same[1].rlock, &other);
	spin_lock(&same[0]);
	spin_lock(&same[1]);
	spin_unlock(&same[1]);
	spin_unlock(&same[0]);
	assert_no_reports();
	assert_int_equal(lockdep_nr_classes(), 2);
	assert_int_equal(lockdep_nr_dependencies(), 1);
}

struct holder {
	spinlock_t *lock;
	int state;	/* 1: holds it, 2: may let go */
};

static void *hold_spinlock(void *arg)
{
	struct holder *h = arg;

	spin_lock(h->lock);
	kp_atomic_store(&h->state, 1, KP_RELEASE);
	while (kp_atomic_load(&h->state, KP_ACQUIRE) != 2)
		cpu_relax();
	spin_unlock(h->lock);
	return NULL;
}

static void test_unlock_by_non_owner_refused(void **state)
{
	struct holder h = { .lock = &lock_a };
	pthread_t t;

	(void)state;
	assert_int_equal(pthread_create(&t, NULL, hold_spinlock, &h), 0);
	wait_until(kp_atomic_load(&h.state, KP_ACQUIRE) == 1);
	spin_unlock(&lock_a);
	assert_reports(KP_REPORT_LOCK_NOT_OWNER, 1);
	assert_msg_contains("WARNING: bad unlock balance detected!");
	assert_true(spin_is_locked(&lock_a));	/* refused */
	assert_int_equal(preempt_count(), 0);
	kp_atomic_store(&h.state, 2, KP_RELEASE);
	pthread_join(t, NULL);
	assert_false(spin_is_locked(&lock_a));
}

static void test_sleeping_under_raw_spinlock(void **state)
{
	DEFINE_RAW_SPINLOCK(r);
	DEFINE_MUTEX(m);
	void *p, *q;

	(void)state;
	raw_spin_lock(&r);
	mutex_lock(&m);			/* a sleeping lock in atomic context */
	mutex_unlock(&m);
	assert_reports(KP_REPORT_SLEEP_IN_ATOMIC, 1);
	p = kmalloc(64, GFP_KERNEL);	/* a sleeping allocation in atomic context */
	assert_reports(KP_REPORT_SLEEP_IN_ATOMIC, 2);
	q = kmalloc(64, GFP_ATOMIC);	/* the right flags: fine */
	raw_spin_unlock(&r);
	assert_reports(KP_REPORT_SLEEP_IN_ATOMIC, 2);
	kfree(p);
	kfree(q);
}

static DEFINE_MUTEX(left_locked);

static void *lock_and_exit(void *arg)
{
	(void)arg;
	mutex_lock(&left_locked);
	return NULL;
}

static void test_lock_held_at_exit(void **state)
{
	pthread_t t;

	(void)state;
	assert_int_equal(pthread_create(&t, NULL, lock_and_exit, NULL), 0);
	pthread_join(t, NULL);
	assert_reports(KP_REPORT_LOCK_HELD_AT_EXIT, 1);
	assert_msg_contains("still has locks held!");
	assert_msg_contains("(left_locked)");
}

static void test_assert_held(void **state)
{
	(void)state;
	spin_lock(&lock_a);
	assert_spin_locked(&lock_a);
	spin_unlock(&lock_a);
	assert_no_reports();
	assert_spin_locked(&lock_a);
	assert_reports(KP_REPORT_LOCK_NOT_OWNER, 1);
}

static void lockdep_overflow_in_child(void)
{
	static struct lock_class_key keys[MAX_LOCKDEP_KEYS + 8];
	static raw_spinlock_t locks[MAX_LOCKDEP_KEYS + 8];

	for (int i = 0; i < MAX_LOCKDEP_KEYS + 8; i++) {
		__raw_spin_lock_init(&locks[i], "overflow", &keys[i]);
		raw_spin_lock(&locks[i]);
		raw_spin_unlock(&locks[i]);
	}
	printf("enabled=%d classes=%u\n", lockdep_enabled(), lockdep_nr_classes());
	lockdep_reset();
	printf("after reset enabled=%d\n", lockdep_enabled());
	fflush(stdout);
}

/* One clear warning, then lockdep is off; locks keep working; reset brings it back. */
static void test_class_table_overflow(void **state)
{
	char out[4096];
	int status = kp_test_in_child(lockdep_overflow_in_child, out, sizeof(out));
	const char *first;

	(void)state;
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	first = strstr(out, "BUG: MAX_LOCKDEP_KEYS too low!");
	assert_non_null(first);
	assert_null(strstr(first + 1, "BUG: MAX_LOCKDEP_KEYS too low!"));	/* once */
	assert_non_null(strstr(out, "turning off the locking correctness validator."));
	assert_non_null(strstr(out, "enabled=0 classes=512"));
	assert_non_null(strstr(out, "after reset enabled=1"));
}

static void test_held_stack_overflow(void **state)
{
	static struct lock_class_key keys[KP_MAX_LOCK_DEPTH + 1];
	static raw_spinlock_t locks[KP_MAX_LOCK_DEPTH + 1];

	(void)state;
	for (int i = 0; i <= KP_MAX_LOCK_DEPTH; i++) {
		__raw_spin_lock_init(&locks[i], "deep", &keys[i]);
		raw_spin_lock(&locks[i]);
	}
	assert_false(lockdep_enabled());
	for (int i = KP_MAX_LOCK_DEPTH; i >= 0; i--)
		raw_spin_unlock(&locks[i]);
	assert_no_reports();
	assert_int_equal(preempt_count(), 0);
	kp_current()->lockdep_depth = 0;	/* what the switched-off lockdep left behind */
	lockdep_reset();
	assert_true(lockdep_enabled());
}

#else
static void test_skipped_without_lockdep(void **state)
{
	(void)state;
	skip();
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
#ifdef KP_LOCKDEP
		kp_unit_test(test_abba_across_two_tasks),
		kp_unit_test(test_three_lock_cycle),
		kp_unit_test(test_cycle_through_a_lock_held_deeper),
		kp_unit_test(test_trylock_makes_no_dependency),
		kp_unit_test(test_class_per_init_site_and_recursion),
		kp_unit_test(test_announced_reports_are_only_counted),
		kp_unit_test(test_explicit_class_key),
		kp_unit_test(test_unlock_by_non_owner_refused),
		kp_unit_test(test_sleeping_under_raw_spinlock),
		kp_unit_test(test_lock_held_at_exit),
		kp_unit_test(test_assert_held),
		kp_unit_test(test_class_table_overflow),
		kp_unit_test(test_held_stack_overflow),
#else
		kp_unit_test(test_skipped_without_lockdep),
#endif
	};

	return kp_run_tests("lockdep", tests);
}
