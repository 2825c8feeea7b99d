// SPDX-License-Identifier: MIT
/*
 * arc.c - allocation and last-put of struct arc.
 *
 * The memory comes from kmalloc() so it is accounted by kprim's leak
 * tracking and fails under fault injection like any kernel allocation.
 */
#include <errno.h>
#include <string.h>

#include "alloc/slab.h"
#include "ref/arc.h"

static struct arc *arc_alloc(size_t size, arc_drop_fn drop, const struct pin_init *init,
			     gfp_t gfp)
{
	struct arc *arc;
	size_t bytes;

	if (__builtin_add_overflow(sizeof(*arc), size, &bytes))
		return NULL;
	arc = kmalloc(bytes, gfp);
	if (!arc)
		return NULL;
	refcount_set(&arc->refcount, 1);
	arc->drop = drop;
	arc->init = init;
	return arc;
}

struct arc *arc_new(const void *value, size_t size, arc_drop_fn drop, gfp_t gfp)
{
	struct arc *arc = arc_alloc(size, drop, NULL, gfp);

	if (!arc)
		return NULL;
	if (value)
		memcpy(arc->payload, value, size);
	else
		memset(arc->payload, 0, size);
	return arc;
}

struct arc *arc_pin_init(const struct pin_init *init, gfp_t gfp)
{
	struct arc *arc = arc_alloc(init->size, NULL, init, gfp);
	int err;

	if (!arc)
		return ERR_PTR(-ENOMEM);
	err = pin_init_run(init, arc->payload);
	if (err) {
		kfree(arc);
		return ERR_PTR(err);
	}
	return arc;
}

bool arc_put(struct arc *arc)
{
	if (!refcount_dec_and_test(&arc->refcount))
		return false;
	if (arc->drop)
		arc->drop(arc->payload);
	if (arc->init)
		pin_init_drop(arc->init, arc->payload);
	kfree(arc);
	return true;
}

static void arc_aref_inc(void *payload)
{
	arc_clone(arc_from_payload(payload));
}

static void arc_aref_dec(void *payload)
{
	arc_put(arc_from_payload(payload));
}

const struct aref_ops arc_aref_ops = {
	.inc_ref = arc_aref_inc,
	.dec_ref = arc_aref_dec,
};
