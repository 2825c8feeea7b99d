// SPDX-License-Identifier: MIT
/*
 * task.c - the per-thread task instance and the might_sleep() check.
 *
 * The check and its message follow __might_resched() in kernel/sched/core.c,
 * without its once-a-second rate limit: tests count every report.
 *
 * Task ids live in a table of KP_MAX_TASKS slots claimed with a
 * compare-and-swap. One pthread key destructor ends an OS thread's task:
 * it runs the exit hooks (lockdep's held-at-exit check, the allocator's
 * flush), then gives the id back; kp_task_exit() does the same for a task
 * that is no thread (a model task). Under the model, the id table's and
 * the hook list's atomics are no schedule points: they are bookkeeping,
 * not code under test.
 *
 * This file also holds the library's half of the configuration tie
 * (core/config.h): every program pulls it in through kp_current(), so a
 * program compiled for another configuration fails to link here.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "core/atomic.h"
#include "core/report.h"
#include "core/task.h"

__thread struct kp_task kp_thread_task;

const char KP_CONFIG_SYMBOL(kprim_library_config)[] = KP_VARIANT;
extern const char KP_CONFIG_SYMBOL(kprim_program_config);
static const char *const kp_config_program_tie __attribute__((used)) =
	&KP_CONFIG_SYMBOL(kprim_program_config);

static struct kp_task *task_table[KP_MAX_TASKS + 1];
static unsigned int task_id_hint;
#define EXIT_HOOKS	4
static void (*exit_hooks[EXIT_HOOKS])(struct kp_task *t);
static pthread_key_t exit_key;
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;

static void task_exit(void *arg)
{
	struct kp_task *t = arg;

	/* The hooks' own work is code under test; finding them and the id is not. */
	for (unsigned int i = 0; i < EXIT_HOOKS; i++) {
		void (*fn)(struct kp_task *);

		kp_sched_quiet_begin();
		fn = kp_atomic_load(&exit_hooks[i], KP_ACQUIRE);
		kp_sched_quiet_end();
		if (fn)
			fn(t);
	}
	kp_sched_quiet_begin();
	if (t->id) {
		kp_atomic_store(&task_table[t->id], NULL, KP_RELEASE);
		t->id = 0;
	}
	kp_sched_quiet_end();
	t->exit_hooked = false;
}

void kp_task_exit(struct kp_task *t)
{
	task_exit(t);
}

static void make_exit_key(void)
{
	pthread_key_create(&exit_key, task_exit);
}

void kp_task_exit_hook_register(void (*fn)(struct kp_task *t))
{
	for (unsigned int i = 0; i < EXIT_HOOKS; i++) {
		void (*none)(struct kp_task *) = NULL;

		if (kp_atomic_load(&exit_hooks[i], KP_RELAXED) == fn ||
		    kp_atomic_try_cmpxchg(&exit_hooks[i], &none, fn, KP_RELEASE))
			return;
	}
}

void kp_task_hook_exit(struct kp_task *t)
{
	if (t->exit_hooked || t != &kp_thread_task)
		return;		/* model tasks end with their run */
	t->exit_hooked = true;
	pthread_once(&exit_key_once, make_exit_key);
	pthread_setspecific(exit_key, t);
}

/* The registry is no code under test: its atomics are no schedule points. */
static unsigned int task_id_claim(struct kp_task *t)
{
	unsigned int start = kp_atomic_fetch_add(&task_id_hint, 1, KP_RELAXED);

	for (unsigned int i = 0; i < KP_MAX_TASKS; i++) {
		unsigned int id = (start + i) % KP_MAX_TASKS + 1;
		struct kp_task *none = NULL;

		if (!kp_atomic_load(&task_table[id], KP_RELAXED) &&
		    kp_atomic_try_cmpxchg(&task_table[id], &none, t, KP_ACQ_REL))
			return id;
	}
	return 0;
}

unsigned int kp_task_id(struct kp_task *t)
{
	if (likely(t->id))
		return t->id;
	kp_sched_quiet_begin();
	t->id = task_id_claim(t);
	kp_sched_quiet_end();
	if (t->id)
		kp_task_hook_exit(t);
	return t->id;
}

struct kp_task *kp_task_from_id(unsigned int id)
{
	return id && id <= KP_MAX_TASKS ? kp_atomic_load(&task_table[id], KP_ACQUIRE) : NULL;
}

int kp_task_pid(struct kp_task *t)
{
	if (!t->pid)
		t->pid = (int)gettid();
	return t->pid;
}

const char *kp_task_comm(struct kp_task *t)
{
	/* PR_GET_NAME fills a TASK_COMM_LEN (16) buffer, NUL included. */
	if (!t->comm[0] && (prctl(PR_GET_NAME, t->comm) != 0 || !t->comm[0]))
		snprintf(t->comm, sizeof(t->comm), "task-%d", kp_task_pid(t) % 100000);
	return t->comm;
}

void __might_sleep(const char *file, int line, void *caller)
{
	struct kp_task *t = kp_current();

	kp_sched_point();
	if (likely(!t->preempt_count && !t->irqs_disabled))
		return;
	kp_report(KP_REPORT_SLEEP_IN_ATOMIC, caller,
		  "BUG: sleeping function called from invalid context at %s:%d\n"
		  "in_atomic(): %d, irqs_disabled(): %d, non_block: 0, pid: %d, name: %s",
		  file, line, t->preempt_count != 0, t->irqs_disabled,
		  kp_task_pid(t), kp_task_comm(t));
}
