// SPDX-License-Identifier: MIT
/*
 * futex.c - futex(2) for release builds, the scheduler's futexes for models.
 *
 * The model dispatch lives here, not in the header, because a futex call is
 * already a system call's worth of cost: one branch more is noise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/futex.h"
#include "core/sched.h"

int kp_futex_wait(uint32_t *addr, uint32_t expected)
{
#ifdef KP_MODEL
	if (kp_sched_ops)
		return kp_sched_ops->futex_wait(addr, expected);
#endif
	if (syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0) == 0)
		return 0;
	return errno == EWOULDBLOCK ? -EAGAIN : -errno;
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
