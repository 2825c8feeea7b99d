/* SPDX-License-Identifier: MIT */
/*
 * spinlock.h - raw_spinlock_t and spinlock_t.
 *
 * Interim design: a test-and-test-and-set byte lock. It has the kernel's
 * contract (holding it is atomic context: preemption is off, the irqsave
 * forms save and restore the simulated irq flag; spinlock_t is a raw
 * spinlock underneath as on a non-RT kernel, include/linux/spinlock.h) so
 * callers such as refcount_dec_and_lock() are written against the real API.
 * The queued spinlock of kernel/locking/qspinlock.c replaces the word and
 * the slow path in the locks issue; the API stays.
 */
#ifndef KPRIM_SYNC_SPINLOCK_H
#define KPRIM_SYNC_SPINLOCK_H

#include <stdint.h>

#include "core/atomic.h"
#include "core/task.h"

typedef struct raw_spinlock {
	uint32_t locked;
} raw_spinlock_t;

#define __RAW_SPIN_LOCK_UNLOCKED(name)	{ .locked = 0 }
#define DEFINE_RAW_SPINLOCK(name)	raw_spinlock_t name = __RAW_SPIN_LOCK_UNLOCKED(name)

void raw_spin_lock_slowpath(raw_spinlock_t *lock);

static inline void raw_spin_lock_init(raw_spinlock_t *lock)
{
	kp_atomic_store(&lock->locked, 0, KP_RELAXED);
}

static inline bool raw_spin_trylock(raw_spinlock_t *lock)
{
	preempt_disable();
	if (likely(kp_atomic_load(&lock->locked, KP_RELAXED) == 0 &&
		   kp_atomic_xchg(&lock->locked, 1, KP_ACQUIRE) == 0))
		return true;
	preempt_enable();
	return false;
}

static inline void raw_spin_lock(raw_spinlock_t *lock)
{
	preempt_disable();
	if (likely(kp_atomic_xchg(&lock->locked, 1, KP_ACQUIRE) == 0))
		return;
	raw_spin_lock_slowpath(lock);
}

static inline void raw_spin_unlock(raw_spinlock_t *lock)
{
	kp_atomic_store(&lock->locked, 0, KP_RELEASE);
	preempt_enable();
}

static inline bool raw_spin_is_locked(raw_spinlock_t *lock)
{
	return kp_atomic_load(&lock->locked, KP_RELAXED) != 0;
}

#define raw_spin_lock_irqsave(lock, flags)			\
	do { local_irq_save(flags); raw_spin_lock(lock); } while (0)
#define raw_spin_unlock_irqrestore(lock, flags)			\
	do { raw_spin_unlock(lock); local_irq_restore(flags); } while (0)

typedef struct spinlock {
	raw_spinlock_t rlock;
} spinlock_t;

#define __SPIN_LOCK_UNLOCKED(name)	{ .rlock = __RAW_SPIN_LOCK_UNLOCKED(name) }
#define DEFINE_SPINLOCK(name)		spinlock_t name = __SPIN_LOCK_UNLOCKED(name)

static inline void spin_lock_init(spinlock_t *lock)
{
	raw_spin_lock_init(&lock->rlock);
}

static inline void spin_lock(spinlock_t *lock)
{
	raw_spin_lock(&lock->rlock);
}

static inline bool spin_trylock(spinlock_t *lock)
{
	return raw_spin_trylock(&lock->rlock);
}

static inline void spin_unlock(spinlock_t *lock)
{
	raw_spin_unlock(&lock->rlock);
}

static inline bool spin_is_locked(spinlock_t *lock)
{
	return raw_spin_is_locked(&lock->rlock);
}

#define spin_lock_irqsave(lock, flags)		raw_spin_lock_irqsave(&(lock)->rlock, flags)
#define spin_unlock_irqrestore(lock, flags)	raw_spin_unlock_irqrestore(&(lock)->rlock, flags)

#endif /* KPRIM_SYNC_SPINLOCK_H */
