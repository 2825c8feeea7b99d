// SPDX-License-Identifier: MIT
/*
 * bench_shim.c - what the C shim costs.
 *
 * Two bodies, an empty iteration (a compiler barrier, so the loop is not
 * deleted) and one relaxed atomic add, each three ways in the same run:
 * through the shim's batched loop, through its one-call-per-iteration
 * loop, and natively in C++ (shim/native_overhead.cc). batched - native is
 * the overhead a kprim benchmark pays; plain - native shows why the
 * batched form exists.
 */
#include <stdatomic.h>

#include "harness.h"

void kpb_register_native_empty(void);
void kpb_register_native_atomic(void);

static atomic_long shim_counter;

static void bm_empty_batched(kpb_state *st, void *arg)
{
	(void)arg;
	while (kpb_keep_running_batch(st, KPB_BATCH))
		for (int i = 0; i < KPB_BATCH; i++)
			kpb_clobber_memory();
}

static void bm_empty_plain(kpb_state *st, void *arg)
{
	(void)arg;
	while (kpb_keep_running(st))
		kpb_clobber_memory();
}

static void bm_atomic_batched(kpb_state *st, void *arg)
{
	(void)arg;
	while (kpb_keep_running_batch(st, KPB_BATCH))
		for (int i = 0; i < KPB_BATCH; i++)
			atomic_fetch_add_explicit(&shim_counter, 1, memory_order_relaxed);
}

static void bm_atomic_plain(kpb_state *st, void *arg)
{
	(void)arg;
	while (kpb_keep_running(st))
		atomic_fetch_add_explicit(&shim_counter, 1, memory_order_relaxed);
}

static void register_shim_suite(void)
{
	kpb_register_native_empty();
	kpb_use_real_time(kpb_register("shim/empty/batched", bm_empty_batched, NULL));
	kpb_use_real_time(kpb_register("shim/empty/plain", bm_empty_plain, NULL));
	kpb_register_native_atomic();
	kpb_use_real_time(kpb_register("shim/atomic/batched", bm_atomic_batched, NULL));
	kpb_use_real_time(kpb_register("shim/atomic/plain", bm_atomic_plain, NULL));
}

int main(int argc, char **argv)
{
	return kp_bench_main(argc, argv, register_shim_suite);
}
