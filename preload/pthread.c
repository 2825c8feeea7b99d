// SPDX-License-Identifier: MIT
/*
 * pthread.c - libkprim-pthread.so: pthread mutexes, condition variables
 * and spinlocks on kprim's locks, for LD_PRELOAD into any program (LiTL's
 * idea: swap the lock under an unmodified program).
 *
 * A pthread_mutex_t is 40 bytes of glibc's layout, too small for a debug
 * struct mutex and its lockdep map, so each one gets a kprim lock of its
 * own (struct kp_pmutex, from kmalloc) on its first use, and keeps the
 * pointer in the bytes of glibc's __list, which a non-robust mutex does
 * not use. The object records the address it was made for: a mutex the
 * program copied or moved (its bytes elsewhere) gets a new one, and a
 * zeroed mutex (PTHREAD_MUTEX_INITIALIZER, calloc) gets one at its first
 * lock, so static initializers and memory freed without
 * pthread_mutex_destroy() both work (the latter leaks the small object,
 * as such a program leaks glibc's nothing). glibc's __kind stays where
 * its static initializers put it: recursive and error-checking mutexes
 * behave as POSIX says (EDEADLK, EPERM, a count). Robust,
 * priority-protocol and process-shared mutexes are left to glibc: kprim's
 * locks live in one process's memory.
 *
 * KPRIM_MUTEX=mutex (default: kernel/locking/mutex.c's optimistic
 * spinning and hand-off) or smutex (the simple mutex) picks the lock.
 * In the debug variant each mutex gets a lockdep class per
 * pthread_mutex_init() call site (a statically initialized one: per the
 * site of its first lock), so an unmodified program's lock-order
 * inversion is reported with lockdep's "possible circular locking
 * dependency" chain. Reports are printed and the program goes on, as the
 * kernel's lockdep splats do (KPRIM_ON_REPORT=abort stops it instead).
 *
 * Condition variables are a futex sequence word in the pthread_cond_t:
 * wait reads it, unlocks, sleeps while it is unchanged, locks again;
 * signal and broadcast bump it and wake one or all, with no system call
 * when nobody waits (a count beside it). They must be ours
 * because glibc's wait unlocks the mutex with its internal calls.
 * pthread_spinlock_t is kprim's queued spinlock word (4 bytes, 0 is
 * unlocked), taken at the word: a program's spinlock is no atomic
 * context for kprim's checks. Neither it nor a mutex can be shared
 * between processes (glibc keeps process-shared mutexes; spinlocks, see
 * pthread_spin_init()).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "alloc/slab.h"
#include "core/report.h"
#include "sync/mutex.h"
#include "sync/smutex.h"

#define EXPORT		__attribute__((visibility("default")))

/* glibc's __kind bits that need its own implementation (pthreadP.h). */
#define KIND_ROBUST		16
#define KIND_PI			32
#define KIND_PP			64
#define KIND_PSHARED		128
#define KIND_GLIBC		(KIND_ROBUST | KIND_PI | KIND_PP | KIND_PSHARED)

struct kp_pmutex {
	union {
		struct mutex mutex;
		struct smutex smutex;
	};
	const pthread_mutex_t *home;	/* the pthread mutex it was made for */
	struct kp_task *owner;		/* recursive and error-checking mutexes */
	unsigned int count;		/* recursive: how deep */
};

/* Our view of glibc's struct __pthread_mutex_s (x86-64). */
struct pmutex_view {
	int unused[4];
	int kind;			/* glibc's __kind: its initializers set it */
	int spins;
	struct kp_pmutex *obj;		/* glibc's __list */
	void *unused_next;
};
_Static_assert(sizeof(struct pmutex_view) == sizeof(pthread_mutex_t), "glibc's layout");
_Static_assert(__builtin_offsetof(pthread_mutex_t, __data.__kind) ==
	       __builtin_offsetof(struct pmutex_view, kind), "glibc's __kind");

static bool use_smutex;
static bool report_abort;

/* glibc's own calls, for the mutexes left to it. */
static int (*real_mutex_init)(pthread_mutex_t *, const pthread_mutexattr_t *);
static int (*real_mutex_lock)(pthread_mutex_t *);
static int (*real_mutex_trylock)(pthread_mutex_t *);
static int (*real_mutex_timedlock)(pthread_mutex_t *, const struct timespec *);
static int (*real_mutex_clocklock)(pthread_mutex_t *, clockid_t, const struct timespec *);
static int (*real_mutex_unlock)(pthread_mutex_t *);
static int (*real_mutex_destroy)(pthread_mutex_t *);

