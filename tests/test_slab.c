// SPDX-License-Identifier: MIT
/*
 * test_slab.c - kmem_cache_*: the SLUB contract, the misuse it reports,
 * and remote frees from other threads.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alloc/slub.h"
#include "kp_test.h"

struct thing {
	int magic;
	char payload[44];
};

static int ctor_calls;

static void thing_ctor(void *p)
{
	((struct thing *)p)->magic = 0x5eed;
	ctor_calls++;
}

static int teardown(void **state)
{
	kp_fail_nth_set(0);
	return kp_test_teardown(state);
}

#define slab_test(f) cmocka_unit_test_setup_teardown(f, kp_test_setup, teardown)

static void test_create_rejects_bad_arguments(void **state)
{
	(void)state;
	assert_null(kmem_cache_create(NULL, 32, 0, 0, NULL));
	assert_null(kmem_cache_create("zero", 0, 0, 0, NULL));
	assert_null(kmem_cache_create("odd-align", 32, 24, 0, NULL));
	assert_null(kmem_cache_create("huge", 1u << 30, 0, 0, NULL));
	assert_no_reports();
}

static void test_alloc_free_and_accounting(void **state)
{
	struct kmem_cache *s = kmem_cache_create("things", sizeof(struct thing), 0, 0, NULL);
	struct thing *t[100];

	(void)state;
	assert_non_null(s);
	assert_string_equal(kmem_cache_name(s), "things");
	assert_int_equal(kmem_cache_size(s), sizeof(struct thing));
	for (int i = 0; i < 100; i++) {
		t[i] = kmem_cache_alloc(s, GFP_KERNEL);
		assert_non_null(t[i]);
		assert_int_equal((uintptr_t)t[i] % 8, 0);
		memset(t[i], i, sizeof(*t[i]));
		for (int j = 0; j < i; j++)
			assert_ptr_not_equal(t[i], t[j]);
	}
	assert_int_equal(kmem_cache_live_objects(s), 100);
	for (int i = 0; i < 100; i++) {
		for (size_t b = 0; b < sizeof(*t[i]); b++)
			assert_int_equal(((unsigned char *)t[i])[b], i);	/* nobody overlapped */
		kmem_cache_free(s, t[i]);
	}
	assert_int_equal(kmem_cache_live_objects(s), 0);
	kmem_cache_destroy(s);
	assert_no_reports();
}

static void test_alignment(void **state)
{
	struct kmem_cache *s = kmem_cache_create("aligned", 40, 128, 0, NULL);
	struct kmem_cache *hw = kmem_cache_create("hwcache", 100, 0, SLAB_HWCACHE_ALIGN, NULL);
	void *p[20], *q[20];

	(void)state;
	for (int i = 0; i < 20; i++) {
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
		q[i] = kmem_cache_alloc(hw, GFP_KERNEL);
		assert_int_equal((uintptr_t)p[i] % 128, 0);
		assert_int_equal((uintptr_t)q[i] % 64, 0);
	}
	kmem_cache_free_bulk(s, 20, p);
	kmem_cache_free_bulk(hw, 20, q);
	kmem_cache_destroy(s);
	kmem_cache_destroy(hw);
	assert_no_reports();
}

static void test_zalloc_zeroes_reused_objects(void **state)
{
	struct kmem_cache *s = kmem_cache_create("dirty", 64, 0, 0, NULL);
	unsigned char *p = kmem_cache_alloc(s, GFP_KERNEL);

	(void)state;
	memset(p, 0xee, 64);
	kmem_cache_free(s, p);
	p = kmem_cache_zalloc(s, GFP_KERNEL);
	for (int i = 0; i < 64; i++)
		assert_int_equal(p[i], 0);
	kmem_cache_free(s, p);
	kmem_cache_destroy(s);
}

/* The constructor runs once per object, when its slab is made; state survives free. */
static void test_ctor(void **state)
{
	struct kmem_cache *s = kmem_cache_create("ctor", sizeof(struct thing), 0, 0, thing_ctor);
	struct thing *t;

	(void)state;
	ctor_calls = 0;
	t = kmem_cache_alloc(s, GFP_KERNEL);
	assert_int_equal(t->magic, 0x5eed);
	assert_true(ctor_calls > 1);	/* the whole slab was constructed */
	t->magic = 7;
	kmem_cache_free(s, t);
	t = kmem_cache_alloc(s, GFP_KERNEL);
	assert_int_equal(t->magic, 7);	/* the free pointer lives outside the object */
	kmem_cache_free(s, t);
	kmem_cache_destroy(s);
}

