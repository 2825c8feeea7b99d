// SPDX-License-Identifier: MIT
/*
 * lockdep.c - classes, the dependency graph and the reports.
 *
 * kernel/locking/lockdep.c, much reduced: classes are looked up by key and
 * cached in the key and the map (tagged with a table generation, so
 * lockdep_reset() invalidates every cache at once); the dependency graph is
 * an adjacency bit matrix over classes, and a new edge prev -> next is
 * refused and reported when next already reaches prev (a breadth-first
 * search gives the chain to print). One bare queued spinlock guards the
 * tables; a task's held stack is its own. An acquisition whose class is
 * cached and whose dependencies are all known takes no lock at all (the
 * kernel's chain cache does the same job). Trylocks, as in the kernel,
 * are pushed on the held stack but neither checked nor made a dependency
 * target: a trylock cannot wait. Messages use the kernel's headlines.
 * Under the model scheduler lock_acquire() and lock_release() are no
 * schedule points inside (a checker, not code under test) unless
 * lockdep_sched_points asks for them (fuzz_sched_lockdep tests lockdep).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/atomic.h"
#include "core/report.h"
#include "core/task.h"
#include "sync/lockdep.h"
#include "sync/qspinlock.h"

#ifdef KP_LOCKDEP

#define NR_WORDS	(MAX_LOCKDEP_KEYS / 64)
#define CLASS_BITS	10
#define CLASS_MASK	((1u << CLASS_BITS) - 1)

struct lock_class {
	const void *key;
	const char *name;
};

static struct qspinlock graph_lock = __ARCH_SPIN_LOCK_UNLOCKED;
static struct lock_class classes[MAX_LOCKDEP_KEYS];
static uint64_t deps[MAX_LOCKDEP_KEYS][NR_WORDS];	/* bit b of deps[a]: a before b */
static unsigned int nr_classes, nr_deps;
static unsigned int generation = 1;
static bool debug_locks = true;
static bool exit_hook_registered;

/* Every acquire and release asks: inline here, a call from outside. */
static inline bool debug_locks_on(void)
{
	return kp_atomic_load(&debug_locks, KP_RELAXED);
}

bool lockdep_enabled(void)
{
	return debug_locks_on();
}

struct qspinlock *lockdep_fork_lock(void)
{
	return &graph_lock;
}

unsigned int lockdep_nr_classes(void)
{
	return kp_atomic_load(&nr_classes, KP_RELAXED);
}

unsigned int lockdep_nr_dependencies(void)
{
	return kp_atomic_load(&nr_deps, KP_RELAXED);
}

/* A table is full: say so once, and stop (debug_locks_off()). Graph lock held. */
static void lockdep_off(const char *why)
{
	if (kp_atomic_xchg(&debug_locks, false, KP_RELAXED))
		fprintf(stderr, "BUG: %s too low!\nturning off the locking correctness "
			"validator.\n", why);
}

void lockdep_init_map(struct lockdep_map *map, const char *name,
		      const struct lock_class_key *key)
{
	map->key = key;
	map->name = name;
	map->class_plus_gen = 0;
}

static inline unsigned int cache_tag(unsigned int idx)
{
	return (generation << CLASS_BITS) | (idx + 1);
}

static inline int cache_lookup(unsigned int tag)
{
	return (tag >> CLASS_BITS) == (generation & (UINT32_MAX >> CLASS_BITS)) &&
	       (tag & CLASS_MASK) ? (int)(tag & CLASS_MASK) - 1 : -1;
}

/* The class of map, registered on first use; -1 when the table is full. Graph lock held. */
static int class_of(struct lockdep_map *map)
{
	const void *key = map->key ? (const void *)map->key : map;
	int idx = cache_lookup(map->class_plus_gen);

	if (idx >= 0)
		return idx;
	if (map->key)
		idx = cache_lookup(map->key->class_plus_gen);
	for (unsigned int i = 0; idx < 0 && i < nr_classes; i++)
		if (classes[i].key == key)
			idx = (int)i;
	if (idx < 0) {
		if (nr_classes == MAX_LOCKDEP_KEYS) {
			lockdep_off("MAX_LOCKDEP_KEYS");
			return -1;
		}
		idx = (int)nr_classes;
		classes[idx].key = key;
		classes[idx].name = map->name ? map->name : "(unnamed)";
		kp_atomic_store(&nr_classes, nr_classes + 1, KP_RELAXED);
	}
	kp_atomic_store(&map->class_plus_gen, cache_tag((unsigned int)idx), KP_RELAXED);
	if (map->key)	/* the key is static and only ever written under the graph lock */
		((struct lock_class_key *)map->key)->class_plus_gen = map->class_plus_gen;
	return idx;
}

