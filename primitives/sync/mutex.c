// SPDX-License-Identifier: MIT
/*
 * mutex.c - the sleeping half of the interim mutex.
 *
 * A locker that finds the lock taken marks it CONTENDED and sleeps on the
 * word; whoever unlocks a CONTENDED mutex wakes one sleeper, which retakes
 * it as CONTENDED (it cannot know whether others still sleep).
 */
#include "core/futex.h"
#include "sync/mutex.h"

void mutex_lock_slowpath(struct mutex *lock)
{
	while (kp_atomic_xchg(&lock->state, MUTEX_CONTENDED, KP_ACQUIRE) != MUTEX_UNLOCKED)
		kp_futex_wait(&lock->state, MUTEX_CONTENDED);
}

void mutex_unlock_slowpath(struct mutex *lock)
{
	kp_atomic_store(&lock->state, MUTEX_UNLOCKED, KP_RELEASE);
	kp_futex_wake(&lock->state, 1);
}
