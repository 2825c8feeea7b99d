// SPDX-License-Identifier: MIT
/*
 * mutex.c - the slow paths of struct mutex, after kernel/locking/mutex.c.
 *
 * Lock: spin optimistically while the owner runs, one spinner at a time
 * (the OSQ, kernel/locking/osq_lock.c, is taken with a try: the kernel's
 * queued spinners leave at need_resched() or when their vCPU is
 * preempted, which user space cannot see, so here the others go straight
 * to the wait list rather than burn CPUs a preempted owner may need); the
 * spinner gives up as soon as the owner sleeps or the spin budget, our
 * need_resched(), runs out. Then join the FIFO wait list under wait_lock and sleep on a futex
 * word in the waiter, on the waiter's stack. A first waiter that wakes
 * and still loses sets HANDOFF: from then on nobody else may take the
 * lock, and the unlocker writes "first waiter | PICKUP" instead of 0.
 *
 * "Owner running" is the owner not sleeping in a futex (struct kp_task's
 * blocked flag): user space cannot see whether a thread is on a CPU. The
 * kernel reads the owner's task_struct under RCU; here the owner's task is
 * thread-local storage, which outlives the thread only while glibc caches
 * its stack, so a task must not end holding a mutex (lockdep reports it).
 * The unlocker marks the first waiter woken under wait_lock (the waiter
 * can only leave the list, and its stack frame, under that lock) and makes
 * the futex call after dropping it, as the kernel's wake_q does, and only
 * if the waiter said it sleeps: a syscall inside wait_lock made every
 * contender of wait_lock wait for it too.
 */
#include "core/futex.h"
#include "core/report.h"
#include "sync/mutex.h"

/*
 * cpu_relax() rounds before a spinner gives up: the kernel spins while the
 * owner is on a CPU, which user space cannot see, and an owner that yields
 * or is preempted while it holds the lock looks no different from one that
 * runs. glibc's adaptive mutex stops after 100 rounds (its tunable
 * glibc.pthread.mutex_spin_count); so does this one. At 2000 rounds,
 * sysbench threads (an owner that yields inside the lock) ran 2.8x slower
 * than on glibc's mutex, at 100 it runs faster. Under the model scheduler
 * every round is a schedule point and a spinner only spins while its
 * owner is switched away from, so a model run would have to pick the
 * spinner a hundred times before the wait list came into play: there the
 * budget is one round, and both paths are explored.
 */
#ifdef KP_MODEL
#define SPIN_BUDGET	1
#else
#define SPIN_BUDGET	100
#endif

struct mutex_waiter {
	struct mutex_waiter *prev, *next;
	struct kp_task *task;
	uint32_t woken;
};

#ifdef KP_LOCKDEP
struct lock_class_key mutex_wait_lock_key;
#endif

static __always_inline void mutex_init_at(struct mutex *lock, const char *name,
					  struct lock_class_key *key)
{
	kp_atomic_store(&lock->owner, 0, KP_RELAXED);
	lock->osq = (struct qspinlock)__ARCH_SPIN_LOCK_UNLOCKED;
	raw_spin_lock_init(&lock->wait_lock);
	lock->wait_first = lock->wait_last = NULL;
#ifdef KP_DEBUG
	pin_anchor_set(&lock->magic);
#endif
#ifdef KP_LOCKDEP
	lockdep_init_map(&lock->dep_map, name, key);
#else
	(void)name, (void)key;
#endif
	kp_sched_name(lock, sizeof(*lock), name);	/* for the model's traces */
}

void __mutex_init(struct mutex *lock, const char *name, struct lock_class_key *key)
{
	mutex_init_at(lock, name, key);
}

/* MUTEX_PIN_INIT()'s: one call, as mutex_init()'s, not a call of that one. */
int __mutex_pin_init(void *slot, const void *arg)
{
	const struct lock_pin_arg *a = arg;

	mutex_init_at(slot, a->name, a->key);
	return 0;
}

void kp_mutex_fork_child(struct mutex *lock)
{
	kp_atomic_store(&lock->osq.val, 0, KP_RELAXED);
	kp_atomic_store(&lock->wait_lock.raw_lock.val, 0, KP_RELAXED);
	lock->wait_first = lock->wait_last = NULL;
	kp_atomic_store(&lock->owner, (uintptr_t)kp_current(), KP_RELAXED);
}

