// SPDX-License-Identifier: MIT
/*
 * fuzz_sched_locks.c - every kprim lock under the model scheduler: 2..4
 * tasks take one lock in turn while the fuzzer's input picks the
 * interleaving, point by point.
 *
 * The locks are tests/kp_locks.h's list, each through its own calls, and
 * four more ways in: irqsave, the NoWaitLock's contention answer, the
 * mutex's guards, the spinlock's try guard.
 *
 * Input: a header, then the schedule.
 *   byte 0   the lock (enum lock_kind, modulo of the low 6 bits), bit 6:
 *            store buffers (weak memory), bit 7: spurious futex wake-ups
 *   byte 1   tasks, 2..4
 *   byte 2   rounds per task, 1..4; bit 7: the queued spinlock's native
 *            slow path (spin and yield), else its paravirt one (sleep)
 *   1/task   per round, bit r: take it with a try (the NoWaitLock always tries)
 *   rest     one byte per scheduling choice (KP_MODEL_INPUT), then PCT
 *
 * Checked inside every critical section: nobody else is inside; the lock
 * reads as locked; a spinlock's holder is in atomic context, with irqs off
 * for irqsave; the last holder's relaxed store, made just before its
 * unlock, is visible (with store buffers, only the unlock's release
 * ordering makes it so). Checked for the NoWaitLock: an unlock after a try failed
 * while this task held it says so (its one promise: never a false "no").
 * Checked at the end: every task returned (a lost wake-up or a cycle is
 * the scheduler's KP_REPORT_DEADLOCK, a task that cannot stop spinning its
 * KP_REPORT_LIVELOCK), nothing is inside, the lock is free, every
 * successful acquisition entered the section once, and no task holds a
 * lock in lockdep's eyes. Any kprim report aborts (expect.c's handler),
 * so libFuzzer keeps the input.
 *
 * KP_MODEL_TRACE=1 in the environment prints the run's trace, step by
 * step, when one fails; KP_MODEL_TRACE=all after every run, with its
 * schedule string (scripts/model-replay.sh does that for a saved input).
 */
#include <stdlib.h>
#include <string.h>

#include "kp_locks.h"
#include "sched_target.h"

/* kp_locks.h's locks through their own calls, then four more ways in. */
#define LOCK_KIND(name, ...)	L_##name,
enum lock_kind {
	KP_FOR_EACH_LOCK(LOCK_KIND)
	L_SPIN_IRQSAVE,		/* the spinlock, irqsave */
	L_NOWAIT_ANSWER,	/* the NoWaitLock, its contention answer checked */
	L_GUARD_MUTEX,		/* the mutex through guard(), or scoped_guard(mutex_try) */
	L_GUARD_SPIN_TRY,	/* the spinlock through scoped_guard(spinlock_try) */
	NR_LOCK_KINDS
};

#define HEADER		3
#define MAX_TASKS	4
#define MAX_ROUNDS	4

struct program {
	enum lock_kind kind;
	unsigned int rounds;
	uint8_t try_mask[MAX_TASKS];
};

/* The oracle: plain variables, as the model runs one task at a time. */
static int inside;
static unsigned int entries, acquired;
static int holder = -1;			/* the task inside, -1 for none */
static unsigned int cs_data, cs_expected;	/* a relaxed store each holder leaves */
static unsigned int failed_while_held;	/* tries that failed while holder held it */

static void enter(unsigned int id, bool spins, bool locked)
{
	fuzz_assert(inside == 0);
	inside++;
	holder = (int)id;
	failed_while_held = 0;
	acquired++;
	fuzz_assert(locked);
	fuzz_assert(in_atomic() == spins);	/* a spinlock's holder, and only it */
	/* A point inside, so others can try while it is held. */
	kp_atomic_fetch_add(&entries, 1, KP_RELAXED);
	fuzz_assert(holder == (int)id);
	fuzz_assert(kp_atomic_load(&cs_data, KP_RELAXED) == cs_expected);
}

/* Last before the unlock: only its release makes the store visible. */
static void leave(void)
{
	inside--;
	holder = -1;
	kp_atomic_store(&cs_data, ++cs_expected, KP_RELAXED);
}

static void try_failed(void)
{
	if (holder >= 0)
		failed_while_held++;
}

