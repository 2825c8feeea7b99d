// SPDX-License-Identifier: MIT
/*
 * fuzz_lockdep.c - lockdep against a brute-force model of its rules.
 *
 * The input drives acquisitions (plain or try) and releases of NR_LOCKS
 * lock instances in NR_CLASSES classes by NR_TASKS simulated tasks, and
 * switches between the tasks. A simulated task is its lockdep state (the
 * held stack in struct kp_task), swapped in and out of the one real task:
 * lockdep keeps nothing else per task. The locks are bare lockdep maps, so
 * a task may "hold" a lock another task holds without anyone waiting.
 *
 * The model keeps every task's held locks, and the class dependency graph
 * in lockdep_model.c, which restates the rules by brute force: recursion on
 * a held class (refused when it is the same lock), else a cycle exactly
 * when the new class already reaches a held one. Trylocks are pushed
 * unchecked. Releasing a lock the task does not hold is a bad unlock. The report handler accepts
 * exactly the reports the model predicts; the dependency count must match
 * after every step.
 */
#include <string.h>

#include "fdp.h"
#include "expect.h"
#include "lockdep_model.h"

#define NR_TASKS	3
#define NR_CLASSES	6
#define NR_LOCKS	(2 * NR_CLASSES)	/* two instances of each class */
#define MAX_HELD	12
#define MAX_OPS		256

static struct lock_class_key keys[NR_CLASSES];
static struct lockdep_map maps[NR_LOCKS];

struct sim_task {
	unsigned int depth;
	struct kp_held_lock held[KP_MAX_LOCK_DEPTH];
	struct model_held model_held[MAX_HELD];	/* oldest first */
	unsigned int model_depth;
};

static struct sim_task tasks[NR_TASKS];
static int running;
static struct lockdep_model model;

static int class_of(int lock)
{
	return lock % NR_CLASSES;
}

static __no_sanitize_coverage void switch_to(int t)
{
	struct kp_task *me = kp_current();

	tasks[running].depth = me->lockdep_depth;
	memcpy(tasks[running].held, me->held_locks, me->lockdep_depth * sizeof(me->held_locks[0]));
	running = t;
	me->lockdep_depth = tasks[t].depth;
	memcpy(me->held_locks, tasks[t].held, me->lockdep_depth * sizeof(me->held_locks[0]));
}

static void op_acquire(struct fdp *f, bool trylock)
{
	struct sim_task *t = &tasks[running];
	int lock = (int)fdp_choice(f, NR_LOCKS), cls = class_of(lock);
	bool take = true;

	if (t->model_depth == MAX_HELD)
		return;
	if (!trylock) {
		enum kp_report_kind kind = lockdep_model_acquire(&model, t->model_held,
								 t->model_depth, lock, cls, &take);

		if (kind != KP_REPORT_NR)
			fuzz_expect_report(kind);
	}
	fuzz_assert(lock_acquire(&maps[lock], trylock, NULL) == take);
	if (take)
		t->model_held[t->model_depth++] = (struct model_held){ lock, cls };
}

static void op_release(struct fdp *f)
{
	struct sim_task *t = &tasks[running];
	int lock = (int)fdp_choice(f, NR_LOCKS);
	bool held = false;

	for (unsigned int i = t->model_depth; i-- > 0;) {
		if (t->model_held[i].lock != lock)
			continue;
		memmove(&t->model_held[i], &t->model_held[i + 1],
			(t->model_depth - i - 1) * sizeof(t->model_held[0]));
		t->model_depth--;
		held = true;
		break;
	}
	if (!held)
		fuzz_expect_report(KP_REPORT_LOCK_NOT_OWNER);
	fuzz_assert(lock_release(&maps[lock], NULL) == held);
}

static __no_sanitize_coverage void check(void)
{
	struct kp_task *me = kp_current();

	fuzz_assert(lockdep_enabled());
	fuzz_assert(lockdep_nr_dependencies() == model.nr_edges);
	fuzz_assert(me->lockdep_depth == tasks[running].model_depth);
	for (unsigned int i = 0; i < me->lockdep_depth; i++)
		fuzz_assert(me->held_locks[i].instance ==
			    &maps[tasks[running].model_held[i].lock]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fdp f;

	lockdep_reset();
	memset(tasks, 0, sizeof(tasks));
	memset(&model, 0, sizeof(model));
	running = 0;
	kp_current()->lockdep_depth = 0;
	for (int i = 0; i < NR_LOCKS; i++) {
		static const char *const names[NR_CLASSES] = { "A", "B", "C", "D", "E", "F" };

		lockdep_init_map(&maps[i], names[class_of(i)], &keys[class_of(i)]);
	}
	fdp_init(&f, data, size);
	for (int n = 0; n < MAX_OPS && !fdp_empty(&f); n++) {
		switch (fdp_choice(&f, 8)) {
		case 0: case 1: case 2:
			op_acquire(&f, false);
			break;
		case 3:
			op_acquire(&f, true);
			break;
		case 4: case 5:
			op_release(&f);
			break;
		default:
			switch_to((int)fdp_choice(&f, NR_TASKS));
			break;
		}
		fuzz_step_done();
		check();
	}
	kp_current()->lockdep_depth = 0;	/* the simulated tasks end here, unchecked */
	return 0;
}
