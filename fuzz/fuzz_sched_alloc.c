// SPDX-License-Identifier: MIT
/*
 * fuzz_sched_alloc.c - the allocator across tasks under the model
 * scheduler: allocations, local and remote frees, objects handed between
 * tasks, sheaves filled and drained through the barn, tasks ending with
 * objects in their sheaves; 2..4 tasks, the interleaving from the input.
 *
 * Input: a header, each task's program, then the schedule.
 *   byte 0   tasks, 2..4
 *   byte 1   steps per task, 1..8
 *   steps    one byte per step (low 3 bits: enum step; the rest: its argument)
 *   rest     one byte per scheduling choice (KP_MODEL_INPUT), then PCT
 *
 * Objects come from kmalloc (a size class from the argument) or from a
 * cache of 4 KiB objects, whose sheaves hold 16 objects: a burst of frees
 * fills a task's two sheaves and leaves full ones in the barn, a burst of
 * allocations takes them, and a task that ends flushes what it holds. An
 * object given through a slot is freed by another task: a remote free.
 *
 * The oracle is a set of the objects handed out (plain memory: the model
 * runs one task at a time, and no schedule point falls between an
 * allocation's return and the insertion): no object is handed out while
 * it is live, every free is of a live object whose stamp (owner, kind,
 * size) is intact, and at the end, with the slots emptied by the caller,
 * nothing is live: the set, the cache's live count and kmemleak's agree.
 */
#include <stdlib.h>
#include <string.h>

#include "sched_target.h"

#define MAX_TASKS	4
#define MAX_STEPS	8
#define MAX_PRIVATE	96	/* objects a task holds */
#define NR_SLOTS	8	/* objects in passing between tasks */
#define BURST		24	/* more than two sheaves of the 4 KiB cache */
#define STAMP		0x6b70726d6f646c31ULL	/* "kprmodl1" */

enum step { S_KMALLOC, S_CACHE_ALLOC, S_FREE, S_GIVE, S_TAKE, S_BURST_ALLOC, S_BURST_FREE,
	    S_KREALLOC, NR_STEPS };

/* Each holds a struct stamp; 8 KiB is kmalloc's largest cache, the rest are whole pages. */
static const size_t kmalloc_sizes[] = { 24, 64, 192, 512, 2048, 8192, 16384, 65536 };

struct stamp {
	uint64_t magic;
	size_t size;		/* 0: from the cache */
	unsigned int owner;	/* the task that allocated it */
};

static struct kmem_cache *cache;
static struct stamp *slots[NR_SLOTS];
static struct fuzz_programs prog;

/* ---- the oracle: the live set (no coverage: its probing says nothing of kprim) -------- */

#define SET_SIZE	1024	/* > MAX_TASKS * (MAX_PRIVATE + 1) + NR_SLOTS, a power of two */
static const void *live[SET_SIZE];
static unsigned int nr_live;

static __no_sanitize_coverage unsigned int set_slot(const void *p)
{
	unsigned int i = (unsigned int)(((uintptr_t)p >> 4) * 0x9e3779b1u) & (SET_SIZE - 1);

	while (live[i] && live[i] != p)
		i = (i + 1) & (SET_SIZE - 1);
	return i;
}

static __no_sanitize_coverage void set_add(const void *p)
{
	unsigned int i = set_slot(p);

	fuzz_assert(!live[i]);	/* handed out twice */
	live[i] = p;
	nr_live++;
}

static __no_sanitize_coverage void set_remove(const void *p)
{
	unsigned int i = set_slot(p), j;

	fuzz_assert(live[i] == p);	/* a free of an object not live */
	live[i] = NULL;
	nr_live--;
	/* Backward-shift deletion keeps every probe chain whole. */
	for (j = (i + 1) & (SET_SIZE - 1); live[j]; j = (j + 1) & (SET_SIZE - 1)) {
		const void *q = live[j];

		live[j] = NULL;
		live[set_slot(q)] = q;
	}
}

/* ---- the steps ------------------------------------------------------------------------ */

struct holder {
	struct stamp *obj[MAX_PRIVATE];
	unsigned int nr;
	unsigned int id;
};

