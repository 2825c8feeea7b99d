/* SPDX-License-Identifier: MIT */
/*
 * page.h - the page allocator every kprim allocator stands on.
 *
 * Blocks of 2^order pages, aligned to their size (as the buddy allocator
 * gives them, mm/page_alloc.c), optionally on a NUMA node (mbind(2); no
 * hwloc here). Every page has an entry in a page map, kprim's struct page:
 * what the page belongs to (a slab, a large kmalloc, a vmalloc area) so
 * that kfree() can tell its own pointers from foreign ones.
 *
 * The page layer also owns memory pressure (include/linux/mmzone.h
 * watermarks, reduced to one zone): a settable limit on bytes in pages;
 * beyond it, allocations that may reclaim run the registered shrinkers and
 * retry, __GFP_HIGH (GFP_ATOMIC) may dip into a reserve above the limit,
 * GFP_NOWAIT may not, and __GFP_NOFAIL always succeeds.
 */
#ifndef KPRIM_ALLOC_PAGE_H
#define KPRIM_ALLOC_PAGE_H

#include <stddef.h>
#include <stdint.h>

#include "alloc/gfp.h"
#include "core/atomic.h"

struct qspinlock;

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1UL << PAGE_SHIFT)
#define PAGE_MASK	(~(PAGE_SIZE - 1))
#define MAX_PAGE_ORDER	10
#define NUMA_NO_NODE	(-1)

enum kp_page_type {
	KP_PAGE_NONE,		/* not kprim's */
	KP_PAGE_FREE,		/* kprim's, free (cached by the page allocator) */
	KP_PAGE_SLAB,		/* part of a slab: owner is its struct slab */
	KP_PAGE_LARGE,		/* head of a large kmalloc block */
	KP_PAGE_VMALLOC,	/* part of a vmalloc area: owner is its struct vm_struct */
};

struct kp_page {
	union {
		/*
		 * KP_PAGE_SLAB: the three fields below as one word, that
		 * kfree's fast path compares with the one its task expects
		 * (alloc/slub.h SLAB_TAG()): type, cache and node in one test.
		 * For other types the slab fields hold 0 or a stale slab's.
		 */
		uint32_t slab_tag;
		struct {
			uint16_t slab_offset;	/* its cache's state in a task's (slub.h) */
			uint8_t slab_node;	/* the slab's node */
			uint8_t type;		/* enum kp_page_type */
		};
	};
	int16_t node;		/* the node it was bound to, or NUMA_NO_NODE */
	uint8_t order;		/* KP_PAGE_LARGE, KP_PAGE_FREE: the block's order */
	void *owner;
	/*
	 * KP_PAGE_SLAB: its cache's object-start test (alloc/slub.h
	 * page_obj_valid()), beside the tag, so that kfree tests a pointer
	 * with the entry it has just looked up instead of waiting for the
	 * cache's state (the kernel's struct slab overlays struct page alike).
	 */
	uint64_t obj_magic;
	union {
		uint32_t obj_limit;
		uint32_t size;		/* KP_PAGE_LARGE: the size asked for */
	};
	uint32_t slab_mask;
};
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "slab_tag: type is its top byte");

/*
 * The arena: one reservation at start-up that every page kprim hands out
 * lies in (as the kernel's direct map and vmalloc space are ranges known
 * in advance), and its page map, one entry per page, indexed by the page's
 * offset in the arena. Only [base, base + pages * PAGE_SIZE), what has been
 * handed out so far, has entries; pages grows, published after the entries
 * it covers are writable, so a lookup needs one compare and no lock.
 *
 * The map sits right below base and spans the largest arena whatever the
 * size reserved, readable all over (zero, KP_PAGE_NONE, past what has
 * been handed out): so kp_page_entry() needs base alone, its bound is a
 * constant, and the entry's address is base's less a constant.
 */
#define ARENA_MAX_SHIFT		38	/* 256 GiB: the largest arena */
#define ARENA_MAX_PAGES		(1UL << (ARENA_MAX_SHIFT - PAGE_SHIFT))
#define ARENA_MAP_BYTES		(ARENA_MAX_PAGES * sizeof(struct kp_page))

