// SPDX-License-Identifier: MIT
/*
 * run.c - the model scheduler: task states, model futexes, the run, and
 * the bounded exhaustive exploration.
 *
 * One run owns the process (a static struct model). Each task is a
 * coroutine with a struct kp_task of its own, which kp_current() returns
 * while it runs. The scheduler has no thread of its own: at a schedule
 * point the running task itself asks the strategy who runs next and, if
 * that is another task, switches straight to it; only the run's start and
 * end go through the caller's stack. A point where only one task can run
 * costs no choice; the options of a real choice (model_options) are
 * recorded, so the run's schedule string replays it.
 *
 * Futexes: a wait blocks the task on the word while it holds the expected
 * value (checked and blocked in one step: nothing runs in between, as the
 * kernel's futex hash lock makes it atomic); a wake makes the longest
 * waiters on the word runnable. With config.spurious_wakeups a blocked
 * task is an option at every choice too: taking it wakes it spuriously.
 *
 * The run ends when every task has returned, when none can run (a
 * deadlock: a task blocked for ever is a lost wake-up or a cycle), or
 * after max_steps points (a livelock). The last two are reported as
 * KP_REPORT_DEADLOCK / KP_REPORT_LIVELOCK once the caller's stack is back,
 * with what each task waits on or does, and the schedule string.
 *
 * Store buffers (config.store_buffers, model.h): each task keeps its
 * relaxed stores in a buffer the seam hands them to; a load sees its own
 * task's buffer first; the access's order decides what drains the buffer
 * (drains()), once the task goes on past its schedule point; and making
 * a buffered store visible early is one more option at every choice.
 *
 * Interleaving coverage: each switch bumps one of libFuzzer's extra
 * counters, chosen by the code point the running task was switched away
 * at (its address and operation), so a fuzzer keeps inputs that preempt
 * at new places, or more often at one, as it keeps those that reach new
 * lines. The tasks' ids are left out: tasks run the same code, and with
 * the ids in, every permutation of one interleaving read as new (three
 * times the corpus in 20 s, no line more); so is where the next task
 * resumes, which multiplied the features again. Outside libFuzzer the
 * array is only memory.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/report.h"
#include "model/internal.h"

enum task_state { TASK_RUNNABLE, TASK_BLOCKED, TASK_DONE };

struct model_task {
	struct kp_task task;		/* kp_current() while this task runs */
	struct model_coro coro;
	enum task_state state;
	unsigned int id;
	uint32_t *wait_addr;		/* TASK_BLOCKED: the futex word */
	unsigned long wait_seq;		/* TASK_BLOCKED: wake order */
	struct kp_sched_op last_op;
	const void *last_ip;
	/* config.store_buffers: relaxed stores not yet visible, oldest first */
	struct model_sb_entry {
		volatile void *addr;
		unsigned int size;
		uint64_t value;
	} sb[MODEL_SB_ENTRIES];
	unsigned int sb_len;
};

static struct model {
	const struct kp_model_config *cfg;
	unsigned int nr_tasks;
	unsigned long max_steps;
	struct model_task tasks[KP_MODEL_MAX_TASKS];
	struct model_task *running;		/* NULL on the caller's stack */
	struct model_coro caller;		/* the stack kp_model_run() was called on */
	struct model_coro *switched_from;	/* for a new task's first breath (ASan) */
	unsigned long steps, switches, wait_seq;
	/*
	 * Bit i set: task i is runnable, blocked, has buffered stores. Every
	 * point reads these, not the tasks' far-apart records.
	 */
	unsigned int runnable, blocked, buffered;
	enum kp_model_outcome outcome;
	struct model_strategy_state strategy;
	struct model_choice choice[MODEL_MAX_CHOICES];
	unsigned long nr_choices;		/* choices made; those past the array unrecorded */
	unsigned long expected_steps;		/* the last run's length: PCT's k */
} model;

#define COVERAGE_COUNTERS	(1u << 14)
static uint8_t interleaving_counters[COVERAGE_COUNTERS]
	__attribute__((section("__libfuzzer_extra_counters"), used));

