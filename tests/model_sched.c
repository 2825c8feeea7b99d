// SPDX-License-Identifier: MIT
/*
 * model_sched.c - the model scheduler (primitives/model/) against its
 * contract, and every kprim lock explored under it.
 *
 * The scheduler: an exhaustive exploration finds the lost update of a
 * racy increment, and finds none in the same increment done with an RMW;
 * a task blocked for ever is a deadlock and one spinning for ever a
 * livelock, each reported with what the tasks wait on and the schedule;
 * a schedule string replays the same run, and one that no longer matches
 * the code diverges instead of running something else; the same input
 * gives the same schedule; a bad configuration or schedule is refused.
 *
 * The locks: two tasks, each taking the lock twice around a critical
 * section that checks it is alone, explored exhaustively within a
 * preemption bound of 3, with and without spurious futex wake-ups. Every
 * run must end with both tasks done (no lost wake-up: a deadlock fails
 * the run), nobody inside a section with another, and no report.
 */
#include <errno.h>
#include <stdlib.h>

#include "kp_locks.h"
#include "kp_test.h"

/* ---- the scheduler ------------------------------------------------------------------ */

static int shared;
static int finished;

/* The last task to finish checks that no increment was lost. */
static void check_when_last(unsigned int nr_tasks)
{
	if (kp_atomic_fetch_add(&finished, 1, KP_RELAXED) + 1 == (int)nr_tasks &&
	    kp_atomic_load(&shared, KP_RELAXED) != (int)nr_tasks)
		kp_report(KP_REPORT_INVARIANT, NULL, "lost update: %d of %u increments",
			  kp_atomic_load(&shared, KP_RELAXED), nr_tasks);
}

static void racy_increment(unsigned int id, void *arg)
{
	int v = kp_atomic_load(&shared, KP_RELAXED);

	(void)id, (void)arg;
	kp_atomic_store(&shared, v + 1, KP_RELAXED);
	check_when_last(2);
}

static void zero_counters(void *arg)
{
	(void)arg;
	shared = finished = 0;
}

static void atomic_increment(unsigned int id, void *arg)
{
	(void)id, (void)arg;
	kp_atomic_fetch_add(&shared, 1, KP_RELAXED);
}

static void test_exploration_finds_a_lost_update(void **state)
{
	struct kp_model_config cfg = { .nr_tasks = 2, .task_fn = racy_increment,
				       .setup = zero_counters };
	struct kp_model_explore_result res;
	struct kp_model_result r;

	(void)state;
	assert_int_equal(kp_model_explore(&cfg, 2, 0, &res), 0);
	assert_true(res.complete);
	assert_true(res.runs >= 4);
	assert_true(res.failed > 0 && res.failed < res.runs);
	assert_true(kp_report_count(KP_REPORT_INVARIANT) == res.failed);

	/* The first failing schedule, replayed, loses the update again. */
	kp_report_reset();
	cfg.strategy = KP_MODEL_REPLAY;
	cfg.schedule = res.first_failure;
	assert_int_equal(kp_model_run(&cfg, &r), 0);
	assert_int_equal(r.outcome, KP_MODEL_DONE);
	assert_int_equal(shared, 1);
	assert_reports(KP_REPORT_INVARIANT, 1);
	assert_msg_contains("lost update: 1 of 2 increments");
}

static void test_an_rmw_loses_nothing(void **state)
{
	struct kp_model_config cfg = { .nr_tasks = 3, .task_fn = atomic_increment,
				       .strategy = KP_MODEL_RANDOM };

	(void)state;
	for (int seed = 0; seed < 64; seed++) {
		struct kp_model_result r;

		cfg.seed = (uint64_t)seed;
		shared = 0;
		assert_int_equal(kp_model_run(&cfg, &r), 0);
		assert_int_equal(r.outcome, KP_MODEL_DONE);
		assert_int_equal(shared, 3);
	}
	assert_no_reports();
}

