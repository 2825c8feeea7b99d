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

/**
 * kref_init - initialize a kref with one reference
 * @kref: the kref, in the object it counts
 */
static inline void kref_init(struct kref *kref)
{
	refcount_set(&kref->refcount, 1);
}

/**
 * kref_read - the kref's count
 * @kref: the kref
 *
 * Return: the number of references; a snapshot.
 */
static inline unsigned int kref_read(const struct kref *kref)
{
	return refcount_read(&kref->refcount);
}

/**
 * kref_get - take one more reference
 * @kref: the kref; the caller must already hold a reference
 *
 * Saturates and reports as refcount_inc() does (an increment from 0 is
 * KP_REPORT_REFCOUNT_ADD_ON_ZERO).
 */
static inline void kref_get(struct kref *kref)
{
	refcount_inc(&kref->refcount);
}

/**
 * kref_put - drop a reference, releasing the object with the last one
 * @kref: the kref
 * @release: called with @kref when the count drops to 0; frees the object
 *
 * Memory ordering: as refcount_dec_and_test(): everything done with the
 * object before any put happens before @release.
 *
 * Return: 1 if @release ran (the last reference went), 0 otherwise.
 */
static inline int kref_put(struct kref *kref, void (*release)(struct kref *kref))
{
	if (refcount_dec_and_test(&kref->refcount)) {
		release(kref);
		return 1;
	}
	return 0;
}

/**
 * kref_put_mutex - drop a reference; the last one releases with a mutex held
 * @kref: the kref
 * @release: called with @lock held when the count drops to 0; must unlock it
 * @lock: the mutex that guards the structure the object is found through
 *
 * Context: may sleep.
 *
 * Return: 1 if @release ran, 0 otherwise.
 */
static inline int kref_put_mutex(struct kref *kref, void (*release)(struct kref *kref),
				 struct mutex *lock)
{
	if (refcount_dec_and_mutex_lock(&kref->refcount, lock)) {
		release(kref);
		return 1;
	}
	return 0;
}

/**
 * kref_put_lock - drop a reference; the last one releases with a spinlock held
 * @kref: the kref
 * @release: called with @lock held when the count drops to 0; must unlock it
 * @lock: the spinlock that guards the structure the object is found through
 *
 * Return: 1 if @release ran, 0 otherwise.
 */
static inline int kref_put_lock(struct kref *kref, void (*release)(struct kref *kref),
				spinlock_t *lock)
{
	if (refcount_dec_and_lock(&kref->refcount, lock)) {
		release(kref);
		return 1;
	}
	return 0;
}

/**
 * kref_get_unless_zero - take a reference unless the count is already 0
 * @kref: the kref
 *
 * For lookups that race with the last put: an object whose count reached
 * 0 is being released and must not be revived.
 *
 * Return: non-zero if a reference was taken, 0 otherwise.
 */
static inline __must_check int kref_get_unless_zero(struct kref *kref)
{
	return refcount_inc_not_zero(&kref->refcount);
}

#endif /* KPRIM_REF_KREF_H */
