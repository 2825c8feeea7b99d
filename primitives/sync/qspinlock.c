// SPDX-License-Identifier: MIT
/*
 * qspinlock.c - the contended path of the queued spinlock, after
 * queued_spin_lock_slowpath() in kernel/locking/qspinlock.c, and its
 * paravirt form, after kernel/locking/qspinlock_paravirt.h.
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
 * Paravirt. A kernel spinner owns its CPU; a thread, like a vCPU, does
 * not. When the holder or a queue predecessor is preempted, a fair queue
 * waits for it to run again, a time slice per baton, while its spinners
 * burn the CPUs it needs. The kernel's answer for guests is the paravirt
 * slow path, and here it is the default (every thread is a vCPU that can
 * be preempted); KPRIM_QSPINLOCK=native in the environment, or
 * queued_spin_set_paravirt(false), keeps the bare one, whose waiters spin
 * and yield every SPIN_THRESHOLD rounds. As in qspinlock_paravirt.h:
 *  - no pending waiter: a newcomer may steal a free lock while the queue
 *    head sleeps, and queues when the head spins (the pending bit then
 *    means "the head is spinning": pv_hybrid_queued_unfair_trylock(), and
 *    queued_spin_lock()'s byte cmpxchg, the same steal on the fast path);
 *  - a queued waiter spins PV_SPIN_THRESHOLD rounds, or fewer once its
 *    predecessor sleeps, then sleeps on its node (pv_wait_node());
 *  - the queue head spins, then puts (lock, node) in a hash table, sets
 *    _Q_SLOW_VAL and sleeps (pv_wait_head_or_lock(), pv_hash());
 *  - an unlock that finds _Q_SLOW_VAL takes the node out of the hash and
 *    wakes it (__pv_queued_spin_unlock_slowpath(), pv_unhash());
 *  - passing the baton to a sleeping waiter hashes it for the unlock to
 *    wake, rather than waking it to spin (pv_kick_node()).
 * pv_wait() is a futex wait on the node's state word and pv_kick() a
 * futex wake of it.
 *
 * Where this differs, and why. The kernel keeps _Q_SLOW_VAL in the locked
 * byte and unlocks with a cmpxchg that fails on it. Here it is a bit of
 * the pending byte, and the unlock stays a release store of the locked
 * byte followed by a plain load of the pending byte: the store and the
 * load may pass each other (x86 lets them), so a sleeping head would be
 * missed, unless the head, after setting the flag and before it checks
 * the lock one last time, runs kp_membarrier(), which puts a full barrier
 * into every running thread. Then either the owner's store is visible to
 * that check, or the owner's load sees the flag. An unlock that sees the
 * flag has already released the lock, so it takes it again (a cmpxchg of
 * the locked byte) before it unhashes and wakes: the hash and the flag are
 * only ever cleared by an owner. If that cmpxchg fails, whoever owns the
 * lock now will see the flag at its own unlock.
 *
 * Memory order: taking the lock is always an acquire (the cmpxchg, the
 * pending waiter's load of the locked byte, the queue head's load of the
 * word); the tail exchange is acquire-release, so a node is initialised
 * before its successor can link to it, and the MCS baton is a release
 * store matched by the successor's acquire spin. A sleeper's state store
 * and the waker's flag are seq_cst pairs (Dekker), as smp_store_mb() and
 * the cmpxchg in pv_kick_node() are in the kernel.
 */
#include <stdlib.h>
#include <string.h>

#include "core/futex.h"
#include "core/report.h"
#include "core/task.h"
#include "sync/qspinlock.h"

/* Spins to wait out a pending -> locked hand-over before queueing (kernel: 1). */
#define PENDING_LOOPS		512
/* Native: spins before a waiter yields its CPU, and spins again. */
#define SPIN_THRESHOLD		64
#ifdef KP_MODEL
/* A model run explores orders, not durations: a few spins reach every path. */
#define PV_SPIN_THRESHOLD	4
#define PV_PREV_CHECK_MASK	0x1
#else
/*
 * Paravirt: spins before a waiter sleeps. qspinlock_paravirt.h's
 * SPIN_THRESHOLD is 1 << 15. Each sleep opens the lock to stealing until
 * the sleeper is woken and runs, so shorter spins cost fairness: at 4
 * threads on 2 CPUs, Jain's index was 0.77 at 256, 0.87 at 1 << 10, 0.91
 * at 1 << 12 and 0.95 at 1 << 14, throughput about even (at 8 threads
 * it fell by a third, still 3x pthread_spin's).
 */
