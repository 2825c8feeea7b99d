/* SPDX-License-Identifier: MIT */
/*
 * lockdep.h - the lock validator, after kernel/locking/lockdep.c and
 * Documentation/locking/lockdep-design.rst.
 *
 * Locks are checked by class, not by instance: every init macro makes a
 * static struct lock_class_key at its call site, so all locks initialised
 * there share a class (a statically defined lock is a class of its own).
 * Each task keeps a stack of the locks it holds (in struct kp_task); each
 * acquisition adds "held class -> new class" edges to one global graph and
 * reports a cycle, a class taken twice, a release of a lock not held, and
 * locks still held when a task ends. Every table is static: past its size
 * lockdep prints one warning and switches itself off, as the kernel's does.
 *
 * Compiled in with KP_LOCKDEP (the debug, asan, model and fuzz variants).
 * Not in tsan: its global graph lock would order the threads it watches and
 * hide the very races ThreadSanitizer is there to find.
 */
#ifndef KPRIM_SYNC_LOCKDEP_H
#define KPRIM_SYNC_LOCKDEP_H

#include <stdbool.h>

#include "core/compiler.h"
#include "core/pin.h"

struct lock_class_key {
	unsigned int class_plus_gen;	/* lockdep's cache: class and table generation */
};

/*
 * What a lock's initializer (MUTEX_PIN_INIT and the others, core/pin.h)
 * carries: the lockdep name and class of the locks it builds. The
 * initializer macros make the key a compound literal: static, one class
 * per use, in a file-scope initializer table; inside a function, give the
 * __ form a static key instead.
 */
struct lock_pin_arg {
	const char *name;
	struct lock_class_key *key;
};

struct lockdep_map {
	const struct lock_class_key *key;	/* NULL: a static lock, its own class */
	const char *name;
	unsigned int class_plus_gen;
};

#define MAX_LOCKDEP_KEYS	512	/* classes; the kernel has 8191 */

struct qspinlock;

#ifdef KP_LOCKDEP

#define STATIC_LOCKDEP_MAP_INIT(_name, _key)	{ .key = (_key), .name = (_name) }

/**
 * lockdep_init_map - give a lock its lockdep class and name
 * @map: the lock's lockdep map (its dep_map)
 * @name: the name lockdep's reports print
 * @key: the class; NULL makes the lock a class of its own (static locks)
 *
 * The lock init macros call it with a key made at their call site;
 * lockdep_set_class() and lockdep_set_class_and_name() put an initialized
 * lock into another class.
 */
void lockdep_init_map(struct lockdep_map *map, const char *name,
		      const struct lock_class_key *key);
/**
 * lock_acquire - check an acquisition and push it on the task's held stack
 * @map: the lock's lockdep map
 * @trylock: a trylock that succeeded: pushed, but neither checked nor
 *           made a dependency target (a trylock cannot wait), as in the kernel
 * @ip: the lock call's address, for the report
 *
 * Records the dependencies "every held class -> this class" and reports
 * KP_REPORT_CIRCULAR_LOCKING when one closes a cycle, and
 * KP_REPORT_LOCK_RECURSION when this task already holds the lock. Called
 * by the lock primitives before they take the lock (after, for a trylock).
 *
 * Context: any. An acquisition whose class and dependencies are all known
 * takes no lock; others take lockdep's graph lock, a bare queued spinlock.
 *
 * Return: false when taking the lock could only deadlock (this task holds
 * this very lock): the caller must not take it. True otherwise, reported
 * or not.
 */
bool lock_acquire(struct lockdep_map *map, bool trylock, void *ip);
/**
 * lock_release - pop a lock from the task's held stack before it is released
 * @map: the lock's lockdep map
 * @ip: the unlock call's address, for the report
 *
 * Return: true if the task held it; false, reported as
 * KP_REPORT_LOCK_NOT_OWNER, if it did not: the caller must not release it.
 */
bool lock_release(struct lockdep_map *map, void *ip);
/**
 * lock_is_held - does the calling task hold the lock
 * @map: the lock's lockdep map
 *
 * Return: true if the lock is on the calling task's held stack.
 */
