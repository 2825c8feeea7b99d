/* SPDX-License-Identifier: MIT */
/*
 * task.h - per-task context: what the kernel keeps in task_struct and the
 * per-CPU preempt count, for the bits kprim's checks need.
 *
 * kp_current() is the only way to reach it. In release builds it is this
 * thread's instance; in model builds with a scheduler registered it is the
 * running model task, so many model tasks can share one OS thread. Nothing
 * in primitives/ declares a __thread variable of its own.
 *
 * preempt_count and the simulated irq flag are touched only by their own
 * task, so plain accesses with compiler barriers suffice, as in the kernel
 * (include/linux/preempt.h, include/linux/irqflags.h).
 */
#ifndef KPRIM_CORE_TASK_H
#define KPRIM_CORE_TASK_H

#include <stdint.h>

#include "core/compiler.h"
#include "core/sched.h"

/*
 * An MCS queue node (kernel/locking/mcs_spinlock.h). Each task has one per
 * nesting level, as each CPU has one per context in the kernel: queued
 * spinlocks and the mutex's spinner queue wait on them.
 */
struct kp_mcs_node {
	struct kp_mcs_node *next;
	uint32_t locked;	/* 1: the lock (or baton) was passed to this node */
	uint32_t count;		/* in nodes[0]: the nesting level in use */
	uint32_t pv_state;	/* paravirt queued spinlock: running, halted, hashed (a futex) */
};
#define KP_MCS_NODES	4	/* task, softirq, hardirq, NMI in the kernel */

/* What lockdep keeps per held lock (include/linux/lockdep.h struct held_lock). */
struct kp_held_lock {
	const void *instance;		/* the lock's lockdep map */
	void *acquire_ip;		/* who took it */
	unsigned short class_idx;
	bool trylock;
};
#define KP_MAX_LOCK_DEPTH	48	/* the kernel's MAX_LOCK_DEPTH */

struct kp_task {
	int preempt_count;
	bool irqs_disabled;	/* simulated: there are no interrupts here */
	bool exit_hooked;	/* the exit hooks will run when the thread ends */
	uint32_t blocked;	/* sleeping in a futex: mutex spinners stop spinning on it */
	unsigned int fail_nth;	/* /proc/thread-self/fail-nth: 0 = off */
	int pid;		/* the OS thread id, filled in on first use */
	char comm[16];		/* the thread's name, filled in on first use */
	void *alloc;		/* the allocator's per-task state (alloc/slub.c) */
	void *alloc_fast;	/* alloc while no fail-nth is armed, else NULL: the one
				 * test of the allocation fast path (alloc/fault.c) */
	unsigned int id;	/* 1.. while registered (queued spinlock tails); 0 before */
	struct kp_mcs_node mcs[KP_MCS_NODES];
#ifdef KP_LOCKDEP
	unsigned int lockdep_depth;
	struct kp_held_lock held_locks[KP_MAX_LOCK_DEPTH];
#endif
#ifdef KP_MODEL
	unsigned int sched_quiet;	/* > 0: this task's schedule points are none */
#endif
};

/*
 * Task ids: a small number per live task, so a 14-bit field of a lock
 * word can name a task (the kernel encodes CPU numbers there). Given on
 * first use and taken back when the thread ends; KP_MAX_TASKS live tasks
 * at most (kp_task_id() returns 0 beyond).
 */
#define KP_MAX_TASKS	((1u << 14) - 1)
/**
 * kp_task_id - a small number naming a live task
 * @t: the task
 *
 * Given on first use and taken back when the thread ends, so a 14-bit
 * field of a lock word can name a task (the kernel encodes CPU numbers
 * there). kp_task_from_id() maps an id back to its task, or NULL.
 *
 * Return: the id, 1..KP_MAX_TASKS; 0 when that many tasks are live.
 */
unsigned int kp_task_id(struct kp_task *t);
struct kp_task *kp_task_from_id(unsigned int id);

/**
 * kp_task_exit_hook_register - run a function when each thread's task ends
 * @fn: called with the ending task (lockdep's held-at-exit check, the
 *      allocator's flush), in registration order
 *
 * It runs for each OS thread that called kp_task_hook_exit(). Registering
 * the same @fn again is a no-op; four hooks at most.
 */
void kp_task_exit_hook_register(void (*fn)(struct kp_task *t));
void kp_task_hook_exit(struct kp_task *t);

/**
 * kp_task_exit - end a task that is not an OS thread
 * @t: the task, which must be the running one (kp_current())
 *
 * What an OS thread's end does for its task: the exit hooks run (the
 * allocator flushes the task's sheaves and slabs, lockdep reports locks
 * still held) and the task's id is given back. The model scheduler calls
 * it when a model task's function returns.
 */
void kp_task_exit(struct kp_task *t);

/*
 * Local-exec TLS (one %fs-relative load) in programs; a shared object
 * (libkprim-malloc.so and friends: -fPIC, not -fPIE) cannot use it and
 * takes initial-exec, which a preloaded library may (the loader sizes
 * the static TLS block for it).
 */
#if defined(__PIC__) && !defined(__PIE__)
#define KP_TLS_MODEL	"initial-exec"
#else
#define KP_TLS_MODEL	"local-exec"
#endif
extern __thread struct kp_task kp_thread_task __attribute__((tls_model(KP_TLS_MODEL)));

