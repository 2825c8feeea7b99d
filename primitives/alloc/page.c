// SPDX-License-Identifier: MIT
/*
 * page.c - page blocks, the page map, NUMA binding and memory pressure.
 *
 * Blocks come from mmap(2), over-allocated and trimmed to be aligned to
 * their size. Freed blocks of no particular node are kept in per-order
 * caches (a small stand-in for the buddy allocator's free lists) so that a
 * large kmalloc/kfree pair costs two list operations, not two system calls.
 *
 * The page map is a two-level table indexed by page frame number (the
 * user address space has 2^35 pages of 4 KiB): 2^17 first-level slots, each
 * pointing to 2^18 entries mapped on first use with MAP_NORESERVE, so only
 * the parts of the map that describe kprim memory ever become resident.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "alloc/page.h"
#include "core/atomic.h"
#include "sync/mutex.h"
#include "sync/spinlock.h"

#define MAP_L2_BITS	KP_PAGE_MAP_L2_BITS
#define MAP_L1_BITS	KP_PAGE_MAP_L1_BITS
#define MAP_L2_SIZE	(1UL << MAP_L2_BITS)

struct kp_page *kp_page_map[1UL << MAP_L1_BITS];

static struct kp_page *map_slot(uintptr_t pfn, bool create)
{
	uintptr_t l1 = pfn >> MAP_L2_BITS;
	struct kp_page *l2, *expected = NULL;

	if (l1 >= (1UL << MAP_L1_BITS))
		return NULL;
	l2 = kp_atomic_load(&kp_page_map[l1], KP_ACQUIRE);
	if (l2 || !create)
		return l2 ? &l2[pfn & (MAP_L2_SIZE - 1)] : NULL;
	l2 = mmap(NULL, MAP_L2_SIZE * sizeof(*l2), PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (l2 == MAP_FAILED)
		return NULL;
	if (!kp_atomic_try_cmpxchg(&kp_page_map[l1], &expected, l2, KP_ACQ_REL)) {
		munmap(l2, MAP_L2_SIZE * sizeof(*l2));	/* another thread won */
		l2 = expected;
	}
	return &l2[pfn & (MAP_L2_SIZE - 1)];
}

void kp_page_map_walk(enum kp_page_type type, void (*fn)(void *addr, struct kp_page *pg,
							 void *arg), void *arg)
{
	for (uintptr_t l1 = 0; l1 < (1UL << MAP_L1_BITS); l1++) {
		struct kp_page *l2 = kp_atomic_load(&kp_page_map[l1], KP_ACQUIRE);

		for (uintptr_t i = 0; l2 && i < MAP_L2_SIZE; i++)
			if (l2[i].type == type)
				fn((void *)(((l1 << MAP_L2_BITS) | i) << PAGE_SHIFT), &l2[i], arg);
	}
}

int kp_page_map_set(const void *addr, size_t len, const struct kp_page *entry)
{
	uintptr_t pfn = (uintptr_t)addr >> PAGE_SHIFT;

	for (size_t i = 0; i < len >> PAGE_SHIFT; i++) {
		struct kp_page *pg = map_slot(pfn + i, true);
		uint8_t order;
		int16_t node;

		if (!pg)
			return -ENOMEM;
		order = pg->order;
		node = pg->node;
		*pg = *entry;
		pg->order = order;
		pg->node = node;
	}
	return 0;
}

/* ---- failures by cause ----------------------------------------------------- */

static unsigned long fail_counts[KP_FAIL_NR];

void kp_alloc_fail_note(enum kp_alloc_fail_cause cause)
{
	kp_atomic_fetch_add(&fail_counts[cause], 1, KP_RELAXED);
}

unsigned long kp_alloc_fail_count(enum kp_alloc_fail_cause cause)
{
	return (unsigned int)cause < KP_FAIL_NR ? kp_atomic_load(&fail_counts[cause], KP_RELAXED) : 0;
}

void kp_alloc_fail_reset(void)
{
	for (int i = 0; i < KP_FAIL_NR; i++)
		kp_atomic_store(&fail_counts[i], 0, KP_RELAXED);
}

/* ---- memory pressure ---------------------------------------------------------- */

static size_t mem_limit;
static size_t mem_used;
static struct kp_shrinker *shrinkers;
static DEFINE_MUTEX(shrinker_lock);

void kp_mem_set_limit(size_t bytes)
{
	kp_atomic_store(&mem_limit, bytes, KP_RELAXED);
}

size_t kp_mem_used(void)
{
	return kp_atomic_load(&mem_used, KP_RELAXED);
}

void kp_shrinker_register(struct kp_shrinker *s)
{
	mutex_lock(&shrinker_lock);
	s->next = shrinkers;
	shrinkers = s;
	mutex_unlock(&shrinker_lock);
}

