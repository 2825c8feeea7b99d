/* SPDX-License-Identifier: MIT */
/*
 * sched.h - the model hooks: where a deterministic scheduler plugs in.
 *
 * Every kprim atomic, futex operation and kp_current() lookup goes through
 * this seam. In a release build the schedule points are nothing at all and
 * the seam costs nothing. In a model build (KP_MODEL) a scheduler
 * registers a struct kp_sched_ops (primitives/model/ is kprim's own); from
 * then on every atomic first tells it what it is about to do (struct
 * kp_sched_op: kind, address, size, memory order, value) and may be switched
 * away from, futexes block and wake model tasks, and kp_current() returns
 * the running model task. With no scheduler registered a model build
 * behaves like release, so the same binary can run plain and under the
 * model.
 */
#ifndef KPRIM_CORE_SCHED_H
#define KPRIM_CORE_SCHED_H

#include <stdint.h>

#include "core/compiler.h"

struct kp_task;

/* What a schedule point is about to do (the memory orders are __ATOMIC_*). */
enum kp_sched_op_kind {
	KP_OP_LOAD,
	KP_OP_STORE,
	KP_OP_XCHG,
	KP_OP_CMPXCHG,
	KP_OP_FETCH_ADD,
	KP_OP_FETCH_SUB,
	KP_OP_FETCH_OR,
	KP_OP_FETCH_AND,
	KP_OP_FENCE,
	KP_OP_SPIN,		/* cpu_relax(): a spinner waits for another task */
	KP_OP_YIELD,		/* kp_yield(): a spinner gives its CPU away */
	KP_OP_POINT,		/* any other point (might_sleep() in a release-like path) */
	KP_OP_NR
};

/*
 * The descriptor a scheduler gets at each point. The scheduler learns the
 * code's address itself (__builtin_return_address(0) in its sched_point:
 * the atomic is inlined into the function that performs it).
 */
struct kp_sched_op {
	uint8_t kind;			/* enum kp_sched_op_kind */
	uint8_t order;			/* the access's memory order; 0 for SPIN, YIELD, POINT */
	uint8_t size;			/* bytes accessed; 0 where there is no access */
	const volatile void *addr;	/* the word accessed; NULL where there is none */
	uint64_t value;			/* a store's or xchg's value, a cmpxchg's new one,
					 * a fetch_<op>'s operand; 0 for the rest */
};

/*
 * The contract a model scheduler implements. Every hook is called on the
 * running task's own stack, with the process owned by the model run (one
 * OS thread). A hook may switch to another task before it returns.
 */
struct kp_sched_ops {
	/*
	 * Before every atomic access, spin hint and yield: the scheduler may
	 * run other tasks first. Not called with a NULL op. When no model
	 * task is running (the scheduler's own code), it must return at once.
	 */
	void (*sched_point)(const struct kp_sched_op *op);
	/*
	 * futex(2) semantics: -EAGAIN unless *addr == expected, else block
	 * until a futex_wake on addr (0) or, if the scheduler explores them,
	 * a spurious wake-up (0 as well).
	 */
	int (*futex_wait)(uint32_t *addr, uint32_t expected);
	/* Make up to nr_wake tasks blocked on addr runnable; returns how many. */
	int (*futex_wake)(uint32_t *addr, int nr_wake);
	/* The running task: never NULL while the scheduler is registered. */
	struct kp_task *(*current)(void);
	/*
	 * Store buffers (weak memory), both NULL when the scheduler keeps
	 * none. store_relaxed: take a relaxed store into the running task's
	 * buffer instead of memory; true if taken (false: the caller stores).
	 * load: the running task's own youngest buffered store to exactly
	 * this word, if any, into *value; false: the caller loads memory.
	 * Every other access is performed by the caller after sched_point,
	 * which drains what the access's order asks for first.
	 */
	bool (*store_relaxed)(volatile void *addr, unsigned int size, uint64_t value);
	bool (*load)(const volatile void *addr, unsigned int size, uint64_t *value);
};

/**
 * kp_yield - give the CPU away
 *
 * For a spinner whose lock holder may be preempted: sched_yield() to
 * another thread, or under a model scheduler a switch to another model task.
 */
void kp_yield(void);

#ifdef KP_MODEL
extern const struct kp_sched_ops *kp_sched_ops;

/**
 * kp_sched_register - install a model scheduler
 * @ops: the scheduler's hooks, or NULL to remove it
 *
 * From then on every atomic yields to @ops->sched_point, futexes block and
 * wake through it, and kp_current() returns its running task. Not
 * thread-safe by design: a model run owns the process.
 *
 * Return: the scheduler installed before.
 */
const struct kp_sched_ops *kp_sched_register(const struct kp_sched_ops *ops);

/**
 * kp_sched_point_op - a point where a model scheduler may switch tasks
 * @kind: what the code is about to do (enum kp_sched_op_kind)
 * @addr: the word it accesses, or NULL
 * @size: the bytes it accesses, or 0
 * @order: the access's memory order, or 0
 * @value: the value it writes or operates with (struct kp_sched_op), or 0
 *
 * Every kp_atomic_*, cpu_relax() and kp_yield() passes one. Nothing at
 * all in release builds; in a model build, a call into the registered
 * scheduler, if any. kp_sched_point() is a point with no access. Always
 * inlined, so the scheduler's __builtin_return_address(0) is in the code
 * that performs the access, whatever the caller's optimisation level.
 */
static __always_inline void kp_sched_point_op(enum kp_sched_op_kind kind,
					      const volatile void *addr, unsigned int size,
					      int order, uint64_t value)
{
	if (kp_sched_ops) {
		const struct kp_sched_op op = {
			.kind = (uint8_t)kind, .order = (uint8_t)order,
			.size = (uint8_t)size, .addr = addr, .value = value,
		};

		kp_sched_ops->sched_point(&op);
	}
}
#define kp_sched_point()	kp_sched_point_op(KP_OP_POINT, NULL, 0, 0, 0)

/**
 * kp_sched_store_relaxed - hand a relaxed store to the scheduler's store buffer
 * @addr: the word
 * @size: its size: 1, 2, 4 or 8 bytes
 * @value: the value, zero-extended
 *
 * kp_sched_load() is the other half: the running task's own buffered
 * store to exactly @addr, into *@value. kp_atomic_store() and
 * kp_atomic_load() call them in model builds (core/atomic.h).
 *
 * Return: true if the scheduler took the store (or gave the value);
 * false if the caller must access memory itself.
 */
static __always_inline bool kp_sched_store_relaxed(volatile void *addr, unsigned int size,
						   uint64_t value)
{
	return kp_sched_ops && kp_sched_ops->store_relaxed &&
	       kp_sched_ops->store_relaxed(addr, size, value);
}

static __always_inline bool kp_sched_load(const volatile void *addr, unsigned int size,
					  uint64_t *value)
{
	return kp_sched_ops && kp_sched_ops->load && kp_sched_ops->load(addr, size, value);
}
#else
#define kp_sched_point_op(kind, addr, size, order, value)	((void)0)
#define kp_sched_point()				((void)0)
#endif

#endif /* KPRIM_CORE_SCHED_H */
