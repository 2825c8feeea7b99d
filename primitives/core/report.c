// SPDX-License-Identifier: MIT
/*
 * report.c - counting, formatting and dispatching reports.
 *
 * The message is formatted into a buffer on the reporter's stack: the sync
 * layer reports from inside lock code, which must never allocate. A report
 * announced with kp_report_expect() is counted before anything is
 * formatted, and ends there: misuse on purpose pays for no message. The
 * default output follows the shape of the kernel's __warn() (cut here,
 * headline, who and where, end trace) so tools that parse kernel logs can
 * parse kprim's too.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdarg.h>
#include <stdlib.h>

#include "core/atomic.h"
#include "core/report.h"
#include "core/task.h"

static unsigned long report_counts[KP_REPORT_NR];
/* Announced, not yet raised: the checkers' bookkeeping, out of fuzzing coverage. */
static unsigned long report_expected[KP_REPORT_NR];
static kp_report_fn report_handler = kp_report_default_handler;

static const char *const report_kind_names[KP_REPORT_NR] = {
	[KP_REPORT_SLEEP_IN_ATOMIC] = "SLEEP_IN_ATOMIC",
	[KP_REPORT_DOUBLE_FREE] = "DOUBLE_FREE",
	[KP_REPORT_INVALID_FREE] = "INVALID_FREE",
	[KP_REPORT_REDZONE] = "REDZONE",
	[KP_REPORT_POISON] = "POISON",
	[KP_REPORT_CACHE_NOT_EMPTY] = "CACHE_NOT_EMPTY",
	[KP_REPORT_LEAK] = "LEAK",
	[KP_REPORT_REFCOUNT_SATURATED] = "REFCOUNT_SATURATED",
	[KP_REPORT_REFCOUNT_ADD_ON_ZERO] = "REFCOUNT_ADD_ON_ZERO",
	[KP_REPORT_REFCOUNT_UNDERFLOW] = "REFCOUNT_UNDERFLOW",
	[KP_REPORT_REFCOUNT_DEC_TO_ZERO] = "REFCOUNT_DEC_TO_ZERO",
	[KP_REPORT_LOCK_NOT_OWNER] = "LOCK_NOT_OWNER",
	[KP_REPORT_LOCK_RECURSION] = "LOCK_RECURSION",
	[KP_REPORT_CIRCULAR_LOCKING] = "CIRCULAR_LOCKING",
	[KP_REPORT_LOCK_HELD_AT_EXIT] = "LOCK_HELD_AT_EXIT",
	[KP_REPORT_PINNED_MOVED] = "PINNED_MOVED",
	[KP_REPORT_DEADLOCK] = "DEADLOCK",
	[KP_REPORT_LIVELOCK] = "LIVELOCK",
	[KP_REPORT_INVARIANT] = "INVARIANT",
};

const char *kp_report_kind_name(enum kp_report_kind kind)
{
	if ((unsigned int)kind >= KP_REPORT_NR)
		return NULL;
	return report_kind_names[kind];
}

kp_report_fn kp_report_set_handler(kp_report_fn fn)
{
	return kp_atomic_xchg(&report_handler, fn ? fn : kp_report_default_handler,
			      KP_ACQ_REL);
}

unsigned long kp_report_count(enum kp_report_kind kind)
{
	if ((unsigned int)kind >= KP_REPORT_NR)
		return 0;
	return kp_atomic_load(&report_counts[kind], KP_RELAXED);
}

void kp_report_reset(void)
{
	for (int i = 0; i < KP_REPORT_NR; i++) {
		kp_atomic_store(&report_counts[i], 0, KP_RELAXED);
		kp_atomic_store(&report_expected[i], 0, KP_RELAXED);
	}
}

__no_sanitize_coverage void kp_report_expect(enum kp_report_kind kind)
{
	if ((unsigned int)kind < KP_REPORT_NR)
		kp_atomic_fetch_add(&report_expected[kind], 1, KP_RELAXED);
}

