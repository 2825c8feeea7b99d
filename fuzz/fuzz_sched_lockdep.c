// SPDX-License-Identifier: MIT
/*
 * fuzz_sched_lockdep.c - lockdep itself under interleaved acquisitions:
 * 2..3 model tasks take pairs of locks at once, and lockdep's own atomics
 * (its graph lock, its cached classes, the dependency matrix its fast path
 * reads without the lock) are schedule points (lockdep_sched_points).
 *
 * Input: a header, each task's program, then the schedule.
 *   byte 0   tasks, 2..3
 *   byte 1   steps per task, 1..8
 *   steps    two bytes each: the step (enum step) and its first lock, then
 *            its second lock
 *   rest     one byte per scheduling choice (KP_MODEL_INPUT), then PCT
 *
 * A task holds at most one lock when it takes another, so an acquisition
 * adds at most one dependency: the held lock's class -> the new one's.
 * The locks are bare lockdep maps (nobody waits), NR_LOCKS of them in
 * NR_CLASSES classes. Every acquisition is logged with the report it
 * raised (the handler records; it does not abort).
 *
 * Lockdep serialises its graph under its lock, but the log's order is not
 * that order, so the oracle checks what holds whatever the order: the
 * dependencies lockdep accepted (acquisitions with no report) form no
 * cycle, and their number is lockdep's count; every cycle report is
 * justified, the new class reaching the held one through accepted
 * dependencies (which only grow); a class taken while its own class is
 * held is a recursion report, the very lock held a refused one; nothing
 * else is reported.
 */
#include <stdlib.h>
#include <string.h>

#include "sched_target.h"

#define MAX_TASKS	3
#define MAX_STEPS	8
#define NR_CLASSES	4
#define NR_LOCKS	6
#define MAX_LOG		(MAX_TASKS * MAX_STEPS * 2)

enum step { S_PAIR, S_SINGLE, S_TRY_PAIR, NR_STEPS };

static struct lock_class_key keys[NR_CLASSES];
static struct lockdep_map maps[NR_LOCKS];
static const char *const names[NR_LOCKS] = { "l0", "l1", "l2", "l3", "l4", "l5" };

static struct fuzz_programs prog;	/* two bytes a step */

/* The oracle's log: plain memory, appended right after lock_acquire() returns. */
struct acquisition {
	int held;			/* the lock held, or -1 */
	int lock;
	bool trylock, taken;
	enum kp_report_kind report;	/* KP_REPORT_NR: none */
};

static struct acquisition log_[MAX_LOG];
static unsigned int nr_log;
static enum kp_report_kind pending[MAX_TASKS];	/* raised in the task's lock_acquire() */

static void record_report(const struct kp_report *r)
{
	int task = kp_model_task_id();

	if (task < 0 || (r->kind != KP_REPORT_CIRCULAR_LOCKING &&
			 r->kind != KP_REPORT_LOCK_RECURSION)) {
		fprintf(fuzz_stderr(), "fuzz: unexpected report %s: %s\n",
			kp_report_kind_name(r->kind), r->msg);
		fuzz_abort();
	}
	fuzz_assert(pending[task] == KP_REPORT_NR);	/* one report an acquisition */
	pending[task] = r->kind;
}

static int class_of(int lock)
{
	return lock % NR_CLASSES;
}

static bool acquire(unsigned int task, int held, int lock, bool trylock)
{
	bool taken;

	pending[task] = KP_REPORT_NR;
	taken = lock_acquire(&maps[lock], trylock, NULL);
	fuzz_assert(nr_log < MAX_LOG);
	log_[nr_log++] = (struct acquisition){ held, lock, trylock, taken, pending[task] };
	return taken;
}

static void release(int lock)
{
	fuzz_assert(lock_release(&maps[lock], NULL));
}

static void task_main(unsigned int id, void *arg)
{
	(void)arg;
	for (unsigned int s = 0; s < prog.nr_steps; s++) {
		const uint8_t *step = prog.steps[id] + 2 * s;
		int i = (step[0] / NR_STEPS) % NR_LOCKS;
		int j = step[1] % NR_LOCKS;

		switch (step[0] % NR_STEPS) {
		case S_PAIR:
		case S_TRY_PAIR:
			if (!acquire(id, -1, i, false))
				break;
			if (acquire(id, i, j, step[0] % NR_STEPS == S_TRY_PAIR))
				release(j);
			release(i);
			break;
		case S_SINGLE:
			if (acquire(id, -1, i, false))
				release(i);
			break;
		}
	}
}

static void setup(void *arg)
{
	(void)arg;
	lockdep_reset();
	for (int l = 0; l < NR_LOCKS; l++)
		lockdep_init_map(&maps[l], names[l], &keys[class_of(l)]);
	nr_log = 0;
}

/* ---- the oracle ------------------------------------------------------------------------ */

static bool edge[NR_CLASSES][NR_CLASSES];

static bool reaches(int from, int to)
{
	bool seen[NR_CLASSES] = { false };
	int stack[NR_CLASSES], top = 0;

	stack[top++] = from;
	seen[from] = true;
	while (top) {
		int c = stack[--top];

		if (c == to)
			return true;
		for (int n = 0; n < NR_CLASSES; n++)
			if (edge[c][n] && !seen[n]) {
				seen[n] = true;
				stack[top++] = n;
			}
	}
	return false;
}

static void check_log(void)
{
	unsigned int deps = 0;

	memset(edge, 0, sizeof(edge));
	for (unsigned int k = 0; k < nr_log; k++) {
		const struct acquisition *a = &log_[k];

		if (a->held >= 0 && !a->trylock && a->report == KP_REPORT_NR &&
		    !edge[class_of(a->held)][class_of(a->lock)]) {
			edge[class_of(a->held)][class_of(a->lock)] = true;
			deps++;
		}
	}
	fuzz_assert(deps == lockdep_nr_dependencies());
	for (int c = 0; c < NR_CLASSES; c++)
		for (int n = 0; n < NR_CLASSES; n++)
			if (edge[c][n])
				fuzz_assert(!reaches(n, c));	/* no accepted cycle */
	for (unsigned int k = 0; k < nr_log; k++) {
		const struct acquisition *a = &log_[k];
		int h = a->held >= 0 ? class_of(a->held) : -1, c = class_of(a->lock);

		if (a->held < 0 || a->trylock) {
			fuzz_assert(a->report == KP_REPORT_NR && a->taken);
		} else if (a->held == a->lock) {
			fuzz_assert(a->report == KP_REPORT_LOCK_RECURSION && !a->taken);
		} else if (h == c) {
			fuzz_assert(a->report == KP_REPORT_LOCK_RECURSION && a->taken);
		} else if (a->report == KP_REPORT_CIRCULAR_LOCKING) {
			fuzz_assert(reaches(c, h));	/* the cycle it would close is real */
		} else {
			fuzz_assert(a->report == KP_REPORT_NR && a->taken);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kp_model_config cfg = { .task_fn = task_main, .setup = setup, .max_steps = 50000 };
	struct kp_model_result res;
	kp_report_fn saved;

	if (!fuzz_sched_programs(data, size, 2, MAX_TASKS, MAX_STEPS, 2, &prog))
		return 0;
	cfg.nr_tasks = prog.nr_tasks;
	lockdep_sched_points = true;
	saved = kp_report_set_handler(record_report);
	fuzz_sched_run(&cfg, data, size, prog.used, &res);
	kp_report_set_handler(saved);
	lockdep_sched_points = false;
	check_log();
	return 0;
}
