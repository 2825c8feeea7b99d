// SPDX-License-Identifier: MIT
/*
 * kmalloc.c - kmalloc, kfree, ksize, krealloc over the slab caches.
 *
 * Models include/linux/slab.h and mm/slab_common.c: the size classes 8, 16,
 * 32, 64, 96, 128, 192, 256 .. 8192 (x86-64), chosen as the kernel's
 * size_index table chooses them up to 192, by one table; larger requests
 * take 2^order pages (kmalloc_large) up to KMALLOC_MAX_SIZE. Every pointer
 * handed to kfree/ksize/krealloc is looked up in the page map first, so
 * foreign, interior and already-freed pointers are reported, not trusted.
 * krealloc follows mm/slab_common.c: in place while the bucket fits, never
 * to a smaller bucket; otherwise allocate, copy, free.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "alloc/slub.h"
#include "core/report.h"

/*
 * The cache for each size, by (size - 1) / 8, as the offset of its state
 * in a task's (the cache with id i at i * sizeof(struct kmem_cache_cpu)).
 * The kernel's size_index table (include/linux/slab.h) covers sizes up to
 * 192 and takes the highest bit above; this one runs over every bucket, as
 * mimalloc's direct page table does, so that kmalloc classifies a size
 * and finds the task's state for it with one load.
 */
#define CPU_OFFSET(id)	((uint16_t)CACHE_CPU_OFFSET(id))
static const uint16_t kmalloc_cpu_offset[KMALLOC_MAX_CACHE_SIZE / 8] = {
	[0] = CPU_OFFSET(3),			/* 8 */
	[1] = CPU_OFFSET(4),			/* 16 */
	[2 ... 3] = CPU_OFFSET(5),		/* 32 */
	[4 ... 7] = CPU_OFFSET(6),		/* 64 */
	[8 ... 11] = CPU_OFFSET(1),		/* 96 */
	[12 ... 15] = CPU_OFFSET(7),		/* 128 */
	[16 ... 23] = CPU_OFFSET(2),		/* 192 */
	[24 ... 31] = CPU_OFFSET(8),		/* 256 */
	[32 ... 63] = CPU_OFFSET(9),		/* 512 */
	[64 ... 127] = CPU_OFFSET(10),		/* 1k */
	[128 ... 255] = CPU_OFFSET(11),		/* 2k */
	[256 ... 511] = CPU_OFFSET(12),		/* 4k */
	[512 ... 1023] = CPU_OFFSET(13),	/* 8k */
};
_Static_assert(KMALLOC_MAX_CACHE_SIZE == 8192 && KMALLOC_SHIFT_HIGH == 13,
	       "kmalloc_cpu_offset covers every bucket");

static unsigned int kmalloc_cache_size(unsigned int index)
{
	return index == 1 ? 96 : index == 2 ? 192 : 1u << index;
}

static void create_kmalloc_caches(void)
{
	char name[32];

	for (unsigned int i = 1; i <= KMALLOC_SHIFT_HIGH; i++) {
		snprintf(name, sizeof(name), "kmalloc-%u", kmalloc_cache_size(i));
		/* Natural alignment for every bucket, debugging or not (mm/slab_common.c). */
		/* Created first, at id i: kmalloc finds cache and task state by index. */
		if (!kmem_cache_create_id(name, kmalloc_cache_size(i),
					  kmalloc_cache_size(i) & -kmalloc_cache_size(i),
					  SLAB_KMALLOC, NULL, (int)i))
			abort();
	}
}

static pthread_once_t kmalloc_caches_once = PTHREAD_ONCE_INIT;

/*
 * At start-up, or at the first kmalloc if that comes sooner: a preloaded
 * malloc is called by other libraries' constructors, which may run before
 * this one (slab_alloc_slowpath() finds the cache missing and calls here).
 */
void kmalloc_caches_init(void)
{
	pthread_once(&kmalloc_caches_once, create_kmalloc_caches);
}

__attribute__((constructor)) static void kmalloc_init(void)
{
	kmalloc_caches_init();
}

/* ---- large blocks ---------------------------------------------------------------- */

/* include/asm-generic/getorder.h get_order(): the order of the fewest pages holding size > 0. */
static unsigned int size_order(size_t size)
{
	size_t pages_less_one = (size - 1) >> PAGE_SHIFT;

	return pages_less_one ? 64 - (unsigned int)__builtin_clzl(pages_less_one) : 0;
}

/*
 * A large block keeps its bookkeeping in its head page's map entry (size,
 * and the caller in owner), counts itself in the task, and when freed
 * waits in the task's one-per-order cache for the next allocation of that
 * order: a kmalloc_large/kfree pair of one size touches no lock. Cached
 * blocks stay charged to the memory limit; a task that meets the limit
 * gives its own cache back first.
 */
