// SPDX-License-Identifier: MIT
/*
 * slub.c - slab caches in the design of mm/slub.c.
 *
 * Fast path: sheaves, as in mm/slub.c (opt-in since Linux 6.18, for every
 * cache and in place of the cpu slab since 7.0: struct slub_percpu_sheaves,
 * alloc_from_pcs(), free_to_pcs()). Each task has, per
 * cache, two arrays of free objects: "main", which every allocation pops
 * and every free pushes, and "spare", swapped in when main runs empty or
 * full. Objects in a sheaf carry no free pointer, so the fast paths chase
 * no pointer and decode nothing: an index, a load, a store, no lock, no
 * atomic read-modify-write. In front of main sits one "hot" object, the
 * last freed, so that a free and the allocation after it (the commonest
 * pattern) hand the object over through one field (see struct
 * kmem_cache_cpu). A sheaf holds objects of the task's node only; frees of
 * other nodes' objects, and allocations that name a node, go to the slab
 * layer directly, as can_free_to_pcs() and the node test of the kernel's
 * slab_alloc_node() rule. Behind the two sheaves is each node's barn
 * (mm/slub.c struct node_barn, struct node_barn in slub.h): a task whose
 * main and spare are both full leaves one there and takes an empty one,
 * a task whose two are empty takes a full one, so objects one task frees
 * reach another that allocates without a trip through their slabs. Past
 * the barn's limit the spare is flushed to its slabs. A task lets go of
 * the sheaf it leaves and takes the one it gets under the barn's lock, so
 * no sheaf is ever a task's and the barn's at once; the live count and
 * kmemleak's walk count the barn's objects as free, and a shrink or a
 * destroy drains it.
 *
 * "Per task" rather than per CPU: user space cannot stop a thread from
 * migrating between the read and the write of a per-CPU array without
 * rseq critical sections, which would need assembly per architecture and
 * do not exist in the model build; a per-task cache reached through
 * kp_current() is the same thing when tasks are pinned, works under the
 * model scheduler, and costs one TLS load.
 *
 * The slab layer behind the sheaves refills and flushes them, an object
 * at a time, and serves what the sheaves do not. Unlike 7.0, which took
 * the cpu slab out, it keeps one per task: each task has, per cache, a
 * current slab and a freelist of its free objects, and owns up to
 * MAX_OWNED slabs it retired (SLUB's former per-cpu partial slabs).
 * Objects going back to those are pushed on the slab's own freelist
 * without atomics, and a refill takes from them, and from the barn,
 * before it touches a node's list_lock.
 *
 * Remote frees. An object going back to a slab the task does not own is
 * pushed on the slab's remote_free stack with one compare-and-swap (SLUB
 * does the same with its cmpxchg on slab->freelist). The owner takes the
 * whole stack with one exchange when its freelist runs dry. Bit 0 of
 * remote_free marks a slab that is full and owned by nobody: the remote
 * free that clears it puts the slab on its node's partial list, exactly
 * once, under that node's list_lock. No global lock anywhere on these
 * paths. A task frees other tasks' objects into its own sheaves first, as
 * the kernel's CPUs do; they reach the remote stacks when a sheaf is
 * flushed.
 *
 * Slow path. When the current slab and the owned ones are exhausted the
 * task takes a slab from the node's partial list, or makes a new one from
 * the page allocator, giving its oldest owned slab back beyond MAX_OWNED.
 * Ending tasks, kmem_cache_shrink() and kmem_cache_destroy() flush every
 * sheaf and hand every owned slab back ("deactivate") with its remaining
 * free objects.
 *
 * Hardening, as CONFIG_SLAB_FREELIST_HARDENED: free pointers in the slab
 * layer are stored as ptr ^ cache->random ^ swab(address of the pointer),
 * kept in the middle of the object (outside it when there is a
 * constructor). Freeing the hot object again, or the object at the head
 * of a slab freelist, is reported as a double free and refused.
 * kfree()/kmem_cache_free() look every pointer up in the page map first, so
 * a pointer kprim never gave, one into the middle of an object, or one
 * given to the wrong cache is reported as an invalid free and refused.
 *
 * Under ASan, free and never-allocated objects are poisoned so that a use
 * after free inside a slab is an ASan report, not silent corruption.
 *
 * Debugging (slub_debug, Documentation/mm/slub.rst), per cache or for all
 * through KP_SLUB_DEBUG ("FZPU", "ZP,kmalloc-64,dentry", "-" for none; on
 * by default in kprim's debug and model builds): F checks every free, Z
 * puts red zones around objects (SLUB_RED_ACTIVE while allocated,
 * SLUB_RED_INACTIVE while free, and for kmalloc also the bytes past the
 * size asked for), P poisons free objects (POISON_FREE ... POISON_END),
 * U records who allocated and freed each object. Like the kernel's, debug
 * caches never fill a task's freelist, so they cost the fast path nothing:
 * every allocation and free takes the slow path, which hands it to the
 * locked, checking code at the end of this file. Problems are reported
 * with the kernel's wording and kind (REDZONE, POISON, DOUBLE_FREE,
 * INVALID_FREE; a corrupt free pointer is an INVARIANT report), then
 * repaired ("FIX ... Restoring") or refused.
 *
 * Lock order (mm/slub.c keeps the same list):
 *   1. slab_mutex (the cache list: create, destroy, the kmemleak walk)
 *   2. kmem_cache->debug_lock (debug caches: every alloc and free)
 *   3. kmem_cache_node->list_lock
 *   4. node_barn->lock, and task_lock (the list of tasks' cache state):
 *      each taken under list_lock when the live objects are walked
 *   5. the page allocator's locks (alloc/page.c: free_lock, range_lock,
 *      meta_lock), innermost: a slab is given back with list_lock held
 * The fast paths take none of them. fork() takes them all in this order
 * (kmem_fork_prepare(), a pthread_atfork() handler, as glibc's malloc
 * does), so the child of a threaded program finds none held; the child
 * makes them new. The kmalloc caches are made by a constructor, or by the
 * first kmalloc if that comes first (a preloaded malloc is called by other
 * libraries' constructors): slab_alloc_slowpath() finds the cache missing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "alloc/slub.h"
#include "core/atomic.h"
#include "core/report.h"
#include "sync/mutex.h"

#define SLAB_UNOWNED_FULL	((uintptr_t)1)
#define MIN_PARTIAL		2	/* empty slabs kept per node before freeing */
#define MAX_OWNED		32	/* slabs a task keeps besides its current one */
#define MAX_SLAB_ORDER		3	/* PAGE_ALLOC_COSTLY_ORDER, the kernel's cap too */
/*
 * Objects a slab aims at. The kernel's calculate_order() aims at
 * slub_min_objects, 4 * (fls(nr_cpus) + 1), and refills per CPU; here each
 * refill is a slow path per task, so slabs are made as large as the cap
 * allows until they hold this many: a burst of a thousand 64 B objects
 * costs two refills, not sixteen (mimalloc's 64 KiB pages, for the same
 * reason).
 */
#define SLAB_MIN_OBJECTS	512

/* What a debug cache keeps per object, after the free pointer (mm/slub.c struct track). */
struct slab_track {
	void *addr;
	int pid;
};

struct slab_debug_meta {
	struct slab_track alloc, free;	/* U */
	unsigned int orig_size;		/* what a kmalloc caller asked for */
	unsigned int allocated;		/* exact double-free detection */
};

#define SLUB_TASK_ORDER 4	/* 64 KiB: room for struct slub_task */

/* The pages a struct kmem_cache takes (lockdep's maps make it bigger than one). */
#define KMEM_CACHE_ORDER	(sizeof(struct kmem_cache) > PAGE_SIZE)
_Static_assert(sizeof(struct kmem_cache) <= 2 * PAGE_SIZE, "a cache fits its pages");

static struct kmem_cache *caches;		/* every cache, under slab_mutex */
struct kmem_cache *kp_slab_caches[KP_MAX_CACHES];
static DEFINE_MUTEX(slab_mutex);
static struct slub_task task_list = { .prev = &task_list, .next = &task_list };
static DEFINE_RAW_SPINLOCK(task_lock);

/* ---- freelists ---------------------------------------------------------------------- */

/*
 * Free pointers, hardened (CONFIG_SLAB_FREELIST_HARDENED): stored as
 * ptr ^ random ^ swab(where it is stored). Only the slab layer has them:
 * objects in sheaves carry none.
 */
static inline __no_asan void *get_freepointer(const struct kmem_cache *s, void *obj)
{
	uintptr_t where = (uintptr_t)obj + s->offset;

	return (void *)(*(uintptr_t *)where ^ s->random ^ __builtin_bswap64(where));
}

static inline __no_asan void set_freepointer(const struct kmem_cache *s, void *obj, void *fp)
{
	uintptr_t where = (uintptr_t)obj + s->offset;

	*(uintptr_t *)where = (uintptr_t)fp ^ s->random ^ __builtin_bswap64(where);
}

static __no_sanitize_coverage size_t freelist_count(const struct kmem_cache *s, void *p)
{
	size_t n = 0;

	for (; p; p = get_freepointer(s, p))
		n++;
	return n;
}

/* Append list b to list a; returns the head. */
static void *freelist_join(const struct kmem_cache *s, void *a, void *b)
{
	void *tail = a;

	if (!a)
		return b;
	while (get_freepointer(s, tail))
		tail = get_freepointer(s, tail);
	set_freepointer(s, tail, b);
	return a;
}

/* ---- per-task state ------------------------------------------------------------------ */

static void flush_cpu(struct kmem_cache *s, struct kmem_cache_cpu *c);
static void sheaves_clear(struct kmem_cache_cpu *c);
static void sheaves_init(struct slub_task *t);

/* An ending thread hands its slabs back and its counts to the caches. */
static unsigned long large_flushed_allocs, large_flushed_frees;

/* Its cached large blocks go back to the page allocator. */
static void drain_large_cache(struct slub_task *t)
{
	for (unsigned int order = 0; order <= MAX_PAGE_ORDER; order++) {
		if (t->large_cache[order]) {
			kp_pages_free(t->large_cache[order], order);
			t->large_cache[order] = NULL;
		}
	}
}