void mutex_destroy(struct mutex *lock)
{
	if (unlikely(mutex_is_locked(lock))) {
		kp_report(KP_REPORT_INVARIANT, KP_CALLER,
			  "DEBUG_LOCKS_WARN_ON(mutex_is_locked(lock))\nmutex %p destroyed while "
			  "held by %p", (void *)lock, (void *)__mutex_owner(lock));
		return;
	}
#ifdef KP_DEBUG
	pin_anchor_drop(&lock->magic, "mutex", lock, KP_CALLER);
#endif
}

/*
 * __mutex_trylock_common(): take the lock if it is free, or pick it up if
 * it was handed to us; with handoff, a first waiter that fails asks for a
 * hand-off instead. NULL if we got it, else the owner.
 */
static struct kp_task *trylock_common(struct mutex *lock, bool handoff)
{
	uintptr_t curr = (uintptr_t)kp_current();
	uintptr_t owner = kp_atomic_load(&lock->owner, KP_RELAXED);

	for (;;) {
		uintptr_t flags = owner & MUTEX_FLAGS, task = owner & ~MUTEX_FLAGS;

		if (task) {
			if (flags & MUTEX_FLAG_PICKUP) {
				if (task != curr)
					break;
				flags &= ~MUTEX_FLAG_PICKUP;
			} else if (handoff) {
				if (flags & MUTEX_FLAG_HANDOFF)
					break;
				flags |= MUTEX_FLAG_HANDOFF;
			} else {
				break;
			}
		} else {
			task = curr;
		}
		if (kp_atomic_try_cmpxchg(&lock->owner, &owner, task | flags, KP_ACQ_REL)) {
			if (task == curr)
				return NULL;
			break;
		}
	}
	return (struct kp_task *)(owner & ~MUTEX_FLAGS);
}

bool __mutex_trylock_slow(struct mutex *lock)
{
	return !trylock_common(lock, false);
}

static bool waiter_is_first(struct mutex *lock, struct mutex_waiter *waiter)
{
	return kp_atomic_load(&lock->wait_first, KP_RELAXED) == waiter;
}

/*
 * mutex_spin_on_owner(): spin while owner holds the lock and runs. False
 * when spinning should stop: the owner sleeps, the budget is spent, or
 * (for a waiter) it is no longer first.
 */
static bool spin_on_owner(struct mutex *lock, struct kp_task *owner,
			  struct mutex_waiter *waiter, unsigned int *budget)
{
	while (__mutex_owner(lock) == owner) {
		if (kp_atomic_load(&owner->blocked, KP_RELAXED) || !--*budget)
			return false;
		if (waiter && !waiter_is_first(lock, waiter))
			return false;
		cpu_relax();
	}
	return true;
}

/* mutex_optimistic_spin(): true if the lock was taken while spinning. */
static bool optimistic_spin(struct mutex *lock, struct mutex_waiter *waiter)
{
	unsigned int budget = SPIN_BUDGET;
	struct kp_task *owner = __mutex_owner(lock);
	bool taken = false;

	/* mutex_can_spin_on_owner(): not behind a sleeping owner. */
	if (!waiter && owner && kp_atomic_load(&owner->blocked, KP_RELAXED))
		return false;
	/*
	 * One spinner at a time: the OSQ taken with a try. The kernel queues
	 * spinners and lets each leave at need_resched() or when its vCPU is
	 * preempted; user space sees neither, and queued spinners would burn
	 * the CPUs a preempted owner needs when threads outnumber them.
	 */
	if (!waiter && !queued_spin_trylock(&lock->osq))
		return false;
	for (;;) {
		owner = trylock_common(lock, false);
		if (!owner) {
			taken = true;
			break;
		}
		if (!spin_on_owner(lock, owner, waiter, &budget))
			break;
		cpu_relax();
	}
	if (!waiter)
		queued_spin_unlock(&lock->osq);
	return taken;
}

static void waiter_add(struct mutex *lock, struct mutex_waiter *w)
{
	w->next = NULL;
	w->prev = lock->wait_last;
	if (w->prev)
		w->prev->next = w;
	else
		kp_atomic_store(&lock->wait_first, w, KP_RELAXED);
	lock->wait_last = w;
}

static void waiter_del(struct mutex *lock, struct mutex_waiter *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else
		kp_atomic_store(&lock->wait_first, w->next, KP_RELAXED);
	if (w->next)
		w->next->prev = w->prev;
	else
		lock->wait_last = w->prev;
}

/* A waiter's woken word: the unlocker makes a syscall only for one asleep. */
enum { WAITER_AWAKE, WAITER_WOKEN, WAITER_ASLEEP };

