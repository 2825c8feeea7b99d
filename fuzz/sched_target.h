/* SPDX-License-Identifier: MIT */
/*
 * sched_target.h - what the schedule fuzz targets (fuzz_sched_*.c) share: the
 * tasks' programs most of them read from the head of the input, and the
 * run itself, with the rest of the input as the schedule. Built in the
 * variants with the model scheduler only.
 *
 * KP_MODEL_TRACE=1 in the environment keeps a run's trace, printed when
 * the input fails (expect.c's fuzz_abort()); KP_MODEL_TRACE=all prints it
 * after every run, with the schedule string (scripts/model-replay.sh).
 */
#ifndef KPRIM_FUZZ_SCHED_TARGET_H
#define KPRIM_FUZZ_SCHED_TARGET_H

#include "expect.h"

/* One program per task, pointing into the input. */
struct fuzz_programs {
	unsigned int nr_tasks;
	unsigned int nr_steps;			/* per task */
	const uint8_t *steps[KP_MODEL_MAX_TASKS];	/* nr_steps * step_bytes each */
	size_t used;				/* input bytes taken, the header's included */
};

/*
 * byte 0: tasks, min_tasks..max_tasks; byte 1: steps per task,
 * 1..max_steps; then each task's steps, step_bytes each, task 0's first.
 * False if the input is shorter than that.
 */
bool fuzz_sched_programs(const uint8_t *data, size_t size, unsigned int min_tasks,
			 unsigned int max_tasks, unsigned int max_steps, unsigned int step_bytes,
			 struct fuzz_programs *p);

/*
 * Run cfg (its tasks, setup, arg and limits set) with data[used..size) as
 * the schedule (KP_MODEL_INPUT). Every task must have returned: a
 * deadlock or a livelock was reported, and aborted, inside the run.
 */
void fuzz_sched_run(struct kp_model_config *cfg, const uint8_t *data, size_t size, size_t used,
		    struct kp_model_result *res);

#endif /* KPRIM_FUZZ_SCHED_TARGET_H */
