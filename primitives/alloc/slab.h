/* SPDX-License-Identifier: MIT */
/*
 * slab.h - kmalloc and friends (include/linux/slab.h).
 *
 * Interim implementation (kmalloc.c): each object is a malloc() block with a
 * small header that links it on a live list, so the edges that callers see
 * are already the kernel's: ZERO_SIZE_PTR for size 0, NULL on array size
 * overflow, KMALLOC_MAX_SIZE, might_sleep() for blocking flags, per-task
 * fail-nth, __GFP_ZERO, the "page allocation failure" warning, and a
 * kmemleak-style report of what is still live. The SLUB design of mm/slub.c
 * (size classes, per-CPU freelists, slub_debug, caches) replaces the inside
 * in the allocator issue; the API stays.
 */
#ifndef KPRIM_ALLOC_SLAB_H
#define KPRIM_ALLOC_SLAB_H

#include <stdio.h>

#include "alloc/gfp.h"

/* kmalloc(0) returns this: distinct from NULL, faults on access. */
#define ZERO_SIZE_PTR		((void *)16)
#define ZERO_OR_NULL_PTR(x)	((uintptr_t)(x) <= (uintptr_t)ZERO_SIZE_PTR)

/* MAX_PAGE_ORDER 10 with 4 KiB pages (include/linux/slab.h). */
#define KMALLOC_MAX_SIZE	(1UL << 22)

void *kmalloc(size_t size, gfp_t flags) __attribute__((malloc, alloc_size(1)));
void kfree(const void *obj);

static inline void *kzalloc(size_t size, gfp_t flags)
{
	return kmalloc(size, flags | __GFP_ZERO);
}

/* NULL on n * size overflow, without a warning, as in the kernel. */
static inline void *kmalloc_array(size_t n, size_t size, gfp_t flags)
{
	size_t bytes;

	if (unlikely(__builtin_mul_overflow(n, size, &bytes)))
		return NULL;
	return kmalloc(bytes, flags);
}

static inline void *kcalloc(size_t n, size_t size, gfp_t flags)
{
	return kmalloc_array(n, size, flags | __GFP_ZERO);
}

/*
 * Fault injection, per task (/proc/thread-self/fail-nth): the n-th
 * allocation from now fails (1 = the next); 0 disables. __GFP_NOFAIL
 * allocations are neither failed nor counted, as in mm/failslab.c.
 */
void kp_fail_nth_set(unsigned int n);
/* What is left of the countdown: 0 once the injected failure has fired. */
unsigned int kp_fail_nth_get(void);

/*
 * Print every live object kmemleak-style to out and return how many there
 * are. With out == NULL, only count.
 */
size_t kp_kmemleak_report(FILE *out);

#endif /* KPRIM_ALLOC_SLAB_H */
