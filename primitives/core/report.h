/* SPDX-License-Identifier: MIT */
/*
 * report.h - the one place every detected bug goes through.
 *
 * Each report has a kind, a kernel-style message (the headline syzkaller and
 * people grep for) and the address of the code that misbehaved. Counts per
 * kind are kept whatever the handler does. The default handler prints the
 * report the way the kernel's WARN/BUG output looks and aborts, so fuzzers
 * and sanitizers see a crash; tests install a handler that records and
 * returns, and the primitive then refuses the faulty operation and carries on.
 * The names below are fixed: tests, fuzzers and outside tools drive them.
 */
#ifndef KPRIM_CORE_REPORT_H
#define KPRIM_CORE_REPORT_H

#include <stdio.h>

#include "core/compiler.h"

enum kp_report_kind {
	KP_REPORT_SLEEP_IN_ATOMIC, KP_REPORT_DOUBLE_FREE, KP_REPORT_INVALID_FREE,
	KP_REPORT_REDZONE, KP_REPORT_POISON, KP_REPORT_CACHE_NOT_EMPTY, KP_REPORT_LEAK,
	KP_REPORT_REFCOUNT_SATURATED, KP_REPORT_REFCOUNT_ADD_ON_ZERO,
	KP_REPORT_REFCOUNT_UNDERFLOW, KP_REPORT_REFCOUNT_DEC_TO_ZERO,
	KP_REPORT_LOCK_NOT_OWNER, KP_REPORT_LOCK_RECURSION, KP_REPORT_CIRCULAR_LOCKING,
	KP_REPORT_LOCK_HELD_AT_EXIT, KP_REPORT_PINNED_MOVED, KP_REPORT_DEADLOCK,
	KP_REPORT_LIVELOCK, KP_REPORT_INVARIANT,
	KP_REPORT_NR
};

struct kp_report {
	enum kp_report_kind kind;
	const char *msg;	/* valid only during the handler call */
	void *caller;
};

typedef void (*kp_report_fn)(const struct kp_report *r);

/* Install a handler (NULL restores the default); returns the previous one. */
kp_report_fn kp_report_set_handler(kp_report_fn fn);
/* How many reports of this kind since start or the last reset. */
unsigned long kp_report_count(enum kp_report_kind kind);
/* Zero every count. */
void kp_report_reset(void);

/* The kind's name without the prefix ("DOUBLE_FREE"), or NULL if out of range. */
const char *kp_report_kind_name(enum kp_report_kind kind);
/* The default handler: print like the kernel, then abort(). */
void kp_report_default_handler(const struct kp_report *r);
/* Print like the kernel and return: as a handler, a kernel that only warns. */
void kp_report_print(const struct kp_report *r);

/*
 * The name of the function holding addr ("?" if unknown), as the kernel's
 * %pS prints it. Looked up with dladdr() once per address and remembered
 * in a small table: reports in a loop (fuzzers) do not pay for the search
 * each time. The name lives as long as the object defining it.
 */
const char *kp_symbol(const void *addr);

/* Raise a report whose message is already formatted (on the caller's stack). */
__cold void kp_report_msg(enum kp_report_kind kind, void *caller, const char *msg);

/* Raise a report; msg is printf-formatted. Returns when the handler does. */
__cold void kp_report(enum kp_report_kind kind, void *caller, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* KPRIM_CORE_REPORT_H */