/* A task's exit hook (core/task.c): its slabs and counts go back to the caches. */
static void slub_task_exit(struct kp_task *task)
{
	struct slub_task *t = task->alloc;

	if (!t)
		return;

	drain_large_cache(t);
	kp_atomic_fetch_add(&large_flushed_allocs, t->large_allocs, KP_RELAXED);
	kp_atomic_fetch_add(&large_flushed_frees, t->large_frees, KP_RELAXED);
	mutex_lock(&slab_mutex);
	for (struct kmem_cache *s = caches; s; s = s->next) {
		struct kmem_cache_cpu *c = &t->cpu[s->id];

		flush_cpu(s, c);
		if (c->live)
			kp_atomic_fetch_add(&s->flushed_live, c->live, KP_RELAXED);
	}
	raw_spin_lock(&task_lock);
	t->prev->next = t->next;
	t->next->prev = t->prev;
	raw_spin_unlock(&task_lock);
	mutex_unlock(&slab_mutex);
	task->alloc = NULL;
	task->alloc_fast = NULL;
	kp_pages_free(t, SLUB_TASK_ORDER);
}

static __noinline struct slub_task *slub_task_init(struct kp_task *task)
{
	struct slub_task *t = kp_pages_alloc(SLUB_TASK_ORDER, NUMA_NO_NODE,
					     __GFP_NOFAIL | __GFP_NOWARN | __GFP_ZERO);

	if (!t)
		return NULL;
	sheaves_init(t);
	raw_spin_lock(&task_lock);
	t->next = task_list.next;
	t->prev = &task_list;
	task_list.next->prev = t;
	task_list.next = t;
	raw_spin_unlock(&task_lock);
	task->alloc = t;
	task->alloc_fast = task->fail_nth ? NULL : t;
	/* OS threads flush at exit, model tasks at their function's end (kp_task_exit()). */
	kp_task_exit_hook_register(slub_task_exit);
	kp_task_hook_exit(task);
	return t;
}

struct slub_task *slub_task_get(void)
{
	struct kp_task *task = kp_current();

	return task->alloc ? task->alloc : slub_task_init(task);
}

unsigned long kmalloc_large_live(void)
{
	unsigned long allocs = kp_atomic_load(&large_flushed_allocs, KP_RELAXED);
	unsigned long frees = kp_atomic_load(&large_flushed_frees, KP_RELAXED);

	raw_spin_lock(&task_lock);
	for (struct slub_task *t = task_list.next; t != &task_list; t = t->next) {
		allocs += kp_atomic_load(&t->large_allocs, KP_RELAXED);
		frees += kp_atomic_load(&t->large_frees, KP_RELAXED);
	}
	raw_spin_unlock(&task_lock);
	return allocs - frees;
}


/* ---- nodes and partial lists ------------------------------------------------------------ */

static int local_node(void)
{
	unsigned int cpu, node = 0;

	if (kp_nr_nodes() == 1 || syscall(SYS_getcpu, &cpu, &node, NULL))
		return 0;
	return node < KP_MAX_NODES ? (int)node : 0;
}

/* A slab is on one list through prev/next: a node's partial list or a task's owned one. */
static void slab_list_add(struct slab **head, struct slab *slab)
{
	slab->prev = NULL;
	slab->next = *head;
	if (*head)
		(*head)->prev = slab;
	*head = slab;
}

static void slab_list_del(struct slab **head, struct slab *slab)
{
	if (slab->prev)
		slab->prev->next = slab->next;
	else
		*head = slab->next;
	if (slab->next)
		slab->next->prev = slab->prev;
}

static void add_partial(struct kmem_cache_node *n, struct slab *slab)
{
	slab_list_add(&n->partial, slab);
	n->nr_partial++;
	slab->on_partial = true;
}

static void remove_partial(struct kmem_cache_node *n, struct slab *slab)
{
	slab_list_del(&n->partial, slab);
	n->nr_partial--;
	slab->on_partial = false;
}

static void discard_slab(struct kmem_cache *s, struct kmem_cache_node *n, struct slab *slab)
{
	if (slab->all_prev)
		slab->all_prev->all_next = slab->all_next;
	else
		n->all = slab->all_next;
	if (slab->all_next)
		slab->all_next->all_prev = slab->all_prev;
	kp_page_map_set(slab->mem, PAGE_SIZE << s->order, &(struct kp_page){ .type = KP_PAGE_NONE });
	unpoison_slab(s, slab->mem);	/* the page allocator writes into free blocks */
	kp_pages_free(slab->mem, s->order);
	kp_meta_free(slab);
}

/*
 * A slab nobody owns and no list holds comes back to its node (list_lock
 * held): with free objects it goes on the partial list, or is freed when
 * entirely free and the node has partial slabs enough; with none it is
 * marked unowned-full, so that the first remote free will list it.
 */
static void release_slab(struct kmem_cache *s, struct kmem_cache_node *n, struct slab *slab)
{
	for (;;) {
		void *remote = kp_atomic_xchg(&slab->remote_free, NULL, KP_ACQUIRE);
		void *none = NULL;

		slab->freelist = freelist_join(s, slab->freelist, remote);
		if (slab->freelist)
			break;
		if (kp_atomic_try_cmpxchg(&slab->remote_free, &none, (void *)SLAB_UNOWNED_FULL,
					  KP_RELEASE))
			return;
	}
	if (n->nr_partial >= MIN_PARTIAL &&
	    freelist_count(s, slab->freelist) == s->objects) {
		discard_slab(s, n, slab);
		return;
	}
	add_partial(n, slab);
}

/* A slab its owner gives back to the node, with every free object it holds. */
static void release_owned(struct kmem_cache *s, struct slab *slab, void *freelist)
{
	struct kmem_cache_node *n = &s->node[slab->node];

	kp_atomic_store(&slab->owner, NULL, KP_RELAXED);
	raw_spin_lock(&n->list_lock);
	slab->freelist = freelist_join(s, slab->freelist, freelist);
	release_slab(s, n, slab);
	raw_spin_unlock(&n->list_lock);
}

static void own_slab(struct kmem_cache_cpu *c, struct slab *slab)
{
	slab_list_add(&c->owned, slab);
	c->nr_owned++;
}

static void disown_slab(struct kmem_cache_cpu *c, struct slab *slab)
{
	slab_list_del(&c->owned, slab);
	c->nr_owned--;
}

static void sheaves_flush(struct kmem_cache *s, struct kmem_cache_cpu *c);

/* Deactivate a task's sheaves and slabs, handing back their free objects. */
static void flush_cpu(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	struct slab *slab;

	sheaves_flush(s, c);
	slab = c->slab;
	if (slab) {
		c->slab = NULL;
		release_owned(s, slab, c->freelist);
		c->freelist = NULL;
	}
	while ((slab = c->owned)) {
		disown_slab(c, slab);
		release_owned(s, slab, NULL);
	}
}

/* Take a slab off a node's partial list and make it the task's. */
static bool get_partial(struct kmem_cache *s, struct kmem_cache_cpu *c, int node)
{
	struct kmem_cache_node *n = &s->node[node];
	struct slab *slab;

	raw_spin_lock(&n->list_lock);
	slab = n->partial;
	if (slab) {
		remove_partial(n, slab);
		c->freelist = slab->freelist;
		slab->freelist = NULL;
	}
	raw_spin_unlock(&n->list_lock);
	if (!slab)
		return false;
	if (!c->freelist)
		c->freelist = kp_atomic_xchg(&slab->remote_free, NULL, KP_ACQUIRE);
	kp_atomic_store(&slab->owner, c, KP_RELAXED);
	c->slab = slab;
	return true;
}

static gfp_t page_gfp(gfp_t gfp)
{
	return gfp & (__GFP_RECLAIM | __GFP_HIGH | __GFP_NOFAIL | __GFP_NORETRY |
		      __GFP_RETRY_MAYFAIL | __GFP_THISNODE | __GFP_NOWARN);
}

static void init_object(struct kmem_cache *s, void *obj, unsigned char val, size_t orig_size);
static struct slab_debug_meta *debug_meta(const struct kmem_cache *s, void *obj);

/* allocate_slab(): fresh pages cut into objects, all on the slab's freelist. */
static struct slab *allocate_slab(struct kmem_cache *s, int node, gfp_t gfp)
{
	struct kmem_cache_node *n = &s->node[node];
	struct slab *slab = kp_meta_alloc();
	char *mem;

	if (!slab)
		return NULL;
	if (unlikely(gfp & GFP_SLAB_BUG_MASK))
		gfp = kmalloc_fix_flags(gfp);
	mem = kp_pages_alloc(s->order, kp_nr_nodes() > 1 ? node : NUMA_NO_NODE, page_gfp(gfp));
	if (!mem) {
		kp_meta_free(slab);
		return NULL;
	}
	slab->cache = s;
	slab->mem = mem;
	slab->base = mem + s->red_left_pad;
	slab->node = node;
	if (kmem_cache_debug(s))
		memset(mem, POISON_INUSE, PAGE_SIZE << s->order);	/* padding stays so */
	for (unsigned int i = 0; i < s->objects; i++) {
		char *obj = slab->base + (size_t)i * s->size;

		if (s->ctor)
			s->ctor(obj);
		if (kmem_cache_debug(s)) {
			memset(debug_meta(s, obj), 0, sizeof(struct slab_debug_meta));
			init_object(s, obj, SLUB_RED_INACTIVE, s->object_size);
		}
		set_freepointer(s, obj, i + 1 < s->objects ? obj + s->size : NULL);
		if (!kmem_cache_debug(s))
			poison_object(s, obj);
	}
	if (kp_page_map_set(mem, PAGE_SIZE << s->order, &(struct kp_page){
				.slab_tag = SLAB_TAG(s->id, node), .owner = slab,
				.obj_magic = s->obj_magic, .obj_limit = (uint32_t)s->obj_limit,
				.slab_mask = (uint32_t)s->slab_mask })) {
		kp_page_map_set(mem, PAGE_SIZE << s->order, &(struct kp_page){ .type = KP_PAGE_NONE });
		unpoison_slab(s, mem);
		kp_pages_free(mem, s->order);
		kp_meta_free(slab);
		return NULL;
	}
	slab->freelist = slab->base;
	raw_spin_lock(&n->list_lock);
	slab->all_next = n->all;
	if (n->all)
		n->all->all_prev = slab;
	n->all = slab;
	raw_spin_unlock(&n->list_lock);
	return slab;
}