static void test_bulk_all_or_nothing(void **state)
{
	struct kmem_cache *s = kmem_cache_create("bulk", 32, 0, 0, NULL);
	void *p[200];

	(void)state;
	assert_int_equal(kmem_cache_alloc_bulk(s, GFP_KERNEL, 200, p), 200);
	for (int i = 1; i < 200; i++)
		assert_ptr_not_equal(p[i], p[i - 1]);
	kmem_cache_free_bulk(s, 200, p);
	assert_int_equal(kmem_cache_live_objects(s), 0);

	kp_fail_nth_set(150);
	assert_int_equal(kmem_cache_alloc_bulk(s, GFP_KERNEL | __GFP_NOWARN, 200, p), 0);
	assert_int_equal(kmem_cache_live_objects(s), 0);
	kmem_cache_destroy(s);
	assert_no_reports();
}

static void test_destroy_with_live_objects(void **state)
{
	struct kmem_cache *s = kmem_cache_create("leaky", 48, 0, 0, NULL);
	void *p = kmem_cache_alloc(s, GFP_KERNEL);

	(void)state;
	kmem_cache_destroy(s);
	assert_reports(KP_REPORT_CACHE_NOT_EMPTY, 1);
	assert_msg_contains("kmem_cache_destroy leaky: Slab cache still has objects");
	/* The cache stays usable: free the object and destroy for real. */
	kmem_cache_free(s, p);
	kmem_cache_destroy(s);
	assert_reports(KP_REPORT_CACHE_NOT_EMPTY, 1);
}

static void test_free_to_wrong_cache_refused(void **state)
{
	struct kmem_cache *a = kmem_cache_create("a", 64, 0, 0, NULL);
	struct kmem_cache *b = kmem_cache_create("b", 64, 0, 0, NULL);
	void *p = kmem_cache_alloc(a, GFP_KERNEL);
	int local;

	(void)state;
	kmem_cache_free(b, p);
	assert_reports(KP_REPORT_INVALID_FREE, 1);
	assert_int_equal(kmem_cache_live_objects(a), 1);	/* refused */
	kmem_cache_free(a, (char *)p + 8);			/* inside an object */
	kmem_cache_free(a, &local);				/* not slab memory */
	assert_reports(KP_REPORT_INVALID_FREE, 3);
	kmem_cache_free(a, p);
	kmem_cache_destroy(a);
	kmem_cache_destroy(b);
}

static void test_naive_double_free_refused(void **state)
{
	struct kmem_cache *s = kmem_cache_create("twice", 64, 0, 0, NULL);
	void *p = kmem_cache_alloc(s, GFP_KERNEL);
	void *q, *r;

	(void)state;
	kmem_cache_free(s, p);
	kmem_cache_free(s, p);
	assert_reports(KP_REPORT_DOUBLE_FREE, 1);
	assert_msg_contains("Object already free");
	/* Refused, so the freelist is sane: two allocations, two objects. */
	q = kmem_cache_alloc(s, GFP_KERNEL);
	r = kmem_cache_alloc(s, GFP_KERNEL);
	assert_ptr_not_equal(q, r);
	kmem_cache_free(s, q);
	kmem_cache_free(s, r);
	kmem_cache_destroy(s);
}

struct remote {
	struct kmem_cache *s;
	void **objs;
	int n;
};

static void *free_them(void *arg)
{
	struct remote *r = arg;

	for (int i = 0; i < r->n; i++)
		kmem_cache_free(r->s, r->objs[i]);
	return NULL;
}

/* Objects freed by another thread come back to the allocating one. */
static void test_remote_free_and_reuse(void **state)
{
	enum { N = 2000 };
	static void *objs[N];
	struct remote r = { kmem_cache_create("remote", 64, 0, 0, NULL), objs, N };
	pthread_t t;
	size_t used;

	(void)state;
	for (int i = 0; i < N; i++)
		objs[i] = kmem_cache_alloc(r.s, GFP_KERNEL);
	used = kp_mem_used();
	assert_int_equal(pthread_create(&t, NULL, free_them, &r), 0);
	pthread_join(t, NULL);
	assert_int_equal(kmem_cache_live_objects(r.s), 0);
	for (int i = 0; i < N; i++)
		objs[i] = kmem_cache_alloc(r.s, GFP_KERNEL);
	assert_true(kp_mem_used() <= used);	/* reused, no new slabs */
	for (int i = 0; i < N; i++)
		kmem_cache_free(r.s, objs[i]);
	assert_true(kmem_cache_shrink(r.s) > 0);
	assert_true(kp_mem_used() < used);
	kmem_cache_destroy(r.s);
	assert_no_reports();
}

