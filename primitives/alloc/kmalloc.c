// SPDX-License-Identifier: MIT
/*
 * kmalloc.c - interim kmalloc over malloc(), with live-object tracking.
 *
 * Models: include/linux/slab.h (ZERO_SIZE_PTR, KMALLOC_MAX_SIZE, array
 * overflow), mm/slub.c's pre-alloc hook (might_sleep_if(blocking)),
 * mm/failslab.c and lib/fault-inject.c (fail-nth), mm/page_alloc.c's
 * warn_alloc() ("page allocation failure"), mm/kmemleak.c (report shape).
 *
 * Every live object sits on one list under a raw spinlock so kmemleak can
 * walk it; the cost is irrelevant here and the allocator issue replaces the
 * whole file with SLUB.
 */
#include <stdlib.h>

#include "alloc/slab.h"
#include "core/report.h"
#include "core/task.h"
#include "sync/spinlock.h"

struct kmalloc_hdr {
	struct kmalloc_hdr *prev, *next;
	size_t size;
	void *caller;
	int pid;
} __attribute__((aligned(16)));

static struct kmalloc_hdr live_list = { .prev = &live_list, .next = &live_list };
static DEFINE_RAW_SPINLOCK(live_lock);

void kp_fail_nth_set(unsigned int n)
{
	kp_current()->fail_nth = n;
}

unsigned int kp_fail_nth_get(void)
{
	return kp_current()->fail_nth;
}

/* lib/fault-inject.c should_fail_ex(): count down, fail when it hits 0. */
static bool should_fail_alloc(gfp_t flags)
{
	struct kp_task *t = kp_current();

	if (flags & __GFP_NOFAIL || !t->fail_nth)
		return false;
	return --t->fail_nth == 0;
}

static __cold void warn_alloc_failure(size_t size, gfp_t flags)
{
	struct kp_task *t = kp_current();

	if (flags & __GFP_NOWARN)
		return;
	fprintf(stderr, "%s: page allocation failure: size:%zu, mode:%#x, pid:%d\n",
		kp_task_comm(t), size, flags, kp_task_pid(t));
}

static void *kmalloc_caller(size_t size, gfp_t flags, void *caller)
{
	struct kmalloc_hdr *h;

	might_sleep_if(gfpflags_allow_blocking(flags));
	if (unlikely(!size))
		return ZERO_SIZE_PTR;
	if (unlikely(size > KMALLOC_MAX_SIZE) || unlikely(should_fail_alloc(flags)))
		goto fail;

	h = (flags & __GFP_ZERO) ? calloc(1, sizeof(*h) + size)
				 : malloc(sizeof(*h) + size);
	if (unlikely(!h))
		goto fail;
	h->size = size;
	h->caller = caller;
	h->pid = kp_task_pid(kp_current());

	raw_spin_lock(&live_lock);
	h->next = live_list.next;
	h->prev = &live_list;
	live_list.next->prev = h;
	live_list.next = h;
	raw_spin_unlock(&live_lock);
	return h + 1;
fail:
	warn_alloc_failure(size, flags);
	return NULL;
}

void *kmalloc(size_t size, gfp_t flags)
{
	return kmalloc_caller(size, flags, KP_CALLER);
}

void kfree(const void *obj)
{
	struct kmalloc_hdr *h;

	if (unlikely(ZERO_OR_NULL_PTR(obj)))
		return;
	h = (struct kmalloc_hdr *)obj - 1;

	raw_spin_lock(&live_lock);
	h->prev->next = h->next;
	h->next->prev = h->prev;
	raw_spin_unlock(&live_lock);
	free(h);
}

static void hex_dump(FILE *out, const unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i += 16) {
		fprintf(out, "    ");
		for (size_t j = i; j < i + 16 && j < len; j++)
			fprintf(out, "%02x ", p[j]);
		fprintf(out, "\n");
	}
}

size_t kp_kmemleak_report(FILE *out)
{
	size_t nr = 0;

	raw_spin_lock(&live_lock);
	for (struct kmalloc_hdr *h = live_list.next; h != &live_list; h = h->next) {
		nr++;
		if (!out)
			continue;
		fprintf(out, "unreferenced object %p (size %zu):\n", (void *)(h + 1), h->size);
		fprintf(out, "  pid %d\n", h->pid);
		fprintf(out, "  hex dump (first %zu bytes):\n", h->size < 32 ? h->size : 32);
		hex_dump(out, (const unsigned char *)(h + 1), h->size < 32 ? h->size : 32);
		fprintf(out, "  backtrace:\n    [<%p>]\n", h->caller);
	}
	raw_spin_unlock(&live_lock);
	return nr;
}