static void note_switch(const struct model_task *from)
{
	uint64_t h = ((uintptr_t)from->last_ip ^ from->last_op.kind) * 0x9e3779b97f4a7c15ULL;

	interleaving_counters[h >> (64 - 14)]++;
}

static void set_state(struct model_task *t, enum task_state state)
{
	unsigned int bit = 1u << t->id;

	t->state = state;
	model.runnable = (model.runnable & ~bit) | (state == TASK_RUNNABLE ? bit : 0);
	model.blocked = (model.blocked & ~bit) | (state == TASK_BLOCKED ? bit : 0);
}

/* ---- ending a run ------------------------------------------------------------------ */

/* From a task: the run is over; back to the caller's stack, never to return. */
__attribute__((noreturn)) static void end_run(struct model_task *self, enum kp_model_outcome how)
{
	model.outcome = how;
	model.running = NULL;
	model.switched_from = &self->coro;
	model_coro_exit(&self->coro, &model.caller);
}

/* ---- store buffers --------------------------------------------------------------------- */

static void memory_write(volatile void *addr, unsigned int size, uint64_t value)
{
	switch (size) {
	case 1: __atomic_store_n((volatile uint8_t *)addr, (uint8_t)value, __ATOMIC_RELAXED); break;
	case 2: __atomic_store_n((volatile uint16_t *)addr, (uint16_t)value, __ATOMIC_RELAXED); break;
	case 4: __atomic_store_n((volatile uint32_t *)addr, (uint32_t)value, __ATOMIC_RELAXED); break;
	default: __atomic_store_n((volatile uint64_t *)addr, value, __ATOMIC_RELAXED); break;
	}
}

/* Make t's buffered store k visible. */
static void sb_commit(struct model_task *t, unsigned int k)
{
	struct model_sb_entry e = t->sb[k];
	const struct kp_sched_op op = { .kind = KP_OP_STORE, .size = (uint8_t)e.size,
					.addr = e.addr };

	memory_write(e.addr, e.size, e.value);
	memmove(&t->sb[k], &t->sb[k + 1], (t->sb_len - k - 1) * sizeof(t->sb[0]));
	if (!--t->sb_len)
		model.buffered &= ~(1u << t->id);
	model_trace_add(model.steps, t->id, MODEL_EV_COMMIT, &op, NULL, e.value);
}

/* Everything t buffered becomes visible, in program order. */
static void sb_drain(struct model_task *t)
{
	while (t->sb_len)
		sb_commit(t, 0);
}

static bool overlaps(const struct model_sb_entry *e, const volatile void *addr, unsigned int size)
{
	uintptr_t a = (uintptr_t)e->addr, b = (uintptr_t)addr;

	return a < b + size && b < a + e->size;
}

static bool sb_active(void)
{
	struct model_task *self = model.running;

	return self && model.cfg->store_buffers && !self->task.sched_quiet;
}

/* kp_sched_ops.store_relaxed: into the buffer, behind any store to the same word. */
static bool model_store_relaxed(volatile void *addr, unsigned int size, uint64_t value)
{
	struct model_task *self = model.running;
	const struct kp_sched_op op = { .kind = KP_OP_STORE, .size = (uint8_t)size, .addr = addr };

	if (!sb_active() || (size != 1 && size != 2 && size != 4 && size != 8))
		return false;
	for (unsigned int k = 0; k < self->sb_len; k++)
		if (overlaps(&self->sb[k], addr, size) &&
		    (self->sb[k].addr != addr || self->sb[k].size != size)) {
			sb_drain(self);		/* a differently shaped store to the same bytes */
			break;
		}
	if (self->sb_len == MODEL_SB_ENTRIES)
		sb_commit(self, 0);
	self->sb[self->sb_len++] = (struct model_sb_entry){ addr, size, value };
	model.buffered |= 1u << self->id;
	model_trace_add(model.steps, self->id, MODEL_EV_BUFFERED, &op, NULL, value);
	return true;
}

