/* SPDX-License-Identifier: MIT */
/*
 * atomic.h - kprim's only way to touch shared memory atomically.
 *
 * Type-generic wrappers over the compiler's __atomic builtins, each with an
 * explicit memory order, in the spirit of include/linux/atomic.h and
 * Concurrency Kit's ck_pr. They exist for one reason: every access first
 * passes a schedule point (core/sched.h), which is nothing in release
 * builds and, in model builds, tells the model scheduler what is about to
 * happen (the operation, address, size and memory order) and lets it run
 * another task first. Primitives never use raw C11 atomics
 * or builtins, so the same code runs fast and runs under the model.
 *
 * The try_cmpxchg form follows the kernel's atomic_try_cmpxchg(): it returns
 * whether it succeeded and, on failure, loads the value it found into *oldp.
 */
#ifndef KPRIM_CORE_ATOMIC_H
#define KPRIM_CORE_ATOMIC_H

#include "core/compiler.h"
#include "core/sched.h"

#define KP_RELAXED	__ATOMIC_RELAXED
#define KP_ACQUIRE	__ATOMIC_ACQUIRE
#define KP_RELEASE	__ATOMIC_RELEASE
#define KP_ACQ_REL	__ATOMIC_ACQ_REL
#define KP_SEQ_CST	__ATOMIC_SEQ_CST

/*
 * The schedule point before an access to *p. Model builds evaluate @p
 * twice (here and in the access): no side effects in an atomic's
 * address. Release builds have no schedule points at all.
 */
#define kp__sched_op(kind, p, mo, v)						\
	kp_sched_point_op((kind), (p), sizeof(*(p)), (mo), (uint64_t)(uintptr_t)(v))

/*
 * Loads and stores, as a model scheduler with store buffers sees them: a
 * relaxed store may wait in the running task's buffer, and a task's load
 * sees its own buffered store first (core/sched.h). Everything else, and
 * every access in other builds, goes straight to memory.
 */
#ifdef KP_MODEL
/* A load's buffer slot has a name of its own: loads nest (a[kp_atomic_load(&i)]). */
#define kp__load(p, mo)		kp__load_named(p, mo, __UNIQUE_ID(kp__lv))
#define kp__load_named(p, mo, lv)					\
	({ uint64_t lv;							\
	   kp_sched_load((p), sizeof(*(p)), &lv) ?			\
		(__typeof__(*(p)))(uintptr_t)lv : __atomic_load_n((p), (mo)); })
#define kp__store(p, v, mo)						\
	do {								\
		__typeof__(*(p)) kp__sv = (v);				\
		kp__sched_op(KP_OP_STORE, (p), (mo), kp__sv);		\
		if ((mo) != KP_RELAXED ||				\
		    !kp_sched_store_relaxed((p), sizeof(*(p)), (uint64_t)(uintptr_t)kp__sv)) \
			__atomic_store_n((p), kp__sv, (mo));		\
	} while (0)
/* A read-modify-write whose operand the scheduler is told, evaluated once. */
#define kp__rmw(kind, builtin, p, v, mo)				\
	({ __typeof__(v) kp__rv = (v);					\
	   kp__sched_op((kind), (p), (mo), kp__rv);			\
	   builtin((p), kp__rv, (mo)); })
#define kp__cmpxchg(p, oldp, new, mo)					\
	({ __typeof__(new) kp__nv = (new);				\
	   kp__sched_op(KP_OP_CMPXCHG, (p), (mo), kp__nv);		\
	   __atomic_compare_exchange_n((p), (oldp), kp__nv, false, (mo),	\
				       kp__cmpxchg_fail_order(mo)); })
#else
#define kp__load(p, mo)		__atomic_load_n((p), (mo))
#define kp__store(p, v, mo)	__atomic_store_n((p), (v), (mo))
#define kp__rmw(kind, builtin, p, v, mo)	builtin((p), (v), (mo))
#define kp__cmpxchg(p, oldp, new, mo)					\
	__atomic_compare_exchange_n((p), (oldp), (new), false, (mo), kp__cmpxchg_fail_order(mo))
#endif

/* The strongest order a failed compare-exchange may use (C11 forbids release). */
#define kp__cmpxchg_fail_order(mo)					\
	((mo) == KP_ACQ_REL ? KP_ACQUIRE :				\
	 (mo) == KP_RELEASE ? KP_RELAXED : (mo))

/**
 * kp_atomic_load - atomically load a value
 * @p: pointer to a naturally aligned scalar
 * @mo: KP_RELAXED, KP_ACQUIRE or KP_SEQ_CST
 *
 * Every kp_atomic_* first passes kp_sched_point_op(): nothing in release
 * builds, a point where the model scheduler may switch tasks in model
 * builds. @p is evaluated twice in model builds: it must have no side
 * effects.
 *
 * Return: the value loaded.
 */
