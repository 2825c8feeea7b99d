// SPDX-License-Identifier: MIT
/*
 * stress_ref.c - Arcs and ARefs cloned and dropped by many threads at once,
 * built under ThreadSanitizer.
 *
 * Every thread starts owning one reference to each shared object, then
 * repeatedly clones a few (through arc_clone or an aref), writes its own
 * slot in the payload while it holds them, and drops them; at the end it
 * drops its base reference. A shadow count of the references the test
 * holds is raised before each clone and lowered before each put, so it is
 * never below the true count while a reference is held: the drop function
 * asserts it is zero (drop only after the last reference) and counts
 * itself (exactly once). It also reads every thread's slot: TSan flags a
 * race unless the last put's release/acquire ordering makes all those
 * writes visible, which is what refcount_dec_and_test() promises.
 */
#include <pthread.h>

#include "kp_test.h"

#define THREADS		4
#define OBJECTS		4
#define ROUNDS		20000
#define BURST		3

struct shared {
	int id;
	int shadow_refs;
	unsigned long slot[THREADS];
};

static struct arc *objects[OBJECTS];
static int drops[OBJECTS];
static int early_drops;
static unsigned long ops_done[THREADS];
static int start_gate;

static void shared_drop(void *payload)
{
	struct shared *s = payload;
	unsigned long sum = 0;

	if (kp_atomic_load(&s->shadow_refs, KP_RELAXED) != 0)
		kp_atomic_fetch_add(&early_drops, 1, KP_RELAXED);
	for (int t = 0; t < THREADS; t++)
		sum += s->slot[t];	/* plain reads: ordered by the last put */
	kp_atomic_fetch_add(&drops[s->id], 1, KP_RELAXED);
	s->slot[0] = sum;
}

static struct shared *shared_of(struct arc *arc)
{
	return arc_payload(arc);
}

static void hold(struct shared *s)
{
	kp_atomic_fetch_add(&s->shadow_refs, 1, KP_RELAXED);
}

static void unhold(struct shared *s)
{
	kp_atomic_fetch_sub(&s->shadow_refs, 1, KP_RELAXED);
}

struct worker {
	int id;
	struct arc *base[OBJECTS];	/* one reference each, owned from the start */
};

static void *worker(void *arg)
{
	struct worker *w = arg;
	unsigned int seed = 0x9e3779b9u * (unsigned int)(w->id + 1);

	/* Start together, so the workers' clones and drops really overlap. */
	kp_atomic_fetch_add(&start_gate, 1, KP_RELAXED);
	while (kp_atomic_load(&start_gate, KP_RELAXED) < THREADS)
		cpu_relax();

	for (int i = 0; i < ROUNDS; i++) {
		int o;
		struct arc *arc;
		struct arc *clones[BURST];
		struct aref arefs[BURST];
		struct aref base;

		seed = seed * 1103515245u + 12345u;
		o = (int)((seed >> 16) % OBJECTS);
		arc = w->base[o];

		for (int k = 0; k < BURST; k++) {
			hold(shared_of(arc));
			clones[k] = arc_clone(arc);
		}
		base = aref_from_raw(arc_payload(arc), &arc_aref_ops);
		for (int k = 0; k < BURST; k++) {
			hold(shared_of(arc));
			arefs[k] = aref_clone(&base);
		}
		aref_into_raw(&base);	/* the base reference stays ours */

		shared_of(arc)->slot[w->id] = (unsigned long)i;

		for (int k = 0; k < BURST; k++) {
			unhold(shared_of(arc));
			aref_drop(&arefs[k]);
			unhold(shared_of(arc));
			arc_put(clones[k]);
		}
		ops_done[w->id] += 2 * BURST;
	}
	for (int o = 0; o < OBJECTS; o++) {
		unhold(shared_of(w->base[o]));
		arc_put(w->base[o]);
	}
	return NULL;
}

static void test_clone_drop_storm(void **state)
{
	struct worker workers[THREADS];
	pthread_t tids[THREADS];

	(void)state;
	for (int o = 0; o < OBJECTS; o++) {
		struct shared init = { .id = o, .shadow_refs = 1 };

		objects[o] = arc_new(&init, sizeof(init), shared_drop, GFP_KERNEL);
		assert_non_null(objects[o]);
		drops[o] = 0;
	}
	/*
	 * Hand each worker a reference, then put main's own before any worker
	 * runs: the last put, and so the drop, is always some worker's.
	 */
	for (int t = 0; t < THREADS; t++) {
		workers[t].id = t;
		for (int o = 0; o < OBJECTS; o++) {
			hold(shared_of(objects[o]));
			workers[t].base[o] = arc_clone(objects[o]);
		}
	}
	for (int o = 0; o < OBJECTS; o++) {
		unhold(shared_of(objects[o]));
		assert_false(arc_put(objects[o]));
	}
	for (int t = 0; t < THREADS; t++)
		assert_int_equal(pthread_create(&tids[t], NULL, worker, &workers[t]), 0);
	for (int t = 0; t < THREADS; t++)
		pthread_join(tids[t], NULL);

	for (int o = 0; o < OBJECTS; o++)
		assert_int_equal(drops[o], 1);
	assert_int_equal(early_drops, 0);
	assert_int_equal(kp_kmemleak_report(stderr), 0);
	for (int t = 0; t < THREADS; t++) {
		assert_int_equal(ops_done[t], (unsigned long)ROUNDS * 2 * BURST);
		print_message("# thread %d: %lu clone/drop pairs\n", t, ops_done[t]);
	}
	assert_no_reports();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		kp_unit_test(test_clone_drop_storm),
	};

	return kp_run_tests("stress-ref", tests);
}
