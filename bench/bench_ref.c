// SPDX-License-Identifier: MIT
/*
 * bench_ref.c - reference counting: kprim beside plain C11 atomics.
 *
 * Every operation is measured twice in the same run, as kprim implements
 * it ("kprim") and as the same thing done with a bare C11 atomic counter
 * ("c11"), with the cost of one relaxed atomic RMW as the floor. Each
 * iteration is a balanced pair (take a reference, put it back) so the
 * count stays put; dec_and_test alone runs down a large count and re-arms
 * it between batches. "ref/..." runs on one thread; "ref_mt/..." runs the
 * same pairs on one shared object from 1..N threads, and the object lives
 * where --kp_mem puts it.
 *
 * Names are suite/op/impl; the sweep and the plots parse them that way.
 */
#include <stdatomic.h>

#include "harness.h"
#include "kprim.h"

#define SHARED_BYTES 4096	/* one page: the objects on lines of their own */
#define REARM_COUNT (1 << 30)
#define REARM_BELOW (1u << 20)

/* ---- the C11 baseline: what refcount_t does, minus its checks ---- */

struct c11_obj {
	atomic_int refs;
};

static inline void c11_get(struct c11_obj *o)
{
	atomic_fetch_add_explicit(&o->refs, 1, memory_order_relaxed);
}

static inline bool c11_put(struct c11_obj *o)
{
	if (atomic_fetch_sub_explicit(&o->refs, 1, memory_order_release) == 1) {
		atomic_thread_fence(memory_order_acquire);
		return true;
	}
	return false;
}

static inline bool c11_get_not_zero(struct c11_obj *o)
{
	int old = atomic_load_explicit(&o->refs, memory_order_relaxed);

	do {
		if (!old)
			return false;
	} while (!atomic_compare_exchange_weak_explicit(&o->refs, &old, old + 1,
							memory_order_relaxed,
							memory_order_relaxed));
	return true;
}

static void c11_aref_inc(void *obj)
{
	c11_get(obj);
}

static void c11_aref_dec(void *obj)
{
	c11_put(obj);
}

static const struct aref_ops c11_aref_ops = { c11_aref_inc, c11_aref_dec };

/* An Arc on C11 atomics; put out of line like arc_put(). */
struct c11_arc {
	struct c11_obj obj;
	void (*drop)(void *payload);
};

static __attribute__((noinline)) bool c11_arc_put(struct c11_arc *a)
{
	if (!c11_put(&a->obj))
		return false;
	if (a->drop)
		a->drop(a + 1);
	free(a);
	return true;
}

/* ---- the objects a benchmark works on --------------------------------- */

struct target {
	struct c11_obj *c11;
	refcount_t *ref;
	struct kref *kref;
	struct arc *arc;
	struct c11_arc *c11_arc;
};

/* Thread 0 builds the target before the first iteration; Google Benchmark's
 * start barrier keeps the other threads out until then. */
static void target_setup(kpb_state *st, struct target *t)
{
	char *mem;

	if (kpb_thread_index(st) != 0)
		return;
	mem = kp_bench_alloc_shared(SHARED_BYTES);
	t->c11 = (struct c11_obj *)mem;
	t->ref = (refcount_t *)(mem + 128);
	t->kref = (struct kref *)(mem + 256);
	/* High enough that dec_and_test never nears 0 within a batch. */
	atomic_init(&t->c11->refs, REARM_COUNT);
	refcount_set(t->ref, REARM_COUNT);
	kref_init(t->kref);
	t->arc = arc_new(NULL, 8, NULL, GFP_KERNEL);
	t->c11_arc = malloc(sizeof(*t->c11_arc) + 8);
	if (!t->arc || !t->c11_arc) {
		kpb_skip_with_error(st, "out of memory");
		return;
	}
	atomic_init(&t->c11_arc->obj.refs, 1);
	t->c11_arc->drop = NULL;
}

/* After the loop (past the stop barrier): thread 0 frees, everyone counts. */
static void target_teardown(kpb_state *st, struct target *t)
{
	kpb_set_items_processed(st, kpb_iterations_done(st));
	if (kpb_thread_index(st) != 0)
		return;
	if (t->arc)
		arc_put(t->arc);
	if (t->c11_arc)
		c11_arc_put(t->c11_arc);
	kp_bench_free_shared(t->c11, SHARED_BYTES);
	*t = (struct target){ 0 };
}

static void kref_noop_release(struct kref *kref)
{
	(void)kref;
}

/* A batched benchmark: body per iteration, after_batch between batches. */
#define BENCH(name, body, after_batch)					\
static void name(kpb_state *st, void *arg)				\
{									\
	struct target *t = arg;						\
									\
	target_setup(st, t);						\
	while (kpb_keep_running_batch(st, KPB_BATCH)) {			\
		for (int i = 0; i < KPB_BATCH; i++) {			\
			body;						\
		}							\
		after_batch;						\
	}								\
	target_teardown(st, t);						\
}