/*
 * Many more slabs than a task keeps owning: objects freed in a shuffled
 * order go back through owned slabs, given-back ones and the barn alike,
 * none is lost or handed out twice, and a second round reuses the memory.
 */
static void test_many_slabs_shuffled_frees(void **state)
{
	enum { N = 6000 };
	static unsigned int *objs[N];
	static bool seen[N];
	struct kmem_cache *s = kmem_cache_create("many", 64, 0, SLAB_NO_USER_FLAGS, NULL);
	unsigned int seed = 12345;
	size_t used = 0;

	(void)state;
	for (int round = 0; round < 2; round++) {
		for (unsigned int i = 0; i < N; i++) {
			objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
			*objs[i] = i;
		}
		if (round == 1)	/* round 2 reuses round 1's slabs and sheaves */
			assert_true(kp_mem_used() <= used);
		assert_int_equal(kmem_cache_live_objects(s), N);
		for (unsigned int i = N - 1; i > 0; i--) {	/* Fisher-Yates */
			unsigned int j;
			unsigned int *t;

			seed = seed * 1103515245u + 12345u;
			j = (seed >> 8) % (i + 1);
			t = objs[i];
			objs[i] = objs[j];
			objs[j] = t;
		}
		memset(seen, 0, sizeof(seen));
		for (unsigned int i = 0; i < N; i++) {
			/* An object handed out twice would show one index twice. */
			assert_true(*objs[i] < N && !seen[*objs[i]]);
			seen[*objs[i]] = true;
			kmem_cache_free(s, objs[i]);
		}
		assert_int_equal(kmem_cache_live_objects(s), 0);
		used = kp_mem_used();	/* slabs, and the sheaves the barn took the frees in */
	}
	assert_true(kmem_cache_shrink(s) > 0);
	kmem_cache_destroy(s);
	assert_no_reports();
}

static void test_alloc_node(void **state)
{
	struct kmem_cache *s = kmem_cache_create("nodes", 64, 0, 0, NULL);
	void *p;

	(void)state;
	p = kmem_cache_alloc_node(s, GFP_KERNEL, 0);
	assert_non_null(p);
	assert_int_equal(kp_page_node(p), 0);
	kmem_cache_free(s, p);
	kp_alloc_fail_reset();
	assert_null(kmem_cache_alloc_node(s, GFP_KERNEL | __GFP_NOWARN, kp_nr_nodes()));
	assert_int_equal(kp_alloc_fail_count(KP_FAIL_NODE), 1);
	p = kmem_cache_alloc_node(s, GFP_KERNEL | __GFP_THISNODE, NUMA_NO_NODE);
	assert_non_null(p);
	kmem_cache_free(s, p);
	kmem_cache_destroy(s);
}

static void test_kmemleak_lists_cache_objects(void **state)
{
	struct kmem_cache *s = kmem_cache_create("listed", 24, 0, 0, NULL);
	void *p = kmem_cache_alloc(s, GFP_KERNEL);
	char *buf = NULL;
	size_t len = 0, before = kp_kmemleak_report(NULL);
	FILE *mem = open_memstream(&buf, &len);

	(void)state;
	assert_true(before >= 1);
	memset(p, 0x42, 24);
	kp_kmemleak_report(mem);
	fclose(mem);
	assert_non_null(strstr(buf, "cache \"listed\""));
	assert_non_null(strstr(buf, "42 42 42"));
	free(buf);
	kmem_cache_free(s, p);
	assert_int_equal(kp_kmemleak_report(NULL), before - 1);
	kmem_cache_destroy(s);
}

/*
 * Objects a task freed wait in its sheaves (and its hot slot): they are
 * free, so neither the live count nor kmemleak's walk may show them.
 */