/* kp_sched_ops.load: a task sees its own youngest buffered store to the word first. */
static bool model_load(const volatile void *addr, unsigned int size, uint64_t *value)
{
	struct model_task *self = model.running;

	if (!sb_active())
		return false;
	for (unsigned int k = self->sb_len; k-- > 0;) {
		if (!overlaps(&self->sb[k], addr, size))
			continue;
		if (self->sb[k].addr == addr && self->sb[k].size == size) {
			*value = self->sb[k].value;
			return true;
		}
		sb_drain(self);		/* a load of part of a buffered store: from memory */
		return false;
	}
	return false;
}

/*
 * What an access's memory order asks of the task's buffer before it is
 * performed: a release or seq_cst store, every read-modify-write, and a
 * release or seq_cst fence make every earlier store visible first.
 * Loads and relaxed stores ask nothing (a load sees its own buffer).
 */
static bool drains(const struct kp_sched_op *op)
{
	switch (op->kind) {
	case KP_OP_STORE:
		return op->order != __ATOMIC_RELAXED;
	case KP_OP_XCHG:
	case KP_OP_CMPXCHG:
	case KP_OP_FETCH_ADD:
	case KP_OP_FETCH_SUB:
	case KP_OP_FETCH_OR:
	case KP_OP_FETCH_AND:
		return true;
	case KP_OP_FENCE:
		return op->order != __ATOMIC_ACQUIRE && op->order != __ATOMIC_CONSUME;
	default:
		return false;
	}
}

/* ---- choosing ---------------------------------------------------------------------- */

static void add_option(struct model_options *o, unsigned int task, enum model_option_kind kind,
		       unsigned int entry)
{
	o->task[o->nr] = (uint8_t)task;
	o->kind[o->nr] = (uint8_t)kind;
	o->entry[o->nr] = (uint8_t)entry;
	if (kind != MODEL_COMMIT)
		o->mask |= (uint16_t)(1u << (task + (kind == MODEL_SPURIOUS ? 8 : 0)));
	o->commits += kind == MODEL_COMMIT;
	o->nr++;
}

/* t's entry k is the oldest store to its word: visible next, in program order for the word. */
static bool sb_committable(const struct model_task *t, unsigned int k)
{
	for (unsigned int j = 0; j < k; j++)
		if (overlaps(&t->sb[j], t->sb[k].addr, t->sb[k].size))
			return false;
	return true;
}

/* The options at this point, default first (internal.h). */
static void build_options(struct model_options *o, int cur, bool spins)
{
	unsigned int cur_bit = cur >= 0 ? 1u << cur : 0;
	bool cur_goes_on = model.runnable & cur_bit;

	o->nr = 0;
	o->mask = 0;
	o->commits = 0;
	o->preempts = cur_goes_on;
	if (cur_goes_on && !spins)
		add_option(o, (unsigned int)cur, MODEL_RUN, 0);
	for (unsigned int m = model.runnable & ~cur_bit; m; m &= m - 1)
		add_option(o, (unsigned int)__builtin_ctz(m), MODEL_RUN, 0);
	if (cur_goes_on && spins)
		add_option(o, (unsigned int)cur, MODEL_RUN, 0);
	o->nr_plain = o->nr;
	/* Nobody can run: a deadlock, which no commit or spurious wake-up may hide. */
	if (!o->nr)
		return;
	for (unsigned int m = model.buffered; m; m &= m - 1) {	/* stores to other words: any order */
		const struct model_task *t = &model.tasks[__builtin_ctz(m)];

		for (unsigned int k = 0; k < t->sb_len; k++)
			if (sb_committable(t, k))
				add_option(o, t->id, MODEL_COMMIT, k);
	}
	if (model.cfg->spurious_wakeups)
		for (unsigned int m = model.blocked; m; m &= m - 1)
			add_option(o, (unsigned int)__builtin_ctz(m), MODEL_SPURIOUS, 0);
}

static bool every_task_done(void)
{
	return !model.runnable && !model.blocked;
}

/* Only cur can run, with nothing to commit and nobody to wake spuriously: no choice. */
static bool no_choice(int cur)
{
	return model.runnable == 1u << cur && !model.buffered &&
	       !(model.blocked && model.cfg->spurious_wakeups);
}