void kp_shrinker_unregister(struct kp_shrinker *s)
{
	mutex_lock(&shrinker_lock);
	for (struct kp_shrinker **p = &shrinkers; *p; p = &(*p)->next) {
		if (*p == s) {
			*p = s->next;
			break;
		}
	}
	mutex_unlock(&shrinker_lock);
}

/* mm/vmscan.c shrink_slab(), reduced: ask every shrinker; report progress. */
static unsigned long run_shrinkers(size_t bytes)
{
	unsigned long freed = 0;

	mutex_lock(&shrinker_lock);
	for (struct kp_shrinker *s = shrinkers; s; s = s->next)
		freed += s->scan(s, (bytes + PAGE_SIZE - 1) >> PAGE_SHIFT);
	mutex_unlock(&shrinker_lock);
	return freed;
}

/*
 * The reserve __GFP_HIGH may use beyond the limit: an eighth of it, as the
 * kernel lets atomic allocations dip below the min watermark.
 */
static size_t high_reserve(size_t limit)
{
	return limit / 8 > 64 * PAGE_SIZE ? limit / 8 : 64 * PAGE_SIZE;
}

int kp_pages_charge(size_t bytes, gfp_t gfp)
{
	int retries = gfp & __GFP_RETRY_MAYFAIL ? 8 : (gfp & __GFP_NORETRY ? 1 : 2);
	size_t used = kp_atomic_load(&mem_used, KP_RELAXED);

	for (;;) {
		size_t limit = kp_atomic_load(&mem_limit, KP_RELAXED);
		size_t allowed = limit + (gfp & __GFP_HIGH ? high_reserve(limit) : 0);

		if (!limit || used + bytes <= allowed || (gfp & __GFP_NOFAIL)) {
			if (kp_atomic_try_cmpxchg(&mem_used, &used, used + bytes, KP_RELAXED))
				return 0;
			continue;
		}
		if (!gfpflags_allow_blocking(gfp) || retries-- <= 0 || !run_shrinkers(bytes)) {
			kp_alloc_fail_note(KP_FAIL_LIMIT);
			return -ENOMEM;
		}
		used = kp_atomic_load(&mem_used, KP_RELAXED);
	}
}

void kp_pages_uncharge(size_t bytes)
{
	kp_atomic_fetch_sub(&mem_used, bytes, KP_RELAXED);
}

/* ---- NUMA ------------------------------------------------------------------------ */

#define KP_MPOL_PREFERRED	1
#define KP_MPOL_BIND		2
#define KP_MPOL_F_NODE		(1 << 0)
#define KP_MPOL_F_ADDR		(1 << 1)

static int nr_nodes;

int kp_nr_nodes(void)
{
	int n = kp_atomic_load(&nr_nodes, KP_RELAXED);
	char buf[256];
	FILE *f;

	if (n)
		return n;
	n = 1;
	f = fopen("/sys/devices/system/node/online", "r");
	if (f) {
		if (fgets(buf, sizeof(buf), f)) {
			/* "0", "0-3" or "0,2-5": one past the highest node */
			for (char *p = buf; *p; ) {
				long v = strtol(p, &p, 10);

				if (v + 1 > n)
					n = (int)v + 1;
				if (*p == ',' || *p == '-')
					p++;
				else
					break;
			}
		}
		fclose(f);
	}
	kp_atomic_store(&nr_nodes, n, KP_RELAXED);
	return n;
}

int kp_mbind(void *addr, size_t len, int node, bool strict)
{
	unsigned long mask[16] = { 0 };

	if (node < 0 || node >= kp_nr_nodes() || node >= (int)(sizeof(mask) * 8))
		return -EINVAL;
	mask[node / 64] = 1UL << (node % 64);
	if (syscall(SYS_mbind, addr, len, strict ? KP_MPOL_BIND : KP_MPOL_PREFERRED, mask,
		    sizeof(mask) * 8, 0))
		return -errno;
	return 0;
}

int kp_page_node(const void *addr)
{
	int node = -1;

	*(volatile const char *)addr;	/* fault it in so it has a node */
	if (syscall(SYS_get_mempolicy, &node, NULL, 0, addr, KP_MPOL_F_NODE | KP_MPOL_F_ADDR))
		return -errno;
	return node;
}

/* ---- blocks ------------------------------------------------------------------------- */

/* Freed node-less blocks, per order, up to a cap; the first word links them. */
#define FREE_CACHE_MAX	(64UL << 20)

static void *free_blocks[MAX_PAGE_ORDER + 1];
static size_t free_cached;
static DEFINE_RAW_SPINLOCK(free_lock);

static void *cache_take(unsigned int order)
{
	void *block;

	raw_spin_lock(&free_lock);
	block = free_blocks[order];
	if (block) {
		free_blocks[order] = *(void **)block;
		free_cached -= PAGE_SIZE << order;
	}
	raw_spin_unlock(&free_lock);
	return block;
}

