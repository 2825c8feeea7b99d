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
	char *base;		/* the first object */
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

struct kmem_cache {
	unsigned int object_size;	/* what the creator asked for */
	unsigned int size;		/* the slot: object plus what SLUB keeps beside it */
	unsigned int align;
	unsigned int offset;		/* where in the slot the free pointer lives */
	unsigned int order;		/* a slab is 2^order pages */
	unsigned int objects;		/* objects per slab */
	uint32_t reciprocal;		/* ceil(2^32 / size): offset -> index without a divide */
	int id;				/* index of this cache's per-task state */
	slab_flags_t flags;
	uintptr_t random;		/* freelist pointer obfuscation */
	void (*ctor)(void *);
	unsigned long flushed_allocs, flushed_frees;	/* from tasks that have ended */
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

/* Allocate from s (fault injection, might_sleep and __GFP_ZERO included). */
void *slab_alloc(struct kmem_cache *s, gfp_t gfp, int node, void *caller);
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