struct kp_arena {
	char *base;		/* the map ends here: map = base - ARENA_MAP_BYTES */
	struct kp_page *map;
	uintptr_t pages;	/* pages handed out so far: the map's writable part */
};
extern struct kp_arena kp_arena;

/**
 * kp_page_lookup - the page map entry of the page holding an address
 * @addr: any address
 *
 * Memory ordering: an acquire load of the arena's extent, so the entry
 * read is at least as new as the page's hand-out.
 *
 * Return: the entry, or NULL if @addr is not in the part of the arena
 * handed out so far.
 */
static __always_inline struct kp_page *kp_page_lookup(const void *addr)
{
	uintptr_t pages = kp_atomic_load(&kp_arena.pages, KP_ACQUIRE);
	uintptr_t pfn = ((uintptr_t)addr - (uintptr_t)kp_arena.base) >> PAGE_SHIFT;
	struct kp_page *pg;

	if (unlikely(pfn >= pages))
		return NULL;
	pg = &kp_arena.map[pfn];
	if (!pg)
		__builtin_unreachable();	/* so callers' NULL tests fold into the bound's */
	return pg;
}

/**
 * kp_page_entry - the fast paths' page map lookup
 * @addr: any address
 *
 * Past the pages handed out the entry reads as zero (KP_PAGE_NONE, no
 * slab tag, a zero object-start limit), which the caller's tests turn
 * away; it needs no ordering against the allocator, as an object's entry
 * was written before the object was handed out.
 *
 * Return: the entry for @addr's page if @addr lies in the largest arena's
 * span, else NULL.
 */
static __always_inline struct kp_page *kp_page_entry(const void *addr)
{
	uintptr_t pfn = ((uintptr_t)addr - (uintptr_t)kp_arena.base) >> PAGE_SHIFT;
	struct kp_page *pg;

	if (unlikely(pfn >= ARENA_MAX_PAGES))
		return NULL;
	pg = (struct kp_page *)(kp_arena.base - ARENA_MAP_BYTES) + pfn;
	if (!pg)
		__builtin_unreachable();
	return pg;
}

/**
 * kp_page_map_walk - call a function for every page of one type
 * @type: the entries to visit
 * @fn: called with each page's address, entry and @arg, in address order
 * @arg: passed to @fn
 *
 * A diagnostic walk over the whole map (kmemleak), not for hot paths.
 */
void kp_page_map_walk(enum kp_page_type type, void (*fn)(void *addr, struct kp_page *pg,
							 void *arg), void *arg);
/**
 * kp_page_map_set - set the map entries of a range of pages
 * @addr: the first page, page-aligned
 * @len: the range's length, a multiple of PAGE_SIZE
 * @entry: the entry to copy to each page, all but order and node, which
 *         stay the page allocator's
 *
 * Return: 0, or -EINVAL if the pages are not all in the part of the arena
 * handed out.
 */
int kp_page_map_set(const void *addr, size_t len, const struct kp_page *entry);

/**
 * kp_range_alloc - reserve an unmapped range of arena pages
 * @order: the range is 2^@order pages, aligned to its size up to order
 *         MAX_PAGE_ORDER
 *
 * The range is PROT_NONE and charged nothing: vmalloc maps what it needs
 * of it. Its head entry is left as it was. kp_range_free() unmaps a range
 * and gives it back, its head entry KP_PAGE_FREE until it is reused.
 *
 * Return: the range, or NULL if the arena is full.
 */
void *kp_range_alloc(unsigned int order);
void kp_range_free(void *addr, unsigned int order);
/**
 * kp_range_keep - give back a range whose first bytes stay mapped, for reuse
 * @addr: the range, of 2^@order pages, its first @mapped bytes read-write
 * @order: its order
 * @mapped: the bytes mapped, a multiple of PAGE_SIZE
 *
 * A freed vmalloc area, kept as it is (a stand-in for the kernel's lazily
 * purged vmap areas, mm/vmalloc.c, and the pages the page allocator keeps)
 * so that kp_range_take_kept() hands it out again without a system call or
 * a page fault. Only the newest few, up to a byte budget, are kept: the
 * oldest are given back with kp_range_free() to make room. Its head entry
 * is KP_PAGE_FREE meanwhile; under ASan its bytes are poisoned. A debug
 * build without ASan keeps nothing: a freed area that faults on any touch
 * is its only use-after-free check.
 */