/* Sleep until an unlock wakes us (a futex, only once we said we sleep). */
static void waiter_sleep(struct mutex_waiter *w)
{
	uint32_t awake = WAITER_AWAKE;

	if (kp_atomic_try_cmpxchg(&w->woken, &awake, WAITER_ASLEEP, KP_ACQUIRE))
		do {
			kp_futex_wait(&w->woken, WAITER_ASLEEP);
		} while (kp_atomic_load(&w->woken, KP_ACQUIRE) == WAITER_ASLEEP);
}

void mutex_lock_slowpath(struct mutex *lock)
{
	struct mutex_waiter waiter = { .task = kp_current() };

	if (optimistic_spin(lock, NULL))
		return;
	raw_spin_lock(&lock->wait_lock);
	if (!trylock_common(lock, false))
		goto unlock;
	waiter_add(lock, &waiter);
	if (waiter_is_first(lock, &waiter))
		kp_atomic_fetch_or(&lock->owner, MUTEX_FLAG_WAITERS, KP_RELAXED);
	for (;;) {
		bool first;

		/* Nobody may hand us the lock between this try and the sleep unseen. */
		if (!trylock_common(lock, false))
			break;
		kp_atomic_store(&waiter.woken, WAITER_AWAKE, KP_RELAXED);
		raw_spin_unlock(&lock->wait_lock);
		waiter_sleep(&waiter);

		first = waiter_is_first(lock, &waiter);
		if (!trylock_common(lock, first) ||
		    (first && optimistic_spin(lock, &waiter))) {
			raw_spin_lock(&lock->wait_lock);
			break;
		}
		raw_spin_lock(&lock->wait_lock);
	}
	waiter_del(lock, &waiter);
	if (!lock->wait_first)
		kp_atomic_fetch_and(&lock->owner, ~MUTEX_FLAGS, KP_RELAXED);
unlock:
	raw_spin_unlock(&lock->wait_lock);
}

static __cold void report_not_owner(struct mutex *lock, struct kp_task *owner, void *ip)
{
	struct kp_task *t = kp_current();

	kp_report(KP_REPORT_LOCK_NOT_OWNER, ip,
		  "DEBUG_LOCKS_WARN_ON(__owner_task(owner) != current)\n%s/%d unlocks mutex %p "
		  "owned by %p", kp_task_comm(t), kp_task_pid(t), (void *)lock, (void *)owner);
}

/* __mutex_handoff(): give the lock to task (NULL: to nobody), keeping WAITERS. */
static void mutex_handoff(struct mutex *lock, struct kp_task *task)
{
	uintptr_t owner = kp_atomic_load(&lock->owner, KP_RELAXED), next;

	do {
		next = (owner & MUTEX_FLAG_WAITERS) | (uintptr_t)task;
		if (task)
			next |= MUTEX_FLAG_PICKUP;
	} while (!kp_atomic_try_cmpxchg(&lock->owner, &owner, next, KP_RELEASE));
}

void mutex_unlock_slowpath(struct mutex *lock, void *ip)
{
	uintptr_t curr = (uintptr_t)kp_current();
	uintptr_t owner = kp_atomic_load(&lock->owner, KP_RELAXED);
	struct mutex_waiter *first;

	for (;;) {
		if ((owner & ~MUTEX_FLAGS) != curr || (owner & MUTEX_FLAG_PICKUP)) {
			report_not_owner(lock, (struct kp_task *)(owner & ~MUTEX_FLAGS),
					 ip ? ip : KP_CALLER);
			return;
		}
		if (owner & MUTEX_FLAG_HANDOFF)
			break;
		if (kp_atomic_try_cmpxchg(&lock->owner, &owner, owner & MUTEX_FLAGS, KP_RELEASE)) {
			if (owner & MUTEX_FLAG_WAITERS)
				break;
			return;
		}
	}
	raw_spin_lock(&lock->wait_lock);
	first = lock->wait_first;
	if (owner & MUTEX_FLAG_HANDOFF)
		mutex_handoff(lock, first ? first->task : NULL);
	/* wake_q_add(): marked under wait_lock, woken after it (wake_up_q()). */
	if (first && kp_atomic_xchg(&first->woken, WAITER_WOKEN, KP_RELEASE) != WAITER_ASLEEP)
		first = NULL;
	raw_spin_unlock(&lock->wait_lock);
	/*
	 * The waiter may be gone by now, its stack frame with it: FUTEX_WAKE
	 * reads no memory, and a wake a later futex there did not wait for
	 * is spurious, which every futex sleeper here tolerates.
	 */
	if (first)
		kp_futex_wake(&first->woken, 1);
}
