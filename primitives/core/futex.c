// SPDX-License-Identifier: MIT
/*
 * futex.c - futex(2) and membarrier(2) for release builds, the scheduler's
 * futexes and barrier for models.
 *
 * The model dispatch lives here, not in the header, because a futex call is
 * already a system call's worth of cost: one branch more is noise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/atomic.h"
#include "core/futex.h"
#include "core/sched.h"
#include "core/task.h"

/* While it sleeps, the task is marked blocked: mutex spinners stop spinning on it. */
int kp_futex_wait(uint32_t *addr, uint32_t expected)
{
	struct kp_task *t = kp_current();
	long ret;
	int err;

#ifdef KP_MODEL
	if (kp_sched_ops)
		return kp_sched_ops->futex_wait(addr, expected);
#endif
	kp_atomic_store(&t->blocked, 1, KP_RELAXED);
	ret = syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
	err = errno;
	kp_atomic_store(&t->blocked, 0, KP_RELAXED);
	if (ret == 0)
		return 0;
	return err == EWOULDBLOCK ? -EAGAIN : -err;
}

int kp_futex_wake(uint32_t *addr, int nr_wake)
{
	long woken;

#ifdef KP_MODEL
	if (kp_sched_ops)
		return kp_sched_ops->futex_wake(addr, nr_wake);
#endif
	woken = syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, nr_wake, NULL, NULL, 0);
	return woken < 0 ? -errno : (int)woken;
}

static long membarrier(int cmd)
{
	return syscall(SYS_membarrier, cmd, 0, 0);
}

bool kp_membarrier(void)
{
#ifdef KP_MODEL
	if (kp_sched_ops) {
		kp_sched_point_op(KP_OP_MEMBARRIER, NULL, 0, 0, 0);
		return true;
	}
#endif
	if (likely(!membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)))
		return true;
	/* Never registered, or a fork() child, whose new mm starts unregistered. */
	return errno == EPERM && !membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) &&
	       !membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED);
}
