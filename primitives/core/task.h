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

#include "core/compiler.h"
#include "core/sched.h"

struct kp_task {
	int preempt_count;
	bool irqs_disabled;	/* simulated: there are no interrupts here */
	unsigned int fail_nth;	/* /proc/thread-self/fail-nth: 0 = off */
	int pid;		/* the OS thread id, filled in on first use */
	char comm[16];		/* the thread's name, filled in on first use */
	void *alloc;		/* the allocator's per-task state (alloc/slub.c) */
};

extern __thread struct kp_task kp_thread_task;

static __always_inline struct kp_task *kp_current(void)
{
#ifdef KP_MODEL
	if (kp_sched_ops)
		return kp_sched_ops->current();
#endif
	return &kp_thread_task;
}

/* The task's pid (its thread id in release builds). */
int kp_task_pid(struct kp_task *t);
/* The task's name: the thread's name, as the kernel's comm. */
const char *kp_task_comm(struct kp_task *t);

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

/* include/linux/preempt.h with CONFIG_PREEMPT_COUNT. */
static __always_inline bool in_atomic(void)
{
	return preempt_count() != 0;
}

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

/*
 * might_sleep(): annotate code that may block. With KP_DEBUG (the debug,
 * sanitizer, model and fuzz variants, like CONFIG_DEBUG_ATOMIC_SLEEP) a call
 * from atomic context is reported as KP_REPORT_SLEEP_IN_ATOMIC; in release
 * builds it is only a scheduling point, as in a production kernel.
 */
void __might_sleep(const char *file, int line, void *caller);

#ifdef KP_DEBUG
#define might_sleep()	__might_sleep(__FILE__, __LINE__, KP_CALLER)
#else
#define might_sleep()	kp_sched_point()
#endif
#define might_sleep_if(cond)	do { if (cond) might_sleep(); } while (0)

#endif /* KPRIM_CORE_TASK_H */