static struct stamp *new_object(unsigned int id, size_t size)
{
	struct stamp *s = size ? kmalloc(size, GFP_KERNEL) : kmem_cache_alloc(cache, GFP_KERNEL);

	fuzz_assert(s);		/* nothing limits memory here */
	set_add(s);
	*s = (struct stamp){ .magic = STAMP, .size = size, .owner = id };
	return s;
}

static void free_object(struct stamp *s)
{
	fuzz_assert(s->magic == STAMP && s->owner < MAX_TASKS);
	set_remove(s);
	s->magic = 0;
	if (s->size)
		kfree(s);
	else
		kmem_cache_free(cache, s);
}

static void keep(struct holder *h, struct stamp *s)
{
	if (h->nr < MAX_PRIVATE)
		h->obj[h->nr++] = s;
	else
		free_object(s);
}

static void step(struct holder *h, uint8_t byte)
{
	unsigned int arg = byte >> 3;

	switch ((enum step)(byte & 7)) {
	case S_KMALLOC:
		keep(h, new_object(h->id, kmalloc_sizes[arg % 8]));
		break;
	case S_CACHE_ALLOC:
		keep(h, new_object(h->id, 0));
		break;
	case S_FREE:
		if (h->nr)
			free_object(h->obj[--h->nr]);
		break;
	case S_GIVE:
		if (h->nr) {
			struct stamp *old = kp_atomic_xchg(&slots[arg % NR_SLOTS], h->obj[--h->nr],
							   KP_ACQ_REL);

			if (old)
				keep(h, old);
		}
		break;
	case S_TAKE: {
		struct stamp *s = kp_atomic_xchg(&slots[arg % NR_SLOTS], NULL, KP_ACQ_REL);

		if (s)
			keep(h, s);
		break;
	}
	case S_BURST_ALLOC:
		for (int i = 0; i < BURST && h->nr < MAX_PRIVATE; i++)
			keep(h, new_object(h->id, 0));
		break;
	case S_BURST_FREE:
		while (h->nr)
			free_object(h->obj[--h->nr]);
		break;
	case S_KREALLOC:
		if (h->nr && h->obj[h->nr - 1]->size) {
			struct stamp *s = h->obj[h->nr - 1];
			size_t size = kmalloc_sizes[arg % 8];
			struct stamp *n;

			fuzz_assert(s->magic == STAMP);
			set_remove(s);
			n = krealloc(s, size, GFP_KERNEL);
			fuzz_assert(n && n->magic == STAMP);	/* the contents came along */
			set_add(n);
			n->size = size;
			h->obj[h->nr - 1] = n;
		}
		break;
	case NR_STEPS:
		break;
	}
}

static void task_main(unsigned int id, void *arg)
{
	struct holder h = { .id = id };

	(void)arg;
	for (unsigned int s = 0; s < prog.nr_steps; s++)
		step(&h, prog.steps[id][s]);
	while (h.nr)
		free_object(h.obj[--h.nr]);
	/* The task ends here: its sheaves flush as a thread's would. */
}

static void setup(void *arg)
{
	(void)arg;
	memset(slots, 0, sizeof(slots));
	memset(live, 0, sizeof(live));
	nr_live = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kp_model_config cfg = { .task_fn = task_main, .setup = setup, .max_steps = 50000 };
	struct kp_model_result res;
	size_t live_before;

	if (!fuzz_sched_programs(data, size, 2, MAX_TASKS, MAX_STEPS, 1, &prog))
		return 0;
	if (!cache)
		cache = kmem_cache_create("sched-4k", 4096, 0, 0, NULL);
	fuzz_assert(cache);
	cfg.nr_tasks = prog.nr_tasks;
	live_before = kp_kmemleak_report(NULL);
	fuzz_sched_run(&cfg, data, size, prog.used, &res);
	for (unsigned int i = 0; i < NR_SLOTS; i++)
		if (slots[i])
			free_object(slots[i]);
	fuzz_assert(nr_live == 0);
	fuzz_assert(kmem_cache_live_objects(cache) == 0);
	fuzz_assert(kp_kmemleak_report(NULL) == live_before);
	return 0;
}
