// SPDX-License-Identifier: MIT
/*
 * pin_init.c - the out-of-line walks: a composite's failure unwind and
 * out-of-order drop, chains, arrays, stack slots (init/pin_init.h has the
 * rules, and the inline fast paths).
 *
 * Where pin-init keeps a drop guard per built field (src/__internal.rs,
 * DropGuard), a failed composite here counts the fields it built and
 * drops them back from there: the table is the guards' list. Each walk
 * relies on the contract of what it calls: a failed initializer left its
 * slot with nothing to drop.
 */
#include <errno.h>
#include <string.h>

#include "core/report.h"
#include "init/pin_init.h"

int __pin_field_misfit(const struct pin_struct *ps, const struct pin_field *f)
{
	kp_report(KP_REPORT_INVARIANT, KP_CALLER,
		  "pin-init: the initializer of the field at offset %zu builds %zu bytes, "
		  "the field has %zu (struct of %zu)", f->offset, f->init.size, f->size, ps->size);
	return -EINVAL;
}

/* Field `built` failed: drop the ones before it, the latest first. */
void __pin_struct_unwind(const struct pin_struct *ps, void *slot, unsigned int built)
{
	while (built--) {
		const struct pin_field *f = &ps->fields[built];

		pin_init_drop(&f->init, (char *)slot + f->offset);
	}
}

/* A table listed in another order than the declaration's: drop by ascending offset. */
void __pin_struct_drop_sorted(const struct pin_struct *ps, void *obj)
{
	size_t next = 0;	/* the lowest offset not yet dropped */

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

void __pin_stack_slot_drop(struct pin_stack_slot *s)
{
	if (s->is_init)
		pin_init_drop(s->init, s->obj);
}
