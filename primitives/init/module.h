/* SPDX-License-Identifier: MIT */
/*
 * module.h - in-place modules, after Rust-for-Linux's InPlaceModule
 * (rust/kernel/lib.rs, rust/macros/module.rs; merged for v6.13).
 *
 * A module's state lives in a static slot, never moved, because what it
 * holds must not move (its mutexes, registrations the rest of the
 * program points at). Loading runs the module's initializer into the
 * slot and returns 0 or the errno; a failed load leaves the slot
 * uninitialized and never runs the exit. Unloading drops the state in
 * place, once. The slot is a MaybeUninit: nothing in it is valid while
 * the module is not loaded.
 *
 *	struct registry_state { struct mutex lock; struct kvec items; };
 *	static const struct pin_init registry_init = PIN_STRUCT(...);
 *	DEFINE_INPLACE_MODULE(registry, struct registry_state, &registry_init);
 *
 *	err = inplace_module_load(&registry);
 *	struct registry_state *st = inplace_module_state(&registry);
 *	inplace_module_unload(&registry);
 *
 * Loading a module that is loaded, or unloading one that is not, is a
 * KP_REPORT_INVARIANT and refused (-EEXIST, -ENOENT: the errnos of
 * init_module(2) and delete_module(2)). Load and unload of one module are
 * serialized by a mutex of its own, as the kernel's module_mutex does, so
 * a concurrent load sees the first load's result.
 */
#ifndef KPRIM_INIT_MODULE_H
#define KPRIM_INIT_MODULE_H

#include <stdbool.h>

#include "core/pin.h"
#include "sync/mutex.h"

struct inplace_module {
	const char *name;
	const struct pin_init *init;	/* builds the state; its drop is the exit */
	void *state;			/* the static slot */
	struct mutex lock;		/* serializes load and unload */
	bool loaded;			/* under lock */
};

/**
 * DEFINE_INPLACE_MODULE - define a module and its static state slot
 * @modname: the module variable's name, and the name reports give it
 * @type: the state's type
 * @initializer: a pointer to the file-scope struct pin_init building it
 */
#define DEFINE_INPLACE_MODULE(modname, type, initializer)				\
	static _Alignas(type) unsigned char modname##__state[sizeof(type)];		\
	static struct inplace_module modname = {					\
		.name = #modname, .init = (initializer), .state = modname##__state,	\
		.lock = __MUTEX_INITIALIZER(modname.lock),				\
	}

/**
 * inplace_module_load - build a module's state in its slot
 * @m: the module
 *
 * Context: may sleep (the initializer may, and the module's lock does).
 *
 * Return: 0; the initializer's errno, with the slot left uninitialized;
 * or -EEXIST, reported, if @m is loaded already.
 */
int inplace_module_load(struct inplace_module *m);

/**
 * inplace_module_unload - drop a module's state in place
 * @m: the module
 *
 * Context: may sleep.
 *
 * Return: 0, or -ENOENT, reported, if @m is not loaded.
 */
int inplace_module_unload(struct inplace_module *m);

/**
 * inplace_module_state - a loaded module's state
 * @m: the module
 *
 * Return: the state, valid until the unload; NULL if @m is not loaded.
 */
void *inplace_module_state(struct inplace_module *m);

#endif /* KPRIM_INIT_MODULE_H */