static uint32_t never_woken;

static void wait_for_ever(unsigned int id, void *arg)
{
	(void)arg;
	if (id == 0)
		kp_futex_wait(&never_woken, 0);
	kp_atomic_fetch_add(&shared, 1, KP_RELAXED);
}

static void test_a_task_blocked_for_ever_is_a_deadlock(void **state)
{
	struct kp_model_config cfg = { .nr_tasks = 2, .task_fn = wait_for_ever,
				       .strategy = KP_MODEL_PCT, .seed = 1 };
	struct kp_model_result r;

	(void)state;
	assert_int_equal(kp_model_run(&cfg, &r), 0);
	assert_int_equal(r.outcome, KP_MODEL_DEADLOCK);
	assert_reports(KP_REPORT_DEADLOCK, 1);
	assert_msg_contains("BUG: model deadlock: no task can run");
	assert_msg_contains("task 0: blocked in futex_wait(");
	assert_msg_contains("schedule: kp1");
	/* The abandoned task's stack is reused: the next run starts clean. */
	kp_report_reset();
	cfg.nr_tasks = 1;
	cfg.task_fn = atomic_increment;
	assert_int_equal(kp_model_run(&cfg, &r), 0);
	assert_int_equal(r.outcome, KP_MODEL_DONE);
	assert_no_reports();
}

static int flag;

static void spin_for_ever(unsigned int id, void *arg)
{
	(void)id, (void)arg;
	while (!kp_atomic_load(&flag, KP_ACQUIRE))
		cpu_relax();
}

static void test_a_task_spinning_for_ever_is_a_livelock(void **state)
{
	struct kp_model_config cfg = { .nr_tasks = 2, .task_fn = spin_for_ever,
				       .strategy = KP_MODEL_RANDOM, .max_steps = 500 };
	struct kp_model_result r;

	(void)state;
	flag = 0;
	assert_int_equal(kp_model_run(&cfg, &r), 0);
	assert_int_equal(r.outcome, KP_MODEL_LIVELOCK);
	assert_int_equal(r.steps, 501);
	assert_reports(KP_REPORT_LIVELOCK, 1);
	assert_msg_contains("BUG: model livelock: 500 steps without an end");
	assert_msg_contains("runnable, last");
}

/* A model task's end is a thread's end: lockdep sees a lock still held. */
static DEFINE_MUTEX(left_locked);
int last_writer_named;	/* global: a symbol the trace finds with dladdr() */

static void end_holding(unsigned int id, void *arg)
{
	(void)arg;
	if (id == 0)
		mutex_lock(&left_locked);
}

static void test_a_task_ending_with_a_lock_is_reported(void **state)
{
	struct kp_model_config cfg = { .nr_tasks = 2, .task_fn = end_holding,
				       .strategy = KP_MODEL_PCT, .seed = 3 };
	struct kp_model_result r;

	(void)state;
	assert_int_equal(kp_model_run(&cfg, &r), 0);
	assert_int_equal(r.outcome, KP_MODEL_DONE);
	assert_reports(KP_REPORT_LOCK_HELD_AT_EXIT, 1);
	assert_msg_contains("model-0/");
	/* the ended task still owns it: a fresh lock for the tests after this one */
	mutex_init(&left_locked);
}

/*
 * Traces and reports name what a step touches: a lock by its lockdep
 * name, a field the test named, a static by its symbol.
 */
static struct {
	struct mutex lock;
	long balance;
} acct;
static uint32_t gate;	/* a futex word nobody wakes, named in the report */

static void named_setup(void *arg)
{
	(void)arg;
	mutex_init(&acct.lock);
	acct.balance = 0;
	kp_sched_name(&acct.balance, sizeof(acct.balance), "acct.balance");
	kp_sched_name(&gate, sizeof(gate), "gate");
}

