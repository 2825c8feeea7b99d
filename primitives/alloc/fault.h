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

/**
 * kp_fail_nth_set - make the calling task's n-th allocation from now fail
 * @n: 1 fails the next allocation that could fail, 2 the one after; 0 disarms
 *
 * As /proc/thread-self/fail-nth: the count runs over allocations that can
 * fail (__GFP_NOFAIL ones are skipped), so a test can walk every error
 * path by running its case with n = 1, 2, ... until nothing fails.
 */
void kp_fail_nth_set(unsigned int n);
/**
 * kp_fail_nth_get - what is left of the calling task's countdown
 *
 * Return: the allocations still to go before the injected failure; 0 once
 * it has fired (or when none was armed).
 */
unsigned int kp_fail_nth_get(void);
/**
 * kp_failslab_set - arm failslab-style fault injection for every task
 * @probability_pct: chance that a candidate fails, 0..100; 0 disarms
 * @interval: fail only every @interval-th candidate (0 or 1: each)
 * @times: failures left; -1 for no limit
 * @space: bytes allocated successfully before any failure
 * @ignore_gfp_reclaim: never fail allocations that may reclaim
 *
 * The knobs of mm/failslab.c. kprim's default for @ignore_gfp_reclaim is
 * false, where the kernel's ignore-gfp-wait defaults to Y.
 */
void kp_failslab_set(unsigned int probability_pct, unsigned long interval, long times,
		     unsigned long space, bool ignore_gfp_reclaim);

extern bool kp_failslab_armed;
bool __kp_should_failslab(size_t size, gfp_t gfp);

/**
 * kp_should_failslab - should this allocation fail by injection
 * @size: the bytes asked for
 * @gfp: the allocation's flags
 *
 * The allocators' hook; cheap when nothing is armed.
 *
 * Return: true if the allocation must fail.
 */
static inline bool kp_should_failslab(size_t size, gfp_t gfp)
{
	if (likely(!kp_current()->fail_nth && !kp_failslab_armed))
		return false;
	return __kp_should_failslab(size, gfp);
}

#endif /* KPRIM_ALLOC_FAULT_H */
