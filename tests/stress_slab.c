// SPDX-License-Identifier: MIT
/*
 * stress_slab.c - slab objects passed between threads, under ThreadSanitizer.
 *
 * Each of THREADS workers allocates objects, stamps them with its id and a
 * sequence number, and passes them through a single-producer ring to the
 * next worker, which checks the stamp and frees them: nearly every free is
 * a remote free, racing with the owner's allocations from the same slabs.
 * Some objects are also freed locally. A stamp that changed between hand-off
 * and free means two live objects overlapped. At the end every cache must
 * count zero live objects and give all its slabs back.
 *
 * Then pairs of threads of which one only allocates and the other only
 * frees: the freeing ones fill their sheaves and leave them in the barn,
 * the allocating ones run empty and take them, all at once.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "kp_test.h"

#define THREADS	4
#define ROUNDS	20000
#define RING	256

struct stamp {
	unsigned int owner, seq;
};

struct ring {
	_Alignas(64) atomic_uint head;
	_Alignas(64) atomic_uint tail;
	struct stamp *slot[RING];
};

static struct ring rings[THREADS];
static struct kmem_cache *fast_cache;
static atomic_int bad_stamps, done_producing;
static unsigned long frees_by[THREADS];

static void *alloc_one(unsigned int i)
{
	switch (i % 3) {
	case 0:
		return kmem_cache_alloc(fast_cache, GFP_KERNEL);
	case 1:
		return kmalloc(64, GFP_KERNEL);
	default:
		return kmalloc(200, GFP_KERNEL);
	}
}

static void free_one(struct stamp *s, unsigned int seq)
{
	if (seq % 3 == 0)
		kmem_cache_free(fast_cache, s);
	else
		kfree(s);
}

static bool ring_push(struct ring *r, struct stamp *s)
{
	unsigned int head = atomic_load_explicit(&r->head, memory_order_relaxed);

	if (head - atomic_load_explicit(&r->tail, memory_order_acquire) == RING)
		return false;
	r->slot[head % RING] = s;
	atomic_store_explicit(&r->head, head + 1, memory_order_release);
	return true;
}

static struct stamp *ring_pop(struct ring *r)
{
	unsigned int tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	struct stamp *s;

	if (tail == atomic_load_explicit(&r->head, memory_order_acquire))
		return NULL;
	s = r->slot[tail % RING];
	atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
	return s;
}

static void consume(int id, struct ring *in, unsigned int *expect)
{
	struct stamp *s;

	while ((s = ring_pop(in))) {
		unsigned int from = (unsigned int)(id + THREADS - 1) % THREADS;

		if (s->owner != from || s->seq != *expect)
			atomic_fetch_add(&bad_stamps, 1);
		free_one(s, (*expect)++);
		frees_by[id]++;
	}
}

static void *worker(void *arg)
{
	int id = (int)(intptr_t)arg;
	struct ring *out = &rings[id], *in = &rings[(id + THREADS - 1) % THREADS];
	unsigned int expect = 0;

	for (unsigned int i = 0; i < ROUNDS; i++) {
		struct stamp *s = alloc_one(i), *local = alloc_one(i + 1);

		s->owner = (unsigned int)id;
		s->seq = i;
		free_one(local, i + 1);		/* a local free in between */
		while (!ring_push(out, s))
			consume(id, in, &expect);
		consume(id, in, &expect);
	}
	atomic_fetch_add(&done_producing, 1);
	while (expect < ROUNDS)
		consume(id, in, &expect);
	return NULL;
}

static void test_remote_free_storm(void **state)
{
	pthread_t t[THREADS];

	(void)state;
	fast_cache = kmem_cache_create("stress", sizeof(struct stamp) + 40, 0,
				       SLAB_NO_USER_FLAGS, NULL);
	assert_non_null(fast_cache);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(atomic_load(&bad_stamps), 0);
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(frees_by[i], ROUNDS);
		print_message("# thread %d: %lu remote frees\n", i, frees_by[i]);
	}
	assert_int_equal(kmem_cache_live_objects(fast_cache), 0);
	assert_int_equal(kp_kmemleak_report(stderr), 0);
	kmem_cache_destroy(fast_cache);
	assert_no_reports();
}

#define PAIRS		2
#define PAIR_OBJECTS	30000

static struct ring pair_rings[PAIRS];
static struct kmem_cache *barn_cache;

static void *only_allocate(void *arg)
{
	int id = (int)(intptr_t)arg;

	for (unsigned int i = 0; i < PAIR_OBJECTS; i++) {
		struct stamp *s = kmem_cache_alloc(barn_cache, GFP_KERNEL);

		s->owner = (unsigned int)id;
		s->seq = i;
		while (!ring_push(&pair_rings[id], s))
			sched_yield();
	}
	return NULL;
}

static void *only_free(void *arg)
{
	int id = (int)(intptr_t)arg;

	for (unsigned int expect = 0; expect < PAIR_OBJECTS;) {
		struct stamp *s = ring_pop(&pair_rings[id]);

		if (!s) {
			sched_yield();
			continue;
		}
		if (s->owner != (unsigned int)id || s->seq != expect)
			atomic_fetch_add(&bad_stamps, 1);
		expect++;
		kmem_cache_free(barn_cache, s);
	}
	return NULL;
}

static void test_sheaves_through_the_barn(void **state)
{
	pthread_t t[2 * PAIRS];

	(void)state;
	barn_cache = kmem_cache_create("stress-barn", sizeof(struct stamp) + 56, 0,
				       SLAB_NO_USER_FLAGS, NULL);
	assert_non_null(barn_cache);
	for (int i = 0; i < PAIRS; i++) {
		assert_int_equal(pthread_create(&t[2 * i], NULL, only_allocate,
						(void *)(intptr_t)i), 0);
		assert_int_equal(pthread_create(&t[2 * i + 1], NULL, only_free,
						(void *)(intptr_t)i), 0);
	}
	for (int i = 0; i < 2 * PAIRS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(atomic_load(&bad_stamps), 0);
	assert_int_equal(kmem_cache_live_objects(barn_cache), 0);
	assert_int_equal(kp_kmemleak_report(stderr), 0);
	assert_true(kmem_cache_shrink(barn_cache) > 0);
	kmem_cache_destroy(barn_cache);
	assert_no_reports();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		kp_unit_test(test_remote_free_storm),
		kp_unit_test(test_sheaves_through_the_barn),
	};

	return kp_run_tests("stress-slab", tests);
}
