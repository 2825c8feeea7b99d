/* SPDX-License-Identifier: MIT */
/*
 * vmalloc.h - virtually contiguous allocations (include/linux/vmalloc.h)
 * and kvmalloc, which tries kmalloc first (include/linux/slab.h,
 * mm/util.c).
 *
 * vmalloc areas are whole pages with an unmapped guard page after each,
 * so running off the end faults. kvmalloc follows Linux 6.x (mm/util.c
 * before 6.12 moved it to mm/slub.c, and before the late-2025 change that
 * lets non-blocking callers fall back): for sizes above a page the kmalloc
 * try gets __GFP_NOWARN, __GFP_NORETRY unless __GFP_RETRY_MAYFAIL, and
 * never __GFP_NOFAIL ("implemented by the vmalloc fallback"); there is no
 * fallback at or below a page, nor for callers that cannot sleep; sizes
 * above INT_MAX are refused with a warning unless __GFP_NOWARN.
 */
#ifndef KPRIM_ALLOC_VMALLOC_H
#define KPRIM_ALLOC_VMALLOC_H

#include <limits.h>

#include "alloc/slab.h"

/* The largest vmalloc area kprim hands out (the kernel's is "total RAM"). */
#define VMALLOC_MAX_SIZE	(1UL << 40)

void *vmalloc(unsigned long size) __attribute__((malloc));
void *vzalloc(unsigned long size) __attribute__((malloc));
void *vmalloc_node(unsigned long size, int node) __attribute__((malloc));
void *__vmalloc(unsigned long size, gfp_t gfp) __attribute__((malloc));
/*
 * Resize a vmalloc area (mm/vmalloc.c vrealloc): size 0 frees and returns
 * NULL; within the pages already mapped the area stays put; otherwise a new
 * area, the contents copied (a big one's pages moved), the old one freed.
 * NULL on failure, p intact.
 */
void *vrealloc(const void *p, size_t size, gfp_t gfp);
void vfree(const void *addr);
/* Whether addr lies in a vmalloc area (its guard page included). */
bool is_vmalloc_addr(const void *addr);
/* The size asked for when the area at addr was made (or last vrealloc'ed). */
size_t vmalloc_size(const void *addr);

void *kvmalloc_node(size_t size, gfp_t flags, int node) __attribute__((malloc));
void *kvrealloc(const void *p, size_t size, gfp_t flags);
void kvfree(const void *addr);

static inline void *kvmalloc(size_t size, gfp_t flags)
{
	return kvmalloc_node(size, flags, NUMA_NO_NODE);
}

static inline void *kvzalloc(size_t size, gfp_t flags)
{
	return kvmalloc(size, flags | __GFP_ZERO);
}

static inline void *kvmalloc_array(size_t n, size_t size, gfp_t flags)
{
	size_t bytes;

	if (unlikely(__builtin_mul_overflow(n, size, &bytes)))
		return NULL;
	return kvmalloc(bytes, flags);
}

static inline void *kvcalloc(size_t n, size_t size, gfp_t flags)
{
	return kvmalloc_array(n, size, flags | __GFP_ZERO);
}

#endif /* KPRIM_ALLOC_VMALLOC_H */