bool lock_is_held(const struct lockdep_map *map);
/**
 * lockdep_assert_held_map - report unless the calling task holds the lock
 * @map: the lock's lockdep map
 * @ip: the address to blame
 *
 * lockdep_assert_held(lock) calls it with the lock's map; without lockdep
 * it compiles to nothing. Reports KP_REPORT_LOCK_NOT_OWNER.
 */
void lockdep_assert_held_map(const struct lockdep_map *map, void *ip);
/**
 * lockdep_check_no_locks_held - report if the calling task holds any lock
 *
 * Runs at every task's exit; call it yourself at a point where no lock
 * may be held (the end of a request, of a test). Reports
 * KP_REPORT_LOCK_HELD_AT_EXIT, naming each lock still held.
 */
void lockdep_check_no_locks_held(void);
/**
 * lockdep_reset - forget every class and dependency and switch lockdep on
 *
 * For tests and fuzzers that start each case from a clean graph.
 *
 * Context: no task may hold a lock, or be taking one.
 */
void lockdep_reset(void);
/**
 * lockdep_enabled - does lockdep still run
 *
 * Return: false once a table overflowed and lockdep switched itself off
 * (it prints one warning then, as the kernel's does), true otherwise.
 */
bool lockdep_enabled(void);
/**
 * lockdep_fork_lock - the graph's own lock word, for fork() handlers
 *
 * kmem_fork_prepare() holds it over fork() with the allocator's locks, so
 * the child finds the graph whole.
 *
 * Return: the word; NULL without lockdep (the stub below).
 */
struct qspinlock *lockdep_fork_lock(void);
/**
 * lockdep_nr_classes - how many lock classes are registered
 *
 * Return: the number of classes; lockdep_nr_dependencies() returns the
 * number of class -> class dependencies recorded.
 */
unsigned int lockdep_nr_classes(void);
unsigned int lockdep_nr_dependencies(void);

/**
 * lockdep_assert_held - report unless the calling task holds the lock
 * @l: any kprim lock (anything with a dep_map)
 *
 * Nothing without lockdep; see lockdep_assert_held_map().
 */
#ifdef KP_MODEL
/*
 * Under the model scheduler lockdep's own atomics are no schedule points:
 * it checks the code under test and is not part of it. Set this to make
 * them points, to test lockdep itself under interleaved acquisitions
 * (fuzz/fuzz_sched_lockdep.c).
 */
extern bool lockdep_sched_points;
#endif

#define lockdep_assert_held(l)	lockdep_assert_held_map(&(l)->dep_map, KP_CALLER)
/**
 * lockdep_set_class_and_name - put a lock in another class than its init site's
 * @l: any kprim lock, initialized and not held
 * @key: the class
 * @name: the name its reports print
 *
 * lockdep_set_class(l, key) does the same, naming the lock after @key.
 */
#define lockdep_set_class_and_name(l, key, name)	lockdep_init_map(&(l)->dep_map, (name), (key))
#define lockdep_set_class(l, key)	lockdep_init_map(&(l)->dep_map, #key, (key))

#else

#define STATIC_LOCKDEP_MAP_INIT(_name, _key)	{ .name = (_name) }

static inline void lockdep_init_map(struct lockdep_map *map, const char *name,
				    const struct lock_class_key *key)
{
	map->name = name;
	map->key = key;
}

static inline bool lock_acquire(struct lockdep_map *map, bool trylock, void *ip)
{
	(void)map, (void)trylock, (void)ip;
	return true;
}

static inline bool lock_release(struct lockdep_map *map, void *ip)
{
	(void)map, (void)ip;
	return true;
}

#define lockdep_assert_held(l)	((void)(l))
#define lockdep_set_class_and_name(l, key, name)	((void)(l), (void)(key), (void)(name))
#define lockdep_set_class(l, key)	((void)(l), (void)(key))

static inline struct qspinlock *lockdep_fork_lock(void)
{
	return NULL;
}

#endif /* KP_LOCKDEP */

#endif /* KPRIM_SYNC_LOCKDEP_H */
