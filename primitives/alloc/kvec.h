/* SPDX-License-Identifier: MIT */
/*
 * kvec.h - a growable array whose every growth takes gfp_t and may fail:
 * Rust-for-Linux's Vec<T, A> (rust/kernel/alloc/kvec.rs) with its three
 * allocators, KVec (kmalloc), VVec (vmalloc) and KVVec (kvmalloc).
 *
 * Growth follows RawVec: reserving n more grows the capacity to
 * max(2 * cap, len + n). A failed growth returns -ENOMEM and leaves the
 * vector exactly as it was, because the reallocators keep the old block on
 * failure. An empty vector owns no memory.
 */
#ifndef KPRIM_ALLOC_KVEC_H
#define KPRIM_ALLOC_KVEC_H

#include <string.h>

#include "alloc/vmalloc.h"
#include "core/pin.h"

enum kvec_alloc { KVEC_KMALLOC, KVEC_VMALLOC, KVEC_KVMALLOC };

struct kvec {
	void *data;
	size_t len, cap;	/* in elements */
	size_t elem_size;
	enum kvec_alloc alloc;
};

/**
 * KVEC_INIT - a static initializer for an empty vector
 * @type: the element type
 * @allocator: KVEC_KMALLOC (KVec), KVEC_VMALLOC (VVec) or KVEC_KVMALLOC (KVVec)
 */
#define KVEC_INIT(type, allocator) \
	{ .data = NULL, .len = 0, .cap = 0, .elem_size = sizeof(type), .alloc = (allocator) }

/**
 * kvec_init - initialize an empty vector
 * @v: the vector
 * @elem_size: the size of one element; 0 is allowed (nothing is stored)
 * @alloc: which allocator backs it
 *
 * An empty vector owns no memory.
 */
void kvec_init(struct kvec *v, size_t elem_size, enum kvec_alloc alloc);
/* What KVEC_PIN_INIT() carries. */
struct kvec_pin_arg {
	size_t elem_size;
	enum kvec_alloc alloc;
	size_t capacity;
	gfp_t gfp;
};
int __kvec_pin_init(void *slot, const void *arg);
void __kvec_pin_drop(void *obj, const void *arg);
/**
 * KVEC_PIN_INIT - an initializer of a vector with room for some elements
 * @type: the element type
 * @allocator: KVEC_KMALLOC, KVEC_VMALLOC or KVEC_KVMALLOC
 * @capacity: elements to make room for (KVec::with_capacity); 0 allocates nothing
 * @gfp: how to allocate
 *
 * Fails with -ENOMEM, leaving nothing; drops with kvec_free().
 */
#define KVEC_PIN_INIT(type, allocator, capacity, gfp)					\
	((struct pin_init){ .init = __kvec_pin_init, .drop = __kvec_pin_drop,		\
			    .arg = &(const struct kvec_pin_arg){ sizeof(type), (allocator),	\
								 (capacity), (gfp) },		\
			    .size = sizeof(struct kvec) })

/**
 * kvec_reserve - make room for more elements
 * @v: the vector
 * @additional: how many more elements must fit without a growth
 * @gfp: how to allocate
 *
 * Grows the capacity to max(2 * cap, len + @additional), as RawVec does.
 *
 * Context: as the backing allocator with @gfp.
 *
 * Return: 0, or -ENOMEM (also on size overflow) with @v unchanged.
 */
int kvec_reserve(struct kvec *v, size_t additional, gfp_t gfp);
int kvec_push_slowpath(struct kvec *v, const void *elem, gfp_t gfp);
/**
 * kvec_extend_from_slice - append several elements
 * @v: the vector
 * @elems: @n elements of the vector's element size
 * @n: how many
 * @gfp: how to allocate, if it must grow
 *
 * Return: 0, or -ENOMEM with @v unchanged.
 */
int kvec_extend_from_slice(struct kvec *v, const void *elems, size_t n, gfp_t gfp);
/**
 * kvec_truncate - drop the elements past a length
 * @v: the vector
 * @len: the new length; no effect if it is not below the current one
 *
 * The capacity stays.
 */
void kvec_truncate(struct kvec *v, size_t len);
/**
 * kvec_free - free a vector's storage
 * @v: the vector; empty and reusable afterwards
 */
void kvec_free(struct kvec *v);

/**
 * kvec_at - the address of an element
 * @v: the vector
 * @i: the index, below the length (not checked)
 *
 * Return: the element's address, valid until the vector grows or is freed.
 */
static inline void *kvec_at(const struct kvec *v, size_t i)
{
	return (char *)v->data + i * v->elem_size;
}

/**
 * kvec_push - append one element
 * @v: the vector
 * @elem: the element, elem_size bytes (a valid pointer even when it is 0)
 * @gfp: how to allocate, if it must grow
 *
 * Context: as the backing allocator with @gfp when it grows; a push into
 * spare capacity never allocates.
 *
 * Return: 0, or -ENOMEM with @v unchanged.
 */
static inline int kvec_push(struct kvec *v, const void *elem, gfp_t gfp)
{
	if (likely(v->len < v->cap)) {
		memcpy(kvec_at(v, v->len), elem, v->elem_size);
		v->len++;
		return 0;
	}
	return kvec_push_slowpath(v, elem, gfp);	/* growth, or zero-sized elements */
}

#endif /* KPRIM_ALLOC_KVEC_H */
