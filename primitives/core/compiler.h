/* SPDX-License-Identifier: MIT */
/*
 * compiler.h - the handful of compiler idioms every kprim file uses.
 *
 * Mirrors include/linux/compiler.h, include/linux/container_of.h and
 * include/linux/err.h: branch hints, container_of, the ERR_PTR convention
 * for functions that return a pointer or an errno. Kept tiny on purpose;
 * anything larger belongs in the layer that needs it. It includes
 * core/config.h first, so every kprim header sees the variant's
 * configuration before it tests a KP_* macro.
 */
#ifndef KPRIM_CORE_COMPILER_H
#define KPRIM_CORE_COMPILER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"

/**
 * likely - tell the compiler a condition is almost always true
 * @x: the condition; unlikely() says it is almost always false
 *
 * Fast paths use them to keep the slow path's code out of the way.
 */
#define likely(x)		__builtin_expect(!!(x), 1)
#define unlikely(x)		__builtin_expect(!!(x), 0)
#define __must_check		__attribute__((warn_unused_result))
#define __noinline		__attribute__((noinline))
#define __cold			__attribute__((cold))
#ifndef __always_inline
#define __always_inline		inline __attribute__((always_inline))
#endif
/*
 * An entry point whose fast path is counted in cycles starts a cache line,
 * so that where the linker happens to put it does not decide how many
 * lines, and decoded-uop cache ways, the fast path spans: kmalloc's took a
 * quarter longer at one placement than at another.
 */
#define __fastpath_entry	__attribute__((aligned(64)))
/**
 * barrier - a compiler barrier: no memory access moves across it
 *
 * Orders nothing between CPUs; kp_atomic_fence() does that.
 */
#define barrier()		__asm__ __volatile__("" ::: "memory")

/*
 * The pointer argument n is recorded, never read or written through (GCC's
 * access attribute): an address handed over before the object is set.
 */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 10
#define __address_only(n)	__attribute__((access(none, n)))
#else
#define __address_only(n)
#endif

/* A name no other expansion uses (include/linux/compiler_types.h). */
#define __KP_PASTE(a, b)	a##b
#define __KP_UNIQUE(prefix, n)	__KP_PASTE(prefix, n)
#define __UNIQUE_ID(prefix)	__KP_UNIQUE(__UNIQUE_ID_##prefix, __COUNTER__)

/*
 * Leave a function out of fuzzing coverage (a byte scanner's branches say
 * nothing). Not inlined: the coverage pass runs after inlining, and an
 * inlined body is instrumented as its caller's (the kernel's noinstr is
 * noinline for the same reason, include/linux/compiler_types.h).
 */
#if defined(__clang__) && __clang_major__ >= 13
#define __no_sanitize_coverage	__attribute__((no_sanitize("coverage"), noinline))
#elif !defined(__clang__) && defined(__GNUC__) && __GNUC__ >= 12
#define __no_sanitize_coverage	__attribute__((no_sanitize_coverage, noinline))
#else
#define __no_sanitize_coverage
#endif

/* The address a report blames: the caller of the function that reports. */
#define KP_CALLER		__builtin_return_address(0)
/* The address of the code here (the kernel's _THIS_IP_): inline lock calls name their user. */
#define _THIS_IP_		({ __label__ __here; __here: (void *)&&__here; })
/*
 * Where an inline lock call is, for lockdep and debug reports; NULL in
 * release builds, where taking a label's address would cost the fast
 * paths optimisations (GCC stops turning a fetch_or bit test into bts).
 */
#ifdef KP_DEBUG
#define KP_LOCK_IP		_THIS_IP_
#else
#define KP_LOCK_IP		NULL
#endif

/**
 * container_of - the structure a member is embedded in
 * @ptr: pointer to the member
 * @type: the type of the containing structure
 * @member: the member's name in @type
 */
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

/* include/linux/err.h: the top 4095 addresses carry a negative errno. */
#define MAX_ERRNO	4095
#define IS_ERR_VALUE(x)	unlikely((uintptr_t)(x) >= (uintptr_t)-MAX_ERRNO)

static inline void *ERR_PTR(long error)
{
	return (void *)error;
}

static inline long PTR_ERR(const void *ptr)
{
	return (long)ptr;
}

static inline bool IS_ERR(const void *ptr)
{
	return IS_ERR_VALUE(ptr);
}

static inline bool IS_ERR_OR_NULL(const void *ptr)
{
	return unlikely(!ptr) || IS_ERR_VALUE(ptr);
}

#endif /* KPRIM_CORE_COMPILER_H */