__no_sanitize_coverage unsigned long kp_report_expected(enum kp_report_kind kind)
{
	if ((unsigned int)kind >= KP_REPORT_NR)
		return 0;
	return kp_atomic_load(&report_expected[kind], KP_RELAXED);
}

__no_sanitize_coverage bool kp_report_take_expected(enum kp_report_kind kind)
{
	unsigned long left;
	bool taken = false;

	if ((unsigned int)kind >= KP_REPORT_NR)
		return false;
	kp_sched_quiet_begin();		/* bookkeeping, as counting is */
	left = kp_atomic_load(&report_expected[kind], KP_RELAXED);
	while (left && !(taken = kp_atomic_try_cmpxchg(&report_expected[kind], &left, left - 1,
							KP_RELAXED)))
		;
	if (taken)
		kp_atomic_fetch_add(&report_counts[kind], 1, KP_RELAXED);
	kp_sched_quiet_end();
	return taken;
}

#define SYMBOL_CACHE_BITS 10	/* a binary's report sites fit; dladdr() is a symbol table scan */

static struct symbol_slot {
	const void *addr;
	const char *name;
} symbol_cache[1u << SYMBOL_CACHE_BITS];
static int symbol_cache_busy;	/* taken with a try: a reporter never waits on it */

const char *kp_symbol(const void *addr)
{
	struct symbol_slot *slot =
		&symbol_cache[((uintptr_t)addr * 0x9e3779b97f4a7c15ULL) >> (64 - SYMBOL_CACHE_BITS)];
	const char *name = NULL;
	Dl_info info;

	if (!addr)
		return "?";
	if (!kp_atomic_xchg(&symbol_cache_busy, 1, KP_ACQUIRE)) {
		if (slot->addr == addr)
			name = slot->name;
		kp_atomic_store(&symbol_cache_busy, 0, KP_RELEASE);
		if (name)
			return name;
	}
	name = dladdr(addr, &info) && info.dli_sname ? info.dli_sname : "?";
	if (!kp_atomic_xchg(&symbol_cache_busy, 1, KP_ACQUIRE)) {
		slot->addr = addr;
		slot->name = name;
		kp_atomic_store(&symbol_cache_busy, 0, KP_RELEASE);
	}
	return name;
}

void kp_report_print(const struct kp_report *r)
{
	struct kp_task *t = kp_current();
	const char *sym = r->caller ? kp_symbol(r->caller) : "?";

	fprintf(stderr, "------------[ cut here ]------------\n");
	fprintf(stderr, "%s\n", r->msg);
	fprintf(stderr, "kprim: %s at %p%s%s%s pid: %d comm: %s\n",
		kp_report_kind_name(r->kind), r->caller,
		*sym != '?' ? " (" : "", *sym != '?' ? sym : "", *sym != '?' ? ")" : "",
		kp_task_pid(t), kp_task_comm(t));
	fprintf(stderr, "---[ end trace ]---\n");
	fflush(stderr);
}

void kp_report_default_handler(const struct kp_report *r)
{
	kp_report_print(r);
	abort();
}

/* Count a report that was not announced, and hand it to the handler. */
static void report_raise(enum kp_report_kind kind, void *caller, const char *msg)
{
	kp_report_fn handler;

	kp_sched_quiet_begin();		/* counting a report is no schedule point */
	if ((unsigned int)kind < KP_REPORT_NR)
		kp_atomic_fetch_add(&report_counts[kind], 1, KP_RELAXED);
	handler = kp_atomic_load(&report_handler, KP_ACQUIRE);
	kp_sched_quiet_end();
	handler(&(struct kp_report){ .kind = kind, .msg = msg, .caller = caller });
}

void kp_report_msg(enum kp_report_kind kind, void *caller, const char *msg)
{
	if (!kp_report_take_expected(kind))
		report_raise(kind, caller, msg);
}

void kp_report(enum kp_report_kind kind, void *caller, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (kp_report_take_expected(kind))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	report_raise(kind, caller, msg);
}
