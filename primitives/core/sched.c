// SPDX-License-Identifier: MIT
/*
 * sched.c - the model build's scheduler registry (empty in other builds).
 *
 * One pointer: the scheduler that owns the process while a model run is in
 * progress. The scheduler itself (coroutines, PCT choices, deadlock and
 * livelock detection) is a client of this hook, not part of the core.
 */
#include "core/sched.h"

#ifdef KP_MODEL
const struct kp_sched_ops *kp_sched_ops;

const struct kp_sched_ops *kp_sched_register(const struct kp_sched_ops *ops)
{
	const struct kp_sched_ops *prev = kp_sched_ops;

	kp_sched_ops = ops;
	return prev;
}
#endif
