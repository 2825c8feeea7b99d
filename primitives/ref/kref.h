/* SPDX-License-Identifier: MIT */
/*
 * kref.h - struct kref: refcount_t plus a release callback at the last put
 * (include/linux/kref.h). Nothing of its own: every rule is refcount_t's.
 */
#ifndef KPRIM_REF_KREF_H
#define KPRIM_REF_KREF_H

#include "ref/refcount.h"

struct kref {
	refcount_t refcount;
};

#define KREF_INIT(n)	{ .refcount = REFCOUNT_INIT(n) }

static inline void kref_init(struct kref *kref)
{
	refcount_set(&kref->refcount, 1);
}

static inline unsigned int kref_read(const struct kref *kref)
{
	return refcount_read(&kref->refcount);
}

static inline void kref_get(struct kref *kref)
{
	refcount_inc(&kref->refcount);
}

/* Returns 1 when release ran (the last reference went), else 0. */
static inline int kref_put(struct kref *kref, void (*release)(struct kref *kref))
{
	if (refcount_dec_and_test(&kref->refcount)) {
		release(kref);
		return 1;
	}
	return 0;
}

/* As kref_put(), but release runs with the mutex held and must drop it. */
static inline int kref_put_mutex(struct kref *kref, void (*release)(struct kref *kref),
				 struct mutex *lock)
{
	if (refcount_dec_and_mutex_lock(&kref->refcount, lock)) {
		release(kref);
		return 1;
	}
	return 0;
}

/* As kref_put(), but release runs with the spinlock held and must drop it. */
static inline int kref_put_lock(struct kref *kref, void (*release)(struct kref *kref),
				spinlock_t *lock)
{
	if (refcount_dec_and_lock(&kref->refcount, lock)) {
		release(kref);
		return 1;
	}
	return 0;
}

/* For lookups that race with the last put: take a reference unless it is 0. */
static inline __must_check int kref_get_unless_zero(struct kref *kref)
{
	return refcount_inc_not_zero(&kref->refcount);
}

#endif /* KPRIM_REF_KREF_H */
