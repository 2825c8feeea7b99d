/* SPDX-License-Identifier: MIT */
/*
 * slab.h - kmalloc and slab caches (include/linux/slab.h).
 *
 * Slab caches (kmem_cache_*) are SLUB's design (mm/slub.c, alloc/slub.c):
 * per-task sheaves of free objects in front of per-task slabs with
 * lock-free freelists, remote frees pushed on the slab itself, partial
 * slabs per NUMA node. kmalloc (alloc/kmalloc.c)
 * serves 8 B .. 8 KiB from the kernel's size classes and larger requests
 * from whole pages, up to KMALLOC_MAX_SIZE.
 */
#ifndef KPRIM_ALLOC_SLAB_H
#define KPRIM_ALLOC_SLAB_H

#include <stdio.h>

#include "alloc/fault.h"
#include "alloc/gfp.h"
#include "alloc/page.h"

/* kmalloc(0) returns this: distinct from NULL, faults on access. */
#define ZERO_SIZE_PTR		((void *)16)
#define ZERO_OR_NULL_PTR(x)	((uintptr_t)(x) <= (uintptr_t)ZERO_SIZE_PTR)

/* Above this kmalloc takes whole pages; up to MAX_PAGE_ORDER of them. */
#define KMALLOC_MAX_CACHE_SIZE	(2 * PAGE_SIZE)
#define KMALLOC_MAX_SIZE	(PAGE_SIZE << MAX_PAGE_ORDER)

typedef unsigned int slab_flags_t;

/* kmem_cache_create() flags (include/linux/slab.h values). */
#define SLAB_CONSISTENCY_CHECKS	0x00000100U	/* F: sanity checks on alloc and free */
#define SLAB_RED_ZONE		0x00000400U	/* Z: red zones around objects */
#define SLAB_POISON		0x00000800U	/* P: poison free objects */
#define SLAB_HWCACHE_ALIGN	0x00002000U	/* align objects to cache lines */
#define SLAB_STORE_USER		0x00010000U	/* U: record who allocated and freed */
#define SLAB_KMALLOC		0x00001000U	/* objects track the size asked for */
#define SLAB_NO_USER_FLAGS	0x10000000U	/* ignore KP_SLUB_DEBUG for this cache */

/* Poison and red zone bytes (include/linux/poison.h). */
#define POISON_INUSE		0x5a	/* padding, never handed out */
#define POISON_FREE		0x6b	/* a free object */
#define POISON_END		0xa5	/* the last byte of a poisoned object */
#define SLUB_RED_INACTIVE	0xbb	/* red zone of a free object */
#define SLUB_RED_ACTIVE		0xcc	/* red zone of an allocated object */

struct kmem_cache;

/*
 * A cache of objects of one size. align 0 means the natural minimum;
 * ctor, if given, runs once per object when its slab is created. NULL on
 * failure (bad size or alignment, no memory).
 */
struct kmem_cache *kmem_cache_create(const char *name, unsigned int size, unsigned int align,
				     slab_flags_t flags, void (*ctor)(void *));
/* Free the cache; with objects still allocated, report them and keep it. */
void kmem_cache_destroy(struct kmem_cache *s);
void *kmem_cache_alloc(struct kmem_cache *s, gfp_t flags) __attribute__((malloc));
void *kmem_cache_alloc_node(struct kmem_cache *s, gfp_t flags, int node)
	__attribute__((malloc));
void kmem_cache_free(struct kmem_cache *s, void *obj);
/* Fill p[0..nr); all or nothing: returns nr, or 0 with nothing allocated. */
int kmem_cache_alloc_bulk(struct kmem_cache *s, gfp_t flags, size_t nr, void **p);
void kmem_cache_free_bulk(struct kmem_cache *s, size_t nr, void **p);
/* Give empty slabs back to the page allocator; returns how many went. */
unsigned long kmem_cache_shrink(struct kmem_cache *s);
/* Objects of this cache allocated and not yet freed. */
unsigned long kmem_cache_live_objects(struct kmem_cache *s);
/*
 * validate_slab_cache(): check every object of a debug cache (red zones,
 * poison, free pointers), reporting and repairing what is wrong. Returns
 * the number of problems found; 0 for caches without debugging.
 */
int kmem_cache_validate(struct kmem_cache *s);
/* The slub_debug flags KP_SLUB_DEBUG (or the build's default) gives every cache. */
slab_flags_t kp_slub_debug_flags(void);
/* The slub_debug flags (SLAB_CONSISTENCY_CHECKS ... SLAB_STORE_USER) in force for s. */
slab_flags_t kmem_cache_debug_flags(const struct kmem_cache *s);
/*
 * Allocate size bytes (at most the object size) from a cache made with
 * SLAB_KMALLOC, as kmalloc does from its own: debug caches then red-zone
 * the object past size. The hook slub_kunit's cases use.
 */
void *kmalloc_from_cache(struct kmem_cache *s, size_t size, gfp_t flags);
const char *kmem_cache_name(const struct kmem_cache *s);
/* The slot size objects of this cache get. */
unsigned int kmem_cache_size(const struct kmem_cache *s);

static inline void *kmem_cache_zalloc(struct kmem_cache *s, gfp_t flags)
{
	return kmem_cache_alloc(s, flags | __GFP_ZERO);
}

void *kmalloc(size_t size, gfp_t flags) __attribute__((malloc, alloc_size(1)));
void *kmalloc_node(size_t size, gfp_t flags, int node) __attribute__((malloc, alloc_size(1)));
void kfree(const void *obj);
/* kfree() after zeroing the whole allocation. */
void kfree_sensitive(const void *obj);
/* The usable size of a kmalloc'ed object (its bucket), 0 for NULL/ZERO_SIZE_PTR. */
size_t ksize(const void *obj);
/*
 * Resize keeping the contents (up to the smaller size). NULL/ZERO_SIZE_PTR
 * acts as kmalloc; size 0 frees and returns ZERO_SIZE_PTR; in place while
 * the bucket fits (never moving to a smaller one); NULL on failure with the
 * old block intact. __GFP_ZERO zeroes what grows.
 */
void *krealloc(const void *p, size_t new_size, gfp_t flags) __attribute__((alloc_size(2)));

static inline void *kzalloc(size_t size, gfp_t flags)
{
	return kmalloc(size, flags | __GFP_ZERO);
}

static inline void *kzalloc_node(size_t size, gfp_t flags, int node)
{
	return kmalloc_node(size, flags | __GFP_ZERO, node);
}

/* NULL on n * size overflow, without a warning, as in the kernel. */
static inline void *kmalloc_array(size_t n, size_t size, gfp_t flags)
{
	size_t bytes;

	if (unlikely(__builtin_mul_overflow(n, size, &bytes)))
		return NULL;
	return kmalloc(bytes, flags);
}

static inline void *kcalloc(size_t n, size_t size, gfp_t flags)
{
	return kmalloc_array(n, size, flags | __GFP_ZERO);
}

static inline void *krealloc_array(void *p, size_t n, size_t size, gfp_t flags)
{
	size_t bytes;

	if (unlikely(__builtin_mul_overflow(n, size, &bytes)))
		return NULL;
	return krealloc(p, bytes, flags);
}

/*
 * Print every live object kmemleak-style to out and return how many there
 * are: a walk of every slab, to be called when the threads that allocate
 * are quiet. With out == NULL, only count, from the caches' live counters.
 */
size_t kp_kmemleak_report(FILE *out);

#endif /* KPRIM_ALLOC_SLAB_H */
