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

/**
 * kmem_cache_create - create a cache of objects of one size
 * @name: the cache's name, in reports and kmemleak's output
 * @size: the object size in bytes
 * @align: the objects' alignment, a power of two; 0 for the natural minimum
 * @flags: SLAB_* flags; KP_SLUB_DEBUG may add the debug ones
 * @ctor: if not NULL, run once on each object when its slab is made
 *
 * Context: may sleep.
 *
 * Return: the cache, or NULL on a bad size or alignment or no memory.
 */
struct kmem_cache *kmem_cache_create(const char *name, unsigned int size, unsigned int align,
				     slab_flags_t flags, void (*ctor)(void *));
/**
 * kmem_cache_destroy - destroy a cache
 * @s: the cache, or NULL
 *
 * With objects still allocated the cache is kept, every live object is
 * reported as KP_REPORT_CACHE_NOT_EMPTY (kmemleak-style, with who
 * allocated it where the cache records users), as the kernel's "Objects
 * remaining on __kmem_cache_shutdown()".
 *
 * Context: may sleep; no task may be using @s.
 */
void kmem_cache_destroy(struct kmem_cache *s);
/**
 * kmem_cache_alloc - allocate an object from a cache
 * @s: the cache
 * @flags: how to allocate (GFP_KERNEL, GFP_ATOMIC, ...; __GFP_ZERO zeroes)
 *
 * The fast path pops the task's sheaf: no lock, no atomic. kmem_cache_zalloc()
 * is the same with __GFP_ZERO; kmem_cache_alloc_node() takes the object
 * from @node's slabs (NUMA_NO_NODE: anywhere).
 *
 * Context: any, if @flags cannot block (GFP_ATOMIC, GFP_NOWAIT); flags
 * with __GFP_DIRECT_RECLAIM (GFP_KERNEL) may sleep, and debug variants
 * report KP_REPORT_SLEEP_IN_ATOMIC when they are used in atomic context.
 *
 * Return: the object, or NULL on failure (out of memory, an injected
 * fault, the memory limit for @flags).
 */
void *kmem_cache_alloc(struct kmem_cache *s, gfp_t flags) __attribute__((malloc));
void *kmem_cache_alloc_node(struct kmem_cache *s, gfp_t flags, int node)
	__attribute__((malloc));
/**
 * kmem_cache_free - free an object back to its cache
 * @s: the cache it came from
 * @obj: the object, or NULL
 *
 * A pointer the cache never handed out, one into an object, or one of
 * another cache is reported as KP_REPORT_INVALID_FREE; an object already
 * free as KP_REPORT_DOUBLE_FREE where kprim can tell (the object freed
 * last, the head of a slab's freelist; every free with slub_debug's F).
 * Either way the free is refused.
 *
 * Context: any; never sleeps.
 */
void kmem_cache_free(struct kmem_cache *s, void *obj);
/**
 * kmem_cache_alloc_bulk - allocate several objects from a cache at once
 * @s: the cache
 * @flags: how to allocate
 * @nr: how many
 * @p: where to store them
 *
 * Context: any, if @flags cannot block (GFP_ATOMIC, GFP_NOWAIT); flags
 * with __GFP_DIRECT_RECLAIM (GFP_KERNEL) may sleep, and debug variants
 * report KP_REPORT_SLEEP_IN_ATOMIC when they are used in atomic context.
 *
 * Return: @nr with p[0..@nr) filled, or 0 with nothing allocated.
 */
int kmem_cache_alloc_bulk(struct kmem_cache *s, gfp_t flags, size_t nr, void **p);
/**
 * kmem_cache_free_bulk - free several objects of one cache
 * @s: the cache
 * @nr: how many
 * @p: the objects, each checked as kmem_cache_free() checks one
 */
void kmem_cache_free_bulk(struct kmem_cache *s, size_t nr, void **p);
/**
 * kmem_cache_shrink - give a cache's empty slabs back to the page allocator
 * @s: the cache
 *
 * Flushes every task's sheaves and the barns first.
 *
 * Context: may sleep.
 *
 * Return: the number of slabs given back.
 */
unsigned long kmem_cache_shrink(struct kmem_cache *s);
/**
 * kmem_cache_live_objects - how many objects of a cache are allocated
 * @s: the cache
 *
 * Return: objects allocated and not freed, over every task; exact when
 * the tasks that use @s are quiet.
 */