static bool cache_put(void *block, unsigned int order)
{
	bool kept = false;

	raw_spin_lock(&free_lock);
	if (free_cached + (PAGE_SIZE << order) <= FREE_CACHE_MAX) {
		*(void **)block = free_blocks[order];
		free_blocks[order] = block;
		free_cached += PAGE_SIZE << order;
		kept = true;
	}
	raw_spin_unlock(&free_lock);
	return kept;
}

static void *map_aligned(size_t len)
{
	size_t span = len > PAGE_SIZE ? 2 * len : len;
	char *p = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t start;

	if (p == MAP_FAILED)
		return NULL;
	if (span == len)
		return p;
	start = ((uintptr_t)p + len - 1) & ~(uintptr_t)(len - 1);
	if (start > (uintptr_t)p)
		munmap(p, start - (uintptr_t)p);
	munmap((char *)start + len, (uintptr_t)p + span - start - len);
	return (void *)start;
}

void *kp_pages_alloc(unsigned int order, int node, gfp_t gfp)
{
	size_t len = PAGE_SIZE << order;
	struct kp_page *head;
	void *block = NULL;
	bool cached = false;

	if (order > MAX_PAGE_ORDER) {
		kp_alloc_fail_note(KP_FAIL_TOO_LARGE);
		return NULL;
	}
	if (node != NUMA_NO_NODE && (node < 0 || node >= kp_nr_nodes())) {
		kp_alloc_fail_note(KP_FAIL_NODE);
		return NULL;
	}
	if (kp_pages_charge(len, gfp))
		return NULL;
	if (node == NUMA_NO_NODE)
		cached = (block = cache_take(order)) != NULL;
	if (!block) {
		block = map_aligned(len);
		if (!block) {
			kp_pages_uncharge(len);
			kp_alloc_fail_note(KP_FAIL_NOMEM);
			return NULL;
		}
		if (node != NUMA_NO_NODE &&
		    kp_mbind(block, len, node, gfp & __GFP_THISNODE) && (gfp & __GFP_THISNODE)) {
			munmap(block, len);
			kp_pages_uncharge(len);
			kp_alloc_fail_note(KP_FAIL_NODE);
			return NULL;
		}
	}
	head = map_slot((uintptr_t)block >> PAGE_SHIFT, true);
	if (!head) {
		kp_pages_free(block, order);
		return NULL;
	}
	head->type = KP_PAGE_NONE;
	head->order = (uint8_t)order;
	head->node = (int16_t)node;
	if ((gfp & __GFP_ZERO) && cached)
		memset(block, 0, len);	/* fresh mappings are zero already */
	return block;
}

/*
 * The head's map entry says what became of the block (FREE while cached,
 * NONE once unmapped); the entries of other pages are the owner's to clear.
 * The entry is written before the block is published in the cache: once
 * there, another task may take it and write the entry itself.
 */
void kp_pages_free(void *addr, unsigned int order)
{
	size_t len = PAGE_SIZE << order;
	struct kp_page *head = kp_page_lookup(addr);

	kp_pages_uncharge(len);
	if (head && head->node == NUMA_NO_NODE) {
		head->type = KP_PAGE_FREE;
		head->order = (uint8_t)order;
		head->owner = NULL;
		if (cache_put(addr, order))
			return;
	}
	if (head) {
		head->type = KP_PAGE_NONE;
		head->owner = NULL;
	}
	munmap(addr, len);
}

/* ---- bookkeeping records -------------------------------------------------------- */

#define META_CHUNK_ORDER 4

static void *meta_free_list;
static DEFINE_RAW_SPINLOCK(meta_lock);

void *kp_meta_alloc(void)
{
	void *p;

	raw_spin_lock(&meta_lock);
	p = meta_free_list;
	if (p)
		meta_free_list = *(void **)p;
	raw_spin_unlock(&meta_lock);
	if (!p) {
		/* Bookkeeping is not the caller's allocation: it never counts or fails. */
		char *chunk = kp_pages_alloc(META_CHUNK_ORDER, NUMA_NO_NODE,
					     __GFP_NOFAIL | __GFP_NOWARN);
		size_t n = (PAGE_SIZE << META_CHUNK_ORDER) / KP_META_SIZE;

		if (!chunk)
			return NULL;
		raw_spin_lock(&meta_lock);
		for (size_t i = 1; i < n; i++) {
			*(void **)(chunk + i * KP_META_SIZE) = meta_free_list;
			meta_free_list = chunk + i * KP_META_SIZE;
		}
		raw_spin_unlock(&meta_lock);
		p = chunk;
	}
	memset(p, 0, KP_META_SIZE);
	return p;
}

void kp_meta_free(void *p)
{
	raw_spin_lock(&meta_lock);
	*(void **)p = meta_free_list;
	meta_free_list = p;
	raw_spin_unlock(&meta_lock);
}
