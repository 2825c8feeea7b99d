/* SPDX-License-Identifier: MIT */
/*
 * qspinlock.h - the queued spinlock word, below raw_spinlock_t.
 *
 * kernel/locking/qspinlock.c, include/asm-generic/qspinlock_types.h: one
 * 32-bit word, bits 0-7 the locked byte, bits 8-15 the pending byte (bit
 * 8 pending, bit 9 _Q_SLOW_VAL), bits 16-17 the nesting index and bits
 * 18-31 the task id + 1 of the MCS tail. Uncontended: one cmpxchg 0 ->
 * locked, and a byte store to unlock. The second contender sets pending
 * and spins on the word; any later one queues on its own MCS node (struct
 * kp_mcs_node in its task, one per nesting level) and spins on that node
 * only, so a crowd of waiters costs the lock word nothing. Past KP_MCS_NODES nested contended locks a
 * task spins on trylock instead, as newer kernels do.
 *
 * Waiters sleep when spinning does not pay: the paravirt slow path of
 * kernel/locking/qspinlock_paravirt.h, on by default (sync/qspinlock.c
 * says how and why it differs). Its one mark in the word is _Q_SLOW_VAL,
 * a bit of the pending byte: a queue head sleeps and the unlock must wake
 * it. So the fast paths stay one acquire cmpxchg to lock and one release
 * store to unlock, which then reads the pending byte (no barrier between:
 * the sleeper pays for one, kp_membarrier()). With paravirt on, the lock's
 * cmpxchg is of the locked byte alone, while the pending bit (the queue
 * head spins) is clear: the steal the kernel's paravirt slow path makes
 * anyway, taken at once, and a byte store followed by a 32-bit locked
 * operation on the same word stalls some CPUs (3x the pair on AMD Zen).
 *
 * This layer knows nothing of preemption or lockdep: raw_spinlock_t adds
 * those, and lockdep's own graph lock uses this one bare.
 */
#ifndef KPRIM_SYNC_QSPINLOCK_H
#define KPRIM_SYNC_QSPINLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "core/atomic.h"

struct qspinlock {
	union {
		uint32_t val;
		struct {
			uint8_t locked;
			uint8_t pending;
		};
		struct {
			uint16_t locked_pending;
			uint16_t tail;
		};
	};
};

#define _Q_LOCKED_VAL		1U
#define _Q_LOCKED_MASK		0xffU
#define _Q_PENDING_OFFSET	8
#define _Q_PENDING_VAL		(1U << _Q_PENDING_OFFSET)
#define _Q_SLOW_VAL		(2U << _Q_PENDING_OFFSET)	/* paravirt: unlock wakes a head */
#define _Q_PENDING_MASK		(0xffU << _Q_PENDING_OFFSET)
#define _Q_LOCKED_PENDING_MASK	(_Q_LOCKED_MASK | _Q_PENDING_MASK)
#define _Q_TAIL_IDX_OFFSET	16
#define _Q_TAIL_IDX_MASK	(3U << _Q_TAIL_IDX_OFFSET)
#define _Q_TAIL_TASK_OFFSET	18
#define _Q_TAIL_MASK		(~_Q_LOCKED_PENDING_MASK)

#define __ARCH_SPIN_LOCK_UNLOCKED	{ { .val = 0 } }

void queued_spin_lock_slowpath(struct qspinlock *lock, uint32_t val);
void __pv_queued_spin_unlock_slowpath(struct qspinlock *lock);
/* queued_spin_paravirt(), once decided, for the lock's fast path to read. */
extern bool queued_spin_paravirt_on;

/**
 * queued_spin_paravirt - do contended waiters sleep (the paravirt slow path)
 *
 * Decided at the first contended lock of the process: on, unless
 * KPRIM_QSPINLOCK=native is in the environment or the kernel lacks
 * membarrier(2).
 *
 * Return: true if queued spinlock waiters spin, then sleep on a futex.
 */
bool queued_spin_paravirt(void);
/**
 * queued_spin_set_paravirt - choose the slow path for every queued spinlock
 * @on: true for the paravirt one, false for spin-and-yield
 *
 * For benchmarks and tests, at a moment when no queued spinlock of the
 * process is contended: the two slow paths do not mix.
 *
 * Return: true if the choice holds (paravirt needs membarrier(2)).
 */
bool queued_spin_set_paravirt(bool on);

/**
 * queued_spin_trylock - take the lock word if it is entirely clear
 * @lock: the queued spinlock
 *
 * The bare word, without preemption or lockdep: use raw_spin_trylock().
 * Memory ordering: acquire on success.
 *
 * Return: true if the lock was taken.
 */
static __always_inline bool queued_spin_trylock(struct qspinlock *lock)
{
	uint32_t val = kp_atomic_load(&lock->val, KP_RELAXED);

	return !val && kp_atomic_try_cmpxchg(&lock->val, &val, _Q_LOCKED_VAL, KP_ACQUIRE);
}

/**
 * queued_spin_lock - take the lock word, queueing behind other waiters
 * @lock: the queued spinlock
 *
 * One acquire cmpxchg: of the whole word, 0 -> locked, on the native slow
 * path; of the locked byte, while no queue head spins, on the paravirt
 * one. Otherwise queued_spin_lock_slowpath() (pending, or a steal, then
 * the MCS queue). The bare word: use raw_spin_lock(). Memory ordering:
 * acquire.
 */
static __always_inline void queued_spin_lock(struct qspinlock *lock)
{
	uint32_t val = 0;

	if (kp_atomic_load(&queued_spin_paravirt_on, KP_RELAXED)) {
		uint8_t unlocked = 0;

		if (likely(!(kp_atomic_load(&lock->pending, KP_RELAXED) & _Q_PENDING_VAL >> _Q_PENDING_OFFSET) &&
			   kp_atomic_try_cmpxchg(&lock->locked, &unlocked, _Q_LOCKED_VAL,
						 KP_ACQUIRE)))
			return;
		val = kp_atomic_load(&lock->val, KP_RELAXED);
	} else if (likely(kp_atomic_try_cmpxchg(&lock->val, &val, _Q_LOCKED_VAL, KP_ACQUIRE))) {
		return;
	}
	queued_spin_lock_slowpath(lock, val);
}

/**
 * queued_spin_unlock - release the lock word
 * @lock: the queued spinlock, held
 *
 * A release store of 0 to the locked byte; pending and the queue tail
 * stay. Then, past a compiler barrier only, a load of the pending byte:
 * if a sleeping queue head left _Q_SLOW_VAL there, the slow path wakes it.
 */
static __always_inline void queued_spin_unlock(struct qspinlock *lock)
{
	kp_atomic_store(&lock->locked, 0, KP_RELEASE);
	barrier();
	if (unlikely(kp_atomic_load(&lock->pending, KP_RELAXED) &
		     (_Q_SLOW_VAL >> _Q_PENDING_OFFSET)))
		__pv_queued_spin_unlock_slowpath(lock);
}

/**
 * queued_spin_is_locked - is the word anything but clear
 * @lock: the queued spinlock
 *
 * Return: true if it is held, pending or queued on; a snapshot.
 */
static __always_inline bool queued_spin_is_locked(struct qspinlock *lock)
{
	return kp_atomic_load(&lock->val, KP_RELAXED) != 0;
}

#endif /* KPRIM_SYNC_QSPINLOCK_H */
