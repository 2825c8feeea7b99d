/* SPDX-License-Identifier: MIT */
/*
 * mutex.h - struct mutex, the sleeping lock.
 *
 * Interim design: the three-state futex mutex (0 free, 1 locked, 2 locked
 * with possible waiters) from Drepper's "Futexes Are Tricky". It keeps the
 * kernel's contract that callers depend on today: mutex_lock() may sleep
 * (might_sleep(), so it is reported in atomic context), trylock never does,
 * DEFINE_MUTEX initialises statically. The owner word with WAITERS/HANDOFF/
 * PICKUP flags, optimistic spinning and the FIFO wait list of
 * kernel/locking/mutex.c replace it in the locks issue; the API stays.
 */
#ifndef KPRIM_SYNC_MUTEX_H
#define KPRIM_SYNC_MUTEX_H

#include <stdint.h>

#include "core/atomic.h"
#include "core/task.h"

struct mutex {
	uint32_t state;
};

enum { MUTEX_UNLOCKED, MUTEX_LOCKED, MUTEX_CONTENDED };

#define __MUTEX_INITIALIZER(name)	{ .state = MUTEX_UNLOCKED }
#define DEFINE_MUTEX(name)		struct mutex name = __MUTEX_INITIALIZER(name)

void mutex_lock_slowpath(struct mutex *lock);
void mutex_unlock_slowpath(struct mutex *lock);

static inline void mutex_init(struct mutex *lock)
{
	kp_atomic_store(&lock->state, MUTEX_UNLOCKED, KP_RELAXED);
}

static inline void mutex_destroy(struct mutex *lock)
{
	(void)lock;
}

static inline bool mutex_is_locked(struct mutex *lock)
{
	return kp_atomic_load(&lock->state, KP_RELAXED) != MUTEX_UNLOCKED;
}

static inline bool mutex_trylock(struct mutex *lock)
{
	return kp_atomic_cmpxchg(&lock->state, MUTEX_UNLOCKED, MUTEX_LOCKED,
				 KP_ACQUIRE) == MUTEX_UNLOCKED;
}

static inline void mutex_lock(struct mutex *lock)
{
	might_sleep();
	if (likely(mutex_trylock(lock)))
		return;
	mutex_lock_slowpath(lock);
}

static inline void mutex_unlock(struct mutex *lock)
{
	if (likely(kp_atomic_cmpxchg(&lock->state, MUTEX_LOCKED, MUTEX_UNLOCKED,
				     KP_RELEASE) == MUTEX_LOCKED))
		return;
	mutex_unlock_slowpath(lock);
}

#endif /* KPRIM_SYNC_MUTEX_H */