#define kp_atomic_load(p, mo)						\
	({ kp__sched_op(KP_OP_LOAD, (p), (mo), 0); kp__load((p), (mo)); })

/**
 * kp_atomic_store - atomically store a value
 * @p: pointer to a naturally aligned scalar
 * @v: the value
 * @mo: KP_RELAXED, KP_RELEASE or KP_SEQ_CST
 */
#define kp_atomic_store(p, v, mo)					\
	kp__store((p), (v), (mo))

/**
 * kp_atomic_xchg - atomically exchange a value
 * @p: pointer to a naturally aligned scalar
 * @v: the new value
 * @mo: any memory order
 *
 * Return: the value replaced.
 */
#define kp_atomic_xchg(p, v, mo)					\
	kp__rmw(KP_OP_XCHG, __atomic_exchange_n, (p), (v), (mo))

/**
 * kp_atomic_try_cmpxchg - compare and exchange, reporting success
 * @p: pointer to a naturally aligned scalar
 * @oldp: the value expected; on failure, set to the value found
 * @new: the value to store if *@p equals *@oldp
 * @mo: the order on success; a failure uses the strongest order C11
 *      allows below it (acquire for acq_rel, relaxed for release)
 *
 * The kernel's atomic_try_cmpxchg(): loops read naturally, as the value
 * found is already in *@oldp for the next try.
 *
 * Return: true if the exchange happened.
 */
#define kp_atomic_try_cmpxchg(p, oldp, new, mo)				\
	kp__cmpxchg((p), (oldp), (new), (mo))

/**
 * kp_atomic_cmpxchg - compare and exchange, returning the value found
 * @p: pointer to a naturally aligned scalar
 * @old: the value expected
 * @new: the value to store if *@p equals @old
 * @mo: as kp_atomic_try_cmpxchg()
 *
 * Return: the value found; it equals @old on success (the kernel's cmpxchg()).
 */
#define kp_atomic_cmpxchg(p, old, new, mo)				\
	({ __typeof__(*(p)) kp__old = (old);				\
	   kp_atomic_try_cmpxchg((p), &kp__old, (new), (mo));		\
	   kp__old; })

/**
 * kp_atomic_fetch_add - atomically add, returning the old value
 * @p: pointer to a naturally aligned integer
 * @v: the value to add
 * @mo: any memory order
 *
 * kp_atomic_fetch_sub(), kp_atomic_fetch_or() and kp_atomic_fetch_and()
 * subtract, or and and the same way.
 *
 * Return: the value before the operation.
 */
#define kp_atomic_fetch_add(p, v, mo)					\
	kp__rmw(KP_OP_FETCH_ADD, __atomic_fetch_add, (p), (v), (mo))

#define kp_atomic_fetch_sub(p, v, mo)					\
	kp__rmw(KP_OP_FETCH_SUB, __atomic_fetch_sub, (p), (v), (mo))

#define kp_atomic_fetch_or(p, v, mo)					\
	kp__rmw(KP_OP_FETCH_OR, __atomic_fetch_or, (p), (v), (mo))

#define kp_atomic_fetch_and(p, v, mo)					\
	kp__rmw(KP_OP_FETCH_AND, __atomic_fetch_and, (p), (v), (mo))

/**
 * kp_atomic_fence - a memory fence
 * @mo: KP_ACQUIRE, KP_RELEASE, KP_ACQ_REL or KP_SEQ_CST
 */
#define kp_atomic_fence(mo)						\
	do { kp_sched_point_op(KP_OP_FENCE, NULL, 0, (mo), 0); __atomic_thread_fence(mo); } while (0)

/**
 * smp_acquire_after_rmw - order what follows after an RMW the caller branched on
 * @p: the word the RMW was on
 *
 * The kernel's smp_acquire__after_ctrl_dep() (include/asm-generic/barrier.h),
 * an acquire fence. ThreadSanitizer does not model standalone fences, so
 * under TSan it is an acquire load of *@p instead: that load reads the
 * RMW's value, which extends the release sequence of every earlier release
 * on *@p, so it synchronizes with the same writers and TSan can see it.
 */
#ifdef KP_TSAN
#define smp_acquire_after_rmw(p)	((void)kp_atomic_load((p), KP_ACQUIRE))
#else
#define smp_acquire_after_rmw(p)	kp_atomic_fence(KP_ACQUIRE)
#endif

/**
 * cpu_relax - a spin-wait hint
 *
 * PAUSE on x86, YIELD on arm64; in a model build also a point where other
 * tasks may run, so a spinner cannot starve the task it waits for.
 */
static inline void cpu_relax(void)
{
	kp_sched_point_op(KP_OP_SPIN, NULL, 0, 0, 0);
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	barrier();
#endif
}

#endif /* KPRIM_CORE_ATOMIC_H */