static void test_objects_in_sheaves_are_free(void **state)
{
	enum { N = 100, KEEP = 3 };
	struct kmem_cache *s = kmem_cache_create("sheafed", 40, 0, SLAB_NO_USER_FLAGS, NULL);
	void *objs[N];
	char *buf = NULL, *p;
	size_t len = 0, listed = 0;
	FILE *mem;

	(void)state;
	for (int i = 0; i < N; i++)
		objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
	for (int i = KEEP; i < N; i++)
		kmem_cache_free(s, objs[i]);
	assert_int_equal(kmem_cache_live_objects(s), KEEP);
	mem = open_memstream(&buf, &len);
	kp_kmemleak_report(mem);
	fclose(mem);
	for (p = buf; (p = strstr(p, "cache \"sheafed\"")); p++)
		listed++;
	assert_int_equal(listed, KEEP);
	for (int i = 0; i < KEEP; i++) {
		char line[64];

		snprintf(line, sizeof(line), "unreferenced object %p ", objs[i]);
		assert_non_null(strstr(buf, line));
	}
	free(buf);
	for (int i = 0; i < KEEP; i++)
		kmem_cache_free(s, objs[i]);
	kmem_cache_destroy(s);
	assert_no_reports();
}

/*
 * Bits that are no flag, and zones kmalloc has no caches for
 * (GFP_SLAB_BUG_MASK), are dropped with the kernel's warning where the
 * kernel checks, when a slab is made or a large block taken; the
 * allocation goes on without them.
 */
static void test_unexpected_gfp_fixed_up(void **state)
{
	struct kmem_cache *s = kmem_cache_create("bad-gfp", 64, 0, SLAB_NO_USER_FLAGS, NULL);
	struct kp_stderr_capture err;
	void *obj, *big;

	(void)state;
	kp_stderr_capture_start(&err);
	obj = kmem_cache_alloc(s, GFP_KERNEL | 0x40000000u);	/* the cache's first slab */
	assert_non_null(obj);
	assert_non_null(strstr(kp_stderr_captured(&err), "Unexpected gfp: 0x40000000. "
			       "Fixing up to gfp: 0xcc0. Fix your code!"));
	big = kmalloc(64 << 10, GFP_KERNEL | __GFP_HIGHMEM | __GFP_DMA32);
	assert_non_null(big);
	assert_non_null(strstr(kp_stderr_captured(&err), "Unexpected gfp: 0x6. "
			       "Fixing up to gfp: 0xcc0. Fix your code!"));
	kp_stderr_capture_stop(&err);
	kfree(big);
	kmem_cache_free(s, obj);
	kmem_cache_destroy(s);
	assert_no_reports();
}

/* kmemleak's entries for cache "name" in a report. */
static size_t kmemleak_listed(const char *name)
{
	char *buf = NULL, *p, key[64];
	size_t len = 0, listed = 0;
	FILE *mem = open_memstream(&buf, &len);

	kp_kmemleak_report(mem);
	fclose(mem);
	snprintf(key, sizeof(key), "cache \"%s\"", name);
	for (p = buf; (p = strstr(p, key)); p++)
		listed++;
	free(buf);
	return listed;
}

/*
 * Frees fill the main sheaf, swap in the spare and flush a full spare;
 * allocations empty main and swap the spare back or refill: the live
 * count, which reads each sheaf's size off its top, is exact after every
 * call across all of those edges, and kmemleak's walk, which reads the
 * sheaves' slots, lists exactly the objects still held.
 */
static void test_live_count_exact_across_sheaves(void **state)
{
	enum { CAP = SHEAF_MAX_OBJECTS, N = 3 * CAP + 5, KEEP = 2 };
	static void *objs[N];
	struct kmem_cache *s = kmem_cache_create("sheaf-edges", 64, 0, SLAB_NO_USER_FLAGS, NULL);

	(void)state;
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < N; i++) {
			objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
			assert_non_null(objs[i]);
			assert_int_equal(kmem_cache_live_objects(s), i + 1);
		}
		for (int i = 0; i < N; i++) {
			if (i == N / 2 || i == N / 2 + CAP)
				continue;	/* KEEP objects stay live */
			kmem_cache_free(s, objs[i]);
			assert_int_equal(kmem_cache_live_objects(s),
					 N - i - 1 + (i > N / 2) + (i > N / 2 + CAP));
		}
		assert_int_equal(kmem_cache_live_objects(s), KEEP);
		assert_int_equal(kmemleak_listed("sheaf-edges"), KEEP);
		kmem_cache_free(s, objs[N / 2]);
		kmem_cache_free(s, objs[N / 2 + CAP]);
		assert_int_equal(kmem_cache_live_objects(s), 0);
	}
	kmem_cache_destroy(s);
	assert_no_reports();
}

