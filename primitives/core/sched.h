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

#include <stdbool.h>
#include <stddef.h>
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
	KP_OP_MEMBARRIER,	/* kp_membarrier(): every task's earlier stores become visible */
	KP_OP_NR
};

/* The descriptor a scheduler gets at each point. */
struct kp_sched_op {
	uint8_t kind;			/* enum kp_sched_op_kind */
	uint8_t order;			/* the access's memory order; 0 for SPIN, YIELD, POINT */
	uint8_t size;			/* bytes accessed; 0 where there is no access */
	const volatile void *addr;	/* the word accessed; NULL where there is none */
	uint64_t value;			/* a store's or xchg's value, a cmpxchg's new one,
					 * a fetch_<op>'s operand; 0 for the rest */
	const void *ip;			/* the code performing it (a return address
					 * into the function the atomic is inlined in) */
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

/*
 * The seam's calls into the scheduler are out of line and carry no
 * fuzzing coverage (core/sched.c): at every atomic of the code under
 * test, an inline test of kp_sched_ops and an indirect call would each
 * be a coverage callback, a fifth of a schedule fuzzer's time, and noise.
 */

/**
 * kp_sched_point_call - kp_sched_point_op()'s call into the scheduler
 * @kind: as kp_sched_point_op()'s
 * @addr: as kp_sched_point_op()'s
 * @size: as kp_sched_point_op()'s
 * @order: as kp_sched_point_op()'s
 * @value: as kp_sched_point_op()'s
 *
 * Hands the registered scheduler, if any, the op, with its ip this
 * call's return address. Call kp_sched_point_op() instead.
 */
void kp_sched_point_call(unsigned int kind, const volatile void *addr, unsigned int size,
			 int order, uint64_t value) __address_only(2);
/**
 * kp_sched_store_relaxed_call - kp_sched_store_relaxed()'s call into the scheduler
 * @addr: the word
 * @size: its size
 * @value: the value
 *
 * Return: as kp_sched_store_relaxed().
 */
bool kp_sched_store_relaxed_call(volatile void *addr, unsigned int size, uint64_t value);
struct kp_sched_loaded {
	uint64_t value;
	bool hit;
};
/**
 * kp_sched_load_call - kp_sched_load()'s call into the scheduler
 * @addr: the word
 * @size: its size
 *
 * A struct returned in registers, so that no caller's local has its
 * address taken (which ASan would surround with red zones).
 *
 * Return: .hit as kp_sched_load()'s return, .value its value.
 */
struct kp_sched_loaded kp_sched_load_call(const volatile void *addr, unsigned int size);

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
 * scheduler, if any. kp_sched_point() is a point with no access. The
 * call is made from where this is inlined, so the op's ip is the code
 * that performs the access, whatever the caller's optimisation level.
 */
static __always_inline void kp_sched_point_op(enum kp_sched_op_kind kind,
					      const volatile void *addr, unsigned int size,
					      int order, uint64_t value)
{
	kp_sched_point_call((unsigned int)kind, addr, size, order, value);
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
	return kp_sched_store_relaxed_call(addr, size, value);
}

static __always_inline bool kp_sched_load(const volatile void *addr, unsigned int size,
					  uint64_t *value)
{
	struct kp_sched_loaded loaded = kp_sched_load_call(addr, size);

	*value = loaded.value;
	return loaded.hit;
}

/**
 * kp_sched_name - name an object for a model run's traces and reports
 * @addr: the object
 * @size: its size in bytes
 * @name: what to call it; kept, not copied (a string literal)
 *
 * A trace then prints an access inside the object as "name+offset". The
 * lock init functions name every lock with its lockdep name ("&acct->lock");
 * a test names its own shared fields. The last few hundred names are
 * kept, the newest first where two cover one byte; a name outlives its
 * object, so name memory that is reused for another purpose again.
 * Nothing in builds without KP_MODEL.
 */
void kp_sched_name(const volatile void *addr, size_t size, const char *name);

struct kp_sched_named {
	const char *name;
	size_t offset;
};
/**
 * kp_sched_name_lookup - what kp_sched_name()'s names say of an address
 * @addr: the address
 * @inner: set to the smallest named object holding @addr, and the offset in it
 * @outer: set to the largest, and the offset in it
 *
 * For the model's traces and reports.
 *
 * Return: false if no named object holds @addr.
 */
bool kp_sched_name_lookup(const volatile void *addr, struct kp_sched_named *inner,
			  struct kp_sched_named *outer);
#else
#define kp_sched_point_op(kind, addr, size, order, value)	((void)0)
#define kp_sched_point()				((void)0)
static inline void kp_sched_name(const volatile void *addr, size_t size, const char *name)
{
	(void)addr, (void)size, (void)name;
}
#endif

#endif /* KPRIM_CORE_SCHED_H */
