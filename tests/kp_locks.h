/* SPDX-License-Identifier: MIT */
/*
 * kp_locks.h - every kprim lock, one row each, for the code that drives
 * them all alike: the TSan torture (tests/stress_locks.c), the benchmarks
 * (bench/bench_locks.c), the model tests (tests/model_sched.c), the
 * sequential lock fuzzer (fuzz/fuzz_locks.c) and the schedule fuzzer
 * (fuzz/fuzz_sched_locks.c). Concurrency
 * Kit keeps one adapter per lock for its validate and benchmark programs
 * the same way; a new lock is one row here.
 *
 * KP_FOR_EACH_LOCK(X) expands X(name, type, init, lock, trylock, unlock,
 * is_locked, spins) once per lock. init, lock and unlock are statements,
 * trylock and is_locked expressions, each on l, a pointer to type; spins
 * is true for a spinlock, whose holder is in atomic context. A try-only
 * lock (the NoWaitLock) locks by trying until it wins, and its unlock
 * drops the contention answer.
 */
#ifndef KPRIM_TESTS_KP_LOCKS_H
#define KPRIM_TESTS_KP_LOCKS_H

#include "kprim.h"

#define KP_FOR_EACH_LOCK(X)								\
	X(raw_spinlock, raw_spinlock_t, raw_spin_lock_init(l), raw_spin_lock(l),		\
	  raw_spin_trylock(l), raw_spin_unlock(l), raw_spin_is_locked(l), true)		\
	X(spinlock, spinlock_t, spin_lock_init(l), spin_lock(l), spin_trylock(l),		\
	  spin_unlock(l), spin_is_locked(l), true)						\
	X(mutex, struct mutex, mutex_init(l), mutex_lock(l), mutex_trylock(l),			\
	  mutex_unlock(l), mutex_is_locked(l), false)						\
	X(smutex, struct smutex, smutex_init(l), smutex_lock(l), smutex_trylock(l),		\
	  smutex_unlock(l), smutex_is_locked(l), false)					\
	X(nowait, struct nowait_lock, nowait_lock_init(l),					\
	  while (!nowait_trylock(l)) cpu_relax(), nowait_trylock(l),				\
	  (void)nowait_unlock(l), nowait_is_locked(l), false)

#endif /* KPRIM_TESTS_KP_LOCKS_H */