static void *take_from_barn(void *arg)
{
	struct remote *t = arg;

	for (int i = 0; i < t->n; i++)
		t->objs[i] = kmem_cache_alloc(t->s, GFP_KERNEL);
	return NULL;	/* its sheaves are flushed at exit; the objects stay live */
}

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;

	return (x > y) - (x < y);
}

/*
 * A task whose two sheaves are full leaves the next full one in its
 * node's barn; a task whose sheaves are empty takes one whole, so the
 * objects one thread freed are the next another allocates. The live count
 * is exact wherever the objects wait, kmemleak's walk passes over the
 * barn's, and a shrink gives them back to their slabs.
 */
static void test_barn_hands_sheaves_between_tasks(void **state)
{
	enum { CAP = SHEAF_MAX_OBJECTS, N = 5 * CAP };
	static void *objs[N], *taken[CAP];
	struct kmem_cache *s = kmem_cache_create("barn", 64, 0, SLAB_NO_USER_FLAGS, NULL);
	struct remote taker = { s, taken, CAP };
	unsigned int in_barn;
	pthread_t thread;

	(void)state;
	for (int i = 0; i < N; i++)
		objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
	for (int i = 0; i < N; i++)
		kmem_cache_free(s, objs[i]);
	in_barn = s->node[0].barn.nr_full;	/* what neither main nor spare could hold */
	assert_true(in_barn >= (N - 2 * CAP) / CAP - 1);
	assert_int_equal(kmem_cache_live_objects(s), 0);
	assert_int_equal(kmemleak_listed("barn"), 0);

	assert_int_equal(pthread_create(&thread, NULL, take_from_barn, &taker), 0);
	assert_int_equal(pthread_join(thread, NULL), 0);
	assert_int_equal(s->node[0].barn.nr_full, in_barn - 1);	/* one sheaf taken whole */
	qsort(objs, N, sizeof(objs[0]), cmp_ptr);
	qsort(taken, CAP, sizeof(taken[0]), cmp_ptr);
	for (int i = 0; i < CAP; i++) {
		assert_non_null(bsearch(&taken[i], objs, N, sizeof(objs[0]), cmp_ptr));
		assert_true(i == 0 || taken[i] != taken[i - 1]);
	}
	assert_int_equal(kmem_cache_live_objects(s), CAP);
	assert_int_equal(kmemleak_listed("barn"), CAP);

	for (int i = 0; i < CAP; i++)
		kmem_cache_free(s, taken[i]);
	assert_int_equal(kmem_cache_live_objects(s), 0);
	assert_true(kmem_cache_shrink(s) > 0);
	assert_int_equal(s->node[0].barn.nr_full, 0);
	assert_int_equal(s->node[0].barn.nr_empty, 0);
	assert_int_equal(kmem_cache_live_objects(s), 0);
	kmem_cache_destroy(s);
	assert_no_reports();
}

/*
 * The barn keeps BARN_MAX_SHEAVES full sheaves and no more: past them a
 * task with two full sheaves empties its spare into the slabs, as before
 * barns. Nothing is lost either way, and destroying the cache gives the
 * barn's sheaves back.
 */
static void test_full_barn_sends_frees_to_slabs(void **state)
{
	enum { CAP = SHEAF_MAX_OBJECTS, N = (BARN_MAX_SHEAVES + 4) * CAP };
	static void *objs[N];
	struct kmem_cache *s = kmem_cache_create("full-barn", 64, 0, SLAB_NO_USER_FLAGS, NULL);
	size_t before = kp_mem_used();

	(void)state;
	for (int i = 0; i < N; i++)
		objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
	for (int i = 0; i < N; i++)
		kmem_cache_free(s, objs[i]);
	assert_int_equal(s->node[0].barn.nr_full, BARN_MAX_SHEAVES);
	assert_int_equal(kmem_cache_live_objects(s), 0);
	for (int i = 0; i < N; i++)	/* all of them again, from sheaves, barn and slabs */
		objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
	assert_int_equal(kmem_cache_live_objects(s), N);
	for (int i = 0; i < N; i++)
		kmem_cache_free(s, objs[i]);
	kmem_cache_destroy(s);
	assert_no_reports();
	assert_true(kp_mem_used() <= before);	/* slabs, sheaves and barn all given back */
}

