// SPDX-License-Identifier: MIT
/*
 * bench_alloc.c - kprim's allocators beside glibc, jemalloc, mimalloc and
 * tcmalloc, in one binary run, through one harness (bench/peers/alloc.c).
 *
 * alloc/pair/<impl>/<size>	allocate and free, 8 B .. 64 KiB and 1 MiB
 *				("cache" is a kmem_cache of that size)
 * alloc/batch_lifo|batch_fifo/<impl>	1000 x 64 B, then free them newest or
 *				oldest first; time per object
 * alloc/kvec_push/<impl>/<n>	push n u32 one at a time (kprim: struct kvec;
 *				peers: the same type-erased array, grown the same
 *				way, on their realloc); per push
 * alloc/zalloc/<impl>/<size>	a zeroed allocation of 64 KiB or 1 MiB whose first
 *				byte is written, then freed: zeroing a block the
 *				caller touches in part (kzalloc, kvzalloc, vzalloc;
 *				the peers' calloc)
 * alloc/cache_bulk|cache_loop/kprim/16	kmem_cache_alloc_bulk vs a loop; per object
 * alloc/pressure/<gfp>		64 KiB allocations against a memory limit:
 *				GFP_ATOMIC may use the reserve, GFP_KERNEL may not
 *				(no shrinkers); counter fail_pct
 * alloc_mt/remote/<impl>	producer/consumer pairs: one thread allocates
 *				64 B objects, its partner frees them; objects/s
 *
 * Every benchmark reports peak_rss_kb: the process's resident peak over the
 * benchmark (VmHWM, reset through /proc/self/clear_refs).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "kprim.h"
#include "peers/alloc.h"

#define BATCH		1000
#define OBJ		64

static const struct alloc_impl *impls;
static int nr_impls;

/* ---- peak RSS --------------------------------------------------------------------- */

static void rss_reset(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "w");

	if (f) {
		fputs("5", f);	/* reset the peak resident set size */
		fclose(f);
	}
}

static long rss_peak_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmHWM:", 6))
			kb = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return kb;
}

static void rss_report(kpb_state *st)
{
	long kb = rss_peak_kb();

	if (kb >= 0 && kpb_thread_index(st) == 0)
		kpb_counter(st, "peak_rss_kb", (double)kb, KPB_COUNTER_DEFAULT, 1024);
}

/* ---- alloc + free pairs ------------------------------------------------------------ */

struct pair_arg {
	const struct alloc_impl *impl;
	struct kmem_cache *cache;	/* the "cache" rows */
};

static void bm_pair(kpb_state *st, void *arg)
{
	const struct pair_arg *a = arg;
	size_t size = (size_t)kpb_state_range(st, 0);

	rss_reset();
	if (a->cache) {
		while (kpb_keep_running_batch(st, KPB_BATCH))
			for (int i = 0; i < KPB_BATCH; i++) {
				void *p = kmem_cache_alloc(a->cache, GFP_KERNEL);

				kpb_do_not_optimize(p);
				kmem_cache_free(a->cache, p);
			}
	} else {
		while (kpb_keep_running_batch(st, KPB_BATCH))
			for (int i = 0; i < KPB_BATCH; i++) {
				void *p = a->impl->alloc(size);

				kpb_do_not_optimize(p);
				a->impl->free(p);
			}
	}
	rss_report(st);
}

static void bm_zalloc(kpb_state *st, void *arg)
{
	const struct alloc_impl *impl = arg;
	size_t size = (size_t)kpb_state_range(st, 0);

	rss_reset();
	while (kpb_keep_running(st)) {
		char *p = impl->zalloc(size);

		p[0] = 1;
		kpb_do_not_optimize(p);
		impl->free(p);
	}
	rss_report(st);
}

/* ---- batches ------------------------------------------------------------------------- */

static void bm_batch(kpb_state *st, void *arg, bool lifo)
{
	const struct alloc_impl *impl = arg;
	void *p[BATCH];

	rss_reset();
	while (kpb_keep_running_batch(st, BATCH)) {
		for (int i = 0; i < BATCH; i++)
			p[i] = impl->alloc(OBJ);
		kpb_clobber_memory();
		if (lifo)
			for (int i = BATCH - 1; i >= 0; i--)
				impl->free(p[i]);
		else
			for (int i = 0; i < BATCH; i++)
				impl->free(p[i]);
	}
	rss_report(st);
}

static void bm_batch_lifo(kpb_state *st, void *arg)
{
	bm_batch(st, arg, true);
}

static void bm_batch_fifo(kpb_state *st, void *arg)
{
	bm_batch(st, arg, false);
}

/* ---- realloc growth ------------------------------------------------------------------- */

static size_t elem_size = sizeof(uint32_t);	/* not a constant: as kvec sees it */

