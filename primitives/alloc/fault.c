// SPDX-License-Identifier: MIT
/*
 * fault.c - the decision of should_failslab() / should_fail_ex().
 *
 * The knobs are process-wide, as the debugfs files are; fail-nth lives in
 * the task, and while it is armed the task's alloc_fast is NULL, which
 * sends every allocation of the task past the fast path to be asked.
 * Randomness for the probability is a fixed-seed xorshift reset by
 * kp_failslab_set(), so a configuration replays identically.
 */
#include "alloc/fault.h"
#include "alloc/page.h"
#include "core/atomic.h"
#include "sync/spinlock.h"

bool kp_failslab_armed;

static struct {
	unsigned int probability;
	unsigned long interval;
	unsigned long count;
	long times;
	unsigned long space;
	bool ignore_gfp_reclaim;
	uint64_t rand;
} failslab;
static DEFINE_RAW_SPINLOCK(failslab_lock);

void kp_fail_nth_set(unsigned int n)
{
	struct kp_task *t = kp_current();

	t->fail_nth = n;
	t->alloc_fast = n ? NULL : t->alloc;	/* armed: every allocation asks */
}

unsigned int kp_fail_nth_get(void)
{
	return kp_current()->fail_nth;
}

void kp_failslab_set(unsigned int probability_pct, unsigned long interval, long times,
		     unsigned long space, bool ignore_gfp_reclaim)
{
	raw_spin_lock(&failslab_lock);
	failslab.probability = probability_pct > 100 ? 100 : probability_pct;
	failslab.interval = interval;
	failslab.count = 0;
	failslab.times = times;
	failslab.space = space;
	failslab.ignore_gfp_reclaim = ignore_gfp_reclaim;
	failslab.rand = 0x9e3779b97f4a7c15ULL;
	raw_spin_unlock(&failslab_lock);
	kp_atomic_store(&kp_failslab_armed, probability_pct > 0, KP_RELEASE);
}

static unsigned int random_below_100(void)
{
	uint64_t x = failslab.rand;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	failslab.rand = x;
	return (unsigned int)(x % 100);
}

bool __kp_should_failslab(size_t size, gfp_t gfp)
{
	struct kp_task *t = kp_current();
	bool fail = false;

	if (gfp & __GFP_NOFAIL)
		return false;
	if (failslab.ignore_gfp_reclaim && (gfp & __GFP_DIRECT_RECLAIM))
		return false;
	if (t->fail_nth) {
		fail = --t->fail_nth == 0;
		if (fail)
			t->alloc_fast = t->alloc;
		goto out;
	}
	if (!kp_atomic_load(&kp_failslab_armed, KP_ACQUIRE))
		return false;
	raw_spin_lock(&failslab_lock);
	if (failslab.times == 0)
		goto unlock;
	if (failslab.space > size) {
		failslab.space -= size;
		goto unlock;
	}
	if (failslab.interval > 1 && ++failslab.count % failslab.interval)
		goto unlock;
	if (failslab.probability <= random_below_100())
		goto unlock;
	if (failslab.times > 0)
		failslab.times--;
	fail = true;
unlock:
	raw_spin_unlock(&failslab_lock);
out:
	if (fail)
		kp_alloc_fail_note(KP_FAIL_INJECTED);
	return fail;
}
