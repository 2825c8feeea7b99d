/* SPDX-License-Identifier: MIT */
/*
 * mutex.h - struct mutex, the kernel's sleeping lock.
 *
 * kernel/locking/mutex.c, include/linux/mutex_types.h. The owner word holds
 * the owning task's address with three flags in its low bits: WAITERS (the
 * wait list is not empty: unlock must wake), HANDOFF (a starving first
 * waiter asks for the lock to be handed to it) and PICKUP (handed off: the
 * new owner must pick it up). Lock is one acquire cmpxchg 0 -> current,
 * unlock one release cmpxchg current -> 0; any flag sends either to the
 * slow path in mutex.c (optimistic spinning behind a queue of spinners,
 * then a FIFO wait list, hand-off against starvation).
 *
 * The wait list points into waiters' stacks and the spinner queue into
 * the lock itself: a mutex must not move after init. Debug builds remember
 * where it was initialised and report KP_REPORT_PINNED_MOVED (and refuse)
 * when it is used elsewhere or after mutex_destroy(). Unlock by a task that
 * does not own it is reported as KP_REPORT_LOCK_NOT_OWNER and refused, with
 * or without lockdep: the owner word knows.
 */
#ifndef KPRIM_SYNC_MUTEX_H
#define KPRIM_SYNC_MUTEX_H

#include <stdint.h>

#include "core/atomic.h"
#include "core/pin.h"
#include "core/task.h"
#include "sync/lockdep.h"
#include "sync/qspinlock.h"
#include "sync/spinlock.h"

#define MUTEX_FLAG_WAITERS	0x01UL
#define MUTEX_FLAG_HANDOFF	0x02UL
#define MUTEX_FLAG_PICKUP	0x04UL
#define MUTEX_FLAGS		0x07UL

struct mutex_waiter;

struct mutex {
	uintptr_t owner;			/* task | MUTEX_FLAG_* */
	struct qspinlock osq;			/* the optimistic spinners' queue */
	raw_spinlock_t wait_lock;
	struct mutex_waiter *wait_first, *wait_last;	/* FIFO, under wait_lock */
#ifdef KP_DEBUG
	struct pin_anchor magic;		/* pinned: where it was initialised */
#endif
#ifdef KP_LOCKDEP
	struct lockdep_map dep_map;
#endif
};

/* The lock calls' lockdep hooks (include/linux/lockdep.h), not for users. */
#ifdef KP_LOCKDEP
extern struct lock_class_key mutex_wait_lock_key;
#define MUTEX_DEP_MAP_INIT(lockname)	.dep_map = STATIC_LOCKDEP_MAP_INIT(#lockname, NULL),
#define MUTEX_WAIT_LOCK_INIT								\
	{ .raw_lock = __ARCH_SPIN_LOCK_UNLOCKED,					\
	  .dep_map = STATIC_LOCKDEP_MAP_INIT("&lock->wait_lock", &mutex_wait_lock_key) }
#define mutex_acquire(l, try, ip)	lock_acquire(&(l)->dep_map, (try), (ip))
#define mutex_release(l, ip)		lock_release(&(l)->dep_map, (ip))
#else
#define MUTEX_DEP_MAP_INIT(lockname)
#define MUTEX_WAIT_LOCK_INIT		{ .raw_lock = __ARCH_SPIN_LOCK_UNLOCKED }
#define mutex_acquire(l, try, ip)	((void)(l), (void)(try), (void)(ip), true)
#define mutex_release(l, ip)		((void)(l), (void)(ip), true)
#endif

#ifdef KP_DEBUG
#define MUTEX_MAGIC_INIT(lockname)	.magic = PIN_ANCHOR_INIT((lockname).magic),
#define mutex_pinned_check(lock, ip)	pin_anchor_check(&(lock)->magic, "mutex", (lock), (ip))
#else
#define MUTEX_MAGIC_INIT(lockname)
#define mutex_pinned_check(lock, ip)	((void)(lock), (void)(ip), true)
#endif

