// SPDX-License-Identifier: MIT
/*
 * coro.c - the model tasks' stacks and the switch between them; no policy.
 *
 * A switch saves the callee-saved registers on the running stack, stores
 * the stack pointer, loads the other's and pops its registers, ending in
 * an indirect jump to where that coroutine stopped: a few nanoseconds,
 * where glibc's swapcontext() makes a sigprocmask system call each time
 * (bench_model measures both). The System V x86-64 ABI lets a call clobber
 * every other general register, so these six, the stack pointer and the
 * return address are all a switch must keep; the SSE and x87 control words
 * are left alone (no task changes them). x86-64 only, for now.
 *
 * A new coroutine's stack starts as if it had switched away just before
 * its entry function: six zero registers, the entry's address, and a zero
 * return address above it so that the entry starts with the stack aligned
 * as after a call and unwinders stop there.
 *
 * Stacks are mmap()ed with a guard page below them and kept for the next
 * run: an abandoned task (a deadlock, a livelock) leaves its frames behind
 * and the next run starts over on the same memory. Under ASan every switch
 * is announced (__sanitizer_start_switch_fiber() before,
 * __sanitizer_finish_switch_fiber() after), so ASan checks the right
 * stack, and a reused stack is unpoisoned first: an abandoned frame's
 * redzones would otherwise stay poisoned under the next run's frames.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "core/compiler.h"
#include "model/coro.h"

#ifdef KP_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

#define CORO_STACK_SIZE	(256UL << 10)
#define CORO_GUARD	4096UL

#if defined(__x86_64__)
/* model_switch(&from_sp, to_sp): rdi, rsi. */
void model_switch(void **from_sp, void *to_sp);
__asm__(".text\n"
	".p2align 4\n"
	".type model_switch, @function\n"
	"model_switch:\n"
	"	pushq %rbp\n"
	"	pushq %rbx\n"
	"	pushq %r12\n"
	"	pushq %r13\n"
	"	pushq %r14\n"
	"	pushq %r15\n"
	"	movq %rsp, (%rdi)\n"
	"	movq %rsi, %rsp\n"
	"	popq %r15\n"
	"	popq %r14\n"
	"	popq %r13\n"
	"	popq %r12\n"
	"	popq %rbx\n"
	"	popq %rbp\n"
	"	popq %rcx\n"
	"	jmpq *%rcx\n"
	".size model_switch, .-model_switch\n");

static void *coro_first_frame(void *stack, size_t size, void (*entry)(void))
{
	uintptr_t top = ((uintptr_t)stack + size) & ~(uintptr_t)15;
	void **sp = (void **)top;

	*--sp = NULL;			/* the entry's return address: none */
	*--sp = (void *)entry;		/* where the first switch jumps */
	for (int i = 0; i < 6; i++)
		*--sp = NULL;		/* rbp, rbx, r12..r15 */
	return sp;
}
#else
#error "the model scheduler switches stacks on x86-64 only"
#endif

static void *coro_stack_alloc(void)
{
	char *p = mmap(NULL, CORO_STACK_SIZE + CORO_GUARD, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (mprotect(p, CORO_GUARD, PROT_NONE)) {
		munmap(p, CORO_STACK_SIZE + CORO_GUARD);
		return NULL;
	}
	return p + CORO_GUARD;
}

int model_coro_init(struct model_coro *c, void (*entry)(void))
{
	if (!c->stack) {
		c->stack = coro_stack_alloc();
		if (!c->stack)
			return -ENOMEM;
		c->stack_size = CORO_STACK_SIZE;
	}
#ifdef KP_ASAN
	ASAN_UNPOISON_MEMORY_REGION(c->stack, c->stack_size);
#endif
	c->asan_fake_stack = NULL;
	c->sp = coro_first_frame(c->stack, c->stack_size, entry);
	return 0;
}

static inline void coro_before(struct model_coro *from, struct model_coro *to, bool exiting)
{
#ifdef KP_ASAN
	__sanitizer_start_switch_fiber(exiting ? NULL : &from->asan_fake_stack, to->stack,
				       to->stack_size);
#else
	(void)from, (void)to, (void)exiting;
#endif
}

static inline void coro_after(struct model_coro *self)
{
#ifdef KP_ASAN
	__sanitizer_finish_switch_fiber(self->asan_fake_stack, NULL, NULL);
#else
	(void)self;
#endif
}

void model_coro_started(struct model_coro *from)
{
#ifdef KP_ASAN
	const void *bottom;
	size_t size;

	__sanitizer_finish_switch_fiber(NULL, &bottom, &size);
	if (!from->stack) {		/* the OS thread's stack, learnt on the way in */
		from->stack = (void *)bottom;
		from->stack_size = size;
	}
#else
	(void)from;
#endif
}

void model_coro_switch(struct model_coro *from, struct model_coro *to)
{
	coro_before(from, to, false);
	model_switch(&from->sp, to->sp);
	coro_after(from);
}

void model_coro_exit(struct model_coro *from, struct model_coro *to)
{
	coro_before(from, to, true);
	model_switch(&from->sp, to->sp);
	__builtin_unreachable();
}
