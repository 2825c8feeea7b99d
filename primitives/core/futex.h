/* SPDX-License-Identifier: MIT */
/*
 * futex.h - block on and wake a 32-bit word, as futex(2) FUTEX_WAIT/WAKE.
 *
 * Sleeping locks park here. Release builds make the private futex system
 * calls; model builds with a scheduler registered block and wake model
 * tasks instead, so a lost wake-up shows up as a model deadlock.
 */
#ifndef KPRIM_CORE_FUTEX_H
#define KPRIM_CORE_FUTEX_H

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

#endif /* KPRIM_CORE_FUTEX_H */
