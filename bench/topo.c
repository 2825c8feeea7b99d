// SPDX-License-Identifier: MIT
/*
 * topo.c - hwloc topology, placements, binding and NUMA memory.
 *
 * Everything is keyed by OS indices (what taskset and /proc show), looked
 * up through hwloc so that synthetic topologies behave exactly like real
 * ones except for the final bind, which hwloc's support bits gate.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "topo.h"

static int count_type(hwloc_topology_t t, hwloc_obj_type_t type)
{
	int n = hwloc_get_nbobjs_by_type(t, type);

	return n > 0 ? n : 0;
}

int kp_topo_open(struct kp_topo *topo, const char *synthetic)
{
	const struct hwloc_topology_support *sup;

	memset(topo, 0, sizeof(*topo));
	if (hwloc_topology_init(&topo->t))
		return -errno;
	if (synthetic && hwloc_topology_set_synthetic(topo->t, synthetic)) {
		hwloc_topology_destroy(topo->t);
		return -EINVAL;
	}
	if (hwloc_topology_load(topo->t)) {
		int err = -errno;

		hwloc_topology_destroy(topo->t);
		return err;
	}
	topo->npackages = count_type(topo->t, HWLOC_OBJ_PACKAGE);
	topo->nnodes = count_type(topo->t, HWLOC_OBJ_NUMANODE);
	topo->ncores = count_type(topo->t, HWLOC_OBJ_CORE);
	topo->npus = count_type(topo->t, HWLOC_OBJ_PU);
	topo->this_system = hwloc_topology_is_thissystem(topo->t);
	sup = hwloc_topology_get_support(topo->t);
	topo->can_bind_threads = topo->this_system && sup->cpubind->set_thisthread_cpubind;
	topo->can_bind_memory = topo->this_system && sup->membind->alloc_membind &&
				sup->membind->bind_membind;
	return 0;
}

void kp_topo_close(struct kp_topo *topo)
{
	hwloc_topology_destroy(topo->t);
}

static const char *plural(int n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

void kp_topo_summary(const struct kp_topo *topo, char *buf, size_t len)
{
	snprintf(buf, len, "%d %s, %d NUMA %s, %d %s, %d %s (%s)",
		 topo->npackages, plural(topo->npackages, "package", "packages"),
		 topo->nnodes, plural(topo->nnodes, "node", "nodes"),
		 topo->ncores, plural(topo->ncores, "core", "cores"),
		 topo->npus, plural(topo->npus, "PU", "PUs"),
		 topo->this_system ? "this system" : "not this system: binding disabled");
}

int kp_topo_export_xml(const struct kp_topo *topo, const char *path)
{
	char tmp[4096];

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	if (hwloc_topology_export_xml(topo->t, tmp, 0))
		return -errno;
	if (rename(tmp, path)) {
		int err = -errno;

		unlink(tmp);
		return err;
	}
	return 0;
}

static hwloc_obj_t pu_by_os_index(const struct kp_topo *topo, int os)
{
	return os < 0 ? NULL : hwloc_get_pu_obj_by_os_index(topo->t, (unsigned int)os);
}

static int node_of_pu(const struct kp_topo *topo, int pu)
{
	for (int i = 0; i < topo->nnodes; i++) {
		hwloc_obj_t node = hwloc_get_obj_by_type(topo->t, HWLOC_OBJ_NUMANODE, i);

		if (hwloc_bitmap_isset(node->cpuset, (unsigned int)pu))
			return (int)node->os_index;
	}
	return 0;
}

/* "0,2,4-7" -> PU OS indices; every one must exist. */
static int parse_cpu_list(const struct kp_topo *topo, const char *list, int *pus, int max,
			  char *err, size_t errlen)
{
	const char *p = list;
	int n = 0;

	if (!*p) {
		snprintf(err, errlen, "empty CPU list");
		return -EINVAL;
	}
	while (*p) {
		char *end;
		long lo = strtol(p, &end, 10), hi;

		if (end == p || lo < 0) {
			snprintf(err, errlen, "bad CPU list '%s': expected numbers like 0,2,4-7", list);
			return -EINVAL;
		}
		hi = lo;
		p = end;
		if (*p == '-') {
			hi = strtol(p + 1, &end, 10);
			if (end == p + 1 || hi < lo) {
				snprintf(err, errlen, "bad CPU range in '%s'", list);
				return -EINVAL;
			}
			p = end;
		}
		for (long c = lo; c <= hi; c++) {
			if (!pu_by_os_index(topo, (int)c)) {
				snprintf(err, errlen, "CPU %ld does not exist (this topology has %d PUs)",
					 c, topo->npus);
				return -EINVAL;
			}
			if (n == max) {
				snprintf(err, errlen, "more than %d CPUs in '%s'", max, list);
				return -EINVAL;
			}
			pus[n++] = (int)c;
		}
		if (*p == ',')
			p++;
		else if (*p) {
			snprintf(err, errlen, "bad CPU list '%s': unexpected '%c'", list, *p);
			return -EINVAL;
		}
	}
	return n;
}