static __noinline void *kmalloc_large(size_t size, gfp_t flags, int node, void *caller)
{
	struct slub_task *t;
	struct kp_page *head;
	unsigned int order;
	char *p = NULL;

	might_sleep_if(gfpflags_allow_blocking(flags));
	if (unlikely(flags & GFP_SLAB_BUG_MASK))
		flags = kmalloc_fix_flags(flags);
	if (size > KMALLOC_MAX_SIZE) {
		kp_alloc_fail_note(KP_FAIL_TOO_LARGE);
		goto fail;
	}
	if (kp_should_failslab(size, flags) || !(t = slub_task_get()))
		goto fail;
	order = size_order(size);
	if (node == NUMA_NO_NODE && t->large_cache[order]) {
		p = t->large_cache[order];
		t->large_cache[order] = NULL;
		if (flags & __GFP_ZERO)
			kp_pages_zero(p, order);
	}
	if (!p)
		p = kp_pages_alloc(order, node, flags);
	if (!p) {
		/* Out of budget: this task's cached blocks are the first to give. */
		for (unsigned int o = 0; o <= MAX_PAGE_ORDER && !p; o++)
			if (t->large_cache[o]) {
				kp_pages_free(t->large_cache[o], o);
				t->large_cache[o] = NULL;
				p = kp_pages_alloc(order, node, flags);
			}
		if (!p)
			goto fail;
	}
	head = kp_page_lookup(p);
	/*
	 * The whole first word, as kfree's fast path loads it: a byte store
	 * to its type would leave that load waiting for the store to retire.
	 */
	head->slab_tag = (uint32_t)KP_PAGE_LARGE << 24;
	head->order = (uint8_t)order;
	head->size = (uint32_t)size;
	head->owner = caller;
	count_inc(&t->large_allocs);
	return p;
fail:
	warn_alloc(size, flags, "kmalloc_large");
	return NULL;
}

static void free_large(struct kp_page *head, void *p)
{
	struct slub_task *t = slub_task_get();
	unsigned int order = head->order;

	if (t) {
		count_inc(&t->large_frees);
		if (head->node == NUMA_NO_NODE && !t->large_cache[order]) {
			head->type = KP_PAGE_FREE;	/* a second kfree is a double free */
			t->large_cache[order] = p;
			return;
		}
	}
	kp_pages_free(p, order);
}

static void print_large(void *addr, struct kp_page *pg, void *arg)
{
	FILE *out = arg;

	fprintf(out, "unreferenced object %p (size %u):\n  kmalloc_large, %lu pages\n"
		"  backtrace:\n    [<%p>] %s\n", addr, pg->size, 1UL << pg->order, pg->owner,
		kp_symbol(pg->owner));
}

size_t kmalloc_large_report(FILE *out)
{
	size_t live = kmalloc_large_live();

	if (out && live)	/* the walk covers the whole page map: only when needed */
		kp_page_map_walk(KP_PAGE_LARGE, print_large, out);
	return live;
}

/* ---- kmalloc ------------------------------------------------------------------------- */

static __always_inline void *__kmalloc(size_t size, gfp_t flags, int node, void *caller)
{
	/* One test for both ends: size 0 wraps past the largest cache. */
	if (unlikely(size - 1 >= KMALLOC_MAX_CACHE_SIZE))
		return size ? kmalloc_large(size, flags, node, caller) : ZERO_SIZE_PTR;
	return slab_alloc_at(kmalloc_cpu_offset[(size - 1) / 8], flags, node, caller, size);
}

__fastpath_entry void *kmalloc(size_t size, gfp_t flags)
{
	return __kmalloc(size, flags, NUMA_NO_NODE, KP_CALLER);
}

void *kmalloc_node(size_t size, gfp_t flags, int node)
{
	if (node != NUMA_NO_NODE && (node < 0 || node >= kp_nr_nodes() || node >= KP_MAX_NODES)) {
		kp_alloc_fail_note(KP_FAIL_NODE);
		warn_alloc(size, flags, "kmalloc_node");
		return NULL;
	}
	return __kmalloc(size, flags, node, KP_CALLER);
}

