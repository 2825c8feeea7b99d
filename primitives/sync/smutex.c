// SPDX-License-Identifier: MIT
/*
 * smutex.c - the waiting halves of the simple mutex (rust/kernel/sync/
 * smutex.rs): the push of a waiter onto the lock's stack, and the unlock
 * that moves the stack into the owner's FIFO queue and completes its head.
 *
 * A completion is a futex word in the waiter: the unlocker stores 1 and
 * wakes it. After that store the waiter may return and its frame go; the
 * wake that follows only names the address, which futex(2) allows.
 */
#include "core/futex.h"
#include "sync/smutex.h"

struct smutex_waiter {
	struct smutex_waiter *next;
	uint32_t completed;
};

void __smutex_init(struct smutex *lock, const char *name, struct lock_class_key *key)
{
	kp_atomic_store(&lock->waiter_stack, 0, KP_RELAXED);
	lock->waiter_queue = NULL;
#ifdef KP_LOCKDEP
	lockdep_init_map(&lock->dep_map, name, key);
#else
	(void)name, (void)key;
#endif
	kp_sched_name(lock, sizeof(*lock), name);	/* for the model's traces */
}

int __smutex_pin_init(void *slot, const void *arg)
{
	const struct lock_pin_arg *a = arg;

	__smutex_init(slot, a->name, a->key);
	return 0;
}

void smutex_lock_slowpath(struct smutex *lock)
{
	struct smutex_waiter waiter;

	for (;;) {
		uintptr_t old;

		if (smutex_trylock_raw(lock))
			return;
		/* Push ourselves, only while the lock is still held. */
		old = kp_atomic_load(&lock->waiter_stack, KP_RELAXED);
		kp_atomic_store(&waiter.completed, 0, KP_RELAXED);
		do {
			if (!(old & SMUTEX_LOCKED))
				break;
			waiter.next = (struct smutex_waiter *)(old & ~SMUTEX_LOCKED);
		} while (!kp_atomic_try_cmpxchg(&lock->waiter_stack, &old,
						(uintptr_t)&waiter | SMUTEX_LOCKED, KP_RELEASE));
		if (!(old & SMUTEX_LOCKED))
			continue;	/* released meanwhile: try again */
		while (!kp_atomic_load(&waiter.completed, KP_ACQUIRE))
			kp_futex_wait(&waiter.completed, 0);
	}
}

void smutex_unlock_slowpath(struct smutex *lock)
{
	for (;;) {
		struct smutex_waiter *w = lock->waiter_queue, *stack, *queue = NULL;
		uintptr_t locked = SMUTEX_LOCKED;

		if (w) {
			lock->waiter_queue = w->next;
			kp_atomic_fetch_and(&lock->waiter_stack, ~SMUTEX_LOCKED, KP_RELEASE);
			kp_atomic_store(&w->completed, 1, KP_RELEASE);
			kp_futex_wake(&w->completed, 1);
			return;
		}
		if (kp_atomic_try_cmpxchg(&lock->waiter_stack, &locked, 0, KP_RELEASE))
			return;
		/* Take every stacked waiter, still locked, and queue them oldest first. */
		stack = (struct smutex_waiter *)(kp_atomic_xchg(&lock->waiter_stack, SMUTEX_LOCKED,
								KP_ACQUIRE) & ~SMUTEX_LOCKED);
		while (stack) {
			struct smutex_waiter *next = stack->next;

			stack->next = queue;
			queue = stack;
			stack = next;
		}
		lock->waiter_queue = queue;
	}
}
