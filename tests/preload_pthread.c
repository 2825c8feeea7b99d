// SPDX-License-Identifier: MIT
/*
 * preload_pthread.c - POSIX's mutex, condition variable and spinlock
 * contract, for a program run under LD_PRELOAD=libkprim-pthread.so
 * (tests/preload.sh builds it with plain cc and runs it with glibc's locks
 * too: a check only kprim passes is a wrong check).
 *
 * Prints "PASS what" or "FAIL what: why". With the argument "abba" it
 * takes two mutexes in both orders from two threads, one after the other
 * (no deadlock happens; lockdep must still see the inversion), and with
 * "unlock-other" a thread unlocks a normal mutex another one holds.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "preload_check.h"


static pthread_mutex_t static_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t static_recursive = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static pthread_mutex_t static_errorcheck = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
static long counter;

static void *count_under(void *arg)
{
	pthread_mutex_t *m = arg;

	for (int i = 0; i < 100000; i++) {
		pthread_mutex_lock(m);
		counter++;
		pthread_mutex_unlock(m);
	}
	return NULL;
}

static void check_exclusion(pthread_mutex_t *m, const char *what)
{
	pthread_t t[4];

	counter = 0;
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, count_under, m);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	check(counter == 400000, what, "lost updates");
}

static void *try_from_other(void *arg)
{
	long ret = pthread_mutex_trylock(arg);

	if (!ret)
		pthread_mutex_unlock(arg);
	return (void *)ret;
}

static void *unlock_from_other(void *arg)
{
	return (void *)(long)pthread_mutex_unlock(arg);
}

static void *timed_from_other(void *arg)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += 50 * 1000 * 1000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	long ret = pthread_mutex_timedlock(arg, &until);

	if (!ret)
		pthread_mutex_unlock(arg);
	return (void *)ret;
}

/* clocklock on CLOCK_MONOTONIC, 50 ms: the milliseconds it waited, or -1 if not ETIMEDOUT. */
static void *monotonic_from_other(void *arg)
{
	struct timespec start, until, end;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &start);
	until = start;
	until.tv_nsec += 50 * 1000 * 1000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	ret = pthread_mutex_clocklock(arg, CLOCK_MONOTONIC, &until);
	clock_gettime(CLOCK_MONOTONIC, &end);
	if (ret != ETIMEDOUT)
		return (void *)-1L;
	return (void *)((end.tv_sec - start.tv_sec) * 1000L +
			(end.tv_nsec - start.tv_nsec) / 1000000);
}

static long in_thread(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	void *ret;

	pthread_create(&t, NULL, fn, arg);
	pthread_join(t, &ret);
	return (long)ret;
}

static void check_types(void)
{
	pthread_mutexattr_t attr;
	pthread_mutex_t m;

	check(!pthread_mutex_lock(&static_recursive) && !pthread_mutex_lock(&static_recursive) &&
	      in_thread(try_from_other, &static_recursive) == EBUSY &&
	      !pthread_mutex_unlock(&static_recursive) &&
	      in_thread(try_from_other, &static_recursive) == EBUSY &&
	      !pthread_mutex_unlock(&static_recursive) &&
	      in_thread(try_from_other, &static_recursive) == 0,
	      "a recursive mutex (static initializer) counts its depth", "wrong");
	check(!pthread_mutex_lock(&static_errorcheck) &&
	      pthread_mutex_lock(&static_errorcheck) == EDEADLK &&
	      in_thread(unlock_from_other, &static_errorcheck) == EPERM &&
	      !pthread_mutex_unlock(&static_errorcheck) &&
	      pthread_mutex_unlock(&static_errorcheck) == EPERM,
	      "an error-checking mutex answers EDEADLK and EPERM", "wrong answer");
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&m, &attr);
	check(!pthread_mutex_lock(&m) && !pthread_mutex_trylock(&m) && !pthread_mutex_unlock(&m) &&
	      !pthread_mutex_unlock(&m) && pthread_mutex_unlock(&m) == EPERM &&
	      !pthread_mutex_destroy(&m),
	      "a recursive mutex from pthread_mutex_init", "wrong");
	pthread_mutexattr_destroy(&attr);
	pthread_mutex_init(&m, NULL);
	pthread_mutex_lock(&m);
	check(in_thread(monotonic_from_other, &m) >= 45,
	      "clocklock(CLOCK_MONOTONIC) waits its deadline on the monotonic clock", "too short");
	pthread_mutex_unlock(&m);
	pthread_mutex_destroy(&m);
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&m, &attr);	/* robust: glibc keeps it */
	pthread_mutex_lock(&m);
	check(in_thread(monotonic_from_other, &m) >= 45,
	      "so does a robust mutex's, which glibc keeps", "too short");
	pthread_mutex_unlock(&m);
	pthread_mutex_destroy(&m);
	pthread_mutexattr_destroy(&attr);
	pthread_mutex_init(&m, NULL);
	check(!pthread_mutex_lock(&m) && in_thread(try_from_other, &m) == EBUSY &&
	      in_thread(timed_from_other, &m) == ETIMEDOUT && pthread_mutex_destroy(&m) == EBUSY &&
	      !pthread_mutex_unlock(&m) && in_thread(timed_from_other, &m) == 0 &&
	      !pthread_mutex_destroy(&m),
	      "trylock says EBUSY, timedlock ETIMEDOUT, destroy of a held mutex EBUSY", "wrong");
}

