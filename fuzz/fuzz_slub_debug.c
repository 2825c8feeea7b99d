// SPDX-License-Identifier: MIT
/*
 * fuzz_slub_debug.c - deliberate misuse of debug caches: exactly the right
 * report, and an allocator that stays usable.
 *
 * The input makes up to three caches with a fuzzed mix of slub_debug
 * flags (F, Z, P, U; with or without kmalloc's request-size tracking),
 * allocates and frees, and now and then misuses an object on purpose:
 * frees it twice, frees a pointer into its middle, into another cache or
 * into no slab at all, writes past its end or before its start, writes into
 * it or its red zone after freeing it. Before each misuse the target
 * announces the one report that must follow (DOUBLE_FREE, INVALID_FREE,
 * REDZONE or POISON, as the flags allow) and the handler aborts on any
 * other. After it, the cache must hand out and take back objects as
 * before, and at the end of the input every cache must validate clean
 * (debugging repairs what it reports).
 *
 * An object freed for a use-after-free misuse is kept company by a "pin"
 * allocated just after it from the same cache: its slab keeps a live
 * object, so it cannot be given back to the page allocator under the test.
 */
#include <string.h>

#include "expect.h"
#include "fdp.h"

#define MAX_CACHES	3
#define MAX_OBJS	24
#define MAX_OPS		64

struct dcache {
	struct kmem_cache *s;
	unsigned int size;
	slab_flags_t flags;
};

struct dobj {
	unsigned char *p;
	int cache;
	size_t size;	/* asked for: the object size, or less for kmalloc-style */
};

static struct dcache caches[MAX_CACHES];
static struct dobj objs[MAX_OBJS];
static unsigned char foreign[256];

static size_t right_redzone(const struct dcache *c)
{
	size_t aligned = (c->size + 7) & ~(size_t)7;

	return aligned == c->size ? 8 : aligned - c->size;
}

static void *alloc_in(int ci, struct fdp *f, size_t *size)
{
	struct dcache *c = &caches[ci];

	*size = c->size;
	if (c->flags & SLAB_KMALLOC) {
		*size = fdp_range(f, 1, c->size);
		return kmalloc_from_cache(c->s, *size, GFP_KERNEL);
	}
	return kmem_cache_alloc(c->s, GFP_KERNEL);
}

static void op_create(struct fdp *f)
{
	static const slab_flags_t debug[] = { SLAB_CONSISTENCY_CHECKS, SLAB_RED_ZONE,
					      SLAB_POISON, SLAB_STORE_USER };
	struct dcache *c = &caches[fdp_choice(f, MAX_CACHES)];
	slab_flags_t flags = SLAB_NO_USER_FLAGS;

	if (c->s)
		return;
	for (int i = 0; i < 4; i++)
		if (fdp_bool(f))
			flags |= debug[i];
	if (!(flags & (SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER)))
		flags |= SLAB_RED_ZONE;
	if (fdp_bool(f))
		flags |= SLAB_KMALLOC;
	c->size = (unsigned int)fdp_range(f, 8, 256);	/* validation scans every byte */
	c->flags = flags;
	c->s = kmem_cache_create("fuzzdbg", c->size, 0, flags, NULL);
	fuzz_assert(c->s);
}

static struct dobj *slot(struct fdp *f, bool live)
{
	struct dobj *o = &objs[fdp_choice(f, MAX_OBJS)];

	return (o->p != NULL) == live ? o : NULL;
}

static void op_alloc(struct fdp *f)
{
	struct dobj *o = slot(f, false);
	int ci = (int)fdp_choice(f, MAX_CACHES);

	if (!o || !caches[ci].s)
		return;
	o->p = alloc_in(ci, f, &o->size);
	fuzz_assert(o->p);
	o->cache = ci;
	memset(o->p, 0x11, o->size);
}

static void op_free(struct fdp *f)
{
	struct dobj *o = slot(f, true);

	if (!o)
		return;
	kmem_cache_free(caches[o->cache].s, o->p);
	o->p = NULL;
}

/* Write a byte that differs from what debugging expects there. */
static void clobber(unsigned char *p, struct fdp *f)
{
	*p ^= (unsigned char)fdp_range(f, 1, 255);
}