static void deposit(unsigned int id, void *arg)
{
	(void)arg;
	mutex_lock(&acct.lock);
	kp_atomic_store(&acct.balance, kp_atomic_load(&acct.balance, KP_RELAXED) + 1, KP_RELAXED);
	mutex_unlock(&acct.lock);
	kp_atomic_store(&last_writer_named, (int)id, KP_RELAXED);
	if (id == 1)
		kp_futex_wait(&gate, 0);
}

static void test_traces_name_what_they_touch(void **state)
{
	struct kp_model_config cfg = { .nr_tasks = 2, .task_fn = deposit, .setup = named_setup,
				       .strategy = KP_MODEL_PCT, .seed = 5, .trace = true };
	struct kp_model_result r;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	(void)state;
	assert_non_null(out);
	assert_int_equal(kp_model_run(&cfg, &r), 0);
	assert_int_equal(r.outcome, KP_MODEL_DEADLOCK);
	assert_reports(KP_REPORT_DEADLOCK, 1);
	assert_msg_contains("task 1: blocked in futex_wait(");
	assert_msg_contains(" (gate+0)) in ");
	kp_model_print_trace(out);
	fclose(out);
	assert_non_null(strstr(text, " (&acct.lock+0)"));	/* the mutex's owner word */
	assert_non_null(strstr(text, " (acct.balance+0)"));
	assert_non_null(strstr(text, " (last_writer_named+0)"));	/* a symbol */
	free(text);
}

/* A run whose result depends on the interleaving: who stores last. */
static int last_writer;

static void store_id(unsigned int id, void *arg)
{
	(void)arg;
	for (int i = 0; i < 8; i++)
		kp_atomic_store(&last_writer, (int)id, KP_RELAXED);
}

static void test_a_schedule_replays_and_a_stale_one_diverges(void **state)
{
	struct kp_model_config cfg = { .nr_tasks = 3, .task_fn = store_id,
				       .strategy = KP_MODEL_RANDOM };
	struct kp_model_result first, again, stale;
	char schedule[1024];
	int writer;

	(void)state;
	for (uint64_t seed = 0; seed < 16; seed++) {
		cfg.strategy = KP_MODEL_RANDOM;
		cfg.seed = seed;
		assert_int_equal(kp_model_run(&cfg, &first), 0);
		writer = last_writer;
		snprintf(schedule, sizeof(schedule), "%s", first.schedule);
		assert_false(first.schedule_truncated);

		cfg.strategy = KP_MODEL_REPLAY;
		cfg.schedule = schedule;
		last_writer = -1;
		assert_int_equal(kp_model_run(&cfg, &again), 0);
		assert_int_equal(again.outcome, KP_MODEL_DONE);
		assert_string_equal(again.schedule, first.schedule);
		assert_int_equal(last_writer, writer);
		assert_int_equal(again.steps, first.steps);
	}
	/* The same schedule on code with fewer tasks: its masks no longer match. */
	cfg.nr_tasks = 2;
	assert_int_equal(kp_model_run(&cfg, &stale), 0);
	assert_int_equal(stale.outcome, KP_MODEL_DIVERGED);
	assert_no_reports();
}

static void test_the_same_input_is_the_same_schedule(void **state)
{
	static const uint8_t input[] = { 7, 3, 200, 1, 1, 0, 9, 4, 4, 4, 13 };
	struct kp_model_config cfg = { .nr_tasks = 3, .task_fn = store_id,
				       .strategy = KP_MODEL_INPUT, .input = input,
				       .input_size = sizeof(input) };
	struct kp_model_result a, b;

	(void)state;
	assert_int_equal(kp_model_run(&cfg, &a), 0);
	assert_int_equal(kp_model_run(&cfg, &b), 0);
	assert_string_equal(a.schedule, b.schedule);
	assert_true(a.choices > sizeof(input));	/* past the bytes, PCT seeded by them */
	assert_no_reports();
}

