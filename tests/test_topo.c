// SPDX-License-Identifier: MIT
/*
 * test_topo.c - benchmark placement on synthetic topologies.
 *
 * "pack:2 numa:2 core:4 pu:2" is 2 packages x 2 NUMA nodes x 4 cores x 2
 * hyperthreads: PUs 0-7 on node 0, 8-15 on node 1 (package 0), 16-23 on
 * node 2, 24-31 on node 3 (package 1). Each test asserts which PUs and
 * nodes a placement or memory policy picks there, that binding is never
 * trusted on a topology that is not this machine, and, on the real machine,
 * that a bind really moves the thread.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "kp_test.h"
#include "topo.h"

#define SYNTH "pack:2 numa:2 core:4 pu:2"

static struct kp_topo topo;
static struct kp_placement pl;
static char err[256];

static int open_synth(void **state)
{
	(void)state;
	return kp_topo_open(&topo, SYNTH);
}

static int close_topo(void **state)
{
	(void)state;
	kp_topo_close(&topo);
	return 0;
}

#define topo_test(f) cmocka_unit_test_setup_teardown(f, open_synth, close_topo)

static void assert_placement(const char *spec, int n, const int *pus, const int *nodes)
{
	assert_int_equal(kp_placement_build(&topo, spec, n, &pl, err, sizeof(err)), 0);
	for (int i = 0; i < n; i++) {
		assert_int_equal(pl.pu[i], pus[i]);
		assert_int_equal(pl.node[i], nodes[i]);
	}
}

static void test_discovery(void **state)
{
	char buf[256];

	(void)state;
	assert_int_equal(topo.npackages, 2);
	assert_int_equal(topo.nnodes, 4);
	assert_int_equal(topo.ncores, 16);
	assert_int_equal(topo.npus, 32);
	assert_false(topo.this_system);
	assert_false(topo.can_bind_threads);
	assert_false(topo.can_bind_memory);
	kp_topo_summary(&topo, buf, sizeof(buf));
	assert_string_equal(buf, "2 packages, 4 NUMA nodes, 16 cores, 32 PUs "
			    "(not this system: binding disabled)");
}

static void test_compact_fills_siblings_first(void **state)
{
	(void)state;
	assert_placement("compact", 4, (int[]){ 0, 1, 2, 3 }, (int[]){ 0, 0, 0, 0 });
	assert_placement("compact", 10, (int[]){ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 },
			 (int[]){ 0, 0, 0, 0, 0, 0, 0, 0, 1, 1 });
}

static void test_scatter_spreads_out(void **state)
{
	(void)state;
	assert_placement("scatter", 2, (int[]){ 0, 16 }, (int[]){ 0, 2 });
	assert_placement("scatter", 4, (int[]){ 0, 8, 16, 24 }, (int[]){ 0, 1, 2, 3 });
	assert_placement("scatter", 8, (int[]){ 0, 4, 8, 12, 16, 20, 24, 28 },
			 (int[]){ 0, 0, 1, 1, 2, 2, 3, 3 });
	/* 16 threads: one per core, never two hyperthreads of one core. */
	assert_int_equal(kp_placement_build(&topo, "scatter", 16, &pl, err, sizeof(err)), 0);
	for (int i = 0; i < 16; i++)
		assert_int_equal(pl.pu[i], 2 * i);
}

static void test_cpu_list_in_order_and_wrapping(void **state)
{
	char buf[64];

	(void)state;
	assert_placement("cpus:3,17-18", 4, (int[]){ 3, 17, 18, 3 }, (int[]){ 0, 2, 2, 0 });
	assert_placement("9", 2, (int[]){ 9, 9 }, (int[]){ 1, 1 });
	kp_placement_cpus(&pl, buf, sizeof(buf));
	assert_string_equal(buf, "9,9");
}

