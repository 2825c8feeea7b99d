/* SPDX-License-Identifier: MIT */
/*
 * cleanup.h - scope-based unlocking, after include/linux/cleanup.h.
 *
 *	guard(mutex)(&m);			unlocked when the scope ends
 *	scoped_guard(spinlock_irqsave, &l) { }	held for the block only
 *	scoped_guard(mutex_try, &m) { }		the block runs only if the try won
 *
 * Each guard is a variable with __attribute__((cleanup)) whose destructor
 * unlocks; a guard class that holds a lock pointer and the saved irq
 * flags covers the irqsave flavours, and the _try classes leave the
 * pointer NULL when the try fails, so nothing is unlocked and
 * scoped_guard skips its block. Guards exist for every kprim lock.
 */
#ifndef KPRIM_SYNC_CLEANUP_H
#define KPRIM_SYNC_CLEANUP_H

#include "sync/mutex.h"
#include "sync/nowait.h"
#include "sync/smutex.h"
#include "sync/spinlock.h"

/*
 * DEFINE_LOCK_GUARD_1(name, type, lock, unlock, extra...): a class named
 * name whose constructor takes a type * (as _T->lock) and runs lock, and
 * whose destructor runs unlock; extra are more members (irq flags).
 */
#define DEFINE_LOCK_GUARD_1(_name, _type, _lock, _unlock, ...)			\
	typedef struct {							\
		_type *lock;							\
		__VA_ARGS__;							\
	} class_##_name##_t;							\
	static __always_inline void class_##_name##_destructor(class_##_name##_t *_T) \
	{									\
		if (_T->lock) {							\
			_unlock;						\
		}								\
	}									\
	static __always_inline class_##_name##_t class_##_name##_constructor(_type *l) \
	{									\
		class_##_name##_t _t = { .lock = l }, *_T = &_t;		\
		_lock;								\
		return _t;							\
	}

/* A try flavour name##_try: the lock pointer stays only if _cond (a trylock) won. */
#define DEFINE_LOCK_GUARD_1_COND(_name, _ext, _cond)				\
	typedef class_##_name##_t class_##_name##_ext##_t;			\
	static __always_inline void class_##_name##_ext##_destructor(class_##_name##_t *_T) \
	{									\
		class_##_name##_destructor(_T);					\
	}									\
	static __always_inline class_##_name##_t class_##_name##_ext##_constructor(	\
		__typeof__(((class_##_name##_t *)0)->lock) l)			\
	{									\
		class_##_name##_t _t = { .lock = l }, *_T = &_t;		\
		if (!(_cond))							\
			_T->lock = NULL;					\
		return _t;							\
	}

#define CLASS(_name, var)							\
	class_##_name##_t var __attribute__((cleanup(class_##_name##_destructor), unused)) = \
		class_##_name##_constructor

/**
 * guard - hold a lock until the end of the enclosing scope
 * @_name: the guard class: raw_spinlock, raw_spinlock_irqsave, spinlock,
 *         spinlock_irqsave, mutex, smutex (and the _try classes, which
 *         scoped_guard() reads better with)
 *
 * Used as guard(mutex)(&lock); every return from the scope unlocks.
 * As the kernel's cleanup.h asks, never mix goto and guards in one
 * function: a goto into a guard's scope jumps over its initialization.
 */
#define guard(_name)	CLASS(_name, __UNIQUE_ID(guard))

#define __scoped_guard(_name, _scope, _done, ...)				\
	for (CLASS(_name, _scope)(__VA_ARGS__), *_done = NULL;			\
	     _scope.lock && !_done; _done = (void *)1)
/**
 * scoped_guard - hold a lock for one block
 * @_name: the guard class, as guard() takes it; with a _try class
 *         (mutex_try, spinlock_try, ...) or nowait_try, the block runs only
 *         if the try won
 *
 * Used as scoped_guard(spinlock_irqsave, &lock) { ... }; leaving the block
 * by any way (break included) unlocks.
 */
#define scoped_guard(_name, ...)						\
	__scoped_guard(_name, __UNIQUE_ID(scope), __UNIQUE_ID(done), __VA_ARGS__)

DEFINE_LOCK_GUARD_1(raw_spinlock, raw_spinlock_t, raw_spin_lock(_T->lock),
		    raw_spin_unlock(_T->lock))
DEFINE_LOCK_GUARD_1_COND(raw_spinlock, _try, raw_spin_trylock(_T->lock))
DEFINE_LOCK_GUARD_1(raw_spinlock_irqsave, raw_spinlock_t,
		    raw_spin_lock_irqsave(_T->lock, _T->flags),
		    raw_spin_unlock_irqrestore(_T->lock, _T->flags), unsigned long flags)
DEFINE_LOCK_GUARD_1(spinlock, spinlock_t, spin_lock(_T->lock), spin_unlock(_T->lock))
DEFINE_LOCK_GUARD_1_COND(spinlock, _try, spin_trylock(_T->lock))
DEFINE_LOCK_GUARD_1(spinlock_irqsave, spinlock_t, spin_lock_irqsave(_T->lock, _T->flags),
		    spin_unlock_irqrestore(_T->lock, _T->flags), unsigned long flags)
DEFINE_LOCK_GUARD_1(mutex, struct mutex, mutex_lock(_T->lock), mutex_unlock(_T->lock))
DEFINE_LOCK_GUARD_1_COND(mutex, _try, mutex_trylock(_T->lock))
DEFINE_LOCK_GUARD_1(smutex, struct smutex, smutex_lock(_T->lock), smutex_unlock(_T->lock))
DEFINE_LOCK_GUARD_1_COND(smutex, _try, smutex_trylock(_T->lock))
/* NoWaitLock is try-only: its one guard is the try; the contention answer is dropped. */
DEFINE_LOCK_GUARD_1(nowait_try, struct nowait_lock,
		    if (!nowait_trylock(_T->lock)) _T->lock = NULL,
		    (void)nowait_unlock(_T->lock))

#endif /* KPRIM_SYNC_CLEANUP_H */
