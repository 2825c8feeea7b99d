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

enum kvec_alloc { KVEC_KMALLOC, KVEC_VMALLOC, KVEC_KVMALLOC };

struct kvec {
	void *data;
	size_t len, cap;	/* in elements */
	size_t elem_size;
	enum kvec_alloc alloc;
};

#define KVEC_INIT(type, allocator) \
	{ .data = NULL, .len = 0, .cap = 0, .elem_size = sizeof(type), .alloc = (allocator) }

void kvec_init(struct kvec *v, size_t elem_size, enum kvec_alloc alloc);
/* Room for additional more elements; 0 or -ENOMEM (v unchanged). */
int kvec_reserve(struct kvec *v, size_t additional, gfp_t gfp);
int kvec_push_slow(struct kvec *v, const void *elem, gfp_t gfp);
/* Append n elements; 0 or -ENOMEM (v unchanged). */
int kvec_extend_from_slice(struct kvec *v, const void *elems, size_t n, gfp_t gfp);
/* Drop elements past len (no effect if len >= v->len); the capacity stays. */
void kvec_truncate(struct kvec *v, size_t len);
/* Free the storage; v is empty and reusable afterwards. */
void kvec_free(struct kvec *v);

static inline void *kvec_at(const struct kvec *v, size_t i)
{
	return (char *)v->data + i * v->elem_size;
}

/*
 * Append one element (elem_size bytes at elem, a valid pointer even when
 * elem_size is 0); 0 or -ENOMEM (v unchanged).
 */
static inline int kvec_push(struct kvec *v, const void *elem, gfp_t gfp)
{
	if (likely(v->len < v->cap)) {
		memcpy(kvec_at(v, v->len), elem, v->elem_size);
		v->len++;
		return 0;
	}
	return kvec_push_slow(v, elem, gfp);	/* growth, or zero-sized elements */
}

#endif /* KPRIM_ALLOC_KVEC_H */