#define PV_SPIN_THRESHOLD	(1 << 14)
/* How often a queued waiter checks whether its predecessor sleeps (kernel: 0xff). */
#define PV_PREV_CHECK_MASK	0x3f
#endif

/* The pending byte's bits, for byte-wide operations on it. */
#define PENDING_BIT		(_Q_PENDING_VAL >> _Q_PENDING_OFFSET)
#define SLOW_BIT		(_Q_SLOW_VAL >> _Q_PENDING_OFFSET)

/* A node's pv_state (qspinlock_paravirt.h enum vcpu_state). */
enum vcpu_state {
	vcpu_running = 0,
	vcpu_halted,		/* sleeping, or about to, on its node */
	vcpu_hashed,		/* in the hash table: the unlock wakes it */
};

enum { PV_UNDECIDED, PV_OFF, PV_ON };
static int pv_mode;
bool queued_spin_paravirt_on;	/* pv_mode == PV_ON, for the lock's fast path */

static int pv_set_mode(int mode)
{
	kp_atomic_store(&queued_spin_paravirt_on, mode == PV_ON, KP_RELAXED);
	return mode;
}

/* The environment's choice, or paravirt if the kernel has membarrier(2). */
static int pv_decide(void)
{
	const char *env = getenv("KPRIM_QSPINLOCK");
	int mode = env && !strcmp(env, "native") ? PV_OFF : kp_membarrier() ? PV_ON : PV_OFF;
	int undecided = PV_UNDECIDED;

	if (kp_atomic_try_cmpxchg(&pv_mode, &undecided, mode, KP_RELAXED))
		return pv_set_mode(mode);
	return undecided;
}

static inline bool pv_enabled(void)
{
	int mode = kp_atomic_load(&pv_mode, KP_RELAXED);

	if (unlikely(mode == PV_UNDECIDED))
		mode = pv_decide();
	return mode == PV_ON;
}

bool queued_spin_paravirt(void)
{
	return pv_enabled();
}

bool queued_spin_set_paravirt(bool on)
{
	int mode = on && kp_membarrier() ? PV_ON : PV_OFF;

	kp_atomic_store(&pv_mode, pv_set_mode(mode), KP_RELAXED);
	return pv_enabled() == on;
}

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

/* ---- paravirt: the hash of sleeping queue heads --------------------------------- */

/*
 * pv_hash() / pv_unhash(): (lock, node) pairs, open addressing. At most
 * one entry names a lock (only its queue head hashes, and the entry is
 * gone before the next head can), and a head is a task, so twice
 * KP_MAX_TASKS slots never fill. An entry left behind (a task abandoned
 * by a model run, a thread that was asleep in the parent at fork())
 * names a lock that has since been made new: the next pv_hash() of that
 * lock takes its slot, and before that pv_unhash() meets the live entry
 * first, as pv_hash() only ever places one before an old one.
 */
#define PV_HASH_BITS	15
#define PV_HASH_SIZE	(1U << PV_HASH_BITS)

struct pv_hash_entry {
	struct qspinlock *lock;
	struct kp_mcs_node *node;
};
static struct pv_hash_entry pv_lock_hash[PV_HASH_SIZE];

static inline unsigned int pv_hash_slot(struct qspinlock *lock)
{
	return (unsigned int)(((uintptr_t)lock * 0x9e3779b97f4a7c15ULL) >> (64 - PV_HASH_BITS));
}

/* Claim the first slot from the lock's own that is free or names it already. */
static bool pv_hash(struct qspinlock *lock, struct kp_mcs_node *node)
{
	unsigned int slot = pv_hash_slot(lock);

	for (unsigned int i = 0; i < PV_HASH_SIZE; i++, slot = (slot + 1) % PV_HASH_SIZE) {
		struct pv_hash_entry *he = &pv_lock_hash[slot];
		struct qspinlock *old = NULL;

		if (kp_atomic_try_cmpxchg(&he->lock, &old, lock, KP_RELAXED) || old == lock) {
			kp_atomic_store(&he->node, node, KP_RELAXED);
			return true;
		}
	}
	return false;
}

