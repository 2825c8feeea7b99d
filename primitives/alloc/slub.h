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
#else
#define poison_object(s, p)	((void)(s), (void)(p))
#define unpoison_object(s, p)	((void)(s), (void)(p))
#define unpoison_slab(s, p)	((void)(s), (void)(p))
#define __no_asan
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

/*
 * mm/slub.c struct node_barn: sheaves a node's tasks hand each other. A
 * task whose two sheaves are full leaves one here and takes an empty one;
 * a task whose two are empty takes a full one, so objects freed by one
 * task reach another that allocates without going back through their
 * slabs. A sheaf is known by its end (page.h: its slots end at a
 * multiple of SHEAF_ALIGN).
 */
#define BARN_MAX_SHEAVES	10	/* of each kind: MAX_FULL_SHEAVES, MAX_EMPTY_SHEAVES */
struct node_barn {
	raw_spinlock_t lock;
	unsigned int nr_full;		/* lock-written, read by anyone */
	unsigned int nr_empty;
	void **full[BARN_MAX_SHEAVES];
	void **empty[BARN_MAX_SHEAVES];
};

struct kmem_cache_node {
	raw_spinlock_t list_lock;
	struct slab *partial;
	unsigned long nr_partial;
	struct slab *all;
	struct node_barn barn;
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
	unsigned int sheaf_capacity;	/* objects per sheaf; 0: no sheaves (debug caches) */
	uintptr_t slab_mask;		/* (PAGE_SIZE << order) - 1: slabs are aligned to it */
	uint64_t obj_magic, obj_limit;	/* the object-start test: slab_obj_valid() */
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
 * A task's state per cache, in two cache lines.
 *
 * The first is all the fast paths read of it: the task's main sheaf
 * (mm/slub.c struct slub_percpu_sheaves: arrays of free objects, "main"
 * serving every call and "spare" swapped in when main runs empty or full)
 * and the slab tag that a page of the cache on the task's node carries,
 * set when the sheaves are (sheaves_setup()). capacity stays 0 for debug
 * caches, whose every call takes the slow path.
 *
 * In front of main sits hot, the object freed last. A free followed by an
 * allocation, the commonest pattern, passes the object through that one
 * field, whose address depends on nothing loaded; through main, the
 * allocation would wait on the free's update of top and then on the load
 * of the slot it names. A free moves the previous hot object onto main.
 *
 * A sheaf is known by its top alone (one past its last object), so each
 * fast path loads one word of it: a sheaf's slots end at a multiple of
 * SHEAF_ALIGN, so a top at such a multiple is a full sheaf's, and the
 * slot below the first holds NULL, so an empty sheaf's top[-1] is NULL.
 * A cache without sheaves (not set up yet, or debug) has no_sheaf_top:
 * full and empty at once, so both fast paths pass it by.
 *
 * The second is the slab layer behind the sheaves, which only refills and
 * flushes them: the task's current slab and its freelist (SLUB's former
 * cpu slab) and the other slabs it owns (its per-cpu partial slabs).
 */
struct kmem_cache_cpu {
	void *hot;			/* the object freed last, or NULL; owner-written */
	void **top;			/* the main sheaf's; owner-written, read by anyone */
	uint32_t slab_tag;		/* = SLAB_TAG(s->id, node): a page of such a slab */
	int node;			/* sheaves hold objects of this node only */
	unsigned int capacity;		/* of each sheaf; 0: no sheaves */

	void **spare_top __attribute__((aligned(64)));	/* the spare sheaf's */
	unsigned int nr_owned;
	unsigned long live;		/* objects taken from slabs minus those put back */
	void *freelist;			/* the current slab's free objects */
	struct slab *slab;		/* the current slab */
	struct slab *owned;		/* the other slabs the task owns */
} __attribute__((aligned(64)));

/*
 * A sheaf's slots end at a multiple of SHEAF_ALIGN and, with the NULL
 * below them, fit in it: only a full sheaf's top is such a multiple.
 */
#define SHEAF_ALIGN		8192
#define SHEAF_MAX_OBJECTS	(SHEAF_ALIGN / sizeof(void *) - 1)

static __always_inline bool sheaf_full(void **top)
{
	return !((uintptr_t)top & (SHEAF_ALIGN - 1));
}

