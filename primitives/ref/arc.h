/* SPDX-License-Identifier: MIT */
/*
 * arc.h - struct arc: a refcounted heap payload (rust/kernel/sync/arc.rs).
 *
 * One allocation: a refcount_t header, the payload's drop function, then the
 * payload, aligned for any type. The allocation takes the caller's gfp_t
 * (Arc::new(x, flags)); clone saturates rather than wraps (refcount_t); the
 * drop function runs exactly once, when the last reference is put, and the
 * memory goes back to kfree() right after. arc_pin_init() initializes the
 * payload in place at its final address and, if that fails, frees it
 * without running drop (pin-init's contract).
 */
#ifndef KPRIM_REF_ARC_H
#define KPRIM_REF_ARC_H

#include "alloc/gfp.h"
#include "ref/aref.h"
#include "ref/refcount.h"

typedef void (*arc_drop_fn)(void *payload);
typedef int (*arc_init_fn)(void *slot, void *arg);	/* 0 or -errno */

struct arc {
	refcount_t refcount;
	arc_drop_fn drop;
	_Alignas(max_align_t) unsigned char payload[];
};

/*
 * A new arc holding one reference, its payload a copy of size bytes at
 * value (zeroed if value is NULL). drop may be NULL. NULL on failure.
 */
struct arc *arc_new(const void *value, size_t size, arc_drop_fn drop, gfp_t gfp);
/* A new arc whose payload init() builds in place; ERR_PTR(-errno) on failure. */
struct arc *arc_pin_init(size_t size, arc_init_fn init, void *arg, arc_drop_fn drop,
			 gfp_t gfp);
/* Put one reference; true if it was the last (drop ran, memory freed). */
bool arc_put(struct arc *arc);

/* Take one more reference; returns arc. */
static inline struct arc *arc_clone(struct arc *arc)
{
	refcount_inc(&arc->refcount);
	return arc;
}

/* True when the caller's reference is the only one. */
static inline bool arc_is_unique(const struct arc *arc)
{
	return refcount_read(&arc->refcount) == 1;
}

static inline void *arc_payload(struct arc *arc)
{
	return arc->payload;
}

/* The arc whose payload this is (Arc::from_raw); the count is untouched. */
static inline struct arc *arc_from_payload(void *payload)
{
	return container_of(payload, struct arc, payload);
}

/* ARef ops over arcs: an aref to an arc payload is one arc reference. */
extern const struct aref_ops arc_aref_ops;

#endif /* KPRIM_REF_ARC_H */