/* Take the lock's entry out; only its owner does. */
static struct kp_mcs_node *pv_unhash(struct qspinlock *lock)
{
	unsigned int slot = pv_hash_slot(lock);

	for (unsigned int i = 0; i < PV_HASH_SIZE; i++, slot = (slot + 1) % PV_HASH_SIZE) {
		struct pv_hash_entry *he = &pv_lock_hash[slot];

		if (kp_atomic_load(&he->lock, KP_RELAXED) == lock) {
			struct kp_mcs_node *node = kp_atomic_load(&he->node, KP_RELAXED);

			kp_atomic_store(&he->lock, NULL, KP_RELEASE);
			return node;
		}
	}
	kp_report(KP_REPORT_INVARIANT, KP_CALLER,
		  "queued spinlock %p: _Q_SLOW_VAL set but no waiter hashed", (void *)lock);
	return NULL;
}

/* ---- paravirt: waiting and waking ------------------------------------------------ */

/* pv_kick(): the node's sleeper may go; a futex wake needs no live memory behind it. */
static inline void pv_kick(struct kp_mcs_node *node)
{
	kp_futex_wake(&node->pv_state, 1);
}

/*
 * pv_hybrid_queued_unfair_trylock(): take a free lock unless the queue
 * head is spinning for it. The kernel goes on trying while a queue waits
 * behind a sleeping head; here a bounded time, then the caller queues
 * (and can sleep) rather than spin on behind a preempted owner.
 */
static bool pv_hybrid_queued_unfair_trylock(struct qspinlock *lock)
{
	for (unsigned int loop = PV_SPIN_THRESHOLD; loop; loop--) {
		uint32_t val = kp_atomic_load(&lock->val, KP_RELAXED);
		uint8_t unlocked = 0;

		if (!(val & (_Q_LOCKED_MASK | _Q_PENDING_VAL)) &&
		    kp_atomic_try_cmpxchg(&lock->locked, &unlocked, _Q_LOCKED_VAL, KP_ACQUIRE))
			return true;
		if (!(val & _Q_TAIL_MASK) || (val & _Q_PENDING_VAL))
			break;
		cpu_relax();
	}
	return false;
}

/* pv_wait_early(): a sleeping predecessor will not pass the baton soon. */
static inline bool pv_wait_early(struct kp_mcs_node *prev, unsigned int loop)
{
	return !(loop & PV_PREV_CHECK_MASK) &&
	       kp_atomic_load(&prev->pv_state, KP_RELAXED) != vcpu_running;
}

/* pv_wait_node(): a queued waiter spins for the baton, then sleeps for it. */
static void pv_wait_node(struct kp_mcs_node *node, struct kp_mcs_node *prev)
{
	for (;;) {
		uint32_t halted = vcpu_halted;

		for (unsigned int loop = PV_SPIN_THRESHOLD; loop; loop--) {
			if (kp_atomic_load(&node->locked, KP_ACQUIRE))
				return;
			if (pv_wait_early(prev, loop))
				break;
			cpu_relax();
		}
		/* smp_store_mb(): pv_kick_node() sees halted, or we see the baton. */
		kp_atomic_xchg(&node->pv_state, vcpu_halted, KP_SEQ_CST);
		if (!kp_atomic_load(&node->locked, KP_SEQ_CST))
			kp_futex_wait(&node->pv_state, vcpu_halted);
		/* pv_kick_node() may have made it vcpu_hashed: that stays. */
		kp_atomic_try_cmpxchg(&node->pv_state, &halted, vcpu_running, KP_RELAXED);
		if (kp_atomic_load(&node->locked, KP_ACQUIRE))
			return;
	}
}

/*
 * pv_kick_node(): we own the lock and have passed the baton to @node. If
 * it sleeps, waking it now would only have it spin on a lock we hold:
 * hash it instead, so that our unlock wakes it.
 */
static void pv_kick_node(struct qspinlock *lock, struct kp_mcs_node *node)
{
	uint32_t halted = vcpu_halted;

	/* Ordered after the baton's seq_cst store: a waiter that halts later sees it. */
	if (kp_atomic_load(&node->pv_state, KP_SEQ_CST) != vcpu_halted ||
	    !kp_atomic_try_cmpxchg(&node->pv_state, &halted, vcpu_hashed, KP_RELAXED))
		return;
	if (pv_hash(lock, node)) {
		kp_atomic_fetch_or(&lock->pending, SLOW_BIT, KP_RELAXED);
		return;
	}
	kp_atomic_store(&node->pv_state, vcpu_running, KP_RELAXED);
	pv_kick(node);
}