/* Where the state of the cache with this id sits in a slub_task, and back. */
#define CACHE_CPU_OFFSET(id)	((id) * sizeof(struct kmem_cache_cpu))
#define CPU_OFFSET_CACHE(off)	(kp_slab_caches[(off) / sizeof(struct kmem_cache_cpu)])

/*
 * A slab page's tag in the page map (struct page's slab_cache, by id, and
 * the slab's node, with the page's type; alloc/page.h): the offset of its
 * cache's state in a slub_task, the node, KP_PAGE_SLAB. kfree's fast path
 * finds the task's state from the page map alone and tests type, cache
 * and node against the task's own tag (kmem_cache_cpu.slab_tag) in one
 * compare, without reading the slab. The offset of any page, slab or not,
 * is 0 or a slab's, so it always names a state inside the slub_task.
 */
#define SLAB_TAG(id, node)	((uint32_t)CACHE_CPU_OFFSET(id) | \
				 (uint32_t)(uint8_t)(node) << 16 | (uint32_t)KP_PAGE_SLAB << 24)
#define SLAB_TAG_OFFSET(tag)	((tag) & 0xffff)
#define SLAB_TAG_ID(tag)	((unsigned int)(SLAB_TAG_OFFSET(tag) / sizeof(struct kmem_cache_cpu)))
_Static_assert(KP_MAX_CACHES * sizeof(struct kmem_cache_cpu) <= 0x10000,
	       "a slab tag's offset fits 16 bits");
_Static_assert(KP_MAX_NODES <= 0x100, "a slab tag's node fits 8 bits");

struct slub_task {
	struct kmem_cache_cpu cpu[KP_MAX_CACHES];	/* first: a cache's state is task->alloc + id * 128 */
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
 * obj, in one of s's slabs, is the start of an object: one multiply and
 * one compare, nothing read from the slab. Slabs are aligned to their
 * size, so obj's offset from the first object is an and away (a pointer
 * into the first left red zone wraps to the slab's last bytes, where no
 * object starts). With obj_magic = floor(2^64 / size) + 1 = (2^64 + e) / size,
 * 1 <= e <= size, the low 64 bits of offset * obj_magic are i * e for
 * the i-th object's start, and at least obj_magic, far above, for any
 * offset that is not a multiple of size; so "below objects * e"
 * (obj_limit) accepts exactly the objects' starts. The remainder test of
 * Lemire, Kaser, Kurz, "Faster remainder by direct computation" (2019),
 * with the index bound folded into the same compare.
 */
static __always_inline bool obj_offset_valid(uintptr_t offset, uint64_t obj_magic,
					     uint64_t obj_limit)
{
	return offset * obj_magic < obj_limit;
}

static __always_inline bool slab_obj_valid(const struct kmem_cache *s, const void *obj)
{
	return obj_offset_valid(((uintptr_t)obj - s->red_left_pad) & s->slab_mask,
				s->obj_magic, s->obj_limit);
}

/*
 * The same test from the copy in obj's page map entry, for caches without
 * a left red zone (every cache with sheaves): it waits for no load but
 * the lookup's.
 */
static __always_inline bool page_obj_valid(const struct kp_page *pg, const void *obj)
{
	return obj_offset_valid((uintptr_t)obj & pg->slab_mask, pg->obj_magic, pg->obj_limit);
}

/* The slow paths of slab_alloc_at(), given the cache's cpu_offset as it is. */
void *slab_alloc_slowpath(size_t cpu_offset, gfp_t gfp, int node, void *caller, size_t orig_size)
	__attribute__((noinline));
void *slab_alloc_failed(struct kmem_cache *s, gfp_t gfp) __attribute__((noinline, cold));
void *slab_zero_object(size_t cpu_offset, void *obj) __attribute__((noinline));
void slab_free_slowpath(unsigned int id, struct slab *slab, void *obj, void *caller)
	__attribute__((noinline));

/*
 * Allocate from the cache whose state sits at cpu_offset in a slub_task
 * (id * sizeof(struct kmem_cache_cpu); kp_slab_caches[id], which the fast
 * path never reads), fault injection, might_sleep and __GFP_ZERO included;
 * orig_size is what a kmalloc caller asked for (debug caches red-zone the
 * rest of the object), or 0 for the whole object. The fast path
 * (alloc_from_pcs()): take the hot object, else the top of the main
 * sheaf. Everything else, a node asked for included, is
 * slab_alloc_slowpath().
 */
