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

static inline void refcount_set(refcount_t *r, int n)
{
	kp_atomic_store(&r->refs, n, KP_RELAXED);
}

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

static inline __must_check bool refcount_add_not_zero(int i, refcount_t *r)
{
	return __refcount_add_not_zero(i, r, NULL);
}

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

static inline void refcount_add(int i, refcount_t *r)
{
	__refcount_add(i, r, NULL);
}

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

static inline __must_check bool refcount_sub_and_test(int i, refcount_t *r)
{
	return __refcount_sub_and_test(i, r, NULL);
}

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

static inline void refcount_dec(refcount_t *r)
{
	__refcount_dec(r, NULL);
}

/* 1 -> 0 only; true if it did so. */
__must_check bool refcount_dec_if_one(refcount_t *r);
/* Decrement unless the count is 1; true if it decremented (or is saturated). */
__must_check bool refcount_dec_not_one(refcount_t *r);
/* Decrement; on reaching 0 return true with the lock held. */
__must_check bool refcount_dec_and_lock(refcount_t *r, spinlock_t *lock);
__must_check bool refcount_dec_and_lock_irqsave(refcount_t *r, spinlock_t *lock,
						unsigned long *flags);
__must_check bool refcount_dec_and_mutex_lock(refcount_t *r, struct mutex *lock);

#endif /* KPRIM_REF_REFCOUNT_H */
