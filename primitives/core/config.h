/* SPDX-License-Identifier: MIT */
/*
 * config.h - which variant of kprim these headers describe, and the tie
 * that keeps a program and a library of different variants apart.
 *
 * A few macros change the layout of public structures and the code of
 * inline fast paths. They are kprim's configuration, and they come from
 * one place only: kprim_config.h, which the build writes into each
 * variant's own tree (build/<variant>/include/, or include/kprim-<variant>/
 * once installed) and which `pkg-config --cflags kprim-<variant>` puts on
 * the include path. Setting one with -D is refused at compile time.
 *
 *   KP_DEBUG    might_sleep() checks, a moved or dropped pinned object
 *               detected (struct mutex and other pinned types grow by a
 *               struct pin_anchor), reports name the lock call
 *   KP_LOCKDEP  the lock validator: raw_spinlock_t, spinlock_t, struct
 *               mutex, struct smutex and struct nowait_lock grow by a
 *               struct lockdep_map, struct kp_task by the held-lock stack
 *   KP_MODEL    schedule points in every atomic, futexes and kp_current()
 *               handed to a registered model scheduler; the library holds
 *               the scheduler (model/model.h, kp_model_run()); struct
 *               kp_task grows by sched_quiet
 *   KP_ASAN     the library is built with AddressSanitizer: freed slab
 *               objects are poisoned; the program must be built with
 *               -fsanitize=address too
 *   KP_TSAN     the library is built with ThreadSanitizer: fences that
 *               TSan cannot see become acquire loads; the program must be
 *               built with -fsanitize=thread too
 *
 *   variant   release  debug  asan  tsan  model  fuzz  fuzz-model  cov
 *   KP_DEBUG     -       x     x     x      x     x       x        x
 *   KP_LOCKDEP   -       x     x     -      x     x       x        x
 *   KP_MODEL     -       -     -     -      x     -       x        x
 *   KP_ASAN      -       -     x     -      -     x       x        -
 *   KP_TSAN      -       -     -     x      -     -       -        -
 *
 * None of them is the user's to set. What a user may set is nothing in
 * the headers; kprim's run-time knobs (KP_SLUB_DEBUG and the fault
 * injection calls) are read by the library.
 *
 * kprim_config.h also names the variant (KP_VARIANT, "debug") and its
 * macros (KP_CONFIG, "KP_DEBUG KP_LOCKDEP") as strings, for programs and
 * benchmarks to print.
 *
 * The tie: every file that includes a kprim header refers to
 * kprim_library_config_<macros>, which only a library built with exactly
 * those macros defines, and defines kprim_program_config_<macros> (weak),
 * which every library refers to for its own macros (core/task.c). Headers
 * of one configuration linked with a library of another therefore fail to
 * link with two undefined references, one naming each configuration:
 *
 *   undefined reference to `kprim_library_config_none'
 *   libkprim.a(task.o): undefined reference to `kprim_program_config_KP_DEBUG_KP_LOCKDEP'
 *
 * reads "this program was compiled for a library with no configuration
 * macros (release); the library was built for programs with KP_DEBUG and
 * KP_LOCKDEP (debug)".
 */
#ifndef KPRIM_CORE_CONFIG_H
#define KPRIM_CORE_CONFIG_H

#ifdef KP_DEBUG
#error "KP_DEBUG is set outside kprim_config.h: kprim's configuration comes from the variant's headers; drop -DKP_DEBUG and pick the variant with `pkg-config --cflags --libs kprim-<variant>`"
#endif
#ifdef KP_LOCKDEP
#error "KP_LOCKDEP is set outside kprim_config.h: kprim's configuration comes from the variant's headers; drop -DKP_LOCKDEP and pick the variant with `pkg-config --cflags --libs kprim-<variant>`"
#endif
#ifdef KP_MODEL
#error "KP_MODEL is set outside kprim_config.h: kprim's configuration comes from the variant's headers; drop -DKP_MODEL and pick the variant with `pkg-config --cflags --libs kprim-<variant>`"
#endif
#ifdef KP_ASAN
#error "KP_ASAN is set outside kprim_config.h: kprim's configuration comes from the variant's headers; drop -DKP_ASAN and pick the variant with `pkg-config --cflags --libs kprim-<variant>`"
#endif
#ifdef KP_TSAN
#error "KP_TSAN is set outside kprim_config.h: kprim's configuration comes from the variant's headers; drop -DKP_TSAN and pick the variant with `pkg-config --cflags --libs kprim-<variant>`"
#endif

