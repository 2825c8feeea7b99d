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

/**
 * vmalloc - allocate virtually contiguous memory
 * @size: how many bytes, up to VMALLOC_MAX_SIZE
 *
 * Whole pages, with an unmapped guard page after them, and GFP_KERNEL
 * semantics.
 * vzalloc() zeroes them; vmalloc_node() takes them from @node;
 * __vmalloc() takes the caller's flags.
 *
 * Context: may sleep (debug variants report KP_REPORT_SLEEP_IN_ATOMIC
 * otherwise).
 *
 * Return: the memory, or NULL on failure; free it with vfree().
 */
void *vmalloc(unsigned long size) __attribute__((malloc));
void *vzalloc(unsigned long size) __attribute__((malloc));
void *vmalloc_node(unsigned long size, int node) __attribute__((malloc));
void *__vmalloc(unsigned long size, gfp_t gfp) __attribute__((malloc));
/**
 * vrealloc - resize a vmalloc area, keeping its contents
 * @p: the area, or NULL (then it acts as __vmalloc())
 * @size: the new size; 0 frees @p and returns NULL
 * @gfp: how to allocate; __GFP_ZERO zeroes what grows
 *
 * Within the pages already mapped the area stays put; otherwise a new
 * area is made, the contents copied (a big one's pages moved), and the
 * old one freed. A @p that is no vmalloc area is reported as
 * KP_REPORT_INVALID_FREE.
 *
 * Return: the area, or NULL on failure with @p intact.
 */
void *vrealloc(const void *p, size_t size, gfp_t gfp);
/**
 * vfree - free a vmalloc area
 * @addr: the area's start, or NULL
 *
 * A pointer that is not the start of a live area is reported as
 * KP_REPORT_INVALID_FREE (or KP_REPORT_DOUBLE_FREE, once freed) and refused.
 *
 * Context: the kernel's is for process context; kprim's never sleeps.
 */
void vfree(const void *addr);
/**
 * is_vmalloc_addr - does an address lie in a vmalloc area
 * @addr: the address
 *
 * Return: true if @addr is in a live vmalloc area, its guard page included.
 */
bool is_vmalloc_addr(const void *addr);
/**
 * vmalloc_size - the size a vmalloc area was asked for
 * @addr: the area's start
 *
 * Return: the size given when it was made or last vrealloc()'ed.
 */
size_t vmalloc_size(const void *addr);

/**
 * kvmalloc_node - kmalloc, falling back to vmalloc where the kernel does
 * @size: how many bytes
 * @flags: how to allocate; see kmalloc()
 * @node: the node to take the memory from, or NUMA_NO_NODE
 *
 * Above a page the kmalloc attempt is made without __GFP_NOFAIL and
 * without warning, and a failure falls back to vmalloc; there is no
 * fallback at or below a page, nor for @flags that cannot sleep. Sizes
 * above INT_MAX are refused, with a warning unless __GFP_NOWARN.
 * kvmalloc(), kvzalloc(), kvmalloc_array() and kvcalloc() are the usual
 * shorthands (the array forms return NULL on overflow).
 *
 * Context: as kmalloc() with @flags.
 *
 * Return: the memory, or NULL on failure; free it with kvfree().
 */
void *kvmalloc_node(size_t size, gfp_t flags, int node) __attribute__((malloc));
/**
 * kvrealloc - resize memory from kvmalloc(), keeping its contents
 * @p: the memory, or NULL
 * @size: the new size
 * @flags: how to allocate
 *
 * Return: the memory, or NULL on failure with @p intact.
 */
void *kvrealloc(const void *p, size_t size, gfp_t flags);
/**
 * kvfree - free memory from kvmalloc(), kmalloc() or vmalloc()
 * @addr: the memory, or NULL
 *
 * Context: as vfree() when @addr is a vmalloc area, else as kfree().
 */
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
