/* SPDX-License-Identifier: MIT */
/*
 * coro.h - coroutines for the model scheduler: a stack each and a switch
 * between them (coro.c), nothing more. Internal to primitives/model/ and
 * built in every variant, so bench_model can measure the switch beside
 * glibc's swapcontext() in the release build; not installed.
 */
#ifndef KPRIM_MODEL_CORO_H
#define KPRIM_MODEL_CORO_H

#include <stddef.h>

struct model_coro {
	void *sp;		/* saved stack pointer while switched away */
	void *stack;		/* the stack's lowest usable byte; NULL: the OS thread's */
	size_t stack_size;
	void *asan_fake_stack;	/* ASan's fake-stack handle while switched away */
};

/* Give c a stack (kept for reuse) and make entry its first code. 0 or -ENOMEM. */
int model_coro_init(struct model_coro *c, void (*entry)(void));
/* Switch from the running coroutine to another; returns when switched back to. */
void model_coro_switch(struct model_coro *from, struct model_coro *to);
/* As model_coro_switch(), for a coroutine that will never run again. */
__attribute__((noreturn)) void model_coro_exit(struct model_coro *from, struct model_coro *to);
/*
 * The first thing a new coroutine's entry calls, with the coroutine that
 * switched to it: ASan's end of the switch (and from's stack, if unknown).
 */
void model_coro_started(struct model_coro *from);

#endif /* KPRIM_MODEL_CORO_H */