static void test_bad_configurations_are_refused(void **state)
{
	struct kp_model_config cfg = { .nr_tasks = 2, .task_fn = store_id };
	struct kp_model_result r;
	static const char *const bad[] = { "", "kp2 0:3", "kp1 0", "kp1 0:3*0", "kp1 9:3",
					   "kp1 0:3x", "kp1 0:3*99999" };

	(void)state;
	cfg.nr_tasks = 0;
	assert_int_equal(kp_model_run(&cfg, &r), -EINVAL);
	cfg.nr_tasks = KP_MODEL_MAX_TASKS + 1;
	assert_int_equal(kp_model_run(&cfg, &r), -EINVAL);
	cfg.nr_tasks = 2;
	cfg.task_fn = NULL;
	assert_int_equal(kp_model_run(&cfg, &r), -EINVAL);
	cfg.task_fn = store_id;
	cfg.strategy = KP_MODEL_REPLAY;
	cfg.schedule = NULL;
	assert_int_equal(kp_model_run(&cfg, &r), -EINVAL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg.schedule = bad[i];
		assert_int_equal(kp_model_run(&cfg, &r), -EINVAL);
	}
	cfg.schedule = "kp1";		/* no choices: valid */
	assert_int_equal(kp_model_run(&cfg, &r), 0);
	assert_int_equal(r.outcome, KP_MODEL_DIVERGED);	/* but this run has some */
}

static int nested_result;

static void run_inside_a_run(unsigned int id, void *arg)
{
	struct kp_model_config cfg = { .nr_tasks = 1, .task_fn = store_id };
	struct kp_model_result r;

	(void)id, (void)arg;
	nested_result = kp_model_run(&cfg, &r);
}

static void test_a_run_inside_a_run_is_refused(void **state)
{
	struct kp_model_config cfg = { .nr_tasks = 1, .task_fn = run_inside_a_run };
	struct kp_model_result r;

	(void)state;
	assert_int_equal(kp_model_run(&cfg, &r), 0);
	assert_int_equal(nested_result, -EBUSY);
}

/* ---- weak memory ------------------------------------------------------------------------- */

static int x, y, r[2], sb_done;
static bool sb_fenced;

static void sb_reset(void *arg)
{
	(void)arg;
	x = y = sb_done = 0;
	r[0] = r[1] = -1;
}

/*
 * The store-buffering litmus test (Dekker): each task stores to its word,
 * then loads the other's. Both loads seeing 0 needs a store to wait past
 * the later load: a store buffer. A seq_cst fence between forbids it.
 */
static void store_buffering(unsigned int id, void *arg)
{
	(void)arg;
	kp_atomic_store(id ? &y : &x, 1, KP_RELAXED);
	if (sb_fenced)
		kp_atomic_fence(KP_SEQ_CST);
	r[id] = kp_atomic_load(id ? &x : &y, KP_RELAXED);
	if (kp_atomic_fetch_add(&sb_done, 1, KP_RELAXED) == 1 && r[0] == 0 && r[1] == 0)
		kp_report(KP_REPORT_INVARIANT, NULL, "store buffering: both loads saw 0");
}

static unsigned long explore_litmus(bool store_buffers, bool fenced)
{
	struct kp_model_config cfg = { .nr_tasks = 2, .task_fn = store_buffering,
				       .setup = sb_reset, .store_buffers = store_buffers };
	struct kp_model_explore_result res;

	sb_fenced = fenced;
	kp_report_reset();
	assert_int_equal(kp_model_explore(&cfg, 3, 0, &res), 0);
	assert_true(res.complete);
	return res.failed;
}

static void test_store_buffering_needs_its_fence(void **state)
{
	(void)state;
	assert_int_equal(explore_litmus(false, false), 0);	/* sequentially consistent */
	assert_true(explore_litmus(true, false) > 0);		/* the store waits in its buffer */
	assert_int_equal(explore_litmus(true, true), 0);	/* the fence drains it */
}

/*
 * A test-and-set lock whose unlock has a given order, guarding a relaxed
 * store of the holder's mark: the next holder must see it. A relaxed
 * unlock lets the lock word become visible before the mark does.
 */