#if defined(__has_include)
#if !__has_include(<kprim_config.h>)
#error "kprim_config.h is not on the include path: compile with `pkg-config --cflags kprim-<variant>` (in a build tree: PKG_CONFIG_PATH=build/<variant>)"
#endif
#endif
#include <kprim_config.h>

#if !defined(KP_VARIANT) || !defined(KP_CONFIG)
#error "kprim_config.h does not name its variant and configuration: regenerate it with `make lib VARIANT=<variant>`"
#endif

/* What the compiler was told (gcc says so one way, clang another). */
#if defined(__SANITIZE_ADDRESS__)
#define KP_COMPILER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KP_COMPILER_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define KP_COMPILER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define KP_COMPILER_TSAN 1
#endif
#endif

#if defined(KP_ASAN) && !defined(KP_COMPILER_ASAN)
#error "these are the headers of a kprim variant built with AddressSanitizer (asan, fuzz, fuzz-model): compile and link with -fsanitize=address (`pkg-config --cflags --libs kprim-<variant>` gives it)"
#endif
#if defined(KP_TSAN) && !defined(KP_COMPILER_TSAN)
#error "these are the headers of kprim's tsan variant, built with ThreadSanitizer: compile and link with -fsanitize=thread (`pkg-config --cflags --libs kprim-tsan` gives it)"
#endif
/* TSan would report races on every lock whose atomics it cannot see. */
#if defined(KP_COMPILER_TSAN) && !defined(KP_TSAN)
#error "-fsanitize=thread with a kprim variant not built for ThreadSanitizer: use `pkg-config --cflags --libs kprim-tsan`"
#endif

/* The configuration's name: its macros, in the order of the table above. */
#ifdef KP_DEBUG
#define __KP_CONFIG_DEBUG	_KP_DEBUG
#else
#define __KP_CONFIG_DEBUG
#endif
#ifdef KP_LOCKDEP
#define __KP_CONFIG_LOCKDEP	_KP_LOCKDEP
#else
#define __KP_CONFIG_LOCKDEP
#endif
#ifdef KP_MODEL
#define __KP_CONFIG_MODEL	_KP_MODEL
#else
#define __KP_CONFIG_MODEL
#endif
#ifdef KP_ASAN
#define __KP_CONFIG_ASAN	_KP_ASAN
#else
#define __KP_CONFIG_ASAN
#endif
#ifdef KP_TSAN
#define __KP_CONFIG_TSAN	_KP_TSAN
#else
#define __KP_CONFIG_TSAN
#endif
#if !defined(KP_DEBUG) && !defined(KP_LOCKDEP) && !defined(KP_MODEL) && \
	!defined(KP_ASAN) && !defined(KP_TSAN)
#define __KP_CONFIG_NONE	_none
#else
#define __KP_CONFIG_NONE
#endif

/* Two levels, so that the pieces expand before they are pasted. */
#define __KP_CONFIG_PASTE(p, a, b, c, d, e, f)	p##a##b##c##d##e##f
#define __KP_CONFIG_SYMBOL(p, a, b, c, d, e, f)	__KP_CONFIG_PASTE(p, a, b, c, d, e, f)
#define KP_CONFIG_SYMBOL(prefix)						\
	__KP_CONFIG_SYMBOL(prefix, __KP_CONFIG_DEBUG, __KP_CONFIG_LOCKDEP,		\
			   __KP_CONFIG_MODEL, __KP_CONFIG_ASAN, __KP_CONFIG_TSAN,	\
			   __KP_CONFIG_NONE)

/* Defined by the library (core/task.c): its variant's name. */
extern const char KP_CONFIG_SYMBOL(kprim_library_config)[];
static const char *const kp_config_library_tie __attribute__((used)) =
	KP_CONFIG_SYMBOL(kprim_library_config);

#ifndef KP_BUILDING_LIBRARY
/* Referred to by the library (core/task.c): any program file defines it. */
__attribute__((weak)) const char KP_CONFIG_SYMBOL(kprim_program_config) = 1;
#endif

#endif /* KPRIM_CORE_CONFIG_H */
