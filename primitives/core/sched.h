/* SPDX-License-Identifier: MIT */
/*
 * sched.h - the model hooks: where a deterministic scheduler plugs in.
 *
 * Every kprim atomic, futex operation and kp_current() lookup goes through
 * this seam. In a release build kp_sched_point() is an empty inline and the
 * seam costs nothing. In a model build (-DKP_MODEL) a scheduler registers a
 * struct kp_sched_ops; from then on every atomic first yields to it, futexes
 * block and wake model tasks, and kp_current() returns the running model
 * task. With no scheduler registered a model build behaves like release, so
 * the same binary can run plain and under the model.
 */
#ifndef KPRIM_CORE_SCHED_H
#define KPRIM_CORE_SCHED_H

#include <stdint.h>

#include "core/config.h"

struct kp_task;

struct kp_sched_ops {
	/* Called before every atomic access: the scheduler may switch tasks. */
	void (*sched_point)(void);
	/* Futex semantics as in futex(2): block while *addr == expected. */
	int (*futex_wait)(uint32_t *addr, uint32_t expected);
	int (*futex_wake)(uint32_t *addr, int nr_wake);
	/* The task now running. */
	struct kp_task *(*current)(void);
};

/**
 * kp_yield - give the CPU away
 *
 * For a spinner whose lock holder may be preempted: sched_yield() to
 * another thread, or under a model scheduler a switch to another model task.
 */
void kp_yield(void);

/**
 * kp_sched_point - a point where a model scheduler may switch tasks
 *
 * Every kp_atomic_* and cpu_relax() passes one. Empty in release builds;
 * in a model build, a call into the registered scheduler, if any.
 */
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

static inline void kp_sched_point(void)
{
	if (kp_sched_ops)
		kp_sched_ops->sched_point();
}
#else
static inline void kp_sched_point(void)
{
}
#endif

#endif /* KPRIM_CORE_SCHED_H */