static __always_inline void *slab_alloc_at(size_t cpu_offset, gfp_t gfp, int node, void *caller,
					   size_t orig_size)
{
	struct kp_task *task = kp_current();
	struct kmem_cache_cpu *c;
	void **top;
	void *obj;

	might_sleep_if(gfpflags_allow_blocking(gfp));
	/* A new task, fail-nth or failslab armed, or a node: the slow path decides. */
	if (unlikely(!task->alloc_fast || kp_failslab_armed || node != NUMA_NO_NODE))
		return slab_alloc_slowpath(cpu_offset, gfp, node, caller, orig_size);
	c = (struct kmem_cache_cpu *)((char *)task->alloc_fast + cpu_offset);
	/*
	 * Either way in a straight line: an allocation after a free jumps
	 * once, over the sheaf; a run of allocations, the sheaf's work, not
	 * at all (a taken branch costs this path more than a store does).
	 */
	obj = c->hot;
	kp_atomic_store(&c->hot, NULL, KP_RELAXED);
	if (likely(!obj)) {
		top = c->top;
		obj = top[-1];
		if (unlikely(!obj))	/* main is empty */
			return slab_alloc_slowpath(cpu_offset, gfp, node, caller, orig_size);
		kp_atomic_store(&c->top, top - 1, KP_RELAXED);
	}
	unpoison_object(CPU_OFFSET_CACHE(cpu_offset), obj);
	if (unlikely(gfp & __GFP_ZERO))
		return slab_zero_object(cpu_offset, obj);	/* a tail call: the fast path saves nothing */
	return obj;
}

static __always_inline void *slab_alloc(unsigned int id, gfp_t gfp, int node, void *caller,
					size_t orig_size)
{
	return slab_alloc_at(CACHE_CPU_OFFSET(id), gfp, node, caller, orig_size);
}

/*
 * The free fast path (free_to_pcs()), for obj in any page of the arena
 * (or past it, with a zero entry: no tag is 0 but a sheaf-less cache's,
 * and a zero object-start limit passes nothing):
 * make obj the hot object, the previous one going onto the main sheaf,
 * when pg's tag is a slab page's of a cache on the task's node, obj is
 * the start of an object, it is not the hot object already (a naive
 * double free), and main has room. False, nothing done, otherwise.
 */
static __always_inline bool slab_free_fast(const struct kp_page *pg, void *obj)
{
	struct kp_task *task = kp_current();
	uint32_t tag = pg->slab_tag;
	struct kmem_cache_cpu *c;
	void **top;
	void *hot;

	if (unlikely(!task->alloc))
		return false;
	c = (struct kmem_cache_cpu *)((char *)task->alloc + SLAB_TAG_OFFSET(tag));
	hot = c->hot;
	top = c->top;
	if (unlikely(tag != c->slab_tag || !page_obj_valid(pg, obj) || hot == obj ||
		     sheaf_full(top)))
		return false;
	poison_object(kp_slab_caches[SLAB_TAG_ID(tag)], obj);
	*top = hot;	/* past the top if there is no hot object */
	kp_atomic_store(&c->top, top + (hot != NULL), KP_RELAXED);
	kp_atomic_store(&c->hot, obj, KP_RELAXED);
	return true;
}

/* Free obj, known to lie in the slab page pg: the fast path, else slab_free_slowpath(). */
static __always_inline void slab_free(const struct kp_page *pg, void *obj, void *caller)
{
	if (!slab_free_fast(pg, obj))
		slab_free_slowpath(SLAB_TAG_ID(pg->slab_tag), pg->owner, obj, caller);
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
/* flags less GFP_SLAB_BUG_MASK, with the kernel's warning about what was dropped. */
gfp_t kmalloc_fix_flags(gfp_t flags) __attribute__((cold));
/* Print the large kmalloc blocks still live; returns how many. */
size_t kmalloc_large_report(FILE *out);
/* Make the kmalloc caches if nobody has yet (kmalloc.c): a first kmalloc may come before constructors. */
void kmalloc_caches_init(void);

#endif /* KPRIM_ALLOC_SLUB_H */
