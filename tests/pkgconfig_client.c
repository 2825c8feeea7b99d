// SPDX-License-Identifier: MIT
/*
 * pkgconfig_client.c - a program built the way a user builds one, against
 * any variant, with nothing but `cc $(pkg-config --cflags --libs
 * kprim-<variant>)` (tests/install.sh does so for every variant).
 *
 * It checks what a layout mismatch between headers and library broke
 * before the configuration travelled with the variant: mutual exclusion
 * of struct mutex, raw_spinlock_t and smutex under three threads, trylock
 * on a stack mutex, and, where the variant has lockdep, an ABBA, a
 * three-lock cycle and a recursive mutex_lock reported (and refused)
 * instead of missed or hung. Prints TAP; argv[1] is the variant it
 * expects to have been built against.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <kprim.h>

#define THREADS		3
#define ROUNDS		20000
#ifdef KP_LOCKDEP
#define LOCKDEP_TESTS	3
#else
#define LOCKDEP_TESTS	0
#endif
#define PLANNED(argc)	(7 + ((argc) > 1) + LOCKDEP_TESTS)

static int nr_tests;
static int nr_failed;

static void check(bool ok, const char *what)
{
	printf("%sok %d - %s\n", ok ? "" : "not ", ++nr_tests, what);
	nr_failed += !ok;
}

static void quiet_handler(const struct kp_report *r)
{
	(void)r;		/* counted by kprim; the faulty call is refused */
}

enum lock_kind { MUTEX, RAW_SPINLOCK, SMUTEX };

static struct mutex shared_mutex;
static raw_spinlock_t shared_spinlock;
static DEFINE_SMUTEX(shared_smutex);
static unsigned long counter;	/* plain: only the lock orders the writers */

static void *hammer(void *arg)
{
	enum lock_kind kind = (enum lock_kind)(uintptr_t)arg;

	for (int i = 0; i < ROUNDS; i++) {
		switch (kind) {
		case MUTEX:
			mutex_lock(&shared_mutex);
			counter++;
			mutex_unlock(&shared_mutex);
			break;
		case RAW_SPINLOCK:
			raw_spin_lock(&shared_spinlock);
			counter++;
			raw_spin_unlock(&shared_spinlock);
			break;
		case SMUTEX:
			smutex_lock(&shared_smutex);
			counter++;
			smutex_unlock(&shared_smutex);
			break;
		}
	}
	return NULL;
}

static bool excludes(enum lock_kind kind)
{
	pthread_t t[THREADS];

	counter = 0;
	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, hammer, (void *)(uintptr_t)kind);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	return counter == (unsigned long)THREADS * ROUNDS;
}

static void *try_from_another_task(void *arg)
{
	bool got = mutex_trylock(arg);

	if (got)
		mutex_unlock(arg);
	return (void *)(uintptr_t)got;
}

static void trylock_on_the_stack(void)
{
	struct mutex m;
	pthread_t t;
	void *other_got;
	bool first;

	mutex_init(&m);
	first = mutex_trylock(&m);
	pthread_create(&t, NULL, try_from_another_task, &m);
	pthread_join(t, &other_got);
	if (first)
		mutex_unlock(&m);
	check(first && !other_got && !mutex_is_locked(&m),
	      "mutex_trylock on a stack mutex: taken, then refused to another task");
	mutex_destroy(&m);
}

#ifdef KP_LOCKDEP
static void lockdep_reports(void)
{
	static DEFINE_MUTEX(a);
	static DEFINE_MUTEX(b);
	static DEFINE_MUTEX(c);
	static DEFINE_MUTEX(x);
	static DEFINE_MUTEX(y);

	kp_report_reset();
	mutex_lock(&x);
	mutex_lock(&y);
	mutex_unlock(&y);
	mutex_unlock(&x);
	mutex_lock(&y);
	mutex_lock(&x);		/* refused */
	mutex_unlock(&x);
	mutex_unlock(&y);
	check(kp_report_count(KP_REPORT_CIRCULAR_LOCKING) == 1, "lockdep reports an ABBA");

	kp_report_reset();
	mutex_lock(&a);
	mutex_lock(&b);
	mutex_unlock(&b);
	mutex_unlock(&a);
	mutex_lock(&b);
	mutex_lock(&c);
	mutex_unlock(&c);
	mutex_unlock(&b);
	mutex_lock(&c);
	mutex_lock(&a);		/* c -> a closes a -> b -> c: refused */
	mutex_unlock(&a);
	mutex_unlock(&c);
	check(kp_report_count(KP_REPORT_CIRCULAR_LOCKING) == 1,
	      "lockdep reports a three-lock cycle");

	kp_report_reset();
	mutex_lock(&a);
	mutex_lock(&a);		/* refused, not a hang */
	mutex_unlock(&a);
	check(kp_report_count(KP_REPORT_LOCK_RECURSION) == 1 && !mutex_is_locked(&a),
	      "a recursive mutex_lock is reported and refused");
}
#endif

int main(int argc, char **argv)
{
	struct kvec v = KVEC_INIT(int, KVEC_KVMALLOC);
	bool pushed = true;
	void *p;

	printf("1..%d\n", PLANNED(argc));
	kp_report_set_handler(quiet_handler);
	if (argc > 1)
		check(strcmp(argv[1], KP_VARIANT) == 0, "built against the variant asked for");

	mutex_init(&shared_mutex);
	raw_spin_lock_init(&shared_spinlock);
	check(excludes(MUTEX), "struct mutex excludes three threads");
	check(excludes(RAW_SPINLOCK), "raw_spinlock_t excludes three threads");
	check(excludes(SMUTEX), "smutex excludes three threads");
	trylock_on_the_stack();

	for (int i = 0; i < 10000 && pushed; i++)
		pushed = kvec_push(&v, &i, GFP_KERNEL) == 0;
	check(pushed && v.len == 10000 && *(int *)kvec_at(&v, 9999) == 9999,
	      "a KVVec grows to 10000 elements with GFP_KERNEL");
	kvec_free(&v);

	p = kmalloc(48, GFP_KERNEL);
	kfree(p);
	kp_report_reset();
	kfree(p);
	check(kp_report_count(KP_REPORT_DOUBLE_FREE) == 1, "a double kfree is reported");
	check(kp_kmemleak_report(NULL) == 0, "nothing is left allocated");
#ifdef KP_LOCKDEP
	lockdep_reports();
#endif
	return nr_failed != 0 || nr_tests != PLANNED(argc);
}