/**
 * kp_current - the running task's context
 *
 * This thread's instance; in a model build with a scheduler registered,
 * the running model task, so many model tasks can share one OS thread.
 *
 * Return: the task, never NULL.
 */
#ifdef KP_MODEL
/**
 * kp_sched_current - kp_current() of model builds
 *
 * Out of line and without fuzzing coverage, as the seam's other calls
 * (core/sched.h).
 *
 * Return: the registered scheduler's running task, else this thread's.
 */
struct kp_task *kp_sched_current(void);
#endif
static __always_inline struct kp_task *kp_current(void)
{
#ifdef KP_MODEL
	return kp_sched_current();
#else
	return &kp_thread_task;
#endif
}

/**
 * kp_sched_quiet_begin - the running task's schedule points are none until the end
 *
 * For the checkers' own atomics (lockdep's tables, the report counts):
 * they are not the code under test, and a switch inside them would only
 * multiply the interleavings a model run explores and clutter its trace.
 * Nests; kp_sched_quiet_end() ends it. Nothing in builds without KP_MODEL.
 */
#ifdef KP_MODEL
static inline void kp_sched_quiet_begin(void)
{
	kp_current()->sched_quiet++;
}

static inline void kp_sched_quiet_end(void)
{
	kp_current()->sched_quiet--;
}
#else
static inline void kp_sched_quiet_begin(void)
{
}

static inline void kp_sched_quiet_end(void)
{
}
#endif

/**
 * kp_task_pid - a task's pid
 * @t: the task
 *
 * Return: the OS thread id (gettid()), remembered on first use.
 */
int kp_task_pid(struct kp_task *t);
/**
 * kp_task_comm - a task's name, as the kernel's comm
 * @t: the task
 *
 * Return: the thread's name (PR_GET_NAME), or "task-<pid>".
 */
const char *kp_task_comm(struct kp_task *t);

/**
 * preempt_disable - enter atomic context
 *
 * Counts nesting, as the kernel's preempt count: until the matching
 * preempt_enable() the task must not sleep, and might_sleep() reports if
 * it tries. Nothing is really disabled: threads are still preempted by
 * the OS. preempt_count() reads the count.
 */
static __always_inline void preempt_disable(void)
{
	kp_current()->preempt_count++;
	barrier();
}

static __always_inline void preempt_enable(void)
{
	barrier();
	kp_current()->preempt_count--;
}

static __always_inline int preempt_count(void)
{
	return kp_current()->preempt_count;
}

/**
 * in_atomic - is the task in atomic context
 *
 * include/linux/preempt.h with CONFIG_PREEMPT_COUNT: the preempt count
 * alone decides.
 *
 * Return: true while preemption is disabled (a spinlock is held).
 */
static __always_inline bool in_atomic(void)
{
	return preempt_count() != 0;
}

/**
 * irqs_disabled - are the task's (simulated) interrupts off
 *
 * local_irq_save() / local_irq_restore(), local_irq_disable() /
 * local_irq_enable() and the spinlocks' _irqsave forms set it; sleeping
 * with it set is reported as in the kernel.
 *
 * Return: true while they are off.
 */
static __always_inline bool irqs_disabled(void)
{
	return kp_current()->irqs_disabled;
}

static __always_inline unsigned long kp_local_irq_save(void)
{
	struct kp_task *t = kp_current();
	unsigned long flags = t->irqs_disabled;

	t->irqs_disabled = true;
	barrier();
	return flags;
}

static __always_inline void kp_local_irq_restore(unsigned long flags)
{
	barrier();
	kp_current()->irqs_disabled = flags != 0;
}

#define local_irq_save(flags)		do { (flags) = kp_local_irq_save(); } while (0)
#define local_irq_restore(flags)	kp_local_irq_restore(flags)
#define local_irq_disable()		(void)kp_local_irq_save()
#define local_irq_enable()		kp_local_irq_restore(0)

/**
 * __might_sleep - report a sleep from atomic context
 * @file: the might_sleep() call's file
 * @line: its line
 * @caller: the address to blame
 *
 * Reports KP_REPORT_SLEEP_IN_ATOMIC ("BUG: sleeping function called from
 * invalid context") if preemption or irqs are off. Use might_sleep().
 */
void __might_sleep(const char *file, int line, void *caller);

/**
 * might_sleep - annotate code that may block
 *
 * With KP_DEBUG (the debug, sanitizer, model and fuzz variants, like
 * CONFIG_DEBUG_ATOMIC_SLEEP) a call from atomic context is reported as
 * KP_REPORT_SLEEP_IN_ATOMIC; in release builds it is only a scheduling
 * point, as in a production kernel. might_sleep_if() checks only when
 * its condition holds (kmalloc: when the flags allow blocking).
 */
#ifdef KP_DEBUG
#define might_sleep()	__might_sleep(__FILE__, __LINE__, KP_CALLER)
#else
#define might_sleep()	kp_sched_point()
#endif
#define might_sleep_if(cond)	do { if (cond) might_sleep(); } while (0)

#endif /* KPRIM_CORE_TASK_H */