/* The object freed last is the hot one: freeing it again is caught without debugging. */
static void test_double_free_of_hot_object_refused(void **state)
{
	struct kmem_cache *s = kmem_cache_create("hot", 64, 0, SLAB_NO_USER_FLAGS, NULL);
	void *p = kmem_cache_alloc(s, GFP_KERNEL);
	void *q = kmem_cache_alloc(s, GFP_KERNEL);

	(void)state;
	kmem_cache_free(s, q);
	kmem_cache_free(s, p);
	kmem_cache_free(s, p);
	assert_reports(KP_REPORT_DOUBLE_FREE, 1);
	assert_msg_contains("Object already free");
	assert_int_equal(kmem_cache_live_objects(s), 0);
	/* Refused: p and q each come back once. */
	p = kmem_cache_alloc(s, GFP_KERNEL);
	q = kmem_cache_alloc(s, GFP_KERNEL);
	assert_ptr_not_equal(p, q);
	assert_int_equal(kmem_cache_live_objects(s), 2);
	kmem_cache_free(s, p);
	kmem_cache_free(s, q);
	kmem_cache_destroy(s);
}

/* Geometries for the object-start tests: power-of-two sizes and not, small and large alignments. */
static const struct { unsigned int size, align; } geometries[] = {
	{ 8, 8 }, { 24, 8 }, { 40, 8 }, { 64, 64 }, { 96, 32 }, { 100, 4 }, { 192, 64 },
	{ 200, 8 }, { 1000, 8 }, { 3000, 64 }, { 4096, 4096 }, { 5000, 8 },
};

/* The object start the definition names: past the left red zone, a multiple of size, in range. */
static bool is_object_start(const struct kmem_cache *s, uintptr_t off)
{
	return off >= s->red_left_pad && (off - s->red_left_pad) % s->size == 0 &&
	       (off - s->red_left_pad) / s->size < s->objects;
}

/*
 * Run check on a cache of every geometry with each of flags, given one
 * object p allocated from it and the start of p's slab.
 */
static void for_each_geometry(const slab_flags_t *flags, size_t nr_flags,
			      void (*check)(struct kmem_cache *s, char *p, char *slab))
{
	for (size_t g = 0; g < sizeof(geometries) / sizeof(geometries[0]); g++) {
		for (size_t f = 0; f < nr_flags; f++) {
			struct kmem_cache *s = kmem_cache_create("geometry", geometries[g].size,
								 geometries[g].align, flags[f], NULL);
			char *p = kmem_cache_alloc(s, GFP_KERNEL);

			assert_non_null(p);
			check(s, p, (char *)((uintptr_t)p & ~s->slab_mask));
			kmem_cache_free(s, p);
			kmem_cache_destroy(s);
		}
	}
}

static void check_every_byte(struct kmem_cache *s, char *p, char *slab)
{
	(void)p;
	for (uintptr_t off = 0; off <= s->slab_mask; off++) {
		bool start = is_object_start(s, off);

		assert_int_equal(slab_obj_valid(s, slab + off), start);
		if (!s->red_left_pad)
			assert_int_equal(page_obj_valid(kp_page_lookup(slab + off), slab + off),
					 start);
	}
}

/*
 * The one-compare object-start test (slab_obj_valid(), and its copy in the
 * page map that kfree's fast path reads) accepts exactly the objects'
 * starts: every byte of a slab, every geometry, with and without debugging.
 */
static void test_object_start_test_is_exact(void **state)
{
	static const slab_flags_t flags[] = { 0, SLAB_NO_USER_FLAGS, SLAB_RED_ZONE };

	(void)state;
	for_each_geometry(flags, sizeof(flags) / sizeof(flags[0]), check_every_byte);
	assert_no_reports();
}

static unsigned long tails_refused;