static bool new_slab(struct kmem_cache *s, struct kmem_cache_cpu *c, int node, gfp_t gfp)
{
	struct slab *slab = allocate_slab(s, node, gfp);

	if (!slab)
		return false;
	kp_atomic_store(&slab->owner, c, KP_RELAXED);
	c->slab = slab;
	c->freelist = slab->freelist;
	slab->freelist = NULL;
	return true;
}

static void *alloc_debug(struct kmem_cache *s, gfp_t gfp, int node, void *caller,
			 size_t orig_size);
static void free_debug(struct kmem_cache *s, struct slab *slab, void *obj, void *caller);

/* ---- allocation, in the slab layer ------------------------------------------------------ */

/* Take a slab's frees as the task's freelist: its own list first, then the remote stack. */
static void *take_frees(struct slab *slab)
{
	void *list = slab->freelist;

	if (list) {
		slab->freelist = NULL;
		return list;
	}
	if (!kp_atomic_load(&slab->remote_free, KP_RELAXED))
		return NULL;
	return kp_atomic_xchg(&slab->remote_free, NULL, KP_ACQUIRE);
}

/*
 * ___slab_alloc(): the current slab is exhausted (or on the wrong node).
 * Take its remote frees; else switch to an owned slab with free objects;
 * else keep the exhausted slab owned (giving the oldest one back beyond
 * MAX_OWNED) and take a slab from the node's partial list, or, if
 * may_grow, a new one.
 */
static __noinline void *slab_alloc_slow(struct kmem_cache *s, struct kmem_cache_cpu *c,
					gfp_t gfp, int node, bool may_grow)
{
	struct slab *cur = c->slab, *slab;
	void *obj;

	if (cur && node != NUMA_NO_NODE && cur->node != node) {
		/* The wrong node: park the current slab, free objects and all. */
		cur->freelist = c->freelist;
		c->freelist = NULL;
		c->slab = NULL;
		own_slab(c, cur);
		cur = NULL;
	}
	if (cur && !c->freelist)
		c->freelist = take_frees(cur);
	if (!c->freelist) {
		for (slab = c->owned; slab; slab = slab->next) {
			if (node != NUMA_NO_NODE && slab->node != node)
				continue;
			c->freelist = take_frees(slab);
			if (c->freelist)
				break;
		}
		if (cur) {
			c->slab = NULL;
			own_slab(c, cur);
		}
		if (slab) {
			disown_slab(c, slab);
			c->slab = slab;
		} else {
			int nid = node == NUMA_NO_NODE ? local_node() : node;

			while (c->nr_owned > MAX_OWNED) {
				struct slab *oldest = c->owned;

				while (oldest->next)
					oldest = oldest->next;
				disown_slab(c, oldest);
				release_owned(s, oldest, NULL);
			}
			if (!get_partial(s, c, nid) &&
			    (node != NUMA_NO_NODE || !get_partial(s, c, 0)) &&
			    (!may_grow || !new_slab(s, c, nid, gfp)))
				return NULL;
		}
	}
	obj = c->freelist;
	c->freelist = get_freepointer(s, obj);
	return obj;
}

/*
 * One free object of the slab layer, on node unless NUMA_NO_NODE, still
 * poisoned; NULL if there is none (and, unless may_grow, no slab is made).
 */
static void *slab_get_object(struct kmem_cache *s, struct kmem_cache_cpu *c, gfp_t gfp,
			     int node, bool may_grow)
{
	void *obj = c->freelist;

	if (obj && (node == NUMA_NO_NODE || node == c->slab->node))
		c->freelist = get_freepointer(s, obj);
	else if (!(obj = slab_alloc_slow(s, c, gfp, node, may_grow)))
		return NULL;
	count_inc(&c->live);
	return obj;
}

/* ---- free, in the slab layer ------------------------------------------------------------ */

static __cold void report_double_free(struct kmem_cache *s, void *obj, void *caller)
{
	kp_report(KP_REPORT_DOUBLE_FREE, caller,
		  "BUG %s: Object already free: %p (naive double free or corruption)",
		  s->name, obj);
}

/* __slab_free(): obj is in a slab the task does not own. False if refused. */
static __noinline bool slab_free_remote(struct kmem_cache *s, struct slab *slab, void *obj,
					void *caller)
{
	void *old = kp_atomic_load(&slab->remote_free, KP_RELAXED);
	void *head;

	do {
		head = (void *)((uintptr_t)old & ~SLAB_UNOWNED_FULL);
		if (unlikely(head == obj)) {
			report_double_free(s, obj, caller);
			return false;
		}
		set_freepointer(s, obj, head);
		poison_object(s, obj);
	} while (!kp_atomic_try_cmpxchg(&slab->remote_free, &old, obj, KP_RELEASE));

	if ((uintptr_t)old & SLAB_UNOWNED_FULL) {
		struct kmem_cache_node *n = &s->node[slab->node];

		raw_spin_lock(&n->list_lock);
		add_partial(n, slab);
		raw_spin_unlock(&n->list_lock);
	}
	return true;
}

/*
 * Put obj back on a freelist of its slab: the task's own when the slab is
 * its current one, the slab's when the task owns it (no atomics either
 * way), else the slab's remote stack. Freeing the head again is refused.
 */
static void slab_put_object(struct kmem_cache *s, struct kmem_cache_cpu *c, struct slab *slab,
			    void *obj, void *caller)
{
	void **list;

	if (slab == c->slab)
		list = &c->freelist;
	else if (kp_atomic_load(&slab->owner, KP_RELAXED) == c)
		list = &slab->freelist;
	else if (slab_free_remote(s, slab, obj, caller))
		list = NULL;
	else
		return;
	if (list) {
		if (unlikely(obj == *list)) {
			report_double_free(s, obj, caller);
			return;
		}
		set_freepointer(s, obj, *list);
		poison_object(s, obj);
		*list = obj;
	}
	count_add(&c->live, -1UL);
}

/* ---- sheaves ------------------------------------------------------------------------------ */

/*
 * Objects a sheaf holds. The kernel's calculate_sheaf_capacity() sizes
 * them for a CPU's share (60 objects under 256 B down to 4 of a page and
 * more); a kprim sheaf is a task's, so it is sized by bytes instead, as
 * tcmalloc's and mimalloc's thread caches are: SHEAF_BYTES of objects, at
 * most SHEAF_MAX_OBJECTS.
 */
#define SHEAF_BYTES		(64 << 10)
#define SHEAF_MIN_OBJECTS	4
/*
 * What one refill takes at most: about the kernel's sheaf of small
 * objects, so that a cache a task barely uses costs it little; frees then
 * grow a sheaf to its capacity.
 */
#define SHEAF_REFILL_OBJECTS	64
/* A sheaf is a block of its own, so that it can move between tasks through the barn. */
#define SHEAF_ORDER		1
_Static_assert(PAGE_SIZE << SHEAF_ORDER == SHEAF_ALIGN, "a sheaf's slots end at its block's end");

static unsigned int calculate_sheaf_capacity(const struct kmem_cache *s)
{
	unsigned int objects = SHEAF_BYTES / s->size;

	if (kmem_cache_debug(s))
		return 0;	/* as the kernel's: debug caches have no sheaves */
	if (objects > SHEAF_MAX_OBJECTS)
		objects = SHEAF_MAX_OBJECTS;
	if (objects < SHEAF_MIN_OBJECTS)
		objects = SHEAF_MIN_OBJECTS;
	return objects;
}

/* The sheaf of no slots: its top is at a multiple of SHEAF_ALIGN, the slot below holds NULL. */
static struct {
	void *slot[SHEAF_ALIGN / sizeof(void *)];
} no_sheaf __attribute__((aligned(SHEAF_ALIGN)));
static void **const no_sheaf_top = &no_sheaf.slot[SHEAF_ALIGN / sizeof(void *)];

/* One past the last slot of the sheaf with this top. */
static void **sheaf_end(void **top)
{
	return (void **)(((uintptr_t)top + SHEAF_ALIGN - 1) & ~(uintptr_t)(SHEAF_ALIGN - 1));
}

/*
 * Objects in a sheaf of this capacity with this top. Another task may
 * read a top and a capacity that do not go together, while the owner
 * sets its sheaves up or flushes them: the answer is then wrong, as any
 * count of a running task's objects may be, but never above capacity.
 */
static unsigned int sheaf_size(unsigned int capacity, void **top)
{
	size_t room = (size_t)(sheaf_end(top) - top);

	return room < capacity ? capacity - (unsigned int)room : 0;
}

/* The first slot of c's sheaf with this top. */
static void **sheaf_base(const struct kmem_cache_cpu *c, void **top)
{
	return sheaf_end(top) - c->capacity;
}

/*
 * A new empty sheaf of s, known by its end; NULL without memory. The
 * block is the allocator's bookkeeping: it never fails by the memory
 * limit or by injection.
 */
static void **sheaf_alloc(const struct kmem_cache *s)
{
	void **end = kp_pages_alloc(SHEAF_ORDER, NUMA_NO_NODE, __GFP_NOFAIL | __GFP_NOWARN);

	if (!end)
		return NULL;
	end += SHEAF_ALIGN / sizeof(void *);
	end[-(int)s->sheaf_capacity - 1] = NULL;	/* below the first slot */
	return end;
}

static void sheaf_free(void **end)
{
	kp_pages_free(end - SHEAF_ALIGN / sizeof(void *), SHEAF_ORDER);
}

