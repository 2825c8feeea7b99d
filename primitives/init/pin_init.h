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
 * object it built, as a type's drop does). The walks that build and drop
 * a composite and a box are inline here, so that a constant table
 * compiles to direct calls (see __pin_struct_init()); the failure unwind,
 * out-of-order drops, chains, arrays and stack slots are pin_init.c's.
 * Where an initializer runs: a caller's slot
 * (pin_init_run(), core/pin.h), a fresh allocation (kbox_pin_init()), an
 * Arc (arc_pin_init(), ref/arc.h) and the stack (STACK_PIN_INIT()).
 */
#ifndef KPRIM_INIT_PIN_INIT_H
#define KPRIM_INIT_PIN_INIT_H

#include <stdbool.h>
#include <stddef.h>

#include <errno.h>

#include "alloc/gfp.h"
#include "alloc/slab.h"
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

/*
 * The composite walks are inline: a table that is a compile-time constant
 * (a file-scope const, the usual case) then turns into direct, inlined
 * calls of each field's initializer, as the same code written by hand.
 * The failure unwind and a drop in another order than the table's are
 * out of line (pin_init.c).
 */
void __pin_struct_unwind(const struct pin_struct *ps, void *slot, unsigned int built);
void __pin_struct_drop_sorted(const struct pin_struct *ps, void *obj);
int __pin_field_misfit(const struct pin_struct *ps, const struct pin_field *f);

/*
 * Zero a composite. A constant size becomes 16-byte stores: GCC turns
 * memset() of a size that is no multiple of 16 (and a plain zeroing loop,
 * which it recognizes as one) into rep stos, whose start-up alone costs
 * more than the rest of a small object's build.
 */
typedef uint64_t __pin_v16 __attribute__((vector_size(16), aligned(1), may_alias));
typedef uint64_t __pin_u64 __attribute__((aligned(1), may_alias));
typedef uint32_t __pin_u32 __attribute__((aligned(1), may_alias));

static __always_inline void __pin_zero(void *slot, size_t size)
{
	char *p = slot;

	if (!__builtin_constant_p(size) || size > 128) {
		__builtin_memset(slot, 0, size);
		return;
	}
	_Pragma("GCC unroll 8")
	for (size_t i = 0; i < size / 16; i++)
		*(__pin_v16 *)(p + 16 * i) = (__pin_v16){ 0, 0 };
	p += size & ~(size_t)15;
	if (size & 8) {
		*(__pin_u64 *)p = 0;
		p += 8;
	}
	if (size & 4) {
		*(__pin_u32 *)p = 0;
		p += 4;
	}
	for (size_t i = 0; i < (size & 3); i++)
		p[i] = 0;
}

/* Debug builds: a field's initializer builds an object of the field's size. */
static __always_inline bool __pin_field_fits(const struct pin_struct *ps,
					     const struct pin_field *f)
{
#ifdef KP_DEBUG
	return likely(f->init.size == f->size && f->offset + f->size <= ps->size);
#else
	(void)ps, (void)f;
	return true;
#endif
}

static inline int __pin_struct_init(void *slot, const void *arg)
{
	const struct pin_struct *ps = arg;

	if (ps->zeroed)
		__pin_zero(slot, ps->size);
	/* Unrolled, a constant table's fields fold into direct calls and copies. */
	_Pragma("GCC unroll 8")
	for (unsigned int i = 0; i < ps->nr_fields; i++) {
		const struct pin_field *f = &ps->fields[i];
		char *at = (char *)slot + f->offset;
		int err = 0;

		if (unlikely(!__pin_field_fits(ps, f)))
			err = __pin_field_misfit(ps, f);
		else
			err = pin_init_run(&f->init, at);
		if (unlikely(err)) {
			__pin_struct_unwind(ps, slot, i);
			return err;
		}
	}
	return 0;
}

static inline void __pin_struct_drop(void *obj, const void *arg)
{
	const struct pin_struct *ps = arg;

	if (ps->pinned_drop)
		ps->pinned_drop(obj);
	/* Declaration order is ascending offset: the table's own when it lists them so. */
	for (unsigned int i = 1; i < ps->nr_fields; i++)
		if (ps->fields[i].offset < ps->fields[i - 1].offset) {
			__pin_struct_drop_sorted(ps, obj);
			return;
		}
	_Pragma("GCC unroll 8")
	for (unsigned int i = 0; i < ps->nr_fields; i++)
		pin_init_drop(&ps->fields[i].init, (char *)obj + ps->fields[i].offset);
}


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
static inline void *kbox_pin_init(const struct pin_init *init, gfp_t gfp)
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
/**
 * kbox_drop - drop an object kbox_pin_init() built, and free it
 * @init: the initializer that built it
 * @obj: the object; NULL and error pointers are ignored
 */
static inline void kbox_drop(const struct pin_init *init, void *obj)
{
	if (!obj || IS_ERR(obj))
		return;
	pin_init_drop(init, obj);
	kfree(obj);
}

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
