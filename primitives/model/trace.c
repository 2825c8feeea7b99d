// SPDX-License-Identifier: MIT
/*
 * trace.c - what a model run did, step by step, and its schedule string.
 *
 * The trace is a ring of the last KP_MODEL_TRACE_STEPS steps of the last
 * run made with config.trace: each schedule point (the task, the
 * operation, its order and address, the function performing it), each
 * futex wait and wake, each task's end, and how the run ended. Addresses
 * print with the name of the object they fall in, where one is known:
 * the locks' lockdep names, the test's own kp_sched_name()s, or a symbol.
 *
 * A schedule string is the run's choices, and only those (a point where
 * one task could run is no choice): "kp1" then one token per choice,
 * "<code>[.<entry>]:<mask>[+<commits>]" in hex: the option taken (the
 * task, 0x40 added for a commit of its buffered store number <entry>,
 * 0x80 for a spurious futex wake-up) and what could be chosen (mask bit
 * i: task i could run; bit 8 + i: task i could be woken spuriously; and
 * how many buffered stores could be committed); a token repeated n times
 * is written once with "*n". The options are what let a replay notice
 * that the code changed under it. Example: "kp1 0:3 1:3*4 41.0:3+1 0:1".
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/report.h"
#include "model/internal.h"

static struct model_step ring[KP_MODEL_TRACE_STEPS];
static unsigned long ring_count;	/* steps recorded in this run */
static bool ring_enabled;
static char ring_end[256];

static const char *const op_names[KP_OP_NR] = {
	[KP_OP_LOAD] = "load", [KP_OP_STORE] = "store", [KP_OP_XCHG] = "xchg",
	[KP_OP_CMPXCHG] = "cmpxchg", [KP_OP_FETCH_ADD] = "fetch_add",
	[KP_OP_FETCH_SUB] = "fetch_sub", [KP_OP_FETCH_OR] = "fetch_or",
	[KP_OP_FETCH_AND] = "fetch_and", [KP_OP_FENCE] = "fence", [KP_OP_SPIN] = "spin",
	[KP_OP_YIELD] = "yield", [KP_OP_POINT] = "point", [KP_OP_MEMBARRIER] = "membarrier",
};

const char *model_op_name(unsigned int kind)
{
	return kind < KP_OP_NR ? op_names[kind] : "?";
}

static const char *order_name(unsigned int order)
{
	static const char *const names[] = { "relaxed", "consume", "acquire", "release",
					     "acq_rel", "seq_cst" };

	return order < sizeof(names) / sizeof(names[0]) ? names[order] : "?";
}

void model_trace_reset(bool enabled)
{
	ring_enabled = enabled;
	ring_count = 0;
	ring_end[0] = '\0';
}

void model_trace_add(unsigned long step, unsigned int task, enum model_event ev,
		     const struct kp_sched_op *op, const void *ip, unsigned long value)
{
	struct model_step *s;

	if (!ring_enabled)
		return;
	s = &ring[ring_count++ % KP_MODEL_TRACE_STEPS];
	*s = (struct model_step){ .step = step, .task = (uint8_t)task, .event = (uint8_t)ev,
				  .ip = ip, .value = value };
	if (op)
		s->op = *op;
}

void model_trace_end(const char *how)
{
	if (ring_enabled)
		snprintf(ring_end, sizeof(ring_end), "%s", how);
}

/*
 * Where: the function's name where the dynamic symbol table has it (link
 * with -rdynamic, as the pkg-config files do), else the object and the
 * offset in it, which `addr2line -f -i -e OBJECT OFFSET` turns into a
 * line. ip is a return address: the offset is of the byte before it, in
 * the call itself, so that the line is the call's and not the next one's.
 */
static void print_where(FILE *out, const void *ip)
{
	const char *name = kp_symbol(ip);
	Dl_info info;

	if (*name != '?') {
		fprintf(out, "  in %s", name);
	} else if (dladdr(ip, &info) && info.dli_fname) {
		const char *base = strrchr(info.dli_fname, '/');

		fprintf(out, "  at %s+%#lx", base ? base + 1 : info.dli_fname,
			(unsigned long)((uintptr_t)ip - 1 - (uintptr_t)info.dli_fbase));
	}
}

/*
 * What addr is, as " (name+0x8)": the object a lock init or
 * kp_sched_name() named (the outer one, then the inner one where they
 * nest: "&acct->lock+0x10: &lock->wait_lock"), else a symbol of the
 * program's; "" for anything else (the heap, the stack).
 */
const char *model_addr_name(const volatile void *addr, char *buf, size_t size)
{
	struct kp_sched_named inner, outer;
	Dl_info info;

	buf[0] = '\0';
	if (!addr)
		return buf;
	if (kp_sched_name_lookup(addr, &inner, &outer)) {
		int n = snprintf(buf, size, " (%s+%#zx", outer.name, outer.offset);

		if (inner.name != outer.name && n > 0 && (size_t)n < size)
			n += snprintf(buf + n, size - (size_t)n, ": %s+%#zx", inner.name,
				      inner.offset);
		if (n > 0 && (size_t)n + 1 < size)
			snprintf(buf + n, size - (size_t)n, ")");
	} else if (dladdr((const void *)addr, &info) && info.dli_sname && info.dli_saddr) {
		snprintf(buf, size, " (%s+%#lx)", info.dli_sname,
			 (unsigned long)((uintptr_t)addr - (uintptr_t)info.dli_saddr));
	}
	return buf;
}

