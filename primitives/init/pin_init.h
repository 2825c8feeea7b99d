/* SPDX-License-Identifier: MIT */
/*
 * pin_init.h - pinned initialization: composite initializers and where
 * they run, after Rust-for-Linux's pin-init (src/lib.rs, src/__internal.rs,
 * src/alloc.rs; rust/kernel/init.rs).
 *
 * An initializer (struct pin_init, core/pin.h) builds an object at its
 * final address or fails leaving nothing behind. This file composes them:
 *
 *	struct dev {
 *		struct mutex lock;
 *		refcount_t refs;
 *		struct kvec items;
 *	};
 *	static const struct pin_field dev_fields[] = {
 *		PIN_FIELD(struct dev, lock, MUTEX_PIN_INIT("dev->lock")),
 *		PIN_FIELD(struct dev, refs, REFCOUNT_PIN_INIT(1)),
 *		PIN_FIELD(struct dev, items, KVEC_PIN_INIT(int, KVEC_KMALLOC, 8, GFP_KERNEL)),
 *	};
 *	static const struct pin_init dev_init = PIN_STRUCT(struct dev, dev_fields);
 *
 *	struct dev *d = kbox_pin_init(&dev_init, GFP_KERNEL);	(or ERR_PTR)
 *	...
 *	kbox_drop(&dev_init, d);
 *
 * The rules are pin-init's (pin_init!, PinnedDrop, Zeroable, chain,
 * init_array_from_fn):
 *
 *  - a composite runs its fields in the order its table lists them; when
 *    field k fails, fields k-1..0 are dropped (the reverse order), the
 *    failed one is not, the pinned drop does not run, and field k's errno
 *    is returned unchanged;
 *  - a built composite drops with its pinned-drop hook first, then its
 *    fields in declaration order (ascending offset), each once;
 *  - a zeroed composite zeroes the slot first; fields it does not list stay
 *    zero and are never dropped;
 *  - a chain runs a post-step on the built object; if the step fails the
 *    whole object is dropped (pinned drop included) and its errno returned;
 *  - an array builds element i from its maker's initializer i; when
 *    element k fails, elements 0..k-1 are dropped in ascending order, and
 *    a built array drops in ascending order too.
 *
 * The tables are data (file-scope const, so an initializer outlives any
 * object it built, as a type's drop does); the code that walks them is
 * pin_init.c. Where an initializer runs: a caller's slot
 * (pin_init_run(), core/pin.h), a fresh allocation (kbox_pin_init()), an
 * Arc (arc_pin_init(), ref/arc.h) and the stack (STACK_PIN_INIT()).
 */
#ifndef KPRIM_INIT_PIN_INIT_H
#define KPRIM_INIT_PIN_INIT_H

#include <stdbool.h>
#include <stddef.h>

#include "alloc/gfp.h"
#include "core/pin.h"

/* One field of a composite: where it sits and what builds it. */
struct pin_field {
	size_t offset;
	size_t size;			/* the member's, checked against init.size in debug builds */
	struct pin_init init;
};

/* A composite's table (PIN_STRUCT() and PIN_STRUCT_ZEROED() build one). */
struct pin_struct {
	const struct pin_field *fields;	/* in the order they are built */
	unsigned int nr_fields;
	size_t size;
	bool zeroed;			/* zero the slot first; unlisted fields stay zero */
	void (*pinned_drop)(void *obj);	/* PinnedDrop::drop: first at the drop; NULL for none */
};

int __pin_struct_init(void *slot, const void *arg);
void __pin_struct_drop(void *obj, const void *arg);

#define __PIN_MEMBER_SIZE(type, member)	sizeof(((type *)0)->member)

/**
 * PIN_FIELD - a field of a composite initializer
 * @type: the struct
 * @member: the field
 * @initializer: a struct pin_init that builds it (MUTEX_PIN_INIT(...), a
 *               nested PIN_STRUCT(...), PIN_VALUE(...), ...)
 */
#define PIN_FIELD(type, member, initializer)						\
	{ offsetof(type, member), __PIN_MEMBER_SIZE(type, member), initializer }

/**
 * PIN_VALUE - an initializer that writes a value (pin_init!'s "field: expr")
 * @type: the value's type
 * @value: a constant expression
 *
 * Never fails; nothing to drop.
 */
#define PIN_VALUE(type, value)								\
	((struct pin_init){ .init = __pin_value_init, .size = sizeof(type),		\
			    .arg = &(const struct pin_value){ &(const type){ value },	\
							      sizeof(type) } })
struct pin_value {
	const void *bytes;
	size_t size;
};
int __pin_value_init(void *slot, const void *arg);

#define __PIN_STRUCT(type, table, zero, ...)						\
	((struct pin_init){ .init = __pin_struct_init, .drop = __pin_struct_drop,		\
			    .size = sizeof(type),					\
			    .arg = &(const struct pin_struct){				\
				.fields = (table),					\
				.nr_fields = sizeof(table) / sizeof((table)[0]),	\
				.size = sizeof(type), .zeroed = (zero), __VA_ARGS__ } })