static void op_misuse(struct fdp *f)
{
	int ci = (int)fdp_choice(f, MAX_CACHES);
	struct dcache *c = &caches[ci];
	unsigned char *victim, *pin = NULL;
	size_t size;

	if (!c->s)
		return;
	victim = alloc_in(ci, f, &size);
	fuzz_assert(victim);
	switch (fdp_choice(f, 8)) {
	case 0:		/* double free */
		pin = alloc_in(ci, f, &(size_t){ 0 });
		kmem_cache_free(c->s, victim);
		fuzz_expect_report(KP_REPORT_DOUBLE_FREE);
		kmem_cache_free(c->s, victim);
		break;
	case 1:		/* a pointer into the object */
		fuzz_expect_report(KP_REPORT_INVALID_FREE);
		kmem_cache_free(c->s, victim + fdp_range(f, 1, c->size - 1));
		kmem_cache_free(c->s, victim);
		break;
	case 2: {	/* another cache's object, or no slab's */
		int other = (ci + 1 + (int)fdp_choice(f, MAX_CACHES - 1)) % MAX_CACHES;

		fuzz_expect_report(KP_REPORT_INVALID_FREE);
		if (caches[other].s && fdp_bool(f))
			kmem_cache_free(caches[other].s, victim);
		else
			kmem_cache_free(c->s, foreign + fdp_choice(f, sizeof(foreign)));
		kmem_cache_free(c->s, victim);
		break;
	}
	case 3:		/* past the end, while allocated: caught at free */
		if (!(c->flags & SLAB_RED_ZONE))
			goto plain;
		clobber(victim + size + fdp_choice(f, (unsigned int)(c->size - size +
							     right_redzone(c))), f);
		fuzz_expect_report(KP_REPORT_REDZONE);
		kmem_cache_free(c->s, victim);
		break;
	case 4:		/* before the start */
		if (!(c->flags & SLAB_RED_ZONE))
			goto plain;
		clobber(victim - 1 - fdp_choice(f, 8), f);
		fuzz_expect_report(KP_REPORT_REDZONE);
		kmem_cache_free(c->s, victim);
		break;
	case 5:		/* into the object after free: poison */
		if (!(c->flags & SLAB_POISON))
			goto plain;
		pin = alloc_in(ci, f, &(size_t){ 0 });
		kmem_cache_free(c->s, victim);
		clobber(victim + fdp_choice(f, c->size), f);
		fuzz_expect_report(KP_REPORT_POISON);
		fuzz_assert(kmem_cache_validate(c->s) == 1);
		break;
	case 6:		/* into the red zone after free */
		if (!(c->flags & SLAB_RED_ZONE))
			goto plain;
		pin = alloc_in(ci, f, &(size_t){ 0 });
		kmem_cache_free(c->s, victim);
		clobber(victim + c->size + fdp_choice(f, (unsigned int)right_redzone(c)), f);
		fuzz_expect_report(KP_REPORT_REDZONE);
		fuzz_assert(kmem_cache_validate(c->s) == 1);
		break;
	default:
	plain:
		kmem_cache_free(c->s, victim);
		break;
	}
	fuzz_step_done();
	if (pin)
		kmem_cache_free(c->s, pin);
	/* Still working (teardown validates that everything was repaired). */
	victim = alloc_in(ci, f, &size);
	fuzz_assert(victim);
	kmem_cache_free(c->s, victim);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static void (*const ops[])(struct fdp *) = {
		op_create, op_alloc, op_alloc, op_free, op_misuse, op_misuse,
	};
	struct fdp f;

	fdp_init(&f, data, size);
	for (int n = 0; n < MAX_OPS && !fdp_empty(&f); n++) {
		fdp_pick(&f, ops)(&f);
		fuzz_step_done();
	}
	for (int i = 0; i < MAX_OBJS; i++) {
		if (objs[i].p)
			kmem_cache_free(caches[objs[i].cache].s, objs[i].p);
		objs[i].p = NULL;
	}
	for (int i = 0; i < MAX_CACHES; i++) {
		if (caches[i].s) {
			fuzz_assert(kmem_cache_validate(caches[i].s) == 0);
			kmem_cache_destroy(caches[i].s);
		}
		caches[i].s = NULL;
	}
	fuzz_assert(kp_kmemleak_report(NULL) == 0);
	return 0;
}