static int tas_lock, tas_data, tas_expected;
static int tas_unlock_order;

static void tas_reset(void *arg)
{
	(void)arg;
	tas_lock = tas_data = tas_expected = 0;
}

static void tas_holders(unsigned int id, void *arg)
{
	(void)arg;
	for (int i = 0; i < 2; i++) {
		while (kp_atomic_xchg(&tas_lock, 1, KP_ACQUIRE))
			cpu_relax();
		if (kp_atomic_load(&tas_data, KP_RELAXED) != tas_expected)
			kp_report(KP_REPORT_INVARIANT, NULL, "a critical section's store leaked past the unlock");
		tas_expected = (int)(id * 2 + (unsigned int)i + 1);
		kp_atomic_store(&tas_data, tas_expected, KP_RELAXED);
		kp_atomic_store(&tas_lock, 0, tas_unlock_order);
	}
}

static unsigned long explore_tas(int unlock_order)
{
	struct kp_model_config cfg = { .nr_tasks = 2, .task_fn = tas_holders, .setup = tas_reset,
				       .store_buffers = true, .max_steps = 5000 };
	struct kp_model_explore_result res;

	tas_unlock_order = unlock_order;
	kp_report_reset();
	assert_int_equal(kp_model_explore(&cfg, 3, 0, &res), 0);
	assert_true(res.complete);
	return res.failed;
}

static void test_a_relaxed_unlock_leaks_the_critical_section(void **state)
{
	(void)state;
	assert_int_equal(explore_tas(KP_RELEASE), 0);
	assert_true(explore_tas(KP_RELAXED) > 0);
}

/* A task sees its own buffered stores, whatever anyone else sees. */
static void own_stores(unsigned int id, void *arg)
{
	(void)arg;
	if (id)
		return;
	kp_atomic_store(&x, 5, KP_RELAXED);
	kp_atomic_store(&x, 6, KP_RELAXED);
	if (kp_atomic_load(&x, KP_RELAXED) != 6)
		kp_report(KP_REPORT_INVARIANT, NULL, "a task did not see its own store");
}

static void test_a_task_sees_its_own_buffer(void **state)
{
	struct kp_model_config cfg = { .nr_tasks = 2, .task_fn = own_stores, .setup = sb_reset,
				       .store_buffers = true };
	struct kp_model_explore_result res;

	(void)state;
	assert_int_equal(kp_model_explore(&cfg, 3, 0, &res), 0);
	assert_int_equal(res.failed, 0);
	assert_int_equal(x, 6);		/* and at the end everything is visible */
	assert_no_reports();
}

/*
 * Schedules pinned as regressions, the way a user pins one a fuzzer or an
 * exploration found: they must keep replaying the same interleaving (and
 * so the same failure) as long as the code under them is unchanged.
 */
static void test_pinned_schedules_replay(void **state)
{
	struct kp_model_config lost = { .nr_tasks = 2, .task_fn = racy_increment,
					 .setup = zero_counters, .strategy = KP_MODEL_REPLAY,
					 .schedule = "kp1 0:3*2 1:3*4" };
	struct kp_model_config buffered = { .nr_tasks = 2, .task_fn = store_buffering,
					    .setup = sb_reset, .store_buffers = true,
					    .strategy = KP_MODEL_REPLAY,
					    .schedule = "kp1 0:3*2 0:3+1 1:3+1*2 1:3+2*2 0:1+1" };
	struct kp_model_result res;

	(void)state;
	assert_int_equal(kp_model_run(&lost, &res), 0);
	assert_int_equal(res.outcome, KP_MODEL_DONE);
	assert_string_equal(res.schedule, lost.schedule);
	assert_int_equal(shared, 1);
	assert_reports(KP_REPORT_INVARIANT, 1);

	kp_report_reset();
	sb_fenced = false;
	assert_int_equal(kp_model_run(&buffered, &res), 0);
	assert_int_equal(res.outcome, KP_MODEL_DONE);
	assert_string_equal(res.schedule, buffered.schedule);
	assert_true(r[0] == 0 && r[1] == 0);
	assert_reports(KP_REPORT_INVARIANT, 1);
}