/* A task's cache state before its sheaves are set up, and after they are flushed. */
static void sheaves_clear(struct kmem_cache_cpu *c)
{
	kp_atomic_store(&c->top, no_sheaf_top, KP_RELAXED);
	kp_atomic_store(&c->spare_top, no_sheaf_top, KP_RELAXED);
	kp_atomic_store(&c->capacity, 0, KP_RELAXED);
}

/*
 * A new task's every cache without sheaves. The task is not yet on
 * task_list, so nobody else reads it: plain stores, which task_lock's
 * release publishes with the task (and which, unlike sheaves_clear()'s
 * atomics, are no schedule points under the model). No fuzzing
 * coverage: a loop over every cache id with nothing to find, per task.
 */
static __noinline __no_sanitize_coverage void sheaves_init(struct slub_task *t)
{
	for (unsigned int id = 0; id < KP_MAX_CACHES; id++) {
		t->cpu[id].top = t->cpu[id].spare_top = no_sheaf_top;
		t->cpu[id].capacity = 0;
	}
}

/*
 * Give c its two sheaves of s, and the slab tag the free fast path
 * expects of s's slabs on the task's node. False for debug caches (no
 * sheaves) or without memory. The block is the allocator's bookkeeping:
 * it never fails by the memory limit or by injection.
 */
static bool sheaves_setup(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	unsigned int capacity = s->sheaf_capacity;
	void **main_end, **spare_end;

	if (!capacity || !(main_end = sheaf_alloc(s)))
		return false;
	if (!(spare_end = sheaf_alloc(s))) {
		sheaf_free(main_end);
		return false;
	}
	c->hot = NULL;
	c->node = local_node();
	c->slab_tag = SLAB_TAG(s->id, c->node);
	kp_atomic_store(&c->top, main_end - capacity, KP_RELAXED);
	kp_atomic_store(&c->spare_top, spare_end - capacity, KP_RELAXED);
	kp_atomic_store(&c->capacity, capacity, KP_RELAXED);
	return true;
}

/* sheaf_flush_unused(): every object of a sheaf back to its slab. */
static void sheaf_flush(struct kmem_cache *s, struct kmem_cache_cpu *c, void ***top)
{
	void **base = sheaf_base(c, *top);

	for (void **slot = base; slot < *top; slot++)
		slab_put_object(s, c, virt_to_slab(*slot), *slot, KP_CALLER);
	kp_atomic_store(top, base, KP_RELAXED);
}

/* Empty c's hot object and sheaves into the slabs and free them: c has no sheaves after. */
static void sheaves_flush(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	void **main_end, **spare_end;

	if (!c->capacity)
		return;
	if (c->hot) {
		slab_put_object(s, c, virt_to_slab(c->hot), c->hot, KP_CALLER);
		kp_atomic_store(&c->hot, NULL, KP_RELAXED);
	}
	sheaf_flush(s, c, &c->top);
	sheaf_flush(s, c, &c->spare_top);
	main_end = sheaf_end(c->top);
	spare_end = sheaf_end(c->spare_top);
	sheaves_clear(c);
	sheaf_free(main_end);
	sheaf_free(spare_end);
}

static void sheaves_swap(struct kmem_cache_cpu *c)
{
	void **top = c->top;

	kp_atomic_store(&c->top, c->spare_top, KP_RELAXED);
	kp_atomic_store(&c->spare_top, top, KP_RELAXED);
}

/*
 * barn_replace_empty_sheaf(): a full sheaf from the barn for c's empty
 * main, which stays there (or is freed if the barn has enough empty
 * ones); false if the barn has no full sheaf.
 */
static bool barn_take_full(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	struct node_barn *barn = &s->node[c->node].barn;
	void **empty = sheaf_end(c->top), **full = NULL;

	raw_spin_lock(&barn->lock);
	if (barn->nr_full) {
		full = barn->full[barn->nr_full - 1];
		kp_atomic_store(&barn->nr_full, barn->nr_full - 1, KP_RELAXED);
		/* c lets go of its empty main before another task can take it */
		kp_atomic_store(&c->top, full, KP_RELAXED);	/* a full sheaf's top is its end */
		if (barn->nr_empty < BARN_MAX_SHEAVES) {
			barn->empty[barn->nr_empty++] = empty;
			empty = NULL;
		}
	}
	raw_spin_unlock(&barn->lock);
	if (!full)
		return false;
	if (empty)
		sheaf_free(empty);
	return true;
}

/*
 * barn_replace_full_sheaf(): leave c's full main in the barn and make an
 * empty sheaf main, the barn's or a new one; false if the barn has as
 * many full sheaves as it keeps, or no sheaf can be had.
 */
static bool barn_put_full(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	struct node_barn *barn = &s->node[c->node].barn;
	void **full = sheaf_end(c->top), **empty = NULL;
	bool room;

	raw_spin_lock(&barn->lock);
	room = barn->nr_full < BARN_MAX_SHEAVES;
	if (room && barn->nr_empty)
		empty = barn->empty[--barn->nr_empty];
	raw_spin_unlock(&barn->lock);
	if (!room || (!empty && !(empty = sheaf_alloc(s))))
		return false;
	/* The full sheaf is only ever in one place: c's until it is in the barn. */
	raw_spin_lock(&barn->lock);
	room = barn->nr_full < BARN_MAX_SHEAVES;
	if (room) {
		/* c lets go of its full main before another task can take it */
		kp_atomic_store(&c->top, empty - c->capacity, KP_RELAXED);
		barn->full[barn->nr_full] = full;
		kp_atomic_store(&barn->nr_full, barn->nr_full + 1, KP_RELAXED);
	}
	raw_spin_unlock(&barn->lock);
	if (!room)
		sheaf_free(empty);	/* the barn filled up meanwhile */
	return room;
}

/*
 * Every full sheaf a node's barn holds back to the slabs, and every sheaf
 * freed: what a shrink or a destroy does, with the cache's tasks kept out.
 * The objects count as freed by tasks that have ended (flushed_live).
 */
static void barn_drain(struct kmem_cache *s, struct node_barn *barn)
{
	raw_spin_lock(&barn->lock);
	while (barn->nr_full) {
		void **end = barn->full[barn->nr_full - 1];

		kp_atomic_store(&barn->nr_full, barn->nr_full - 1, KP_RELAXED);
		raw_spin_unlock(&barn->lock);
		for (void **slot = end - s->sheaf_capacity; slot < end; slot++)
			if (slab_free_remote(s, virt_to_slab(*slot), *slot, KP_CALLER))
				kp_atomic_fetch_sub(&s->flushed_live, 1, KP_RELAXED);
		sheaf_free(end);
		raw_spin_lock(&barn->lock);
	}
	while (barn->nr_empty)
		sheaf_free(barn->empty[--barn->nr_empty]);
	raw_spin_unlock(&barn->lock);
}

/*
 * __pcs_replace_empty_main(): main is empty. Swap in the spare if it has
 * objects, else take a full sheaf from the barn; else put up to
 * SHEAF_REFILL_OBJECTS in main from the slab layer, making a new slab only
 * for the first object, so a refill costs no more memory than the
 * allocation that asked for it. False if not even one object could be had.
 */
static bool sheaf_refill(struct kmem_cache *s, struct kmem_cache_cpu *c, gfp_t gfp)
{
	unsigned int refill = c->capacity < SHEAF_REFILL_OBJECTS ? c->capacity :
			      SHEAF_REFILL_OBJECTS;
	void **top = c->top;
	unsigned int size = 0;
	void *obj;

	if (sheaf_size(c->capacity, c->spare_top)) {
		sheaves_swap(c);
		return true;
	}
	if (barn_take_full(s, c))
		return true;
	while (size < refill &&
	       (obj = slab_get_object(s, c, gfp, NUMA_NO_NODE, size == 0)))
		top[size++] = obj;
	kp_atomic_store(&c->top, top + size, KP_RELAXED);
	return size;
}

/*
 * __pcs_replace_full_main(): main is full. Swap in the spare if it has
 * room; else leave main in the barn for an empty one; else empty the
 * spare into the slabs and swap it in.
 */
static void sheaf_make_room(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	if (sheaf_full(c->spare_top)) {
		if (barn_put_full(s, c))
			return;
		sheaf_flush(s, c, &c->spare_top);
	}
	sheaves_swap(c);
}

/* ---- the slow paths ---------------------------------------------------------------------- */

void *slab_zero_object(size_t cpu_offset, void *obj)
{
	return memset(obj, 0, CPU_OFFSET_CACHE(cpu_offset)->object_size);
}

void *slab_alloc_failed(struct kmem_cache *s, gfp_t gfp)
{
	warn_alloc(s->object_size, gfp, s->name);
	return NULL;
}

/* A kmalloc cache asked for before kprim's constructors ran: made now. */
static __noinline __cold struct kmem_cache *cache_on_first_use(size_t cpu_offset)
{
	size_t id = cpu_offset / sizeof(struct kmem_cache_cpu);

	if (id < KMALLOC_CACHE_IDS)
		kmalloc_caches_init();
	return kp_atomic_load(&kp_slab_caches[id], KP_ACQUIRE);
}

/*
 * What slab_alloc()'s fast path does not: a kmalloc cache not made yet,
 * fault injection, setting up the task, debug caches, a node asked for (straight from the slab layer, as
 * the kernel's sheaves serve only NUMA_NO_NODE), an empty main sheaf.
 */
