/* SPDX-License-Identifier: MIT */
/*
 * refcount.h - refcount_t: an atomic counter that refuses to wrap.
 *
 * Follows include/linux/refcount.h and lib/refcount.c. The operations are
 * single RMWs (no cmpxchg loops on the hot paths): the counter is allowed
 * to take an unchecked value for a moment, then a bad old value sends the
 * caller to refcount_warn_saturate(), which pins the counter at
 * REFCOUNT_SATURATED and reports. From there it never moves: a leak is
 * preferred to a use-after-free. Memory orders, as in
 * Documentation/core-api/refcount-vs-atomic.rst: set/read/inc/add
 * unordered, dec and sub RELEASE, *_and_test RELEASE plus ACQUIRE on
 * success, *_not_zero a control dependency on success.
 *
 * Arithmetic on old values goes through unsigned casts: the kernel builds
 * with -fno-strict-overflow, C does not promise wrapping on int.
 */
#ifndef KPRIM_REF_REFCOUNT_H
#define KPRIM_REF_REFCOUNT_H

#include <limits.h>

#include "core/atomic.h"
#include "core/pin.h"
#include "sync/mutex.h"
#include "sync/spinlock.h"

typedef struct refcount_struct {
	int refs;
} refcount_t;

#define REFCOUNT_INIT(n)	{ .refs = (n) }
#define REFCOUNT_MAX		INT_MAX
#define REFCOUNT_SATURATED	(INT_MIN / 2)

enum refcount_saturation_type {
	REFCOUNT_ADD_NOT_ZERO_OVF,
	REFCOUNT_ADD_OVF,
	REFCOUNT_ADD_UAF,
	REFCOUNT_SUB_UAF,
	REFCOUNT_DEC_LEAK,
};

/* Saturate r and report; the slow path of every operation below. */
__cold __noinline void refcount_warn_saturate(refcount_t *r, enum refcount_saturation_type t);

/**
 * refcount_set - set a refcount's value
 * @r: the refcount
 * @n: the value to set
 *
 * Context: any. Memory ordering: none (a relaxed store); publish the
 * object some other way before another task reads the count.
 */
static inline void refcount_set(refcount_t *r, int n)
{
	kp_atomic_store(&r->refs, n, KP_RELAXED);
}

/**
 * REFCOUNT_PIN_INIT - an initializer of a refcount
 * @n: its first value
 *
 * Never fails; nothing to drop. A value written before the object is
 * published, as refcount_set()'s relaxed store is: the composite walks
 * copy it in place without a call (init/pin_init.h).
 */
#define REFCOUNT_PIN_INIT(n)	PIN_VALUE(refcount_t, .refs = (n))

/**
 * refcount_read - get a refcount's value
 * @r: the refcount
 *
 * Memory ordering: none (a relaxed load).
 *
 * Return: the refcount's value; REFCOUNT_SATURATED's bits once saturated.
 */
static inline unsigned int refcount_read(const refcount_t *r)
{
	return (unsigned int)kp_atomic_load(&r->refs, KP_RELAXED);
}

/* old + i, wrapping like the kernel's int arithmetic. */
static inline int refcount__wrap_add(int old, int i)
{
	return (int)((unsigned int)old + (unsigned int)i);
}

static inline __must_check bool __refcount_add_not_zero(int i, refcount_t *r, int *oldp)
{
	int old = kp_atomic_load(&r->refs, KP_RELAXED);

	do {
		if (!old)
			break;
	} while (!kp_atomic_try_cmpxchg(&r->refs, &old, refcount__wrap_add(old, i),
					KP_RELAXED));
	if (oldp)
		*oldp = old;
	if (unlikely(old < 0 || refcount__wrap_add(old, i) < 0))
		refcount_warn_saturate(r, REFCOUNT_ADD_NOT_ZERO_OVF);
	return old;
}