/* ---- reports --------------------------------------------------------------------- */

static void print_report(const struct kp_report *r)
{
	kp_report_print(r);
	if (report_abort)
		abort();
}

__attribute__((constructor)) static void pthread_preload_init(void)
{
	const char *lock = getenv("KPRIM_MUTEX");
	const char *on_report = getenv("KPRIM_ON_REPORT");

	if (lock && !strcmp(lock, "smutex"))
		use_smutex = true;
	else if (lock && *lock && strcmp(lock, "mutex"))
		fprintf(stderr, "kprim: KPRIM_MUTEX=%s unknown (mutex or smutex); using mutex\n",
			lock);
	report_abort = on_report && !strcmp(on_report, "abort");
	kp_report_set_handler(print_report);
	real_mutex_init = dlsym(RTLD_NEXT, "pthread_mutex_init");
	real_mutex_lock = dlsym(RTLD_NEXT, "pthread_mutex_lock");
	real_mutex_trylock = dlsym(RTLD_NEXT, "pthread_mutex_trylock");
	real_mutex_timedlock = dlsym(RTLD_NEXT, "pthread_mutex_timedlock");
	real_mutex_clocklock = dlsym(RTLD_NEXT, "pthread_mutex_clocklock");
	real_mutex_unlock = dlsym(RTLD_NEXT, "pthread_mutex_unlock");
	real_mutex_destroy = dlsym(RTLD_NEXT, "pthread_mutex_destroy");
}

/* ---- lockdep classes, one per init site ----------------------------------------- */

#define SITE_SLOTS	1024	/* twice MAX_LOCKDEP_KEYS: lockdep runs out first */

static struct site_class {
	const void *site;
	struct lock_class_key key;
	char name[64];
} sites[SITE_SLOTS];
static DEFINE_RAW_SPINLOCK(sites_lock);

/* "pthread_mutex initialized at main+0x19" or "... at prog+0x1219" (addr2line -e prog 0x1219). */
static void site_name(char *buf, size_t len, const char *how, const void *site)
{
	Dl_info info;

	if (dladdr(site, &info) && info.dli_sname)
		snprintf(buf, len, "pthread_mutex %s %s+%#lx", how, info.dli_sname,
			 (unsigned long)((const char *)site - (const char *)info.dli_saddr));
	else if (info.dli_fname)
		snprintf(buf, len, "pthread_mutex %s %s+%#lx", how,
			 strrchr(info.dli_fname, '/') ? strrchr(info.dli_fname, '/') + 1 :
			 info.dli_fname,
			 (unsigned long)((const char *)site - (const char *)info.dli_fbase));
	else
		snprintf(buf, len, "pthread_mutex %s %p", how, site);
}

static struct site_class *site_class(const void *site, const char *how)
{
	size_t i = ((uintptr_t)site * 0x9e3779b97f4a7c15ULL) >> 54;
	struct site_class *c = NULL;

	raw_spin_lock(&sites_lock);
	for (size_t n = 0; n < SITE_SLOTS; n++, i = (i + 1) % SITE_SLOTS) {
		if (sites[i].site == site) {
			c = &sites[i];
			break;
		}
		if (!sites[i].site) {
			c = &sites[i];
			c->site = site;
			site_name(c->name, sizeof(c->name), how, site);
			break;
		}
	}
	raw_spin_unlock(&sites_lock);
	return c;	/* NULL: every slot taken; the mutex shares its name's class */
}

/* ---- mutexes --------------------------------------------------------------------- */

static struct kp_pmutex *pmutex_new(const pthread_mutex_t *m, const void *site, const char *how)
{
	struct kp_pmutex *o = kzalloc(sizeof(*o), GFP_KERNEL);
	struct site_class *c;
	static struct lock_class_key shared_key;

	if (!o)
		return NULL;
	c = site_class(site, how);
	if (use_smutex)
		__smutex_init(&o->smutex, c ? c->name : "pthread_mutex", c ? &c->key : &shared_key);
	else
		__mutex_init(&o->mutex, c ? c->name : "pthread_mutex", c ? &c->key : &shared_key);
	o->home = m;
	return o;
}

static void pmutex_free(struct kp_pmutex *o)
{
	if (!use_smutex)
		mutex_destroy(&o->mutex);
	kfree(o);
}