void *slab_alloc_slowpath(size_t cpu_offset, gfp_t gfp, int node, void *caller, size_t orig_size)
{
	struct kmem_cache *s = CPU_OFFSET_CACHE(cpu_offset);
	struct kp_task *task = kp_current();
	struct kmem_cache_cpu *c;
	void *obj;

	if (unlikely(!s) && !(s = cache_on_first_use(cpu_offset)))
		return NULL;

	if (kp_should_failslab(s->object_size, gfp))
		return slab_alloc_failed(s, gfp);
	if (unlikely(!task->alloc) && !slub_task_init(task))
		return slab_alloc_failed(s, gfp);
	c = this_cpu(s);
	if (unlikely(kmem_cache_debug(s))) {
		/* Debug caches never have sheaves: always here. */
		obj = alloc_debug(s, gfp, node, caller, orig_size ? orig_size : s->object_size);
		if (unlikely(!obj))
			return slab_alloc_failed(s, gfp);
		count_inc(&c->live);
		return obj;
	}
	if (node == NUMA_NO_NODE && (c->capacity || sheaves_setup(s, c))) {
		obj = c->hot;
		if (obj) {
			kp_atomic_store(&c->hot, NULL, KP_RELAXED);
		} else {
			if (!sheaf_size(c->capacity, c->top) && !sheaf_refill(s, c, gfp))
				return slab_alloc_failed(s, gfp);
			obj = c->top[-1];
			kp_atomic_store(&c->top, c->top - 1, KP_RELAXED);
		}
	} else {
		obj = slab_get_object(s, c, gfp, node, true);
		if (unlikely(!obj))
			return slab_alloc_failed(s, gfp);
	}
	unpoison_object(s, obj);
	if (gfp & __GFP_ZERO)
		memset(obj, 0, s->object_size);
	return obj;
}

__fastpath_entry void *kmem_cache_alloc(struct kmem_cache *s, gfp_t flags)
{
	return slab_alloc((unsigned int)s->id, flags, NUMA_NO_NODE, KP_CALLER, 0);
}

void *kmalloc_from_cache(struct kmem_cache *s, size_t size, gfp_t flags)
{
	if (!(s->flags & SLAB_KMALLOC) || !size || size > s->object_size)
		return NULL;
	return slab_alloc((unsigned int)s->id, flags, NUMA_NO_NODE, KP_CALLER, size);
}

void *kmem_cache_alloc_node(struct kmem_cache *s, gfp_t flags, int node)
{
	if (node != NUMA_NO_NODE && (node < 0 || node >= kp_nr_nodes() || node >= KP_MAX_NODES)) {
		kp_alloc_fail_note(KP_FAIL_NODE);
		return slab_alloc_failed(s, flags);
	}
	return slab_alloc((unsigned int)s->id, flags, node, KP_CALLER, 0);
}

int kmem_cache_alloc_bulk(struct kmem_cache *s, gfp_t flags, size_t nr, void **p)
{
	for (size_t i = 0; i < nr; i++) {
		p[i] = slab_alloc((unsigned int)s->id, flags, NUMA_NO_NODE, KP_CALLER, 0);
		if (unlikely(!p[i])) {
			kmem_cache_free_bulk(s, i, p);
			return 0;
		}
	}
	return (int)nr;
}

static __cold void report_invalid_free(struct kmem_cache *s, const void *obj, void *caller,
				       const char *why)
{
	kp_report(KP_REPORT_INVALID_FREE, caller, "BUG %s: Invalid object pointer %p: %s",
		  s ? s->name : "kmalloc", obj, why);
}

/*
 * What slab_free()'s fast path does not: bad pointers, setting up the
 * task, debug caches, a full main sheaf, objects of another node (straight
 * back to their slab, as the kernel's can_free_to_pcs() rules).
 */
void slab_free_slowpath(unsigned int id, struct slab *slab, void *obj, void *caller)
{
	struct kmem_cache *s = kp_slab_caches[id];
	struct kp_task *task = kp_current();
	struct kmem_cache_cpu *c;

	if (unlikely(!slab_obj_valid(s, obj))) {
		report_invalid_free(s, obj, caller, "not the start of an object");
		return;
	}
	if (unlikely(!task->alloc) && !slub_task_init(task))
		return;
	c = this_cpu(s);
	if (unlikely(kmem_cache_debug(s))) {
		free_debug(s, slab, obj, caller);	/* counts itself, if it frees */
		return;
	}
	if ((c->capacity || sheaves_setup(s, c)) && slab->node == c->node) {
		if (obj == c->hot) {
			report_double_free(s, obj, caller);
			return;
		}
		if (sheaf_full(c->top))
			sheaf_make_room(s, c);
		poison_object(s, obj);
		if (c->hot) {
			*c->top = c->hot;
			kp_atomic_store(&c->top, c->top + 1, KP_RELAXED);
		}
		kp_atomic_store(&c->hot, obj, KP_RELAXED);
		return;
	}
	slab_put_object(s, c, slab, obj, caller);
}

__fastpath_entry void kmem_cache_free(struct kmem_cache *s, void *obj)
{
	struct kp_page *pg;

	if (unlikely(!obj))
		return;
	pg = kp_page_lookup(obj);
	if (unlikely(!pg || pg->type != KP_PAGE_SLAB ||
		     SLAB_TAG_ID(pg->slab_tag) != (unsigned int)s->id)) {
		report_invalid_free(s, obj, KP_CALLER, pg && pg->type == KP_PAGE_SLAB ?
				    "from another cache" : "not from any slab cache");
		return;
	}
	slab_free(pg, obj, KP_CALLER);
}

void kmem_cache_free_bulk(struct kmem_cache *s, size_t nr, void **p)
{
	for (size_t i = 0; i < nr; i++)
		kmem_cache_free(s, p[i]);
}

/* ---- caches --------------------------------------------------------------------------------- */

static unsigned int align_up(unsigned int x, unsigned int a)
{
	return (x + a - 1) & ~(a - 1);
}

static uintptr_t cache_random(void)
{
	static uintptr_t seed = 0x2545f4914f6cdd1dULL;
	uintptr_t x = kp_atomic_fetch_add(&seed, 0x9e3779b97f4a7c15ULL, KP_RELAXED);

	x ^= (uintptr_t)&x >> 4;	/* a little per-process variation (ASLR) */
	x *= 0xbf58476d1ce4e5b9ULL;
	return x ^ (x >> 31);
}

static slab_flags_t slub_debug_flags_for(const char *name);

/* calculate_sizes(): red zones, where the free pointer goes, slot size, slab order. */
static bool calculate_sizes(struct kmem_cache *s)
{
	unsigned int size = align_up(s->object_size, sizeof(void *));

	/* Z: at least a word of right red zone. */
	if ((s->flags & SLAB_RED_ZONE) && size == s->object_size)
		size += sizeof(void *);
	s->inuse = size;
	if (s->ctor || (s->flags & SLAB_POISON)) {
		s->offset = size;	/* outside the object: ctor state and poison survive */
		size += sizeof(void *);
	} else {
		s->offset = (s->object_size / 2) & ~(unsigned int)(sizeof(void *) - 1);
	}
	if (kmem_cache_debug(s)) {
		s->meta_offset = size;
		size += sizeof(struct slab_debug_meta);
	}
	s->red_left_pad = 0;
	if (s->flags & SLAB_RED_ZONE) {
		s->red_left_pad = align_up(sizeof(void *), s->align);
		size += s->red_left_pad;
	}
	s->size = align_up(size, s->align);
	/*
	 * Slabs are aligned to their size: at least the objects' alignment.
	 * Debug caches take the slow path on every call and poison whole
	 * slabs: they keep the kernel's small ones (16 objects).
	 */
	for (s->order = 0; s->order < MAX_SLAB_ORDER; s->order++)
		if ((PAGE_SIZE << s->order) / s->size >=
		    (kmem_cache_debug(s) ? 16 : SLAB_MIN_OBJECTS) &&
		    (PAGE_SIZE << s->order) >= s->align)
			break;
	s->objects = (unsigned int)((PAGE_SIZE << s->order) / s->size);
	s->slab_mask = (PAGE_SIZE << s->order) - 1;
	s->objects_bytes = (size_t)s->objects * s->size;
	s->obj_magic = (uint64_t)(((unsigned __int128)1 << 64) / s->size) + 1;
	s->obj_limit = s->objects * (s->obj_magic * s->size);	/* objects * e <= slab bytes */
	s->sheaf_capacity = calculate_sheaf_capacity(s);
	return s->objects > 0;
}

struct kmem_cache *kmem_cache_create_id(const char *name, unsigned int size, unsigned int align,
					slab_flags_t flags, void (*ctor)(void *), int id)
{
	struct kmem_cache *s;

	if (!name || !size || size > (PAGE_SIZE << MAX_SLAB_ORDER) ||
	    (align & (align - 1)) || align > (PAGE_SIZE << MAX_SLAB_ORDER))
		return NULL;
	if (flags & SLAB_HWCACHE_ALIGN && align < 64 && size > 32)
		align = 64;
	if (align < sizeof(void *))
		align = sizeof(void *);

	s = kp_pages_alloc(KMEM_CACHE_ORDER, NUMA_NO_NODE, GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN);
	if (!s)
		return NULL;
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->object_size = size;
	s->align = align;
	s->flags = flags & SLAB_NO_USER_FLAGS ? flags : flags | slub_debug_flags_for(s->name);
	s->ctor = ctor;
	s->random = cache_random();
	if (!calculate_sizes(s)) {
		kp_pages_free(s, KMEM_CACHE_ORDER);
		return NULL;
	}
	for (int i = 0; i < KP_MAX_NODES; i++) {
		raw_spin_lock_init(&s->node[i].list_lock);
		raw_spin_lock_init(&s->node[i].barn.lock);
	}
	raw_spin_lock_init(&s->debug_lock);

	mutex_lock(&slab_mutex);
	if (id >= 0 && kp_slab_caches[id])
		id = -1;
	else if (id < 0)
		for (int i = KMALLOC_CACHE_IDS; i < KP_MAX_CACHES && id < 0; i++)
			if (!kp_slab_caches[i])
				id = i;
	if (id >= 0) {
		s->id = id;
		s->next = caches;
		caches = s;
		kp_atomic_store(&kp_slab_caches[id], s, KP_RELEASE);
	}
	mutex_unlock(&slab_mutex);
	if (id < 0) {
		kp_pages_free(s, KMEM_CACHE_ORDER);
		return NULL;
	}
	return s;
}

struct kmem_cache *kmem_cache_create(const char *name, unsigned int size, unsigned int align,
				     slab_flags_t flags, void (*ctor)(void *))
{
	return kmem_cache_create_id(name, size, align, flags, ctor, -1);
}

