// SPDX-License-Identifier: MIT
/*
 * bench_model.c - what one switch between the model scheduler's tasks
 * costs, beside glibc's swapcontext() in the same run.
 *
 * Two coroutines pass control back and forth; each iteration is one
 * switch. model/switch/kprim is primitives/model/coro.c (callee-saved
 * registers, stack pointer, an indirect jump; with ASan's fiber
 * annotations in the asan and fuzz-model variants), model/switch/swapcontext is
 * glibc's ucontext switch, which saves the signal mask with a system call
 * every time. The schedule fuzzers pay two of these per interleaving
 * point that changes task.
 *
 * Both sides switch from the same place (pingpong()), as the scheduler's
 * tasks all do (run.c's reschedule()): the switch's indirect jump and the
 * returns after it then always go where they went last time, and the
 * branch predictors get them right. Two different call sites alternating
 * would measure a misprediction per switch that the scheduler never pays.
 */
#include <stdlib.h>
#include <ucontext.h>

#include "harness.h"
#include "core/compiler.h"
#include "model/coro.h"

static struct model_coro caller_co, peer_co;

static __noinline void pingpong(struct model_coro *self, struct model_coro *other, long n)
{
	for (long i = 0; n < 0 || i < n; i++)
		model_coro_switch(self, other);
}

static void peer_entry(void)
{
	model_coro_started(&caller_co);
	pingpong(&peer_co, &caller_co, -1);
}

static void bm_switch_kprim(kpb_state *st, void *arg)
{
	(void)arg;
	if (model_coro_init(&peer_co, peer_entry)) {
		kpb_skip_with_error(st, "no memory for a coroutine stack");
		return;
	}
	while (kpb_keep_running_batch(st, KPB_BATCH))
		pingpong(&caller_co, &peer_co, KPB_BATCH / 2);	/* there and back: two each */
}

static ucontext_t caller_uc, peer_uc;
static char peer_stack[64 << 10] __attribute__((aligned(16)));

static void peer_uc_entry(void)
{
	for (;;)
		swapcontext(&peer_uc, &caller_uc);
}

static void bm_switch_swapcontext(kpb_state *st, void *arg)
{
	(void)arg;
	getcontext(&peer_uc);
	peer_uc.uc_stack.ss_sp = peer_stack;
	peer_uc.uc_stack.ss_size = sizeof(peer_stack);
	peer_uc.uc_link = NULL;
	makecontext(&peer_uc, peer_uc_entry, 0);
	while (kpb_keep_running_batch(st, KPB_BATCH))
		for (int i = 0; i < KPB_BATCH / 2; i++)
			swapcontext(&caller_uc, &peer_uc);
}

static void register_model_suite(void)
{
	kpb_use_real_time(kpb_register("model/switch/kprim", bm_switch_kprim, NULL));
	kpb_use_real_time(kpb_register("model/switch/swapcontext", bm_switch_swapcontext, NULL));
}

int main(int argc, char **argv)
{
	return kp_bench_main(argc, argv, register_model_suite);
}