static void test_bad_placements(void **state)
{
	static const struct { const char *spec, *why; } bad[] = {
		{ "cpus:32", "CPU 32 does not exist" },
		{ "cpus:0,99", "CPU 99 does not exist" },
		{ "cpus:", "empty CPU list" },
		{ "cpus:5-2", "bad CPU range" },
		{ "cpus:1,x", "bad CPU list '1,x'" },
		{ "everywhere", "unknown placement 'everywhere'" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(kp_placement_build(&topo, bad[i].spec, 2, &pl, err, sizeof(err)),
				 -EINVAL);
		assert_non_null(strstr(err, bad[i].why));
	}
	assert_int_equal(kp_placement_build(&topo, "compact", 0, &pl, err, sizeof(err)), -EINVAL);
}

static void test_binding_not_trusted_on_synthetic(void **state)
{
	(void)state;
	assert_int_equal(kp_placement_build(&topo, "scatter", 2, &pl, err, sizeof(err)), 0);
	assert_int_equal(kp_bind_thread(&topo, &pl, 1), 0);
}

static void test_memory_policy_nodes(void **state)
{
	enum kp_mem_policy p;
	int nodes[8];

	(void)state;
	assert_int_equal(kp_mem_nodes(&topo, KP_MEM_LOCAL, 1, nodes, 8), 1);
	assert_int_equal(nodes[0], 1);
	/* Remote prefers the other package. */
	assert_int_equal(kp_mem_nodes(&topo, KP_MEM_REMOTE, 0, nodes, 8), 1);
	assert_int_equal(nodes[0], 2);
	assert_int_equal(kp_mem_nodes(&topo, KP_MEM_REMOTE, 3, nodes, 8), 1);
	assert_int_equal(nodes[0], 0);
	assert_int_equal(kp_mem_nodes(&topo, KP_MEM_INTERLEAVE, 2, nodes, 8), 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(nodes[i], i);

	assert_int_equal(kp_mem_policy_parse("interleave", &p), 0);
	assert_int_equal(p, KP_MEM_INTERLEAVE);
	assert_string_equal(kp_mem_policy_name(KP_MEM_REMOTE), "remote");
	assert_int_equal(kp_mem_policy_parse("far", &p), -EINVAL);
}

static void test_memory_on_synthetic_is_plain_and_usable(void **state)
{
	bool bound = true;
	char *p = kp_mem_alloc(&topo, 8192, KP_MEM_REMOTE, 0, &bound);

	(void)state;
	assert_non_null(p);
	assert_false(bound);
	p[0] = 1;
	p[8191] = 2;
	kp_mem_free(&topo, p, 8192);
}

static void test_one_node_has_no_remote(void **state)
{
	struct kp_topo small;
	int nodes[4];

	(void)state;
	assert_int_equal(kp_topo_open(&small, "core:2 pu:1"), 0);
	assert_int_equal(small.nnodes, 1);
	assert_int_equal(kp_mem_nodes(&small, KP_MEM_REMOTE, 0, nodes, 4), 1);
	assert_int_equal(nodes[0], 0);
	kp_topo_close(&small);
}

/* Export, then load the XML back through HWLOC_XMLFILE: same shape. */
static void test_xml_round_trip(void **state)
{
	char path[] = "/tmp/kprim-topo-XXXXXX";
	struct kp_topo back;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(kp_topo_export_xml(&topo, path), 0);
	setenv("HWLOC_XMLFILE", path, 1);
	assert_int_equal(kp_topo_open(&back, NULL), 0);
	unsetenv("HWLOC_XMLFILE");
	unlink(path);
	assert_int_equal(back.npus, 32);
	assert_int_equal(back.nnodes, 4);
	assert_false(back.can_bind_threads);
	assert_int_equal(kp_placement_build(&back, "scatter", 4, &pl, err, sizeof(err)), 0);
	assert_int_equal(pl.pu[3], 24);
	kp_topo_close(&back);
}

/* On this machine a bind is real: the thread then runs where it was put. */
static void test_real_binding(void **state)
{
	struct kp_topo real;
	cpu_set_t saved;
	int last;

	(void)state;
	assert_int_equal(kp_topo_open(&real, NULL), 0);
	assert_true(real.this_system);
	if (!real.can_bind_threads) {
		kp_topo_close(&real);
		skip();
	}
	last = real.npus - 1;
	snprintf(err, sizeof(err), "cpus:%d", (int)hwloc_get_obj_by_type(
			 real.t, HWLOC_OBJ_PU, (unsigned int)last)->os_index);
	assert_int_equal(kp_placement_build(&real, err, 1, &pl, err, sizeof(err)), 0);
	sched_getaffinity(0, sizeof(saved), &saved);
	assert_int_equal(kp_bind_thread(&real, &pl, 0), 1);
	assert_int_equal(sched_getcpu(), pl.pu[0]);
	sched_setaffinity(0, sizeof(saved), &saved);
	kp_topo_close(&real);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		topo_test(test_discovery),
		topo_test(test_compact_fills_siblings_first),
		topo_test(test_scatter_spreads_out),
		topo_test(test_cpu_list_in_order_and_wrapping),
		topo_test(test_bad_placements),
		topo_test(test_binding_not_trusted_on_synthetic),
		topo_test(test_memory_policy_nodes),
		topo_test(test_memory_on_synthetic_is_plain_and_usable),
		topo_test(test_one_node_has_no_remote),
		topo_test(test_xml_round_trip),
		cmocka_unit_test(test_real_binding),
	};

	return kp_run_tests("topo", tests);
}