const char *kmem_cache_name(const struct kmem_cache *s)
{
	return s->name;
}

unsigned int kmem_cache_size(const struct kmem_cache *s)
{
	return s->object_size;
}

/*
 * Live objects of s over every task (task_lock held): what tasks took from
 * the slabs and did not put back, less what waits in their sheaves. A sum
 * over tables, out of fuzzing coverage (the fuzzers count after every few
 * steps, and its loop compares say nothing).
 */
static __no_sanitize_coverage unsigned long live_objects_locked(struct kmem_cache *s)
{
	unsigned long live = kp_atomic_load(&s->flushed_live, KP_RELAXED);

	for (int i = 0; i < kp_nr_nodes(); i++)	/* free, in full sheaves in the barns */
		live -= (unsigned long)kp_atomic_load(&s->node[i].barn.nr_full, KP_RELAXED) *
			s->sheaf_capacity;

	for (struct slub_task *t = task_list.next; t != &task_list; t = t->next) {
		struct kmem_cache_cpu *c = &t->cpu[s->id];
		unsigned int capacity = kp_atomic_load(&c->capacity, KP_RELAXED);

		live += kp_atomic_load(&c->live, KP_RELAXED) -
			sheaf_size(capacity, kp_atomic_load(&c->top, KP_RELAXED)) -
			sheaf_size(capacity, kp_atomic_load(&c->spare_top, KP_RELAXED)) -
			(kp_atomic_load(&c->hot, KP_RELAXED) != NULL);
	}
	return live;
}

unsigned long kmem_cache_live_objects(struct kmem_cache *s)
{
	unsigned long live;

	raw_spin_lock(&task_lock);
	live = live_objects_locked(s);
	raw_spin_unlock(&task_lock);
	return live;
}

/* Every task's current slab of s back to its node (the caller keeps tasks out of s). */
static void flush_all(struct kmem_cache *s)
{
	raw_spin_lock(&task_lock);
	for (struct slub_task *t = task_list.next; t != &task_list; t = t->next) {
		struct kmem_cache_cpu *c = &t->cpu[s->id];

		raw_spin_unlock(&task_lock);
		flush_cpu(s, c);
		raw_spin_lock(&task_lock);
	}
	raw_spin_unlock(&task_lock);
	for (int i = 0; i < kp_nr_nodes(); i++)
		barn_drain(s, &s->node[i].barn);
}

static unsigned long shrink_node(struct kmem_cache *s, struct kmem_cache_node *n)
{
	unsigned long freed = 0;

	raw_spin_lock(&n->list_lock);
	for (struct slab *slab = n->partial, *next; slab; slab = next) {
		next = slab->next;
		slab->freelist = freelist_join(s, slab->freelist,
					       kp_atomic_xchg(&slab->remote_free, NULL,
							      KP_ACQUIRE));
		if (freelist_count(s, slab->freelist) == s->objects) {
			remove_partial(n, slab);
			discard_slab(s, n, slab);
			freed++;
		}
	}
	raw_spin_unlock(&n->list_lock);
	return freed;
}

unsigned long kmem_cache_shrink(struct kmem_cache *s)
{
	unsigned long freed = 0;

	flush_all(s);
	for (int i = 0; i < KP_MAX_NODES; i++)
		freed += shrink_node(s, &s->node[i]);
	return freed;
}

typedef void (*object_fn)(struct kmem_cache *s, void *obj, void *arg);
static size_t for_each_live_debug_object(struct kmem_cache *s, struct slab *slab,
					 object_fn fn, void *arg);

/* Mark p free in a slab's free_map, if it is one of the slab's objects. */
static __no_sanitize_coverage void mark_free(const struct kmem_cache *s,
					     const struct slab *slab, unsigned char *free_map,
					     const void *p)
{
	size_t idx;

	if ((const char *)p < slab->base || (const char *)p >= slab->base + s->objects_bytes)
		return;
	idx = (size_t)((const char *)p - slab->base) / s->size;
	free_map[idx / 8] |= (unsigned char)(1u << (idx % 8));
}

/*
 * Walk the live objects of s: every object of every slab that is on no
 * freelist (the slab's, its remote stack, or a task's current freelist)
 * and in no task's sheaf. Only meaningful when the cache is quiet.
 */
static __no_sanitize_coverage size_t
for_each_live_object(struct kmem_cache *s, void (*fn)(struct kmem_cache *s,
								       void *obj, void *arg),
				   void *arg)
{
	unsigned char free_map[(PAGE_SIZE << MAX_SLAB_ORDER) / 8 / 8 + 1];
	size_t live = 0;

	for (int i = 0; i < KP_MAX_NODES; i++) {
		struct kmem_cache_node *n = &s->node[i];

		raw_spin_lock(&n->list_lock);
		for (struct slab *slab = n->all; slab; slab = slab->all_next) {
			if (kmem_cache_debug(s)) {
				live += for_each_live_debug_object(s, slab, fn, arg);
				continue;
			}
			void *remote = (void *)((uintptr_t)kp_atomic_load(&slab->remote_free,
									  KP_ACQUIRE) &
						~SLAB_UNOWNED_FULL);
			void *lists[2] = { slab->freelist, remote };

			memset(free_map, 0, sizeof(free_map));
			for (int l = 0; l < 2; l++)
				for (void *p = lists[l]; p; p = get_freepointer(s, p))
					mark_free(s, slab, free_map, p);
			raw_spin_lock(&task_lock);
			for (struct slub_task *t = task_list.next; t != &task_list; t = t->next) {
				struct kmem_cache_cpu *c = &t->cpu[s->id];

				if (c->slab == slab)
					for (void *p = c->freelist; p; p = get_freepointer(s, p))
						mark_free(s, slab, free_map, p);
				mark_free(s, slab, free_map, c->hot);
				for (void **p = sheaf_base(c, c->top); p < c->top; p++)
					mark_free(s, slab, free_map, *p);
				for (void **p = sheaf_base(c, c->spare_top); p < c->spare_top; p++)
					mark_free(s, slab, free_map, *p);
			}
			raw_spin_unlock(&task_lock);
			for (int j = 0; j < kp_nr_nodes(); j++) {
				struct node_barn *barn = &s->node[j].barn;

				raw_spin_lock(&barn->lock);
				for (unsigned int k = 0; k < barn->nr_full; k++)
					for (void **p = barn->full[k] - s->sheaf_capacity;
					     p < barn->full[k]; p++)
						mark_free(s, slab, free_map, *p);
				raw_spin_unlock(&barn->lock);
			}
			for (size_t idx = 0; idx < s->objects; idx++) {
				if (free_map[idx / 8] & (1u << (idx % 8)))
					continue;
				live++;
				if (fn)
					fn(s, slab->base + idx * s->size, arg);
			}
		}
		raw_spin_unlock(&n->list_lock);
	}
	return live;
}

static const struct slab_track *alloc_track(struct kmem_cache *s, void *obj);

/* Live objects by call site, gathered while a report prints (under slab_mutex). */
#define MAX_SITES 64
static struct site {
	void *addr;
	const char *cache;
	size_t objects, bytes;
} sites[MAX_SITES];
static int nr_sites;

static void count_site(struct kmem_cache *s, void *addr, size_t size)
{
	int i;

	for (i = 0; i < nr_sites; i++)
		if (sites[i].addr == addr && sites[i].cache == s->name)
			break;
	if (i == nr_sites) {
		if (nr_sites == MAX_SITES)
			return;
		sites[nr_sites++] = (struct site){ addr, s->name, 0, 0 };
	}
	sites[i].objects++;
	sites[i].bytes += size;
}

static void print_sites(FILE *out)
{
	if (nr_sites)
		fprintf(out, "live objects by call site:\n");
	for (int i = 0; i < nr_sites; i++)
		fprintf(out, "  %zu object(s), %zu bytes, cache \"%s\", from [<%p>] %s\n",
			sites[i].objects, sites[i].bytes, sites[i].cache, sites[i].addr,
			kp_symbol(sites[i].addr));
	nr_sites = 0;
}

static __no_asan __no_sanitize_coverage void print_object(struct kmem_cache *s, void *obj,
							  void *arg)
{
	const struct slab_track *t = alloc_track(s, obj);
	size_t size = slab_orig_size(s, obj);
	size_t dump = size < 32 ? size : 32;
	const unsigned char *p = obj;
	FILE *out = arg;

	fprintf(out, "unreferenced object %p (size %zu):\n", obj, size);
	if (t)
		fprintf(out, "  pid %d, cache \"%s\"\n", t->pid, s->name);
	else
		fprintf(out, "  cache \"%s\"\n", s->name);
	fprintf(out, "  hex dump (first %zu bytes):\n", dump);
	for (size_t i = 0; i < dump; i += 16) {
		fprintf(out, "    ");
		for (size_t j = i; j < i + 16 && j < dump; j++)
			fprintf(out, "%02x ", p[j]);
		fprintf(out, "\n");
	}
	if (!t) {
		fprintf(out, "  backtrace: (record call sites with KP_SLUB_DEBUG=U)\n");
		return;
	}
	fprintf(out, "  backtrace:\n    [<%p>] %s\n", t->addr,
		kp_symbol(t->addr));
	count_site(s, t->addr, size);
}

void kmem_cache_destroy(struct kmem_cache *s)
{
	unsigned long live;

	if (!s)
		return;
	flush_all(s);
	live = kmem_cache_live_objects(s);
	if (live) {
		kp_report(KP_REPORT_CACHE_NOT_EMPTY, KP_CALLER,
			  "kmem_cache_destroy %s: Slab cache still has objects (%lu)", s->name,
			  live);
		mutex_lock(&slab_mutex);
		for_each_live_object(s, print_object, stderr);
		print_sites(stderr);
		mutex_unlock(&slab_mutex);
		return;		/* as the kernel does: the cache stays, leaked */
	}
	mutex_lock(&slab_mutex);
	for (struct kmem_cache **p = &caches; *p; p = &(*p)->next) {
		if (*p == s) {
			*p = s->next;
			break;
		}
	}
	kp_atomic_store(&kp_slab_caches[s->id], NULL, KP_RELAXED);
	raw_spin_lock(&task_lock);
	for (struct slub_task *t = task_list.next; t != &task_list; t = t->next) {
		memset(&t->cpu[s->id], 0, sizeof(t->cpu[s->id]));
		sheaves_clear(&t->cpu[s->id]);
	}
	raw_spin_unlock(&task_lock);
	mutex_unlock(&slab_mutex);
	for (int i = 0; i < KP_MAX_NODES; i++) {
		struct kmem_cache_node *n = &s->node[i];

		while (n->all) {
			if (n->all->on_partial)
				remove_partial(n, n->all);
			discard_slab(s, n, n->all);
		}
	}
	kp_pages_free(s, KMEM_CACHE_ORDER);
}

