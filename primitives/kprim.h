/* SPDX-License-Identifier: MIT */
/*
 * kprim.h - everything public in kprim, in layer order
 * (core <- sync <- alloc <- ref, init). Build with -Iprimitives and link
 * build/<variant>/libkprim.a with -lpthread -ldl -lm.
 */
#ifndef KPRIM_H
#define KPRIM_H

#include "core/compiler.h"
#include "core/sched.h"
#include "core/atomic.h"
#include "core/futex.h"
#include "core/report.h"
#include "core/task.h"

#include "sync/lockdep.h"
#include "sync/qspinlock.h"
#include "sync/spinlock.h"
#include "sync/mutex.h"
#include "sync/smutex.h"
#include "sync/nowait.h"
#include "sync/cleanup.h"

#include "alloc/gfp.h"
#include "alloc/page.h"
#include "alloc/fault.h"
#include "alloc/slab.h"
#include "alloc/vmalloc.h"
#include "alloc/kvec.h"

#include "ref/refcount.h"
#include "ref/kref.h"
#include "ref/aref.h"
#include "ref/arc.h"

#endif /* KPRIM_H */