unsigned long kmem_cache_live_objects(struct kmem_cache *s);
/**
 * kmem_cache_validate - check every object of a debug cache
 * @s: the cache
 *
 * As the kernel's validate_slab_cache(): red zones, poison and free
 * pointers, each problem reported (KP_REPORT_REDZONE, KP_REPORT_POISON,
 * KP_REPORT_INVARIANT) and repaired.
 *
 * Return: the number of problems found; 0 for caches without debugging.
 */
int kmem_cache_validate(struct kmem_cache *s);
/**
 * kp_slub_debug_flags - the slub_debug flags every cache gets
 *
 * Return: what KP_SLUB_DEBUG in the environment asks for ("FZPU",
 * "ZP,kmalloc-64", "-" for none), or the variant's default (on in the
 * debug and model variants).
 */
slab_flags_t kp_slub_debug_flags(void);
/**
 * kmem_cache_debug_flags - the slub_debug flags in force for a cache
 * @s: the cache
 *
 * Return: the subset of SLAB_CONSISTENCY_CHECKS, SLAB_RED_ZONE,
 * SLAB_POISON and SLAB_STORE_USER that @s runs with.
 */
slab_flags_t kmem_cache_debug_flags(const struct kmem_cache *s);
/**
 * kmalloc_from_cache - allocate part of an object of a SLAB_KMALLOC cache
 * @s: a cache made with SLAB_KMALLOC
 * @size: the bytes asked for, at most the object size
 * @flags: how to allocate
 *
 * As kmalloc() does from its own caches: a debug cache then red-zones the
 * object past @size. The hook slub_kunit's cases use.
 *
 * Return: the object, or NULL on failure.
 */
void *kmalloc_from_cache(struct kmem_cache *s, size_t size, gfp_t flags);
/**
 * kmem_cache_name - a cache's name
 * @s: the cache
 *
 * Return: the name given to kmem_cache_create().
 */
const char *kmem_cache_name(const struct kmem_cache *s);
/**
 * kmem_cache_size - the size of a cache's objects
 * @s: the cache
 *
 * Return: the object size given to kmem_cache_create().
 */
unsigned int kmem_cache_size(const struct kmem_cache *s);

/**
 * kmem_cache_zalloc - allocate a zeroed object from a cache
 * @s: the cache
 * @flags: how to allocate
 *
 * Return: the object, zeroed, or NULL on failure.
 */
static inline void *kmem_cache_zalloc(struct kmem_cache *s, gfp_t flags)
{
	return kmem_cache_alloc(s, flags | __GFP_ZERO);
}

/**
 * kmalloc - allocate kernel memory
 * @size: how many bytes
 * @flags: how to allocate: GFP_KERNEL (may sleep), GFP_ATOMIC (may not,
 *         may dip into reserves), GFP_NOWAIT, ... with modifiers such as
 *         __GFP_ZERO, __GFP_NOWARN, __GFP_NOFAIL
 *
 * Sizes up to KMALLOC_MAX_CACHE_SIZE come from the kernel's size classes
 * (8, 16, 32, 64, 96, 128, 192, 256, ... 8 KiB; power-of-two sizes
 * naturally aligned); larger ones, up to KMALLOC_MAX_SIZE, from whole
 * pages. kmalloc(0) returns ZERO_SIZE_PTR. kmalloc_node() takes the
 * memory from @node (NUMA_NO_NODE: anywhere).
 *
 * Context: any, if @flags cannot block (GFP_ATOMIC, GFP_NOWAIT); flags
 * with __GFP_DIRECT_RECLAIM (GFP_KERNEL) may sleep, and debug variants
 * report KP_REPORT_SLEEP_IN_ATOMIC when they are used in atomic context.
 *
 * Return: the memory, or NULL on failure; free it with kfree().
 */
void *kmalloc(size_t size, gfp_t flags) __attribute__((malloc, alloc_size(1)));
void *kmalloc_node(size_t size, gfp_t flags, int node) __attribute__((malloc, alloc_size(1)));
/**
 * kfree - free memory from kmalloc() and its family
 * @obj: the memory, NULL or ZERO_SIZE_PTR (both ignored)
 *
 * The page map says what @obj is: a pointer kprim never gave out or one
 * into the middle of an object is reported as KP_REPORT_INVALID_FREE, a
 * block already free as KP_REPORT_DOUBLE_FREE (slab objects: as
 * kmem_cache_free() tells), and the free is refused.
 *
 * Context: any; never sleeps.
 */
void kfree(const void *obj);
/**
 * kfree_sensitive - zero, then free, memory from kmalloc()
 * @obj: the memory, or NULL
 *
 * The whole allocation (ksize() bytes) is cleared first, for keys and
 * passwords; blocks of 256 KiB and more drop their pages instead.
 */
