// SPDX-License-Identifier: MIT
/*
 * pin.c - the pinned-object reports (core/pin.h), out of line: the checks
 * inline into every use of a pinned object, the reports never.
 */
#include "core/pin.h"
#include "core/report.h"

#ifdef KP_DEBUG
/* Always false: the use or drop is refused. The wording follows DEBUG_LOCKS_WARN_ON(). */
bool __pin_anchor_report(const struct pin_anchor *a, const char *type, const void *obj,
			 void *ip, bool dropping)
{
	if (a->self == PIN_ANCHOR_DROPPED) {
		kp_report(dropping ? KP_REPORT_DOUBLE_FREE : KP_REPORT_PINNED_MOVED, ip,
			  "DEBUG_LOCKS_WARN_ON(%s->magic != %s)\n%s %p %s after its drop",
			  type, type, type, obj, dropping ? "dropped again" : "used");
		return false;
	}
	kp_report(KP_REPORT_PINNED_MOVED, ip,
		  "DEBUG_LOCKS_WARN_ON(%s->magic != %s)\n%s %p %s (its anchor was at %p): "
		  "a pinned object must not move", type, type, type, obj,
		  a->self ? "was moved" : "is not initialised", (const void *)a->self);
	return false;
}
#endif
