/* SPDX-License-Identifier: MIT */
/*
 * pin.h - what every pinned type shares: the initializer value, and the
 * debug anchor that tells a pinned object from a moved or dropped one.
 *
 * An initializer (Rust-for-Linux pin-init's PinInit, src/lib.rs) is a
 * value: given a slot at the object's final address it builds the object
 * there and returns 0, or returns a negative errno having left the slot as
 * it found it (nothing to drop, nothing partly built, free to deallocate).
 * With it comes the drop that undoes a whole build: a type's drop, which
 * is why an initializer that must outlive its call (an Arc's, a module's)
 * is a file-scope object. The core holds only this value, so each type
 * defines its initializer beside itself (MUTEX_PIN_INIT in sync/mutex.h,
 * KVEC_PIN_INIT in alloc/kvec.h, REFCOUNT_PIN_INIT in ref/refcount.h)
 * and init/ composes them (init/pin_init.h).
 *
 * The anchor, in debug builds: a pinned type embeds a struct pin_anchor
 * that its init points at itself. An object found anywhere else was moved
 * (or copied, or never initialised); one whose anchor says "dropped" is
 * used after its drop, and a second drop is a double drop. Each is a
 * report, and the operation is refused.
 */
#ifndef KPRIM_CORE_PIN_H
#define KPRIM_CORE_PIN_H

#include <stdbool.h>
#include <stddef.h>

#include "core/compiler.h"

/**
 * struct pin_init - an initializer: how to build an object in place, and drop it
 * @init: builds the object at @slot, its final address; returns 0, or a
 *        negative errno with the slot left as it was found. NULL for a
 *        value (PIN_VALUE()): the @size bytes at @arg are copied in
 * @drop: undoes a build that returned 0 (the type's drop); NULL when there
 *        is nothing to drop
 * @arg: what @init and @drop are given
 * @size: the object's size in bytes, for the callers that allocate it
 */
struct pin_init {
	int (*init)(void *slot, const void *arg);
	void (*drop)(void *obj, const void *arg);
	const void *arg;
	size_t size;
};

/**
 * pin_init_run - run an initializer into a caller's slot
 * @init: the initializer
 * @slot: valid, uninitialized memory of at least @init->size bytes, at the
 *        address the object keeps until its drop
 *
 * Return: 0 with the object built, or a negative errno with @slot as it
 * was (the caller may free it; nothing is to be dropped).
 */
static __always_inline int pin_init_run(const struct pin_init *init, void *slot)
{
	if (!init->init) {
		__builtin_memcpy(slot, init->arg, init->size);
		return 0;
	}
	return init->init(slot, init->arg);
}

/**
 * pin_init_drop - drop, in place, an object an initializer built
 * @init: the initializer that built it
 * @obj: the object; its memory is the caller's to free after
 */
static __always_inline void pin_init_drop(const struct pin_init *init, void *obj)
{
	if (init->drop)
		init->drop(obj, init->arg);
}

/**
 * PIN_VALUE - an initializer that writes a value (pin_init!'s "field: expr")
 * @type: the value's type
 * @value: what goes between the braces of (type){ ... }: a constant
 *         expression, or designators (.refs = 1)
 *
 * Never fails; nothing to drop. Its init is NULL: a copy, which a
 * constant table's walk inlines.
 */
#define PIN_VALUE(type, value)								\
	((struct pin_init){ .arg = &(const type){ value }, .size = sizeof(type) })

#ifdef KP_DEBUG
/* Itself while the object lives where it was built; PIN_ANCHOR_DROPPED after its drop. */
struct pin_anchor {
	const struct pin_anchor *self;
};

#define PIN_ANCHOR_DROPPED	((const struct pin_anchor *)0x6b6b6b6b6b6b6b6bUL)
/* A static initializer of an anchor member (DEFINE_MUTEX). */
#define PIN_ANCHOR_INIT(anchor)	{ .self = &(anchor) }

/**
 * pin_anchor_set - anchor a pinned object where its init built it
 * @a: the object's anchor
 */
static inline void pin_anchor_set(struct pin_anchor *a)
{
	a->self = a;
}

bool __pin_anchor_report(const struct pin_anchor *a, const char *type, const void *obj,
			 void *ip, bool dropping);

/**
 * pin_anchor_check - is a pinned object alive where it was built?
 * @a: the object's anchor
 * @type: the type's name, for the report ("mutex")
 * @obj: the object, for the report
 * @ip: the calling code, for the report
 *
 * Reports KP_REPORT_PINNED_MOVED for an object that was moved or copied,
 * never initialised, or dropped (a use after its drop).
 *
 * Return: true if the object may be used.
 */
static __always_inline bool pin_anchor_check(const struct pin_anchor *a, const char *type,
					     const void *obj, void *ip)
{
	if (likely(a->self == a))
		return true;
	return __pin_anchor_report(a, type, obj, ip, false);
}

/**
 * pin_anchor_drop - check a pinned object at its drop and mark it dropped
 * @a: the object's anchor
 * @type: the type's name, for the report
 * @obj: the object, for the report
 * @ip: the calling code, for the report
 *
 * A second drop is KP_REPORT_DOUBLE_FREE, a drop of a moved or never
 * initialised object KP_REPORT_PINNED_MOVED; either is refused.
 *
 * Return: true if the caller goes on with the drop.
 */
static inline bool pin_anchor_drop(struct pin_anchor *a, const char *type, const void *obj,
				   void *ip)
{
	if (unlikely(a->self != a))
		return __pin_anchor_report(a, type, obj, ip, true);
	a->self = PIN_ANCHOR_DROPPED;
	return true;
}
#endif /* KP_DEBUG */

#endif /* KPRIM_CORE_PIN_H */