/* ---- every lock, explored ------------------------------------------------------------- */

static int inside, entries;

/*
 * Alone inside, and seeing the last holder's relaxed store: with store
 * buffers, only the unlock's release makes it visible to the next holder
 * (the store comes last, after the read-modify-writes that would drain it).
 */
static int cs_data, cs_expected;

static void critical_section(void)
{
	if (kp_atomic_fetch_add(&inside, 1, KP_RELAXED) != 0)
		kp_report(KP_REPORT_INVARIANT, NULL, "two tasks inside one critical section");
	if (kp_atomic_load(&cs_data, KP_RELAXED) != cs_expected)
		kp_report(KP_REPORT_INVARIANT, NULL, "the last critical section's store is not visible");
	kp_atomic_fetch_add(&entries, 1, KP_RELAXED);
	kp_atomic_fetch_sub(&inside, 1, KP_RELAXED);
	kp_atomic_store(&cs_data, ++cs_expected, KP_RELAXED);
}

/*
 * Each lock of kp_locks.h's list, and two ways to take one besides its
 * own calls (irqsave, a guard): a task body that takes it twice around the
 * critical section, a lock of its own, and a setup that initialises it.
 */
struct explored_lock {
	const char *name;
	void (*task)(unsigned int id, void *arg);
	void (*setup)(void *arg);
	int rounds;		/* how many times each task takes it */
};

#define EXPLORED_LOCK(name, type, init, lock_stmt, trylock_expr, unlock_stmt, locked_expr, ...) \
	static type the_##name;							\
	static void twice_##name(unsigned int id, void *arg)			\
	{									\
		type *l = &the_##name;						\
										\
		(void)id, (void)arg;						\
		for (int i = 0; i < 2; i++) {					\
			lock_stmt;						\
			if (!(locked_expr))	/* its holder sees it held */	\
				kp_report(KP_REPORT_INVARIANT, NULL,		\
					  #name " reads unlocked inside");	\
			critical_section();					\
			unlock_stmt;						\
		}								\
	}									\
	static void setup_##name(void *arg)					\
	{									\
		type *l = &the_##name;						\
										\
		(void)arg;							\
		init;								\
		assert_false(locked_expr);					\
		inside = cs_data = cs_expected = 0;				\
	}
KP_FOR_EACH_LOCK(EXPLORED_LOCK)

static void twice_spinlock_irqsave(unsigned int id, void *arg)
{
	unsigned long flags;

	(void)id, (void)arg;
	for (int i = 0; i < 2; i++) {
		spin_lock_irqsave(&the_spinlock, flags);
		critical_section();
		spin_unlock_irqrestore(&the_spinlock, flags);
	}
}

static void guarded_section(void)
{
	guard(mutex)(&the_mutex);
	critical_section();
}

static void twice_guard_mutex(unsigned int id, void *arg)
{
	(void)id, (void)arg;
	for (int i = 0; i < 2; i++)
		guarded_section();
}

#define EXPLORED(name, ...)	{ #name, twice_##name, setup_##name, 2 },
static const struct explored_lock explored[] = {
	KP_FOR_EACH_LOCK(EXPLORED)
	{ "spinlock_irqsave", twice_spinlock_irqsave, setup_spinlock, 2 },
	{ "guard(mutex)", twice_guard_mutex, setup_mutex, 2 },
};

/* How each lock is explored: plain, with spurious wake-ups, with store buffers. */
enum explore_mode { PLAIN, SPURIOUS, STORE_BUFFERS, NR_MODES };

static const char *const mode_names[] = { "", " (spurious wake-ups)", " (store buffers)" };

static void explore_lock(const struct explored_lock *e, enum explore_mode mode,
			 unsigned int nr_tasks, unsigned int bound)
{
	struct kp_model_config cfg = { .nr_tasks = nr_tasks, .task_fn = e->task, .setup = e->setup,
				       .max_steps = 20000, .spurious_wakeups = mode == SPURIOUS,
				       .store_buffers = mode == STORE_BUFFERS };
	struct kp_model_explore_result res;

	entries = 0;
	assert_int_equal(kp_model_explore(&cfg, bound, 200000, &res), 0);
	printf("# %s%s, %u tasks: %lu interleavings, %s\n", e->name, mode_names[mode], nr_tasks,
	       res.runs,
	       res.complete ? "complete" : res.too_deep ? "a run too deep" : "the run limit");
	if (res.failed)
		printf("# first failure: %s\n", res.first_failure);
	assert_int_equal(res.failed, 0);
	assert_true(res.complete);
	assert_true(res.runs > 1);
	assert_int_equal(entries, e->rounds * (int)nr_tasks * (int)res.runs);
	assert_no_reports();
}

/*
 * Two tasks, each taking the lock twice, every interleaving within three
 * preemptions, in every mode (spurious wake-ups only matter to locks that
 * sleep, but cost the others nothing).
 */
static void test_explore_every_lock(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(explored) / sizeof(explored[0]); i++)
		for (int mode = PLAIN; mode < NR_MODES; mode++)
			explore_lock(&explored[i], (enum explore_mode)mode, 2, 3);
}

