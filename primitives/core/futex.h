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

/*
 * Sleep while *addr == expected. Returns 0 when woken (possibly spuriously),
 * -EAGAIN if *addr != expected on entry, -EINTR on a signal.
 */
int kp_futex_wait(uint32_t *addr, uint32_t expected);
/* Wake up to nr_wake waiters on addr; returns how many were woken. */
int kp_futex_wake(uint32_t *addr, int nr_wake);

#endif /* KPRIM_CORE_FUTEX_H */
