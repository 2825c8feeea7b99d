/* SPDX-License-Identifier: MIT */
/*
 * gfp.h - get-free-pages flags: how hard an allocation may try.
 *
 * Bit values follow include/linux/gfp_types.h of Linux 6.x so flags read
 * and print the same as in the kernel. What kprim honours: whether the
 * caller may sleep (__GFP_DIRECT_RECLAIM, checked with might_sleep()),
 * whether it may dip into reserves (__GFP_HIGH), and the failure modifiers
 * (__GFP_NOWARN, __GFP_NOFAIL, __GFP_NORETRY, __GFP_RETRY_MAYFAIL).
 */
#ifndef KPRIM_ALLOC_GFP_H
#define KPRIM_ALLOC_GFP_H

#include "core/compiler.h"

typedef unsigned int gfp_t;

#define __GFP_DMA		0x01u
#define __GFP_HIGHMEM		0x02u
#define __GFP_DMA32		0x04u
#define __GFP_MOVABLE		0x08u
#define __GFP_RECLAIMABLE	0x10u
#define __GFP_HIGH		0x20u
#define __GFP_IO		0x40u
#define __GFP_FS		0x80u
#define __GFP_ZERO		0x100u
#define __GFP_DIRECT_RECLAIM	0x400u
#define __GFP_KSWAPD_RECLAIM	0x800u
#define __GFP_WRITE		0x1000u
#define __GFP_NOWARN		0x2000u
#define __GFP_RETRY_MAYFAIL	0x4000u
#define __GFP_NOFAIL		0x8000u
#define __GFP_NORETRY		0x10000u
#define __GFP_MEMALLOC		0x20000u
#define __GFP_COMP		0x40000u
#define __GFP_NOMEMALLOC	0x80000u
#define __GFP_HARDWALL		0x100000u
#define __GFP_THISNODE		0x200000u
#define __GFP_ACCOUNT		0x400000u

#define __GFP_RECLAIM		(__GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM)

#define GFP_ATOMIC		(__GFP_HIGH | __GFP_KSWAPD_RECLAIM)
#define GFP_KERNEL		(__GFP_RECLAIM | __GFP_IO | __GFP_FS)
#define GFP_KERNEL_ACCOUNT	(GFP_KERNEL | __GFP_ACCOUNT)
#define GFP_NOWAIT		(__GFP_KSWAPD_RECLAIM | __GFP_NOWARN)
#define GFP_NOIO		(__GFP_RECLAIM)
#define GFP_NOFS		(__GFP_RECLAIM | __GFP_IO)
#define GFP_USER		(__GFP_RECLAIM | __GFP_IO | __GFP_FS | __GFP_HARDWALL)

/* The bits below __GFP_BITS_SHIFT are flags (0x200 is unused, as in 6.x); none above is. */
#define __GFP_BITS_SHIFT	23
#define __GFP_BITS_MASK		((gfp_t)((1u << __GFP_BITS_SHIFT) - 1))
/*
 * Flags a slab or a large kmalloc block must not carry (mm/internal.h):
 * zones kmalloc has no caches for, and bits that are no flag at all.
 */
#define GFP_SLAB_BUG_MASK	(__GFP_DMA32 | __GFP_HIGHMEM | ~__GFP_BITS_MASK)

/**
 * gfpflags_allow_blocking - may an allocation with these flags sleep
 * @flags: the allocation's flags
 *
 * include/linux/gfp.h: "allows blocking" means direct reclaim is allowed.
 *
 * Return: true if @flags has __GFP_DIRECT_RECLAIM.
 */
static inline bool gfpflags_allow_blocking(gfp_t flags)
{
	return !!(flags & __GFP_DIRECT_RECLAIM);
}

#endif /* KPRIM_ALLOC_GFP_H */
