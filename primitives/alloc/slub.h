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

#include <string.h>

#include "alloc/slab.h"
#include "core/atomic.h"
#include "core/task.h"
#include "sync/spinlock.h"

#ifdef KP_ASAN
#include <sanitizer/asan_interface.h>
#define poison_object(s, p)	ASAN_POISON_MEMORY_REGION((p), (s)->size)
#define unpoison_object(s, p)	ASAN_UNPOISON_MEMORY_REGION((p), (s)->object_size)
#define unpoison_slab(s, p)	ASAN_UNPOISON_MEMORY_REGION((p), PAGE_SIZE << (s)->order)
/* no_sanitize does not survive inlining into an instrumented caller. */
#define __no_asan		__attribute__((no_sanitize("address"), noinline)) \
				__no_sanitize_coverage
#define __freeptr_inline
#else
#define poison_object(s, p)	((void)(s), (void)(p))
#define unpoison_object(s, p)	((void)(s), (void)(p))
#define unpoison_slab(s, p)	((void)(s), (void)(p))
#define __no_asan
#define __freeptr_inline	__always_inline
#endif

#define KP_MAX_CACHES	256
#define KP_MAX_NODES	16
/* kmalloc's caches have the fixed ids 1..KMALLOC_SHIFT_HIGH, their size index. */
#define KMALLOC_SHIFT_HIGH	13	/* 8 KiB: the largest kmalloc cache */
#define KMALLOC_CACHE_IDS	(KMALLOC_SHIFT_HIGH + 1)

struct slab {
	struct kmem_cache *cache;
	char *mem;		/* the pages */
	char *base;		/* the first object (past its left red zone) */
	void *freelist;		/* free objects; touched by its owner or under list_lock */
	void *remote_free;	/* objects freed by others; bit 0: unowned and full */
	int node;
	bool on_partial;
	struct kmem_cache_cpu *owner;		/* the task that owns it, if one does */
	struct slab *prev, *next;		/* the node's partial list, or the owner's list */
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
	uintptr_t slab_mask;		/* (PAGE_SIZE << order) - 1: slabs are aligned to it */
	uint64_t divisor_magic;		/* ceil(2^64 / size): "is a multiple of size" test */
	size_t objects_bytes;		/* objects * size */
	int id;				/* index of this cache's per-task state */
	slab_flags_t flags;
	uintptr_t random;		/* freelist pointer obfuscation */
	void (*ctor)(void *);
	unsigned long flushed_live;	/* allocations minus frees of tasks that have ended */
	raw_spinlock_t debug_lock;	/* debug caches: every alloc and free */
	struct kmem_cache *next;	/* every cache */
	char name[32];
	struct kmem_cache_node node[KP_MAX_NODES];
};

