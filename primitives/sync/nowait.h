/* SPDX-License-Identifier: MIT */
/*
 * nowait.h - NoWaitLock (rust/kernel/sync/nowait.rs): a lock that is only
 * ever tried, never waited for, and that tells its owner on unlock whether
 * anyone tried while it was held.
 *
 * One byte: LOCKED and CONTENDED. A try sets LOCKED; if it was set already
 * the try sets CONTENDED|LOCKED, which takes the lock after all when the
 * owner let go in between (CONTENDED then stays set: the spurious "yes" the
 * original documents). Unlock swaps the byte to 0 and returns CONTENDED:
 * false means no try failed while it was held, never wrongly.
 */
#ifndef KPRIM_SYNC_NOWAIT_H
#define KPRIM_SYNC_NOWAIT_H

#include <stdint.h>

#include "core/atomic.h"
#include "sync/lockdep.h"

#define NOWAIT_LOCKED		1U
#define NOWAIT_CONTENDED	2U

struct nowait_lock {
	uint8_t state;
#ifdef KP_LOCKDEP
	struct lockdep_map dep_map;
#endif
};

/* The lock calls' lockdep hooks (include/linux/lockdep.h), not for users. */
#ifdef KP_LOCKDEP
#define __NOWAIT_LOCK_INITIALIZER(name)	{ .dep_map = STATIC_LOCKDEP_MAP_INIT(#name, NULL) }
#define nowait_acquire(l, ip)	lock_acquire(&(l)->dep_map, true, (ip))
#define nowait_release(l, ip)	lock_release(&(l)->dep_map, (ip))
#else
#define __NOWAIT_LOCK_INITIALIZER(name)	{ .state = 0 }
#define nowait_acquire(l, ip)	((void)(l), (void)(ip), true)
#define nowait_release(l, ip)	((void)(l), (void)(ip), true)
#endif
/**
 * NOWAIT_LOCK_INIT - a static initializer for an unlocked nowait_lock
 *
 * struct nowait_lock l = NOWAIT_LOCK_INIT; or, named for lockdep,
 * DEFINE_NOWAIT_LOCK(l); nowait_lock_init() at run time.
 */
#define NOWAIT_LOCK_INIT		__NOWAIT_LOCK_INITIALIZER(nowait_lock)
#define DEFINE_NOWAIT_LOCK(name)	struct nowait_lock name = __NOWAIT_LOCK_INITIALIZER(name)

static inline void __nowait_lock_init(struct nowait_lock *lock, const char *name,
				      struct lock_class_key *key)
{
	kp_atomic_store(&lock->state, 0, KP_RELAXED);
#ifdef KP_LOCKDEP
	lockdep_init_map(&lock->dep_map, name, key);
#else
	(void)name, (void)key;
#endif
	kp_sched_name(lock, sizeof(*lock), name);	/* for the model's traces */
}

#define nowait_lock_init(lock)							\
	do {									\
		static struct lock_class_key __key;				\
		__nowait_lock_init((lock), #lock, &__key);			\
	} while (0)

static __always_inline bool __nowait_trylock(struct nowait_lock *lock, void *ip)
{
	if (kp_atomic_fetch_or(&lock->state, NOWAIT_LOCKED, KP_ACQUIRE) & NOWAIT_LOCKED &&
	    kp_atomic_fetch_or(&lock->state, NOWAIT_CONTENDED | NOWAIT_LOCKED, KP_RELAXED) &
	    NOWAIT_LOCKED)
		return false;
	/* Got it (the second or may have, if the owner let go in between). */
	smp_acquire_after_rmw(&lock->state);
	(void)nowait_acquire(lock, ip);
	return true;
}

/* True if some try failed while the lock was held (or, rarely, spuriously). */
static __always_inline bool __nowait_unlock(struct nowait_lock *lock, void *ip)
{
	if (unlikely(!nowait_release(lock, ip)))
		return false;
	return kp_atomic_xchg(&lock->state, 0, KP_RELEASE) & NOWAIT_CONTENDED;
}

/**
 * nowait_trylock - try to take the lock; there is no way to wait for it
 * @lock: the lock
 *
 * A failed try leaves a mark, so the holder learns at nowait_unlock()
 * that somebody wanted the lock while it held it.
 *
 * Context: any. Memory ordering: acquire on success.
 *
 * Return: true if the lock was taken, false if another task holds it.
 */
#define nowait_trylock(lock)	__nowait_trylock((lock), KP_LOCK_IP)
/**
 * nowait_unlock - release the lock and learn whether anyone was refused
 * @lock: the lock, held by this task
 *
 * Memory ordering: release.
 *
 * Return: true if some nowait_trylock() failed while the lock was held
 * (never a false "no"; rarely a spurious "yes", when a try raced with the
 * previous holder's release). False as well when lockdep refuses the
 * release of a lock this task does not hold (KP_REPORT_LOCK_NOT_OWNER).
 */
#define nowait_unlock(lock)	__nowait_unlock((lock), KP_LOCK_IP)

/**
 * nowait_is_locked - is the lock held by anyone
 * @lock: the lock
 *
 * Return: true if it is held; a snapshot, for assertions.
 */
static inline bool nowait_is_locked(struct nowait_lock *lock)
{
	return kp_atomic_load(&lock->state, KP_RELAXED) & NOWAIT_LOCKED;
}

#endif /* KPRIM_SYNC_NOWAIT_H */
