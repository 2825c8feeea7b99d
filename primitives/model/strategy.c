// SPDX-License-Identifier: MIT
/*
 * strategy.c - who runs next, at a point where two or more tasks could.
 *
 * The options come from run.c, default first (the running task when it
 * may go on); a strategy returns an index among them and knows nothing of
 * stacks or futexes:
 *
 *   INPUT    one byte of the fuzzer's input per choice (byte % options),
 *            so libFuzzer's byte mutations are schedule mutations; when
 *            the bytes run out, PCT seeded from them, so an input still
 *            means one schedule.
 *   PCT      priorities (Burckhardt et al., ASPLOS 2010; the bound is in
 *            model.h): each task a random priority above depth, the
 *            highest runnable one runs, and at depth - 1 random steps the
 *            running task drops to priority 1, 2, ... A task that spins
 *            drops below everybody, as the paper's priority inversion
 *            handling asks, or a spin loop would look like a livelock.
 *   RANDOM   a uniformly random option.
 *   REPLAY   the recorded task at each choice, after checking that the
 *            same tasks could run: a replay that meets other options
 *            diverges instead of silently running another schedule.
 *
 * Exploration (run.c) replays a prefix by option index, then takes the
 * default option at every later choice.
 */
#include <string.h>

#include "model/internal.h"

/* splitmix64: small, fast, and good enough to pick tasks. */
static uint64_t rng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rng_below(uint64_t *state, uint64_t n)
{
	return rng_next(state) % n;
}

/* FNV-1a over the input: the seed an input's PCT tail starts from. */
static uint64_t input_hash(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

static void pct_start(struct model_strategy_state *s, unsigned int nr_tasks,
		      unsigned int depth, unsigned long expected_steps)
{
	int perm[KP_MODEL_MAX_TASKS];

	s->depth = depth ? depth : 3;
	if (s->depth > 1 + sizeof(s->change_point) / sizeof(s->change_point[0]))
		s->depth = 1 + sizeof(s->change_point) / sizeof(s->change_point[0]);
	for (unsigned int i = 0; i < nr_tasks; i++)
		perm[i] = (int)i;
	for (unsigned int i = nr_tasks; i > 1; i--) {	/* Fisher-Yates */
		unsigned int j = (unsigned int)rng_below(&s->rng, i);
		int t = perm[i - 1];

		perm[i - 1] = perm[j];
		perm[j] = t;
	}
	for (unsigned int i = 0; i < nr_tasks; i++)
		s->priority[i] = (int)s->depth + perm[i];
	for (unsigned int i = 0; i + 1 < s->depth; i++)
		s->change_point[i] = 1 + (unsigned long)rng_below(&s->rng, expected_steps);
	s->lowest = 0;
}

void model_strategy_start(struct model_strategy_state *s, const struct kp_model_config *cfg,
			  unsigned int nr_tasks, unsigned long expected_steps)
{
	memset(s->priority, 0, sizeof(s->priority));
	s->kind = cfg->strategy;
	s->input = cfg->input;
	s->input_left = cfg->input ? cfg->input_size : 0;
	s->rng = cfg->seed;
	if (s->kind == KP_MODEL_INPUT)
		s->rng ^= input_hash(cfg->input, s->input_left);
	pct_start(s, nr_tasks, cfg->pct_depth, expected_steps ? expected_steps : 1);
}

void model_strategy_step(struct model_strategy_state *s, unsigned long step, int task)
{
	if (task < 0)
		return;
	for (unsigned int i = 0; i + 1 < s->depth; i++)
		if (s->change_point[i] == step)
			s->priority[task] = (int)i + 1;
}

void model_strategy_spin(struct model_strategy_state *s, unsigned int task)
{
	s->priority[task] = --s->lowest;
}

/*
 * PCT and RANDOM only run tasks: they wake none spuriously and commit no
 * buffered store early (stores wait until their task drains: the longest
 * delay, where a missing release shows). An input or an exploration does.
 */
static int pct_choose(const struct model_strategy_state *s, const struct model_options *o)
{
	int best = 0;

	for (unsigned int i = 1; i < o->nr_plain; i++)
		if (s->priority[o->task[i]] > s->priority[o->task[best]])
			best = (int)i;
	return best;
}

int model_strategy_choose(struct model_strategy_state *s, const struct model_options *o,
			  unsigned long nth)
{
	switch (s->kind) {
	case KP_MODEL_INPUT:	/* the bytes may pick a spurious wake-up; PCT after them not */
		if (s->input_left) {
			s->input_left--;
			return *s->input++ % o->nr;
		}
		return pct_choose(s, o);
	case KP_MODEL_PCT:
		return pct_choose(s, o);
	case KP_MODEL_RANDOM:
		return (int)rng_below(&s->rng, o->nr_plain);
	case KP_MODEL_REPLAY:
		if (nth >= s->prefix_len)	/* exploration: the default past the prefix */
			return s->prefix_by_index ? 0 : -1;
		if (s->prefix[nth].mask != o->mask || s->prefix[nth].commits != o->commits)
			return -1;
		if (s->prefix_by_index)
			return s->prefix[nth].index;
		for (unsigned int i = 0; i < o->nr; i++)
			if (model_option_code(o, i) == s->prefix[nth].chosen &&
			    o->entry[i] == s->prefix[nth].entry)
				return (int)i;
		return -1;
	}
	return 0;
}
