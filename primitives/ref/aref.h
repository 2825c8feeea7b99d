/* SPDX-License-Identifier: MIT */
/*
 * aref.h - struct aref: an owned reference to an always-refcounted object.
 *
 * The C form of Rust-for-Linux's ARef<T> over AlwaysRefCounted
 * (rust/kernel/types.rs, rust/kernel/sync/aref.rs): the object's type
 * supplies inc_ref/dec_ref, and an aref owns exactly one count. Cloning is
 * one inc_ref, dropping one dec_ref; aref_from_raw() adopts a count the
 * caller already holds and aref_into_raw() hands it back, neither touching
 * the count. C has no moves, so a dropped or converted aref is left empty
 * (obj == NULL) and dropping an empty aref does nothing: the C spelling of
 * "moved out". aref_get() follows the kernel's "get" convention: it takes a
 * new reference on a borrowed object (Rust's ARef::from(&T)).
 */
#ifndef KPRIM_REF_AREF_H
#define KPRIM_REF_AREF_H

#include "core/compiler.h"

struct aref_ops {
	void (*inc_ref)(void *obj);
	void (*dec_ref)(void *obj);	/* may free obj */
};

struct aref {
	void *obj;
	const struct aref_ops *ops;
};

/**
 * aref_from_raw - adopt a reference the caller already holds
 * @obj: the object, whose count includes the caller's reference
 * @ops: how to take and drop references to it
 *
 * The count is not touched: the aref now owns the caller's reference
 * (ARef::from_raw).
 *
 * Return: the aref.
 */
static inline struct aref aref_from_raw(void *obj, const struct aref_ops *ops)
{
	return (struct aref){ .obj = obj, .ops = ops };
}

/**
 * aref_into_raw - give up the aref, keeping its reference
 * @ref: the aref; empty afterwards
 *
 * The count is not touched: the caller now owns the reference.
 *
 * Return: the object.
 */
static inline void *aref_into_raw(struct aref *ref)
{
	void *obj = ref->obj;

	ref->obj = NULL;
	return obj;
}

/**
 * aref_get - take a new reference to an object as an aref
 * @obj: the object
 * @ops: how to take and drop references to it
 *
 * One inc_ref().
 *
 * Return: the aref.
 */
static inline struct aref aref_get(void *obj, const struct aref_ops *ops)
{
	ops->inc_ref(obj);
	return aref_from_raw(obj, ops);
}

/**
 * aref_clone - another aref to the same object
 * @ref: the aref; an empty one clones to an empty one
 *
 * One inc_ref().
 *
 * Return: the new aref.
 */
static inline struct aref aref_clone(const struct aref *ref)
{
	if (unlikely(!ref->obj))
		return *ref;
	return aref_get(ref->obj, ref->ops);
}

/**
 * aref_drop - drop the aref's reference
 * @ref: the aref; empty afterwards, and dropping an empty one does nothing
 *
 * One dec_ref(), which may free the object.
 */
static inline void aref_drop(struct aref *ref)
{
	void *obj = aref_into_raw(ref);

	if (obj)
		ref->ops->dec_ref(obj);
}

/**
 * aref_ptr - borrow the object
 * @ref: the aref, which keeps its reference
 *
 * Return: the object, valid while @ref holds it.
 */
static inline void *aref_ptr(const struct aref *ref)
{
	return ref->obj;
}

#endif /* KPRIM_REF_AREF_H */
