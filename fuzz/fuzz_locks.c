// SPDX-License-Identifier: MIT
/*
 * fuzz_locks.c - every lock type driven by one task through lock, trylock,
 * unlock, irqsave and scoped guards (nested, with ops inside), in any
 * order, misuse included.
 *
 * The model knows which locks the task holds (oldest first), the saved irq
 * states, whether the NoWaitLock saw a failed try, and lockdep's class
 * graph (lockdep_model.c; each lock is its own class). It predicts every
 * report: recursion (the lock call refused), a cycle, an unlock of a lock
 * not held (refused), a sleeping lock taken in atomic context. After each
 * step the locks' own state must match: each word locked exactly when
 * held (the mutex's owner word exactly the task, no flag; the smutex's
 * stack exactly LOCKED, its queue empty; the qspinlock word exactly
 * locked, no pending, no tail), the preempt count the number of spinlocks
 * held, the irq flag as saved. At the end everything is released.
 *
 * The locks are tests/kp_locks.h's list, through its calls; the words
 * checked and the guards are each lock's own.
 */
#include <string.h>

#include "fdp.h"
#include "expect.h"
#include "kp_locks.h"
#include "lockdep_model.h"

#define LOCK_ID(name, ...)	L_##name,
enum { KP_FOR_EACH_LOCK(LOCK_ID) NR_LOCKS };

#define LOCK_OPS(name, type, init, lock_stmt, trylock_expr, unlock_stmt, locked_expr, spins)	\
	static type the_##name;								\
	static void init_##name(void) { type *l = &the_##name; init; }			\
	static void lock_##name(void) { type *l = &the_##name; lock_stmt; }		\
	static bool trylock_##name(void) { type *l = &the_##name; return trylock_expr; }	\
	static void unlock_##name(void) { type *l = &the_##name; unlock_stmt; }
KP_FOR_EACH_LOCK(LOCK_OPS)