/* dec_and_test alone runs its count down: lift it back before it nears 0. */
static inline void rearm_ref(struct target *t)
{
	if (refcount_read(t->ref) < REARM_BELOW)
		refcount_set(t->ref, REARM_COUNT);
}

static inline void rearm_c11(struct target *t)
{
	if (atomic_load_explicit(&t->c11->refs, memory_order_relaxed) < (int)REARM_BELOW)
		atomic_store_explicit(&t->c11->refs, REARM_COUNT, memory_order_relaxed);
}

BENCH(bm_rmw_c11,
      atomic_fetch_add_explicit(&t->c11->refs, 1, memory_order_relaxed),
      (void)0)
BENCH(bm_pair_c11,
      c11_get(t->c11);
      kpb_do_not_optimize(c11_put(t->c11)),
      (void)0)
BENCH(bm_pair_kprim,
      refcount_inc(t->ref);
      kpb_do_not_optimize(refcount_dec_and_test(t->ref)),
      (void)0)
BENCH(bm_inc_not_zero_c11,
      kpb_do_not_optimize(c11_get_not_zero(t->c11));
      kpb_do_not_optimize(c11_put(t->c11)),
      (void)0)
BENCH(bm_inc_not_zero_kprim,
      kpb_do_not_optimize(refcount_inc_not_zero(t->ref));
      kpb_do_not_optimize(refcount_dec_and_test(t->ref)),
      (void)0)
BENCH(bm_dec_and_test_c11,
      kpb_do_not_optimize(c11_put(t->c11)),
      rearm_c11(t))
BENCH(bm_dec_and_test_kprim,
      kpb_do_not_optimize(refcount_dec_and_test(t->ref)),
      rearm_ref(t))
BENCH(bm_kref_c11,
      c11_get(t->c11);
      if (c11_put(t->c11))
		kref_noop_release(NULL),
      (void)0)
BENCH(bm_kref_kprim,
      kref_get(t->kref);
      kpb_do_not_optimize(kref_put(t->kref, kref_noop_release)),
      (void)0)
BENCH(bm_aref_c11,
      struct aref base = aref_from_raw(t->c11, &c11_aref_ops);
      struct aref clone = aref_clone(&base);
      aref_drop(&clone),
      (void)0)
BENCH(bm_aref_kprim,
      struct aref base = aref_from_raw(arc_payload(t->arc), &arc_aref_ops);
      struct aref clone = aref_clone(&base);
      aref_drop(&clone),
      (void)0)
BENCH(bm_arc_c11,
      c11_get(&t->c11_arc->obj);
      kpb_do_not_optimize(c11_arc_put(t->c11_arc)),
      (void)0)
BENCH(bm_arc_kprim,
      arc_clone(t->arc);
      kpb_do_not_optimize(arc_put(t->arc)),
      (void)0)

struct ref_bench {
	const char *op, *impl;
	kpb_fn fn;
	bool contended;		/* also run as ref_mt/... */
};

static const struct ref_bench ref_benches[] = {
	{ "rmw", "c11", bm_rmw_c11, true },
	{ "pair", "c11", bm_pair_c11, true },
	{ "pair", "kprim", bm_pair_kprim, true },
	{ "inc_not_zero", "c11", bm_inc_not_zero_c11, true },
	{ "inc_not_zero", "kprim", bm_inc_not_zero_kprim, true },
	{ "dec_and_test", "c11", bm_dec_and_test_c11, false },
	{ "dec_and_test", "kprim", bm_dec_and_test_kprim, false },
	{ "kref", "c11", bm_kref_c11, true },
	{ "kref", "kprim", bm_kref_kprim, true },
	{ "aref", "c11", bm_aref_c11, true },
	{ "aref", "kprim", bm_aref_kprim, true },
	{ "arc", "c11", bm_arc_c11, true },
	{ "arc", "kprim", bm_arc_kprim, true },
};

#define NR_REF_BENCHES (sizeof(ref_benches) / sizeof(ref_benches[0]))

static struct target targets[2][NR_REF_BENCHES];

static void register_ref_suite(void)
{
	char name[128];

	for (size_t i = 0; i < NR_REF_BENCHES; i++) {
		const struct ref_bench *b = &ref_benches[i];

		snprintf(name, sizeof(name), "ref/%s/%s", b->op, b->impl);
		kpb_use_real_time(kpb_register(name, b->fn, &targets[0][i]));
	}
	for (size_t i = 0; i < NR_REF_BENCHES; i++) {
		const struct ref_bench *b = &ref_benches[i];

		if (!b->contended)
			continue;
		snprintf(name, sizeof(name), "ref_mt/%s/%s", b->op, b->impl);
		kp_bench_contended(kpb_register(name, b->fn, &targets[1][i]));
	}
}

int main(int argc, char **argv)
{
	return kp_bench_main(argc, argv, register_ref_suite);
}