/**
 * refcount_add_not_zero - add a value to a refcount unless it is 0
 * @i: the value to add
 * @r: the refcount
 *
 * Will saturate at REFCOUNT_SATURATED and report KP_REPORT_REFCOUNT_SATURATED
 * instead of overflowing. Prefer refcount_inc_not_zero(): a caller that adds
 * more than one reference at once is rarely right about how many it needs.
 * __refcount_add_not_zero() also stores the old value through @oldp.
 *
 * Context: any. Memory ordering: none on failure; on success a control
 * dependency orders later stores after the read of a non-zero count.
 *
 * Return: false if the passed refcount is 0, true otherwise.
 */
static inline __must_check bool refcount_add_not_zero(int i, refcount_t *r)
{
	return __refcount_add_not_zero(i, r, NULL);
}

/**
 * refcount_inc_not_zero - increment a refcount unless it is 0
 * @r: the refcount to increment
 *
 * The way to take a reference to an object found through a lookup
 * structure whose own reference may be the last: a count of 0 means the
 * object is on its way to being freed and must not be revived. Saturates
 * and reports instead of overflowing.
 *
 * Context: any. Memory ordering: as refcount_add_not_zero().
 *
 * Return: true if the increment was successful, false otherwise.
 */
static inline __must_check bool refcount_inc_not_zero(refcount_t *r)
{
	return __refcount_add_not_zero(1, r, NULL);
}

static inline void __refcount_add(int i, refcount_t *r, int *oldp)
{
	int old = kp_atomic_fetch_add(&r->refs, i, KP_RELAXED);

	if (oldp)
		*oldp = old;
	if (unlikely(!old))
		refcount_warn_saturate(r, REFCOUNT_ADD_UAF);
	else if (unlikely(old < 0 || refcount__wrap_add(old, i) < 0))
		refcount_warn_saturate(r, REFCOUNT_ADD_OVF);
}

/**
 * refcount_add - add a value to a refcount
 * @i: the value to add
 * @r: the refcount
 *
 * Adding to a count of 0 is a use-after-free: it is reported as
 * KP_REPORT_REFCOUNT_ADD_ON_ZERO and the count saturates. Overflow
 * saturates and reports KP_REPORT_REFCOUNT_SATURATED. __refcount_add()
 * also stores the old value through @oldp.
 *
 * Context: any. Memory ordering: none; the caller must already hold a
 * reference, which orders it against the free.
 */
static inline void refcount_add(int i, refcount_t *r)
{
	__refcount_add(i, r, NULL);
}

/**
 * refcount_inc - increment a refcount
 * @r: the refcount to increment
 *
 * As refcount_add() with 1: an increment from 0 is reported as
 * KP_REPORT_REFCOUNT_ADD_ON_ZERO and saturates, as does an overflow
 * (KP_REPORT_REFCOUNT_SATURATED). kprim reports each time, where the
 * kernel's refcount_warn_saturate() warns once.
 *
 * Context: any. Memory ordering: none; the caller already holds a reference.
 */
static inline void refcount_inc(refcount_t *r)
{
	__refcount_add(1, r, NULL);
}

static inline __must_check bool __refcount_sub_and_test(int i, refcount_t *r, int *oldp)
{
	int old = kp_atomic_fetch_sub(&r->refs, i, KP_RELEASE);

	if (oldp)
		*oldp = old;
	if (old == i) {
		smp_acquire_after_rmw(&r->refs);
		return true;
	}
	if (unlikely(old < 0 || refcount__wrap_add(old, -i) < 0))
		refcount_warn_saturate(r, REFCOUNT_SUB_UAF);
	return false;
}

/**
 * refcount_sub_and_test - subtract from a refcount and test if it is 0
 * @i: amount to subtract from the refcount
 * @r: the refcount
 *
 * Going below 0 is reported as KP_REPORT_REFCOUNT_UNDERFLOW and the count
 * saturates; a saturated count stays put. __refcount_sub_and_test() also
 * stores the old value through @oldp.
 *
 * Context: any. Memory ordering: a release, so every earlier access to
 * the object happens before the count drops; and, when it returns true,
 * an acquire, so the caller's free happens after every other holder's
 * last access.
 *
 * Return: true if the resulting refcount is 0, false otherwise.
 */
