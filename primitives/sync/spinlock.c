// SPDX-License-Identifier: MIT
/*
 * spinlock.c - the contended path of the interim raw spinlock: spin on a
 * plain load until the lock looks free, then retry the exchange, so waiters
 * share the line instead of bouncing it with writes.
 */
#include "sync/spinlock.h"

void raw_spin_lock_slowpath(raw_spinlock_t *lock)
{
	do {
		while (kp_atomic_load(&lock->locked, KP_RELAXED))
			cpu_relax();
	} while (kp_atomic_xchg(&lock->locked, 1, KP_ACQUIRE));
}