/**
 * PIN_STRUCT - a composite initializer (pin_init!)
 * @type: the struct
 * @table: its struct pin_field array, in the order the fields are built
 * @...: optionally .pinned_drop = fn, run first when the object drops
 *
 * Every field the struct has must be listed, or hold no value that
 * matters: only listed fields are written.
 */
#define PIN_STRUCT(type, table, ...)	__PIN_STRUCT(type, table, false, __VA_ARGS__)
/**
 * PIN_STRUCT_ZEROED - a composite initializer over a zeroed slot (..Zeroable::zeroed())
 * @type: the struct
 * @table: its listed fields, built after the zeroing
 * @...: optionally .pinned_drop = fn
 */
#define PIN_STRUCT_ZEROED(type, table, ...)	__PIN_STRUCT(type, table, true, __VA_ARGS__)

/* A chain's table (PIN_CHAIN()). */
struct pin_chain {
	const struct pin_init *first;
	int (*post)(void *obj);		/* 0, or -errno: then the object is dropped */
};

int __pin_chain_init(void *slot, const void *arg);
void __pin_chain_drop(void *obj, const void *arg);

/**
 * PIN_CHAIN - an initializer, then a step on the built object (pin_chain)
 * @type: the object's type
 * @first: the initializer (a pointer to a file-scope struct pin_init)
 * @post: int post(void *obj): 0, or a negative errno, on which the whole
 *        object is dropped (its pinned drop included) and the errno returned
 *
 * Drops as @first does.
 */
#define PIN_CHAIN(type, first, post)							\
	((struct pin_init){ .init = __pin_chain_init, .drop = __pin_chain_drop,		\
			    .arg = &(const struct pin_chain){ (first), (post) },	\
			    .size = sizeof(type) })

/* An array's table (PIN_ARRAY()). */
struct pin_array {
	size_t elem_size;
	unsigned int nr;
	struct pin_init (*make)(unsigned int i, const void *arg);	/* element i's initializer */
	const void *arg;
};

int __pin_array_init(void *slot, const void *arg);
void __pin_array_drop(void *obj, const void *arg);

/**
 * PIN_ARRAY - an array built element by element (pin_init_array_from_fn)
 * @type: the element type
 * @n: the number of elements
 * @make_fn: struct pin_init make(unsigned int i, const void *arg): element
 *           i's initializer, the same every time it is asked (drops ask again)
 * @make_arg: passed to @make_fn
 */
#define PIN_ARRAY(type, n, make_fn, make_arg)						\
	((struct pin_init){ .init = __pin_array_init, .drop = __pin_array_drop,		\
			    .arg = &(const struct pin_array){ sizeof(type), (n), (make_fn),	\
							      (make_arg) },			\
			    .size = sizeof(type) * (n) })

/**
 * kbox_pin_init - build an object in a fresh allocation (KBox::pin_init)
 * @init: the initializer
 * @gfp: how to allocate @init->size bytes
 *
 * If the allocation fails the initializer never runs; if the initializer
 * fails the memory is freed without a drop.
 *
 * Context: as kmalloc() with @gfp, and the initializer's own.
 *
 * Return: the object, ERR_PTR(-ENOMEM), or ERR_PTR() of the initializer's errno.
 */
void *kbox_pin_init(const struct pin_init *init, gfp_t gfp);
/**
 * kbox_drop - drop an object kbox_pin_init() built, and free it
 * @init: the initializer that built it
 * @obj: the object; NULL and error pointers are ignored
 */
void kbox_drop(const struct pin_init *init, void *obj);

/* A stack slot's guard (STACK_PIN_INIT()): the object is dropped at scope end if built. */
struct pin_stack_slot {
	const struct pin_init *init;
	void *obj;
	bool is_init;
};

void __pin_stack_slot_drop(struct pin_stack_slot *s);

static inline int __pin_stack_slot_run(struct pin_stack_slot *s)
{
	int err = pin_init_run(s->init, s->obj);

	s->is_init = !err;
	return err;
}

/**
 * STACK_PIN_INIT - build an object on the stack (stack_try_pin_init!)
 * @type: the object's type
 * @name: declares type *name, the object, or NULL if the initializer
 *        failed, and int name##_err, 0 or the errno
 * @initializer: a pointer to the struct pin_init
 *
 * The object is dropped when the scope ends, if it was built; it must
 * not be returned or kept. As with the guards (sync/cleanup.h): no goto
 * into or across the scope.
 */
#define STACK_PIN_INIT(type, name, initializer)					\
	type name##__slot;								\
	struct pin_stack_slot name##__guard						\
		__attribute__((cleanup(__pin_stack_slot_drop))) =				\
			{ .init = (initializer), .obj = &name##__slot };		\
	int name##_err = __pin_stack_slot_run(&name##__guard);				\
	type *name = name##_err ? NULL : &name##__slot

#endif /* KPRIM_INIT_PIN_INIT_H */