static void bm_kvec_push(kpb_state *st, void *arg)
{
	const struct alloc_impl *impl = arg;
	size_t n = (size_t)kpb_state_range(st, 0);
	enum kvec_alloc kind = !strcmp(impl->name, "kmalloc") ? KVEC_KMALLOC :
			       !strcmp(impl->name, "vmalloc") ? KVEC_VMALLOC : KVEC_KVMALLOC;
	bool kprim = !strcmp(impl->name, "kmalloc") || !strcmp(impl->name, "vmalloc") ||
		     !strcmp(impl->name, "kvmalloc");

	rss_reset();
	kpb_do_not_optimize(&elem_size);
	while (kpb_keep_running(st)) {
		if (kprim) {
			struct kvec v;

			kvec_init(&v, sizeof(uint32_t), kind);
			for (uint32_t i = 0; i < n; i++)
				if (kvec_push(&v, &i, GFP_KERNEL))
					kpb_skip_with_error(st, "kvec_push failed");
			kpb_do_not_optimize(v.data);
			kvec_free(&v);
		} else {
			/* What kvec_push does, element size at run time, on the peer's realloc. */
			size_t len = 0, cap = 0, size = elem_size;
			char *data = NULL;

			for (uint32_t i = 0; i < n; i++, len++) {
				if (len == cap) {
					cap = cap ? 2 * cap : 1;
					data = impl->realloc(data, cap * size);
				}
				memcpy(data + len * size, &i, size);
			}
			kpb_do_not_optimize(data);
			impl->free(data);
		}
	}
	kpb_set_items_processed(st, kpb_iterations_done(st) * (int64_t)n);
	rss_report(st);
}

/* ---- kmem_cache bulk vs loop ------------------------------------------------------------ */

static struct kmem_cache *bulk_cache;

static void bm_cache_bulk(kpb_state *st, void *arg)
{
	void *p[16];

	(void)arg;
	while (kpb_keep_running_batch(st, 16)) {
		if (!kmem_cache_alloc_bulk(bulk_cache, GFP_KERNEL, 16, p))
			kpb_skip_with_error(st, "bulk allocation failed");
		kmem_cache_free_bulk(bulk_cache, 16, p);
	}
}

static void bm_cache_loop(kpb_state *st, void *arg)
{
	void *p[16];

	(void)arg;
	while (kpb_keep_running_batch(st, 16)) {
		for (int i = 0; i < 16; i++)
			p[i] = kmem_cache_alloc(bulk_cache, GFP_KERNEL);
		for (int i = 0; i < 16; i++)
			kmem_cache_free(bulk_cache, p[i]);
	}
}

/* ---- memory pressure ---------------------------------------------------------------------- */

static void bm_pressure(kpb_state *st, void *arg)
{
	gfp_t gfp = (gfp_t)(uintptr_t)arg | __GFP_NOWARN;
	unsigned long tries = 0, fails = 0;
	void *p[8];

	kp_mem_set_limit(kp_mem_used() + (256 << 10));
	while (kpb_keep_running_batch(st, 8)) {
		for (int i = 0; i < 8; i++) {
			p[i] = kmalloc(64 << 10, gfp);
			fails += !p[i];
		}
		for (int i = 0; i < 8; i++)
			kfree(p[i]);
		tries += 8;
	}
	kp_mem_set_limit(0);
	kpb_counter(st, "fail_pct", tries ? 100.0 * (double)fails / (double)tries : 0,
		    KPB_COUNTER_DEFAULT, 1000);
}

/* ---- remote frees: producer/consumer pairs ---------------------------------------------- */

#define RING 1024

struct ring {
	_Alignas(128) atomic_uint head;
	_Alignas(128) atomic_uint tail;
	_Alignas(128) void *slot[RING];
};

static struct ring *rings;	/* one per pair, from kp_bench_alloc_shared */
static size_t rings_bytes;

static void bm_remote(kpb_state *st, void *arg)
{
	const struct alloc_impl *impl = arg;
	int t = kpb_thread_index(st);
	struct ring *r;

	if (t == 0) {
		rss_reset();
		rings_bytes = sizeof(struct ring) * (size_t)(kpb_thread_count(st) / 2 + 1);
		rings = kp_bench_alloc_shared(rings_bytes);
		memset(rings, 0, rings_bytes);
	}
	if (kpb_thread_count(st) % 2) {
		kpb_skip_with_error(st, "producer/consumer pairs need an even thread count");
		return;
	}
	while (kpb_keep_running_batch(st, 256)) {
		r = &rings[t / 2];
		if (t % 2 == 0) {	/* producer */
			for (int i = 0; i < 256; i++) {
				unsigned int head = atomic_load_explicit(&r->head, memory_order_relaxed);
				void *p = impl->alloc(OBJ);

				while (head - atomic_load_explicit(&r->tail, memory_order_acquire) == RING)
					cpu_relax();
				r->slot[head % RING] = p;
				atomic_store_explicit(&r->head, head + 1, memory_order_release);
			}
		} else {		/* consumer */
			for (int i = 0; i < 256; i++) {
				unsigned int tail = atomic_load_explicit(&r->tail, memory_order_relaxed);

				while (atomic_load_explicit(&r->head, memory_order_acquire) == tail)
					cpu_relax();
				impl->free(r->slot[tail % RING]);
				atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
			}
		}
	}
	/* Items: objects handed over, counted once (by the producers). */
	kpb_set_items_processed(st, t % 2 == 0 ? kpb_iterations_done(st) : 0);
	rss_report(st);
	if (t == 0)
		kp_bench_free_shared(rings, rings_bytes);
}