static void print_step(FILE *out, const struct model_step *s)
{
	char name[160];
	const char *what = model_addr_name(s->op.addr, name, sizeof(name));

	fprintf(out, "%6lu  task %u  ", s->step, s->task);
	switch (s->event) {
	case MODEL_EV_OP:
		fprintf(out, "%-9s", model_op_name(s->op.kind));
		if (s->op.kind <= KP_OP_FENCE)
			fprintf(out, " %-7s", order_name(s->op.order));
		if (s->op.addr)
			fprintf(out, " %u@%p%s", s->op.size, (const void *)s->op.addr, what);
		if (s->op.kind >= KP_OP_STORE && s->op.kind <= KP_OP_FETCH_AND)
			fprintf(out, " %#llx", (unsigned long long)s->op.value);
		break;
	case MODEL_EV_WAIT:
		fprintf(out, "futex_wait %p%s (== %lu): blocked", (const void *)s->op.addr, what,
			s->value);
		break;
	case MODEL_EV_WAIT_AGAIN:
		fprintf(out, "futex_wait %p%s: changed, -EAGAIN", (const void *)s->op.addr, what);
		break;
	case MODEL_EV_WAKE:
		fprintf(out, "futex_wake %p%s: %lu woken", (const void *)s->op.addr, what, s->value);
		break;
	case MODEL_EV_SPURIOUS:
		fprintf(out, "woken spuriously from %p%s", (const void *)s->op.addr, what);
		break;
	case MODEL_EV_END:
		fprintf(out, "returned");
		break;
	case MODEL_EV_BUFFERED:
		fprintf(out, "buffered  %u@%p%s = %#lx", s->op.size, (const void *)s->op.addr, what,
			s->value);
		break;
	case MODEL_EV_COMMIT:
		fprintf(out, "visible   %u@%p%s = %#lx", s->op.size, (const void *)s->op.addr, what,
			s->value);
		break;
	}
	if (s->ip)
		print_where(out, s->ip);
	fputc('\n', out);
}

void kp_model_print_trace(FILE *out)
{
	unsigned long first = ring_count > KP_MODEL_TRACE_STEPS ?
			      ring_count - KP_MODEL_TRACE_STEPS : 0;

	if (!ring_enabled) {
		fprintf(out, "model trace: none (run with config.trace set)\n");
		return;
	}
	if (first)
		fprintf(out, "model trace: the last %d of %lu steps\n", KP_MODEL_TRACE_STEPS,
			ring_count);
	fprintf(out, "  step  task  operation\n");
	for (unsigned long i = first; i < ring_count; i++)
		print_step(out, &ring[i % KP_MODEL_TRACE_STEPS]);
	if (ring_end[0])
		fprintf(out, "end: %s\n", ring_end);
}

bool model_schedule_format(const struct model_choice *c, unsigned long n, char *buf, size_t size)
{
	size_t used = (size_t)snprintf(buf, size, "kp1");

	for (unsigned long i = 0; i < n && used < size;) {
		unsigned long run = 1;

		while (i + run < n && c[i + run].chosen == c[i].chosen &&
		       c[i + run].entry == c[i].entry && c[i + run].mask == c[i].mask &&
		       c[i + run].commits == c[i].commits)
			run++;
		used += (size_t)snprintf(buf + used, size - used, " %x", c[i].chosen);
		if (c[i].chosen & 0x40)
			used += (size_t)snprintf(buf + used, used < size ? size - used : 0, ".%x",
						 c[i].entry);
		used += (size_t)snprintf(buf + used, used < size ? size - used : 0, ":%x", c[i].mask);
		if (c[i].commits)
			used += (size_t)snprintf(buf + used, used < size ? size - used : 0, "+%x",
						 c[i].commits);
		if (run > 1)
			used += (size_t)snprintf(buf + used, used < size ? size - used : 0, "*%lu", run);
		i += run;
	}
	if (used >= size) {
		buf[size - 1] = '\0';
		return false;
	}
	return true;
}

long model_schedule_parse(const char *str, struct model_choice *c, unsigned long max)
{
	unsigned long n = 0;
	const char *p = str;

	if (strncmp(p, "kp1", 3) || (p[3] && p[3] != ' '))
		return -1;
	p += 3;
	while (*p) {
		unsigned long chosen, entry = 0, mask, commits = 0, run = 1;
		char *end;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		chosen = strtoul(p, &end, 16);
		if (end == p)
			return -1;
		p = end;
		if (*p == '.') {
			entry = strtoul(p + 1, &end, 16);
			if (end == p + 1 || !(chosen & 0x40))
				return -1;
			p = end;
		}
		if (*p != ':')
			return -1;
		mask = strtoul(p + 1, &end, 16);
		if (end == p + 1)
			return -1;
		p = end;
		if (*p == '+') {
			commits = strtoul(p + 1, &end, 16);
			if (end == p + 1)
				return -1;
			p = end;
		}
		if (*p == '*') {
			run = strtoul(p + 1, &end, 10);
			if (end == p + 1 || !run)
				return -1;
			p = end;
		}
		if (*p && *p != ' ')
			return -1;
		if (chosen > 0xff || (chosen & 0x3f) >= KP_MODEL_MAX_TASKS || (chosen & 0xc0) == 0xc0 ||
		    entry >= MODEL_SB_ENTRIES || mask > 0xffff || commits > 0xff || run > max - n)
			return -1;
		while (run--)
			c[n++] = (struct model_choice){ .chosen = (uint8_t)chosen, .entry = (uint8_t)entry,
							.mask = (uint16_t)mask,
							.commits = (uint8_t)commits };
	}
	return (long)n;
}
