/* SPDX-License-Identifier: MIT */
/*
 * spinlock.h - raw_spinlock_t and spinlock_t.
 *
 * include/linux/spinlock.h, spinlock_api_smp.h: a raw spinlock is the
 * queued spinlock word (sync/qspinlock.h) plus lockdep's map. Taking it
 * disables preemption, so holding it is atomic context (might_sleep()
 * reports), and the irqsave forms save the simulated irq flag into the
 * caller's variable and restore it. spinlock_t is a raw spinlock
 * underneath, as on a non-PREEMPT_RT kernel.
 *
 * Lockdep is consulted before the word is touched; when it refuses (the
 * task already holds this very lock) the lock call returns without it,
 * and the matching unlock is then refused too: a recording report
 * handler sees the report, not a hang. Refused calls leave the preempt
 * count as it was.
 */
#ifndef KPRIM_SYNC_SPINLOCK_H
#define KPRIM_SYNC_SPINLOCK_H

#include "core/task.h"
#include "sync/lockdep.h"
#include "sync/qspinlock.h"

typedef struct raw_spinlock {
	struct qspinlock raw_lock;
#ifdef KP_LOCKDEP
	struct lockdep_map dep_map;
#endif
} raw_spinlock_t;

/* The lock calls' lockdep hooks (include/linux/lockdep.h), not for users. */
#ifdef KP_LOCKDEP
#define SPIN_DEP_MAP_INIT(lockname)	.dep_map = STATIC_LOCKDEP_MAP_INIT(#lockname, NULL),
#define spin_acquire(l, try, ip)	lock_acquire(&(l)->dep_map, (try), (ip))
#define spin_release(l, ip)		lock_release(&(l)->dep_map, (ip))
#else
#define SPIN_DEP_MAP_INIT(lockname)
#define spin_acquire(l, try, ip)	((void)(l), (void)(try), (void)(ip), true)
#define spin_release(l, ip)		((void)(l), (void)(ip), true)
#endif

#define __RAW_SPIN_LOCK_UNLOCKED(lockname)					\
	{ .raw_lock = __ARCH_SPIN_LOCK_UNLOCKED, SPIN_DEP_MAP_INIT(lockname) }
/**
 * DEFINE_RAW_SPINLOCK - define and initialize a raw spinlock statically
 * @x: the variable's name; also its lockdep class and report name
 */
#define DEFINE_RAW_SPINLOCK(x)	raw_spinlock_t x = __RAW_SPIN_LOCK_UNLOCKED(x)

static inline void __raw_spin_lock_init(raw_spinlock_t *lock, const char *name,
					struct lock_class_key *key)
{
	kp_atomic_store(&lock->raw_lock.val, 0, KP_RELAXED);
#ifdef KP_LOCKDEP
	lockdep_init_map(&lock->dep_map, name, key);
#else
	(void)name, (void)key;
#endif
	kp_sched_name(lock, sizeof(*lock), name);	/* for the model's traces */
}

static inline int __raw_spin_lock_pin_init(void *slot, const void *arg)
{
	const struct lock_pin_arg *a = arg;

	__raw_spin_lock_init(slot, a->name, a->key);
	return 0;
}
#define __RAW_SPINLOCK_PIN_INIT(_name, _key)						\
	((struct pin_init){ .init = __raw_spin_lock_pin_init,				\
			    .arg = &(const struct lock_pin_arg){ (_name), (_key) },	\
			    .size = sizeof(raw_spinlock_t) })
/**
 * RAW_SPINLOCK_PIN_INIT - an initializer of a raw spinlock (new_spinlock!)
 * @_name: its lockdep name
 *
 * Never fails; nothing to drop. The class key as MUTEX_PIN_INIT()'s.
 */
#define RAW_SPINLOCK_PIN_INIT(_name)	__RAW_SPINLOCK_PIN_INIT(_name, &(struct lock_class_key){ 0 })
/* A spinlock_t is its raw spinlock (rlock, first). */
#define SPINLOCK_PIN_INIT(_name)						\
	((struct pin_init){ .init = __raw_spin_lock_pin_init,				\
			    .arg = &(const struct lock_pin_arg){ (_name),		\
								 &(struct lock_class_key){ 0 } }, \
			    .size = sizeof(spinlock_t) })

/**
 * raw_spin_lock_init - initialize a raw spinlock
 * @lock: the lock
 *
 * One lockdep class per call site, as the kernel's macro.
 */