/* ---- fork ------------------------------------------------------------------------------ */

#define FORK_LOCKS_MAX	(1 + KP_MAX_CACHES * (1 + 2 * KP_MAX_NODES) + KP_PAGES_FORK_LOCKS + 1)

static struct qspinlock *fork_locks[FORK_LOCKS_MAX];	/* under slab_mutex */
static unsigned int nr_fork_locks;

/*
 * slab_mutex first (the cache list holds still, and no spinlock is ever
 * held around it), then every spinlock word, in the order the paths nest
 * them: debug_lock before list_lock (alloc_debug()), list_lock before
 * task_lock and the barn's lock (for_each_live_object()), the page
 * allocator's under any of those (a slab allocated under debug_lock), and
 * lockdep's graph innermost. No path holds two caches' locks, so caches
 * come in any order. The words are taken without lockdep: one class per
 * init site, and every node's list_lock at once is nesting it would
 * rightly call recursive.
 */
void kmem_fork_prepare(void)
{
	unsigned int n = 0;

	mutex_lock(&slab_mutex);
	for (struct kmem_cache *s = caches; s; s = s->next)
		fork_locks[n++] = &s->debug_lock.raw_lock;
	for (struct kmem_cache *s = caches; s; s = s->next)
		for (int i = 0; i < kp_nr_nodes(); i++)
			fork_locks[n++] = &s->node[i].list_lock.raw_lock;
	fork_locks[n++] = &task_lock.raw_lock;
	for (struct kmem_cache *s = caches; s; s = s->next)
		for (int i = 0; i < kp_nr_nodes(); i++)
			fork_locks[n++] = &s->node[i].barn.lock.raw_lock;
	n += kp_pages_fork_locks(&fork_locks[n]);
	if (lockdep_fork_lock())
		fork_locks[n++] = lockdep_fork_lock();
	nr_fork_locks = n;
	for (unsigned int i = 0; i < n; i++)
		queued_spin_lock(fork_locks[i]);
}

void kmem_fork_parent(void)
{
	for (unsigned int i = nr_fork_locks; i--; )
		queued_spin_unlock(fork_locks[i]);
	mutex_unlock(&slab_mutex);
}

/* The whole word, not the locked byte: the parent's queued waiters are gone. */
void kmem_fork_child(void)
{
	for (unsigned int i = nr_fork_locks; i--; )
		kp_atomic_store(&fork_locks[i]->val, 0, KP_RELEASE);
	kp_mutex_fork_child(&slab_mutex);
	mutex_unlock(&slab_mutex);
}

__attribute__((constructor)) static void kmem_fork_register(void)
{
	pthread_atfork(kmem_fork_prepare, kmem_fork_parent, kmem_fork_child);
}

/*
 * Counting uses the caches' live counters; printing walks every slab for
 * the objects themselves (and so cross-checks the counters, in the fuzzers).
 */
size_t kp_kmemleak_report(FILE *out)
{
	size_t live = 0;

	mutex_lock(&slab_mutex);
	if (out) {
		for (struct kmem_cache *s = caches; s; s = s->next)
			live += for_each_live_object(s, print_object, out);
		print_sites(out);
	} else {
		raw_spin_lock(&task_lock);	/* once for every cache's count */
		for (struct kmem_cache *s = caches; s; s = s->next)
			live += live_objects_locked(s);
		raw_spin_unlock(&task_lock);
	}
	mutex_unlock(&slab_mutex);
	return live + kmalloc_large_report(out);
}

/*
 * mm/slub.c kmalloc_fix_flags(): checked where the kernel checks, when a
 * slab is made and for a large block, so the fast paths pay nothing. The
 * allocation goes on without the bad bits.
 */
gfp_t kmalloc_fix_flags(gfp_t flags)
{
	gfp_t invalid = flags & GFP_SLAB_BUG_MASK;

	flags &= ~GFP_SLAB_BUG_MASK;
	fprintf(stderr, "Unexpected gfp: %#x. Fixing up to gfp: %#x. Fix your code!\n",
		invalid, flags);
	return flags;
}

void warn_alloc(size_t size, gfp_t gfp, const char *what)
{
	struct kp_task *t = kp_current();

	if (gfp & __GFP_NOWARN)
		return;
	fprintf(stderr, "%s: page allocation failure: %s size:%zu, mode:%#x, pid:%d\n",
		kp_task_comm(t), what, size, gfp, kp_task_pid(t));
}

/* ---- slub_debug ------------------------------------------------------------------------- */

#ifdef KP_DEBUG
#ifdef KP_ASAN
#define SLUB_DEBUG_DEFAULT ""		/* ASan watches slabs better, and the two collide */
#else
#define SLUB_DEBUG_DEFAULT "FZPU"	/* kprim's debug builds, as CONFIG_SLUB_DEBUG_ON */
#endif
#else
#define SLUB_DEBUG_DEFAULT ""
#endif

static slab_flags_t slub_debug_flags;
static char slub_debug_caches[256];	/* ",a,b," or "" for every cache */
static pthread_once_t slub_debug_once = PTHREAD_ONCE_INIT;

/* mm/slub.c setup_slub_debug(): "FZPU", "FZPU,cache,cache", "-", "" = all. */
static void parse_slub_debug(void)
{
	const char *spec = getenv("KP_SLUB_DEBUG");
	const char *comma;

	if (!spec)
		spec = SLUB_DEBUG_DEFAULT;
	comma = strchr(spec, ',');
	if (!*spec && getenv("KP_SLUB_DEBUG"))
		slub_debug_flags = SLAB_DEBUG_FLAGS;	/* plain "slub_debug" means all */
	for (const char *p = spec; *p && p != comma; p++) {
		switch (*p) {
		case 'F': case 'f': slub_debug_flags |= SLAB_CONSISTENCY_CHECKS; break;
		case 'Z': case 'z': slub_debug_flags |= SLAB_RED_ZONE; break;
		case 'P': case 'p': slub_debug_flags |= SLAB_POISON; break;
		case 'U': case 'u': slub_debug_flags |= SLAB_STORE_USER; break;
		case '-': slub_debug_flags = 0; break;
		default:
			fprintf(stderr, "kprim: KP_SLUB_DEBUG option '%c' unknown, skipped\n", *p);
		}
	}
	if (comma && comma[1])
		snprintf(slub_debug_caches, sizeof(slub_debug_caches), "%s,", comma);
}

static slab_flags_t slub_debug_flags_for(const char *name)
{
	char key[40];

	pthread_once(&slub_debug_once, parse_slub_debug);
	if (!slub_debug_caches[0])
		return slub_debug_flags;
	snprintf(key, sizeof(key), ",%s,", name);
	return strstr(slub_debug_caches, key) ? slub_debug_flags : 0;
}

slab_flags_t kp_slub_debug_flags(void)
{
	pthread_once(&slub_debug_once, parse_slub_debug);
	return slub_debug_caches[0] ? 0 : slub_debug_flags;
}

slab_flags_t kmem_cache_debug_flags(const struct kmem_cache *s)
{
	return s->flags & SLAB_DEBUG_FLAGS;
}

static struct slab_debug_meta *debug_meta(const struct kmem_cache *s, void *obj)
{
	return (struct slab_debug_meta *)((char *)obj + s->meta_offset);
}

/* kmalloc objects of a debug cache know the size they were asked for. */
static bool tracks_orig_size(const struct kmem_cache *s)
{
	return kmem_cache_debug(s) && (s->flags & SLAB_KMALLOC);
}

size_t slab_orig_size(struct kmem_cache *s, void *obj)
{
	return tracks_orig_size(s) ? debug_meta(s, obj)->orig_size : s->object_size;
}

/* init_object(): red zones to val, poison if the object is free. */
static void init_object(struct kmem_cache *s, void *obj, unsigned char val, size_t orig_size)
{
	unsigned char *p = obj;
	size_t poison_size = s->object_size;

	if (s->flags & SLAB_RED_ZONE) {
		memset(p - s->red_left_pad, val, s->red_left_pad);
		if (tracks_orig_size(s) && val == SLUB_RED_ACTIVE)
			poison_size = orig_size;
	}
	if ((s->flags & SLAB_POISON) && !s->ctor && val == SLUB_RED_INACTIVE) {
		memset(p, POISON_FREE, s->object_size - 1);
		p[s->object_size - 1] = POISON_END;
	}
	if (s->flags & SLAB_RED_ZONE)
		memset(p + poison_size, val, s->inuse - poison_size);
	else if ((s->flags & SLAB_POISON) && s->inuse > s->object_size)
		memset(p + s->object_size, POISON_INUSE, s->inuse - s->object_size);
}

static void track_line(char *buf, size_t len, const char *what, const struct slab_track *t)
{
	snprintf(buf, len, "\nINFO: %s in %s+%p pid=%d", what, kp_symbol(t->addr), t->addr,
		 t->pid);
}

/*
 * lib/string.c memchr_inv(): the first byte that is not c, or NULL. Four
 * words per branch; left out of fuzzing coverage, where each compare of a
 * scan like this would otherwise be a callback.
 */