static inline __must_check bool refcount_sub_and_test(int i, refcount_t *r)
{
	return __refcount_sub_and_test(i, r, NULL);
}

/**
 * refcount_dec_and_test - decrement a refcount and test if it is 0
 * @r: the refcount
 *
 * The last put of an object: when it returns true the caller frees it.
 * Underflow is reported as KP_REPORT_REFCOUNT_UNDERFLOW and saturates.
 *
 * Context: any. Memory ordering: release, plus acquire when it returns
 * true (see refcount_sub_and_test()).
 *
 * Return: true if the resulting refcount is 0, false otherwise.
 */
static inline __must_check bool refcount_dec_and_test(refcount_t *r)
{
	return __refcount_sub_and_test(1, r, NULL);
}

/* For a count known not to reach zero: hitting 0 is a leak, reported. */
static inline void __refcount_dec(refcount_t *r, int *oldp)
{
	int old = kp_atomic_fetch_sub(&r->refs, 1, KP_RELEASE);

	if (oldp)
		*oldp = old;
	if (unlikely(old <= 1))
		refcount_warn_saturate(r, REFCOUNT_DEC_LEAK);
}

/**
 * refcount_dec - decrement a refcount that must not reach 0
 * @r: the refcount
 *
 * For a reference that is known not to be the last. Reaching 0 here would
 * leak the object (nobody is left to free it): it is reported as
 * KP_REPORT_REFCOUNT_DEC_TO_ZERO and the count saturates.
 * __refcount_dec() also stores the old value through @oldp.
 *
 * Context: any. Memory ordering: release.
 */
static inline void refcount_dec(refcount_t *r)
{
	__refcount_dec(r, NULL);
}

/**
 * refcount_dec_if_one - decrement a refcount if it is 1
 * @r: the refcount
 *
 * Only 1 -> 0, in one cmpxchg: for an owner that wants to tear the object
 * down only if nobody else holds it.
 *
 * Context: any. Memory ordering: release on success, none on failure.
 *
 * Return: true if the refcount was 1 and is now 0, false otherwise.
 */
__must_check bool refcount_dec_if_one(refcount_t *r);
/**
 * refcount_dec_not_one - decrement a refcount if it is not 1
 * @r: the refcount
 *
 * The first half of refcount_dec_and_lock(): decrements unless that would
 * drop the last reference. A saturated count is left saturated.
 *
 * Context: any. Memory ordering: release on a decrement.
 *
 * Return: true if it decremented (or the count is saturated), false if
 * the count is 1 and was left alone. Underflow from 0 is reported as
 * KP_REPORT_REFCOUNT_UNDERFLOW and returns true.
 */
__must_check bool refcount_dec_not_one(refcount_t *r);
/**
 * refcount_dec_and_lock - return holding the spinlock if able to decrement to 0
 * @r: the refcount
 * @lock: the spinlock to take when the count drops to 0
 *
 * For an object kept in a structure under @lock: the last put must remove
 * it from there before anyone can look it up again, so the count drops to
 * 0 only with @lock held. refcount_dec_and_lock_irqsave() also disables
 * irqs and saves the flags through @flags.
 *
 * Context: may spin on @lock; not in a section that holds it.
 * Memory ordering: as refcount_dec_and_test().
 *
 * Return: true, with @lock held, if the count dropped to 0; false otherwise.
 */
__must_check bool refcount_dec_and_lock(refcount_t *r, spinlock_t *lock);
__must_check bool refcount_dec_and_lock_irqsave(refcount_t *r, spinlock_t *lock,
						unsigned long *flags);
/**
 * refcount_dec_and_mutex_lock - return holding the mutex if able to decrement to 0
 * @r: the refcount
 * @lock: the mutex to take when the count drops to 0
 *
 * As refcount_dec_and_lock(), with a mutex.
 *
 * Context: may sleep (it takes a mutex): not in atomic context.
 *
 * Return: true, with @lock held, if the count dropped to 0; false otherwise.
 */
__must_check bool refcount_dec_and_mutex_lock(refcount_t *r, struct mutex *lock);

#endif /* KPRIM_REF_REFCOUNT_H */