/*
 * trylock_clear_pending(): the head takes a free lock and stops spinning
 * in one cmpxchg of the locked and pending bytes, keeping _Q_SLOW_VAL.
 */
static inline bool trylock_clear_pending(struct qspinlock *lock)
{
	uint16_t old = kp_atomic_load(&lock->locked_pending, KP_RELAXED);

	return !(old & _Q_LOCKED_MASK) &&
	       kp_atomic_try_cmpxchg(&lock->locked_pending, &old,
				     (uint16_t)((old & ~_Q_PENDING_VAL) | _Q_LOCKED_VAL), KP_ACQUIRE);
}

/*
 * pv_wait_head_or_lock(): the queue head spins with the pending bit set
 * (no stealing meanwhile), then clears it, hashes itself, sets
 * _Q_SLOW_VAL and sleeps until an unlock wakes it. Returns owning the
 * lock, with its own hash entry and _Q_SLOW_VAL gone.
 */
static void pv_wait_head_or_lock(struct qspinlock *lock, struct kp_mcs_node *node)
{
	for (;;) {
		kp_atomic_fetch_or(&lock->pending, PENDING_BIT, KP_RELAXED);
		for (unsigned int loop = PV_SPIN_THRESHOLD; loop; loop--) {
			if (trylock_clear_pending(lock))
				goto gotlock;
			cpu_relax();
		}
		kp_atomic_fetch_and(&lock->pending, (uint8_t)~PENDING_BIT, KP_RELAXED);

		if (kp_atomic_load(&node->pv_state, KP_ACQUIRE) != vcpu_hashed) {
			if (!pv_hash(lock, node)) {
				kp_yield();
				continue;
			}
			kp_atomic_store(&node->pv_state, vcpu_hashed, KP_RELAXED);
			kp_atomic_fetch_or(&lock->pending, SLOW_BIT, KP_SEQ_CST);
		}
		/* From here every owner's unlock is visible to us, or sees _Q_SLOW_VAL. */
		if (!kp_membarrier()) {
			kp_yield();
			continue;
		}
		if (kp_atomic_load(&lock->locked, KP_ACQUIRE))
			kp_futex_wait(&node->pv_state, vcpu_hashed);	/* pv_wait() */
	}
gotlock:
	/* Still hashed, by ourselves or by pv_kick_node(): an owner undoes it. */
	if (kp_atomic_load(&node->pv_state, KP_RELAXED) == vcpu_hashed) {
		pv_unhash(lock);
		kp_atomic_fetch_and(&lock->pending, (uint8_t)~SLOW_BIT, KP_RELAXED);
		kp_atomic_store(&node->pv_state, vcpu_running, KP_RELAXED);
	}
}

void __pv_queued_spin_unlock_slowpath(struct qspinlock *lock)
{
	do {
		struct kp_mcs_node *node = NULL;
		uint8_t unlocked = 0;

		/* Owned again already: that owner's unlock sees _Q_SLOW_VAL. */
		if (!kp_atomic_try_cmpxchg(&lock->locked, &unlocked, _Q_LOCKED_VAL, KP_ACQUIRE))
			return;
		if (kp_atomic_load(&lock->pending, KP_RELAXED) & SLOW_BIT) {
			node = pv_unhash(lock);
			kp_atomic_fetch_and(&lock->pending, (uint8_t)~SLOW_BIT, KP_RELAXED);
			if (node)
				kp_atomic_store(&node->pv_state, vcpu_running, KP_RELAXED);
		}
		kp_atomic_store(&lock->locked, 0, KP_RELEASE);
		if (node)
			pv_kick(node);
		barrier();	/* the light half of kp_membarrier()'s asymmetric pair */
	} while (unlikely(kp_atomic_load(&lock->pending, KP_RELAXED) & SLOW_BIT));
}

/* ---- the queue ---------------------------------------------------------------------- */

