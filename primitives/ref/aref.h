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

static inline struct aref aref_from_raw(void *obj, const struct aref_ops *ops)
{
	return (struct aref){ .obj = obj, .ops = ops };
}

static inline void *aref_into_raw(struct aref *ref)
{
	void *obj = ref->obj;

	ref->obj = NULL;
	return obj;
}

static inline struct aref aref_get(void *obj, const struct aref_ops *ops)
{
	ops->inc_ref(obj);
	return aref_from_raw(obj, ops);
}

static inline struct aref aref_clone(const struct aref *ref)
{
	if (unlikely(!ref->obj))
		return *ref;
	return aref_get(ref->obj, ref->ops);
}

static inline void aref_drop(struct aref *ref)
{
	void *obj = aref_into_raw(ref);

	if (obj)
		ref->ops->dec_ref(obj);
}

/* Borrow the object; the aref keeps its count. */
static inline void *aref_ptr(const struct aref *ref)
{
	return ref->obj;
}

#endif /* KPRIM_REF_AREF_H */
