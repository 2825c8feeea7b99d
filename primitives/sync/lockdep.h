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

struct lock_class_key {
	unsigned int class_plus_gen;	/* lockdep's cache: class and table generation */
};

struct lockdep_map {
	const struct lock_class_key *key;	/* NULL: a static lock, its own class */
	const char *name;
	unsigned int class_plus_gen;
};

#define MAX_LOCKDEP_KEYS	512	/* classes; the kernel has 8191 */

#ifdef KP_LOCKDEP

#define STATIC_LOCKDEP_MAP_INIT(_name, _key)	{ .key = (_key), .name = (_name) }

void lockdep_init_map(struct lockdep_map *map, const char *name,
		      const struct lock_class_key *key);
/*
 * Before taking the lock (after, for a successful trylock): check it and
 * push it on the task's held stack. False when taking it could only
 * deadlock (this task holds this very lock): the caller must not take it.
 */
bool lock_acquire(struct lockdep_map *map, bool trylock, void *ip);
/* Before releasing: pop it. False (reported) when the task does not hold it. */
bool lock_release(struct lockdep_map *map, void *ip);
/* Whether the calling task holds the lock. */
bool lock_is_held(const struct lockdep_map *map);
/* Report KP_REPORT_LOCK_NOT_OWNER unless the calling task holds map's lock. */
void lockdep_assert_held_map(const struct lockdep_map *map, void *ip);
/* Report KP_REPORT_LOCK_HELD_AT_EXIT if the calling task holds any lock. */
void lockdep_check_no_locks_held(void);
/* Forget every class and dependency and switch lockdep back on (tests, fuzzers). */
void lockdep_reset(void);
/* Whether lockdep still runs (it stops itself when a table overflows). */
bool lockdep_enabled(void);
/* Classes registered and dependencies recorded now. */
unsigned int lockdep_nr_classes(void);
unsigned int lockdep_nr_dependencies(void);

#define lockdep_assert_held(l)	lockdep_assert_held_map(&(l)->dep_map, KP_CALLER)
/* Put a lock (anything with a dep_map) in another class than its init site's. */
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

#endif /* KP_LOCKDEP */

#endif /* KPRIM_SYNC_LOCKDEP_H */