/* Read without the graph lock too (dependencies are only ever added). */
static inline bool has_dep(unsigned int a, unsigned int b)
{
	return kp_atomic_load(&deps[a][b / 64], KP_RELAXED) >> (b % 64) & 1;
}

/*
 * Whether from reaches to in the graph; if so, path[] holds the classes
 * from "from" to "to" and the return value is their number.
 */
static unsigned int find_path(unsigned int from, unsigned int to, unsigned int *path)
{
	static int parent[MAX_LOCKDEP_KEYS];	/* graph lock held: one search at a time */
	static unsigned int queue[MAX_LOCKDEP_KEYS];
	unsigned int head = 0, tail = 0, n = 0;

	for (unsigned int i = 0; i < nr_classes; i++)
		parent[i] = -1;
	parent[from] = (int)from;
	queue[tail++] = from;
	while (head < tail) {
		unsigned int c = queue[head++];

		if (c == to) {
			for (unsigned int x = to; ; x = (unsigned int)parent[x]) {
				path[n++] = x;
				if (x == from)
					break;
			}
			for (unsigned int i = 0; i < n / 2; i++) {
				unsigned int t = path[i];

				path[i] = path[n - 1 - i];
				path[n - 1 - i] = t;
			}
			return n;
		}
		for (unsigned int w = 0; w < NR_WORDS; w++)
			for (uint64_t bits = deps[c][w]; bits; bits &= bits - 1) {
				unsigned int next = w * 64 + (unsigned int)__builtin_ctzll(bits);

				if (parent[next] < 0) {
					parent[next] = (int)c;
					queue[tail++] = next;
				}
			}
	}
	return 0;
}

struct pending_report {
	enum kp_report_kind kind;
	char msg[768];
};

/* The report's headline and who holds what; returns the length written. */
static size_t describe(struct pending_report *rep, const char *headline, struct kp_task *t,
		       const struct lockdep_map *map, unsigned int idx, void *ip,
		       const struct kp_held_lock *held)
{
	int n = snprintf(rep->msg, sizeof(rep->msg),
			 "WARNING: %s\n%s/%d is trying to acquire lock:\n%p (%s), at: %s\n"
			 "but task is already holding lock:\n%p (%s), at: %s\n", headline,
			 kp_task_comm(t), kp_task_pid(t), (const void *)map, classes[idx].name,
			 kp_symbol(ip), held->instance, classes[held->class_idx].name,
			 kp_symbol(held->acquire_ip));

	return n < 0 ? 0 : (size_t)n < sizeof(rep->msg) ? (size_t)n : sizeof(rep->msg) - 1;
}

/*
 * check_deadlock(), then check_prevs_add(); graph lock held. False: refuse
 * the lock. A report that was announced (kp_report_expect()) ends here,
 * before its message is formatted.
 */