static int place_scatter(const struct kp_topo *topo, int n, int *pus)
{
	hwloc_obj_t root = hwloc_get_root_obj(topo->t);
	hwloc_cpuset_t *sets = calloc((size_t)n, sizeof(*sets));

	if (!sets)
		return -ENOMEM;
	if (hwloc_distrib(topo->t, &root, 1, sets, (unsigned int)n, INT_MAX, 0)) {
		free(sets);
		return -errno;
	}
	for (int i = 0; i < n; i++) {
		hwloc_bitmap_singlify(sets[i]);
		pus[i] = hwloc_bitmap_first(sets[i]);
		hwloc_bitmap_free(sets[i]);
	}
	free(sets);
	return n;
}

int kp_placement_build(const struct kp_topo *topo, const char *spec, int nthreads,
		       struct kp_placement *out, char *err, size_t errlen)
{
	int list[KP_TOPO_MAX_THREADS];
	int n;

	if (nthreads < 1 || nthreads > KP_TOPO_MAX_THREADS) {
		snprintf(err, errlen, "thread count %d out of range 1..%d", nthreads,
			 KP_TOPO_MAX_THREADS);
		return -EINVAL;
	}
	memset(out, 0, sizeof(*out));
	out->nthreads = nthreads;
	if (!strcmp(spec, "compact")) {
		out->kind = KP_PLACE_COMPACT;
		for (int i = 0; i < nthreads; i++)
			out->pu[i] = (int)hwloc_get_obj_by_type(topo->t, HWLOC_OBJ_PU,
							      (unsigned int)(i % topo->npus))->os_index;
	} else if (!strcmp(spec, "scatter")) {
		out->kind = KP_PLACE_SCATTER;
		n = place_scatter(topo, nthreads, out->pu);
		if (n < 0) {
			snprintf(err, errlen, "hwloc_distrib failed: %s", strerror(-n));
			return n;
		}
	} else if ((spec[0] >= '0' && spec[0] <= '9') || !strncmp(spec, "cpus:", 5)) {
		out->kind = KP_PLACE_LIST;
		n = parse_cpu_list(topo, spec + (spec[0] == 'c' ? 5 : 0), list,
				   KP_TOPO_MAX_THREADS, err, errlen);
		if (n < 0)
			return n;
		for (int i = 0; i < nthreads; i++)
			out->pu[i] = list[i % n];
	} else {
		snprintf(err, errlen,
			 "unknown placement '%s' (compact, scatter, or a CPU list like cpus:0,2-3)",
			 spec);
		return -EINVAL;
	}
	for (int i = 0; i < nthreads; i++)
		out->node[i] = node_of_pu(topo, out->pu[i]);
	return 0;
}

void kp_placement_cpus(const struct kp_placement *pl, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < pl->nthreads && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%d", i ? "," : "", pl->pu[i]);
}