static const struct lock_row {
	void (*init)(void);
	void (*lock)(void);
	bool (*trylock)(void);
	void (*unlock)(void);
	bool spins;		/* a spinlock: atomic context while held */
} rows[] = {
#define LOCK_ENTRY(name, type, init, lock_stmt, trylock_expr, unlock_stmt, locked_expr, spins)	\
	{ init_##name, lock_##name, trylock_##name, unlock_##name, spins },
	KP_FOR_EACH_LOCK(LOCK_ENTRY)
};

#define MAX_OPS		128	/* five locks: longer inputs revisit the same states, slower */
#define MAX_NEST	3

static struct model_held held[NR_LOCKS];
static unsigned int nr_held;
static bool irqs_off, contended;
static struct lockdep_model model;

static __no_sanitize_coverage bool model_holds(int lock)
{
	for (unsigned int i = 0; i < nr_held; i++)
		if (held[i].lock == lock)
			return true;
	return false;
}

static __no_sanitize_coverage int spinlocks_held(void)
{
	int n = 0;

	for (unsigned int i = 0; i < nr_held; i++)
		n += rows[held[i].lock].spins;
	return n;
}

/* The model's side of a plain lock call: the reports it raises, whether it takes the lock. */
static bool model_lock(int lock)
{
	bool take;
	enum kp_report_kind kind;

	if (!rows[lock].spins && (spinlocks_held() || irqs_off))	/* a sleeping lock */
		fuzz_expect_report(KP_REPORT_SLEEP_IN_ATOMIC);
	kind = lockdep_model_acquire(&model, held, nr_held, lock, lock, &take);
	if (kind != KP_REPORT_NR)
		fuzz_expect_report(kind);
	if (take)
		held[nr_held++] = (struct model_held){ lock, lock };
	return take;
}

/* A trylock: taken if not held (the NoWaitLock notes the failure). */
static bool model_trylock(int lock)
{
	if (model_holds(lock)) {
		contended |= lock == L_nowait;
		return false;
	}
	held[nr_held++] = (struct model_held){ lock, lock };
	return true;
}

/* An unlock: refused and reported unless held. */
static bool model_unlock(int lock)
{
	for (unsigned int i = nr_held; i-- > 0;) {
		if (held[i].lock != lock)
			continue;
		memmove(&held[i], &held[i + 1], (nr_held - i - 1) * sizeof(held[0]));
		nr_held--;
		return true;
	}
	fuzz_expect_report(KP_REPORT_LOCK_NOT_OWNER);
	return false;
}

/* An unlock, modelled first: the NoWaitLock's answer is whether a try failed meanwhile. */
static void unlock_step(int lock)
{
	bool answer = lock == L_nowait && model_holds(L_nowait) && contended;

	if (model_unlock(lock) && lock == L_nowait)
		contended = false;
	if (lock == L_nowait)
		fuzz_assert(nowait_unlock(&the_nowait) == answer);
	else
		rows[lock].unlock();
}

/* After every step; like the shadow's queries it calls, out of coverage. */
static __no_sanitize_coverage void check(void)
{
	struct kp_task *me = kp_current();
	uintptr_t owner = kp_atomic_load(&the_mutex.owner, KP_RELAXED);

	fuzz_assert(kp_atomic_load(&the_raw_spinlock.raw_lock.val, KP_RELAXED) ==
		    (model_holds(L_raw_spinlock) ? _Q_LOCKED_VAL : 0));
	fuzz_assert(kp_atomic_load(&the_spinlock.rlock.raw_lock.val, KP_RELAXED) ==
		    (model_holds(L_spinlock) ? _Q_LOCKED_VAL : 0));
	fuzz_assert(owner == (model_holds(L_mutex) ? (uintptr_t)me : 0));
	fuzz_assert(!the_mutex.wait_first);
	fuzz_assert(kp_atomic_load(&the_smutex.waiter_stack, KP_RELAXED) ==
		    (model_holds(L_smutex) ? SMUTEX_LOCKED : 0));
	fuzz_assert(!the_smutex.waiter_queue);
	fuzz_assert(kp_atomic_load(&the_nowait.state, KP_RELAXED) ==
		    (model_holds(L_nowait) ? NOWAIT_LOCKED | (contended ? NOWAIT_CONTENDED : 0) : 0));
	fuzz_assert(preempt_count() == spinlocks_held());
	fuzz_assert(irqs_disabled() == irqs_off);
	fuzz_assert(me->lockdep_depth == nr_held);
	fuzz_assert(lockdep_nr_dependencies() == model.nr_edges);
}

static void step(struct fdp *f, int depth);

/*
 * A scoped guard over one lock, with a few steps inside. A lock guard's
 * block always runs and its end always unlocks (even when lockdep refused
 * the lock, or a step inside unlocked it: then that unlock is the misuse);
 * a try guard's block runs, and unlocks, only if the try won.
 */
static void op_guard(struct fdp *f, int depth)
{
	int lock = (int)fdp_choice(f, NR_LOCKS), inner = (int)fdp_choice(f, 4);
	bool irq = rows[lock].spins && fdp_bool(f), try = !irq && fdp_bool(f), saved = irqs_off;

	if (depth >= MAX_NEST)
		return;
	if (lock == L_nowait)
		try = true;
	if (irq)
		irqs_off = true;
	if (try)
		model_trylock(lock);
	else
		model_lock(lock);
#define GUARDED(...)							\
	do {								\
		__VA_ARGS__ {						\
			fuzz_step_done();				\
			check();					\
			for (int i = 0; i < inner; i++)			\
				step(f, depth + 1);			\
			if (model_unlock(lock) && lock == L_nowait)	\
				contended = false;			\
		}							\
	} while (0)
	switch (lock * 4 + irq * 2 + try) {
	case L_raw_spinlock * 4: GUARDED(scoped_guard(raw_spinlock, &the_raw_spinlock)); break;
	case L_raw_spinlock * 4 + 1:
		GUARDED(scoped_guard(raw_spinlock_try, &the_raw_spinlock)); break;
	case L_raw_spinlock * 4 + 2: case L_raw_spinlock * 4 + 3:
		GUARDED(scoped_guard(raw_spinlock_irqsave, &the_raw_spinlock)); break;
	case L_spinlock * 4: GUARDED(scoped_guard(spinlock, &the_spinlock)); break;
	case L_spinlock * 4 + 1: GUARDED(scoped_guard(spinlock_try, &the_spinlock)); break;
	case L_spinlock * 4 + 2: case L_spinlock * 4 + 3:
		GUARDED(scoped_guard(spinlock_irqsave, &the_spinlock)); break;
	case L_mutex * 4: GUARDED(scoped_guard(mutex, &the_mutex)); break;
	case L_mutex * 4 + 1: GUARDED(scoped_guard(mutex_try, &the_mutex)); break;
	case L_smutex * 4: GUARDED(scoped_guard(smutex, &the_smutex)); break;
	case L_smutex * 4 + 1: GUARDED(scoped_guard(smutex_try, &the_smutex)); break;
	default: GUARDED(scoped_guard(nowait_try, &the_nowait)); break;
	}
#undef GUARDED
	if (irq)
		irqs_off = saved;
}

static void step(struct fdp *f, int depth)
{
	int lock = (int)fdp_choice(f, NR_LOCKS);

	switch (fdp_choice(f, 6)) {
	case 0: case 1:
		if (lock != L_nowait) {	/* the NoWaitLock only tries */
			model_lock(lock);
			rows[lock].lock();
		}
		break;
	case 2:
		fuzz_assert(rows[lock].trylock() == model_trylock(lock));
		break;
	case 3: case 4:
		unlock_step(lock);
		break;
	default:
		op_guard(f, depth);
		break;
	}
	fuzz_step_done();
	check();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fdp f;

	lockdep_reset();
	for (int lock = 0; lock < NR_LOCKS; lock++)
		rows[lock].init();
	memset(&model, 0, sizeof(model));
	nr_held = 0;
	irqs_off = contended = false;

	fdp_init(&f, data, size);
	for (int n = 0; n < MAX_OPS && !fdp_empty(&f); n++)
		step(&f, 0);
	while (nr_held) {
		unlock_step(held[nr_held - 1].lock);
		fuzz_step_done();
	}
	check();
	return 0;
}
