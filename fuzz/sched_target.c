// SPDX-License-Identifier: MIT
/*
 * sched_target.c - the schedule fuzz targets' input and run (sched_target.h).
 */
#include <stdlib.h>
#include <string.h>

#include "sched_target.h"

bool fuzz_sched_programs(const uint8_t *data, size_t size, unsigned int min_tasks,
			 unsigned int max_tasks, unsigned int max_steps, unsigned int step_bytes,
			 struct fuzz_programs *p)
{
	size_t per_task;

	if (size < 2)
		return false;
	p->nr_tasks = min_tasks + data[0] % (max_tasks - min_tasks + 1);
	p->nr_steps = 1 + data[1] % max_steps;
	per_task = (size_t)p->nr_steps * step_bytes;
	p->used = 2 + p->nr_tasks * per_task;
	if (size < p->used)
		return false;
	for (unsigned int t = 0; t < p->nr_tasks; t++)
		p->steps[t] = data + 2 + t * per_task;
	return true;
}

void fuzz_sched_run(struct kp_model_config *cfg, const uint8_t *data, size_t size, size_t used,
		    struct kp_model_result *res)
{
	const char *trace = getenv("KP_MODEL_TRACE");

	cfg->strategy = KP_MODEL_INPUT;
	cfg->input = data + used;
	cfg->input_size = size - used;
	cfg->trace = trace != NULL;
	fuzz_assert(kp_model_run(cfg, res) == 0);
	if (trace && !strcmp(trace, "all")) {
		kp_model_print_trace(fuzz_stderr());
		fprintf(fuzz_stderr(), "schedule: %s\n", res->schedule);
	}
	fuzz_assert(res->outcome == KP_MODEL_DONE);
}