int kp_bind_thread(const struct kp_topo *topo, const struct kp_placement *pl, int i)
{
	hwloc_obj_t pu = pu_by_os_index(topo, pl->pu[i % pl->nthreads]);

	if (!topo->can_bind_threads || !pu)
		return 0;
	if (hwloc_set_cpubind(topo->t, pu->cpuset, HWLOC_CPUBIND_THREAD | HWLOC_CPUBIND_STRICT))
		return -errno;
	return 1;
}

static const char *const mem_policy_names[] = {
	[KP_MEM_LOCAL] = "local",
	[KP_MEM_REMOTE] = "remote",
	[KP_MEM_INTERLEAVE] = "interleave",
};

int kp_mem_policy_parse(const char *s, enum kp_mem_policy *out)
{
	for (size_t i = 0; i < sizeof(mem_policy_names) / sizeof(mem_policy_names[0]); i++) {
		if (!strcmp(s, mem_policy_names[i])) {
			*out = (enum kp_mem_policy)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *kp_mem_policy_name(enum kp_mem_policy policy)
{
	return mem_policy_names[policy];
}

static hwloc_obj_t node_by_os_index(const struct kp_topo *topo, int os)
{
	for (int i = 0; i < topo->nnodes; i++) {
		hwloc_obj_t node = hwloc_get_obj_by_type(topo->t, HWLOC_OBJ_NUMANODE, i);

		if ((int)node->os_index == os)
			return node;
	}
	return NULL;
}

static hwloc_obj_t package_of(const struct kp_topo *topo, hwloc_obj_t node)
{
	return hwloc_get_ancestor_obj_by_type(topo->t, HWLOC_OBJ_PACKAGE, node);
}

int kp_mem_nodes(const struct kp_topo *topo, enum kp_mem_policy policy, int home,
		 int *nodes, int max)
{
	hwloc_obj_t home_node = node_by_os_index(topo, home);
	hwloc_obj_t other = NULL;
	int n = 0;

	if (max < 1 || !home_node)
		return 0;
	switch (policy) {
	case KP_MEM_LOCAL:
		nodes[n++] = home;
		break;
	case KP_MEM_REMOTE:
		for (int i = 0; i < topo->nnodes; i++) {
			hwloc_obj_t node = hwloc_get_obj_by_type(topo->t, HWLOC_OBJ_NUMANODE, i);

			if (node == home_node)
				continue;
			if (package_of(topo, node) != package_of(topo, home_node)) {
				other = node;
				break;
			}
			if (!other)
				other = node;
		}
		nodes[n++] = other ? (int)other->os_index : home;
		break;
	case KP_MEM_INTERLEAVE:
		for (int i = 0; i < topo->nnodes && n < max; i++)
			nodes[n++] = (int)hwloc_get_obj_by_type(topo->t, HWLOC_OBJ_NUMANODE,
							       i)->os_index;
		break;
	}
	return n;
}

void *kp_mem_alloc(const struct kp_topo *topo, size_t len, enum kp_mem_policy policy,
		   int home, bool *bound)
{
	int nodes[KP_TOPO_MAX_THREADS];
	int n = kp_mem_nodes(topo, policy, home, nodes, KP_TOPO_MAX_THREADS);
	hwloc_nodeset_t set;
	void *p = NULL;

	*bound = false;
	if (topo->can_bind_memory && n > 0 && (set = hwloc_bitmap_alloc())) {
		for (int i = 0; i < n; i++)
			hwloc_bitmap_set(set, (unsigned int)nodes[i]);
		p = hwloc_alloc_membind(topo->t, len, set,
					policy == KP_MEM_INTERLEAVE ? HWLOC_MEMBIND_INTERLEAVE
								    : HWLOC_MEMBIND_BIND,
					HWLOC_MEMBIND_BYNODESET | HWLOC_MEMBIND_STRICT);
		hwloc_bitmap_free(set);
		*bound = p != NULL;
	}
	if (!p)
		p = hwloc_alloc(topo->t, len);
	return p;
}

void kp_mem_free(const struct kp_topo *topo, void *p, size_t len)
{
	if (p)
		hwloc_free(topo->t, p, len);
}
