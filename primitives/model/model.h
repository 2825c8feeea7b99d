/* SPDX-License-Identifier: MIT */
/*
 * model.h - run code under kprim's model scheduler: N tasks as coroutines
 * on one OS thread, every schedule point a place where another may run.
 *
 * In the spirit of loom (Rust) and CHESS: the interleaving is not left to
 * the OS but chosen, point by point, by a strategy, so a run is
 * deterministic, a failing one replays exactly, and the choices can come
 * from a fuzzer's input. The schedule points are kprim's own seam
 * (core/sched.h): every kp_atomic_*, cpu_relax(), kp_yield() and futex
 * call of every kprim primitive, and of user code written on them.
 *
 * A run starts every task's function on a stack of its own and ends when
 * they all return (KP_MODEL_DONE), when none can run but some wait on a
 * futex (KP_MODEL_DEADLOCK: reported as KP_REPORT_DEADLOCK, naming what
 * each task waits on), or when it passes max_steps points
 * (KP_MODEL_LIVELOCK, KP_REPORT_LIVELOCK). Unfinished tasks are abandoned
 * and their stacks reused: a run never hangs. The reports are raised after
 * the run has returned to the caller's stack, so the default handler's
 * abort() leaves a crash that libFuzzer can save.
 *
 * Only in the model variants (KP_MODEL).
 */
#ifndef KPRIM_MODEL_MODEL_H
#define KPRIM_MODEL_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/config.h"

#ifdef KP_MODEL

#define KP_MODEL_MAX_TASKS	8

/* Where the choices come from. */
enum kp_model_strategy {
	/*
	 * The bytes of config.input, one per choice (a choice among n
	 * options takes byte % n); when they run out, PCT seeded from them.
	 */
	KP_MODEL_INPUT,
	/*
	 * PCT (Burckhardt et al., "A Randomized Scheduler with Probabilistic
	 * Guarantees of Finding Bugs", ASPLOS 2010): random task priorities,
	 * the highest-priority runnable task runs, and at depth - 1 random
	 * steps the running task drops below every other. A bug of depth d in
	 * a run of n tasks and k steps is found with probability at least
	 * 1 / (n * k^(d-1)) per run.
	 */
	KP_MODEL_PCT,
	/* A uniformly random runnable task at every choice. */
	KP_MODEL_RANDOM,
	/* The choices of config.schedule, a schedule string (see below). */
	KP_MODEL_REPLAY,
};

enum kp_model_outcome {
	KP_MODEL_DONE,		/* every task returned */
	KP_MODEL_DEADLOCK,	/* no task could run; some wait on futexes */
	KP_MODEL_LIVELOCK,	/* max_steps schedule points passed */
	KP_MODEL_DIVERGED,	/* a replay met a choice its schedule did not record */
};

struct kp_model_config {
	unsigned int nr_tasks;			/* 1..KP_MODEL_MAX_TASKS */
	void (*task_fn)(unsigned int id, void *arg);	/* run by task id, 0..nr_tasks-1 */
	void *arg;
	/* If set, called with arg on the caller's stack before every run: fresh state. */
	void (*setup)(void *arg);
	enum kp_model_strategy strategy;
	const uint8_t *input;			/* KP_MODEL_INPUT */
	size_t input_size;
	uint64_t seed;				/* PCT, RANDOM; and INPUT once its bytes run out */
	unsigned int pct_depth;			/* PCT's d; 0 means 3 */
	const char *schedule;			/* KP_MODEL_REPLAY */
	unsigned long max_steps;		/* 0 means 100000 */
	/* Blocked tasks may also be chosen: a spurious futex wake-up. */
	bool spurious_wakeups;
	/*
	 * Weak memory: a relaxed kp_atomic_store() waits in its task's store
	 * buffer, past later loads and past stores to other words, until a
	 * choice makes it visible or the task drains its buffer: a release or
	 * seq_cst store, any read-modify-write, a release or seq_cst fence, a
	 * futex call, the task's end. A task's loads see its own buffer first.
	 * Stores to one word become visible in program order (PSO, as SPARC's
	 * partial store order; x86's TSO is stronger, Arm's weaker).
	 */
	bool store_buffers;
	/* Keep the last KP_MODEL_TRACE_STEPS points for kp_model_print_trace(). */
	bool trace;
};

struct kp_model_result {
	enum kp_model_outcome outcome;
	unsigned long steps;			/* schedule points passed */
	unsigned long choices;			/* points where two or more tasks could run */
	unsigned long switches;			/* times the running task changed */
	/* The run's schedule string: kp_model_run() with KP_MODEL_REPLAY repeats it. */
	char schedule[1024];
	bool schedule_truncated;		/* longer than the buffer: not replayable */
};

/**
 * kp_model_run - run tasks under the model scheduler once
 * @config: the tasks and the strategy
 * @result: filled in with the outcome, counts and the schedule string
 *
 * Context: not from a model task; the process is the run's until it returns.
 *
 * Return: 0 when the run ended (whatever its outcome), -EINVAL on a bad
 * @config or schedule string.
 */
int kp_model_run(const struct kp_model_config *config, struct kp_model_result *result);

/* How a bounded exhaustive exploration went. */
struct kp_model_explore_result {
	unsigned long runs;			/* interleavings run */
	unsigned long failed;			/* runs that did not end KP_MODEL_DONE, or raised a report */
	bool complete;				/* every interleaving within the bound was run */
	bool too_deep;				/* stopped: a run made more choices than are recorded */
	char first_failure[1024];		/* the schedule string of the first failed run */
};

/**
 * kp_model_explore - run every interleaving with at most a preemption bound
 * @config: the tasks (the strategy fields are ignored)
 * @preemption_bound: how many times a task that could go on may be
 *                    switched away from (CHESS's and loom's bound); a
 *                    spinning task (cpu_relax(), kp_yield()) is switched
 *                    away from for free, and letting it spin on costs one
 * @max_runs: stop after this many runs (0: no limit)
 * @result: the count of runs and failures, and the first failure's schedule
 *
 * A depth-first search over the choices: each run replays a prefix of the
 * last, then takes the next untried option at its deepest open choice.
 * Reports raised by a run (through kp_report(), with the handler the
 * caller installed) count as failures.
 *
 * Return: 0, or -EINVAL on a bad @config.
 */
int kp_model_explore(const struct kp_model_config *config, unsigned int preemption_bound,
		     unsigned long max_runs, struct kp_model_explore_result *result);

#define KP_MODEL_TRACE_STEPS	4096

/**
 * kp_model_print_trace - print the last run's trace, step by step
 * @out: where
 *
 * Each step: its number, the task, the operation (load, cmpxchg, spin,
 * futex wait, ...), its memory order, the address accessed, and the
 * function performing it; then how the run ended. The last
 * KP_MODEL_TRACE_STEPS steps of a run made with config.trace set.
 */
void kp_model_print_trace(FILE *out);

/**
 * kp_model_task_id - the running model task's id
 *
 * Return: 0..nr_tasks-1 inside a model run, -1 outside.
 */
int kp_model_task_id(void);

#endif /* KP_MODEL */

#endif /* KPRIM_MODEL_MODEL_H */
