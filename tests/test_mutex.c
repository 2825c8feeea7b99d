// SPDX-License-Identifier: MIT
/*
 * test_mutex.c - struct mutex: lock, trylock, is_locked, mutual exclusion
 * with sleepers, mutex_lock() from atomic context reported; the owner
 * word and its flags (WAITERS while someone sleeps, HANDOFF set by a first
 * waiter that loses, the unlocker handing over with PICKUP); unlock by a
 * non-owner, a moved mutex and destroying a held one reported and refused.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <time.h>

#include "kp_test.h"

static void test_lock_trylock_unlock(void **state)
{
	struct mutex m;

	(void)state;
	mutex_init(&m);
	assert_false(mutex_is_locked(&m));
	mutex_lock(&m);
	assert_true(mutex_is_locked(&m));
	assert_false(in_atomic());	/* a mutex holder may sleep */
	assert_false(mutex_trylock(&m));
	mutex_unlock(&m);
	assert_true(mutex_trylock(&m));
	mutex_unlock(&m);
	assert_false(mutex_is_locked(&m));
	mutex_destroy(&m);
	assert_no_reports();
}

static void test_lock_in_atomic_reports(void **state)
{
	DEFINE_MUTEX(m);
	DEFINE_SPINLOCK(l);

	(void)state;
	spin_lock(&l);
	assert_true(mutex_trylock(&m));	/* trylock never sleeps: fine */
	mutex_unlock(&m);
	assert_no_reports();
	mutex_lock(&m);
	spin_unlock(&l);
	mutex_unlock(&m);
	assert_reports(KP_REPORT_SLEEP_IN_ATOMIC, 1);
}

static uintptr_t owner_word(struct mutex *m)
{
	return kp_atomic_load(&m->owner, KP_RELAXED);
}

static void test_owner_word(void **state)
{
	DEFINE_MUTEX(m);

	(void)state;
	assert_int_equal(owner_word(&m), 0);
	mutex_lock(&m);
	assert_ptr_equal((void *)owner_word(&m), kp_current());	/* no flags */
	mutex_unlock(&m);
	assert_int_equal(owner_word(&m), 0);
	assert_no_reports();
}

struct waiter_arg {
	struct mutex *m;
	struct kp_task *task;
	int state;	/* 1: about to lock, 2: holds it, 3: done */
	int hold;	/* 1: keep holding it until this is 0 */
};

static void *lock_and_release(void *arg)
{
	struct waiter_arg *w = arg;

	kp_atomic_store(&w->task, kp_current(), KP_RELEASE);
	kp_atomic_store(&w->state, 1, KP_RELEASE);
	mutex_lock(w->m);
	kp_atomic_store(&w->state, 2, KP_RELEASE);
	while (kp_atomic_load(&w->hold, KP_ACQUIRE))
		sched_yield();
	mutex_unlock(w->m);
	kp_atomic_store(&w->state, 3, KP_RELEASE);
	return NULL;
}

/*
 * A waiter sleeps (WAITERS); the owner lets go and barges back in before
 * the waiter runs; the waiter, first and beaten, asks for HANDOFF; the
 * next unlock hands the lock straight to it (PICKUP), so nobody can steal.
 * The barging is a race the waiter sometimes wins; then the round starts
 * over, until the interleaving under test has happened.
 */
static void test_waiters_handoff_pickup(void **state)
{
	bool seen = false;

	(void)state;
	for (int round = 0; round < 200 && !seen; round++) {
		DEFINE_MUTEX(m);
		struct waiter_arg w = { .m = &m };
		pthread_t t;
		uintptr_t word;

		mutex_lock(&m);
		assert_int_equal(pthread_create(&t, NULL, lock_and_release, &w), 0);
		wait_until(owner_word(&m) & MUTEX_FLAG_WAITERS);
		wait_until(kp_atomic_load(&w.state, KP_ACQUIRE) == 1);
		wait_until(kp_atomic_load(&kp_atomic_load(&w.task, KP_ACQUIRE)->blocked,
					  KP_RELAXED));	/* asleep */
		mutex_unlock(&m);		/* wakes it ... */
		mutex_lock(&m);			/* ... and barges back in, or waits its turn */
		if (kp_atomic_load(&w.state, KP_ACQUIRE) == 1) {
			seen = true;
			assert_true(owner_word(&m) & MUTEX_FLAG_WAITERS);	/* still waiting */
			wait_until(owner_word(&m) & MUTEX_FLAG_HANDOFF);	/* woke, lost */
			assert_int_equal(kp_atomic_load(&w.state, KP_ACQUIRE), 1);
			kp_atomic_store(&w.hold, 1, KP_RELEASE);
			mutex_unlock(&m);	/* hands over: owner = waiter | PICKUP */
			word = owner_word(&m);
			assert_ptr_equal((void *)(word & ~MUTEX_FLAGS), w.task);
			assert_false(mutex_trylock(&m));	/* handed off: no stealing */
			kp_atomic_store(&w.hold, 0, KP_RELEASE);
		} else {
			mutex_unlock(&m);	/* the waiter won the race: again */
		}
		pthread_join(t, NULL);
		assert_int_equal(w.state, 3);
		assert_int_equal(owner_word(&m), 0);	/* the last waiter cleared every flag */
	}
	assert_true(seen);
	assert_no_reports();
}

