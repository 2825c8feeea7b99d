// SPDX-License-Identifier: MIT
/*
 * page.c - page blocks, the page map, NUMA binding and memory pressure.
 *
 * Every page lies in the arena (page.h), one PROT_NONE reservation made
 * at start-up or at the first allocation, whichever comes first, so that the page map is a single array and kfree() finds
 * a pointer's entry with one subtraction and one compare (the two-level
 * table it replaces cost a dependent load and two more tests). Ranges of
 * 2^order pages are cut from the arena's unused end, aligned to their size
 * (up to MAX_PAGE_ORDER), and kept per order when freed, unmapped; there
 * is no merging (and no splitting, but of a fresh batch: block_map()), so
 * what a workload churns through costs address space, which the
 * reservation has plenty of, not memory. Blocks
 * are ranges mapped read-write. Freed node-less blocks are kept mapped in
 * per-order caches (a small stand-in for the buddy allocator's free lists)
 * so that a large kmalloc/kfree pair costs two list operations, not two
 * system calls, and small fresh ones are mapped a batch at a time
 * (block_map()); the newest freed vmalloc areas are kept mapped too, for
 * the next area of as many pages (kp_range_keep()).
 *
 * The map is readable all over from the start (read-only anonymous
 * memory: zero pages, nothing charged); its pages are made writable as
 * the used part of the arena grows, before the lookup's bound
 * (kp_arena.pages) is raised over them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
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

#ifdef KP_ASAN	/* from kprim_config.h, by way of page.h */
#include <sanitizer/asan_interface.h>
#endif

/* The largest reservation tried (page.h), then each a quarter of the last, down to the smallest. */
#define ARENA_MIN_SHIFT		32	/* 4 GiB */
#define RANGE_ORDERS		(ARENA_MAX_SHIFT - PAGE_SHIFT + 1)
#define BLOCK_ALIGN		(PAGE_SIZE << MAX_PAGE_ORDER)
#define MAP_CHUNK		(64UL << 10)	/* map bytes made writable at a time */

/*
 * Until an arena is reserved, base lies where no user address is within
 * ARENA_MAX_PAGES pages above it, so kp_page_entry() finds nothing.
 */
struct kp_arena kp_arena = { .base = (char *)-(1UL << ARENA_MAX_SHIFT) };
static uintptr_t arena_size;		/* pages reserved */
static size_t map_writable;		/* bytes of the map made writable */
static void *free_ranges[RANGE_ORDERS];	/* unmapped, linked through the head entry's owner */
static DEFINE_RAW_SPINLOCK(range_lock);

static bool arena_tried;

/*
 * Reserved at the first page range asked for, under range_lock (a
 * preloaded malloc is called by other libraries' constructors before
 * kprim's own have run), or else by the constructor below, before main().
 * base and map are written before the first release store of
 * kp_arena.pages, which every lookup loads first with acquire: a lookup
 * that can find a page sees them, and they never change afterwards.
 * A failure is said with write(): stdio may allocate.
 */
