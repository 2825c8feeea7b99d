/* SPDX-License-Identifier: MIT */
/*
 * arc.h - struct arc: a refcounted heap payload (rust/kernel/sync/arc.rs).
 *
 * One allocation: a refcount_t header, the payload's drop function, then the
 * payload, aligned for any type. The allocation takes the caller's gfp_t
 * (Arc::new(x, flags)); clone saturates rather than wraps (refcount_t); the
 * drop function runs exactly once, when the last reference is put, and the
 * memory goes back to kfree() right after. arc_pin_init() runs an
 * initializer (struct pin_init, core/pin.h) into the payload at its final
 * address and, if that fails, frees it without a drop (pin-init's
 * contract); the initializer's drop is then the arc's. It takes core's
 * initializer value only, so ref/ needs nothing of init/.
 */
#ifndef KPRIM_REF_ARC_H
#define KPRIM_REF_ARC_H

#include "alloc/gfp.h"
#include "ref/aref.h"
#include "ref/refcount.h"

typedef void (*arc_drop_fn)(void *payload);

struct arc {
	refcount_t refcount;
	arc_drop_fn drop;		/* arc_new()'s */
	const struct pin_init *init;	/* arc_pin_init()'s: its drop */
	_Alignas(max_align_t) unsigned char payload[];
};

/**
 * arc_new - a new arc holding one reference
 * @value: the payload's initial bytes; NULL zeroes it
 * @size: the payload's size
 * @drop: run on the payload when the last reference goes; may be NULL
 * @gfp: how to allocate (Arc::new(x, flags))
 *
 * Context: as kmalloc() with @gfp.
 *
 * Return: the arc, or NULL on failure.
 */
struct arc *arc_new(const void *value, size_t size, arc_drop_fn drop, gfp_t gfp);
/**
 * arc_pin_init - a new arc whose payload is built in place (Arc::pin_init)
 * @init: the payload's initializer (init/pin_init.h composes them); its
 *        drop runs when the last reference goes, so it must outlive the
 *        arc, as a type's drop does: a file-scope initializer
 * @gfp: how to allocate
 *
 * If allocation fails @init never runs; if @init fails the memory is freed
 * without a drop (pin-init's contract).
 *
 * Return: the arc, ERR_PTR(-ENOMEM) or ERR_PTR() of @init's errno.
 */
struct arc *arc_pin_init(const struct pin_init *init, gfp_t gfp);
/**
 * arc_put - drop one reference
 * @arc: the arc
 *
 * The last put runs the drop function once, then frees the memory.
 * Memory ordering: as refcount_dec_and_test().
 *
 * Return: true if it was the last reference.
 */
bool arc_put(struct arc *arc);

/**
 * arc_clone - take one more reference
 * @arc: the arc; the caller holds a reference
 *
 * Saturates rather than wraps (refcount_t).
 *
 * Return: @arc.
 */
static inline struct arc *arc_clone(struct arc *arc)
{
	refcount_inc(&arc->refcount);
	return arc;
}

/**
 * arc_is_unique - is the caller's reference the only one
 * @arc: the arc
 *
 * Return: true if the count is 1.
 */
static inline bool arc_is_unique(const struct arc *arc)
{
	return refcount_read(&arc->refcount) == 1;
}

/**
 * arc_payload - the payload of an arc
 * @arc: the arc
 *
 * Return: the payload, aligned for any type.
 */
static inline void *arc_payload(struct arc *arc)
{
	return arc->payload;
}

/**
 * arc_from_payload - the arc a payload belongs to (Arc::from_raw)
 * @payload: a payload from arc_payload()
 *
 * The count is untouched.
 *
 * Return: the arc.
 */
static inline struct arc *arc_from_payload(void *payload)
{
	return container_of(payload, struct arc, payload);
}

/* ARef ops over arcs: an aref to an arc payload is one arc reference. */
extern const struct aref_ops arc_aref_ops;

#endif /* KPRIM_REF_ARC_H */
