// SPDX-License-Identifier: MIT
/*
 * misuse.c - three bugs on purpose, and the kernel-style reports kprim
 * prints for them.
 *
 * A double kfree(), two mutexes taken in both orders (ABBA: the deadlock
 * lockdep predicts before it happens), and a GFP_KERNEL allocation, which
 * may sleep, under a spinlock. The debug variant reports all three, in the
 * kernel's words; the release variant keeps only what costs its fast
 * paths nothing (the double free: the page map knows what is free).
 *
 * By default a report aborts, as a kernel oops stops a fuzzer; here
 * kp_report_print() is the handler instead, so each report is printed and
 * the faulty operation refused, and the program goes on to the next one.
 *
 *   cc $(pkg-config --cflags kprim-debug) misuse.c \
 *      $(pkg-config --libs kprim-debug) -o misuse && ./misuse
 */
#include <stdio.h>

#include <kprim.h>

static DEFINE_MUTEX(lock_a);
static DEFINE_MUTEX(lock_b);
static DEFINE_SPINLOCK(stats_lock);

static void double_free(void)
{
	void *p = kmalloc(64, GFP_KERNEL);

	kfree(p);
	kfree(p);		/* BUG: the second free is refused */
}

static void abba(void)
{
	mutex_lock(&lock_a);
	mutex_lock(&lock_b);	/* lockdep learns a -> b */
	mutex_unlock(&lock_b);
	mutex_unlock(&lock_a);

	mutex_lock(&lock_b);
	mutex_lock(&lock_a);	/* b -> a closes the cycle: reported, not taken */
	mutex_unlock(&lock_a);
	mutex_unlock(&lock_b);
}

static void sleep_under_spinlock(void)
{
	void *p;

	spin_lock(&stats_lock);
	p = kmalloc(128, GFP_KERNEL);	/* BUG: may sleep in atomic context */
	spin_unlock(&stats_lock);
	kfree(p);
}

struct expectation {
	const char *what;
	enum kp_report_kind kind;
	bool reported_here;	/* does this variant check it? */
};

int main(void)
{
	const struct expectation expect[] = {
		{ "double free", KP_REPORT_DOUBLE_FREE, true },
#ifdef KP_LOCKDEP
		{ "ABBA", KP_REPORT_CIRCULAR_LOCKING, true },
#else
		{ "ABBA", KP_REPORT_CIRCULAR_LOCKING, false },
#endif
#ifdef KP_DEBUG
		{ "GFP_KERNEL under a spinlock", KP_REPORT_SLEEP_IN_ATOMIC, true },
#else
		{ "GFP_KERNEL under a spinlock", KP_REPORT_SLEEP_IN_ATOMIC, false },
#endif
	};
	int failed = 0;

	kp_report_set_handler(kp_report_print);
	double_free();
	abba();
	sleep_under_spinlock();

	printf("misuse: kprim %s variant\n", KP_VARIANT);
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		unsigned long n = kp_report_count(expect[i].kind);

		if (expect[i].reported_here)
			printf("misuse: %s: %s reported %lu time(s)\n", expect[i].what,
			       kp_report_kind_name(expect[i].kind), n);
		else
			printf("misuse: %s: not checked by this variant (use kprim-debug)\n",
			       expect[i].what);
		failed |= n != (expect[i].reported_here ? 1 : 0);
	}
	return failed;
}
