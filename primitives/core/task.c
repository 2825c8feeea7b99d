// SPDX-License-Identifier: MIT
/*
 * task.c - the per-thread task instance and the might_sleep() check.
 *
 * The check and its message follow __might_resched() in kernel/sched/core.c,
 * without its once-a-second rate limit: tests count every report.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "core/report.h"
#include "core/task.h"

__thread struct kp_task kp_thread_task;

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
