// SPDX-License-Identifier: MIT
/*
 * qspinlock.c - the contended path of the queued spinlock, after
 * queued_spin_lock_slowpath() in kernel/locking/qspinlock.c.
 *
 * (queue tail, pending bit, lock value)
 *
 *              fast     :    slow                                  :    unlock
 *                       :                                          :
 * uncontended  (0,0,0) -:--> (0,0,1) ------------------------------:--> (*,*,0)
 *                       :       | ^--------.------.             /  :
 *                       :       v           \      \            |  :
 * pending               :    (0,1,1) +--> (0,1,0)   \           |  :
 *                       :       | ^--'              |           |  :
 *                       :       v                   |           |  :
 * uncontended           :    (n,x,y) +--> (n,0,0) --'           |  :
 *   queue               :       | ^--'                          |  :
 *                       :       v                               |  :
 * contended             :    (*,x,y) +--> (*,0,0) ---> (*,0,1) -'  :
 *   queue               :         ^--'                             :
 *
 * The queue head waits for (n,0,0): the lock and pending both clear. If
 * the tail is still its own (uncontended queue) it takes the lock and
 * empties the queue in one cmpxchg, n,0,0 -> 0,0,1; if another task has
 * queued behind it (contended queue) it sets the locked byte alone,
 * *,0,0 -> *,0,1, and passes the MCS baton to its successor
 * (queue_and_lock()).
 *
 * Memory order: taking the lock is always an acquire (the cmpxchg, the
 * pending waiter's load of the locked byte, the queue head's load of the
 * word); the tail exchange is acquire-release, so a node is initialised
 * before its successor can link to it, and the MCS baton is a release
 * store matched by the successor's acquire spin.
 */
#include "core/task.h"
#include "sync/qspinlock.h"

/* Spins to wait out a pending -> locked hand-over before queueing (kernel: 1). */
#define PENDING_LOOPS	512
/* Spins before a waiter gives its CPU away (qspinlock_paravirt.h: SPIN_THRESHOLD). */
#define SPIN_THRESHOLD	64

/*
 * A kernel spinner owns its CPU; a thread does not. When the holder or a
 * queue predecessor has been preempted, a fair queue waits for it to be
 * scheduled again, one time slice per baton, unless waiters step aside:
 * like the paravirt spinlock's pv_wait(), a waiter that has spun
 * SPIN_THRESHOLD rounds yields its CPU, then spins again.
 */
static inline void spin_relax(unsigned int *spins)
{
	if (++*spins % SPIN_THRESHOLD)
		cpu_relax();
	else
		kp_yield();
}

static inline uint32_t encode_tail(unsigned int id, unsigned int idx)
{
	return (id << _Q_TAIL_TASK_OFFSET) | (idx << _Q_TAIL_IDX_OFFSET);
}

static inline struct kp_mcs_node *decode_tail(uint32_t tail)
{
	unsigned int id = tail >> _Q_TAIL_TASK_OFFSET;
	unsigned int idx = (tail & _Q_TAIL_IDX_MASK) >> _Q_TAIL_IDX_OFFSET;

	return &kp_task_from_id(id)->mcs[idx];
}

/* Swap our tail in, keeping locked and pending; returns the old word's tail bits. */
static inline uint32_t xchg_tail(struct qspinlock *lock, uint32_t tail)
{
	uint16_t old = kp_atomic_xchg(&lock->tail, (uint16_t)(tail >> _Q_TAIL_IDX_OFFSET),
				      KP_ACQ_REL);

	return (uint32_t)old << _Q_TAIL_IDX_OFFSET;
}

/* The MCS queue: wait our turn, then wait for the owner and any pending waiter. */
static void queue_and_lock(struct qspinlock *lock, struct kp_mcs_node *node, uint32_t tail)
{
	struct kp_mcs_node *next = NULL;
	unsigned int spins = 0;
	uint32_t old, val;

	old = xchg_tail(lock, tail);
	if (old & _Q_TAIL_MASK) {
		kp_atomic_store(&decode_tail(old)->next, node, KP_RELEASE);
		while (!kp_atomic_load(&node->locked, KP_ACQUIRE))
			spin_relax(&spins);
		next = kp_atomic_load(&node->next, KP_ACQUIRE);
	}

	/* Head of the queue: the owner and a pending waiter go first. */
	while ((val = kp_atomic_load(&lock->val, KP_ACQUIRE)) & _Q_LOCKED_PENDING_MASK)
		spin_relax(&spins);
	/* Last in the queue: take the lock and empty the tail in one go. */
	if ((val & _Q_TAIL_MASK) == tail &&
	    kp_atomic_try_cmpxchg(&lock->val, &val, _Q_LOCKED_VAL, KP_RELAXED))
		return;
	kp_atomic_store(&lock->locked, _Q_LOCKED_VAL, KP_RELAXED);
	while (!next && !(next = kp_atomic_load(&node->next, KP_ACQUIRE)))
		spin_relax(&spins);
	kp_atomic_store(&next->locked, 1, KP_RELEASE);
}

void queued_spin_lock_slowpath(struct qspinlock *lock, uint32_t val)
{
	struct kp_task *task = kp_current();
	unsigned int id, idx, spins = 0;

	if (val == _Q_PENDING_VAL)
		for (int i = 0; i < PENDING_LOOPS &&
		     (val = kp_atomic_load(&lock->val, KP_RELAXED)) == _Q_PENDING_VAL; i++)
			cpu_relax();

	if (!(val & ~_Q_LOCKED_MASK)) {
		/* Nobody waits: become the pending waiter, without a queue node. */
		val = kp_atomic_fetch_or(&lock->val, _Q_PENDING_VAL, KP_ACQUIRE);
		if (!(val & ~_Q_LOCKED_MASK)) {
			if (val & _Q_LOCKED_MASK)
				while (kp_atomic_load(&lock->locked, KP_ACQUIRE))
					spin_relax(&spins);
			kp_atomic_store(&lock->locked_pending, _Q_LOCKED_VAL, KP_RELAXED);
			return;
		}
		/* Someone else is pending or queued: undo our bit if we set it. */
		if (!(val & _Q_PENDING_MASK))
			kp_atomic_store(&lock->pending, 0, KP_RELAXED);
	}

	id = kp_task_id(task);
	idx = task->mcs[0].count++;
	if (unlikely(idx >= KP_MCS_NODES || !id)) {
		/* Out of nodes (or task ids): spin on the word, as newer kernels do. */
		while (!queued_spin_trylock(lock))
			spin_relax(&spins);
	} else {
		struct kp_mcs_node *node = &task->mcs[idx];

		kp_atomic_store(&node->locked, 0, KP_RELAXED);
		kp_atomic_store(&node->next, NULL, KP_RELAXED);
		if (!queued_spin_trylock(lock))
			queue_and_lock(lock, node, encode_tail(id, idx));
	}
	task->mcs[0].count--;
}
