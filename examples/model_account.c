// SPDX-License-Identifier: MIT
/*
 * model_account.c - testing your own code under kprim's model scheduler.
 *
 * A bank account whose balance a mutex protects, and a withdrawal that
 * must never overdraw it. withdraw() checks the balance and takes the
 * money under the lock; withdraw_racy() checks first and locks only to
 * take, the classic check-then-act race. Two tasks each withdraw 70 from
 * 100. Under the model every interleaving of the two (within a preemption
 * bound) is run: the correct version never overdraws, the racy one does,
 * and the failing schedule, replayed with tracing on, shows step by step
 * how: both tasks read 100 before either takes anything.
 *
 * Needs a variant with the model scheduler (model, fuzz-model, cov):
 *
 *   cc $(pkg-config --cflags kprim-model) model_account.c \
 *      $(pkg-config --libs kprim-model) -o model_account && ./model_account
 */
#include <stdio.h>
#include <string.h>

#include <kprim.h>

struct account {
	struct mutex lock;
	int balance;
};

static struct account acct;

static bool withdraw(struct account *a, int amount)
{
	guard(mutex)(&a->lock);
	if (a->balance < amount)
		return false;
	a->balance -= amount;
	return true;
}

static bool withdraw_racy(struct account *a, int amount)
{
	if (kp_atomic_load(&a->balance, KP_RELAXED) < amount)	/* checked without the lock */
		return false;
	mutex_lock(&a->lock);
	a->balance -= amount;
	mutex_unlock(&a->lock);
	return true;
}

static void open_account(void *arg)
{
	(void)arg;
	mutex_init(&acct.lock);
	acct.balance = 100;
}

/* Each task withdraws 70; the balance must never go below zero. */
static void customer(unsigned int id, void *arg)
{
	bool (*withdraw_fn)(struct account *, int) = arg;

	(void)id;
	withdraw_fn(&acct, 70);
	if (acct.balance < 0)
		kp_report(KP_REPORT_INVARIANT, NULL, "account overdrawn: balance %d", acct.balance);
}

static void quiet(const struct kp_report *r)
{
	(void)r;	/* counted by kprim; the exploration notes the failing run */
}

static int explore(const char *name, bool (*withdraw_fn)(struct account *, int),
		   struct kp_model_explore_result *res)
{
	struct kp_model_config cfg = { .nr_tasks = 2, .task_fn = customer,
				       .arg = (void *)withdraw_fn, .setup = open_account };

	if (kp_model_explore(&cfg, 2, 0, res))
		return -1;
	printf("%s: %lu interleavings%s, %lu overdrawn\n", name, res->runs,
	       res->complete ? " (all within 2 preemptions)" : "", res->failed);
	return 0;
}

int main(void)
{
	struct kp_model_explore_result good, racy;
	struct kp_model_config replay = { .nr_tasks = 2, .task_fn = customer,
					  .arg = (void *)withdraw_racy, .setup = open_account,
					  .strategy = KP_MODEL_REPLAY, .trace = true };
	struct kp_model_result r;

	kp_report_set_handler(quiet);
	if (explore("withdraw", withdraw, &good) || explore("withdraw_racy", withdraw_racy, &racy))
		return 1;
	if (good.failed || !racy.failed) {
		printf("unexpected: the exploration should tell the two apart\n");
		return 1;
	}

	/* Pin the failure: its schedule string replays the same interleaving. */
	printf("first overdraft: schedule \"%s\"\n", racy.first_failure);
	replay.schedule = racy.first_failure;
	if (kp_model_run(&replay, &r) || r.outcome != KP_MODEL_DONE || acct.balance >= 0)
		return 1;
	printf("replayed: balance %d\n", acct.balance);
	kp_model_print_trace(stdout);
	return 0;
}
