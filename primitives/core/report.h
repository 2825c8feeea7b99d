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
 * A report announced beforehand (kp_report_expect(): misuse on purpose) is
 * only counted. The names below are fixed: tests, fuzzers and outside tools
 * drive them.
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

/**
 * kp_report_set_handler - choose what happens to every report
 * @fn: the new handler; NULL restores kp_report_default_handler()
 *
 * The default prints the report and aborts, as a kernel oops stops a
 * fuzzer. kp_report_print() prints and returns, as a kernel that only
 * warns; a test's handler records and returns. Whenever a handler
 * returns, the primitive refuses the faulty operation and carries on.
 *
 * Return: the handler installed before.
 */
kp_report_fn kp_report_set_handler(kp_report_fn fn);
/**
 * kp_report_count - how many reports of a kind were raised
 * @kind: the kind
 *
 * Counted whatever the handler does. kp_report_reset() zeroes every count.
 *
 * Return: the count since start or the last reset; 0 for a kind out of range.
 */
unsigned long kp_report_count(enum kp_report_kind kind);
/* Zero every count, and forget the reports announced and not raised. */
void kp_report_reset(void);

/**
 * kp_report_expect - announce a report, so that it costs only its count
 * @kind: the kind the caller's next misuse raises
 *
 * A test or a fuzzer that misuses a primitive on purpose says so first.
 * The next report of @kind, from any thread, is counted, and that is all:
 * its message is not formatted and the handler is not called. Each call
 * announces one report. Formatting is most of what a report costs (the
 * fuzzers drive misuse at every other step).
 */
void kp_report_expect(enum kp_report_kind kind);
/**
 * kp_report_expected - announced reports of a kind that have not come
 * @kind: the kind
 *
 * Return: how many; 0 for a kind out of range. A step that announced a
 * report checks this is 0 after it.
 */
unsigned long kp_report_expected(enum kp_report_kind kind);

/**
 * kp_report_kind_name - a report kind's name
 * @kind: the kind
 *
 * Return: the name without its prefix ("DOUBLE_FREE"), or NULL if @kind
 * is out of range.
 */
const char *kp_report_kind_name(enum kp_report_kind kind);
/**
 * kp_report_default_handler - print the report like the kernel, then abort()
 * @r: the report
 */
void kp_report_default_handler(const struct kp_report *r);
/**
 * kp_report_print - print the report like the kernel, and return
 * @r: the report
 *
 * The kernel's WARN shape on stderr: "cut here", the headline, the kind,
 * the address and function to blame, the task, "end trace". As a handler
 * (kp_report_set_handler(kp_report_print)): a kernel that only warns.
 */
void kp_report_print(const struct kp_report *r);

/**
 * kp_symbol - the name of the function holding an address
 * @addr: a code address
 *
 * As the kernel's %pS prints it. Looked up with dladdr() once per address
 * and remembered in a small table, so reports in a loop (fuzzers) do not
 * pay for the search each time. Link with -rdynamic (the pkg-config files
 * do) for the program's own functions to have names.
 *
 * Return: the name, valid as long as the object defining it, or "?".
 */
const char *kp_symbol(const void *addr);

/**
 * kp_report_take_expected - end a report here if it was announced
 * @kind: the kind about to be raised
 *
 * For a reporter that formats its message itself: called before it does.
 *
 * Return: true if a report of @kind was announced (kp_report_expect()):
 * it is counted and the announcement used up, and the caller raises
 * nothing. False: nothing was counted.
 */
bool kp_report_take_expected(enum kp_report_kind kind);

/**
 * kp_report_msg - raise a report whose message is already formatted
 * @kind: the kind
 * @caller: the address to blame
 * @msg: the message, on the caller's stack
 *
 * Counts it, then calls the handler unless it was announced; returns when
 * the handler does.
 */
__cold void kp_report_msg(enum kp_report_kind kind, void *caller, const char *msg);

/**
 * kp_report - raise a report
 * @kind: the kind
 * @caller: the address to blame
 * @fmt: printf format of the message (the kernel's headline first)
 *
 * Formatted into a buffer on the stack: lock code reports too, and must
 * never allocate. An announced report is only counted. Returns when the
 * handler does.
 */
__cold void kp_report(enum kp_report_kind kind, void *caller, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* KPRIM_CORE_REPORT_H */