#define raw_spin_lock_init(lock)						\
	do {									\
		static struct lock_class_key __key;				\
		__raw_spin_lock_init((lock), #lock, &__key);			\
	} while (0)

static __always_inline void __raw_spin_lock(raw_spinlock_t *lock, void *ip)
{
	preempt_disable();
	if (likely(spin_acquire(lock, false, ip)))
		queued_spin_lock(&lock->raw_lock);
	else
		preempt_enable();	/* refused: no trace left */
}

static __always_inline bool __raw_spin_trylock(raw_spinlock_t *lock, void *ip)
{
	preempt_disable();
	if (likely(queued_spin_trylock(&lock->raw_lock))) {
		(void)spin_acquire(lock, true, ip);
		return true;
	}
	preempt_enable();
	return false;
}

static __always_inline void __raw_spin_unlock(raw_spinlock_t *lock, void *ip)
{
	if (unlikely(!spin_release(lock, ip)))
		return;		/* refused: not held by this task */
	queued_spin_unlock(&lock->raw_lock);
	preempt_enable();
}

/**
 * raw_spin_lock - acquire a raw spinlock, spinning until it is free
 * @lock: the lock
 *
 * Disables preemption: until raw_spin_unlock() the task is in atomic
 * context, where sleeping (a mutex, a GFP_KERNEL allocation) is a bug the
 * debug variants report as KP_REPORT_SLEEP_IN_ATOMIC. Taking a lock this
 * task already holds is reported by lockdep variants
 * (KP_REPORT_LOCK_RECURSION) and refused, leaving the preempt count as it
 * was; without lockdep it spins forever, as in the kernel.
 * raw_spin_lock_irqsave() and raw_spin_lock_irq() also disable the
 * simulated irqs, saving the previous state in @flags for the first.
 *
 * Memory ordering: acquire.
 */
#define raw_spin_lock(lock)		__raw_spin_lock((lock), KP_LOCK_IP)
/**
 * raw_spin_trylock - try to acquire a raw spinlock, without spinning
 * @lock: the lock
 *
 * Memory ordering: acquire on success.
 *
 * Return: true, with the lock held and preemption disabled, if it was
 * free; false otherwise, with nothing changed.
 */
#define raw_spin_trylock(lock)		__raw_spin_trylock((lock), KP_LOCK_IP)
/**
 * raw_spin_unlock - release a raw spinlock
 * @lock: the lock, held by this task
 *
 * Re-enables preemption. A release by a task that does not hold the lock
 * is reported by lockdep variants (KP_REPORT_LOCK_NOT_OWNER) and refused.
 * raw_spin_unlock_irqrestore() and raw_spin_unlock_irq() also restore or
 * enable the simulated irqs.
 *
 * Memory ordering: release.
 */
#define raw_spin_unlock(lock)		__raw_spin_unlock((lock), KP_LOCK_IP)

/**
 * raw_spin_is_locked - is the raw spinlock held by anyone
 * @lock: the lock
 *
 * Return: true if some task holds @lock; a snapshot, for assertions.
 */
static inline bool raw_spin_is_locked(raw_spinlock_t *lock)
{
	return queued_spin_is_locked(&lock->raw_lock);
}

#define raw_spin_lock_irqsave(lock, flags)					\
	do { local_irq_save(flags); raw_spin_lock(lock); } while (0)
#define raw_spin_unlock_irqrestore(lock, flags)				\
	do { raw_spin_unlock(lock); local_irq_restore(flags); } while (0)
#define raw_spin_lock_irq(lock)							\
	do { local_irq_disable(); raw_spin_lock(lock); } while (0)
#define raw_spin_unlock_irq(lock)						\
	do { raw_spin_unlock(lock); local_irq_enable(); } while (0)

typedef struct spinlock {
	raw_spinlock_t rlock;
} spinlock_t;

#define __SPIN_LOCK_UNLOCKED(lockname)	{ .rlock = __RAW_SPIN_LOCK_UNLOCKED(lockname) }
#define DEFINE_SPINLOCK(x)		spinlock_t x = __SPIN_LOCK_UNLOCKED(x)

/**
 * spin_lock_init - initialize a spinlock
 * @lock: the lock
 *
 * spinlock_t is a raw spinlock underneath (a non-PREEMPT_RT kernel):
 * spin_lock(), spin_trylock(), spin_unlock(), the _irq and _irqsave forms
 * and spin_is_locked() behave exactly as their raw_spin_ counterparts, and
 * DEFINE_SPINLOCK() defines one statically. One lockdep class per call site.
 */
#define spin_lock_init(lock)							\
	do {									\
		static struct lock_class_key __key;				\
		__raw_spin_lock_init(&(lock)->rlock, #lock, &__key);		\
	} while (0)

#define spin_lock(lock)			__raw_spin_lock(&(lock)->rlock, KP_LOCK_IP)
#define spin_trylock(lock)		__raw_spin_trylock(&(lock)->rlock, KP_LOCK_IP)
#define spin_unlock(lock)		__raw_spin_unlock(&(lock)->rlock, KP_LOCK_IP)
#define spin_is_locked(lock)		raw_spin_is_locked(&(lock)->rlock)
/**
 * spin_lock_irqsave - disable the simulated irqs, saving them, and take the lock
 * @lock: the spinlock
 * @flags: an unsigned long variable to save the irq state in
 *
 * spin_unlock_irqrestore(@lock, @flags) undoes it; spin_lock_irq() and
 * spin_unlock_irq() disable and enable without saving. The raw_spin_
 * forms behave the same.
 */
#define spin_lock_irqsave(lock, flags)	raw_spin_lock_irqsave(&(lock)->rlock, flags)
#define spin_unlock_irqrestore(lock, flags)	raw_spin_unlock_irqrestore(&(lock)->rlock, flags)
#define spin_lock_irq(lock)		raw_spin_lock_irq(&(lock)->rlock)
#define spin_unlock_irq(lock)		raw_spin_unlock_irq(&(lock)->rlock)
/**
 * assert_spin_locked - report unless the calling task holds the lock
 * @lock: the spinlock; assert_raw_spin_locked() takes a raw one
 *
 * Lockdep variants report KP_REPORT_LOCK_NOT_OWNER; others check nothing.
 */
#define assert_spin_locked(lock)	lockdep_assert_held(&(lock)->rlock)
#define assert_raw_spin_locked(lock)	lockdep_assert_held(lock)

#endif /* KPRIM_SYNC_SPINLOCK_H */
