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
 */
#include <string.h>

#include "fdp.h"
#include "expect.h"
#include "lockdep_model.h"

enum { L_RAW, L_SPIN, L_MUTEX, L_SMUTEX, L_NOWAIT, NR_LOCKS };

#define MAX_OPS		128	/* five locks: longer inputs revisit the same states, slower */
#define MAX_NEST	3

static raw_spinlock_t raw;
static spinlock_t spin;
static struct mutex mutex;
static struct smutex smutex;
static struct nowait_lock nowait;

static struct model_held held[NR_LOCKS];
static unsigned int nr_held;
static bool irqs_off, contended;
static struct lockdep_model model;

static bool model_holds(int lock)
{
	for (unsigned int i = 0; i < nr_held; i++)
		if (held[i].lock == lock)
			return true;
	return false;
}

static int spinlocks_held(void)
{
	return model_holds(L_RAW) + model_holds(L_SPIN);
}

static bool is_spin(int lock)
{
	return lock == L_RAW || lock == L_SPIN;
}

/* The model's side of a plain lock call: the reports it raises, whether it takes the lock. */
static bool model_lock(int lock)
{
	bool take;
	enum kp_report_kind kind;

	if ((lock == L_MUTEX || lock == L_SMUTEX) && (spinlocks_held() || irqs_off))
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
		contended |= lock == L_NOWAIT;
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

static void do_lock(int lock)
{
	switch (lock) {
	case L_RAW: raw_spin_lock(&raw); break;
	case L_SPIN: spin_lock(&spin); break;
	case L_MUTEX: mutex_lock(&mutex); break;
	case L_SMUTEX: smutex_lock(&smutex); break;
	}
}

static bool do_trylock(int lock)
{
	switch (lock) {
	case L_RAW: return raw_spin_trylock(&raw);
	case L_SPIN: return spin_trylock(&spin);
	case L_MUTEX: return mutex_trylock(&mutex);
	case L_SMUTEX: return smutex_trylock(&smutex);
	default: return nowait_trylock(&nowait);
	}
}

/* An unlock, modelled first: the NoWaitLock's answer is whether a try failed meanwhile. */
static void unlock_step(int lock)
{
	bool answer = lock == L_NOWAIT && model_holds(L_NOWAIT) && contended;

	if (model_unlock(lock) && lock == L_NOWAIT)
		contended = false;
	switch (lock) {
	case L_RAW: raw_spin_unlock(&raw); break;
	case L_SPIN: spin_unlock(&spin); break;
	case L_MUTEX: mutex_unlock(&mutex); break;
	case L_SMUTEX: smutex_unlock(&smutex); break;
	default: fuzz_assert(nowait_unlock(&nowait) == answer); break;
	}
}

static void check(void)
{
	struct kp_task *me = kp_current();
	uintptr_t owner = kp_atomic_load(&mutex.owner, KP_RELAXED);

	fuzz_assert(kp_atomic_load(&raw.raw_lock.val, KP_RELAXED) ==
		    (model_holds(L_RAW) ? _Q_LOCKED_VAL : 0));
	fuzz_assert(kp_atomic_load(&spin.rlock.raw_lock.val, KP_RELAXED) ==
		    (model_holds(L_SPIN) ? _Q_LOCKED_VAL : 0));
	fuzz_assert(owner == (model_holds(L_MUTEX) ? (uintptr_t)me : 0));
	fuzz_assert(!mutex.wait_first);
	fuzz_assert(kp_atomic_load(&smutex.waiter_stack, KP_RELAXED) ==
		    (model_holds(L_SMUTEX) ? SMUTEX_LOCKED : 0));
	fuzz_assert(!smutex.waiter_queue);
	fuzz_assert(kp_atomic_load(&nowait.state, KP_RELAXED) ==
		    (model_holds(L_NOWAIT) ? NOWAIT_LOCKED | (contended ? NOWAIT_CONTENDED : 0) : 0));
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
	bool irq = is_spin(lock) && fdp_bool(f), try = !irq && fdp_bool(f), saved = irqs_off;

	if (depth >= MAX_NEST)
		return;
	if (lock == L_NOWAIT)
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
			if (model_unlock(lock) && lock == L_NOWAIT)	\
				contended = false;			\
		}							\
	} while (0)
	switch (lock * 4 + irq * 2 + try) {
	case L_RAW * 4: GUARDED(scoped_guard(raw_spinlock, &raw)); break;
	case L_RAW * 4 + 1: GUARDED(scoped_guard(raw_spinlock_try, &raw)); break;
	case L_RAW * 4 + 2: case L_RAW * 4 + 3:
		GUARDED(scoped_guard(raw_spinlock_irqsave, &raw)); break;
	case L_SPIN * 4: GUARDED(scoped_guard(spinlock, &spin)); break;
	case L_SPIN * 4 + 1: GUARDED(scoped_guard(spinlock_try, &spin)); break;
	case L_SPIN * 4 + 2: case L_SPIN * 4 + 3:
		GUARDED(scoped_guard(spinlock_irqsave, &spin)); break;
	case L_MUTEX * 4: GUARDED(scoped_guard(mutex, &mutex)); break;
	case L_MUTEX * 4 + 1: GUARDED(scoped_guard(mutex_try, &mutex)); break;
	case L_SMUTEX * 4: GUARDED(scoped_guard(smutex, &smutex)); break;
	case L_SMUTEX * 4 + 1: GUARDED(scoped_guard(smutex_try, &smutex)); break;
	default: GUARDED(scoped_guard(nowait_try, &nowait)); break;
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
		if (lock != L_NOWAIT) {
			model_lock(lock);
			do_lock(lock);
		}
		break;
	case 2:
		fuzz_assert(do_trylock(lock) == model_trylock(lock));
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
	raw_spin_lock_init(&raw);
	spin_lock_init(&spin);
	mutex_init(&mutex);
	smutex_init(&smutex);
	nowait_lock_init(&nowait);
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