/* Ask the strategy (when there is a choice) and record what it took; -1: diverged. */
static int choose(struct model_options *o)
{
	int idx;

	if (o->nr == 1)
		return 0;
	idx = model_strategy_choose(&model.strategy, o, model.nr_choices);
	if (idx < 0 || (unsigned int)idx >= o->nr)
		return -1;
	if (model.nr_choices < MODEL_MAX_CHOICES)
		model.choice[model.nr_choices] = (struct model_choice){
			.chosen = model_option_code(o, (unsigned int)idx),
			.entry = o->entry[idx], .index = (uint8_t)idx,
			.nr_options = (uint8_t)o->nr, .nr_plain = (uint8_t)o->nr_plain,
			.preempts = o->preempts, .commits = (uint8_t)o->commits, .mask = o->mask,
		};
	model.nr_choices++;
	return idx;
}

/*
 * Who runs next: ask the strategy if there is a choice, record it, wake a
 * spurious pick; a commit is made and the choice asked again. Returns
 * NULL when nobody can run; with *diverged set when a replay met options
 * its schedule did not record.
 */
static struct model_task *choose_next(int cur, bool spins, bool *diverged)
{
	struct model_options o;
	int idx;

	*diverged = false;
	for (;;) {
		build_options(&o, cur, spins);
		if (!o.nr)
			return NULL;
		idx = choose(&o);
		if (idx < 0) {
			*diverged = true;
			return NULL;
		}
		if (o.kind[idx] != MODEL_COMMIT)
			break;
		sb_commit(&model.tasks[o.task[idx]], o.entry[idx]);
	}
	if (o.kind[idx] == MODEL_SPURIOUS) {
		struct model_task *t = &model.tasks[o.task[idx]];

		set_state(t, TASK_RUNNABLE);
		t->wait_addr = NULL;
		model_trace_add(model.steps, t->id, MODEL_EV_SPURIOUS, &t->last_op, t->last_ip, 0);
	}
	return &model.tasks[o.task[idx]];
}

/* The running task reached a point (or blocked, or returned): run whoever is next. */
static void reschedule(struct model_task *self, bool spins)
{
	bool diverged;
	struct model_task *next;

	if (no_choice((int)self->id))
		return;
	next = choose_next((int)self->id, spins, &diverged);

	if (!next)
		end_run(self, diverged ? KP_MODEL_DIVERGED :
			      every_task_done() ? KP_MODEL_DONE : KP_MODEL_DEADLOCK);
	if (next == self)
		return;
	model.switches++;
	note_switch(self);
	model.running = next;
	model.switched_from = &self->coro;
	if (self->state == TASK_DONE)
		model_coro_exit(&self->coro, &next->coro);
	model_coro_switch(&self->coro, &next->coro);
}

/* ---- the seam's hooks ------------------------------------------------------------------ */

static void step(struct model_task *self, enum model_event ev, const struct kp_sched_op *op,
		 const void *ip, unsigned long value)
{
	model.steps++;
	if (op)
		self->last_op = *op;
	if (ip)
		self->last_ip = ip;
	model_trace_add(model.steps, self->id, ev, op, self->last_ip, value);
	model_strategy_step(&model.strategy, model.steps, (int)self->id);
	if (model.steps > model.max_steps)
		end_run(self, KP_MODEL_LIVELOCK);
}

static void model_sched_point(const struct kp_sched_op *op)
{
	struct model_task *self = model.running;
	bool spins;

	if (!self || self->task.sched_quiet)
		return;		/* the scheduler's own code, or a checker's (lockdep) */
	step(self, MODEL_EV_OP, op, op->ip, 0);
	spins = op->kind == KP_OP_SPIN || op->kind == KP_OP_YIELD;
	if (spins)
		model_strategy_spin(&model.strategy, self->id);
	reschedule(self, spins);
	/* The access comes now, when the task goes on: first what its order drains. */
	if (self->sb_len && drains(op))
		sb_drain(self);
	/* membarrier(2): a full barrier in every task, so every buffer drains. */
	if (op->kind == KP_OP_MEMBARRIER)
		for (unsigned int m = model.buffered; m; m &= m - 1)
			sb_drain(&model.tasks[__builtin_ctz(m)]);
}

