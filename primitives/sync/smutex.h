/* SPDX-License-Identifier: MIT */
/*
 * smutex.h - the simple mutex of Rust-for-Linux (rust/kernel/sync/smutex.rs,
 * the `rust` branch).
 *
 * Two words. The first is atomic: a stack of waiting tasks, each a node on
 * its own stack, with a LOCKED bit in bit 0. The second is a FIFO queue of
 * waiters that only the lock owner touches. Lock sets LOCKED; a locker that
 * finds it set pushes its node (only while LOCKED is still set) and sleeps
 * until completed, then tries again from the start: no hand-off, barging
 * allowed. Unlock pops the queue's head, clears LOCKED and completes it;
 * with an empty queue it clears LOCKED if no one waits, or else takes the
 * whole stack (keeping LOCKED), reverses it into the queue and goes again.
 * Nothing points into the lock while it is unlocked, so it may be moved
 * then, and it is statically initialisable (SMUTEX_INIT).
 */
#ifndef KPRIM_SYNC_SMUTEX_H
#define KPRIM_SYNC_SMUTEX_H

#include <stdint.h>

#include "core/atomic.h"
#include "core/task.h"
#include "sync/lockdep.h"

#define SMUTEX_LOCKED	1UL

struct smutex_waiter;

struct smutex {
	uintptr_t waiter_stack;			/* struct smutex_waiter * | SMUTEX_LOCKED */
	struct smutex_waiter *waiter_queue;	/* the owner's */
#ifdef KP_LOCKDEP
	struct lockdep_map dep_map;
#endif
};

/* The lock calls' lockdep hooks (include/linux/lockdep.h), not for users. */
#ifdef KP_LOCKDEP
#define __SMUTEX_INITIALIZER(name)	{ .dep_map = STATIC_LOCKDEP_MAP_INIT(#name, NULL) }
#define smutex_acquire(l, try, ip)	lock_acquire(&(l)->dep_map, (try), (ip))
#define smutex_release(l, ip)		lock_release(&(l)->dep_map, (ip))
#else
#define __SMUTEX_INITIALIZER(name)	{ .waiter_stack = 0 }
#define smutex_acquire(l, try, ip)	((void)(l), (void)(try), (void)(ip), true)
#define smutex_release(l, ip)		((void)(l), (void)(ip), true)
#endif
/**
 * SMUTEX_INIT - a static initializer for an unlocked smutex
 *
 * struct smutex m = SMUTEX_INIT; or, with its name in lockdep's reports,
 * DEFINE_SMUTEX(m). An smutex holds no pointer into itself, so unlike
 * struct mutex it may be initialized statically and moved while unlocked.
 */
#define SMUTEX_INIT		__SMUTEX_INITIALIZER(smutex)
#define DEFINE_SMUTEX(name)	struct smutex name = __SMUTEX_INITIALIZER(name)

void __smutex_init(struct smutex *lock, const char *name, struct lock_class_key *key);
/**
 * smutex_init - initialize an smutex at run time
 * @lock: the lock; one lockdep class per call site
 */
#define smutex_init(lock)							\
	do {									\
		static struct lock_class_key __key;				\
		__smutex_init((lock), #lock, &__key);				\
	} while (0)

int __smutex_pin_init(void *slot, const void *arg);
/**
 * SMUTEX_PIN_INIT - an initializer of an smutex
 * @_name: its lockdep name
 *
 * Never fails; nothing to drop (an smutex needs no pinning, but takes its
 * place in a composite as any field). The class key as MUTEX_PIN_INIT()'s.
 */
#define SMUTEX_PIN_INIT(_name)								\
	((struct pin_init){ .init = __smutex_pin_init,					\
			    .arg = &(const struct lock_pin_arg){ (_name),		\
								 &(struct lock_class_key){ 0 } }, \
			    .size = sizeof(struct smutex) })

void smutex_lock_slowpath(struct smutex *lock);
void smutex_unlock_slowpath(struct smutex *lock);

static __always_inline bool smutex_trylock_raw(struct smutex *lock)
{
	return !(kp_atomic_fetch_or(&lock->waiter_stack, SMUTEX_LOCKED, KP_ACQUIRE) &
		 SMUTEX_LOCKED);
}

static __always_inline void __smutex_lock(struct smutex *lock, void *ip)
{
	might_sleep();
	if (unlikely(!smutex_acquire(lock, false, ip)))
		return;
	/* No likely() here: it keeps GCC from making the bit test one lock bts. */
	if (smutex_trylock_raw(lock))
		return;
	smutex_lock_slowpath(lock);
}

static __always_inline bool __smutex_trylock(struct smutex *lock, void *ip)
{
	if (!smutex_trylock_raw(lock))
		return false;
	(void)smutex_acquire(lock, true, ip);
	return true;
}

static __always_inline void __smutex_unlock(struct smutex *lock, void *ip)
{
	uintptr_t locked = SMUTEX_LOCKED;

	if (unlikely(!smutex_release(lock, ip)))
		return;
	if (likely(!lock->waiter_queue &&
		   kp_atomic_try_cmpxchg(&lock->waiter_stack, &locked, 0, KP_RELEASE)))
		return;
	smutex_unlock_slowpath(lock);
}

/**
 * smutex_lock - acquire the smutex, sleeping until it is free
 * @lock: the lock
 *
 * The uncontended path is one atomic fetch_or. A locker that finds it
 * held pushes a node on its own stack onto the lock's waiter stack and
 * sleeps until an unlock completes it, then tries again from the start:
 * no hand-off, barging allowed. No recursion (lockdep variants report
 * KP_REPORT_LOCK_RECURSION and refuse); the task that locks unlocks.
 *
 * Context: may sleep: not in atomic context. Memory ordering: acquire.
 */
#define smutex_lock(lock)	__smutex_lock((lock), KP_LOCK_IP)
/**
 * smutex_trylock - try to acquire the smutex, without waiting
 * @lock: the lock
 *
 * Context: any task context. Memory ordering: acquire on success.
 *
 * Return: true if it was acquired, false if it is held.
 */
#define smutex_trylock(lock)	__smutex_trylock((lock), KP_LOCK_IP)
/**
 * smutex_unlock - release the smutex
 * @lock: the lock, held by this task
 *
 * Wakes the first waiter, if any. An unlock by a task that does not hold
 * it is reported by lockdep variants (KP_REPORT_LOCK_NOT_OWNER) and refused.
 *
 * Context: the owning task; does not sleep. Memory ordering: release.
 */
#define smutex_unlock(lock)	__smutex_unlock((lock), KP_LOCK_IP)

/**
 * smutex_is_locked - is the smutex held by anyone
 * @lock: the lock
 *
 * Return: true if it is held; a snapshot, for assertions.
 */
static inline bool smutex_is_locked(struct smutex *lock)
{
	return kp_atomic_load(&lock->waiter_stack, KP_RELAXED) & SMUTEX_LOCKED;
}

#endif /* KPRIM_SYNC_SMUTEX_H */