static bool validate(struct kp_task *t, struct lockdep_map *map, unsigned int idx, void *ip,
		     struct pending_report *rep)
{
	for (unsigned int i = 0; i < t->lockdep_depth; i++) {
		const struct kp_held_lock *h = &t->held_locks[i];
		size_t off;

		if (h->class_idx != idx)
			continue;
		if (kp_report_take_expected(KP_REPORT_LOCK_RECURSION))
			return h->instance != map;
		off = describe(rep, "possible recursive locking detected", t, map, idx, ip, h);
		snprintf(rep->msg + off, sizeof(rep->msg) - off, "\n *** DEADLOCK ***");
		rep->kind = KP_REPORT_LOCK_RECURSION;
		return h->instance != map;	/* the same lock again can only hang */
	}
	for (unsigned int i = 0; i < t->lockdep_depth; i++) {
		const struct kp_held_lock *h = &t->held_locks[i];
		static unsigned int path[MAX_LOCKDEP_KEYS];	/* graph lock held, as find_path()'s */
		unsigned int prev = h->class_idx, n;

		if (has_dep(prev, idx))
			continue;
		n = find_path(idx, prev, path);
		if (n && kp_report_take_expected(KP_REPORT_CIRCULAR_LOCKING))
			return true;
		if (n) {
			size_t off = describe(rep, "possible circular locking dependency detected",
					      t, map, idx, ip, h);

			off += (size_t)snprintf(rep->msg + off, sizeof(rep->msg) - off,
						"which lock already depends on the new lock.\n\n"
						"the existing dependency chain (in reverse order) "
						"is:\n");
			for (unsigned int j = n; j-- > 0 && off < sizeof(rep->msg);)
				off += (size_t)snprintf(rep->msg + off, sizeof(rep->msg) - off,
							"-> #%u (%s)\n", j, classes[path[j]].name);
			rep->kind = KP_REPORT_CIRCULAR_LOCKING;
			return true;	/* the edge stays out: the graph stays acyclic */
		}
		kp_atomic_fetch_or(&deps[prev][idx / 64], 1ULL << (idx % 64), KP_RELAXED);
		kp_atomic_store(&nr_deps, nr_deps + 1, KP_RELAXED);
	}
	return true;
}

static void lockdep_task_exit(struct kp_task *t)
{
	(void)t;	/* the exiting thread is the current task */
	lockdep_check_no_locks_held();
}

/*
 * The kernel validates each chain of held classes once and finds chains
 * again without its graph lock. Likewise here: when map's class is cached
 * and every held -> new dependency is already recorded, there is nothing
 * to check and no lock to take. -1 when the slow path must decide.
 */
static int known_class_no_news(struct kp_task *t, struct lockdep_map *map, bool trylock)
{
	unsigned int tag = kp_atomic_load(&map->class_plus_gen, KP_RELAXED);
	unsigned int gen = kp_atomic_load(&generation, KP_RELAXED);
	unsigned int idx;

	if ((tag >> CLASS_BITS) != gen || !(tag & CLASS_MASK) ||
	    t->lockdep_depth == KP_MAX_LOCK_DEPTH)
		return -1;
	idx = (tag & CLASS_MASK) - 1;
	for (unsigned int i = 0; i < t->lockdep_depth && !trylock; i++)
		if (t->held_locks[i].class_idx == idx || !has_dep(t->held_locks[i].class_idx, idx))
			return -1;
	return (int)idx;
}

static void push_held(struct kp_task *t, struct lockdep_map *map, unsigned int idx, bool trylock,
		      void *ip)
{
	t->held_locks[t->lockdep_depth++] = (struct kp_held_lock){
		.instance = map, .acquire_ip = ip, .class_idx = (unsigned short)idx,
		.trylock = trylock,
	};
}

static bool __lock_acquire(struct lockdep_map *map, bool trylock, void *ip)
{
	struct kp_task *t = kp_current();
	struct pending_report rep;	/* msg written only with a kind: no 768-byte memset */
	bool take = true;
	int idx;

	rep.kind = KP_REPORT_NR;
	if (!debug_locks_on())
		return true;
	if (!kp_atomic_load(&exit_hook_registered, KP_RELAXED)) {
		kp_task_exit_hook_register(lockdep_task_exit);
		kp_atomic_store(&exit_hook_registered, true, KP_RELAXED);
	}
	kp_task_hook_exit(t);
	idx = known_class_no_news(t, map, trylock);
	if (idx >= 0) {
		push_held(t, map, (unsigned int)idx, trylock, ip);
		return true;
	}
	queued_spin_lock(&graph_lock);
	idx = class_of(map);
	if (idx >= 0 && t->lockdep_depth == KP_MAX_LOCK_DEPTH) {
		lockdep_off("MAX_LOCK_DEPTH");
		idx = -1;
	}
	if (idx >= 0) {
		if (!trylock)
			take = validate(t, map, (unsigned int)idx, ip, &rep);
		if (take)
			push_held(t, map, (unsigned int)idx, trylock, ip);
	}
	queued_spin_unlock(&graph_lock);
	if (rep.kind != KP_REPORT_NR)
		kp_report_msg(rep.kind, ip, rep.msg);
	return take;
}

#ifdef KP_MODEL
bool lockdep_sched_points;
#else
#define lockdep_sched_points	false
#endif