void kp_range_keep(void *addr, unsigned int order, size_t mapped);
/**
 * kp_range_take_kept - a kept range of this order and mapped size
 * @order: its order
 * @mapped: the bytes it must have mapped
 *
 * Return: the range, its contents what its last user left, or NULL.
 */
void *kp_range_take_kept(unsigned int order, size_t mapped);
/**
 * kp_range_kept_bytes - the bytes of freed vmalloc areas kept mapped now
 *
 * Return: at most the budget (32 MiB); 0 in a debug build without ASan.
 */
size_t kp_range_kept_bytes(void);

/**
 * kp_pages_alloc - allocate a block of pages
 * @order: the block is 2^@order pages, aligned to its size
 * @node: the node to take them from; NUMA_NO_NODE for anywhere (with
 *        __GFP_THISNODE in @gfp, nowhere else)
 * @gfp: how to allocate, under the memory limit's rules for these flags
 *
 * The block's map entries are left KP_PAGE_NONE for the caller to set.
 * kp_pages_free() gives a block back. A fresh node-less block of fewer
 * than 2^PAGES_BATCH_ORDER pages is cut from a batch of that many, mapped
 * with one system call; the next calls for its order take the rest.
 *
 * Context: may sleep (reclaim through the shrinkers) if @gfp allows it.
 *
 * Return: the block, or NULL on failure, counted by cause
 * (kp_alloc_fail_count()).
 */
#define PAGES_BATCH_ORDER	6	/* 256 KiB */
void *kp_pages_alloc(unsigned int order, int node, gfp_t gfp);
void kp_pages_free(void *addr, unsigned int order);
/**
 * kp_pages_fork_locks - the page allocator's lock words, for fork() handlers
 * @locks: filled with them (KP_PAGES_FORK_LOCKS)
 *
 * Context: kmem_fork_prepare() takes them with the slab layer's.
 *
 * Return: how many.
 */
#define KP_PAGES_FORK_LOCKS	3
unsigned int kp_pages_fork_locks(struct qspinlock **locks);
/**
 * kp_zero_range - zero memory kprim mapped, dropping whole pages of big spans
 * @addr: the start
 * @len: how many bytes
 *
 * For a reused block asked for with __GFP_ZERO, kfree_sensitive(), a
 * shrinking vrealloc(): from 2^PAGES_ZERO_DROP_ORDER pages up, the whole
 * pages in the span are dropped instead of cleared, to fault back in
 * zeroed where they are touched, as big zeroed blocks are often touched
 * only in part, and freed ones not at all. kp_pages_zero() zeroes a block.
 */
#define PAGES_ZERO_DROP_ORDER	6	/* 256 KiB */
void kp_zero_range(void *addr, size_t len);

static inline void kp_pages_zero(void *addr, unsigned int order)
{
	kp_zero_range(addr, PAGE_SIZE << order);
}

/**
 * kp_pages_move - move pages to another address instead of copying them
 * @to: the destination, page-aligned, node-less (a bound range's policy
 *      would move along)
 * @from: the source, page-aligned, node-less
 * @len: how many bytes, a multiple of PAGE_SIZE
 *
 * The pages of [@from, @from + @len) replace what was mapped at @to: a
 * growing realloc's contents change address without a copy (as glibc's
 * realloc grows its big chunks). The old range stays mapped, empty
 * (MREMAP_DONTUNMAP, Linux 5.7), so no hole opens in the arena for another
 * mapping to land in. Worth it from PAGES_MOVE_BYTES up, into fresh
 * memory (vrealloc()): a large kmalloc block's pages stay put, as freed
 * blocks are kept for reuse and would come back emptied.
 *
 * Return: true if moved; false if the kernel refused, and the caller copies.
 */
#define PAGES_MOVE_BYTES	(64UL << 10)
bool kp_pages_move(void *to, void *from, size_t len);
/**
 * kp_pages_charge - account memory mapped by other means against the limit
 * @bytes: how many bytes (vmalloc's mapped pages)
 * @gfp: the allocation's flags, which decide its reserve
 *
 * kp_pages_uncharge() gives them back.
 *
 * Return: 0, or -ENOMEM if the limit refuses them.
 */
