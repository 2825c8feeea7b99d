// SPDX-License-Identifier: MIT
/*
 * sched.c - the model build's scheduler registry, and kp_yield().
 *
 * One pointer: the scheduler that owns the process while a model run is in
 * progress. The scheduler itself (coroutines, PCT choices, deadlock and
 * livelock detection) is a client of this hook, not part of the core.
 */
#include <sched.h>

#include "core/sched.h"

void kp_yield(void)
{
#ifdef KP_MODEL
	if (kp_sched_ops) {
		kp_sched_point_op(KP_OP_YIELD, NULL, 0, 0, 0);
		return;
	}
#endif
	sched_yield();
}

#ifdef KP_MODEL
const struct kp_sched_ops *kp_sched_ops;

const struct kp_sched_ops *kp_sched_register(const struct kp_sched_ops *ops)
{
	const struct kp_sched_ops *prev = kp_sched_ops;

	kp_sched_ops = ops;
	return prev;
}
#endif