/* The kprim lock of m, made at its first use (or its first use at this address). */
static struct kp_pmutex *pmutex_get(pthread_mutex_t *m, const void *site)
{
	struct pmutex_view *v = (struct pmutex_view *)m;
	struct kp_pmutex *o = kp_atomic_load(&v->obj, KP_ACQUIRE);
	struct kp_pmutex *fresh;

	if (likely(o && o->home == m))
		return o;
	fresh = pmutex_new(m, site, "first locked at");
	if (!fresh)
		return NULL;
	/* A copy's object stays with the original; a loser frees its own. */
	if (kp_atomic_try_cmpxchg(&v->obj, &o, fresh, KP_ACQ_REL))
		return fresh;
	pmutex_free(fresh);
	return o;
}

static __always_inline bool glibc_kind(const pthread_mutex_t *m)
{
	return unlikely(((const struct pmutex_view *)m)->kind & KIND_GLIBC);
}

static __always_inline int mutex_type(const pthread_mutex_t *m)
{
	return ((const struct pmutex_view *)m)->kind & 3;
}

/* Recursive and error-checking mutexes know their owner; normal and adaptive ones need not. */
static __always_inline bool tracks_owner(int type)
{
	return type == PTHREAD_MUTEX_RECURSIVE || type == PTHREAD_MUTEX_ERRORCHECK;
}

static __always_inline void lock_raw(struct kp_pmutex *o, void *ip)
{
	if (use_smutex)
		__smutex_lock(&o->smutex, ip);
	else
		__mutex_lock(&o->mutex, ip);
}

static __always_inline bool trylock_raw(struct kp_pmutex *o, void *ip)
{
	return use_smutex ? __smutex_trylock(&o->smutex, ip) : __mutex_trylock(&o->mutex, ip);
}

static __always_inline void unlock_raw(struct kp_pmutex *o, void *ip)
{
	if (use_smutex)
		__smutex_unlock(&o->smutex, ip);
	else
		__mutex_unlock(&o->mutex, ip);
}

/* Recursive and error-checking mutexes: 0 to take the lock, else the answer. */
static int owner_check(struct kp_pmutex *o, int type)
{
	if (kp_atomic_load(&o->owner, KP_RELAXED) != kp_current())
		return 0;
	if (type == PTHREAD_MUTEX_ERRORCHECK)
		return EDEADLK;
	if (o->count == UINT_MAX)
		return EAGAIN;
	o->count++;
	return -1;
}

static void owner_set(struct kp_pmutex *o)
{
	kp_atomic_store(&o->owner, kp_current(), KP_RELAXED);
	o->count = 1;
}

EXPORT int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *attr)
{
	int type = PTHREAD_MUTEX_DEFAULT, pshared = PTHREAD_PROCESS_PRIVATE;
	int robust = PTHREAD_MUTEX_STALLED, protocol = PTHREAD_PRIO_NONE;
	struct pmutex_view *v = (struct pmutex_view *)m;

	if (attr) {
		pthread_mutexattr_gettype(attr, &type);
		pthread_mutexattr_getpshared(attr, &pshared);
		pthread_mutexattr_getrobust(attr, &robust);
		pthread_mutexattr_getprotocol(attr, &protocol);
	}
	if (pshared != PTHREAD_PROCESS_PRIVATE || robust != PTHREAD_MUTEX_STALLED ||
	    protocol != PTHREAD_PRIO_NONE)
		return real_mutex_init(m, attr);
	memset(m, 0, sizeof(*m));
	v->kind = type;
	v->obj = pmutex_new(m, __builtin_return_address(0), "initialized at");
	return v->obj ? 0 : ENOMEM;
}

EXPORT int pthread_mutex_lock(pthread_mutex_t *m)
{
	void *ip = __builtin_return_address(0);
	struct kp_pmutex *o;
	int type, ret;

	if (glibc_kind(m))
		return real_mutex_lock(m);
	o = pmutex_get(m, ip);
	if (unlikely(!o))
		return ENOMEM;
	type = mutex_type(m);
	if (likely(!tracks_owner(type))) {
		lock_raw(o, ip);
		return 0;
	}
	ret = owner_check(o, type);
	if (ret)
		return ret < 0 ? 0 : ret;
	lock_raw(o, ip);
	owner_set(o);
	return 0;
}

