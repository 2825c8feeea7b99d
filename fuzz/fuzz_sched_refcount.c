// SPDX-License-Identifier: MIT
/*
 * fuzz_sched_refcount.c - references handed between tasks under the model
 * scheduler: an Arc, a kref'd object found through a lookup table, an
 * ARef, 2..4 tasks, the interleaving from the input.
 *
 * Input: a header, each task's program, then the schedule.
 *   byte 0   tasks, 2..4
 *   byte 1   steps per task, 1..8
 *   steps    one byte per step of each task (enum step, modulo), task 0's first
 *   rest     one byte per scheduling choice (KP_MODEL_INPUT), then PCT
 *
 * Every task starts holding one reference to the Arc, one to the kref'd
 * object (in a table under a spinlock, as a kernel lookup structure keeps
 * it) and one ARef to the Arc. Steps clone and put them, pass Arc
 * references through a shared slot, and look the kref'd object up with
 * kref_get_unless_zero() under the table's lock; its last put takes the
 * lock with refcount_dec_and_lock() and removes it, as the kernel does.
 *
 * The oracle: each drop runs exactly once, and only when the count it
 * guards reads 0; a lookup never revives an object whose count reached 0;
 * at the end (every task has put what it holds, and the caller what is
 * left in the slot) both objects have been dropped and freed, and kprim's
 * live count is where it started. ASan sees any use after the free.
 */
#include <stdlib.h>
#include <string.h>

#include "sched_target.h"

#define MAX_TASKS	4
#define MAX_STEPS	8

enum step {
	S_ARC_CLONE, S_ARC_PUT, S_ARC_GIVE, S_ARC_TAKE, S_OBJ_LOOKUP, S_OBJ_PUT, S_AREF_CLONE,
	S_AREF_DROP, NR_STEPS
};

struct payload {
	int value;
	int drops;
};

struct object {
	struct kref kref;
	int drops;
};

static struct fuzz_programs prog;

static struct arc *arc;			/* the Arc; its payload counts drops */
static struct arc *slot;		/* an Arc reference in passing, or NULL */
static DEFINE_SPINLOCK(table_lock);
static struct object *table;		/* the lookup table: one entry */
static struct object *the_object;	/* what table held at the start */
static int arc_drops, obj_frees;
static size_t live_before;

static void payload_drop(void *p)
{
	struct payload *pl = p;

	fuzz_assert(refcount_read(&arc_from_payload(p)->refcount) == 0);
	fuzz_assert(pl->drops++ == 0);
	arc_drops++;
}

/* refcount_dec_and_lock()'s caller: the count hit 0 with table_lock held. */
static void object_release(struct object *obj)
{
	fuzz_assert(refcount_read(&obj->kref.refcount) == 0);
	fuzz_assert(obj->drops++ == 0);
	if (table == obj)
		table = NULL;
	spin_unlock(&table_lock);
	obj_frees++;
	kfree(obj);
}

static void object_put(struct object *obj)
{
	if (refcount_dec_and_lock(&obj->kref.refcount, &table_lock))
		object_release(obj);
}

static struct object *object_lookup(void)
{
	struct object *obj;

	spin_lock(&table_lock);
	obj = table;
	if (obj && !kref_get_unless_zero(&obj->kref))
		obj = NULL;	/* dying: its last put is on its way to the table lock */
	spin_unlock(&table_lock);
	if (obj)
		fuzz_assert(obj->drops == 0);
	return obj;
}

static void arc_inc(void *p)
{
	arc_clone(arc_from_payload(p));
}

static void arc_dec(void *p)
{
	arc_put(arc_from_payload(p));
}

static const struct aref_ops payload_ops = { .inc_ref = arc_inc, .dec_ref = arc_dec };

#define MAX_HELD	(MAX_STEPS + 1)

static void task_main(unsigned int id, void *arg)
{
	struct arc *arcs[MAX_HELD * 2];
	struct object *objs[MAX_HELD * 2];
	struct aref arefs[MAX_HELD * 2];
	unsigned int nr_arcs = 0, nr_objs = 0, nr_arefs = 0;

	(void)arg;
	/* What the caller handed each task at the start. */
	arcs[nr_arcs++] = arc;
	objs[nr_objs++] = the_object;
	arefs[nr_arefs++] = aref_from_raw(arc_payload(arc), &payload_ops);

	for (unsigned int s = 0; s < prog.nr_steps; s++) {
		switch (prog.steps[id][s] % NR_STEPS) {
		case S_ARC_CLONE:
			if (nr_arcs) {
				arcs[nr_arcs] = arc_clone(arcs[nr_arcs - 1]);
				nr_arcs++;
			}
			break;
		case S_ARC_PUT:
			if (nr_arcs)
				arc_put(arcs[--nr_arcs]);
			break;
		case S_ARC_GIVE:
			if (nr_arcs) {
				struct arc *old = kp_atomic_xchg(&slot, arcs[--nr_arcs], KP_ACQ_REL);

				if (old)	/* the slot held one already: that one is ours now */
					arcs[nr_arcs++] = old;
			}
			break;
		case S_ARC_TAKE: {
			struct arc *a = kp_atomic_xchg(&slot, NULL, KP_ACQ_REL);

			if (a)
				arcs[nr_arcs++] = a;
			break;
		}
		case S_OBJ_LOOKUP: {
			struct object *obj = object_lookup();

			if (obj)
				objs[nr_objs++] = obj;
			break;
		}
		case S_OBJ_PUT:
			if (nr_objs)
				object_put(objs[--nr_objs]);
			break;
		case S_AREF_CLONE:
			if (nr_arefs) {
				arefs[nr_arefs] = aref_clone(&arefs[nr_arefs - 1]);
				nr_arefs++;
			}
			break;
		case S_AREF_DROP:
			if (nr_arefs)
				aref_drop(&arefs[--nr_arefs]);
			break;
		}
	}
	while (nr_arcs)
		arc_put(arcs[--nr_arcs]);
	while (nr_objs)
		object_put(objs[--nr_objs]);
	while (nr_arefs)
		aref_drop(&arefs[--nr_arefs]);
}

/* Fresh objects, each holding one reference of each kind per task. */
static void setup(void *arg)
{
	unsigned int nr_tasks = *(unsigned int *)arg;
	struct payload init = { .value = 42 };
	struct object *obj;

	arc = arc_new(&init, sizeof(init), payload_drop, GFP_KERNEL);
	obj = kzalloc(sizeof(*obj), GFP_KERNEL);
	fuzz_assert(arc && obj);
	refcount_set(&arc->refcount, (int)(2 * nr_tasks));	/* an Arc and an ARef each */
	refcount_set(&obj->kref.refcount, (int)nr_tasks);
	table = the_object = obj;
	slot = NULL;
	arc_drops = obj_frees = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kp_model_config cfg = { .task_fn = task_main, .setup = setup,
				       .arg = &prog.nr_tasks, .max_steps = 20000 };
	struct kp_model_result res;

	if (!fuzz_sched_programs(data, size, 2, MAX_TASKS, MAX_STEPS, 1, &prog))
		return 0;
	cfg.nr_tasks = prog.nr_tasks;
	live_before = kp_kmemleak_report(NULL);
	fuzz_sched_run(&cfg, data, size, prog.used, &res);
	/* A reference left in passing is the caller's to put. */
	if (slot)
		arc_put(slot);
	fuzz_assert(arc_drops == 1);
	fuzz_assert(obj_frees == 1 && table == NULL);
	fuzz_assert(kp_kmemleak_report(NULL) == live_before);
	return 0;
}
