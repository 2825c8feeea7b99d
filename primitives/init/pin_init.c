// SPDX-License-Identifier: MIT
/*
 * pin_init.c - the walks over composite, chain and array tables, and the
 * places an initializer runs (init/pin_init.h has the rules).
 *
 * Where pin-init keeps a drop guard per built field (src/__internal.rs,
 * DropGuard), a failed composite here counts the fields it built and
 * drops them back from there: the table is the guards' list. Each walk
 * relies on the contract of what it calls: a failed initializer left its
 * slot with nothing to drop.
 */
#include <errno.h>
#include <string.h>

#include "alloc/slab.h"
#include "core/report.h"
#include "init/pin_init.h"

int __pin_value_init(void *slot, const void *arg)
{
	const struct pin_value *v = arg;

	memcpy(slot, v->bytes, v->size);
	return 0;
}

/* Debug builds: a field's initializer builds an object of the field's size. */
static bool field_fits(const struct pin_struct *ps, const struct pin_field *f)
{
#ifdef KP_DEBUG
	if (unlikely(f->init.size != f->size || f->offset + f->size > ps->size)) {
		kp_report(KP_REPORT_INVARIANT, KP_CALLER,
			  "pin-init: the initializer of the field at offset %zu builds %zu bytes, "
			  "the field has %zu (struct of %zu)", f->offset, f->init.size, f->size,
			  ps->size);
		return false;
	}
#else
	(void)ps, (void)f;
#endif
	return true;
}

int __pin_struct_init(void *slot, const void *arg)
{
	const struct pin_struct *ps = arg;
	unsigned int built;
	int err = 0;

	if (ps->zeroed)
		memset(slot, 0, ps->size);
	for (built = 0; built < ps->nr_fields; built++) {
		const struct pin_field *f = &ps->fields[built];

		err = field_fits(ps, f) ? pin_init_run(&f->init, (char *)slot + f->offset) : -EINVAL;
		if (unlikely(err))
			break;
	}
	if (likely(!err))
		return 0;
	/* Field `built` failed: drop the ones before it, the latest first. */
	while (built--) {
		const struct pin_field *f = &ps->fields[built];

		pin_init_drop(&f->init, (char *)slot + f->offset);
	}
	return err;
}

void __pin_struct_drop(void *obj, const void *arg)
{
	const struct pin_struct *ps = arg;
	size_t next = 0;	/* the lowest offset not yet dropped */

	if (ps->pinned_drop)
		ps->pinned_drop(obj);
	/* Declaration order is ascending offset; the table may list another order. */
	for (;;) {
		const struct pin_field *lowest = NULL;

		for (unsigned int i = 0; i < ps->nr_fields; i++) {
			const struct pin_field *f = &ps->fields[i];

			if (f->offset >= next && (!lowest || f->offset < lowest->offset))
				lowest = f;
		}
		if (!lowest)
			return;
		pin_init_drop(&lowest->init, (char *)obj + lowest->offset);
		next = lowest->offset + (lowest->size ? lowest->size : 1);
	}
}

int __pin_chain_init(void *slot, const void *arg)
{
	const struct pin_chain *c = arg;
	int err = pin_init_run(c->first, slot);

	if (err)
		return err;
	err = c->post(slot);
	if (err)
		pin_init_drop(c->first, slot);	/* the whole object, pinned drop included */
	return err;
}

void __pin_chain_drop(void *obj, const void *arg)
{
	const struct pin_chain *c = arg;

	pin_init_drop(c->first, obj);
}

static void array_drop_first(const struct pin_array *a, void *obj, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		struct pin_init e = a->make(i, a->arg);

		pin_init_drop(&e, (char *)obj + (size_t)i * a->elem_size);
	}
}

int __pin_array_init(void *slot, const void *arg)
{
	const struct pin_array *a = arg;

	for (unsigned int i = 0; i < a->nr; i++) {
		struct pin_init e = a->make(i, a->arg);
		int err = pin_init_run(&e, (char *)slot + (size_t)i * a->elem_size);

		if (unlikely(err)) {
			array_drop_first(a, slot, i);	/* 0..i-1, ascending */
			return err;
		}
	}
	return 0;
}

void __pin_array_drop(void *obj, const void *arg)
{
	const struct pin_array *a = arg;

	array_drop_first(a, obj, a->nr);
}

void *kbox_pin_init(const struct pin_init *init, gfp_t gfp)
{
	void *obj = kmalloc(init->size, gfp);
	int err;

	if (unlikely(!obj))
		return ERR_PTR(-ENOMEM);	/* the initializer never runs */
	err = pin_init_run(init, obj);
	if (unlikely(err)) {
		kfree(obj);			/* nothing to drop: the contract */
		return ERR_PTR(err);
	}
	return obj;
}

void kbox_drop(const struct pin_init *init, void *obj)
{
	if (!obj || IS_ERR(obj))
		return;
	pin_init_drop(init, obj);
	kfree(obj);
}

void __pin_stack_slot_drop(struct pin_stack_slot *s)
{
	if (s->is_init)
		pin_init_drop(s->init, s->obj);
}