void kfree_sensitive(const void *obj);
/**
 * ksize - the usable size of a kmalloc'ed block
 * @obj: the memory
 *
 * Return: the size of the bucket or pages holding @obj (at least what was
 * asked for); 0 for NULL and ZERO_SIZE_PTR.
 */
size_t ksize(const void *obj);
/**
 * krealloc - resize memory from kmalloc(), keeping its contents
 * @p: the memory; NULL or ZERO_SIZE_PTR acts as kmalloc()
 * @new_size: the new size; 0 frees @p and returns ZERO_SIZE_PTR
 * @flags: how to allocate; with __GFP_ZERO what grows is zeroed
 *
 * Stays in place while the bucket fits (never moving to a smaller one);
 * otherwise copies up to the smaller size and frees @p.
 *
 * Context: any, if @flags cannot block (GFP_ATOMIC, GFP_NOWAIT); flags
 * with __GFP_DIRECT_RECLAIM (GFP_KERNEL) may sleep, and debug variants
 * report KP_REPORT_SLEEP_IN_ATOMIC when they are used in atomic context.
 *
 * Return: the memory, or NULL on failure with @p untouched.
 */
void *krealloc(const void *p, size_t new_size, gfp_t flags) __attribute__((alloc_size(2)));

/**
 * kzalloc - allocate zeroed kernel memory
 * @size: how many bytes
 * @flags: how to allocate; see kmalloc()
 *
 * kzalloc_node() takes the memory from @node.
 *
 * Return: the memory, zeroed, or NULL on failure.
 */
static inline void *kzalloc(size_t size, gfp_t flags)
{
	return kmalloc(size, flags | __GFP_ZERO);
}

static inline void *kzalloc_node(size_t size, gfp_t flags, int node)
{
	return kmalloc_node(size, flags | __GFP_ZERO, node);
}

/**
 * kmalloc_array - allocate memory for an array
 * @n: number of elements
 * @size: element size
 * @flags: how to allocate; see kmalloc()
 *
 * Return: the memory, or NULL on failure; NULL also when @n * @size
 * overflows, without a warning, as in the kernel.
 */
static inline void *kmalloc_array(size_t n, size_t size, gfp_t flags)
{
	size_t bytes;

	if (unlikely(__builtin_mul_overflow(n, size, &bytes)))
		return NULL;
	return kmalloc(bytes, flags);
}

/**
 * kcalloc - allocate zeroed memory for an array
 * @n: number of elements
 * @size: element size
 * @flags: how to allocate; see kmalloc()
 *
 * Return: the memory, zeroed, or NULL on failure or overflow.
 */
static inline void *kcalloc(size_t n, size_t size, gfp_t flags)
{
	return kmalloc_array(n, size, flags | __GFP_ZERO);
}

/**
 * krealloc_array - resize memory for an array
 * @p: the memory, as krealloc() takes it
 * @n: new number of elements
 * @size: element size
 * @flags: how to allocate
 *
 * Return: the memory, or NULL on failure or overflow with @p untouched.
 */
static inline void *krealloc_array(void *p, size_t n, size_t size, gfp_t flags)
{
	size_t bytes;

	if (unlikely(__builtin_mul_overflow(n, size, &bytes)))
		return NULL;
	return krealloc(p, bytes, flags);
}

/**
 * kp_kmemleak_report - list every object still allocated
 * @out: where to print them kmemleak-style (a walk of every slab, with
 *       who allocated each where caches record users); NULL only counts,
 *       from the caches' live counters
 *
 * Context: call it when the tasks that allocate are quiet.
 *
 * Return: the number of objects still allocated.
 */
size_t kp_kmemleak_report(FILE *out);

/**
 * kmem_fork_prepare - hold every allocator lock over fork()
 *
 * With kmem_fork_parent() and kmem_fork_child(), the pthread_atfork()
 * handlers kprim registers at start-up (glibc's malloc does the same,
 * ptmalloc_lock_all()): the child of a threaded program has one thread,
 * and a lock another thread held at the fork would stay held there
 * forever. The parent gives the locks back; the child makes them new,
 * forgetting the waiters that were the parent's other threads. What
 * those threads had cached in their sheaves is lost to the child, not
 * corrupted. Not a kernel call.
 *
 * Context: process context, no kprim lock held.
 */
void kmem_fork_prepare(void);
void kmem_fork_parent(void);
void kmem_fork_child(void);

#endif /* KPRIM_ALLOC_SLAB_H */