EXPORT int pthread_mutex_trylock(pthread_mutex_t *m)
{
	void *ip = __builtin_return_address(0);
	struct kp_pmutex *o;
	int type, ret;

	if (glibc_kind(m))
		return real_mutex_trylock(m);
	o = pmutex_get(m, ip);
	if (unlikely(!o))
		return ENOMEM;
	type = mutex_type(m);
	if (tracks_owner(type)) {
		ret = owner_check(o, type);
		if (ret)
			return ret < 0 ? 0 : (type == PTHREAD_MUTEX_ERRORCHECK ? EBUSY : ret);
	}
	if (!trylock_raw(o, ip))
		return EBUSY;
	if (tracks_owner(type))
		owner_set(o);
	return 0;
}

static bool passed(clockid_t clock, const struct timespec *abstime)
{
	struct timespec now;

	clock_gettime(clock, &now);
	return now.tv_sec > abstime->tv_sec ||
	       (now.tv_sec == abstime->tv_sec && now.tv_nsec >= abstime->tv_nsec);
}

/*
 * kprim's mutex has no timed lock (the kernel's has none either): tries,
 * 50 us apart, until the deadline.
 */
static int mutex_clocklock(pthread_mutex_t *m, clockid_t clock, const struct timespec *abstime)
{
	const struct timespec pause = { .tv_nsec = 50 * 1000 };
	int ret;

	if (abstime->tv_nsec < 0 || abstime->tv_nsec >= 1000000000)
		return EINVAL;
	while ((ret = pthread_mutex_trylock(m)) == EBUSY) {
		if (passed(clock, abstime))
			return ETIMEDOUT;
		nanosleep(&pause, NULL);
	}
	return ret;
}

EXPORT int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *abstime)
{
	if (glibc_kind(m))
		return real_mutex_timedlock(m, abstime);
	return mutex_clocklock(m, CLOCK_REALTIME, abstime);
}

EXPORT int pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t clock,
				   const struct timespec *abstime)
{
	if (glibc_kind(m))
		return real_mutex_clocklock(m, clock, abstime);
	if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC)
		return EINVAL;
	return mutex_clocklock(m, clock, abstime);
}

EXPORT int pthread_mutex_unlock(pthread_mutex_t *m)
{
	void *ip = __builtin_return_address(0);
	struct pmutex_view *v = (struct pmutex_view *)m;
	struct kp_pmutex *o;
	int type;

	if (glibc_kind(m))
		return real_mutex_unlock(m);
	o = kp_atomic_load(&v->obj, KP_ACQUIRE);
	if (unlikely(!o || o->home != m))
		return EPERM;	/* never locked here */
	type = mutex_type(m);
	if (tracks_owner(type)) {
		if (kp_atomic_load(&o->owner, KP_RELAXED) != kp_current())
			return EPERM;
		if (--o->count)
			return 0;
		kp_atomic_store(&o->owner, NULL, KP_RELAXED);
	}
	unlock_raw(o, ip);
	return 0;
}

EXPORT int pthread_mutex_destroy(pthread_mutex_t *m)
{
	struct pmutex_view *v = (struct pmutex_view *)m;
	struct kp_pmutex *o;

	if (glibc_kind(m))
		return real_mutex_destroy(m);
	o = v->obj;
	if (!o || o->home != m)
		return 0;
	if (use_smutex ? smutex_is_locked(&o->smutex) : mutex_is_locked(&o->mutex))
		return EBUSY;
	v->obj = NULL;
	pmutex_free(o);
	return 0;
}

/* ---- condition variables ------------------------------------------------------- */

/* Our view of pthread_cond_t: zero is PTHREAD_COND_INITIALIZER's. */
struct pcond_view {
	uint32_t seq;		/* bumped by every signal and broadcast */
	uint32_t monotonic;	/* its clock is CLOCK_MONOTONIC */
	uint32_t shared;	/* process-shared: a shared futex */
	uint32_t waiters;	/* in cond_wait(): a signal with none makes no system call */
	char unused[32];
};
_Static_assert(sizeof(struct pcond_view) == sizeof(pthread_cond_t), "glibc's size");

static long futex(uint32_t *word, int op, uint32_t val, const struct timespec *ts, uint32_t mask)
{
	return syscall(SYS_futex, word, op, val, ts, NULL, mask);
}

