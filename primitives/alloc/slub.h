/* SPDX-License-Identifier: MIT */
/*
 * slub.h - SLUB's internals, shared by slub.c and kmalloc.c only.
 *
 * struct slab is the descriptor of one slab (kept outside the slab, as the
 * kernel keeps it in struct page, so objects stay naturally aligned);
 * struct kmem_cache the cache. Nothing outside alloc/ includes this.
 */
#ifndef KPRIM_ALLOC_SLUB_H
#define KPRIM_ALLOC_SLUB_H

#include "alloc/slab.h"
#include "sync/spinlock.h"

#define KP_MAX_CACHES	256
#define KP_MAX_NODES	16

struct slab {
	struct kmem_cache *cache;
	char *mem;		/* the pages */
	char *base;		/* the first object (past its left red zone) */
	void *freelist;		/* free objects; touched by its owner or under list_lock */
	void *remote_free;	/* objects freed by others; bit 0: unowned and full */
	int node;
	bool on_partial;
	struct slab *prev, *next;		/* the node's partial list */
	struct slab *all_prev, *all_next;	/* the node's list of every slab */
};

struct kmem_cache_node {
	raw_spinlock_t list_lock;
	struct slab *partial;
	unsigned long nr_partial;
	struct slab *all;
};

/* slub_debug's letters: F, Z, P, U. */
#define SLAB_DEBUG_FLAGS	(SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE | SLAB_POISON | \
				 SLAB_STORE_USER)
struct kmem_cache {
	unsigned int object_size;	/* what the creator asked for */
	unsigned int size;		/* the slot: object plus what SLUB keeps beside it */
	unsigned int align;
	unsigned int offset;		/* where from the object the free pointer lives */
	unsigned int inuse;		/* object plus right red zone: where metadata starts */
	unsigned int red_left_pad;	/* Z: the red zone before each object */
	unsigned int meta_offset;	/* debug: where struct slab_debug_meta lives */
	unsigned int order;		/* a slab is 2^order pages */
	unsigned int objects;		/* objects per slab */
	uint32_t reciprocal;		/* ceil(2^32 / size): offset -> index without a divide */
	int id;				/* index of this cache's per-task state */
	slab_flags_t flags;
	uintptr_t random;		/* freelist pointer obfuscation */
	void (*ctor)(void *);
	unsigned long flushed_allocs, flushed_frees;	/* from tasks that have ended */
	raw_spinlock_t debug_lock;	/* debug caches: every alloc and free */
	struct kmem_cache *next;	/* every cache */
	char name[32];
	struct kmem_cache_node node[KP_MAX_NODES];
};

/* The slab descriptor of a slab object, or NULL if p is not in a slab. */
static inline struct slab *virt_to_slab(const void *p)
{
	struct kp_page *pg = kp_page_lookup(p);

	return pg && pg->type == KP_PAGE_SLAB ? pg->owner : NULL;
}

static inline bool kmem_cache_debug(const struct kmem_cache *s)
{
	return s->flags & SLAB_DEBUG_FLAGS;
}

/*
 * Allocate from s (fault injection, might_sleep and __GFP_ZERO included);
 * orig_size is what a kmalloc caller asked for (debug caches red-zone the
 * rest of the object), else s->object_size.
 */
void *slab_alloc(struct kmem_cache *s, gfp_t gfp, int node, void *caller, size_t orig_size);
/* A kmalloc object changed its requested size in place (krealloc): re-red-zone it. */
void slab_resize_in_place(struct kmem_cache *s, void *obj, size_t new_size);
/* The size a debug kmalloc object was asked for; s->object_size if not tracked. */
size_t slab_orig_size(struct kmem_cache *s, void *obj);
/* Free obj, known to lie in slab of cache s; validates it. */
void slab_free(struct kmem_cache *s, struct slab *slab, void *obj, void *caller);
/* Create a cache without taking a dynamic id check (kmalloc's own caches). */
struct kmem_cache *kmem_cache_create_caller(const char *name, unsigned int size,
					    unsigned int align, slab_flags_t flags,
					    void (*ctor)(void *), void *caller);
/* Print the warning of a failed allocation (unless __GFP_NOWARN). */
void warn_alloc(size_t size, gfp_t gfp, const char *what);
/* Print the large kmalloc blocks still live; returns how many. */
size_t kmalloc_large_report(FILE *out);

#endif /* KPRIM_ALLOC_SLUB_H */