int kp_pages_charge(size_t bytes, gfp_t gfp);
void kp_pages_uncharge(size_t bytes);

/*
 * Records of KP_META_SIZE bytes, zeroed, for the allocators' own
 * bookkeeping (slab descriptors, large blocks, vmalloc areas), kept apart
 * from the memory they describe. NULL only if the system is out of memory.
 */
#define KP_META_SIZE	128
/**
 * kp_meta_alloc - a zeroed record for an allocator's own bookkeeping
 *
 * KP_META_SIZE bytes (slab descriptors, large blocks, vmalloc areas),
 * kept apart from the memory they describe; kp_meta_free() frees one.
 *
 * Return: the record; NULL only if the system is out of memory.
 */
void *kp_meta_alloc(void);
void kp_meta_free(void *p);

/**
 * kp_mbind - bind a range of memory to a NUMA node
 * @addr: the start, page-aligned
 * @len: how many bytes
 * @node: the node
 * @strict: make it the only node allowed (MPOL_BIND) instead of preferred
 *
 * Return: 0, or a negative errno from mbind(2).
 */
int kp_mbind(void *addr, size_t len, int node, bool strict);
/**
 * kp_page_node - the NUMA node a page sits on
 * @addr: an address in the page, which is touched first
 *
 * Return: the node, or a negative errno from get_mempolicy(2).
 */
int kp_page_node(const void *addr);
/**
 * kp_nr_nodes - how many NUMA nodes this machine has online
 *
 * Return: the number of nodes, at least 1.
 */
int kp_nr_nodes(void);

/* ---- memory pressure ---------------------------------------------------- */

/**
 * kp_mem_set_limit - set the memory limit the GFP reserves are measured against
 * @bytes: the limit on bytes in pages; 0 for none
 *
 * Beyond it, allocations that may reclaim run the registered shrinkers and
 * retry, __GFP_HIGH (GFP_ATOMIC) may dip into a reserve above the limit,
 * GFP_NOWAIT may not, and __GFP_NOFAIL always succeeds.
 */
void kp_mem_set_limit(size_t bytes);
/**
 * kp_mem_used - how much memory is in pages now
 *
 * Return: the bytes in pages kprim has handed out and not taken back.
 */
size_t kp_mem_used(void);

/* A shrinker: asked to free nr_to_scan objects' worth, returns how many it freed. */
struct kp_shrinker {
	unsigned long (*scan)(struct kp_shrinker *s, unsigned long nr_to_scan);
	struct kp_shrinker *next;
};
/**
 * kp_shrinker_register - let the page allocator ask a cache to give memory back
 * @s: the shrinker; its scan() is asked to free nr_to_scan objects' worth
 *     and returns how many it freed
 *
 * Under the memory limit, allocations that may reclaim call every
 * registered shrinker before they fail. kp_shrinker_unregister() removes one.
 */
void kp_shrinker_register(struct kp_shrinker *s);
void kp_shrinker_unregister(struct kp_shrinker *s);

enum kp_alloc_fail_cause {
	KP_FAIL_LIMIT,		/* over the limit (after reclaim, where allowed) */
	KP_FAIL_INJECTED,	/* fault injection (failslab or fail-nth) */
	KP_FAIL_TOO_LARGE,	/* beyond what the allocator can ever give */
	KP_FAIL_NODE,		/* the node does not exist or cannot be bound */
	KP_FAIL_NOMEM,		/* the system itself refused (mmap) */
	KP_FAIL_NR
};
/**
 * kp_alloc_fail_count - failed allocations of one cause
 * @cause: why they failed
 *
 * kp_alloc_fail_reset() zeroes every count; kp_alloc_fail_note() counts
 * one, for the allocators.
 *
 * Return: the failures of @cause since start or the last reset.
 */
unsigned long kp_alloc_fail_count(enum kp_alloc_fail_cause cause);
void kp_alloc_fail_reset(void);
/* Count one failure (used by every allocator). */
void kp_alloc_fail_note(enum kp_alloc_fail_cause cause);

#endif /* KPRIM_ALLOC_PAGE_H */
