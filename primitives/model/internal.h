/* SPDX-License-Identifier: MIT */
/*
 * internal.h - what the model scheduler's files share; nothing outside
 * primitives/model/ includes it. model_* names are the files' common
 * ground, kp_model_* the users' (model.h).
 *
 * coro.c (coro.h) switches stacks and knows no policy; strategy.c picks among the
 * options at a choice and knows no stacks; trace.c keeps the steps and
 * the schedule strings; run.c is the scheduler itself: task states,
 * futexes, the run loop, deadlock and livelock.
 */
#ifndef KPRIM_MODEL_INTERNAL_H
#define KPRIM_MODEL_INTERNAL_H

#include "core/task.h"
#include "model/model.h"

#include "model/coro.h"

/* ---- strategy.c ----------------------------------------------------------------- */

#define MODEL_MAX_CHOICES	8192	/* recorded per run: schedules and explorations */

#define MODEL_SB_ENTRIES	8	/* a task's store buffer; a full one commits its oldest */

/* One choice: which option was taken, among how many, and what could be chosen. */
struct model_choice {
	uint8_t chosen;		/* model_option_code() of the option taken */
	uint8_t entry;		/* a commit: the buffer entry made visible */
	uint8_t index;		/* its place among the options (exploration) */
	uint8_t nr_options;
	uint8_t nr_plain;	/* options before the commits and spurious wake-ups */
	uint8_t preempts;	/* taking a non-default option here costs a preemption */
	uint8_t commits;	/* how many options commit a buffered store */
	uint16_t mask;		/* bit i: task i runnable; bit 8 + i: task i woken spuriously */
};

struct model_strategy_state {
	enum kp_model_strategy kind;
	const uint8_t *input;		/* INPUT: bytes left */
	size_t input_left;
	uint64_t rng;
	/* PCT */
	unsigned int depth;
	int priority[KP_MODEL_MAX_TASKS];
	unsigned long change_point[8];
	int lowest;			/* the next priority given to a demoted task */
	/* REPLAY and exploration: the choices to repeat */
	const struct model_choice *prefix;
	unsigned long prefix_len;
	bool prefix_by_index;		/* exploration: take prefix[i].index, default after */
};

/*
 * The options of a choice, default first: the running task when it may
 * go on (a task that spins goes to the back, so a default schedule lets
 * the others run), then the rest by id. Any other option than the default
 * costs a preemption while the running task could go on: switching away
 * from a task that works, or letting a spinner spin on.
 */
enum model_option_kind {
	MODEL_RUN,		/* run the task */
	MODEL_COMMIT,		/* make one of the task's buffered stores visible */
	MODEL_SPURIOUS,		/* wake the blocked task without a futex wake */
};

#define MODEL_MAX_OPTIONS	(KP_MODEL_MAX_TASKS * (2 + MODEL_SB_ENTRIES))

struct model_options {
	unsigned int nr;
	uint8_t task[MODEL_MAX_OPTIONS];
	uint8_t kind[MODEL_MAX_OPTIONS];	/* enum model_option_kind */
	uint8_t entry[MODEL_MAX_OPTIONS];	/* MODEL_COMMIT: which buffer entry */
	bool preempts;				/* a non-default option preempts */
	unsigned int nr_plain;			/* options before the commits and spurious wake-ups */
	unsigned int commits;
	uint16_t mask;
};

/*
 * What taking option index of a choice costs against the preemption
 * bound: leaving a task that could go on, and always a commit or a
 * spurious wake-up (each a thing the default schedule never does).
 */
static inline unsigned int model_choice_cost(const struct model_choice *c, unsigned int index)
{
	return (index > 0 && c->preempts) || index >= c->nr_plain;
}

/* An option as a schedule records it: the task id, | 0x40 a commit, | 0x80 a spurious wake. */
static inline uint8_t model_option_code(const struct model_options *o, unsigned int i)
{
	return (uint8_t)(o->task[i] | (o->kind[i] == MODEL_COMMIT ? 0x40 : 0) |
			 (o->kind[i] == MODEL_SPURIOUS ? 0x80 : 0));
}

void model_strategy_start(struct model_strategy_state *s, const struct kp_model_config *cfg,
			  unsigned int nr_tasks, unsigned long expected_steps);
/*
 * Pick an option at choice number nth. Returns the option's index, or -1
 * when a replayed schedule recorded other options here (divergence).
 */
int model_strategy_choose(struct model_strategy_state *s, const struct model_options *o,
			  unsigned long nth);
/* The running task spins (cpu_relax(), kp_yield()): PCT drops its priority. */
void model_strategy_spin(struct model_strategy_state *s, unsigned int task);
/* A step passed with task running (PCT's change points). */
void model_strategy_step(struct model_strategy_state *s, unsigned long step, int task);

/* ---- trace.c -------------------------------------------------------------------- */

enum model_event {
	MODEL_EV_OP,		/* a schedule point: op says which */
	MODEL_EV_WAIT,		/* futex wait, blocked */
	MODEL_EV_WAIT_AGAIN,	/* futex wait, the word had changed */
	MODEL_EV_WAKE,		/* futex wake */
	MODEL_EV_SPURIOUS,	/* woken without a futex wake */
	MODEL_EV_END,		/* the task's function returned */
	MODEL_EV_BUFFERED,	/* a relaxed store went to the task's buffer */
	MODEL_EV_COMMIT,	/* a buffered store became visible */
};

struct model_step {
	unsigned long step;
	uint8_t task;
	uint8_t event;		/* enum model_event */
	struct kp_sched_op op;
	const void *ip;
	unsigned long value;	/* WAIT: expected; WAKE: tasks woken */
};

void model_trace_reset(bool enabled);
void model_trace_add(unsigned long step, unsigned int task, enum model_event ev,
		     const struct kp_sched_op *op, const void *ip, unsigned long value);
void model_trace_end(const char *how);
const char *model_op_name(unsigned int kind);
/* " (name+offset)" for an address a trace or report prints, or "" (trace.c). */
const char *model_addr_name(const volatile void *addr, char *buf, size_t size);

/* The schedule string of n choices into buf; false if it did not fit. */
bool model_schedule_format(const struct model_choice *c, unsigned long n, char *buf, size_t size);
/* Parse a schedule string into c (at most max); the count, or -1 if malformed. */
long model_schedule_parse(const char *str, struct model_choice *c, unsigned long max);

#endif /* KPRIM_MODEL_INTERNAL_H */
