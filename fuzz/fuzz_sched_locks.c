// SPDX-License-Identifier: MIT
/*
 * fuzz_sched_locks.c - every kprim lock under the model scheduler: 2..4
 * tasks take one lock in turn while the fuzzer's input picks the
 * interleaving, point by point.
 *
 * Input: a header, then the schedule.
 *   byte 0   the lock (enum lock_kind, modulo of the low 6 bits), bit 6:
 *            store buffers (weak memory), bit 7: spurious futex wake-ups
 *   byte 1   tasks, 2..4
 *   byte 2   rounds per task, 1..4
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

#include "sched_target.h"

enum lock_kind {
	L_MUTEX, L_SMUTEX, L_RAW, L_SPIN_IRQSAVE, L_NOWAIT, L_GUARD_MUTEX, L_GUARD_SPIN_TRY,
	NR_LOCK_KINDS
};

#define HEADER		3
#define MAX_TASKS	4
#define MAX_ROUNDS	4

static struct mutex mutex;
static struct smutex smutex;
static raw_spinlock_t raw;
static spinlock_t spin;
static struct nowait_lock nowait;

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

static bool lock_is_locked(enum lock_kind kind)
{
	switch (kind) {
	case L_MUTEX:
	case L_GUARD_MUTEX:
		return mutex_is_locked(&mutex);
	case L_SMUTEX:
		return smutex_is_locked(&smutex);
	case L_RAW:
		return raw_spin_is_locked(&raw);
	case L_SPIN_IRQSAVE:
	case L_GUARD_SPIN_TRY:
		return spin_is_locked(&spin);
	case L_NOWAIT:
		return nowait_is_locked(&nowait);
	case NR_LOCK_KINDS:
		break;
	}
	return false;
}

static void enter(enum lock_kind kind, unsigned int id)
{
	fuzz_assert(inside == 0);
	inside++;
	holder = (int)id;
	failed_while_held = 0;
	acquired++;
	fuzz_assert(lock_is_locked(kind));
	if (kind == L_RAW || kind == L_SPIN_IRQSAVE || kind == L_GUARD_SPIN_TRY)
		fuzz_assert(in_atomic());
	if (kind == L_SPIN_IRQSAVE)
		fuzz_assert(irqs_disabled());
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

static void round_of(enum lock_kind kind, unsigned int id, bool try)
{
	unsigned long flags;
	bool contended;

	switch (kind) {
	case L_MUTEX:
		if (try ? mutex_trylock(&mutex) : (mutex_lock(&mutex), true)) {
			enter(kind, id);
			leave();
			mutex_unlock(&mutex);
		}
		break;
	case L_SMUTEX:
		if (try ? smutex_trylock(&smutex) : (smutex_lock(&smutex), true)) {
			enter(kind, id);
			leave();
			smutex_unlock(&smutex);
		}
		break;
	case L_RAW:
		if (try ? raw_spin_trylock(&raw) : (raw_spin_lock(&raw), true)) {
			enter(kind, id);
			leave();
			raw_spin_unlock(&raw);
		}
		break;
	case L_SPIN_IRQSAVE:
		spin_lock_irqsave(&spin, flags);
		enter(kind, id);
		leave();
		spin_unlock_irqrestore(&spin, flags);
		fuzz_assert(!irqs_disabled() && !in_atomic());
		break;
	case L_NOWAIT:
		if (!nowait_trylock(&nowait)) {
			try_failed();
			break;
		}
		enter(kind, id);
		{
			unsigned int failed = failed_while_held;

			leave();
			contended = nowait_unlock(&nowait);
			fuzz_assert(contended || !failed);
		}
		break;
	case L_GUARD_MUTEX:
		if (try) {
			scoped_guard(mutex_try, &mutex) {
				enter(kind, id);
				leave();
			}
		} else {
			guard(mutex)(&mutex);
			enter(kind, id);
			leave();
		}
		break;
	case L_GUARD_SPIN_TRY:
		scoped_guard(spinlock_try, &spin) {
			enter(kind, id);
			leave();
		}
		fuzz_assert(!in_atomic());
		break;
	case NR_LOCK_KINDS:
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
	mutex_init(&mutex);
	smutex_init(&smutex);
	raw_spin_lock_init(&raw);
	spin_lock_init(&spin);
	nowait_lock_init(&nowait);
	inside = 0;
	entries = acquired = 0;
	holder = -1;
	cs_data = cs_expected = 0;
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
	prog.rounds = 1 + data[2] % MAX_ROUNDS;
	header = HEADER + cfg.nr_tasks;
	if (size < header)
		return 0;
	memcpy(prog.try_mask, data + HEADER, cfg.nr_tasks);
	fuzz_sched_run(&cfg, data, size, header, &res);
	fuzz_assert(inside == 0 && holder == -1);
	fuzz_assert(!lock_is_locked(prog.kind));
	fuzz_assert(entries == acquired);
	mutex_destroy(&mutex);		/* free, and nobody waits: accepted without a report */
	if (prog.kind != L_NOWAIT && prog.kind != L_GUARD_SPIN_TRY) {
		unsigned int tries = 0;

		for (unsigned int t = 0; t < cfg.nr_tasks; t++)
			for (unsigned int r = 0; r < prog.rounds; r++)
				tries += !!(prog.try_mask[t] & (1u << r)) &&
					 prog.kind != L_SPIN_IRQSAVE;
		fuzz_assert(acquired + tries >= cfg.nr_tasks * prog.rounds);
		fuzz_assert(acquired <= cfg.nr_tasks * prog.rounds);
	}
	return 0;
}
