/* SPDX-License-Identifier: MIT */
/*
 * fault.h - failslab-style fault injection and per-task fail-nth.
 *
 * Follows mm/failslab.c and lib/fault-inject.c (should_fail_ex) and
 * Documentation/fault-injection/fault-injection.rst: __GFP_NOFAIL is never
 * failed; with ignore_gfp_reclaim, allocations that may reclaim are never
 * failed; a task's fail-nth counts down over the allocations that could
 * fail and fails the one that reaches zero; otherwise space, interval,
 * probability and times decide. One deliberate difference: the kernel
 * defaults ignore-gfp-wait to Y, kprim to N, because fail-nth exists here to
 * walk every error path (syzkaller configures the kernel the same way).
 */
#ifndef KPRIM_ALLOC_FAULT_H
#define KPRIM_ALLOC_FAULT_H

#include <stdbool.h>
#include <stddef.h>

#include "alloc/gfp.h"
#include "core/task.h"

/* Per task: the n-th allocation from now fails (1 = the next); 0 disables. */
void kp_fail_nth_set(unsigned int n);
/* What is left of the countdown: 0 once the injected failure has fired. */
unsigned int kp_fail_nth_get(void);
/*
 * failslab's knobs: probability_pct 0..100, interval (fail only every
 * interval-th candidate, 0 or 1 = each), times (failures left, -1 = no
 * limit), space (bytes that succeed before any failure), and
 * ignore_gfp_reclaim. probability_pct 0 disarms it.
 */
void kp_failslab_set(unsigned int probability_pct, unsigned long interval, long times,
		     unsigned long space, bool ignore_gfp_reclaim);

extern bool kp_failslab_armed;
bool __kp_should_failslab(size_t size, gfp_t gfp);

/* Should this allocation fail by injection? Cheap when nothing is armed. */
static inline bool kp_should_failslab(size_t size, gfp_t gfp)
{
	if (likely(!kp_current()->fail_nth && !kp_failslab_armed))
		return false;
	return __kp_should_failslab(size, gfp);
}

#endif /* KPRIM_ALLOC_FAULT_H */