/* ---- registration ------------------------------------------------------------------------------ */

static const int64_t pair_sizes[] = { 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384, 65536,
				      1 << 20 };
#define NR_SIZES (sizeof(pair_sizes) / sizeof(pair_sizes[0]))

static struct pair_arg pair_args[8];
static struct pair_arg cache_args[NR_SIZES];

static void register_alloc_suite(void)
{
	const char *missing;
	char name[96];

	nr_impls = alloc_impls(&impls, &missing);
	kpb_add_context("kp_alloc_peers_missing", missing);
	bulk_cache = kmem_cache_create("bench-bulk", OBJ, 0, 0, NULL);

	for (int i = 0; i < nr_impls; i++) {
		kpb_bench *b;

		pair_args[i].impl = &impls[i];
		snprintf(name, sizeof(name), "alloc/pair/%s", impls[i].name);
		b = kpb_use_real_time(kpb_register(name, bm_pair, &pair_args[i]));
		for (size_t s = 0; s < NR_SIZES; s++)
			/* vmalloc is whole pages: from a page up */
			if ((size_t)pair_sizes[s] <= impls[i].max_size &&
			    (strcmp(impls[i].name, "vmalloc") || pair_sizes[s] >= 4096))
				kpb_arg(b, pair_sizes[s]);
	}
	for (size_t s = 0; s < NR_SIZES && pair_sizes[s] <= 16384; s++) {
		cache_args[s].cache = kmem_cache_create("bench-pair", (unsigned int)pair_sizes[s],
							0, 0, NULL);
		kpb_arg(kpb_use_real_time(kpb_register("alloc/pair/cache", bm_pair, &cache_args[s])),
			pair_sizes[s]);
	}
	for (int i = 0; i < nr_impls; i++) {
		if (!strcmp(impls[i].name, "vmalloc"))
			continue;
		snprintf(name, sizeof(name), "alloc/batch_lifo/%s", impls[i].name);
		kpb_use_real_time(kpb_register(name, bm_batch_lifo, (void *)&impls[i]));
		snprintf(name, sizeof(name), "alloc/batch_fifo/%s", impls[i].name);
		kpb_use_real_time(kpb_register(name, bm_batch_fifo, (void *)&impls[i]));
	}
	for (int i = 0; i < nr_impls; i++) {
		snprintf(name, sizeof(name), "alloc/zalloc/%s", impls[i].name);
		kpb_arg(kpb_arg(kpb_use_real_time(kpb_register(name, bm_zalloc, (void *)&impls[i])),
				64 << 10), 1 << 20);
	}
	for (int i = 0; i < nr_impls; i++) {
		snprintf(name, sizeof(name), "alloc/kvec_push/%s", impls[i].name);
		kpb_arg(kpb_use_real_time(kpb_register(name, bm_kvec_push, (void *)&impls[i])),
			1 << 20);
	}
	kpb_use_real_time(kpb_register("alloc/cache_bulk/kprim", bm_cache_bulk, NULL));
	kpb_use_real_time(kpb_register("alloc/cache_loop/kprim", bm_cache_loop, NULL));
	kpb_use_real_time(kpb_register("alloc/pressure/gfp_atomic", bm_pressure,
				       (void *)(uintptr_t)GFP_ATOMIC));
	kpb_use_real_time(kpb_register("alloc/pressure/gfp_kernel", bm_pressure,
				       (void *)(uintptr_t)GFP_KERNEL));
	for (int i = 0; i < nr_impls; i++) {
		kpb_bench *b;

		if (!strcmp(impls[i].name, "vmalloc"))
			continue;
		snprintf(name, sizeof(name), "alloc_mt/remote/%s", impls[i].name);
		b = kpb_use_real_time(kpb_register(name, bm_remote, (void *)&impls[i]));
		for (int n = 2; n <= kp_bench.max_threads; n *= 2)
			kpb_threads(b, n);
		if (kp_bench.max_threads < 2)
			kpb_threads(b, 2);
	}
}

int main(int argc, char **argv)
{
	alloc_peers_reexec(argv);
	return kp_bench_main(argc, argv, register_alloc_suite);
}
