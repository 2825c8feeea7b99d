/* SPDX-License-Identifier: MIT */
/*
 * lockdep_model.h - lockdep's rules restated by brute force, for the lock
 * fuzz targets' oracles: a class dependency graph as an adjacency matrix
 * and a depth-first search, against kprim's bit matrix and breadth-first
 * search with cached classes.
 */
#ifndef KPRIM_FUZZ_LOCKDEP_MODEL_H
#define KPRIM_FUZZ_LOCKDEP_MODEL_H

#include <stdbool.h>

#include "kprim.h"

#define MODEL_CLASSES	16

struct model_held {
	int lock;	/* the instance */
	int cls;	/* its class */
};

struct lockdep_model {
	bool edge[MODEL_CLASSES][MODEL_CLASSES];
	unsigned int nr_edges;
};

/*
 * A plain (not try) acquisition of lock in class cls by a task holding
 * held[0..n), oldest first. Returns the report lockdep must raise
 * (KP_REPORT_NR for none); *take says whether it lets the lock be taken.
 * Records the dependencies lockdep adds.
 */
enum kp_report_kind lockdep_model_acquire(struct lockdep_model *m, const struct model_held *held,
					  unsigned int n, int lock, int cls, bool *take);

#endif /* KPRIM_FUZZ_LOCKDEP_MODEL_H */