static void *hold_until_told(void *arg)
{
	struct waiter_arg *w = arg;

	mutex_lock(w->m);
	kp_atomic_store(&w->state, 2, KP_RELEASE);
	while (kp_atomic_load(&w->state, KP_ACQUIRE) != 3)
		sched_yield();
	mutex_unlock(w->m);
	return NULL;
}

static void test_unlock_by_non_owner_refused(void **state)
{
	DEFINE_MUTEX(m);
	struct waiter_arg w = { .m = &m };
	pthread_t t;

	(void)state;
	assert_int_equal(pthread_create(&t, NULL, hold_until_told, &w), 0);
	wait_until(kp_atomic_load(&w.state, KP_ACQUIRE) == 2);
	mutex_unlock(&m);
	assert_reports(KP_REPORT_LOCK_NOT_OWNER, 1);
	assert_true(mutex_is_locked(&m));	/* refused */
	kp_atomic_store(&w.state, 3, KP_RELEASE);
	pthread_join(t, NULL);
	assert_false(mutex_is_locked(&m));
	mutex_unlock(&m);			/* unlocked: nobody owns it */
	assert_reports(KP_REPORT_LOCK_NOT_OWNER, 2);
}

static void test_moved_and_destroyed_refused(void **state)
{
	(void)state;
#ifdef KP_DEBUG
	struct mutex a, b;

	mutex_init(&a);
	memcpy(&b, &a, sizeof(b));	/* a pinned lock, moved */
	mutex_lock(&b);
	assert_reports(KP_REPORT_PINNED_MOVED, 1);
	assert_false(mutex_is_locked(&b));	/* refused */

	kp_report_reset();
	mutex_lock(&a);
	mutex_destroy(&a);		/* held: reported, refused */
	assert_reports(KP_REPORT_INVARIANT, 1);
	assert_msg_contains("DEBUG_LOCKS_WARN_ON(mutex_is_locked(lock))");
	mutex_unlock(&a);
	mutex_destroy(&a);
	kp_report_reset();
	mutex_lock(&a);			/* used after destroy */
	assert_reports(KP_REPORT_PINNED_MOVED, 1);
	assert_false(mutex_is_locked(&a));
#else
	skip();
#endif
}

#define THREADS 4
#define ROUNDS 20000

static DEFINE_MUTEX(shared_mutex);
static long shared_total;
static int inside;

static void *hammer(void *arg)
{
	int *violations = arg;

	for (int i = 0; i < ROUNDS; i++) {
		mutex_lock(&shared_mutex);
		if (kp_atomic_fetch_add(&inside, 1, KP_RELAXED) != 0)
			(*violations)++;
		shared_total++;
		kp_atomic_fetch_sub(&inside, 1, KP_RELAXED);
		mutex_unlock(&shared_mutex);
	}
	return NULL;
}

/* More threads than CPUs: waiters must sleep and be woken, none lost. */
static void test_mutual_exclusion_and_wakeups(void **state)
{
	pthread_t t[THREADS];
	int violations[THREADS] = { 0 };
	struct timespec deadline;

	(void)state;
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer, &violations[i]), 0);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 60;
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_timedjoin_np(t[i], NULL, &deadline), 0);
		assert_int_equal(violations[i], 0);
	}
	assert_int_equal(shared_total, (long)THREADS * ROUNDS);
	assert_false(mutex_is_locked(&shared_mutex));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		kp_unit_test(test_lock_trylock_unlock),
		kp_unit_test(test_lock_in_atomic_reports),
		kp_unit_test(test_owner_word),
		kp_unit_test(test_waiters_handoff_pickup),
		kp_unit_test(test_unlock_by_non_owner_refused),
		kp_unit_test(test_moved_and_destroyed_refused),
		kp_unit_test(test_mutual_exclusion_and_wakeups),
	};

	return kp_run_tests("mutex", tests);
}