static int model_futex_wait(uint32_t *addr, uint32_t expected)
{
	struct model_task *self = model.running;
	const struct kp_sched_op op = { .kind = KP_OP_POINT, .size = 4, .addr = addr };

	if (!self)
		return -EAGAIN;
	sb_drain(self);		/* a system call: every earlier store is visible */
	if (*(volatile uint32_t *)addr != expected) {
		step(self, MODEL_EV_WAIT_AGAIN, &op, NULL, expected);
		return -EAGAIN;
	}
	set_state(self, TASK_BLOCKED);
	self->wait_addr = addr;
	self->wait_seq = ++model.wait_seq;
	step(self, MODEL_EV_WAIT, &op, NULL, expected);
	reschedule(self, false);
	return 0;		/* woken, by a wake or spuriously */
}

static int model_futex_wake(uint32_t *addr, int nr_wake)
{
	struct model_task *self = model.running;
	const struct kp_sched_op op = { .kind = KP_OP_POINT, .size = 4, .addr = addr };
	int woken = 0;

	if (!self)
		return 0;
	sb_drain(self);
	while (woken < nr_wake) {
		struct model_task *first = NULL;

		for (unsigned int m = model.blocked; m; m &= m - 1) {
			struct model_task *t = &model.tasks[__builtin_ctz(m)];

			if (t->wait_addr == addr &&
			    (!first || t->wait_seq < first->wait_seq))
				first = t;
		}
		if (!first)
			break;
		set_state(first, TASK_RUNNABLE);
		first->wait_addr = NULL;
		woken++;
	}
	step(self, MODEL_EV_WAKE, &op, NULL, (unsigned long)woken);
	reschedule(self, false);
	return woken;
}

static struct kp_task *model_current(void)
{
	return model.running ? &model.running->task : &kp_thread_task;
}

static const struct kp_sched_ops model_ops = {
	.sched_point = model_sched_point,
	.futex_wait = model_futex_wait,
	.futex_wake = model_futex_wake,
	.current = model_current,
	.store_relaxed = model_store_relaxed,
	.load = model_load,
};

int kp_model_task_id(void)
{
	return model.running ? (int)model.running->id : -1;
}

/* ---- a run ---------------------------------------------------------------------------- */

__attribute__((noreturn)) static void task_entry(void)
{
	struct model_task *self = model.running;

	model_coro_started(model.switched_from);
	model.cfg->task_fn(self->id, model.cfg->arg);
	kp_task_exit(&self->task);	/* as a thread's end: the allocator flushes, lockdep checks */
	sb_drain(self);
	set_state(self, TASK_DONE);
	step(self, MODEL_EV_END, NULL, NULL, 0);
	reschedule(self, false);	/* a task that is done never comes back */
	__builtin_unreachable();
}

static int start_tasks(const struct kp_model_config *cfg)
{
	for (unsigned int i = 0; i < cfg->nr_tasks; i++) {
		struct model_task *t = &model.tasks[i];
		/*
		 * A task abandoned by the last run (a deadlock, a livelock) did
		 * not exit: it keeps its id, and its allocator state, whose
		 * sheaves hold free objects, for the task in this slot.
		 */
		unsigned int task_id = t->task.id;
		void *alloc = t->task.alloc;
		int err = model_coro_init(&t->coro, task_entry);

		if (err)
			return err;
		memset(&t->task, 0, sizeof(t->task));
		t->task.id = task_id;
		t->task.alloc = t->task.alloc_fast = alloc;
		t->task.pid = 1000000 + (int)i;
		snprintf(t->task.comm, sizeof(t->task.comm), "model-%u", i);
		t->id = i;
		set_state(t, TASK_RUNNABLE);
		t->wait_addr = NULL;
		t->last_op = (struct kp_sched_op){ .kind = KP_OP_POINT };
		t->last_ip = NULL;
		t->sb_len = 0;
	}
	return 0;
}

