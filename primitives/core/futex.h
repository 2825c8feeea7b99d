/* SPDX-License-Identifier: MIT */
/*
 * futex.h - block on and wake a 32-bit word, as futex(2) FUTEX_WAIT/WAKE,
 * and the process-wide barrier of membarrier(2).
 *
 * Sleeping locks park here. Release builds make the private futex system
 * calls; model builds with a scheduler registered block and wake model
 * tasks instead, so a lost wake-up shows up as a model deadlock.
 *
 * kp_membarrier() is the heavy half of an asymmetric barrier: a waiter
 * about to sleep pays for a barrier in every running thread, so that the
 * waker's fast path, a plain store and a later load, needs none of its own
 * (the queued spinlock's unlock, sync/qspinlock.c).
 */
#ifndef KPRIM_CORE_FUTEX_H
#define KPRIM_CORE_FUTEX_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"

/**
 * kp_futex_wait - sleep while a word holds a value
 * @addr: the word
 * @expected: sleep only if *@addr still equals it
 *
 * futex(2) FUTEX_WAIT_PRIVATE; under a model scheduler the task blocks in
 * the model instead.
 *
 * Context: sleeps.
 *
 * Return: 0 when woken (possibly spuriously), -EAGAIN if *@addr !=
 * @expected on entry, -EINTR on a signal.
 */
int kp_futex_wait(uint32_t *addr, uint32_t expected);
/**
 * kp_futex_wake - wake tasks sleeping on a word
 * @addr: the word
 * @nr_wake: how many to wake at most
 *
 * Return: how many were woken.
 */
int kp_futex_wake(uint32_t *addr, int nr_wake);

/**
 * kp_membarrier - a full memory barrier in every thread of the process
 *
 * membarrier(2) MEMBARRIER_CMD_PRIVATE_EXPEDITED (registered on first
 * use, and again in a forked child, whose registration fork() dropped).
 * When it returns, every other thread has passed a full barrier since
 * the call began, so a thread that stored and then loaded with only a
 * compiler barrier between either made its store visible to the caller's
 * next load, or its load sees what the caller stored before the call.
 * Under a model scheduler: a point that drains every task's store buffer.
 *
 * Context: any; a system call.
 *
 * Return: false if the kernel offers no such barrier (before Linux 4.14,
 * or refused by a sandbox): the caller must not rely on it.
 */
bool kp_membarrier(void);

#endif /* KPRIM_CORE_FUTEX_H */