static __no_sanitize_coverage unsigned char *memchr_inv(unsigned char *p, unsigned char c,
							size_t n)
{
	const uint64_t pattern = 0x0101010101010101ULL * c;

	for (; n && ((uintptr_t)p & 7); p++, n--)
		if (*p != c)
			return p;
	for (; n >= 32; p += 32, n -= 32) {
		uint64_t w[4];

		memcpy(w, p, sizeof(w));
		if ((w[0] ^ pattern) | (w[1] ^ pattern) | (w[2] ^ pattern) | (w[3] ^ pattern))
			break;
	}
	for (; n; p++, n--)
		if (*p != c)
			return p;
	return NULL;
}

/*
 * check_bytes_and_report(): the bytes must all be value; if not, report
 * kind with the kernel's wording, then restore them.
 */
static __no_sanitize_coverage bool check_bytes(struct kmem_cache *s, void *obj,
					       enum kp_report_kind kind, const char *what,
					       unsigned char *start, unsigned char value, size_t n)
{
	unsigned char *fault = memchr_inv(start, value, n);
	char tracks[256] = "";
	size_t bad, end;

	if (!fault)
		return true;
	bad = (size_t)(fault - start);
	end = n;
	while (end > bad && start[end - 1] == value)
		end--;
	if (s->flags & SLAB_STORE_USER) {
		char a[128], f[128];

		track_line(a, sizeof(a), "Allocated", &debug_meta(s, obj)->alloc);
		track_line(f, sizeof(f), "Freed", &debug_meta(s, obj)->free);
		snprintf(tracks, sizeof(tracks), "%s%s", a, f);
	}
	kp_report(kind, KP_CALLER,
		  "BUG %s (Not tainted): %s overwritten\n"
		  "INFO: %p-%p @offset=%td. First byte 0x%x instead of 0x%x%s\n"
		  "FIX %s: Restoring %s %p-%p=0x%x",
		  s->name, what, (void *)(start + bad), (void *)(start + end - 1),
		  start + bad - (unsigned char *)obj, start[bad], value, tracks,
		  s->name, what, (void *)(start + bad), (void *)(start + end - 1), value);
	memset(start + bad, value, end - bad);
	return false;
}

/* Is p a valid free pointer in this slab: NULL, or the start of one of its objects? */
static bool check_valid_pointer(struct kmem_cache *s, struct slab *slab, void *p)
{
	size_t offset;

	if (!p)
		return true;
	if ((char *)p < slab->base)
		return false;
	offset = (size_t)((char *)p - slab->base);
	return offset / s->size < s->objects && offset % s->size == 0;
}

/*
 * check_object(): red zones, poison, padding and the free pointer; returns
 * the problems. It and check_bytes() run over every object on validation:
 * out of fuzzing coverage, which the reports they raise still count.
 */
static __no_sanitize_coverage int check_object(struct kmem_cache *s, struct slab *slab,
					       void *obj, unsigned char val)
{
	unsigned char *p = obj;
	int problems = 0;

	if (s->flags & SLAB_RED_ZONE) {
		problems += !check_bytes(s, obj, KP_REPORT_REDZONE, "Left Redzone",
					 p - s->red_left_pad, val, s->red_left_pad);
		problems += !check_bytes(s, obj, KP_REPORT_REDZONE, "Right Redzone",
					 p + s->object_size, val, s->inuse - s->object_size);
		if (tracks_orig_size(s) && val == SLUB_RED_ACTIVE) {
			size_t orig = debug_meta(s, obj)->orig_size;

			if (orig < s->object_size)
				problems += !check_bytes(s, obj, KP_REPORT_REDZONE,
							 "kmalloc Redzone", p + orig, val,
							 s->object_size - orig);
		}
	} else if ((s->flags & SLAB_POISON) && s->inuse > s->object_size) {
		problems += !check_bytes(s, obj, KP_REPORT_POISON, "Alignment padding",
					 p + s->object_size, POISON_INUSE,
					 s->inuse - s->object_size);
	}
	if ((s->flags & SLAB_POISON) && !s->ctor && val == SLUB_RED_INACTIVE) {
		problems += !check_bytes(s, obj, KP_REPORT_POISON, "Poison", p, POISON_FREE,
					 s->object_size - 1);
		problems += !check_bytes(s, obj, KP_REPORT_POISON, "End Poison",
					 p + s->object_size - 1, POISON_END, 1);
	}
	/* Allocated objects keep their free pointer only when it is outside them. */
	if ((s->offset >= s->inuse || val == SLUB_RED_INACTIVE) &&
	    !check_valid_pointer(s, slab, get_freepointer(s, obj))) {
		kp_report(KP_REPORT_INVARIANT, KP_CALLER,
			  "BUG %s (Not tainted): Freepointer corrupt\n"
			  "INFO: Object %p @offset=%td fp=%p\n"
			  "FIX %s: Isolate the rest of the freelist", s->name, obj,
			  (char *)obj - slab->base, get_freepointer(s, obj), s->name);
		set_freepointer(s, obj, NULL);	/* lose the rest rather than follow it */
		problems++;
	}
	return problems;
}

static void set_track(struct kmem_cache *s, void *obj, struct slab_track *t, void *caller)
{
	if (s->flags & SLAB_STORE_USER) {
		t->addr = caller;
		t->pid = kp_task_pid(kp_current());
	}
	(void)obj;
}

/* alloc_debug_processing() under debug_lock: take a free object and check it. */
static void *alloc_debug(struct kmem_cache *s, gfp_t gfp, int node, void *caller,
			 size_t orig_size)
{
	int nid = node == NUMA_NO_NODE ? local_node() : node;
	struct kmem_cache_node *n = &s->node[nid];
	struct slab *slab, *fresh = NULL;
	void *obj;

	for (;;) {
		raw_spin_lock(&s->debug_lock);
		raw_spin_lock(&n->list_lock);
		if (fresh) {
			add_partial(n, fresh);	/* made without the locks held */
			fresh = NULL;
		}
		slab = n->partial;
		if (slab)
			break;
		raw_spin_unlock(&n->list_lock);
		raw_spin_unlock(&s->debug_lock);
		fresh = allocate_slab(s, nid, gfp);
		if (!fresh)
			return NULL;
	}
	obj = slab->freelist;
	check_object(s, slab, obj, SLUB_RED_INACTIVE);
	slab->freelist = get_freepointer(s, obj);
	if (!slab->freelist)
		remove_partial(n, slab);
	raw_spin_unlock(&n->list_lock);
	debug_meta(s, obj)->allocated = 1;
	debug_meta(s, obj)->orig_size = (unsigned int)orig_size;
	set_track(s, obj, &debug_meta(s, obj)->alloc, caller);
	init_object(s, obj, SLUB_RED_ACTIVE, orig_size);
	raw_spin_unlock(&s->debug_lock);
	if (gfp & __GFP_ZERO)
		memset(obj, 0, tracks_orig_size(s) ? orig_size : s->object_size);
	return obj;
}

/* free_debug_processing() under debug_lock: check the object, then free it. */
static void free_debug(struct kmem_cache *s, struct slab *slab, void *obj, void *caller)
{
	struct kmem_cache_node *n = &s->node[slab->node];
	struct slab_debug_meta *meta = debug_meta(s, obj);

	raw_spin_lock(&s->debug_lock);
	if (!meta->allocated) {
		raw_spin_unlock(&s->debug_lock);
		kp_report(KP_REPORT_DOUBLE_FREE, caller,
			  "BUG %s (Not tainted): Object already free\nINFO: Object %p @offset=%td",
			  s->name, obj, (char *)obj - slab->base);
		return;
	}
	check_object(s, slab, obj, SLUB_RED_ACTIVE);
	meta->allocated = 0;
	set_track(s, obj, &meta->free, caller);
	init_object(s, obj, SLUB_RED_INACTIVE, s->object_size);
	raw_spin_lock(&n->list_lock);
	set_freepointer(s, obj, slab->freelist);
	slab->freelist = obj;
	if (!slab->on_partial)
		add_partial(n, slab);
	else if (n->nr_partial > MIN_PARTIAL &&
		 freelist_count(s, slab->freelist) == s->objects) {
		remove_partial(n, slab);
		discard_slab(s, n, slab);
	}
	raw_spin_unlock(&n->list_lock);
	raw_spin_unlock(&s->debug_lock);
	count_add(&this_cpu(s)->live, -1UL);
}

void slab_resize_in_place(struct kmem_cache *s, void *obj, size_t new_size)
{
	if (!tracks_orig_size(s))
		return;
	debug_meta(s, obj)->orig_size = (unsigned int)new_size;
	if ((s->flags & SLAB_RED_ZONE) && new_size < s->object_size)
		memset((char *)obj + new_size, SLUB_RED_ACTIVE, s->object_size - new_size);
}

int kmem_cache_validate(struct kmem_cache *s)
{
	int problems = 0;

	if (!kmem_cache_debug(s))
		return 0;
	raw_spin_lock(&s->debug_lock);
	for (int i = 0; i < KP_MAX_NODES; i++) {
		raw_spin_lock(&s->node[i].list_lock);
		for (struct slab *slab = s->node[i].all; slab; slab = slab->all_next)
			for (unsigned int j = 0; j < s->objects; j++) {
				char *obj = slab->base + (size_t)j * s->size;

				problems += check_object(s, slab, obj,
							 debug_meta(s, obj)->allocated ?
							 SLUB_RED_ACTIVE : SLUB_RED_INACTIVE);
			}
		raw_spin_unlock(&s->node[i].list_lock);
	}
	raw_spin_unlock(&s->debug_lock);
	return problems;
}

static const struct slab_track *alloc_track(struct kmem_cache *s, void *obj)
{
	return (s->flags & SLAB_STORE_USER) ? &debug_meta(s, obj)->alloc : NULL;
}

static __no_sanitize_coverage size_t
for_each_live_debug_object(struct kmem_cache *s, struct slab *slab, object_fn fn, void *arg)
{
	size_t live = 0;

	for (unsigned int j = 0; j < s->objects; j++) {
		char *obj = slab->base + (size_t)j * s->size;

		if (debug_meta(s, obj)->allocated) {
			live++;
			if (fn)
				fn(s, obj, arg);
		}
	}
	return live;
}