/* What each unfinished task waits on or does, for a report. */
static size_t describe_tasks(char *buf, size_t size)
{
	size_t used = 0;

	for (unsigned int i = 0; i < model.nr_tasks && used < size; i++) {
		const struct model_task *t = &model.tasks[i];
		char name[160];

		if (t->state == TASK_DONE)
			continue;
		if (t->state == TASK_BLOCKED)
			used += (size_t)snprintf(buf + used, size - used,
						 "task %u: blocked in futex_wait(%p%s) in %s\n", i,
						 (void *)t->wait_addr,
						 model_addr_name(t->wait_addr, name, sizeof(name)),
						 kp_symbol(t->last_ip));
		else
			used += (size_t)snprintf(buf + used, size - used,
						 "task %u: runnable, last %s %p%s in %s\n", i,
						 model_op_name(t->last_op.kind),
						 (const void *)t->last_op.addr,
						 model_addr_name(t->last_op.addr, name, sizeof(name)),
						 kp_symbol(t->last_ip));
	}
	return used < size ? used : size - 1;
}

static void report_end(const struct kp_model_result *res)
{
	char tasks[1024];

	tasks[0] = '\0';
	describe_tasks(tasks, sizeof(tasks));
	switch (res->outcome) {
	case KP_MODEL_DEADLOCK:
		model_trace_end("deadlock");
		kp_report(KP_REPORT_DEADLOCK, NULL,
			  "BUG: model deadlock: no task can run after %lu steps\n%sschedule: %s",
			  res->steps, tasks, res->schedule);
		break;
	case KP_MODEL_LIVELOCK:
		model_trace_end("livelock");
		kp_report(KP_REPORT_LIVELOCK, NULL,
			  "BUG: model livelock: %lu steps without an end\n%sschedule: %s",
			  res->steps - 1, tasks, res->schedule);
		break;
	case KP_MODEL_DIVERGED:
		model_trace_end("diverged");
		fprintf(stderr, "kprim model: replay diverged at choice %lu: the code or the "
				"test changed since the schedule was recorded\n", res->choices);
		break;
	case KP_MODEL_DONE:
		model_trace_end("every task returned");
		break;
	}
}

static int check_config(const struct kp_model_config *cfg)
{
	if (!cfg || !cfg->task_fn || !cfg->nr_tasks || cfg->nr_tasks > KP_MODEL_MAX_TASKS)
		return -EINVAL;
	if (cfg->strategy > KP_MODEL_REPLAY || (cfg->strategy == KP_MODEL_REPLAY && !cfg->schedule))
		return -EINVAL;
	if (model.running || kp_sched_ops == &model_ops)
		return -EBUSY;		/* a run inside a run */
	return 0;
}

/* One run; the strategy's prefix is set up by the caller. */
static int run_once(const struct kp_model_config *cfg, struct kp_model_result *res)
{
	const struct kp_sched_ops *prev;
	struct model_task *first;
	bool diverged;
	int err;

	if (cfg->setup)
		cfg->setup(cfg->arg);
	model.cfg = cfg;
	model.nr_tasks = cfg->nr_tasks;
	model.max_steps = cfg->max_steps ? cfg->max_steps : 100000;
	model.steps = model.switches = model.wait_seq = model.nr_choices = 0;
	model.runnable = model.blocked = model.buffered = 0;
	model.outcome = KP_MODEL_DONE;
	err = start_tasks(cfg);
	if (err)
		return err;
	model_strategy_start(&model.strategy, cfg, cfg->nr_tasks, model.expected_steps);
	model_trace_reset(cfg->trace);

	prev = kp_sched_register(&model_ops);
	first = choose_next(-1, false, &diverged);
	if (first) {
		model.running = first;
		model.switched_from = &model.caller;
		model_coro_switch(&model.caller, &first->coro);
	} else {
		model.outcome = KP_MODEL_DIVERGED;
	}
	kp_sched_register(prev);

	if (model.outcome == KP_MODEL_DONE)
		model.expected_steps = model.steps;
	memset(res, 0, sizeof(*res));
	res->outcome = model.outcome;
	res->steps = model.steps;
	res->choices = model.nr_choices;
	res->switches = model.switches;
	res->schedule_truncated = model.nr_choices > MODEL_MAX_CHOICES ||
		!model_schedule_format(model.choice, model.nr_choices, res->schedule,
				       sizeof(res->schedule));
	return 0;
}