EXPORT int pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *attr)
{
	struct pcond_view *v = (struct pcond_view *)c;
	clockid_t clock = CLOCK_REALTIME;
	int pshared = PTHREAD_PROCESS_PRIVATE;

	if (attr) {
		pthread_condattr_getclock(attr, &clock);
		pthread_condattr_getpshared(attr, &pshared);
	}
	memset(c, 0, sizeof(*c));
	v->monotonic = clock == CLOCK_MONOTONIC;
	v->shared = pshared == PTHREAD_PROCESS_SHARED;
	return 0;
}

EXPORT int pthread_cond_destroy(pthread_cond_t *c)
{
	(void)c;
	return 0;
}

static int cond_wake(pthread_cond_t *c, int nr)
{
	struct pcond_view *v = (struct pcond_view *)c;

	/* seq_cst: the bump and the waiters load against cond_wait()'s count and seq load */
	kp_atomic_fetch_add(&v->seq, 1, KP_SEQ_CST);
	if (kp_atomic_load(&v->waiters, KP_SEQ_CST))
		futex(&v->seq, FUTEX_WAKE | (v->shared ? 0 : FUTEX_PRIVATE_FLAG), (uint32_t)nr,
		      NULL, 0);
	return 0;
}

EXPORT int pthread_cond_signal(pthread_cond_t *c)
{
	return cond_wake(c, 1);
}

EXPORT int pthread_cond_broadcast(pthread_cond_t *c)
{
	return cond_wake(c, INT_MAX);
}

/*
 * A bump between the unlock and the sleep makes the futex call return at
 * once: no wake-up is lost. Spurious wake-ups are allowed by POSIX.
 */
static int cond_wait(pthread_cond_t *c, pthread_mutex_t *m, bool monotonic,
		     const struct timespec *abstime)
{
	struct pcond_view *v = (struct pcond_view *)c;
	int op = FUTEX_WAIT_BITSET | (v->shared ? 0 : FUTEX_PRIVATE_FLAG) |
		 (monotonic ? 0 : FUTEX_CLOCK_REALTIME);
	int ret, err = 0;
	uint32_t seq;

	if (abstime && (abstime->tv_nsec < 0 || abstime->tv_nsec >= 1000000000))
		return EINVAL;
	/* Counted before seq is read: a signaller that bumps seq after sees us. */
	kp_atomic_fetch_add(&v->waiters, 1, KP_SEQ_CST);
	seq = kp_atomic_load(&v->seq, KP_SEQ_CST);
	ret = pthread_mutex_unlock(m);
	if (ret) {
		kp_atomic_fetch_sub(&v->waiters, 1, KP_RELAXED);
		return ret;
	}
	if (futex(&v->seq, op, seq, abstime, FUTEX_BITSET_MATCH_ANY) && errno == ETIMEDOUT)
		err = ETIMEDOUT;
	kp_atomic_fetch_sub(&v->waiters, 1, KP_RELAXED);
	ret = pthread_mutex_lock(m);
	return ret ? ret : err;
}

EXPORT int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	return cond_wait(c, m, false, NULL);
}

EXPORT int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
				  const struct timespec *abstime)
{
	return cond_wait(c, m, ((struct pcond_view *)c)->monotonic, abstime);
}

EXPORT int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clock,
				  const struct timespec *abstime)
{
	if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC)
		return EINVAL;
	return cond_wait(c, m, clock == CLOCK_MONOTONIC, abstime);
}

/* ---- spinlocks ------------------------------------------------------------------- */

_Static_assert(sizeof(struct qspinlock) == sizeof(pthread_spinlock_t), "one word");

/*
 * PTHREAD_PROCESS_SHARED is accepted, as programs ask for it within one
 * process (stress-ng does); a lock really taken by two processes is not
 * supported: a queued waiter is found through its own process's task table.
 */
EXPORT int pthread_spin_init(pthread_spinlock_t *lock, int pshared)
{
	(void)pshared;
	kp_atomic_store(&((struct qspinlock *)lock)->val, 0, KP_RELEASE);
	return 0;
}

EXPORT int pthread_spin_destroy(pthread_spinlock_t *lock)
{
	(void)lock;
	return 0;
}

EXPORT int pthread_spin_lock(pthread_spinlock_t *lock)
{
	queued_spin_lock((struct qspinlock *)lock);
	return 0;
}

EXPORT int pthread_spin_trylock(pthread_spinlock_t *lock)
{
	return queued_spin_trylock((struct qspinlock *)lock) ? 0 : EBUSY;
}

EXPORT int pthread_spin_unlock(pthread_spinlock_t *lock)
{
	queued_spin_unlock((struct qspinlock *)lock);
	return 0;
}
