/* SPDX-License-Identifier: MIT */
/*
 * topo.h - where benchmark threads and memory go, on hwloc.
 *
 * Discovers packages, NUMA nodes, cores and PUs (of this machine, or of a
 * synthetic or XML topology: HWLOC_SYNTHETIC / HWLOC_XMLFILE or an explicit
 * description, so placement logic is testable without NUMA hardware);
 * builds placements of N threads (compact, scatter, an explicit CPU list);
 * binds threads and allocates memory by NUMA policy. A bind is only
 * reported as effective when hwloc says it can really bind on this system:
 * on a synthetic topology every bind "succeeds" and does nothing.
 */
#ifndef KPRIM_BENCH_TOPO_H
#define KPRIM_BENCH_TOPO_H

#include <hwloc.h>
#include <stdbool.h>
#include <stddef.h>

#define KP_TOPO_MAX_THREADS 1024

struct kp_topo {
	hwloc_topology_t t;
	int npackages, nnodes, ncores, npus;
	bool this_system;	/* the topology describes the machine we run on */
	bool can_bind_threads;	/* ... and hwloc can bind threads on it */
	bool can_bind_memory;	/* ... and hwloc can allocate bound memory */
};

enum kp_placement_kind { KP_PLACE_COMPACT, KP_PLACE_SCATTER, KP_PLACE_LIST };

struct kp_placement {
	enum kp_placement_kind kind;
	int nthreads;
	int pu[KP_TOPO_MAX_THREADS];	/* OS index of thread i's PU */
	int node[KP_TOPO_MAX_THREADS];	/* OS index of that PU's NUMA node */
};

enum kp_mem_policy { KP_MEM_LOCAL, KP_MEM_REMOTE, KP_MEM_INTERLEAVE };

/*
 * Load a topology: synthetic (an hwloc synthetic description such as
 * "pack:2 numa:2 core:4 pu:2") or, with NULL, this machine as hwloc sees it
 * (which honours HWLOC_SYNTHETIC and HWLOC_XMLFILE). 0 or -errno.
 */
int kp_topo_open(struct kp_topo *topo, const char *synthetic);
void kp_topo_close(struct kp_topo *topo);
/* "1 package, 1 NUMA node, 2 cores, 2 PUs (this system)" */
void kp_topo_summary(const struct kp_topo *topo, char *buf, size_t len);
/* Write the topology as hwloc XML to path (atomically). 0 or -errno. */
int kp_topo_export_xml(const struct kp_topo *topo, const char *path);

/*
 * Place nthreads threads by spec: "compact" (PUs in logical order, so
 * hyperthread siblings and cores of one cache fill first), "scatter"
 * (hwloc_distrib: spread across packages, nodes and cores as far as they
 * go), or a CPU list "cpus:0,2,4-7" / "0,2,4-7" of OS indices, used in
 * order. Thread i past the end wraps around. 0, or -EINVAL with a one-line
 * reason in err.
 */
int kp_placement_build(const struct kp_topo *topo, const char *spec, int nthreads,
		       struct kp_placement *out, char *err, size_t errlen);
/* "0,1,2,3": the PUs of the first nthreads threads. */
void kp_placement_cpus(const struct kp_placement *pl, char *buf, size_t len);
/*
 * Bind the calling thread to thread i's PU. 1 if bound for real, 0 if
 * binding is not possible here (synthetic topology, no support), -errno if
 * the bind failed.
 */
int kp_bind_thread(const struct kp_topo *topo, const struct kp_placement *pl, int i);

/* "local", "remote", "interleave" -> policy; -EINVAL otherwise. */
int kp_mem_policy_parse(const char *s, enum kp_mem_policy *out);
const char *kp_mem_policy_name(enum kp_mem_policy policy);
/*
 * The NUMA nodes (OS indices) a policy puts memory on for a thread whose
 * home node is home: local = home; remote = a node in another package if
 * there is one, else another node, else home (one node: nothing is
 * remote); interleave = every node. Returns how many were written.
 */
int kp_mem_nodes(const struct kp_topo *topo, enum kp_mem_policy policy, int home,
		 int *nodes, int max);
/*
 * len bytes, page-aligned, placed by policy relative to home. *bound says
 * whether the placement was really applied. NULL on failure.
 */
void *kp_mem_alloc(const struct kp_topo *topo, size_t len, enum kp_mem_policy policy,
		   int home, bool *bound);
void kp_mem_free(const struct kp_topo *topo, void *p, size_t len);

#endif /* KPRIM_BENCH_TOPO_H */