static __cold void report_bad_pointer(const void *p, const char *fn, struct kp_page *pg,
				      void *caller)
{
	if (pg && pg->type == KP_PAGE_FREE)
		kp_report(KP_REPORT_DOUBLE_FREE, caller,
			  "BUG: %s(%p): the block was already freed", fn, p);
	else
		kp_report(KP_REPORT_INVALID_FREE, caller,
			  "BUG: %s(%p): %s", fn, p,
			  pg && pg->type == KP_PAGE_VMALLOC ? "a vmalloc address (use vfree or kvfree)"
			  : pg && pg->type == KP_PAGE_LARGE ? "not the start of a kmalloc block"
			  : "not allocated by kmalloc");
}

/* The kind of p: its slab, or its large block's head page; NULL (reported) if neither. */
static struct kp_page *kmalloc_page(const void *p, const char *fn, void *caller)
{
	struct kp_page *pg = kp_page_lookup(p);

	if (likely(pg && pg->type == KP_PAGE_SLAB))
		return pg;
	if (pg && pg->type == KP_PAGE_LARGE && !((uintptr_t)p & ~PAGE_MASK))
		return pg;
	report_bad_pointer(p, fn, pg, caller);
	return NULL;
}

/*
 * Everything kfree's fast path leaves: NULL, large blocks, pointers that
 * are not kprim's, and slab objects the fast path does not take.
 */
static __noinline void kfree_slowpath(const void *p, void *caller)
{
	struct kp_page *pg;

	if (ZERO_OR_NULL_PTR(p))
		return;
	pg = kmalloc_page(p, "kfree", caller);

	if (pg && pg->type == KP_PAGE_SLAB)
		slab_free_slowpath(SLAB_TAG_ID(pg->slab_tag), pg->owner, (void *)p, caller);
	else if (pg)
		free_large(pg, (void *)p);
}

static __always_inline void __kfree(const void *p, void *caller)
{
	/* NULL and ZERO_SIZE_PTR are in no page of the arena: the slow path ignores them. */
	struct kp_page *pg = kp_page_entry(p);

	if (likely(pg && slab_free_fast(pg, (void *)p)))
		return;
	kfree_slowpath(p, caller);
}

__fastpath_entry void kfree(const void *p)
{
	__kfree(p, KP_CALLER);
}

static size_t __ksize(const void *p, const char *fn, void *caller)
{
	struct kp_page *pg;

	if (ZERO_OR_NULL_PTR(p))
		return 0;
	pg = kmalloc_page(p, fn, caller);
	if (!pg)
		return 0;
	if (pg->type == KP_PAGE_SLAB)
		return ((struct slab *)pg->owner)->cache->object_size;
	return PAGE_SIZE << pg->order;
}

size_t ksize(const void *p)
{
	return __ksize(p, "ksize", KP_CALLER);
}

void kfree_sensitive(const void *p)
{
	size_t ks = __ksize(p, "kfree_sensitive", KP_CALLER);

	if (ks) {
		if (kp_page_lookup(p)->type == KP_PAGE_LARGE)
			kp_zero_range((void *)p, ks);	/* big ones: the pages dropped */
		else
			memset((void *)p, 0, ks);
		__asm__ __volatile__("" : : "r"(p) : "memory");	/* memzero_explicit */
		__kfree(p, KP_CALLER);
	}
}

/*
 * mm/slab_common.c __do_krealloc(). In place, __GFP_ZERO zeroes what grows
 * past the size asked for before, where that is tracked (debug caches),
 * else the spare tail [new_size, ksize); debug caches then red-zone the
 * object past new_size.
 */
void *krealloc(const void *p, size_t new_size, gfp_t flags)
{
	void *caller = KP_CALLER;
	struct kmem_cache *s = NULL;
	size_t ks, orig_size = 0;
	void *ret;

	if (ZERO_OR_NULL_PTR(p))
		return __kmalloc(new_size, flags, NUMA_NO_NODE, caller);
	if (!new_size) {
		__kfree(p, caller);
		return ZERO_SIZE_PTR;
	}
	ks = __ksize(p, "krealloc", caller);
	if (!ks)
		return NULL;
	if (kp_page_lookup(p)->type == KP_PAGE_SLAB) {
		s = ((struct slab *)kp_page_lookup(p)->owner)->cache;
		orig_size = slab_orig_size(s, (void *)p);
	}
	if (new_size <= ks) {
		if (flags & __GFP_ZERO) {
			if (s && orig_size < new_size)
				memset((char *)p + orig_size, 0, new_size - orig_size);
			else
				memset((char *)p + new_size, 0, ks - new_size);
		}
		if (s)
			slab_resize_in_place(s, (void *)p, new_size);
		return (void *)p;
	}
	ret = __kmalloc(new_size, flags, NUMA_NO_NODE, caller);
	if (!ret)
		return NULL;
	memcpy(ret, p, s ? orig_size : ks);
	__kfree(p, caller);
	return ret;
}
