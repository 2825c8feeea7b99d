// SPDX-License-Identifier: MIT
/*
 * kvec.c - growth of struct kvec through its allocator's realloc.
 */
#include <errno.h>
#include <string.h>

#include "alloc/kvec.h"

void kvec_init(struct kvec *v, size_t elem_size, enum kvec_alloc alloc)
{
	*v = (struct kvec){ .elem_size = elem_size, .alloc = alloc };
}

static void *kvec_realloc(const struct kvec *v, size_t bytes, gfp_t gfp)
{
	switch (v->alloc) {
	case KVEC_KMALLOC:
		return krealloc(v->data, bytes, gfp);
	case KVEC_VMALLOC:
		return vrealloc(v->data, bytes, gfp);
	case KVEC_KVMALLOC:
		return kvrealloc(v->data, bytes, gfp);
	}
	return NULL;
}

int kvec_reserve(struct kvec *v, size_t additional, gfp_t gfp)
{
	size_t need, cap, bytes;
	void *data;

	if (v->cap - v->len >= additional)
		return 0;
	if (!v->elem_size)
		return additional <= SIZE_MAX - v->len ? 0 : -ENOMEM;
	if (__builtin_add_overflow(v->len, additional, &need))
		return -ENOMEM;
	cap = v->cap > SIZE_MAX / 2 ? SIZE_MAX : 2 * v->cap;
	if (cap < need)
		cap = need;
	if (__builtin_mul_overflow(cap, v->elem_size, &bytes))
		return -ENOMEM;
	data = kvec_realloc(v, bytes, gfp);
	if (!data)
		return -ENOMEM;
	v->data = data;
	v->cap = cap;
	return 0;
}

int kvec_extend_from_slice(struct kvec *v, const void *elems, size_t n, gfp_t gfp)
{
	int err = kvec_reserve(v, n, gfp);

	if (err)
		return err;
	if (n && v->elem_size)	/* zero-sized elements own no storage */
		memcpy(kvec_at(v, v->len), elems, n * v->elem_size);
	v->len += n;
	return 0;
}

int kvec_push_slowpath(struct kvec *v, const void *elem, gfp_t gfp)
{
	return kvec_extend_from_slice(v, elem, 1, gfp);
}

void kvec_truncate(struct kvec *v, size_t len)
{
	if (len < v->len)
		v->len = len;
}

int __kvec_pin_init(void *slot, const void *arg)
{
	const struct kvec_pin_arg *a = arg;
	struct kvec *v = slot;
	int err;

	kvec_init(v, a->elem_size, a->alloc);
	err = a->capacity ? kvec_reserve(v, a->capacity, a->gfp) : 0;
	return err;	/* a failed reserve leaves v empty: nothing to drop */
}

void __kvec_pin_drop(void *obj, const void *arg)
{
	(void)arg;
	kvec_free(obj);
}

void kvec_free(struct kvec *v)
{
	if (v->alloc == KVEC_KMALLOC)
		kfree(v->data);
	else
		kvfree(v->data);
	v->data = NULL;
	v->len = v->cap = 0;
}