static void arena_reserve_locked(void)
{
	static const char fail[] = "kprim: cannot reserve an arena of even 4 GiB: "
				   "every allocation will fail\n";

	arena_tried = true;
	for (unsigned int shift = ARENA_MAX_SHIFT; shift >= ARENA_MIN_SHIFT; shift -= 2) {
		char *p = mmap(NULL, ARENA_MAP_BYTES + BLOCK_ALIGN + (1UL << shift), PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		char *base;

		if (p == MAP_FAILED)
			continue;
		base = (char *)(((uintptr_t)p + ARENA_MAP_BYTES + BLOCK_ALIGN - 1) &
				~(BLOCK_ALIGN - 1));
		if (mprotect(base - ARENA_MAP_BYTES, ARENA_MAP_BYTES, PROT_READ)) {
			munmap(p, ARENA_MAP_BYTES + BLOCK_ALIGN + (1UL << shift));
			continue;
		}
		kp_arena.map = (struct kp_page *)(base - ARENA_MAP_BYTES);
		kp_arena.base = base;
		arena_size = 1UL << (shift - PAGE_SHIFT);
		return;
	}
	_Static_assert(ARENA_MIN_SHIFT == 32, "the message says 4 GiB");
	if (write(STDERR_FILENO, fail, sizeof(fail) - 1) < 0)
		return;
}

/* Priority 101 comes before other constructors of the same object. */
__attribute__((constructor(101))) static void arena_reserve(void)
{
	raw_spin_lock(&range_lock);
	if (!arena_tried)
		arena_reserve_locked();
	raw_spin_unlock(&range_lock);
}

/* Make the map entries of the first pages pages writable; under range_lock. */
static bool map_grow(uintptr_t pages)
{
	size_t need = (pages * sizeof(struct kp_page) + MAP_CHUNK - 1) & ~(MAP_CHUNK - 1);

	if (need <= map_writable)
		return true;
	if (mprotect((char *)kp_arena.map + map_writable, need - map_writable,
		     PROT_READ | PROT_WRITE))
		return false;
	map_writable = need;
	return true;
}

void *kp_range_alloc(unsigned int order)
{
	uintptr_t align = 1UL << (order < MAX_PAGE_ORDER ? order : MAX_PAGE_ORDER);
	uintptr_t start, end;
	char *addr = NULL;

	if (order >= RANGE_ORDERS)
		return NULL;
	raw_spin_lock(&range_lock);
	if (unlikely(!arena_tried))
		arena_reserve_locked();
	addr = free_ranges[order];
	if (addr) {
		free_ranges[order] = kp_page_lookup(addr)->owner;
	} else if (arena_size) {
		start = (kp_arena.pages + align - 1) & ~(align - 1);
		end = start + (1UL << order);
		if (end <= arena_size && map_grow(end)) {
			addr = kp_arena.base + (start << PAGE_SHIFT);
			kp_atomic_store(&kp_arena.pages, end, KP_RELEASE);
		}
	}
	raw_spin_unlock(&range_lock);
	return addr;
}

void kp_range_free(void *addr, unsigned int order)
{
	struct kp_page *head = kp_page_lookup(addr);

	/* A fresh PROT_NONE mapping over it gives its pages back. */
	mmap(addr, PAGE_SIZE << order, PROT_NONE,
	     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
	raw_spin_lock(&range_lock);
	head->type = KP_PAGE_FREE;
	head->order = (uint8_t)order;
	head->owner = free_ranges[order];
	free_ranges[order] = addr;
	raw_spin_unlock(&range_lock);
}

/*
 * Freed vmalloc areas, kept mapped, oldest first; under free_lock (the
 * block cache's lock, which fork() already takes).
 */
#define KEPT_RANGES	32
#define KEPT_MAX	(32UL << 20)	/* bytes kept mapped, beside the block cache's */

static struct kept_range {
	void *addr;
	size_t mapped;
	unsigned int order;
} kept_ranges[KEPT_RANGES];
static unsigned int nr_kept;
static size_t kept_bytes;
static DEFINE_RAW_SPINLOCK(free_lock);

#ifdef KP_ASAN
#define kept_poison(p, n)	ASAN_POISON_MEMORY_REGION((p), (n))
#define kept_unpoison(p, n)	ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define kept_poison(p, n)	((void)(p), (void)(n))
#define kept_unpoison(p, n)	((void)(p), (void)(n))
#endif
/* Without ASan a debug build keeps nothing (page.h says why). */
#if defined(KP_DEBUG) && !defined(KP_ASAN)
#define KEEP_RANGES	false
#else
#define KEEP_RANGES	true
#endif

void kp_range_keep(void *addr, unsigned int order, size_t mapped)
{
	struct kp_page *head = kp_page_lookup(addr);
	struct kept_range evicted[KEPT_RANGES];
	unsigned int nr_evicted = 0;

	if (!KEEP_RANGES || mapped > KEPT_MAX) {
		kp_range_free(addr, order);
		return;
	}
	kept_poison(addr, mapped);	/* before another task can take it */
	raw_spin_lock(&free_lock);
	while (nr_kept == KEPT_RANGES || kept_bytes + mapped > KEPT_MAX) {	/* the oldest go */
		evicted[nr_evicted++] = kept_ranges[0];
		kept_bytes -= kept_ranges[0].mapped;
		memmove(&kept_ranges[0], &kept_ranges[1], --nr_kept * sizeof(kept_ranges[0]));
	}
	head->type = KP_PAGE_FREE;	/* a second vfree() is a double free */
	head->order = (uint8_t)order;
	head->owner = NULL;
	kept_ranges[nr_kept++] = (struct kept_range){ addr, mapped, order };
	kept_bytes += mapped;
	raw_spin_unlock(&free_lock);
	while (nr_evicted--) {		/* unmapped outside the lock: system calls */
		kept_unpoison(evicted[nr_evicted].addr, evicted[nr_evicted].mapped);
		kp_range_free(evicted[nr_evicted].addr, evicted[nr_evicted].order);
	}
}

size_t kp_range_kept_bytes(void)
{
	size_t bytes;

	raw_spin_lock(&free_lock);
	bytes = kept_bytes;
	raw_spin_unlock(&free_lock);
	return bytes;
}

void *kp_range_take_kept(unsigned int order, size_t mapped)
{
	void *addr = NULL;

	raw_spin_lock(&free_lock);
	for (unsigned int i = nr_kept; i-- > 0;) {	/* the newest first: its pages are warm */
		if (kept_ranges[i].order != order || kept_ranges[i].mapped != mapped)
			continue;
		addr = kept_ranges[i].addr;
		kept_bytes -= mapped;
		memmove(&kept_ranges[i], &kept_ranges[i + 1], (--nr_kept - i) * sizeof(kept_ranges[0]));
		break;
	}
	raw_spin_unlock(&free_lock);
	if (addr)
		kept_unpoison(addr, mapped);
	return addr;
}

void kp_page_map_walk(enum kp_page_type type, void (*fn)(void *addr, struct kp_page *pg,
							 void *arg), void *arg)
{
	uintptr_t pages = kp_atomic_load(&kp_arena.pages, KP_ACQUIRE);

	for (uintptr_t i = 0; i < pages; i++)
		if (kp_arena.map[i].type == type)
			fn(kp_arena.base + (i << PAGE_SHIFT), &kp_arena.map[i], arg);
}

/* A fill, a page at a time: out of fuzzing coverage, whose loop compares say nothing. */
__no_sanitize_coverage int kp_page_map_set(const void *addr, size_t len,
					   const struct kp_page *entry)
{
	struct kp_page *pg = kp_page_lookup(addr);

	if (!pg || !kp_page_lookup((const char *)addr + len - 1))
		return -EINVAL;
	for (size_t i = 0; i < len >> PAGE_SHIFT; i++, pg++) {
		uint8_t order = pg->order;
		int16_t node = pg->node;

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

/*
 * mm/page_alloc.c __alloc_pages_slowpath(): every user of __GFP_NOFAIL is
 * expected to be able to block, so one that cannot, met by a shortage, is
 * warned about (WARN_ON_ONCE_GFP: silenced by __GFP_NOWARN). The kernel
 * then fails it; kprim grants it, as include/linux/gfp_types.h promises
 * (__GFP_NOFAIL: the caller cannot handle failure), and warns every time
 * rather than once per call site.
 */
static void warn_nofail_cannot_block(size_t bytes, gfp_t gfp)
{
	if (gfpflags_allow_blocking(gfp) || (gfp & __GFP_NOWARN))
		return;
	fprintf(stderr, "WARNING: __GFP_NOFAIL without direct reclaim (mode:%#x): %zu bytes "
		"granted past the memory limit\n", gfp, bytes);
}

int kp_pages_charge(size_t bytes, gfp_t gfp)
{
	int retries = gfp & __GFP_RETRY_MAYFAIL ? 8 : (gfp & __GFP_NORETRY ? 1 : 2);
	size_t used = kp_atomic_load(&mem_used, KP_RELAXED);

	for (;;) {
		size_t limit = kp_atomic_load(&mem_limit, KP_RELAXED);
		size_t allowed = limit + (gfp & __GFP_HIGH ? high_reserve(limit) : 0);
		bool within = !limit || used + bytes <= allowed;

		if (within || (gfp & __GFP_NOFAIL)) {
			if (!kp_atomic_try_cmpxchg(&mem_used, &used, used + bytes, KP_RELAXED))
				continue;
			if (!within)
				warn_nofail_cannot_block(bytes, gfp);
			return 0;
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

/*
 * Read with open() and read(), not stdio: the allocator's slow paths ask,
 * and a preloaded malloc must not call back into itself.
 */
int kp_nr_nodes(void)
{
	int n = kp_atomic_load(&nr_nodes, KP_RELAXED);
	char buf[256];
	ssize_t len;
	int fd;

	if (n)
		return n;
	n = 1;
	fd = open("/sys/devices/system/node/online", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[len > 0 ? len : 0] = '\0';
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

/*
 * A range of the arena mapped read-write (fresh zero pages), or NULL. A
 * node-less block smaller than a batch is cut from a batch: 2^PAGES_BATCH_ORDER
 * pages mapped by one mmap(), whose other blocks of the order wait in
 * fresh[] for the next calls, untouched (pages nobody touches cost no
 * memory, and nothing is written into them: not even the block cache's
 * link). One mapping per slab made a process start a hundred system calls
 * (`ls` under the malloc preload: 137 mmap() calls against glibc's 30),
 * each splitting and merging the arena's mappings, where the buddy
 * allocator hands out pages with none.
 */
static struct fresh_run {
	char *next, *end;
} fresh[PAGES_BATCH_ORDER];		/* under free_lock */

static void *fresh_take(unsigned int order)
{
	struct fresh_run *run = &fresh[order];
	char *block = NULL;

	raw_spin_lock(&free_lock);
	if (run->next != run->end) {
		block = run->next;
		run->next += PAGE_SIZE << order;
	}
	raw_spin_unlock(&free_lock);
	return block;
}

static void *block_map(unsigned int order, int node)
{
	unsigned int batch = node == NUMA_NO_NODE && order < PAGES_BATCH_ORDER ? PAGES_BATCH_ORDER : order;
	size_t len = PAGE_SIZE << order;
	bool installed = false;
	struct fresh_run *run;
	char *block;

	if (batch != order && (block = fresh_take(order)))
		return block;
	block = kp_range_alloc(batch);
	if (!block)
		return NULL;
	if (mmap(block, PAGE_SIZE << batch, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED) {
		kp_range_free(block, batch);
		return NULL;
	}
	if (batch == order)
		return block;
	run = &fresh[order];
	raw_spin_lock(&free_lock);
	if (run->next == run->end) {
		*run = (struct fresh_run){ block + len, block + (PAGE_SIZE << batch) };
		installed = true;
	}
	raw_spin_unlock(&free_lock);
	/* Another task's batch came first: the rest goes back, as the buddies it splits into. */
	for (unsigned int o = order; !installed && o < batch; o++)
		kp_range_free(block + (PAGE_SIZE << o), o);
	return block;
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
		block = block_map(order, node);
		if (!block) {
			kp_pages_uncharge(len);
			kp_alloc_fail_note(KP_FAIL_NOMEM);
			return NULL;
		}
		if (node != NUMA_NO_NODE &&
		    kp_mbind(block, len, node, gfp & __GFP_THISNODE) && (gfp & __GFP_THISNODE)) {
			kp_range_free(block, order);
			kp_pages_uncharge(len);
			kp_alloc_fail_note(KP_FAIL_NODE);
			return NULL;
		}
	}
	head = kp_page_lookup(block);
	head->type = KP_PAGE_NONE;
	head->order = (uint8_t)order;
	head->node = (int16_t)node;
	if ((gfp & __GFP_ZERO) && cached)
		kp_pages_zero(block, order);	/* fresh mappings are zero already */
	return block;
}

bool kp_pages_move(void *to, void *from, size_t len)
{
	return mremap(from, len, len, MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP,
		      to) != MAP_FAILED;
}

void kp_zero_range(void *addr, size_t len)
{
	char *start = (char *)(((uintptr_t)addr + PAGE_SIZE - 1) & PAGE_MASK);
	char *end = (char *)(((uintptr_t)addr + len) & PAGE_MASK);

	if (len < (PAGE_SIZE << PAGES_ZERO_DROP_ORDER) ||
	    madvise(start, (size_t)(end - start), MADV_DONTNEED)) {
		memset(addr, 0, len);
		return;
	}
	memset(addr, 0, (size_t)(start - (char *)addr));
	memset(end, 0, (size_t)((char *)addr + len - end));
}

/*
 * The head's map entry says the block is free (KP_PAGE_FREE) from here
 * until it is reused, cached or unmapped; the entries of other pages are
 * the owner's to clear. The entry is written before the block is published
 * in the cache: once there, another task may take it and write the entry
 * itself.
 */
void kp_pages_free(void *addr, unsigned int order)
{
	struct kp_page *head = kp_page_lookup(addr);

	kp_pages_uncharge(PAGE_SIZE << order);
	if (head->node == NUMA_NO_NODE) {
		head->type = KP_PAGE_FREE;
		head->order = (uint8_t)order;
		head->owner = NULL;
		if (cache_put(addr, order))
			return;
	}
	kp_range_free(addr, order);
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

/* ---- fork ------------------------------------------------------------------------------ */

unsigned int kp_pages_fork_locks(struct qspinlock **locks)
{
	locks[0] = &range_lock.raw_lock;
	locks[1] = &free_lock.raw_lock;
	locks[2] = &meta_lock.raw_lock;
	return KP_PAGES_FORK_LOCKS;
}