static void check_tail_refused(struct kmem_cache *s, char *p, char *slab)
{
	char *tail = slab + s->red_left_pad + (size_t)s->objects * s->size;
	unsigned int nr = 2 * s->objects;
	void **all = calloc(nr, sizeof(void *));
	bool has_tail = tail <= slab + s->slab_mask;	/* else tail is the next block's */

	if (has_tail) {
		kmem_cache_free(s, tail);
		kfree(tail);
		tails_refused += 2;
		assert_reports(KP_REPORT_INVALID_FREE, tails_refused);
	}
	assert_int_equal(kmem_cache_live_objects(s), 1);
	/* Never handed out, not even once p's slab is full. */
	assert_int_equal(kmem_cache_alloc_bulk(s, GFP_KERNEL, nr, all), nr);
	for (unsigned int i = 0; i < nr; i++)
		assert_true((!has_tail || all[i] != tail) && all[i] != p);
	kmem_cache_free_bulk(s, nr, all);
	free(all);
}

/*
 * A pointer at a multiple of the object size but past a slab's last object
 * (into the slab's unused tail) is no object: refused, nothing changed.
 */
static void test_free_past_last_object_refused(void **state)
{
	static const slab_flags_t flags[] = { 0, SLAB_NO_USER_FLAGS };

	(void)state;
	tails_refused = 0;
	for_each_geometry(flags, sizeof(flags) / sizeof(flags[0]), check_tail_refused);
	assert_true(tails_refused >= 8);	/* the geometries give tails: the test tested */
}

/*
 * fork() while another thread holds a cache's list_lock (kmemleak printing
 * that cache's objects to a stream that stalls): the handlers make fork
 * wait for it, so the child, which allocates enough to need the lock,
 * gets it. Without them the child would spin on a lock whose holder does
 * not exist there (alarm() ends it: the test fails, it does not hang).
 */
static atomic_int report_stalled;

static ssize_t stall_on_cache(void *cookie, const char *buf, size_t len)
{
	(void)cookie;
	if (memmem(buf, len, "fork-test", 9) && !atomic_exchange(&report_stalled, 1))
		usleep(300 * 1000);
	return (ssize_t)len;
}

static void *report_slowly(void *arg)
{
	FILE *out = fopencookie(NULL, "w", (cookie_io_functions_t){ .write = stall_on_cache });

	setvbuf(out, NULL, _IONBF, 0);	/* each line written while the lock is held */
	kp_kmemleak_report(out);
	fclose(out);
	return arg;
}

static void test_fork_while_a_lock_is_held(void **state)
{
	struct kmem_cache *s = kmem_cache_create("fork-test", 64, 0, 0, NULL);
	void *live = kmem_cache_alloc(s, GFP_KERNEL);
	pthread_t reporter;
	int status = -1;
	pid_t pid;

	(void)state;
	atomic_store(&report_stalled, 0);
	assert_int_equal(pthread_create(&reporter, NULL, report_slowly, NULL), 0);
	while (!atomic_load(&report_stalled))
		usleep(1000);
	pid = fork();
	if (pid == 0) {
		void *objs[600];

		alarm(5);
		for (int round = 0; round < 4; round++) {
			for (int i = 0; i < 600; i++)
				objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
			for (int i = 0; i < 600; i++)
				kmem_cache_free(s, objs[i]);
		}
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	pthread_join(reporter, NULL);
	kmem_cache_free(s, live);
	kmem_cache_destroy(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		slab_test(test_create_rejects_bad_arguments),
		slab_test(test_alloc_free_and_accounting),
		slab_test(test_alignment),
		slab_test(test_zalloc_zeroes_reused_objects),
		slab_test(test_ctor),
		slab_test(test_bulk_all_or_nothing),
		slab_test(test_destroy_with_live_objects),
		slab_test(test_free_to_wrong_cache_refused),
		slab_test(test_naive_double_free_refused),
		slab_test(test_remote_free_and_reuse),
		slab_test(test_many_slabs_shuffled_frees),
		slab_test(test_alloc_node),
		slab_test(test_kmemleak_lists_cache_objects),
		slab_test(test_objects_in_sheaves_are_free),
		slab_test(test_live_count_exact_across_sheaves),
		slab_test(test_barn_hands_sheaves_between_tasks),
		slab_test(test_full_barn_sends_frees_to_slabs),
		slab_test(test_unexpected_gfp_fixed_up),
		slab_test(test_double_free_of_hot_object_refused),
		slab_test(test_object_start_test_is_exact),
		slab_test(test_free_past_last_object_refused),
		slab_test(test_fork_while_a_lock_is_held),
	};

	return kp_run_tests("slab", tests);
}