static void check_memory(void)
{
	pthread_mutex_t *heap = malloc(sizeof(*heap)), moved;

	*heap = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
	check_exclusion(heap, "a mutex in malloc'd memory excludes");
	memcpy(&moved, heap, sizeof(moved));	/* moved while unlocked */
	check_exclusion(&moved, "a mutex copied elsewhere (unlocked) is a mutex there");
	free(heap);				/* never destroyed */
	heap = calloc(1, sizeof(*heap));
	check_exclusion(heap, "zeroed memory reused for a mutex without init");
	free(heap);
}

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_cond = PTHREAD_COND_INITIALIZER;
static int queued, taken;

static void *consumer(void *arg)
{
	for (;;) {
		pthread_mutex_lock(&queue_lock);
		while (!queued && taken < 20000)
			pthread_cond_wait(&queue_cond, &queue_lock);
		if (taken >= 20000) {
			pthread_mutex_unlock(&queue_lock);
			return arg;
		}
		queued--;
		taken++;
		if (taken == 20000)
			pthread_cond_broadcast(&queue_cond);
		pthread_mutex_unlock(&queue_lock);
	}
}

static void check_condvars(void)
{
	pthread_t t[3];
	pthread_condattr_t attr;
	pthread_cond_t c;
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	struct timespec before, until, after;

	for (int i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, consumer, NULL);
	for (int i = 0; i < 20000; i++) {
		pthread_mutex_lock(&queue_lock);
		queued++;
		pthread_cond_signal(&queue_cond);
		pthread_mutex_unlock(&queue_lock);
	}
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	check(taken == 20000 && queued == 0, "20000 items through a condvar to 3 consumers",
	      "lost wake-up or item");

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&c, &attr);
	clock_gettime(CLOCK_MONOTONIC, &before);
	until = before;
	until.tv_nsec += 30 * 1000 * 1000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&m);
	int ret = pthread_cond_timedwait(&c, &m, &until);
	clock_gettime(CLOCK_MONOTONIC, &after);
	check(ret == ETIMEDOUT && pthread_mutex_trylock(&m) != 0 &&
	      (after.tv_sec - before.tv_sec) * 1000000000L + after.tv_nsec - before.tv_nsec >=
	      29 * 1000 * 1000,
	      "timedwait on a CLOCK_MONOTONIC condvar times out, the mutex held again", "wrong");
	pthread_mutex_unlock(&m);
	pthread_cond_destroy(&c);
	pthread_condattr_destroy(&attr);
}

static pthread_spinlock_t spin;

static void *count_under_spin(void *arg)
{
	for (int i = 0; i < 100000; i++) {
		pthread_spin_lock(&spin);
		counter++;
		pthread_spin_unlock(&spin);
	}
	return arg;
}

static void check_spinlocks(void)
{
	pthread_t t[3];

	pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE);
	counter = 0;
	for (int i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, count_under_spin, NULL);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	check(counter == 300000, "a spinlock excludes (3 threads)", "lost updates");
	pthread_spin_lock(&spin);
	check(pthread_spin_trylock(&spin) == EBUSY, "spin_trylock of a held spinlock is EBUSY",
	      "taken");
	pthread_spin_unlock(&spin);
	check(!pthread_spin_trylock(&spin), "and succeeds once it is free", "refused");
	pthread_spin_unlock(&spin);
	pthread_spin_destroy(&spin);
}

/* ---- misuse ------------------------------------------------------------------ */

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER, lock_b;

static void *a_then_b(void *arg)
{
	pthread_mutex_lock(&lock_a);
	pthread_mutex_lock(&lock_b);
	pthread_mutex_unlock(&lock_b);
	pthread_mutex_unlock(&lock_a);
	return arg;
}

static void *b_then_a(void *arg)
{
	pthread_mutex_lock(&lock_b);
	pthread_mutex_lock(&lock_a);
	pthread_mutex_unlock(&lock_a);
	pthread_mutex_unlock(&lock_b);
	return arg;
}

static int misuse(const char *how)
{
	if (!strcmp(how, "abba")) {
		pthread_mutex_init(&lock_b, NULL);
		in_thread(a_then_b, NULL);
		in_thread(b_then_a, NULL);
	} else if (!strcmp(how, "unlock-other")) {
		pthread_mutex_lock(&lock_a);
		in_thread(unlock_from_other, &lock_a);
	} else {
		fprintf(stderr, "preload_pthread: unknown misuse '%s'\n", how);
		return 2;
	}
	puts("misused");
	return 0;
}

static void run_checks(void)
{
	check_exclusion(&static_mutex, "a statically initialized mutex excludes (4 threads)");
	check_types();
	check_memory();
	check_condvars();
	check_spinlocks();
}