/*
 * The checker's own atomics are no schedule points (kp_sched_quiet_begin()),
 * unless lockdep itself is under test (lockdep_sched_points).
 */
static inline bool lockdep_quiet_begin(void)
{
	bool quiet = !lockdep_sched_points;

	if (quiet)
		kp_sched_quiet_begin();
	return quiet;
}

static inline void lockdep_quiet_end(bool quiet)
{
	if (quiet)
		kp_sched_quiet_end();
}

bool lock_acquire(struct lockdep_map *map, bool trylock, void *ip)
{
	bool quiet = lockdep_quiet_begin();
	bool ret = __lock_acquire(map, trylock, ip);

	lockdep_quiet_end(quiet);
	return ret;
}

static bool __lock_release(struct lockdep_map *map, void *ip)
{
	struct kp_task *t = kp_current();

	if (!debug_locks_on())
		return true;
	for (unsigned int i = t->lockdep_depth; i-- > 0;) {
		if (t->held_locks[i].instance != map)
			continue;
		memmove(&t->held_locks[i], &t->held_locks[i + 1],
			(t->lockdep_depth - i - 1) * sizeof(t->held_locks[0]));
		t->lockdep_depth--;
		return true;
	}
	kp_report(KP_REPORT_LOCK_NOT_OWNER, ip,
		  "WARNING: bad unlock balance detected!\n%s/%d is trying to release lock "
		  "(%s) at: %s\nbut there are no more locks to release!",
		  kp_task_comm(t), kp_task_pid(t), map->name ? map->name : "(unnamed)",
		  kp_symbol(ip));
	return false;
}

bool lock_release(struct lockdep_map *map, void *ip)
{
	bool quiet = lockdep_quiet_begin();
	bool ret = __lock_release(map, ip);

	lockdep_quiet_end(quiet);
	return ret;
}

bool lock_is_held(const struct lockdep_map *map)
{
	struct kp_task *t = kp_current();

	for (unsigned int i = 0; i < t->lockdep_depth; i++)
		if (t->held_locks[i].instance == map)
			return true;
	return false;
}

void lockdep_assert_held_map(const struct lockdep_map *map, void *ip)
{
	if (debug_locks_on() && !lock_is_held(map))
		kp_report(KP_REPORT_LOCK_NOT_OWNER, ip,
			  "WARNING: lockdep_assert_held(%s) failed: the lock is not held",
			  map->name ? map->name : "(unnamed)");
}

void lockdep_check_no_locks_held(void)
{
	struct kp_task *t = kp_current();
	char list[512];
	size_t off = 0;

	if (!t->lockdep_depth)
		return;
	list[0] = '\0';
	for (unsigned int i = 0; i < t->lockdep_depth && off < sizeof(list); i++)
		off += (size_t)snprintf(list + off, sizeof(list) - off, "#%u: %p (%s), at: %s\n",
					i, t->held_locks[i].instance,
					t->held_locks[i].class_idx < lockdep_nr_classes() ?
					classes[t->held_locks[i].class_idx].name : "?",
					kp_symbol(t->held_locks[i].acquire_ip));
	kp_report(KP_REPORT_LOCK_HELD_AT_EXIT, t->held_locks[0].acquire_ip,
		  "WARNING: %s/%d still has locks held!\n%u lock(s) held by %s/%d:\n%s",
		  kp_task_comm(t), kp_task_pid(t), t->lockdep_depth, kp_task_comm(t),
		  kp_task_pid(t), list);
	t->lockdep_depth = 0;
}

void lockdep_reset(void)
{
	queued_spin_lock(&graph_lock);
	/* Only the classes in use have a row, or a bit in one. */
	memset(classes, 0, nr_classes * sizeof(classes[0]));
	memset(deps, 0, nr_classes * sizeof(deps[0]));
	kp_atomic_store(&nr_classes, 0, KP_RELAXED);
	kp_atomic_store(&nr_deps, 0, KP_RELAXED);
	kp_atomic_store(&generation, ((generation + 1) & (UINT32_MAX >> CLASS_BITS)) ?: 1,
			KP_RELAXED);
	kp_atomic_store(&debug_locks, true, KP_RELAXED);
	queued_spin_unlock(&graph_lock);
}

#endif /* KP_LOCKDEP */