static void once_smutex(unsigned int id, void *arg)
{
	(void)id, (void)arg;
	smutex_lock(&the_smutex);
	if (!smutex_is_locked(&the_smutex))
		kp_report(KP_REPORT_INVARIANT, NULL, "smutex reads unlocked inside");
	critical_section();
	smutex_unlock(&the_smutex);
}

/*
 * The smutex with three tasks, each taking it once, within three
 * preemptions. An unlock that lets a newcomer in before it has handed the
 * lock to its waiter needs all three tasks and all three preemptions:
 * the holder is preempted for the waiter to stack itself, again inside
 * its unlock for the newcomer to take the lock, and the newcomer inside
 * its critical section for the unlock to go on and wake the waiter
 * (fuzz/mutants/smutex-unlock-early.patch). Taking it twice each, the
 * same bound runs past 200,000 interleavings unfinished. (The mutex's three-task runs,
 * with its spinners, make more choices than a run records: it is left to
 * the schedule fuzzer.)
 */
static void test_explore_smutex_with_three_tasks(void **state)
{
	static const struct explored_lock once = { "smutex, once each", once_smutex, setup_smutex, 1 };

	(void)state;
	explore_lock(&once, PLAIN, 3, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		kp_unit_test(test_exploration_finds_a_lost_update),
		kp_unit_test(test_an_rmw_loses_nothing),
		kp_unit_test(test_a_task_blocked_for_ever_is_a_deadlock),
		kp_unit_test(test_a_task_spinning_for_ever_is_a_livelock),
		kp_unit_test(test_a_task_ending_with_a_lock_is_reported),
		kp_unit_test(test_traces_name_what_they_touch),
		kp_unit_test(test_a_schedule_replays_and_a_stale_one_diverges),
		kp_unit_test(test_the_same_input_is_the_same_schedule),
		kp_unit_test(test_bad_configurations_are_refused),
		kp_unit_test(test_a_run_inside_a_run_is_refused),
		kp_unit_test(test_store_buffering_needs_its_fence),
		kp_unit_test(test_a_relaxed_unlock_leaks_the_critical_section),
		kp_unit_test(test_a_task_sees_its_own_buffer),
		kp_unit_test(test_pinned_schedules_replay),
		kp_unit_test(test_explore_every_lock),
		kp_unit_test(test_explore_smutex_with_three_tasks),
	};

	return kp_run_tests("model-sched", tests);
}