/* Every cache by id: a page map entry names its slab's cache by id. */
extern struct kmem_cache *kp_slab_caches[KP_MAX_CACHES];

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
 * A task's current slab and its free objects, per cache (SLUB's cpu slab),
 * and the other slabs it owns (like SLUB's per-cpu partial slabs): frees
 * from the owner into them are plain pushes on the slab's freelist.
 *
 * The fast paths read this one cache line and nothing else of the cache:
 * the cache's free pointer constants and its object-start test are copied
 * here when the task first takes a slab of it (cpu_set_cache()). The
 * copies stay zero for debug caches, whose every call takes the slow path.
 */
struct kmem_cache_cpu {
	void *freelist;
	struct slab *slab;
	unsigned long live;		/* allocations minus frees; owner-written, read by anyone */
	uintptr_t random;		/* = s->random */
	uint64_t divisor_magic;		/* = s->divisor_magic */
	unsigned int offset;		/* = s->offset */
	unsigned int objects_bytes;	/* = s->objects_bytes */
	unsigned int slab_mask;		/* = s->slab_mask */
	int16_t node;
	uint16_t nr_owned;
	struct slab *owned;
} __attribute__((aligned(64)));	/* one line each: no split loads on the fast path */

struct slub_task {
	struct kmem_cache_cpu cpu[KP_MAX_CACHES];	/* first: a cache's state is task->alloc + id * 64 */
	struct slub_task *prev, *next;
	/* Large kmalloc: live counts, and one freed block kept per order. */
	unsigned long large_allocs, large_frees;
	void *large_cache[MAX_PAGE_ORDER + 1];
};

/* The calling task's slub_task, made on first use; NULL only without memory. */
struct slub_task *slub_task_get(void);
/* Live large kmalloc blocks, over every task. */
unsigned long kmalloc_large_live(void);

/* A task's state for the cache with this id; the task must have its slub_task already. */
static __always_inline struct kmem_cache_cpu *task_cpu(struct kp_task *task, unsigned int id)
{
	return &((struct slub_task *)task->alloc)->cpu[id];
}

static __always_inline struct kmem_cache_cpu *this_cpu(const struct kmem_cache *s)
{
	return task_cpu(kp_current(), (unsigned int)s->id);
}

/* Counters only their owner writes: a plain add, readable by anyone. */
static __always_inline void count_add(unsigned long *counter, unsigned long n)
{
	kp_atomic_store(counter, *counter + n, KP_RELAXED);
}

static __always_inline void count_inc(unsigned long *counter)
{
	count_add(counter, 1);
}

/*
 * Free pointers, hardened: ptr ^ random ^ swab(where it is stored). The
 * mask is made apart from the loaded value, so the pointer chase between
 * a free and the next allocation carries one xor, not two.
 */
static __always_inline uintptr_t freeptr_mask(uintptr_t random, uintptr_t where)
{
	uintptr_t mask = random ^ __builtin_bswap64(where);

	__asm__("" : "+r"(mask));	/* keep the compiler from re-associating the xors */
	return mask;
}

static __freeptr_inline __no_asan void *freeptr_get(uintptr_t random, unsigned int offset,
						   void *obj)
{
	uintptr_t where = (uintptr_t)obj + offset;
	uintptr_t mask = freeptr_mask(random, where);

	return (void *)(*(uintptr_t *)where ^ mask);
}

static __freeptr_inline __no_asan void freeptr_set(uintptr_t random, unsigned int offset,
						  void *obj, void *fp)
{
	uintptr_t where = (uintptr_t)obj + offset;

	*(uintptr_t *)where = (uintptr_t)fp ^ freeptr_mask(random, where);
}

static __always_inline void *get_freepointer(const struct kmem_cache *s, void *obj)
{
	return freeptr_get(s->random, s->offset, obj);
}

static __always_inline void set_freepointer(const struct kmem_cache *s, void *obj, void *fp)
{
	freeptr_set(s->random, s->offset, obj, fp);
}

/*
 * obj, in one of s's slabs, is the start of an object. Slabs are aligned
 * to their size, so obj's offset in its slab is an and away; the offset is
 * a multiple of size when offset * ceil(2^64 / size) wraps to below the
 * magic itself (Lemire, Kaser, Kurz, "Faster remainder by direct
 * computation", 2019): one multiply, no divide, nothing read from the slab.
 */
static __always_inline bool obj_offset_valid(size_t offset, size_t objects_bytes,
					     uint64_t divisor_magic)
{
	return offset < objects_bytes && offset * divisor_magic < divisor_magic;
}

static __always_inline bool slab_obj_valid(const struct kmem_cache *s, const void *obj)
{
	return obj_offset_valid(((uintptr_t)obj & s->slab_mask) - s->red_left_pad,
				s->objects_bytes, s->divisor_magic);
}

/* The same test from the task's copies (non-debug caches: no left red zone). */
static __always_inline bool cpu_obj_valid(const struct kmem_cache_cpu *c, const void *obj)
{
	return obj_offset_valid((uintptr_t)obj & c->slab_mask, c->objects_bytes,
				c->divisor_magic);
}

void *slab_alloc_slowpath(unsigned int id, gfp_t gfp, int node, void *caller, size_t orig_size)
	__attribute__((noinline));
void *slab_alloc_failed(struct kmem_cache *s, gfp_t gfp) __attribute__((noinline, cold));
void *slab_zero_object(unsigned int id, void *obj) __attribute__((noinline));
void slab_free_slowpath(unsigned int id, struct slab *slab, void *obj, void *caller)
	__attribute__((noinline));

/*
 * Allocate from the cache with this id (kp_slab_caches[id], which the fast
 * path never reads), fault injection, might_sleep and __GFP_ZERO included;
 * orig_size is what a kmalloc caller asked for (debug caches red-zone the
 * rest of the object), or 0 for the whole object. The fast path: pop the
 * task's freelist for the cache; everything else is slab_alloc_slowpath().
 */
static __always_inline void *slab_alloc(unsigned int id, gfp_t gfp, int node, void *caller,
					size_t orig_size)
{
	struct kp_task *task = kp_current();
	struct kmem_cache_cpu *c;
	void *obj;

	might_sleep_if(gfpflags_allow_blocking(gfp));
	/* Fault injection armed, or a new task: the slow path decides. */
	if (unlikely(task->fail_nth || kp_failslab_armed || !task->alloc))
		return slab_alloc_slowpath(id, gfp, node, caller, orig_size);
	c = task_cpu(task, id);
	obj = c->freelist;
	if (unlikely(!obj || (node != NUMA_NO_NODE && node != c->node)))
		return slab_alloc_slowpath(id, gfp, node, caller, orig_size);
	unpoison_object(kp_slab_caches[id], obj);
	c->freelist = freeptr_get(c->random, c->offset, obj);
	count_inc(&c->live);
	if (unlikely(gfp & __GFP_ZERO))
		return slab_zero_object(id, obj);	/* a tail call: the fast path saves nothing */
	return obj;
}

/*
 * Free obj, known to lie in slab of the cache with this id. The fast path:
 * push on the task's freelist when obj is in the task's current slab, or
 * on the slab's own freelist when the task owns that slab (and obj is not
 * already the head); everything else, checks included, is
 * slab_free_slowpath().
 */
static __always_inline void slab_free(unsigned int id, struct slab *slab, void *obj, void *caller)
{
	struct kp_task *task = kp_current();
	struct kmem_cache_cpu *c;

	if (likely(task->alloc)) {
		c = task_cpu(task, id);
		if (likely(slab == c->slab)) {
			if (likely(cpu_obj_valid(c, obj) && obj != c->freelist)) {
				freeptr_set(c->random, c->offset, obj, c->freelist);
				poison_object(kp_slab_caches[id], obj);
				c->freelist = obj;
				count_add(&c->live, -1UL);
				return;
			}
		} else if (kp_atomic_load(&slab->owner, KP_RELAXED) == c &&
			   cpu_obj_valid(c, obj) && obj != slab->freelist) {
			/* Another slab the task owns: its own freelist, still no atomics. */
			freeptr_set(c->random, c->offset, obj, slab->freelist);
			poison_object(kp_slab_caches[id], obj);
			slab->freelist = obj;
			count_add(&c->live, -1UL);
			return;
		}
	}
	slab_free_slowpath(id, slab, obj, caller);
}

/* A kmalloc object changed its requested size in place (krealloc): re-red-zone it. */
void slab_resize_in_place(struct kmem_cache *s, void *obj, size_t new_size);
/* The size a debug kmalloc object was asked for; s->object_size if not tracked. */
size_t slab_orig_size(struct kmem_cache *s, void *obj);
/* Create a cache with a fixed id (kmalloc's own caches), or any free id if id < 0. */
struct kmem_cache *kmem_cache_create_id(const char *name, unsigned int size, unsigned int align,
					slab_flags_t flags, void (*ctor)(void *), int id);
/* Print the warning of a failed allocation (unless __GFP_NOWARN). */
void warn_alloc(size_t size, gfp_t gfp, const char *what);
/* Print the large kmalloc blocks still live; returns how many. */
size_t kmalloc_large_report(FILE *out);

#endif /* KPRIM_ALLOC_SLUB_H */