/* The MCS queue: wait our turn, then wait for the owner and any pending waiter. */
static void queue_and_lock(struct qspinlock *lock, struct kp_mcs_node *node, uint32_t tail,
			   bool pv)
{
	struct kp_mcs_node *next = NULL;
	unsigned int spins = 0;
	uint32_t old, val;

	old = xchg_tail(lock, tail);
	if (old & _Q_TAIL_MASK) {
		struct kp_mcs_node *prev = decode_tail(old);

		kp_atomic_store(&prev->next, node, KP_RELEASE);
		if (pv)
			pv_wait_node(node, prev);
		else
			while (!kp_atomic_load(&node->locked, KP_ACQUIRE))
				spin_relax(&spins);
		next = kp_atomic_load(&node->next, KP_ACQUIRE);
	}

	if (pv) {
		/* Head of the queue, and owner on return. */
		pv_wait_head_or_lock(lock, node);
		val = kp_atomic_load(&lock->val, KP_RELAXED);
		if ((val & _Q_TAIL_MASK) == tail &&
		    kp_atomic_try_cmpxchg(&lock->val, &val, _Q_LOCKED_VAL, KP_RELAXED))
			return;
	} else {
		/* Head of the queue: the owner and a pending waiter go first. */
		while ((val = kp_atomic_load(&lock->val, KP_ACQUIRE)) & _Q_LOCKED_PENDING_MASK)
			spin_relax(&spins);
		/* Last in the queue: take the lock and empty the tail in one go. */
		if ((val & _Q_TAIL_MASK) == tail &&
		    kp_atomic_try_cmpxchg(&lock->val, &val, _Q_LOCKED_VAL, KP_RELAXED))
			return;
		kp_atomic_store(&lock->locked, _Q_LOCKED_VAL, KP_RELAXED);
	}
	while (!next && !(next = kp_atomic_load(&node->next, KP_ACQUIRE)))
		spin_relax(&spins);
	if (pv) {
		kp_atomic_store(&next->locked, 1, KP_SEQ_CST);
		pv_kick_node(lock, next);
	} else {
		kp_atomic_store(&next->locked, 1, KP_RELEASE);
	}
}

/* Nobody waits: become the pending waiter, without a queue node. */
static bool pending_and_lock(struct qspinlock *lock, uint32_t val)
{
	unsigned int spins = 0;

	if (val == _Q_PENDING_VAL)
		for (int i = 0; i < PENDING_LOOPS &&
		     (val = kp_atomic_load(&lock->val, KP_RELAXED)) == _Q_PENDING_VAL; i++)
			cpu_relax();
	if (val & ~_Q_LOCKED_MASK)
		return false;
	val = kp_atomic_fetch_or(&lock->val, _Q_PENDING_VAL, KP_ACQUIRE);
	if (!(val & ~_Q_LOCKED_MASK)) {
		if (val & _Q_LOCKED_MASK)
			while (kp_atomic_load(&lock->locked, KP_ACQUIRE))
				spin_relax(&spins);
		kp_atomic_store(&lock->locked_pending, _Q_LOCKED_VAL, KP_RELAXED);
		return true;
	}
	/* Someone else is pending or queued: undo our bit if we set it. */
	if (!(val & _Q_PENDING_MASK))
		kp_atomic_store(&lock->pending, 0, KP_RELAXED);
	return false;
}

void queued_spin_lock_slowpath(struct qspinlock *lock, uint32_t val)
{
	struct kp_task *task = kp_current();
	bool pv = pv_enabled();
	unsigned int id, idx, spins = 0;

	/* Paravirt has no pending waiter: it may steal instead (qspinlock.c's pv_queue). */
	if (pv ? pv_hybrid_queued_unfair_trylock(lock) : pending_and_lock(lock, val))
		return;

	id = kp_task_id(task);
	idx = task->mcs[0].count++;
	if (unlikely(idx >= KP_MCS_NODES || !id)) {
		/* Out of nodes (or task ids): spin on the word, as newer kernels do. */
		while (!(pv ? pv_hybrid_queued_unfair_trylock(lock) : queued_spin_trylock(lock)))
			spin_relax(&spins);
	} else {
		struct kp_mcs_node *node = &task->mcs[idx];

		kp_atomic_store(&node->locked, 0, KP_RELAXED);
		kp_atomic_store(&node->next, NULL, KP_RELAXED);
		kp_atomic_store(&node->pv_state, vcpu_running, KP_RELAXED);
		if (!queued_spin_trylock(lock))
			queue_and_lock(lock, node, encode_tail(id, idx), pv);
	}
	task->mcs[0].count--;
}
