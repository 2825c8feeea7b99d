// SPDX-License-Identifier: MIT
/*
 * lockdep_model.c - the brute-force restatement of lockdep's checks (see
 * lockdep_model.h): recursion first (refused when it is the very lock),
 * then for each held lock in order an edge held -> new, which closes a
 * cycle exactly when new already reaches held: reported, left out, and
 * checking stops there.
 */
#include "lockdep_model.h"

static bool reaches(const struct lockdep_model *m, int from, int to, bool *seen)
{
	if (from == to)
		return true;
	seen[from] = true;
	for (int c = 0; c < MODEL_CLASSES; c++)
		if (m->edge[from][c] && !seen[c] && reaches(m, c, to, seen))
			return true;
	return false;
}

enum kp_report_kind lockdep_model_acquire(struct lockdep_model *m, const struct model_held *held,
					  unsigned int n, int lock, int cls, bool *take)
{
	*take = true;
	for (unsigned int i = 0; i < n; i++) {
		if (held[i].cls == cls) {
			*take = held[i].lock != lock;
			return KP_REPORT_LOCK_RECURSION;
		}
	}
	for (unsigned int i = 0; i < n; i++) {
		int prev = held[i].cls;
		bool seen[MODEL_CLASSES] = { false };

		if (m->edge[prev][cls])
			continue;
		if (reaches(m, cls, prev, seen))
			return KP_REPORT_CIRCULAR_LOCKING;
		m->edge[prev][cls] = true;
		m->nr_edges++;
	}
	return KP_REPORT_NR;
}
