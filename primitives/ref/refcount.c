// SPDX-License-Identifier: MIT
/*
 * refcount.c - the out-of-line refcount_t operations (lib/refcount.c).
 *
 * refcount_warn_saturate() saturates first and reports second, so a report
 * handler that returns leaves a counter that will never free its object.
 * The kernel warns once per call site (WARN_ONCE); kprim reports every time,
 * because tests and fuzzers count reports.
 */
#include "core/report.h"
#include "ref/refcount.h"

void refcount_warn_saturate(refcount_t *r, enum refcount_saturation_type t)
{
	void *caller = KP_CALLER;

	refcount_set(r, REFCOUNT_SATURATED);
	switch (t) {
	case REFCOUNT_ADD_NOT_ZERO_OVF:
	case REFCOUNT_ADD_OVF:
		kp_report(KP_REPORT_REFCOUNT_SATURATED, caller,
			  "refcount_t: saturated; leaking memory.");
		break;
	case REFCOUNT_ADD_UAF:
		kp_report(KP_REPORT_REFCOUNT_ADD_ON_ZERO, caller,
			  "refcount_t: addition on 0; use-after-free.");
		break;
	case REFCOUNT_SUB_UAF:
		kp_report(KP_REPORT_REFCOUNT_UNDERFLOW, caller,
			  "refcount_t: underflow; use-after-free.");
		break;
	case REFCOUNT_DEC_LEAK:
		kp_report(KP_REPORT_REFCOUNT_DEC_TO_ZERO, caller,
			  "refcount_t: decrement hit 0; leaking memory.");
		break;
	}
}

bool refcount_dec_if_one(refcount_t *r)
{
	int val = 1;

	return kp_atomic_try_cmpxchg(&r->refs, &val, 0, KP_RELEASE);
}

/*
 * Unsigned arithmetic, as in lib/refcount.c: from 0 the decrement "wraps
 * upwards", which is the underflow it reports (without saturating).
 */
bool refcount_dec_not_one(refcount_t *r)
{
	int val = kp_atomic_load(&r->refs, KP_RELAXED);
	unsigned int new;

	do {
		if (unlikely(val == REFCOUNT_SATURATED))
			return true;
		if (val == 1)
			return false;
		new = (unsigned int)val - 1;
		if (new > (unsigned int)val) {
			kp_report(KP_REPORT_REFCOUNT_UNDERFLOW, KP_CALLER,
				  "refcount_t: underflow; use-after-free.");
			return true;
		}
	} while (!kp_atomic_try_cmpxchg(&r->refs, &val, (int)new, KP_RELEASE));
	return true;
}

bool refcount_dec_and_mutex_lock(refcount_t *r, struct mutex *lock)
{
	if (refcount_dec_not_one(r))
		return false;
	mutex_lock(lock);
	if (!refcount_dec_and_test(r)) {
		mutex_unlock(lock);
		return false;
	}
	return true;
}

bool refcount_dec_and_lock(refcount_t *r, spinlock_t *lock)
{
	if (refcount_dec_not_one(r))
		return false;
	spin_lock(lock);
	if (!refcount_dec_and_test(r)) {
		spin_unlock(lock);
		return false;
	}
	return true;
}

bool refcount_dec_and_lock_irqsave(refcount_t *r, spinlock_t *lock, unsigned long *flags)
{
	if (refcount_dec_not_one(r))
		return false;
	spin_lock_irqsave(lock, *flags);
	if (!refcount_dec_and_test(r)) {
		spin_unlock_irqrestore(lock, *flags);
		return false;
	}
	return true;
}