#define __MUTEX_INITIALIZER(lockname)						\
	{ .owner = 0, .osq = __ARCH_SPIN_LOCK_UNLOCKED,				\
	  .wait_lock = MUTEX_WAIT_LOCK_INIT, MUTEX_MAGIC_INIT(lockname)		\
	  MUTEX_DEP_MAP_INIT(lockname) }
/**
 * DEFINE_MUTEX - define and initialize a mutex statically
 * @mutexname: the variable's name; also its lockdep class and report name
 */
#define DEFINE_MUTEX(mutexname)	struct mutex mutexname = __MUTEX_INITIALIZER(mutexname)

void __mutex_init(struct mutex *lock, const char *name, struct lock_class_key *key);
/**
 * mutex_init - initialize a mutex in place
 * @mutex: the mutex, at the address it will keep until mutex_destroy()
 *
 * Every call site is a lockdep class of its own (a static struct
 * lock_class_key per expansion), as in the kernel. The mutex must not be
 * moved or copied afterwards: debug variants report KP_REPORT_PINNED_MOVED
 * and refuse any use at another address.
 *
 * Context: any; the mutex must not be in use.
 */
#define mutex_init(mutex)							\
	do {									\
		static struct lock_class_key __key;				\
		__mutex_init((mutex), #mutex, &__key);				\
	} while (0)


void mutex_lock_slowpath(struct mutex *lock);
void mutex_unlock_slowpath(struct mutex *lock, void *ip);
bool __mutex_trylock_slow(struct mutex *lock);
/**
 * mutex_destroy - mark a mutex unusable
 * @lock: the mutex, unlocked
 *
 * The mutex's drop. Debug variants remember it (its pin anchor, core/pin.h),
 * so a later use is reported as KP_REPORT_PINNED_MOVED and a second
 * destroy as KP_REPORT_DOUBLE_FREE, each refused. Destroying a locked
 * mutex is reported as KP_REPORT_INVARIANT and refused.
 *
 * Context: any; nobody may be waiting on @lock.
 */
void mutex_destroy(struct mutex *lock);
/**
 * kp_mutex_fork_child - after fork(), in the child: forget the parent's waiters
 * @lock: a mutex this task holds, taken before the fork (a pthread_atfork()
 *        prepare handler)
 *
 * The threads that spun or slept on @lock in the parent do not exist in
 * the child; mutex_unlock() must hand the lock to none of them. Not a
 * kernel call: kernel tasks do not fork an address space mid-lock.
 */
void kp_mutex_fork_child(struct mutex *lock);

int __mutex_pin_init(void *slot, const void *arg);

static inline void __mutex_pin_drop(void *obj, const void *arg)
{
	(void)arg;
	mutex_destroy(obj);
}
#define __MUTEX_PIN_INIT(_name, _key)							\
	((struct pin_init){ .init = __mutex_pin_init, .drop = __mutex_pin_drop,		\
			    .arg = &(const struct lock_pin_arg){ (_name), (_key) },	\
			    .size = sizeof(struct mutex) })
/**
 * MUTEX_PIN_INIT - an initializer of a mutex (Rust's Mutex::new, new_mutex!)
 * @_name: its lockdep name
 *
 * Builds with __mutex_init() and drops with mutex_destroy(); never fails.
 * The lockdep class is the initializer's own (struct lock_pin_arg): use it
 * in a file-scope table, or inside a function as
 * __MUTEX_PIN_INIT(name, &key) with a static key.
 */
#define MUTEX_PIN_INIT(_name)	__MUTEX_PIN_INIT(_name, &(struct lock_class_key){ 0 })

static __always_inline struct kp_task *__mutex_owner(struct mutex *lock)
{
	return (struct kp_task *)(kp_atomic_load(&lock->owner, KP_ACQUIRE) & ~MUTEX_FLAGS);
}

/**
 * mutex_is_locked - is the mutex locked
 * @lock: the mutex to be queried
 *
 * Memory ordering: an acquire load of the owner word. The answer may be
 * stale by the time the caller looks at it: use it for assertions only.
 *
 * Return: true if the mutex is locked, false if unlocked.
 */
static inline bool mutex_is_locked(struct mutex *lock)
{
	return __mutex_owner(lock) != NULL;
}

static __always_inline bool __mutex_trylock_fast(struct mutex *lock)
{
	uintptr_t zero = 0;

	/* acq_rel: the new owner's task is published to spinners that look at it */
	return kp_atomic_try_cmpxchg(&lock->owner, &zero, (uintptr_t)kp_current(), KP_ACQ_REL);
}

static __always_inline void __mutex_lock(struct mutex *lock, void *ip)
{
	might_sleep();
	if (unlikely(!mutex_pinned_check(lock, ip) || !mutex_acquire(lock, false, ip)))
		return;		/* reported: refused */
	if (likely(__mutex_trylock_fast(lock)))
		return;
	mutex_lock_slowpath(lock);
}

static __always_inline bool __mutex_trylock(struct mutex *lock, void *ip)
{
	if (unlikely(!mutex_pinned_check(lock, ip)))
		return false;
	if (likely(__mutex_trylock_fast(lock)) || __mutex_trylock_slow(lock)) {
		(void)mutex_acquire(lock, true, ip);
		return true;
	}
	return false;
}

static __always_inline void __mutex_unlock(struct mutex *lock, void *ip)
{
	uintptr_t curr = (uintptr_t)kp_current();

	if (unlikely(!mutex_pinned_check(lock, ip) || !mutex_release(lock, ip)))
		return;
	if (likely(kp_atomic_try_cmpxchg(&lock->owner, &curr, 0, KP_RELEASE)))
		return;
	mutex_unlock_slowpath(lock, ip);
}

/**
 * mutex_lock - acquire the mutex
 * @lock: the mutex to be acquired
 *
 * Lock the mutex exclusively for this task. If the mutex is not available
 * right now, spin while its owner runs, then sleep until it is. The mutex
 * must later be released by the same task that acquired it; recursive
 * locking is not allowed (lockdep variants report KP_REPORT_LOCK_RECURSION
 * and refuse, others hang as the kernel would); a task must not end while
 * holding a mutex (lockdep: KP_REPORT_LOCK_HELD_AT_EXIT); the memory of a locked
 * mutex must not be freed; the mutex must have been initialized and must
 * not have moved since.
 *
 * Context: process context, may sleep: never under a spinlock or with
 * preemption or irqs off (debug variants report KP_REPORT_SLEEP_IN_ATOMIC).
 * Memory ordering: acquire.
 */
#define mutex_lock(lock)	__mutex_lock((lock), KP_LOCK_IP)
/**
 * mutex_trylock - try to acquire the mutex, without waiting
 * @lock: the mutex to be acquired
 *
 * The same rules as mutex_lock() apply to a mutex taken this way.
 *
 * Context: any task context; does not sleep. Memory ordering: acquire on
 * success.
 *
 * Return: true if the mutex has been acquired, false on contention.
 */
#define mutex_trylock(lock)	__mutex_trylock((lock), KP_LOCK_IP)
/**
 * mutex_unlock - release the mutex
 * @lock: the mutex to be released
 *
 * Unlock a mutex that has been locked by this task previously. Unlock by
 * another task is reported as KP_REPORT_LOCK_NOT_OWNER and refused, in
 * every variant (the owner word names the owner). If the first waiter
 * asked for a hand-off, the lock passes to it directly.
 *
 * Context: the owning task; does not sleep. Memory ordering: release.
 */
#define mutex_unlock(lock)	__mutex_unlock((lock), KP_LOCK_IP)

#endif /* KPRIM_SYNC_MUTEX_H */