/* Each lock of the list: the lock itself, and a round of it. */
#define LOCK_ROW(name, type, init, lock_stmt, trylock_expr, unlock_stmt, locked_expr, spins)	\
	static type the_##name;								\
	static bool locked_##name(void) { type *l = &the_##name; return locked_expr; }	\
	static void init_##name(void)							\
	{										\
		type *l = &the_##name;							\
											\
		init;									\
		kp_sched_name(l, sizeof(*l), "the_" #name);	/* for traces */	\
	}										\
	static void round_##name(unsigned int id, bool try)				\
	{										\
		type *l = &the_##name;							\
											\
		if (try ? (trylock_expr) : ({ lock_stmt; true; })) {			\
			enter(id, spins, locked_expr);					\
			leave();							\
			unlock_stmt;							\
		} else {								\
			try_failed();							\
		}									\
	}
KP_FOR_EACH_LOCK(LOCK_ROW)

static const struct lock_row {
	void (*round)(unsigned int id, bool try);
	bool (*locked)(void);
	void (*init)(void);
} rows[] = {
#define LOCK_ENTRY(name, ...)	{ round_##name, locked_##name, init_##name },
	KP_FOR_EACH_LOCK(LOCK_ENTRY)
};
#define NR_ROWS		(sizeof(rows) / sizeof(rows[0]))

static bool lock_is_locked(enum lock_kind kind)
{
	switch (kind) {
	case L_SPIN_IRQSAVE:
	case L_GUARD_SPIN_TRY:
		return locked_spinlock();
	case L_NOWAIT_ANSWER:
		return locked_nowait();
	case L_GUARD_MUTEX:
		return locked_mutex();
	default:
		return rows[kind].locked();
	}
}

static void round_of(enum lock_kind kind, unsigned int id, bool try)
{
	unsigned long flags;

	switch (kind) {
	case L_SPIN_IRQSAVE:
		spin_lock_irqsave(&the_spinlock, flags);
		enter(id, true, locked_spinlock());
		fuzz_assert(irqs_disabled());
		leave();
		spin_unlock_irqrestore(&the_spinlock, flags);
		fuzz_assert(!irqs_disabled() && !in_atomic());
		break;
	case L_NOWAIT_ANSWER:
		if (!nowait_trylock(&the_nowait)) {
			try_failed();
			break;
		}
		enter(id, false, locked_nowait());
		{
			unsigned int failed = failed_while_held;

			leave();
			fuzz_assert(nowait_unlock(&the_nowait) || !failed);	/* never a false "no" */
		}
		break;
	case L_GUARD_MUTEX:
		if (try) {
			scoped_guard(mutex_try, &the_mutex) {
				enter(id, false, locked_mutex());
				leave();
			}
		} else {
			guard(mutex)(&the_mutex);
			enter(id, false, locked_mutex());
			leave();
		}
		break;
	case L_GUARD_SPIN_TRY:
		scoped_guard(spinlock_try, &the_spinlock) {
			enter(id, true, locked_spinlock());
			leave();
		}
		fuzz_assert(!in_atomic());
		break;
	default:
		rows[kind].round(id, try);
		break;
	}
}

static void task_main(unsigned int id, void *arg)
{
	const struct program *p = arg;

	for (unsigned int r = 0; r < p->rounds; r++)
		round_of(p->kind, id, p->try_mask[id] & (1u << r));
#ifdef KP_LOCKDEP
	lockdep_check_no_locks_held();	/* a report, so an abort, if one is left */
#endif
}

static void fresh_locks(void *arg)
{
	(void)arg;
	for (size_t r = 0; r < NR_ROWS; r++)
		rows[r].init();
	inside = 0;
	entries = acquired = 0;
	holder = -1;
	cs_data = cs_expected = 0;
	kp_sched_name(&entries, sizeof(entries), "entries");
	kp_sched_name(&cs_data, sizeof(cs_data), "cs_data");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct program prog;
	struct kp_model_config cfg = { .task_fn = task_main, .arg = &prog, .setup = fresh_locks,
				       .max_steps = 20000 };
	struct kp_model_result res;
	size_t header;

	if (size < HEADER)
		return 0;
	prog.kind = (enum lock_kind)((data[0] & 0x3f) % NR_LOCK_KINDS);
	cfg.store_buffers = data[0] & 0x40;
	cfg.spurious_wakeups = data[0] & 0x80;
	cfg.nr_tasks = 2 + data[1] % (MAX_TASKS - 1);
	prog.rounds = 1 + (data[2] & 0x7f) % MAX_ROUNDS;
	fuzz_assert(queued_spin_set_paravirt(!(data[2] & 0x80)));
	header = HEADER + cfg.nr_tasks;
	if (size < header)
		return 0;
	memcpy(prog.try_mask, data + HEADER, cfg.nr_tasks);
	fuzz_sched_run(&cfg, data, size, header, &res);
	fuzz_assert(inside == 0 && holder == -1);
	fuzz_assert(!lock_is_locked(prog.kind));
	fuzz_assert(entries == acquired);
	mutex_destroy(&the_mutex);	/* free, and nobody waits: accepted without a report */
	{
		/* A lock round, irqsave and the mutex guard cannot fail; a try can. */
		unsigned int must = 0;

		for (unsigned int t = 0; t < cfg.nr_tasks; t++)
			for (unsigned int r = 0; r < prog.rounds; r++)
				must += prog.kind == L_SPIN_IRQSAVE ||
					((prog.kind < NR_ROWS || prog.kind == L_GUARD_MUTEX) &&
					 !(prog.try_mask[t] & (1u << r)));
		fuzz_assert(acquired >= must && acquired <= cfg.nr_tasks * prog.rounds);
	}
	return 0;
}