int kp_model_run(const struct kp_model_config *cfg, struct kp_model_result *res)
{
	static struct model_choice replayed[MODEL_MAX_CHOICES];
	int err = check_config(cfg);

	if (err)
		return err;
	model.strategy.prefix = NULL;
	model.strategy.prefix_len = 0;
	model.strategy.prefix_by_index = false;
	if (cfg->strategy == KP_MODEL_REPLAY) {
		long n = model_schedule_parse(cfg->schedule, replayed, MODEL_MAX_CHOICES);

		if (n < 0)
			return -EINVAL;
		model.strategy.prefix = replayed;
		model.strategy.prefix_len = (unsigned long)n;
	}
	err = run_once(cfg, res);
	if (err)
		return err;
	report_end(res);
	return 0;
}

/* ---- exploration ------------------------------------------------------------------------ */

static unsigned long reports_so_far(void)
{
	unsigned long n = 0;

	for (int k = 0; k < KP_REPORT_NR; k++)
		n += kp_report_count((enum kp_report_kind)k);
	return n;
}

/*
 * The next prefix after a run whose choices are in model.choice: the
 * deepest choice with an option left whose preemptions stay in bound
 * takes that option, and everything after it is dropped. False when no
 * such choice is left: the exploration is complete.
 */
static bool next_prefix(struct model_choice *prefix, unsigned long *len, unsigned int bound)
{
	unsigned long n = model.nr_choices < MODEL_MAX_CHOICES ? model.nr_choices : MODEL_MAX_CHOICES;
	static unsigned int preempts_before[MODEL_MAX_CHOICES];
	unsigned int spent = 0;

	for (unsigned long i = 0; i < n; i++) {
		preempts_before[i] = spent;
		spent += model_choice_cost(&model.choice[i], model.choice[i].index);
	}
	for (unsigned long i = n; i-- > 0;) {
		const struct model_choice *c = &model.choice[i];

		if (c->index + 1 < c->nr_options &&
		    preempts_before[i] + model_choice_cost(c, c->index + 1u) <= bound) {
			memcpy(prefix, model.choice, i * sizeof(*prefix));
			prefix[i] = *c;
			prefix[i].index++;
			*len = i + 1;
			return true;
		}
	}
	return false;
}

int kp_model_explore(const struct kp_model_config *cfg, unsigned int preemption_bound,
		     unsigned long max_runs, struct kp_model_explore_result *out)
{
	static struct model_choice prefix[MODEL_MAX_CHOICES];
	struct kp_model_config c;
	struct kp_model_result res;
	unsigned long len = 0;
	int err = check_config(cfg);

	if (err)
		return err;
	memset(out, 0, sizeof(*out));
	c = *cfg;
	c.strategy = KP_MODEL_REPLAY;
	c.spurious_wakeups = cfg->spurious_wakeups;
	for (;;) {
		unsigned long before = reports_so_far();

		model.strategy.prefix = prefix;
		model.strategy.prefix_len = len;
		model.strategy.prefix_by_index = true;
		err = run_once(&c, &res);
		if (err)
			return err;
		report_end(&res);
		out->runs++;
		if (res.outcome != KP_MODEL_DONE || reports_so_far() != before) {
			if (!out->failed++)
				snprintf(out->first_failure, sizeof(out->first_failure), "%s",
					 res.schedule);
			if (res.outcome == KP_MODEL_DIVERGED)
				break;	/* the test is not deterministic: stop */
		}
		if (model.nr_choices > MODEL_MAX_CHOICES) {
			out->too_deep = true;	/* choices past the record: cannot go on */
			break;
		}
		if (!next_prefix(prefix, &len, preemption_bound)) {
			out->complete = true;
			break;
		}
		if (max_runs && out->runs >= max_runs)
			break;
	}
	model.strategy.prefix_by_index = false;
	return 0;
}
